"""The stale-plan check of ``apply plan.json``: addresses and contacts are compared by content (their public
schema has no timestamps), and a record the plan would create must not have appeared in the API since."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path

import pandas as pd
import pytest

from custsync.apply import apply_plan
from custsync.errors import PlanError
from custsync.model import ADDRESSES, CONTACTS
from custsync.reconcile import Plan, plan_sync

from .data import desired_frames


def run(coro):
    return asyncio.run(coro)


def without_contact_stamps(remote) -> None:
    """The public contact-person schema has no ``createdAt``/``updatedAt``: the fake leaves them out too."""
    for record in remote.children["contacts"].values():
        record.pop("createdAt", None)
        record.pop("updatedAt", None)


def synced(remote, tmp_path, n: int = 3) -> dict[str, pd.DataFrame]:
    frames = desired_frames(n)
    run(apply_plan(run(plan_sync(frames, remote)), remote, state_dir=tmp_path))
    without_contact_stamps(remote)
    return frames


def with_contacts(frames: dict[str, pd.DataFrame], contacts: pd.DataFrame) -> dict[str, pd.DataFrame]:
    contacts = CONTACTS.conform(contacts)
    contacts.attrs = dict(frames["contacts"].attrs)
    return {**frames, "contacts": contacts}


def saved(plan: Plan, tmp_path) -> Plan:
    """Through a plan file, as ``custsync apply plan.json`` does."""
    plan.save(tmp_path / "plan.json")
    return Plan.load(tmp_path / "plan.json")


def contact_named(remote, name: str) -> dict:
    return next(r for r in remote.children["contacts"].values() if r["name"] == name)


def test_a_contact_changed_outside_is_seen_without_timestamps(remote, tmp_path):
    frames = synced(remote, tmp_path)
    contacts = frames["contacts"].copy()
    contacts.loc[0, "position"] = "Vertrieb"
    plan = saved(run(plan_sync(with_contacts(frames, contacts), remote)), tmp_path)
    assert len(plan.contacts.updates) == 1 and plan.contacts.updates[0].updated_at is None
    contact_named(remote, "Anna 0")["contact"]["email"] = "outside@example.de"
    with pytest.raises(PlanError, match=r"contact K0001.*changed in the API since the plan"):
        run(apply_plan(plan, remote, state_dir=tmp_path, check_fresh=True))
    assert contact_named(remote, "Anna 0")["position"] == "Einkauf"


def test_a_contact_changed_only_where_the_source_has_no_say_lets_the_plan_apply(remote, tmp_path):
    frames = synced(remote, tmp_path)
    contacts = frames["contacts"].copy()
    contacts.loc[0, "position"] = "Vertrieb"
    plan = saved(run(plan_sync(with_contacts(frames, contacts), remote)), tmp_path)
    contact_named(remote, "Anna 0")["department"] = "outside"  # not a column of the source: the patch still holds
    assert run(apply_plan(plan, remote, state_dir=tmp_path, check_fresh=True)).ok
    assert contact_named(remote, "Anna 0")["position"] == "Vertrieb"


def test_a_contact_deleted_outside_is_seen(remote, tmp_path):
    frames = synced(remote, tmp_path)
    contacts = frames["contacts"].copy()
    contacts.loc[0, "position"] = "Vertrieb"
    plan = saved(run(plan_sync(with_contacts(frames, contacts), remote)), tmp_path)
    del remote.children["contacts"][contact_named(remote, "Anna 0")["id"]]
    with pytest.raises(PlanError, match="deleted since the plan"):
        run(apply_plan(plan, remote, state_dir=tmp_path, check_fresh=True))


def test_a_contact_created_outside_since_the_plan_is_refused_not_duplicated(remote, tmp_path):
    frames = synced(remote, tmp_path)
    contacts = pd.concat([frames["contacts"], pd.DataFrame({"customerNumber": ["K0002"], "name": ["Bernd Neu"]})])
    plan = saved(run(plan_sync(with_contacts(frames, contacts), remote)), tmp_path)
    assert [c.body["name"] for c in plan.contacts.creates] == ["Bernd Neu"]
    parent = plan.contacts.creates[0].customer_id
    run(remote.create("contacts", {"name": "bernd  neu"}, parent_id=parent))
    with pytest.raises(PlanError, match=r"contact K0002/Bernd Neu: created in the API since the plan"):
        run(apply_plan(plan, remote, state_dir=tmp_path, check_fresh=True))
    names = [r["name"].lower() for r in remote.children["contacts"].values() if r["customer"]["id"] == parent]
    assert names.count("bernd  neu") == 1 and len(names) == 2


def test_an_address_created_outside_since_the_plan_is_refused(remote, tmp_path):
    frames = synced(remote, tmp_path)
    extra = {"customerNumber": "K0001", "type": "deliveryaddress", "name": "Lager Nord", "street": "Nordweg 1"}
    extra |= {"zip": "20095", "city": "Hamburg", "country": "DE"}
    addresses = ADDRESSES.conform(pd.concat([frames["addresses"], pd.DataFrame([extra])], ignore_index=True))
    addresses.attrs = dict(frames["addresses"].attrs)
    plan = saved(run(plan_sync({**frames, "addresses": addresses}, remote)), tmp_path)
    assert len(plan.addresses.creates) == 1
    body = {k: v for k, v in extra.items() if k != "customerNumber"}
    run(remote.create("addresses", copy.deepcopy(body), parent_id=plan.addresses.creates[0].customer_id))
    with pytest.raises(PlanError, match="created in the API since the plan"):
        run(apply_plan(plan, remote, state_dir=tmp_path, check_fresh=True))


def test_a_planned_second_namesake_is_not_mistaken_for_an_outside_create(remote, tmp_path):
    frames = synced(remote, tmp_path)
    twin = frames["contacts"].iloc[[0]].assign(position="Lager")
    contacts = pd.concat([frames["contacts"], twin], ignore_index=True)
    plan = saved(run(plan_sync(with_contacts(frames, contacts), remote)), tmp_path)
    assert len(plan.contacts.creates) == 1 and plan.contacts.creates[0].pair_key.endswith("#1")
    assert run(apply_plan(plan, remote, state_dir=tmp_path, check_fresh=True)).ok


def test_a_plan_file_made_before_content_digests_still_loads():
    """Made by the previous version: its digest (``id``) must still match, so ``apply`` does not call it edited."""
    plan = Plan.load(Path(__file__).parent / "fixtures" / "plan-before-content-digests.json")
    assert plan.contacts.updates and all(u.seen is None for u in plan.contacts.updates)
    assert plan.contacts.creates and all(c.pair_key is None for c in plan.contacts.creates)


def test_a_hash_sign_inside_a_contact_name_is_not_taken_for_an_occurrence_number(remote, tmp_path):
    frames = desired_frames(2)
    named = frames["contacts"].assign(name=["Lager #2 Nord", "Anna 1"])
    frames = with_contacts(frames, named)
    run(apply_plan(run(plan_sync(frames, remote)), remote, state_dir=tmp_path))
    twin = frames["contacts"].iloc[[0]].assign(position="Lager")
    plan = saved(run(plan_sync(with_contacts(frames, pd.concat([frames["contacts"], twin])), remote)), tmp_path)
    assert [c.pair_key.endswith("lager #2 nord#1") for c in plan.contacts.creates] == [True]
    assert run(apply_plan(plan, remote, state_dir=tmp_path, check_fresh=True)).ok
