"""The builders turn the pipeline's results (validation, plan, apply, client stats) into report values."""

from __future__ import annotations

import pandas as pd

from custsync.apply import ApplyReport, Failure
from custsync.io.rejects import failures_frame
from custsync.reconcile.plan import Create, Delete, EntityPlan, Plan, PlanMeta, Update
from custsync.report.build import (
    apply_summary,
    calls_summary,
    plan_summary,
    reject_records,
    validation_summary,
)


def _failures() -> pd.DataFrame:
    return failures_frame(
        [
            {
                "file": "k.csv",
                "row": 3,
                "entity": "customers",
                "column": "contact.email",
                "rule": "email",
                "value": "x" * 500,
                "message": "not an e-mail address",
            },
            {
                "file": "k.csv",
                "row": 5,
                "entity": "customers",
                "column": "bankAccount.iban",
                "rule": "iban",
                "value": "DE00",
                "message": "bad checksum",
            },
            {
                "file": "k.csv",
                "row": 5,
                "entity": "addresses",
                "column": None,
                "rule": "customer_rejected",
                "value": None,
                "message": "its customer was rejected",
            },
        ]
    )


def test_validation_summary_counts_rules_and_keeps_file_and_row() -> None:
    counts = {"customers": {"rows": 10, "invalid": 2}, "addresses": {"rows": 12, "invalid": 1}}
    summary = validation_summary(counts, _failures(), max_rejects=2)
    assert [(e.entity, e.rows, e.valid, e.invalid) for e in summary.entities] == [
        ("customers", 10, 8, 2),
        ("addresses", 12, 11, 1),
    ]
    assert summary.failures_per_rule == {"email": 1, "iban": 1}  # hold-backs are counted apart
    assert summary.held_back == {"customer_rejected": 1}
    assert summary.rejects_total == 3 and len(summary.rejects) == 2
    first = summary.rejects[0]
    assert (first.file, first.row, first.column, first.rule) == ("k.csv", 3, "contact.email", "email")
    assert len(first.value) == 80, "an oversize value is shortened, not copied whole"


def test_reject_records_are_json_ready() -> None:
    records = reject_records(_failures())
    assert records[2] == {
        "file": "k.csv",
        "row": 5,
        "source_column": None,
        "group": None,
        "entity": "addresses",
        "column": None,
        "rule": "customer_rejected",
        "value": None,
        "message": "its customer was rejected",
    }
    assert reject_records(None) == [] and reject_records(failures_frame()) == []


def _plan() -> Plan:
    meta = PlanMeta(
        api_url="http://127.0.0.1:1", created_at="2026-11-28T00:00:00+00:00", mode="upsert", scope=None, full=False
    )
    customers = EntityPlan(
        "customers",
        creates=[Create(key="K-2", body={"number": "K-2"}, customer_number="K-2")],
        updates=[
            Update(
                key="K-1",
                id="1",
                body={"contact": {"email": "new@x.de"}},
                changes={"contact.email": ["old@x.de", "new@x.de"], "financial.creditLimit": [None, 5000.0]},
                customer_number="K-1",
            )
        ],
        unchanged=7,
    )
    addresses = EntityPlan(
        "addresses", deletes=[Delete(key="K-1\x1fdeliveryaddress\x1fa", id="9", customer_number="K-1")]
    )
    return Plan(meta=meta, customers=customers, addresses=addresses, contacts=EntityPlan("contacts", unchanged=3))


def test_plan_summary_counts_and_shows_updates_field_by_field_first() -> None:
    summary = plan_summary(_plan())
    assert summary.mode == "upsert"
    assert [(e.entity, e.create, e.update, e.delete, e.unchanged) for e in summary.entities] == [
        ("customers", 1, 1, 0, 7),
        ("addresses", 0, 0, 1, 0),
        ("contacts", 0, 0, 0, 3),
    ]
    update, create, delete = summary.first_changes
    assert (update.operation, update.key) == ("update", "K-1")
    assert [(f.field, f.before, f.after) for f in update.fields] == [
        ("contact.email", "old@x.de", "new@x.de"),
        ("financial.creditLimit", None, "5000.0"),
    ]
    assert (create.operation, create.key, delete.operation) == ("create", "K-2", "delete")
    assert delete.key == "K-1/deliveryaddress/a"
    assert len(plan_summary(_plan(), max_changes=1).first_changes) == 1


def test_apply_summary_spells_out_the_violations_the_api_named() -> None:
    report = ApplyReport(
        plan_id="p",
        done={
            "customers": {"create": 1, "update": 0, "delete": 0},
            "addresses": {"create": 0, "update": 0, "delete": 1},
        },
        failures=[
            Failure(
                "customers",
                "update",
                "K-1",
                "request rejected",
                problem={"violations": {"financial": {"vatId": ["This value is not valid."]}}},
                status=400,
            )
        ],
        created_ids={},
    )
    summary = apply_summary(report)
    customers = next(e for e in summary.entities if e.entity == "customers")
    assert customers.done == {"create": 1, "update": 0, "delete": 0} and customers.failed == {"update": 1}
    assert summary.failed == 1 and summary.done == 2
    failure = summary.failures[0]
    assert failure.status == 400
    assert failure.message == "request rejected (financial.vatId: This value is not valid.)"


def test_calls_summary_adds_up_the_stages() -> None:
    plan_calls = {"GET": 3, "POST": 0, "PATCH": 0, "DELETE": 0, "total": 3}
    apply_calls = {
        "GET": 1,
        "POST": 4,
        "PATCH": 2,
        "DELETE": 1,
        "total": 8,
        "retries": 2,
        "rate_limited": 1,
        "by_resource": {"customers": {"POST": 4}},
    }
    assert calls_summary(plan_calls, apply_calls) == {
        "GET": 4,
        "POST": 4,
        "PATCH": 2,
        "DELETE": 1,
        "total": 11,
        "retries": 2,
        "rate_limited": 1,
    }
