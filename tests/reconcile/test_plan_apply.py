"""plan_sync + apply_plan against the in-memory remote: convergence, minimal patches, modes, budget."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from custsync.apply import apply_plan
from custsync.errors import PlanError
from custsync.reconcile import Mode, PlanOptions, Scope, plan_sync
from custsync.state import StateStore

from .data import desired_frames


def run(coro):
    return asyncio.run(coro)


def sync(frames, remote, tmp_path: Path, **options):
    with StateStore.open(tmp_path, remote.base_url) as state:
        plan = run(plan_sync(frames, remote, options=PlanOptions(**options), state=state))
    report = run(apply_plan(plan, remote, state_dir=tmp_path))
    return plan, report


def test_first_sync_creates_everything_and_second_plans_nothing(remote, tmp_path):
    frames = desired_frames(6)
    plan, report = sync(frames, remote, tmp_path)
    assert plan.counts()["customers"]["create"] == 6
    assert plan.counts()["addresses"]["create"] == 12
    assert plan.counts()["contacts"]["create"] == 6
    assert report.ok
    remote.counter.clear()
    with StateStore.open(tmp_path, remote.base_url) as state:
        again = run(plan_sync(frames, remote, state=state))
    assert again.operations == 0
    assert again.counts()["customers"]["unchanged"] == 6
    assert again.counts()["addresses"]["unchanged"] == 12
    assert remote.calls() == {"GET": 1, "POST": 0, "PATCH": 0, "DELETE": 0, "total": 1}


def test_person_name_is_derived_not_compared(remote, tmp_path):
    frames = desired_frames(2)
    sync(frames, remote, tmp_path)
    persons = [c for c in remote.customers.values() if c["customerType"] == "person"]
    assert persons and all(c["name"] == f"{c['firstname']} {c['lastname']}" for c in persons)
    with StateStore.open(tmp_path, remote.base_url) as state:
        assert run(plan_sync(frames, remote, state=state)).operations == 0


def test_changes_plan_exactly_those_operations_with_minimal_bodies(remote, tmp_path):
    frames = desired_frames(6)
    sync(frames, remote, tmp_path)
    customers = frames["customers"].copy()
    customers.loc[1, ["contact.email", "financial.creditLimit", "financial.paymentTerms.days"]] = ["new@x.de", 5.5, 30]
    customers.loc[3, "contact.email"] = None
    addresses = frames["addresses"].drop(index=[7])  # a delivery address of customer K0002
    contacts = frames["contacts"].copy()
    contacts.loc[len(contacts)] = contacts.loc[0].copy()
    contacts.loc[len(contacts) - 1, "name"] = "Bernd Neu"
    changed = {
        "customers": customers,
        "addresses": addresses,
        "contacts": contacts,
    }
    remote.counter.clear()
    with StateStore.open(tmp_path, remote.base_url) as state:
        plan = run(
            plan_sync(changed, remote, options=PlanOptions(mode=Mode.MIRROR, scope=Scope.parse("all")), state=state)
        )
    assert plan.counts()["customers"] | {} == {"create": 0, "update": 2, "delete": 0, "unchanged": 4, "skipped": 0}
    bodies = {u.key: u.body for u in plan.customers.updates}
    assert bodies["K0002"] == {
        "contact": {"email": "new@x.de"},
        "financial": {"creditLimit": 5.5, "paymentTerms": {"days": 30}},
    }
    assert bodies["K0004"] == {"contact": {"email": None}}
    assert [d.customer_number for d in plan.addresses.deletes] == ["K0002"]
    assert plan.addresses.creates == [] and plan.addresses.updates == []
    assert [c.body["name"] for c in plan.contacts.creates] == ["Bernd Neu"]
    # 1 customer list + the addresses of K0002 + the contacts of K0001: nothing else was listed
    assert remote.calls()["GET"] == 1 + 1 + 1
    report = run(apply_plan(plan, remote, state_dir=tmp_path))
    assert report.ok
    with StateStore.open(tmp_path, remote.base_url) as state:
        assert run(plan_sync(changed, remote, state=state)).operations == 0


def test_normalised_equal_values_are_not_changes(remote, tmp_path):
    frames = desired_frames(3)
    sync(frames, remote, tmp_path)
    noisy = frames["customers"].copy()
    noisy["contact.email"] = noisy["contact.email"].str.upper().radd("  ")
    noisy["name"] = noisy["name"].str.replace(" ", "   ")
    frames["customers"] = noisy
    with StateStore.open(tmp_path, remote.base_url) as state:
        assert run(plan_sync(frames, remote, state=state)).operations == 0


def test_columns_the_source_does_not_provide_are_left_alone(remote, tmp_path):
    frames = desired_frames(2)
    sync(frames, remote, tmp_path)
    only_names = frames["customers"][["number", "customerType", "name", "firstname", "lastname"]].copy()
    with StateStore.open(tmp_path, remote.base_url) as state:
        plan = run(plan_sync({"customers": only_names}, remote, state=state))
    assert plan.operations == 0


def test_mirror_refuses_truncated_and_empty_sources(remote, tmp_path):
    frames = desired_frames(10)
    sync(frames, remote, tmp_path)
    half = {k: v[v[_num(k)].isin([f"K{i:04d}" for i in range(1, 6)])] for k, v in frames.items()}
    options = PlanOptions(mode=Mode.MIRROR, scope=Scope.parse("number-prefix=K"))
    with StateStore.open(tmp_path, remote.base_url) as state:
        with pytest.raises(PlanError, match="would delete 5 customers"):
            run(plan_sync(half, remote, options=options, state=state))
        empty = {k: v.iloc[0:0] for k, v in frames.items()}
        with pytest.raises(PlanError, match="empty"):
            run(
                plan_sync(
                    empty, remote, options=PlanOptions(mode=Mode.MIRROR, scope=Scope("all"), force=True), state=state
                )
            )


def test_mirror_with_force_deletes_only_inside_the_scope(remote, tmp_path):
    frames = desired_frames(4)
    sync(frames, remote, tmp_path)
    other = desired_frames(2, prefix="X")
    sync(other, remote, tmp_path / "other")
    half = {k: v[v[_num(k)].isin(["K0001", "K0002"])] for k, v in frames.items()}
    options = PlanOptions(mode=Mode.MIRROR, scope=Scope.parse("number-prefix=K"), force=True)
    plan, report = sync(half, remote, tmp_path, **options.__dict__)
    assert sorted(d.key for d in plan.customers.deletes) == ["K0003", "K0004"]
    assert report.ok
    assert sorted(c["number"] for c in remote.customers.values()) == ["K0001", "K0002", "X0001", "X0002"]


def test_mirror_needs_a_scope(remote):
    with pytest.raises(PlanError, match="scope"):
        run(plan_sync(desired_frames(1), remote, options=PlanOptions(mode=Mode.MIRROR)))


def test_insert_and_update_modes(remote, tmp_path):
    frames = desired_frames(2)
    sync(frames, remote, tmp_path, mode=Mode.UPDATE)
    assert remote.customers == {}
    sync(frames, remote, tmp_path, mode=Mode.INSERT)
    assert len(remote.customers) == 2
    changed = frames["customers"].copy()
    changed["contact.email"] = "other@x.de"
    frames["customers"] = changed
    plan, _ = sync(frames, remote, tmp_path, mode=Mode.INSERT)
    assert plan.operations == 0 and plan.customers.skipped == 2


def test_one_failing_record_does_not_stop_the_others(remote, tmp_path):
    frames = desired_frames(4)
    remote.reject.add("K0002")
    plan, report = sync(frames, remote, tmp_path)
    assert not report.ok
    failed = {(f.entity, f.key) for f in report.failures}
    assert ("customers", "K0002") in failed
    assert {f.entity for f in report.failures} == {"customers", "addresses", "contacts"}
    assert report.failures[0].problem or any(f.problem for f in report.failures)
    assert sorted(c["number"] for c in remote.customers.values()) == ["K0001", "K0003", "K0004"]
    remote.reject.clear()
    plan, report = sync(frames, remote, tmp_path)
    assert report.ok and plan.counts()["customers"]["create"] == 1
    assert len(remote.children["addresses"]) == 8


def test_delivery_address_with_match_key_is_updated_not_recreated(remote, tmp_path):
    frames = desired_frames(2)
    frames["addresses"]["matchKey"] = ["", "", "L1", "L2"]
    frames["addresses"]["matchKey"] = frames["addresses"]["matchKey"].replace("", None)
    sync(frames, remote, tmp_path)
    moved = frames["addresses"].copy()
    moved.loc[2, "street"] = "Neue Str. 1"
    frames["addresses"] = moved
    plan, _ = sync(frames, remote, tmp_path, mode=Mode.MIRROR, scope=Scope("all"))
    assert plan.counts()["addresses"] == {"create": 0, "update": 1, "delete": 0, "unchanged": 3, "skipped": 0}
    assert plan.addresses.updates[0].body == {"street": "Neue Str. 1"}


def _num(entity: str) -> str:
    return "number" if entity == "customers" else "customerNumber"
