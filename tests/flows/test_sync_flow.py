"""The sync flow end to end against a real sandbox: plan, apply, report artifact, rejects table, HTML report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from flows.connection import ApiTarget
from flows.demo import edit_legacy_csv
from flows.sync import sync_flow

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration

MAPPING = ROOT / "mappings" / "legacy_erp.yaml"


def test_sync_flow_applies_the_valid_rows_and_reports_the_rejects(
    prefect_harness: float, latest_artifact, sandbox, api_token_env, tmp_path: Path
) -> None:
    source = tmp_path / "legacy_erp"
    shutil.copytree(ROOT / "sample_data" / "legacy_erp", source, ignore=shutil.ignore_patterns("*.py"))
    csv_file = next(source.glob("*.csv"))
    edit_legacy_csv(csv_file, {"K-10003": {"E-Mail": "not-an-email"}})
    api_token_env(sandbox.token)

    outcome = sync_flow(
        [source],
        MAPPING,
        on_invalid="skip",
        max_invalid="5%",
        api=ApiTarget(url=sandbox.url, requests_per_minute=60_000),
        state_dir=tmp_path / "state",
        report_dir=tmp_path / "reports",
    )

    report = outcome.report
    assert report.validation is not None and report.plan is not None and report.results is not None
    customers = next(e for e in report.validation.entities if e.entity == "customers")
    assert customers.invalid == 1
    assert report.validation.failures_per_rule.get("email") == 1
    planned = {e.entity: e for e in report.plan.entities}
    assert planned["customers"].create == customers.rows - 1
    done = {e.entity: e for e in report.results.entities}
    assert done["customers"].done["create"] == planned["customers"].create
    assert report.results.failed == 0
    assert report.calls["POST"] == report.plan.writes

    md = latest_artifact("custsync-sync-report").data
    assert "## Validation" in md and "## Plan (upsert)" in md and "## Results" in md
    assert f"| customers | {customers.rows} | {customers.rows - 1} | 1 |" in md
    assert f"| customers | {planned['customers'].create} | 0 | 0 | 0 |" in md
    assert "not-an-email" in md

    rejects = latest_artifact("custsync-sync-rejects")
    rows = rejects.data if isinstance(rejects.data, list) else json.loads(rejects.data)
    email = [r for r in rows if r["rule"] == "email"]
    assert len(email) == 1
    assert email[0]["file"].endswith(csv_file.name)
    assert email[0]["row"] == 4  # K-10003 is the third data row; the header is line 1
    assert email[0]["value"] == "not-an-email"

    html = outcome.html.read_text(encoding="utf-8")
    assert "Operations per entity" in html and "Failures per rule" in html
    assert sandbox.token not in md + html


def test_strict_validation_stops_the_flow_before_any_api_call(
    prefect_harness: float, latest_artifact, sandbox, api_token_env, tmp_path: Path
) -> None:
    from custsync.api import ApiSettings, CustomerApi
    from custsync.api.fetch import fetch_customers

    source = tmp_path / "legacy_erp"
    shutil.copytree(ROOT / "sample_data" / "legacy_erp", source, ignore=shutil.ignore_patterns("*.py"))
    edit_legacy_csv(next(source.glob("*.csv")), {"K-10005": {"IBAN": "DE00123456789"}})
    api_token_env(sandbox.token)

    state = sync_flow(
        [source],
        MAPPING,
        on_invalid="fail",
        api=ApiTarget(url=sandbox.url, requests_per_minute=60_000),
        state_dir=tmp_path / "state",
        report_dir=tmp_path / "reports",
        return_state=True,
    )

    assert state.is_failed()
    assert "nothing will be written" in state.message
    with CustomerApi(ApiSettings(url=sandbox.url, token=sandbox.token)) as api:
        assert len(fetch_customers(api)) == 0
    md = latest_artifact("custsync-sync-report").data
    assert "## Validation" in md and "## Plan" not in md
    rejects = latest_artifact("custsync-sync-rejects").data
    rows = rejects if isinstance(rejects, list) else json.loads(rejects)
    assert [r["rule"] for r in rows if r["column"] == "bankAccount.iban"] == ["iban"]


def test_the_flow_is_refused_while_another_run_holds_the_state_directory(
    prefect_harness: float, sandbox, api_token_env, tmp_path: Path
) -> None:
    """One run at a time per state directory holds in the flows too: they open it through the same code."""
    from custsync.state import StateLock

    api_token_env(sandbox.token)
    with StateLock(tmp_path / "state"):
        state = sync_flow(
            [ROOT / "sample_data" / "legacy_erp"],
            MAPPING,
            api=ApiTarget(url=sandbox.url, requests_per_minute=60_000),
            state_dir=tmp_path / "state",
            report_dir=tmp_path / "reports",
            return_state=True,
        )
    assert state.is_failed()
    assert "another custsync run is using the state directory" in state.message, state.message
    assert sandbox.store.query("customers", [], [], "t.id", 10, 0)[1] == []
