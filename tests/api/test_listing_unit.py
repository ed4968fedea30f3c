"""Listings that cannot skip or double, against the in-memory API: keyset paging while records are deleted, the
page-number fallback with its consistency check, and the paging rules (cursor, totalCount, short pages)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from tests.api.fake_api import FakeApi
from tests.api.test_client_unit import run, settings

from custsync.api import AsyncCustomerApi, Order
from custsync.errors import ListingError


def _ids(items: list[dict[str, Any]]) -> list[int]:
    return [int(i["id"]) for i in items]


def _delete_once(at: int, victims: range):
    calls = 0

    def hook(fake: FakeApi, request: httpx.Request) -> None:
        nonlocal calls
        calls += 1
        if calls == at:
            for victim in victims:
                fake.records["customers"].pop(str(victim), None)

    return hook


def test_keyset_listing_skips_nothing_when_earlier_records_are_deleted() -> None:
    fake = FakeApi()
    fake.seed_customers(200)
    fake.on_list = _delete_once(3, range(1, 41))  # while page 3 is asked for, 40 already listed ones go
    items, api = run(fake, lambda api: api.customers.all())
    assert _ids(items) == list(range(1, 201))  # the deleted ones were read before they went; nobody skipped
    keyed = [r.url.params.get("filter[0][value]") for r in fake.requests]
    assert keyed == [None, "50", "100", "150"]
    assert api.keyset_refused == set()


def test_page_numbers_are_checked_and_read_again_when_the_list_moved() -> None:
    fake = FakeApi()
    fake.seed_customers(200)
    fake.keyset = "refuse"
    fake.on_list = _delete_once(4, range(1, 41))  # 1 keyset try + 1 refused, then page 2 of the numbered walk
    items, api = run(fake, lambda api: api.customers.all())
    assert _ids(items) == list(range(41, 201))
    assert api.keyset_refused == {"customers"}
    numbers = [r.url.params.get("page[number]") for r in fake.requests[2:]]
    assert numbers == ["1", "2", "3", "4", "1", "2", "3", "4"]  # the shifted listing was read again


def test_a_server_ignoring_the_id_filter_is_read_by_checked_page_numbers() -> None:
    fake = FakeApi()
    fake.seed_customers(120)
    fake.keyset = "ignore"
    items, api = run(fake, lambda api: api.customers.all())
    assert _ids(items) == list(range(1, 121))
    assert api.keyset_refused == {"customers"}


def test_a_list_that_never_holds_still_fails_loudly() -> None:
    fake = FakeApi()
    fake.seed_customers(120)
    fake.keyset = "refuse"
    counter = iter(range(10_000))

    def churn(fake: FakeApi, request: httpx.Request) -> None:
        if request.url.params.get("page[number]") == "2":
            fake.records["customers"].pop(str(next(counter) + 1), None)

    fake.on_list = churn
    with pytest.raises(ListingError, match="kept changing while it was read") as caught:
        run(fake, lambda api: api.customers.all())
    assert caught.value.path == "/api/v2/customers"


def test_other_orders_are_read_by_checked_page_numbers() -> None:
    fake = FakeApi()
    fake.seed_customers(60)
    items, _ = run(fake, lambda api: api.customers.all(order=[Order("name", "desc")]))
    assert len(items) == 60
    assert all("filter[0][key]" not in str(r.url) for r in fake.requests)


def _serve(pages: list[dict[str, Any]]):
    """A transport answering the list with ``pages`` in turn (then the last one again)."""
    sent: list[httpx.URL] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request.url)
        return httpx.Response(200, json=pages[min(len(sent), len(pages)) - 1])

    return httpx.MockTransport(handle), sent


def _walk(transport: httpx.MockTransport, **overrides: Any) -> list[int]:
    async def main() -> list[int]:
        async with AsyncCustomerApi(settings(**overrides), transport=transport) as api:
            return [len(page.items) async for page in api.customers.pages()]

    return asyncio.run(main())


def _items(start: int, count: int) -> list[dict[str, Any]]:
    return [{"id": str(i)} for i in range(start, start + count)]


def test_a_cursor_that_runs_out_before_total_count_is_an_error() -> None:
    transport, _ = _serve(
        [
            {"data": _items(1, 10), "extra": {"totalCount": 30, "cursor": {"nextCursor": "MTA=", "size": 10}}},
            {"data": _items(11, 10), "extra": {"totalCount": 30, "cursor": {"nextCursor": "", "size": 10}}},
        ]
    )
    with pytest.raises(ListingError, match="no next cursor after 20 of 30 items"):
        _walk(transport)


def test_a_cursor_that_does_not_advance_is_an_error() -> None:
    stuck = {"totalCount": 99, "cursor": {"nextCursor": "MTA=", "size": 10}}
    transport, _ = _serve([{"data": _items(1, 10), "extra": stuck}, {"data": _items(11, 10), "extra": stuck}])
    with pytest.raises(ListingError, match="the cursor did not advance"):
        _walk(transport)


def test_without_total_count_a_list_ends_at_a_page_shorter_than_the_server_says() -> None:
    transport, sent = _serve(
        [
            {"data": _items(1, 20), "extra": {"page": {"number": 1, "size": 20}}},
            {"data": _items(21, 20), "extra": {"page": {"number": 2, "size": 20}}},
            {"data": _items(41, 3), "extra": {"page": {"number": 3, "size": 20}}},
        ]
    )
    assert _walk(transport) == [20, 20, 3]
    assert [u.params["page[size]"] for u in sent] == ["50", "20", "20"]


def test_a_total_count_that_is_not_a_count_is_a_response_error() -> None:
    from custsync.errors import ResponseError

    transport, _ = _serve([{"data": [], "extra": {"totalCount": "many"}}])
    with pytest.raises(ResponseError, match="totalCount is 'many'"):
        _walk(transport)


def test_a_server_refusing_page_numbers_is_asked_by_cursor_once_and_remembered() -> None:
    sent: list[httpx.URL] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request.url)
        if "page[number]" in request.url.params:
            return httpx.Response(400, json={"title": "Bad query", "messages": ["use cursor, not page[number]"]})
        start = int(request.url.params.get("cursor[nextCursor]", "0") or 0)
        following = str(start + 10) if start + 10 < 25 else ""
        extra = {"totalCount": 25, "cursor": {"nextCursor": following, "size": 10}}
        return httpx.Response(200, json={"data": _items(start + 1, min(10, 25 - start)), "extra": extra})

    async def main() -> tuple[list[int], list[int], dict[str, str]]:
        async with AsyncCustomerApi(settings(), transport=httpx.MockTransport(handle)) as api:
            first = [len(page.items) async for page in api.customers.pages()]
            second = [len(page.items) async for page in api.customers.pages()]
            return first, second, api.paging_styles

    first, second, styles = asyncio.run(main())
    assert first == second == [10, 10, 5]
    assert styles == {"customers": "cursor"}
    assert sum("page[number]" in url.params for url in sent) == 1  # refused once, then never asked again
    assert len(sent) == 7
