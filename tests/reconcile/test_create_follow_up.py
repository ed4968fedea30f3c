"""A new customer is created in the shape of the spec's create body; the rest follows in a PATCH that is
journaled as part of the create, so a run killed between the two resumes with the PATCH only."""

from __future__ import annotations

import asyncio

import pytest

from custsync.apply import apply_plan
from custsync.apply.executor import follow_up_id
from custsync.apply.journal import DONE, Journal
from custsync.reconcile import PlanOptions, plan_sync

from .data import desired_frames


class Killed(BaseException):
    """Stands in for the process dying: not an Exception, so nothing in the executor catches it."""


def test_create_body_is_the_spec_shape_and_the_rest_follows(remote, tmp_path):
    plan = asyncio.run(plan_sync(desired_frames(2), remote))
    create = plan.customers.creates[0]
    assert create.body["type"] in ("person", "company") and "customerType" not in create.body
    assert "financial" not in create.body and "shipping" not in create.body
    assert create.then == {
        "financial": {"creditLimit": 1000.0, "paymentTerms": {"days": 14}},
        "shipping": {"deliveryBan": False},
    }
    assert plan.customers.write_calls == 2 * len(plan.customers.creates)
    report = asyncio.run(apply_plan(plan, remote, state_dir=tmp_path))
    assert report.ok
    assert remote.counter["POST"] == 2 + 4 + 2 and remote.counter["PATCH"] == 2  # the follow-ups
    stored = next(c for c in remote.customers.values() if c["number"] == create.key)
    assert stored["financial"]["creditLimit"] == 1000.0 and stored["customerType"] == create.body["type"]
    again = asyncio.run(plan_sync(desired_frames(2), remote, options=PlanOptions(full=True)))
    assert again.operations == 0


def test_a_target_taking_the_full_body_gets_one_call(remote):
    plan = asyncio.run(plan_sync(desired_frames(2), remote, options=PlanOptions(full_create_body=True)))
    create = plan.customers.creates[0]
    assert create.then == {} and create.body["financial"]["creditLimit"] == 1000.0 and "type" in create.body
    assert plan.customers.write_calls == len(plan.customers.creates)


def test_a_run_killed_between_create_and_patch_resumes_with_the_patch(remote, tmp_path):
    plan = asyncio.run(plan_sync(desired_frames(1), remote))
    real_update = remote.update

    async def dying_update(*args, **kwargs):
        raise Killed

    remote.update = dying_update
    with pytest.raises(Killed):
        asyncio.run(apply_plan(plan, remote, state_dir=tmp_path))
    assert len(remote.customers) == 1 and remote.counter["PATCH"] == 0
    with Journal(tmp_path, plan.plan_id(), plan.meta.api_url) as journal:
        entries = journal.entries()
    assert entries["customers:create:0"].status == DONE
    assert entries[follow_up_id("customers:create:0")].status != DONE

    remote.update = real_update
    posts = remote.counter["POST"]
    report = asyncio.run(apply_plan(plan, remote, state_dir=tmp_path))
    assert report.ok
    assert len(remote.customers) == 1, "never a second customer"
    assert remote.counter["POST"] - posts == 2 + 1  # its two addresses and its contact: no customer POST
    assert remote.counter["PATCH"] == 1
    assert next(iter(remote.customers.values()))["financial"]["creditLimit"] == 1000.0


def test_a_failed_follow_up_is_reported_and_its_customer_still_gets_its_addresses(remote, tmp_path):
    plan = asyncio.run(plan_sync(desired_frames(1), remote))
    from custsync.errors import RequestValidationError

    async def refusing_update(*args, **kwargs):
        raise RequestValidationError("invalid", status=400, problem={})

    remote.update = refusing_update
    report = asyncio.run(apply_plan(plan, remote, state_dir=tmp_path))
    assert not report.ok
    assert [f.kind for f in report.failures] == ["create"]
    assert "follow-up PATCH failed" in report.failures[0].message
    assert len(remote.children["addresses"]) == 2
