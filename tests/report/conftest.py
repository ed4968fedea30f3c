"""A run report with every section filled, including hostile values from source data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custsync.report import (
    EntityPlan,
    EntityResult,
    EntityValidation,
    FieldChange,
    OperationFailure,
    PlannedChange,
    PlanSummary,
    Reject,
    ResultSummary,
    RunReport,
    ValidationSummary,
)

HOSTILE = "<script>alert('x')</script> | =cmd"


@pytest.fixture
def full_report() -> RunReport:
    started = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    return RunReport(
        kind="sync",
        api_url="https://user:s3cret@erp.example.com/base?token=abc#frag",
        sources=("sample_data/legacy_erp/kunden.csv",),
        mapping="mappings/legacy_erp.yaml",
        started_at=started,
        finished_at=started + timedelta(seconds=42.5),
        validation=ValidationSummary(
            entities=(
                EntityValidation("customers", rows=120, invalid=3),
                EntityValidation("addresses", rows=230, invalid=1),
                EntityValidation("contacts", rows=90, invalid=0),
            ),
            failures_per_rule={"email": 2, "iban": 1, "country": 1},
            rejects=(
                Reject("customers", "email", file="kunden.csv", row=7, column="contact.email", value=HOSTILE),
                Reject("customers", "iban", file="kunden.csv", row=9, column="bankAccount.iban", value="DE00 1234"),
            ),
            rejects_total=4,
        ),
        plan=PlanSummary(
            mode="upsert",
            entities=(
                EntityPlan("customers", create=5, update=2, delete=0, unchanged=110),
                EntityPlan("addresses", create=9, update=1, delete=1, unchanged=218),
                EntityPlan("contacts", create=1, update=0, delete=0, unchanged=89),
            ),
            first_changes=(
                PlannedChange("customers", "update", "10042", (FieldChange("contact.email", "a@old.de", "a@new.de"),)),
                PlannedChange("addresses", "delete", "10042/deliveryaddress/lager-2"),
            ),
        ),
        results=ResultSummary(
            entities=(
                EntityResult("customers", done={"create": 5, "update": 1}, failed={"update": 1}),
                EntityResult("addresses", done={"create": 9, "update": 1, "delete": 1}),
                EntityResult("contacts", done={"create": 1}),
            ),
            failures=(
                OperationFailure("customers", "update", "10077", "financial.vatId: This value is not valid.", 400),
            ),
        ),
        calls={"GET": 14, "POST": 15, "PATCH": 3, "DELETE": 1, "total": 33},
        timings={"read": 0.12, "validate": 0.3, "fetch": 1.5, "plan": 0.05, "apply": 38.0},
        run_id="b1946ac9",
    )
