"""``custsync report``: the dry-run sync report as a self-contained HTML file, from the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from custsync.cli import app
from custsync.demo import edit_legacy_csv

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
