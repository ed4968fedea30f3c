"""How a flow run ends: Failed when an operation failed (its report says which), Completed with the report if not."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from flows.artifacts import FlowOutcome
from flows.recorder import RunRecorder
from prefect import flow
from prefect.states import State

from custsync.report import EntityResult, ResultSummary

pytestmark = pytest.mark.integration


@flow(name="custsync-recorder-check", persist_result=False)
def _concluded(report_dir: Path, failed: int) -> FlowOutcome | State:
    recorder = RunRecorder("sync", api_url="http://127.0.0.1:9")
    result = EntityResult("customers", done={"create": 3}, failed={"create": failed})
    recorder.report = replace(recorder.report, results=ResultSummary(entities=(result,)))
    return recorder.conclude(report_dir, "synced")


def test_a_run_with_failed_operations_ends_failed_and_names_its_report(prefect_harness: float, tmp_path: Path):
    state = _concluded(tmp_path, 2, return_state=True)
    assert state.is_failed()
    assert state.message == "2 operations failed: see the custsync-sync-report artifact"
    assert len(list(tmp_path.glob("sync-*.html"))) == 1  # published before ending


def test_a_run_without_failures_completes_with_its_report(prefect_harness: float, tmp_path: Path):
    outcome = _concluded(tmp_path, 0)
    assert outcome.report.results.done == 3 and outcome.html.exists()
