"""No null for a member the API takes no null for: per field a validation error or "no change", shown in the plan."""

from __future__ import annotations

import asyncio

import pandas as pd

from custsync.apply import apply_plan
from custsync.model import ADDRESSES, CONTACTS, CUSTOMERS, ENTITIES, validate_frames
from custsync.reconcile import PlanOptions, plan_sync
from custsync.reconcile.desired import Desired, inferred_columns
from custsync.reconcile.nulls import keep_when_empty

from .data import desired_frames


def test_the_decision_per_field() -> None:
    assert set(keep_when_empty(CONTACTS)) == {"type", "birthdayShowInCalendar", "sendBirthdayCard", "marketingBan"}
    assert set(keep_when_empty(CUSTOMERS)) == {"firstname", "lastname", "name", "lead.isLead"}
    assert keep_when_empty(ADDRESSES) == ()  # type and primary data are required: empty is a validation error


def with_columns(frames, entity: str, **values) -> dict:
    return {**frames, entity: frames[entity].assign(**values)}


def provided(frames, **columns) -> Desired:
    """The frames, declaring ``columns`` provided besides those holding a value (an all-empty column is too)."""
    declared = {name: [*inferred_columns(ENTITIES[name], f), *columns.get(name, ())] for name, f in frames.items()}
    return Desired.of(frames, provided=declared)


def sync(frames, remote, tmp_path):
    plan = asyncio.run(plan_sync(frames, remote, options=PlanOptions(full=True)))
    assert asyncio.run(apply_plan(plan, remote, state_dir=tmp_path)).ok
    return plan


def test_empty_cells_of_non_nullable_members_change_nothing_and_are_counted(remote, tmp_path) -> None:
    first = desired_frames(2)
    first = with_columns(first, "contacts", type=["mr", "mrs"], marketingBan=pd.array([True, False]))
    first = with_columns(first, "customers", **{"lead.isLead": pd.array([True, True]), "lead.status": ["a", "b"]})
    sync(first, remote, tmp_path)

    emptied = with_columns(desired_frames(2), "contacts", type=[None, "mrs"], marketingBan=pd.array([None, False]))
    emptied = with_columns(emptied, "customers", **{"lead.isLead": pd.array([None, True]), "lead.status": [None, None]})
    plan = asyncio.run(plan_sync(provided(emptied, customers=["lead.status"]), remote, options=PlanOptions(full=True)))
    assert plan.contacts.updates == []
    assert plan.contacts.kept_empty == {"type": 1, "marketingBan": 1}
    assert plan.customers.kept_empty == {"lead.isLead": 1, "lead.status": 1}
    [update] = plan.customers.updates  # the second: its status is cleared, sent with its isLead
    assert update.body == {"lead": {"isLead": True, "status": None}}
    assert asyncio.run(apply_plan(plan, remote, state_dir=tmp_path)).ok  # the fake judges every body


def test_a_lead_status_without_is_lead_is_a_validation_error() -> None:
    frame = CUSTOMERS.conform(
        pd.DataFrame({"number": ["K1"], "customerType": ["company"], "name": ["A"], "lead.status": ["hot"]})
    )
    result = validate_frames({"customers": frame})
    assert "requires_lead_isLead" in " ".join(result.failures["rule"].astype(str))


def test_an_address_without_its_primary_data_is_a_validation_error() -> None:
    frame = ADDRESSES.conform(pd.DataFrame({"customerNumber": ["K1"], "type": ["masterdata"], "country": ["DE"]}))
    result = validate_frames({"addresses": frame})
    failed = set(result.failures["column"].astype(str))
    assert {"name", "street", "zip", "city"} <= failed
