"""A snapshot of a seeded sandbox plans back to zero operations, without ``--on-invalid skip``.

The seeder makes what the API allows, including two contact persons of one customer with the same name; all of
it must be read, validated and planned back. Quick version: 150 customers; full (``make reliability``): 3,000.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from custsync.cli import app

pytestmark = [pytest.mark.reliability, pytest.mark.integration]


def test_snapshot_of_a_seeded_sandbox_plans_back_to_zero(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    customers = 3000 if request.config.getoption("--reliability-full", default=False) else 150
    box = sandbox_factory(seed_customers=customers, seed=1)
    monkeypatch.setenv("CUSTSYNC_API_URL", box.url)
    monkeypatch.setenv("CUSTSYNC_API_TOKEN", box.token)
    fast = ["--requests-per-minute", "1000000", "--json"]
    exported = CliRunner().invoke(app, ["export", "--out", str(tmp_path / "snapshots"), *fast])
    assert exported.exit_code == 0, exported.output
    snapshot = json.loads(exported.stdout)["snapshot"]
    planned = CliRunner().invoke(app, ["plan", snapshot, "--full", "--state-dir", str(tmp_path / "state"), *fast])
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.stdout)
    for entity in ("customers", "addresses", "contacts"):
        assert (plan[entity]["create"], plan[entity]["update"], plan[entity]["delete"]) == (0, 0, 0), entity
    assert plan["customers"]["unchanged"] == customers
