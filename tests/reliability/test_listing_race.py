"""Listings that cannot skip or double (issue 16 D1): customers deleted and created while an export lists page 10.

A transport in front of the client runs the race at the tenth customer list request: it deletes customers the
listing has already passed and some it has not reached yet, and creates new ones, straight in the sandbox's
store. A full export must hold exactly the customers that existed for the whole export (plus, at most, the new
ones); an incremental export must mark only customers that were really deleted, and keep every one that lives.
The quick profile (make test) caps the sandbox's pages at 10; the full one (make reliability) lists 600 customers
by pages of 50 and deletes 100 of them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from custsync.api import ApiSettings, CustomerApi, SlotTransport
from custsync.export import ExportOptions, export_snapshot, read_snapshot
from custsync.sandbox.seed import seed_store

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

RACE_AT = 10
"""The race runs just before this customer list request is sent."""


@dataclass(frozen=True)
class Race:
    customers: int
    page_cap: int | None
    page: int
    """Items per page the client actually gets."""
    delete_listed: int
    delete_unlisted: int
    create: int


QUICK = Race(customers=150, page_cap=10, page=10, delete_listed=20, delete_unlisted=10, create=10)
FULL = Race(customers=600, page_cap=None, page=50, delete_listed=70, delete_unlisted=30, create=30)


class RacingTransport(httpx.AsyncBaseTransport):
    """Sends through ``inner``; runs ``race`` once, before the ``at``-th GET of the customer list."""

    def __init__(self, inner: httpx.AsyncBaseTransport, at: int, race: Callable[[], None]) -> None:
        self.inner, self.at, self.race = inner, at, race
        self.lists = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/api/v2/customers":
            self.lists += 1
            if self.lists == self.at:
                self.race()
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def race(profile) -> Race:
    return FULL if profile.name == "full" else QUICK


def _ids(store) -> set[str]:
    _, rows = store.query("customers", [], [], "t.id ASC", 1_000_000, 0)
    return {str(r.id) for r in rows}


def _start(race: Race, sandbox_factory, seed: int):
    knobs = {"page_size_cap": race.page_cap} if race.page_cap else {}
    server = sandbox_factory(seed_customers=race.customers, seed=seed, **knobs)
    return server, _ids(server.store)


def _racer(server, race: Race, rng: random.Random, listed_before: int, deleted: set[str], created: set[str]):
    """Delete ``delete_listed`` customers among the first ``listed_before`` ids and ``delete_unlisted`` after them;
    create ``create`` new ones."""
    ordered = sorted(_ids(server.store), key=int)

    def run() -> None:
        done, pending = ordered[:listed_before], ordered[listed_before:]
        victims = rng.sample(done, race.delete_listed) + rng.sample(pending, race.delete_unlisted)
        for victim in victims:
            assert server.store.delete_customer(int(victim))
        deleted.update(victims)
        before = _ids(server.store)
        seed_store(server.store, race.create, seed=rng.randrange(1 << 30))
        created.update(_ids(server.store) - before)

    return run


def _api(server, transport: httpx.AsyncBaseTransport) -> CustomerApi:
    settings = ApiSettings(url=server.url, token=server.token, requests_per_minute=1e6)
    return CustomerApi(settings, transport=transport)


def _snapshot_ids(path: Path) -> set[str]:
    """The customer ids of a snapshot, checking that every address and contact belongs to one of them."""
    frames = read_snapshot(path).frames
    customers = frames["customers"]
    numbers = set(customers["number"])
    for name in ("addresses", "contacts"):
        assert set(frames[name]["customerNumber"]) <= numbers, f"{name} of customers not in the snapshot"
    return set(customers["id"])


def test_a_full_export_holds_exactly_the_customers_that_lived_throughout(race, sandbox_factory, tmp_path, seed):
    rng = random.Random(seed)
    server, initial = _start(race, sandbox_factory, seed)
    deleted: set[str] = set()
    created: set[str] = set()
    listed = (RACE_AT - 1) * race.page
    transport = RacingTransport(SlotTransport(8), RACE_AT, _racer(server, race, rng, listed, deleted, created))
    with _api(server, transport) as api:
        result = export_snapshot(api, ExportOptions(out=tmp_path / "out"))
    assert transport.lists >= RACE_AT, "the race never ran"
    assert len(deleted) == race.delete_listed + race.delete_unlisted
    ids = _snapshot_ids(result.path)
    lived = initial - deleted
    assert ids - created == lived, f"seed {seed}: missing {sorted(lived - ids, key=int)[:10]}, extra {ids - lived}"
    assert not ids & deleted
    assert result.changes.get("vanished", 0) <= race.delete_listed


def test_an_incremental_export_marks_only_the_really_deleted(race, sandbox_factory, tmp_path, seed):
    rng = random.Random(seed)
    server, initial = _start(race, sandbox_factory, seed)
    out = tmp_path / "out"
    with _api(server, SlotTransport(8)) as api:
        first = export_snapshot(api, ExportOptions(out=out))
    assert _snapshot_ids(first.path) == initial

    deleted: set[str] = set()
    created: set[str] = set()
    # the changed-customers query is one list request; the id listing follows, so request 10 is its page 9
    at = RACE_AT
    listed = (at - 2) * race.page
    transport = RacingTransport(SlotTransport(8), at, _racer(server, race, rng, listed, deleted, created))
    with _api(server, transport) as api:
        second = export_snapshot(api, ExportOptions(out=out, incremental=True, rolling_share=0))
    assert transport.lists >= at, "the race never ran"
    ids = _snapshot_ids(second.path)
    lived = initial - deleted
    assert lived <= ids, f"seed {seed}: live customers marked deleted: {sorted(lived - ids, key=int)[:10]}"
    assert (initial - ids) <= deleted, f"seed {seed}: marked deleted but alive: {(initial - ids) - deleted}"
    assert race.delete_unlisted <= second.changes["deleted"] <= len(deleted)
    assert ids <= initial | created
