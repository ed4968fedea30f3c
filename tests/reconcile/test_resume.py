"""Resuming a plan from the journal: done operations are skipped, a create left ``sent`` is looked up first."""

from __future__ import annotations

import asyncio

from custsync.apply import apply_plan
from custsync.apply.journal import DONE, SENT, Journal
from custsync.reconcile import plan_sync

from .data import desired_frames


def test_resume_skips_done_and_looks_up_sent_creates(remote, tmp_path):
    plan = asyncio.run(plan_sync(desired_frames(3), remote))
    first, second = plan.customers.creates[0], plan.customers.creates[1]
    # a previous run created the first customer and recorded it, and sent the second one but died before
    # recording the answer (the API has it)
    done_id = asyncio.run(remote.create("customers", first.body))
    asyncio.run(remote.create("customers", second.body))
    with Journal(tmp_path, plan.plan_id(), plan.meta.api_url) as journal:
        journal.plan([("customers:create:0", "customers", "create", first.key)])
        journal.plan([("customers:create:1", "customers", "create", second.key)])
        journal.mark("customers:create:0", DONE, result_id=done_id)
        journal.mark("customers:create:1", SENT)
    remote.counter.clear()
    report = asyncio.run(apply_plan(plan, remote, state_dir=tmp_path))
    assert report.ok and report.resumed == 1
    assert remote.counter["POST"] == 1 + 6 + 3  # the third customer, 6 addresses, 3 contacts
    assert sorted(c["number"] for c in remote.customers.values()) == ["K0001", "K0002", "K0003"]
    again = asyncio.run(apply_plan(plan, remote, state_dir=tmp_path))
    assert again.ok and again.resumed == plan.operations
