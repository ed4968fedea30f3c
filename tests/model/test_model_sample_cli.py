"""The acceptance check of the sample data through the product's own command, ``custsync validate``."""

from __future__ import annotations

import json
from pathlib import Path

from sample_sets import SAMPLE, expected_failures
from typer.testing import CliRunner

from custsync.cli import app

runner = CliRunner()


def validate(path: Path) -> tuple[int, dict]:
    result = runner.invoke(app, ["validate", str(path), "--json"], env={"COLUMNS": "250"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, json.loads(result.stdout)


def test_valid_sample_passes_the_cli() -> None:
    code, summary = validate(SAMPLE / "canonical")
    assert code == 0
    assert summary["failures"] == []
    assert summary["customers"]["rows"] == 50


def test_invalid_sample_fails_the_cli_naming_every_planted_failure() -> None:
    code, summary = validate(SAMPLE / "invalid")
    assert code == 1
    got = {(Path(f["file"]).name, f["row"], f["column"], f["rule"]) for f in summary["failures"]}
    assert got == expected_failures()
