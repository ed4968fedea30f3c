"""Plan files round-trip, never carry the token, and refuse to load when edited; the state store and journal."""

from __future__ import annotations

import asyncio
import json

import pandas as pd
import pytest

from custsync.apply.journal import DONE, SENT, Journal
from custsync.errors import PlanError
from custsync.reconcile import Plan, plan_sync
from custsync.state import StateStore

from .data import desired_frames


def test_plan_round_trips_and_detects_edits(remote, tmp_path):
    plan = asyncio.run(plan_sync(desired_frames(3), remote))
    path = tmp_path / "plan.json"
    plan.save(path)
    loaded = Plan.load(path)
    assert loaded.plan_id() == plan.plan_id()
    assert loaded.counts() == plan.counts()
    data = json.loads(path.read_text())
    data["customers"]["creates"][0]["body"]["name"] = "Evil"
    path.write_text(json.dumps(data))
    with pytest.raises(PlanError, match="edited"):
        Plan.load(path)


def test_unreadable_plan_files_are_clear_errors(tmp_path):
    with pytest.raises(PlanError, match="no such plan"):
        Plan.load(tmp_path / "missing.json")
    (tmp_path / "x.json").write_text("[1, 2]")
    with pytest.raises(PlanError, match="not a custsync plan"):
        Plan.load(tmp_path / "x.json")


def test_state_store_is_per_api(tmp_path):
    with StateStore.open(tmp_path, "http://a.test") as a:
        a.record_customers(
            pd.DataFrame(
                {"number": ["1"], "id": ["10"], "addresses_hash": [5], "contacts_hash": [None], "updated_at": [123]}
            )
        )
        a.remember_match_keys([("1", "L1", "99")])
    with StateStore.open(tmp_path, "http://b.test") as b:
        assert b.customers().empty and b.match_keys().empty
    with StateStore.open(tmp_path, "http://a.test/") as a:
        row = a.customers().iloc[0]
        assert (row["number"], row["id"], row["addresses_hash"], row["updated_at"]) == ("1", "10", 5, 123)
        assert row["contacts_hash"] is pd.NA
        a.forget_customers(["1"])
        assert a.customers().empty
        assert a.match_keys()["id"].tolist() == ["99"]


def test_journal_keeps_status_across_reopen(tmp_path):
    with Journal(tmp_path, "p1", "http://a.test") as journal:
        journal.plan(
            [("customers:create:0", "customers", "create", "K1"), ("customers:create:1", "customers", "create", "K2")]
        )
        journal.mark("customers:create:0", SENT)
        journal.mark("customers:create:0", DONE, result_id="7")
        journal.mark("customers:create:1", SENT)
    with Journal(tmp_path, "p1", "http://a.test") as journal:
        journal.plan([("customers:create:0", "customers", "create", "K1")])
        entries = journal.entries()
    assert entries["customers:create:0"].status == DONE and entries["customers:create:0"].result_id == "7"
    assert entries["customers:create:1"].status == SENT
