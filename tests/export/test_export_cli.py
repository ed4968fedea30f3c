"""``custsync export`` end to end, and the round trip: a fresh snapshot synced back plans zero operations."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from custsync.api import ApiSettings, AsyncCustomerApi
from custsync.cli import app
from custsync.export import read_snapshot
from custsync.reconcile import PlanOptions, plan_sync
from custsync.reconcile.api_remote import ApiRemote

pytestmark = pytest.mark.integration

FAST = ["--requests-per-minute", "1000000", "--concurrency", "16"]


def _env(server) -> dict[str, str]:
    return {"CUSTSYNC_API_URL": server.url, "CUSTSYNC_API_TOKEN": server.token}


def _run(server, *args: str):
    result = CliRunner().invoke(app, list(args), env=_env(server))
    assert server.token not in result.stdout + (result.stderr or "")
    return result


def _export(server, out, *args: str) -> dict:
    result = _run(server, "export", "--out", str(out), *FAST, "--json", *args)
    assert result.exit_code == 0, result.stdout + (result.stderr or "")
    return json.loads(result.stdout)


def _plan_counts(server, source: str, state_dir) -> dict:
    result = _run(server, "plan", source, "--full", "--json", "--state-dir", str(state_dir), *FAST)
    assert result.exit_code == 0, result.stdout + (result.stderr or "")
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "both"],
        ["--format", "csv", "--no-neutralise-formulas"],
        ["--format", "csv"],
        ["--format", "csv", "--csv-dialect", "excel-de"],
    ],
    ids=["parquet+csv", "plain-csv", "neutralised-csv", "excel-de-csv"],
)
def test_round_trip_plans_zero_operations(sandbox_factory, tmp_path, args):
    server = sandbox_factory(seed_customers=12, seed=11)
    summary = _export(server, tmp_path / "out", *args)
    assert summary["rows"]["customers"] == 12
    plan = _plan_counts(server, summary["snapshot"], tmp_path / "state")
    for entity in ("customers", "addresses", "contacts"):
        counts = plan[entity]
        assert counts["create"] == counts["update"] == counts["delete"] == 0, (entity, counts)
        assert counts["unchanged"] == summary["rows"][entity]


def test_snapshots_root_is_read_through_its_latest_pointer(sandbox_factory, tmp_path):
    server = sandbox_factory(seed_customers=6, seed=5)
    summary = _export(server, tmp_path / "out", "--format", "csv", "--csv-dialect", "excel-de")
    plan = _plan_counts(server, str(tmp_path / "out"), tmp_path / "state")
    assert plan["customers"]["unchanged"] == summary["rows"]["customers"] == 6
    assert plan["customers"]["create"] == plan["customers"]["update"] == 0


def test_neutralised_csv_read_back_with_read_snapshot_plans_zero_operations(sandbox_factory, tmp_path):
    server = sandbox_factory(seed_customers=10, seed=4)
    summary = _export(server, tmp_path / "out", "--format", "csv")  # neutralised: phones start with +
    frames = read_snapshot(summary["snapshot"]).frames

    async def plan():
        settings = ApiSettings(url=server.url, token=server.token, requests_per_minute=1_000_000, concurrency=16)
        async with AsyncCustomerApi(settings) as api:
            return await plan_sync(frames, ApiRemote(api), options=PlanOptions(full=True))

    result = asyncio.run(plan())
    assert result.operations == 0, result.counts()
    assert result.counts()["customers"]["unchanged"] == 10


def test_json_summary_and_excel_de(sandbox_factory, tmp_path):
    server = sandbox_factory(seed_customers=5, seed=2)
    summary = _export(server, tmp_path / "out", "--format", "csv", "--csv-dialect", "excel-de")
    assert set(summary) >= {"snapshot", "run_id", "mode", "rows", "calls", "seconds"}
    assert summary["calls"]["GET"] == summary["calls"]["total"] == 1 + 2 * 5
    raw = (tmp_path / "out" / summary["run_id"] / "customers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid;createdAt;")
    assert (tmp_path / "out" / "LATEST").read_text().strip() == summary["run_id"]

    again = _export(server, tmp_path / "out", "--incremental", "--format", "csv", "--csv-dialect", "excel-de")
    assert again["mode"] == "incremental"
    assert again["changes"]["changed"] == 0


def test_filter_option_and_errors(sandbox, tmp_path):
    from custsync.api import CustomerApi

    with CustomerApi(ApiSettings(url=sandbox.url, token=sandbox.token, requests_per_minute=1_000_000)) as api:
        for n in range(3):
            api.customers.create({"number": f"F{n}", "type": "company", "name": f"Firma {n}"})
    summary = _export(sandbox, tmp_path / "out", "--filter", "number", "in", "F0,F2")
    assert summary["rows"]["customers"] == 2

    bad = _run(sandbox, "export", "--out", str(tmp_path), "--filter", "number", "like", "x", "--json")
    assert bad.exit_code == 2
    assert json.loads(bad.stdout)["error"] == "ConfigError"
    short = _run(sandbox, "export", "--out", str(tmp_path), "--filter", "number", "equals")
    assert short.exit_code == 2
    assert "KEY OP VALUE" in short.stderr
    fmt = _run(sandbox, "export", "--out", str(tmp_path), "--format", "xlsx", "--json")
    assert json.loads(fmt.stdout)["hint"].startswith("choose one of")


@pytest.mark.parametrize("tamper", ["symlinked-file", "changed-bytes", "latest-outside"])
def test_an_incremental_export_on_top_of_a_tampered_snapshot_refuses(sandbox_factory, tmp_path, tamper):
    server = sandbox_factory(seed_customers=4, seed=3)
    out = tmp_path / "out"
    first = _export(server, out, "--format", "parquet")
    snapshot = out / first["run_id"]
    if tamper == "symlinked-file":
        foreign = tmp_path / "foreign.parquet"
        foreign.write_bytes((snapshot / "contacts.parquet").read_bytes())
        (snapshot / "contacts.parquet").unlink()
        (snapshot / "contacts.parquet").symlink_to(foreign)
        problem = "is a symlink"
    elif tamper == "changed-bytes":
        with open(snapshot / "customers.parquet", "ab") as fh:
            fh.write(b"\0")
        problem = "checksum does not match"
    else:
        (out / "LATEST").write_text("../elsewhere\n")
        problem = "not a snapshot of this directory"
    result = _run(server, "export", "--out", str(out), *FAST, "--json", "--incremental")
    assert result.exit_code == 2, result.stdout
    assert problem in json.loads(result.stdout)["message"]
    assert sorted(p.name for p in out.iterdir() if snap_dir(p)) == [first["run_id"]]  # nothing laundered


def snap_dir(path) -> bool:
    from custsync.io.snapshot import is_run_id

    return path.is_dir() and is_run_id(path.name)
