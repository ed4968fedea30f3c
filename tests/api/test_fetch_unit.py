"""Fetching the API's state as canonical frames (against the in-memory API)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pandas as pd
import pytest
from tests.api.fake_api import BASE, TOKEN, FakeApi, Fault

from custsync.api import ApiSettings, CustomerApi
from custsync.api.fetch import fetch_customers, fetch_ids, fetch_subresources
from custsync.errors import ServerError
from custsync.model import ENTITIES


@pytest.fixture
def api_and_fake() -> Iterator[tuple[CustomerApi, FakeApi]]:
    fake = FakeApi()
    fake.seed_customers(3)
    fake.records["customers"]["2"]["contact"] = {"email": "b@example.com"}
    fake._store("addresses", {"type": "masterdata", "name": "Co 1", "country": "DE"}, "2")
    fake._store("contacts", {"name": "Ann"}, "2")
    fake._store("contacts", {"name": "Bob"}, "3")
    settings = ApiSettings(BASE, TOKEN, requests_per_minute=60_000, concurrency=2)
    with CustomerApi(settings, transport=fake.transport()) as api:
        yield api, fake


def test_fetch_customers_gives_the_canonical_frame(api_and_fake: tuple[CustomerApi, FakeApi]) -> None:
    api, _ = api_and_fake
    frame = fetch_customers(api)
    assert list(frame.columns) == list(ENTITIES["customers"].columns)
    assert frame["number"].tolist() == ["C0000", "C0001", "C0002"]
    assert frame["id"].tolist() == ["1", "2", "3"]
    assert frame.loc[1, "contact.email"] == "b@example.com"
    assert isinstance(frame["createdAt"].dtype, pd.DatetimeTZDtype)


def test_fetch_ids_is_id_number_updated_at(api_and_fake: tuple[CustomerApi, FakeApi]) -> None:
    api, _ = api_and_fake
    frame = fetch_ids(api)
    assert list(frame.columns) == ["id", "number", "updatedAt"]
    assert len(frame) == 3


def test_fetch_subresources_tags_the_customer_number_and_reports_progress(
    api_and_fake: tuple[CustomerApi, FakeApi],
) -> None:
    api, fake = api_and_fake
    customers = fetch_customers(api)
    fake.records["customers"].pop("1")  # deleted between the two fetches: skipped, not fatal
    seen: list[tuple[int, int]] = []
    frames = fetch_subresources(api, customers, progress=lambda done, total: seen.append((done, total)))
    assert list(frames) == ["addresses", "contacts"]
    assert list(frames["addresses"].columns) == list(ENTITIES["addresses"].columns)
    assert frames["addresses"][["customerNumber", "type", "country"]].values.tolist() == [["C0001", "masterdata", "DE"]]
    assert frames["contacts"][["customerNumber", "name"]].values.tolist() == [["C0001", "Ann"], ["C0002", "Bob"]]
    assert sorted(seen) == [(1, 3), (2, 3), (3, 3)]
    only = fetch_subresources(api, customers.iloc[1:2], entities=("contacts",))
    assert list(only) == ["contacts"]


def test_fetch_refuses_bad_arguments(api_and_fake: tuple[CustomerApi, FakeApi]) -> None:
    api, _ = api_and_fake
    with pytest.raises(ValueError, match="unknown sub-resource"):
        fetch_subresources(api, pd.DataFrame({"id": ["1"], "number": ["C"]}), entities=("orders",))
    with pytest.raises(ValueError, match="needs the columns id and number"):
        fetch_subresources(api, pd.DataFrame({"id": ["1"]}))
    with pytest.raises(TypeError, match="afetch"):
        fetch_customers(api.async_api)  # type: ignore[arg-type]


def test_blocking_call_from_inside_the_client_loop_fails_clearly(api_and_fake: tuple[CustomerApi, FakeApi]) -> None:
    api, _ = api_and_fake
    customers = fetch_customers(api)
    with pytest.raises(RuntimeError, match="its own event loop"):
        fetch_subresources(api, customers, progress=lambda done, total: api.customers.get("1"))


def test_first_failure_stops_the_fetch_of_sub_resources() -> None:
    fake = FakeApi()
    fake.seed_customers(30)
    settings = ApiSettings(BASE, TOKEN, requests_per_minute=600, concurrency=2, max_retries=0)
    with CustomerApi(settings, transport=fake.transport()) as api:
        customers = fetch_customers(api)
        fake.fail(Fault("500", "GET", "/addresses"))
        with pytest.raises(ServerError):
            fetch_subresources(api, customers)
        spent = api.stats.total
        time.sleep(0.5)  # at 10 requests/s, five more calls would have left by now
        assert api.stats.total == spent < 10  # the other customers' fetches were cancelled
