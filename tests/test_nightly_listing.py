"""Nightly runs list only what changed — and miss nothing another client did (issue 18), against the sandbox
over HTTP with whole-second ``updatedAt`` stamps, as many ERPs keep them.

Between the nights another client edits, creates and deletes customers directly in the API, once in the very
second custsync writes the same customer. Every run must plan what a full listing would: the edits are put back,
the deleted customer is created again (after a full listing the run says it fell back to), nothing is missed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest
import time_machine
from typer.testing import CliRunner

from custsync import pipeline
from custsync.api import ApiSettings, CustomerApi
from custsync.cli import app

pytestmark = pytest.mark.integration

N = 120  # above two pages: a smaller API is listed whole, which is as cheap
FAST = ["--requests-per-minute", "100000"]
NIGHT = 3.1
"""Seconds between two runs, so that the stamps one run reads are settled for the next: a second's resolution,
a second of overlap, and the server's ``Date`` header, which may lag its clock by up to a second."""


def source(directory: Path, *, credit: dict[str, float] | None = None) -> Path:
    numbers = [f"K{i:03d}" for i in range(1, N + 1)]
    customers = pd.DataFrame(
        {
            "number": numbers,
            "customerType": "company",
            "name": [f"Firma {i} GmbH" for i in range(N)],
            "contact.email": [f"info{i}@firma.de" for i in range(N)],
            "financial.creditLimit": [(credit or {}).get(n, 1000.0) for n in numbers],
        }
    )
    addresses = pd.DataFrame(
        {
            "customerNumber": numbers,
            "type": "masterdata",
            "name": [f"Firma {i} GmbH" for i in range(N)],
            "street": [f"Hauptstr. {i}" for i in range(N)],
            "zip": "10115",
            "city": "Berlin",
            "country": "DE",
        }
    )
    contacts = pd.DataFrame({"customerNumber": numbers, "name": [f"Anna {i}" for i in range(N)]})
    directory.mkdir(parents=True, exist_ok=True)
    customers.to_csv(directory / "customers.csv", index=False)
    addresses.to_csv(directory / "addresses.csv", index=False)
    contacts.to_csv(directory / "contacts.csv", index=False)
    return directory


@pytest.fixture
def server(sandbox_factory):
    return sandbox_factory(whole_second_stamps=True)


@pytest.fixture
def cli(server, monkeypatch, tmp_path):
    monkeypatch.setenv("CUSTSYNC_API_URL", server.url)
    monkeypatch.setenv("CUSTSYNC_API_TOKEN", server.token)
    runner = CliRunner()
    state = tmp_path / "state"

    def run(*args: str, as_json: bool = True):
        time.sleep(NIGHT)
        result = runner.invoke(app, [*args, *FAST, "--state-dir", str(state), *(["--json"] if as_json else [])])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout) if as_json else result.output

    run.state = state
    return run


def other_client(server) -> CustomerApi:
    return CustomerApi(ApiSettings(url=server.url, token=server.token, requests_per_minute=100000))


def customer(api: CustomerApi, number: str) -> dict:
    return api.customers.find_by_number(number)


def masterdata(api: CustomerApi, customer_id: str) -> dict:
    return next(a for a in api.addresses(customer_id).list() if a["type"] == "masterdata")


def ops(out: dict, entity: str) -> tuple[int, int, int]:
    return out[entity]["create"], out[entity]["update"], out[entity]["delete"]


def test_outside_changes_between_nightly_runs_are_all_seen(server, cli, tmp_path):
    folder = source(tmp_path / "export")
    first = cli("sync", str(folder))
    assert first["ok"] and ops(first, "customers") == (N, 0, 0)
    assert first["listing"]["strategy"] == "full"
    second = cli("sync", str(folder))
    assert second["listing"]["strategy"] == "incremental" and all(
        ops(second, e) == (0, 0, 0) for e in ("customers", "addresses", "contacts")
    )
    quiet = cli("sync", str(folder))
    assert quiet["listing"]["strategy"] == "incremental"
    # census and the changed since (the newest few): nothing else
    assert quiet["calls"]["GET"] <= 4, (second["calls"], quiet["listing"], quiet["calls"])

    with other_client(server) as api:  # another client, between two nightly runs
        edited = customer(api, "K005")
        api.customers.update(edited["id"], {"contact": {"email": "fremd@example.de"}})
        moved = customer(api, "K007")
        api.addresses(moved["id"]).update(masterdata(api, moved["id"])["id"], {"street": "Fremdweg 7"})
        api.customers.create({"number": "X001", "type": "company", "name": "Fremd GmbH"})

    night = cli("sync", str(folder))
    assert night["listing"]["strategy"] == "incremental", night["listing"]
    assert ops(night, "customers") == (0, 1, 0) and ops(night, "addresses") == (0, 1, 0)
    assert night["calls"]["GET"] < 12, night["calls"]  # a full listing alone would take 3 + 2 per customer
    with other_client(server) as api:
        assert customer(api, "K005")["contact"]["email"] == "info4@firma.de"
        assert masterdata(api, customer(api, "K007")["id"])["street"] == "Hauptstr. 6"
        assert customer(api, "X001")["name"] == "Fremd GmbH"  # not the source's: an upsert leaves it alone

    with other_client(server) as api:
        api.customers.delete(customer(api, "K020")["id"])
    after_delete = cli("sync", str(folder))
    assert after_delete["listing"]["strategy"] == "full"
    assert "1 customer(s) were deleted outside custsync" in after_delete["listing"]["reason"]
    assert ops(after_delete, "customers") == (1, 0, 0)
    assert cli("sync", str(folder))["listing"]["strategy"] == "incremental"

    with other_client(server) as api:
        api.customers.delete(customer(api, "K021")["id"])
    printed = cli("plan", str(folder), as_json=False)
    assert "every customer listed" in printed and "deleted outside custsync" in printed, printed


class SameSecond(httpx.AsyncBaseTransport):
    """custsync's transport, with another client editing customer ``target`` right after custsync's PATCH of
    it returns — within the same second (the clock stands still meanwhile), so the two writes share one
    whole-second ``updatedAt``."""

    def __init__(self, server, target_id: str, address_id: str) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.server, self.target, self.address = server, target_id, address_id
        self.second: str | None = None
        self.customer_path = f"/api/v2/customers/{target_id}"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        ours = request.method == "PATCH" and request.url.path.endswith(f"/customers/{self.target}")
        if not ours:
            return await self.inner.handle_async_request(request)
        now = dt.datetime.now(dt.UTC)
        with time_machine.travel(now, tick=False):  # the sandbox's clock too: it runs in this process
            response = await self.inner.handle_async_request(request)
            await response.aread()
            headers = {"Authorization": f"Bearer {self.server.token}"}
            async with httpx.AsyncClient(base_url=self.server.url, headers=headers) as other:
                address = f"{self.customer_path}/addresses/{self.address}"
                moved = await other.patch(address, json={"street": "Zugleich 1"})
                edited = await other.patch(self.customer_path, json={"contact": {"email": "zugleich@example.de"}})
                moved.raise_for_status()
                edited.raise_for_status()
        self.second = now.replace(microsecond=0).isoformat(timespec="microseconds")
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_an_edit_in_the_same_second_as_custsyncs_own_write_is_seen_by_the_next_run(server, cli, tmp_path):
    folder = source(tmp_path / "export")
    cli("sync", str(folder))
    cli("sync", str(folder))  # the watermark is past the creates now
    with other_client(server) as api:
        target = customer(api, "K010")
        address = masterdata(api, target["id"])["id"]
    changed = source(tmp_path / "changed", credit={"K010": 2500.0})
    transport = SameSecond(server, target["id"], address)
    connection = pipeline.Connection(
        ApiSettings(url=server.url, token=server.token, requests_per_minute=100000), transport=lambda _: transport
    )
    loaded = pipeline.load([changed])
    synced = asyncio.run(
        pipeline.sync(loaded.desired, connection, options=pipeline.plan_options(), state_dir=cli.state)
    )
    assert synced.plan.listing.strategy == "incremental"
    assert [u.key for u in synced.plan.customers.updates] == ["K010"]
    assert synced.applied is not None and synced.applied.report.ok
    with other_client(server) as api:  # custsync's write and the other client's share one stamp
        assert customer(api, "K010")["updatedAt"] == transport.second

    seen = cli("sync", str(changed))
    assert seen["listing"]["strategy"] == "incremental"
    assert ops(seen, "customers") == (0, 1, 0) and ops(seen, "addresses") == (0, 1, 0)
    with other_client(server) as api:
        back = customer(api, "K010")
        assert masterdata(api, back["id"])["street"] == "Hauptstr. 9"
        assert back["contact"]["email"] == "info9@firma.de"


@pytest.mark.parametrize(
    ("operator", "reason"),
    [
        ("greaterThan", None),
        (None, "refuses updatedAt filters"),
        ("greaterThanOrEqual", "answered 400 to the filter updatedAt greaterThanOrEqual"),
    ],
    ids=["strict-v1-operator", "known-refused", "refused-now"],
)
def test_the_filter_is_asked_as_the_doctor_found_it_and_a_refusal_lists_every_customer(
    server, cli, doctor_found, tmp_path, operator, reason
):
    folder = source(tmp_path / "export")
    cli("sync", str(folder))
    doctor_found(cli.state, server.url, operator)
    with other_client(server) as api:
        edited = customer(api, "K033")
        api.customers.update(edited["id"], {"contact": {"email": "fremd@example.de"}})
    night = cli("sync", str(folder))
    assert ops(night, "customers") == (0, 1, 0)
    if reason is None:
        assert night["listing"]["strategy"] == "incremental"
    else:
        assert night["listing"]["strategy"] == "full" and reason in night["listing"]["reason"]
    if operator == "greaterThanOrEqual":  # refused once and remembered: the next run does not ask again
        again = cli("sync", str(folder))
        assert again["listing"]["strategy"] == "full" and "refuses updatedAt filters" in again["listing"]["reason"]
