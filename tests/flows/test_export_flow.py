"""The export flow against a real sandbox: snapshot, report artifact, HTML report; token from a Secret block;
every request takes a slot of a Prefect global concurrency limit."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from flows.connection import ApiTarget
from flows.export import export_flow

from custsync.io.snapshot import read_snapshot

pytestmark = pytest.mark.integration

GCL = "custsync-api-test"


def _create_gcl(name: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    async def create() -> None:
        async with get_client() as client:
            await client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=name, limit=10_000, slot_decay_per_second=0.01)
            )

    asyncio.run(create())


def _active_slots(name: str) -> int:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_global_concurrency_limit_by_name(name).active_slots


def test_export_flow_writes_a_snapshot_and_publishes_its_report(
    prefect_harness: float, latest_artifact, sandbox_factory, tmp_path: Path
) -> None:
    from prefect.blocks.system import Secret

    server = sandbox_factory(seed_customers=12, seed=7)
    Secret(value=server.token).save("custsync-test-token", overwrite=True)
    _create_gcl(GCL)
    api = ApiTarget(url=server.url, token_secret="custsync-test-token", requests_per_minute=60_000, gcl_name=GCL)

    outcome = export_flow(out=tmp_path / "snapshots", format="both", api=api, report_dir=tmp_path / "reports")

    report = outcome.report
    assert report.export is not None
    snapshot = read_snapshot(Path(report.export.path))
    assert len(snapshot.frames["customers"]) == 12 == report.export.rows["customers"]
    assert report.export.rows["addresses"] == len(snapshot.frames["addresses"]) > 0
    calls = report.calls["total"]
    assert calls == report.calls["GET"] > 0
    # every request went through the shared limit (slots decay slowly, so all are still counted)
    assert calls <= _active_slots(GCL) <= calls + 1

    md = latest_artifact("custsync-export-report").data
    assert "## Snapshot" in md
    assert "| customers | 12 |" in md
    assert report.export.path in md
    assert outcome.html.read_text(encoding="utf-8").count("<td") > 0
    for text in (md, outcome.html.read_text(encoding="utf-8"), json.dumps(report.to_dict())):
        assert server.token not in text


def test_a_missing_global_limit_is_a_clear_error_not_an_unlimited_run(prefect_harness: float, sandbox) -> None:
    from flows.connection import open_api

    from custsync.api.fetch import fetch_customers
    from custsync.errors import ConfigError

    with (
        pytest.MonkeyPatch.context() as mp,
        pytest.raises(ConfigError, match="global concurrency limit 'no-such-limit'") as raised,
    ):
        mp.setenv("CUSTSYNC_API_TOKEN", sandbox.token)
        with open_api(ApiTarget(url=sandbox.url, gcl_name="no-such-limit")) as client:
            fetch_customers(client)
    assert "prefect gcl create no-such-limit" in (raised.value.hint or "")
    assert sandbox.token not in str(raised.value)


def test_the_global_limit_wraps_the_clients_one_connection_per_slot_transport() -> None:
    from flows.ratelimit import global_rate_limit_transport

    from custsync.api import ApiSettings, SlotTransport

    settings = ApiSettings(url="http://127.0.0.1:9", token="t", concurrency=3)
    transport = global_rate_limit_transport("custsync-api", settings)
    assert isinstance(transport._inner, SlotTransport) and transport._inner.in_flight == (0, 0, 0)
