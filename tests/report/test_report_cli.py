"""``custsync report``: the dry-run sync report as a self-contained HTML file, from the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from flows.demo import edit_legacy_csv
from typer.testing import CliRunner

from custsync.cli import app

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "legacy_erp"
MAPPING = ROOT / "mappings" / "legacy_erp.yaml"


@pytest.mark.integration
def test_report_plans_against_the_api_and_writes_html(sandbox, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CUSTSYNC_API_URL", sandbox.url)
    monkeypatch.setenv("CUSTSYNC_API_TOKEN", sandbox.token)
    out = tmp_path / "report.html"
    args = ["report", str(SAMPLE), "--mapping", str(MAPPING), "--out", str(out), "--markdown", str(tmp_path / "r.md")]
    result = CliRunner().invoke(
        app, [*args, "--state-dir", str(tmp_path / "state"), "--requests-per-minute", "60000", "--json"]
    )

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["html"] == str(out)
    assert {e["entity"]: e["create"] for e in data["plan"]["entities"]} == {
        "customers": 50,
        "addresses": 125,
        "contacts": 33,
    }
    assert data["results"]["dry_run"] is True
    assert data["calls"]["POST"] == 0 and data["calls"]["GET"] >= 1
    html = out.read_text(encoding="utf-8")
    assert "Operations per entity" in html and "Dry run" in html
    assert sandbox.token not in html + result.stdout + (tmp_path / "r.md").read_text(encoding="utf-8")


def test_report_offline_shows_the_rejects_and_failures_per_rule(tmp_path: Path) -> None:
    source = tmp_path / "legacy_erp"
    shutil.copytree(SAMPLE, source, ignore=shutil.ignore_patterns("*.py"))
    edit_legacy_csv(next(source.glob("*.csv")), {"K-10004": {"E-Mail": "kaputt", "Land": "Atlantis"}})
    out = tmp_path / "offline.html"

    result = CliRunner().invoke(app, ["report", str(source), "--mapping", str(MAPPING), "--offline", "--out", str(out)])

    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "Failures per rule" in html and "kaputt" in html
    assert "<h2>Plan" not in html


@pytest.mark.integration
def test_report_in_mirror_mode_shows_a_plan_over_the_delete_limit_instead_of_failing(
    sandbox, tmp_path: Path, monkeypatch
) -> None:
    import asyncio

    import pandas as pd

    from custsync import pipeline
    from custsync.api import ApiSettings

    canonical = ROOT / "sample_data" / "canonical"
    connection = pipeline.Connection(ApiSettings(url=sandbox.url, token=sandbox.token, requests_per_minute=60000))
    loaded = pipeline.load([canonical])
    asyncio.run(pipeline.sync(loaded.desired, connection, options=pipeline.plan_options(), state_dir=tmp_path / "s0"))
    source = tmp_path / "source"
    source.mkdir()
    gone = {f"K100{n}" for n in range(41, 51)}  # 10 of 50 customers: over the default limit of 3
    for name, column in (("customers", "number"), ("addresses", "customerNumber"), ("contacts", "customerNumber")):
        frame = pd.read_csv(canonical / f"{name}.csv", dtype=str, keep_default_na=False)
        frame[~frame[column].isin(gone)].to_csv(source / f"{name}.csv", index=False)
    monkeypatch.setenv("CUSTSYNC_API_URL", sandbox.url)
    monkeypatch.setenv("CUSTSYNC_API_TOKEN", sandbox.token)
    out, markdown = tmp_path / "report.html", tmp_path / "report.md"
    args = ["report", str(source), "--mode", "mirror", "--scope", "all", "--out", str(out), "--markdown", str(markdown)]
    result = CliRunner().invoke(
        app, [*args, "--state-dir", str(tmp_path / "state"), "--requests-per-minute", "60000", "--json"]
    )

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {e["entity"]: e["delete"] for e in data["plan"]["entities"]}["customers"] == 10
    assert data["plan"]["refused"] and "limit 3" in data["plan"]["refused"][0]
    assert data["ok"] is False
    assert "Refused:" in markdown.read_text(encoding="utf-8") and "Refused:" in out.read_text(encoding="utf-8")
