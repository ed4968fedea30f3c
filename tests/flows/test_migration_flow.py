"""The migration flow: strict validation, a rehearsal on a sandbox seeded from a snapshot, then the target."""

from __future__ import annotations

from pathlib import Path

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
