"""A change another client makes while custsync applies is never absorbed into the state store (issue 16)."""

from __future__ import annotations

import asyncio

from custsync.apply import apply_plan
from custsync.reconcile import plan_sync
from custsync.state import StateStore

from .data import desired_frames


def run(coro):
    return asyncio.run(coro)


def sync(frames, remote, state_dir):
    with StateStore.open(state_dir, remote.base_url) as state:
        plan = run(plan_sync(frames, remote, state=state))
    return plan, run(apply_plan(plan, remote, state_dir=state_dir))


def test_an_outside_address_change_during_the_apply_is_seen_by_the_next_run(remote, tmp_path):
    frames = desired_frames(3)
    sync(frames, remote, tmp_path)
    customer_id = next(i for i, c in remote.customers.items() if c["number"] == "K0001")
    masterdata = next(
        a
        for a in remote.children["addresses"].values()
        if a["customer"]["id"] == customer_id and a["type"] == "masterdata"
    )
    patch = remote.update

    async def update_then_someone_else_edits(entity, record_id, body, *, parent_id=None):
        await patch(entity, record_id, body, parent_id=parent_id)
        if record_id == customer_id:  # another client, right after our write: its bump looks like ours
            masterdata["street"] = "Fremdweg 9"
            remote.customers[customer_id]["updatedAt"] = remote._now()

    remote.update = update_then_someone_else_edits
    changed = frames["customers"].copy()
    changed.loc[0, "contact.email"] = "neu@example.de"
    changed.attrs = dict(frames["customers"].attrs)
    plan, report = sync({**frames, "customers": changed}, remote, tmp_path)
    assert report.ok and len(plan.customers.updates) == 1 and masterdata["street"] == "Fremdweg 9"
    remote.update = patch

    again, report = sync({**frames, "customers": changed}, remote, tmp_path)
    assert [(u.customer_number, u.changes) for u in again.addresses.updates] == [
        ("K0001", {"street": ["Fremdweg 9", "Hauptstr. 0"]})
    ]
    assert report.ok and masterdata["street"] == "Hauptstr. 0"
    with StateStore.open(tmp_path, remote.base_url) as state:
        remote.counter.clear()
        assert run(plan_sync({**frames, "customers": changed}, remote, state=state)).operations == 0


def test_customers_the_run_created_are_not_listed_again(remote, tmp_path):
    frames = desired_frames(4)
    sync(frames, remote, tmp_path)
    remote.counter.clear()
    with StateStore.open(tmp_path, remote.base_url) as state:
        assert run(plan_sync(frames, remote, state=state)).operations == 0
    assert remote.calls()["total"] == 1
