"""The migration flow: strict validation, a rehearsal on a sandbox seeded from a snapshot, then the target."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flows.connection import ApiTarget
from flows.migration import migration_flow

from custsync.api import ApiSettings, CustomerApi
from custsync.api.fetch import fetch_customers

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration

SOURCE = ROOT / "sample_data" / "legacy_erp"
MAPPING = ROOT / "mappings" / "legacy_erp.yaml"


def _numbers(url: str, token: str) -> list[str]:
    with CustomerApi(ApiSettings(url=url, token=token, requests_per_minute=60_000)) as api:
        return sorted(fetch_customers(api)["number"].astype(str))


def test_migration_rehearses_on_a_copy_then_inserts_into_the_target(
    prefect_harness: float, latest_artifact, sandbox_factory, api_token_env, tmp_path: Path
) -> None:
    target = sandbox_factory(seed_customers=3, seed=11)
    api_token_env(target.token)
    before = _numbers(target.url, target.token)
    api = ApiTarget(url=target.url, requests_per_minute=60_000)

    rehearsed = migration_flow(
        [SOURCE], MAPPING, api=api, go_on=False, work_dir=tmp_path / "work", report_dir=tmp_path / "reports"
    )

    # the rehearsal wrote into the copy only
    assert _numbers(target.url, target.token) == before
    assert rehearsed.report.kind == "migration-rehearsal"
    created = {e.entity: e.done["create"] for e in rehearsed.report.results.entities}
    assert created["customers"] == 50 and rehearsed.report.results.failed == 0
    md = latest_artifact("custsync-migration-rehearsal-report").data
    assert "## Plan (insert)" in md
    assert "| customers | 50 | 0 | 0 |" in md

    snapshot = next((tmp_path / "work" / "snapshots").glob("2*"))  # the flow exported the target first
    migrated = migration_flow(
        [SOURCE],
        MAPPING,
        api=api,
        snapshot=snapshot,
        go_on=True,
        work_dir=tmp_path / "work",
        report_dir=tmp_path / "reports",
    )

    assert migrated.report.kind == "migration"
    after = _numbers(target.url, target.token)
    assert len(after) == len(before) + 50 and set(before) <= set(after)
    md = latest_artifact("custsync-migration-report").data
    assert "## Results" in md and "| customers | 50 | 0 | 0 | 0 |" in md


def _paused_run_of(flow_name: str, deadline: float) -> Any:
    """The paused run of ``flow_name`` once there is one (polls the harness's API)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    paused = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])))
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])), flow_run_filter=paused
            )
            if runs:
                return runs[0]
            time.sleep(0.2)
    raise AssertionError(f"no paused run of {flow_name} appeared")


@pytest.mark.parametrize("answer", [{"migrate": True}, {"migrate": False}, None])
def test_migration_pauses_after_the_rehearsal_until_a_person_decides(
    prefect_harness: float, sandbox_factory, api_token_env, tmp_path: Path, monkeypatch, answer
) -> None:
    import flows.migration as migration
    from prefect.flow_runs import resume_flow_run

    monkeypatch.setattr(migration, "APPROVAL_POLL_SECONDS", 0.2)
    target = sandbox_factory(seed_customers=2, seed=5)
    api_token_env(target.token)
    before = _numbers(target.url, target.token)
    outcome: list[Any] = []
    run = threading.Thread(
        target=lambda: outcome.append(
            migration_flow(
                [SOURCE],
                MAPPING,
                api=ApiTarget(url=target.url, requests_per_minute=60_000),
                approval_timeout=2 if answer is None else 120,
                work_dir=tmp_path / "work",
                report_dir=tmp_path / "reports",
            )
        )
    )
    run.start()
    try:
        paused = _paused_run_of("custsync-migration", time.monotonic() + 120)
        assert _numbers(target.url, target.token) == before  # only the rehearsal ran so far
        if answer is not None:
            resume_flow_run(paused.id, run_input=answer)
    finally:
        run.join(timeout=180)
    assert not run.is_alive() and len(outcome) == 1
    after = _numbers(target.url, target.token)
    if answer == {"migrate": True}:
        assert outcome[0].report.kind == "migration"
        assert len(after) == len(before) + 50
    else:  # declined, or nobody answered in time: the target is untouched
        assert outcome[0].report.kind == "migration-rehearsal"
        assert after == before
