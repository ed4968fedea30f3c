"""Contacts keyed by e-mail (``PlanOptions.contact_key``), and ``groups`` compared as a set of ids."""

from __future__ import annotations

import asyncio
import json

import pandas as pd
import pytest

from custsync.apply import apply_plan
from custsync.apply.lookup import find_created
from custsync.errors import PlanError
from custsync.model import CONTACTS, CUSTOMERS
from custsync.reconcile import Mode, Plan, PlanOptions, Scope, plan_sync
from custsync.reconcile.keys import SEP, contact_keys
from custsync.reconcile.normalise import normalise_column
from custsync.reconcile.plan import Create
from custsync.state import StateStore

from .data import desired_frames


def run(coro):
    return asyncio.run(coro)


def plan(frames, remote, tmp_path, **options) -> Plan:
    with StateStore.open(tmp_path, remote.base_url) as state:
        return run(plan_sync(frames, remote, options=PlanOptions(**options), state=state))


def sync(frames, remote, tmp_path, **options) -> Plan:
    made = plan(frames, remote, tmp_path, **options)
    assert run(apply_plan(made, remote, state_dir=tmp_path)).ok
    return made


def renamed(frames: dict[str, pd.DataFrame], row: int, name: str) -> dict[str, pd.DataFrame]:
    contacts = frames["contacts"].copy()
    contacts.loc[row, "name"] = name
    return {**frames, "contacts": contacts}


def test_contact_keys_by_email_are_case_blind_and_ignore_the_name():
    frame = CONTACTS.conform(
        pd.DataFrame(
            {
                "customerNumber": ["K1", "K1", "K2"],
                "name": ["Anna", "Bernd", "Anna"],
                "contact.email": [" Anna@X.de", "bernd@x.de", None],
            }
        )
    )
    assert contact_keys(frame, "email").tolist() == [f"K1{SEP}anna@x.de", f"K1{SEP}bernd@x.de", f"K2{SEP}"]
    assert contact_keys(frame).tolist() == [f"K1{SEP}anna", f"K1{SEP}bernd", f"K2{SEP}anna"]


def test_renamed_contact_is_patched_when_keyed_by_email(remote, tmp_path):
    frames = desired_frames(3)
    sync(frames, remote, tmp_path)
    before = set(remote.children["contacts"])
    remote.sent.clear()

    made = sync(renamed(frames, 1, "Anna Neu-Name"), remote, tmp_path, contact_key="email")
    assert made.meta.contact_key == "email"
    assert made.counts()["contacts"] | {"unchanged": 0} == {
        "create": 0,
        "update": 1,
        "delete": 0,
        "unchanged": 0,
        "skipped": 0,
    }
    assert made.contacts.updates[0].body == {"name": "Anna Neu-Name"}
    assert remote.sent == [("PATCH", "contacts", {"name": "Anna Neu-Name"})]
    assert set(remote.children["contacts"]) == before


def test_renamed_contact_is_a_new_contact_when_keyed_by_name(remote, tmp_path):
    frames = desired_frames(3)
    sync(frames, remote, tmp_path)
    made = plan(renamed(frames, 1, "Anna Neu-Name"), remote, tmp_path, mode=Mode.MIRROR, scope=Scope.parse("all"))
    counts = made.counts()["contacts"]
    assert (counts["create"], counts["update"], counts["delete"]) == (1, 0, 1)


def test_email_key_refuses_a_contact_without_email_before_any_call(remote, tmp_path):
    frames = desired_frames(3)
    contacts = frames["contacts"].copy()
    contacts.loc[2, "contact.email"] = None
    with pytest.raises(PlanError, match="K0003") as raised:
        plan({**frames, "contacts": contacts}, remote, tmp_path, contact_key="email")
    assert "Anna 2" in str(raised.value) and "--contact-key name" in (raised.value.hint or "")
    assert remote.calls()["total"] == 0


def test_email_key_refuses_two_contacts_of_a_customer_with_one_email(remote, tmp_path):
    frames = desired_frames(2)
    twin = frames["contacts"].iloc[[0]].assign(name="Anna Zwilling", **{"contact.email": "ANNA0@example.de"})
    contacts = pd.concat([frames["contacts"], twin], ignore_index=True)
    with pytest.raises(PlanError, match="share an e-mail") as raised:
        plan({**frames, "contacts": contacts}, remote, tmp_path, contact_key="email")
    assert "K0001" in str(raised.value) and "anna0@example.de" in str(raised.value)
    other_customer = frames["contacts"].iloc[[0]].assign(customerNumber="K0002", name="Anna Zwilling")
    contacts = pd.concat([frames["contacts"], other_customer], ignore_index=True)
    assert (
        plan({**frames, "contacts": contacts}, remote, tmp_path, contact_key="email").counts()["contacts"]["create"]
        == 3
    )


def test_unknown_contact_key_is_refused(remote, tmp_path):
    with pytest.raises(PlanError, match="unknown contact key"):
        plan(desired_frames(1), remote, tmp_path, contact_key="phone")


def test_plan_file_records_the_contact_key_and_old_plans_keep_their_digest(remote, tmp_path):
    path = tmp_path / "plan.json"
    plan(desired_frames(2), remote, tmp_path, contact_key="email").save(path)
    assert Plan.load(path).meta.contact_key == "email"

    plan(desired_frames(2), remote, tmp_path).save(path)
    data = json.loads(path.read_text())
    del data["meta"]["contact_key"]  # a plan saved before the option existed
    path.write_text(json.dumps(data))
    assert Plan.load(path).meta.contact_key == "name"


def test_resume_lookup_finds_a_renamed_contact_only_by_email(remote, tmp_path):
    frames = desired_frames(1)
    sync(frames, remote, tmp_path)
    customer_id = next(iter(remote.customers))
    contact_id = next(iter(remote.children["contacts"]))
    op = Create(
        key="K0001/Anna Neu",
        body={"name": "Anna Neu", "contact": {"email": "ANNA0@example.de"}},
        customer_number="K0001",
    )
    assert run(find_created(remote, "contacts", op, customer_id, contact_key="email")) == contact_id
    assert run(find_created(remote, "contacts", op, customer_id)) is None


def test_groups_compare_as_a_set_of_ids():
    values = pd.Series([" 3, 1,,3 ", "10,2", "2,10", None, ""], dtype=CUSTOMERS.dtypes["groups"])
    normalised = normalise_column(CUSTOMERS, "groups", values)
    assert normalised.iloc[:3].tolist() == ["1,3", "2,10", "2,10"]
    assert normalised.iloc[3:].isna().all()


def test_groups_in_another_order_are_not_a_change(remote, tmp_path):
    frames = desired_frames(3)
    customers = frames["customers"].copy()
    customers["groups"] = pd.Series(["1,2", "5", "2,10"], dtype=customers["groups"].dtype)
    frames = {**frames, "customers": customers}
    sync(frames, remote, tmp_path)
    for record in remote.customers.values():
        record["groups"] = list(reversed(record["groups"]))
    assert plan(frames, remote, tmp_path, full=True).operations == 0
    next(iter(remote.customers.values()))["groups"] = ["1", "3"]
    changed = plan(frames, remote, tmp_path, full=True)
    assert [u.changes for u in changed.customers.updates] == [{"groups": ["1,3", "1,2"]}]
