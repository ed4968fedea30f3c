"""``make demo``'s steps inside the test harness: two syncs (the second plans exactly the edits) and an export
whose snapshot passes ``custsync validate``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from flows.demo import run_demo
from rich.console import Console
from typer.testing import CliRunner

from custsync.cli import app

pytestmark = pytest.mark.integration


def test_demo_syncs_twice_exports_and_the_snapshot_validates(prefect_harness: float, tmp_path: Path) -> None:
    out = io.StringIO()
    result = run_demo(Console(file=out, width=200), snapshots=tmp_path / "snapshots", reports=tmp_path / "reports")

    first, second, exported = result.runs
    assert {e.entity: e.create for e in first.plan.entities} == {"customers": 50, "addresses": 125, "contacts": 33}
    assert {e.entity: (e.create, e.update, e.delete) for e in second.plan.entities} == {
        "customers": (0, 2, 0),
        "addresses": (0, 1, 0),
        "contacts": (1, 0, 0),
    }
    text = out.getvalue()
    assert "update customers K-10001: contact.email 'info@renner.de' -> 'buchhaltung@renner.de'" in text
    assert "create contacts K-10002/Greta Davids" in text
    assert second.calls["POST"] == 1 and second.calls["PATCH"] == 3 and second.calls["DELETE"] == 0
    assert all(path.is_file() and path.parent == (tmp_path / "reports").resolve() for _, path in result.reports)

    assert result.snapshot_valid
    assert result.snapshot.parent == (tmp_path / "snapshots").resolve()
    files = [str(result.snapshot / f"{name}.parquet") for name in ("customers", "addresses", "contacts")]
    validated = CliRunner().invoke(app, ["validate", *files, "--json"])
    assert validated.exit_code == 0, validated.output
    summary = json.loads(validated.stdout)
    assert summary["customers"]["rows"] == 50 and summary["contacts"]["rows"] == 34
    assert summary["failures"] == []
    assert exported.export.rows == {"customers": 50, "addresses": 125, "contacts": 34}
