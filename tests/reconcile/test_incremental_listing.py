"""Incremental customer listing (issue 18) against the in-memory remote: a nightly run fetches only what can
have changed, plans exactly what a full listing would, and lists fully — saying why — when it cannot know."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from pathlib import Path

import pytest

from custsync.apply import apply_plan
from custsync.errors import RequestValidationError
from custsync.reconcile import Mode, Plan, PlanOptions, Scope, plan_sync
from custsync.state import StateStore

from .data import desired_frames

NIGHT = dt.timedelta(days=1)
N = 150  # more than a full listing's two pages: below that a full listing is as cheap and is what runs


def run(coro):
    return asyncio.run(coro)


def plan(frames, remote, state_dir: Path, **options) -> Plan:
    with StateStore.open(state_dir, remote.base_url) as state:
        return run(plan_sync(frames, remote, options=PlanOptions(**options), state=state))


def sync(frames, remote, state_dir: Path, **options) -> Plan:
    made = plan(frames, remote, state_dir, **options)
    assert run(apply_plan(made, remote, state_dir=state_dir)).ok
    remote.later(NIGHT)
    return made


def operations(made: Plan) -> dict[str, list[tuple[str, str, object]]]:
    """What a plan sends, comparable between two plans."""
    return {
        e.entity: sorted(
            [("create", c.key, repr(c.body)) for c in e.creates]
            + [("update", u.key, repr(u.body)) for u in e.updates]
            + [("delete", d.key, d.id) for d in e.deletes]
        )
        for e in made.entities
    }


def settled(remote, tmp_path: Path, frames) -> None:
    """Two nights: the first creates everything, the second lists the new customers once more (they are newer
    than the first listing), after which the watermark is past them."""
    sync(frames, remote, tmp_path)
    assert sync(frames, remote, tmp_path).listing.strategy == "incremental"


def test_a_quiet_night_costs_three_calls_and_plans_nothing(remote, tmp_path):
    frames = desired_frames(N)
    first = plan(frames, remote, tmp_path)
    assert first.listing.strategy == "full" and "no complete listing" in (first.listing.reason or "")
    settled(remote, tmp_path, frames)
    remote.counter.clear()
    quiet = plan(frames, remote, tmp_path)
    assert quiet.operations == 0
    assert quiet.listing.strategy == "incremental"
    assert quiet.counts()["customers"]["unchanged"] == N
    # the census (a page of size 1) and the customers changed since the watermark (the last one created sits at it)
    assert remote.calls()["GET"] == 2, quiet.listing.summary()


def test_changed_source_rows_are_looked_up_by_number_and_nothing_else_is_fetched(remote, tmp_path):
    frames = desired_frames(N)
    settled(remote, tmp_path, frames)
    customers = frames["customers"].copy()
    customers.loc[[3, 70, 140], "contact.email"] = ["a@neu.de", "b@neu.de", "c@neu.de"]
    addresses = frames["addresses"].copy()
    addresses.loc[5, "street"] = "Neuer Weg 5"
    changed = {**frames, "customers": customers, "addresses": addresses}
    remote.counter.clear()
    nightly = plan(changed, remote, tmp_path)
    assert nightly.listing.strategy == "incremental"
    assert nightly.listing.counts["looked_up"] == 3
    assert remote.calls()["GET"] == 2 + 1 + 1  # census and changed since, 3 numbers in one call, 1 address list
    assert operations(nightly) == operations(plan(changed, remote, tmp_path, full=True))
    assert len(nightly.customers.updates) == 3 and len(nightly.addresses.updates) == 1


def test_outside_edits_and_creates_are_seen_and_an_outside_delete_falls_back_to_a_full_listing(remote, tmp_path):
    frames = desired_frames(N)
    settled(remote, tmp_path, frames)
    by_number = {c["number"]: c for c in remote.customers.values()}
    by_number["K0010"]["contact"] = {"email": "fremd@example.de"}
    by_number["K0010"]["updatedAt"] = remote._now()
    run(remote.create("customers", {"number": "X0001", "type": "company", "name": "Fremd GmbH"}))

    edited = plan(frames, remote, tmp_path)
    assert edited.listing.strategy == "incremental"
    assert [(u.key, u.changes) for u in edited.customers.updates] == [
        ("K0010", {"contact.email": ["fremd@example.de", "info9@example.de"]})
    ]
    assert operations(edited) == operations(plan(frames, remote, tmp_path, full=True))

    gone = by_number["K0020"]["id"]
    run(remote.delete("customers", gone))
    remote.counter.clear()
    after_delete = plan(frames, remote, tmp_path)
    assert after_delete.listing.strategy == "full"
    assert "1 customer(s) were deleted outside custsync" in after_delete.listing.reason
    assert [c.key for c in after_delete.customers.creates] == ["K0020"]
    assert [u.key for u in after_delete.customers.updates] == ["K0010"]
    assert remote.calls()["GET"] >= 1 + 1 + 4  # the wasted census and changed-since, then every customer


def test_a_customer_renumbered_outside_is_not_taken_for_unchanged(remote, tmp_path):
    frames = desired_frames(N)
    settled(remote, tmp_path, frames)
    customer = next(c for c in remote.customers.values() if c["number"] == "K0042")
    customer["number"], customer["updatedAt"] = "K9042", remote._now()
    nightly = plan(frames, remote, tmp_path)
    assert nightly.listing.strategy == "incremental"
    assert [c.key for c in nightly.customers.creates] == ["K0042"]
    assert operations(nightly) == operations(plan(frames, remote, tmp_path, full=True))


def test_a_difference_the_mode_left_is_fetched_again_by_the_next_run(remote, tmp_path):
    frames = desired_frames(N)
    settled(remote, tmp_path, frames)
    customers = frames["customers"].copy()
    customers.loc[7, "contact.email"] = "spaeter@example.de"
    changed = {**frames, "customers": customers}
    insert_only = sync(changed, remote, tmp_path, mode=Mode.INSERT)
    assert insert_only.customers.skipped == 1 and insert_only.operations == 0
    upsert = plan(changed, remote, tmp_path)
    assert upsert.listing.strategy == "incremental"
    assert [u.key for u in upsert.customers.updates] == ["K0008"]


def test_mirror_and_full_list_every_customer_and_a_dry_run_leaves_the_watermark(remote, tmp_path):
    frames = desired_frames(N)
    settled(remote, tmp_path, frames)
    assert plan(frames, remote, tmp_path, full=True).listing.reason == "--full"
    mirror = plan(frames, remote, tmp_path, mode=Mode.MIRROR, scope=Scope.parse("all"))
    assert mirror.listing.strategy == "full" and "mirror" in mirror.listing.reason
    with StateStore.open(tmp_path, remote.base_url) as state:
        before = state.watermark()
    plan(frames, remote, tmp_path)  # planned, never applied
    with StateStore.open(tmp_path, remote.base_url) as state:
        assert state.watermark() == before


def test_a_small_api_is_listed_whole(remote, tmp_path):
    frames = desired_frames(6)
    sync(frames, remote, tmp_path)
    remote.counter.clear()
    small = plan(frames, remote, tmp_path)
    assert small.listing.strategy == "full" and "at most 100 customers" in small.listing.reason
    assert remote.calls()["GET"] == 1


@pytest.mark.parametrize("seed", range(6))
def test_random_outside_and_source_changes_plan_what_a_full_listing_plans(remote, tmp_path, seed):
    rng = random.Random(seed)
    frames = desired_frames(N)
    settled(remote, tmp_path, frames)
    strategies = []
    for night in range(3):
        customers = frames["customers"].copy()
        for row in rng.sample(range(N), 4):
            customers.loc[row, "financial.creditLimit"] = float(rng.randint(1, 9999))
        frames = {**frames, "customers": customers}
        live = list(remote.customers.values())
        for record in rng.sample(live, 3):  # another client edits, creates, and now and then deletes
            record["contact"] = {"email": f"x{rng.randint(1, 999)}@fremd.de"}
            record["updatedAt"] = remote._now()
        run(remote.create("customers", {"number": f"X{seed}{night}", "type": "company", "name": "Fremd"}))
        if rng.random() < 0.5:
            run(remote.delete("customers", rng.choice(live)["id"]))
        made = plan(frames, remote, tmp_path)
        strategies.append(made.listing.strategy)
        assert operations(made) == operations(plan(frames, remote, tmp_path, full=True)), made.listing.summary()
        assert run(apply_plan(made, remote, state_dir=tmp_path)).ok
        remote.later(NIGHT)
        assert plan(frames, remote, tmp_path, full=True).operations == 0
    assert "incremental" in strategies


def test_a_target_that_cannot_answer_the_incremental_questions_is_listed_whole_and_the_run_says_why(remote, tmp_path):
    frames = desired_frames(N)
    settled(remote, tmp_path, frames)
    customers = frames["customers"].copy()
    customers.loc[2, "contact.email"] = "neu@example.de"
    changed = {**frames, "customers": customers}

    async def refused(mark):
        return "the target answered 400 to the filter updatedAt greaterThanOrEquals"

    async def no_total():
        return None

    async def no_in(column, values):
        raise RequestValidationError("unknown operator", status=400)

    for name, stand_in, why in (
        ("customers_since", refused, "answered 400 to the filter updatedAt"),
        ("count_customers", no_total, "does not report totalCount"),
        ("customers_where", no_in, "refused the lookup by number"),
    ):
        original = getattr(remote, name)
        setattr(remote, name, stand_in)
        made = plan(changed, remote, tmp_path)
        setattr(remote, name, original)
        assert made.listing.strategy == "full" and why in made.listing.reason, made.listing.reason
        assert [u.key for u in made.customers.updates] == ["K0003"]
        assert made.listing.summary()["reason"] == made.listing.reason


def test_a_saved_plan_carries_its_listing_to_the_apply_and_an_older_plan_file_still_loads(remote, tmp_path):
    frames = desired_frames(N)
    sync(frames, remote, tmp_path)
    made = plan(frames, remote, tmp_path)
    made.save(tmp_path / "plan.json")
    loaded = Plan.load(tmp_path / "plan.json")
    assert loaded.listing == made.listing and loaded.listing.strategy == "incremental"
    assert run(apply_plan(loaded, remote, state_dir=tmp_path)).ok
    with StateStore.open(tmp_path, remote.base_url) as state:
        assert state.watermark() == made.listing.watermark

    older = made.to_dict()
    del older["listing"]
    del older["synced"]["customer_hash"]
    old = Plan.from_dict(older)
    assert old.listing.strategy == "full" and not old.listing.complete and old.listing.watermark is None
    assert old.synced["customer_hash"] == [None] * len(old.synced["number"])


def test_a_whole_second_stamp_read_in_its_own_second_is_not_trusted(remote, tmp_path):
    """The creates and the re-read of their stamps fall into one second; another client then edits an address
    in that same second, which leaves the customer's whole-second stamp as it was. The next run must still
    list that customer's addresses: a stamp read within its own second proves nothing about later changes."""
    remote.whole_seconds = True
    frames = desired_frames(N)
    made = plan(frames, remote, tmp_path)
    assert run(apply_plan(made, remote, state_dir=tmp_path)).ok
    owner = next(c["id"] for c in remote.customers.values() if c["number"] == "K0003")
    address = next(a for a in remote.children["addresses"].values() if a["customer"]["id"] == owner)
    address["street"] = "Im selben Moment 1"  # same second: the customer's stamp cannot move
    remote.later(NIGHT)
    after = plan(frames, remote, tmp_path)
    assert [(u.customer_number, u.changes) for u in after.addresses.updates] == [
        ("K0003", {"street": ["Im selben Moment 1", address_street(frames, "K0003", address["type"])]})
    ]


def address_street(frames, number: str, kind: str) -> str:
    rows = frames["addresses"]
    return rows[(rows["customerNumber"] == number) & (rows["type"] == kind)]["street"].iloc[0]
