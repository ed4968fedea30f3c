"""Acceptance: the 50 sample customers sync into the strict sandbox with nothing rejected, and a second sync
(and a --full plan) plans zero — also when the sandbox shows the shapes newer API versions use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from custsync.cli import app

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "canonical"
FAST = ["--requests-per-minute", "100000", "--json"]


@pytest.mark.parametrize(
    "knobs",
    [
        {},
        {"groups_as_objects": True},
        {"references_as_objects": True},
        {"country_names": True},
        {"groups_as_objects": True, "references_as_objects": True, "country_names": True},
        {"paging": "cursor", "page_size_cap": 20, "groups_as_objects": True, "country_names": True},
    ],
    ids=["plain", "groups-as-objects", "references-as-objects", "country-names", "all-shapes", "cursor-cap20-shapes"],
)
def test_sample_customers_sync_and_converge(sandbox_factory, tmp_path, monkeypatch, knobs) -> None:
    server = sandbox_factory(**knobs)
    monkeypatch.setenv("CUSTSYNC_API_URL", server.url)
    monkeypatch.setenv("CUSTSYNC_API_TOKEN", server.token)
    state = tmp_path / "state"

    def run(*args: str) -> dict:
        result = CliRunner().invoke(app, [*args, str(SAMPLE), *FAST, "--state-dir", str(state)])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    first = run("sync")
    assert first["ok"] and first["failures"] == []
    assert first["customers"]["create"] == 50 and first["customers"]["write_calls"] == 100  # create + follow-up
    assert first["calls"]["POST"] == 50 + first["addresses"]["create"] + first["contacts"]["create"]
    assert first["calls"]["PATCH"] == 50
    second = run("sync")
    assert all(
        second[e]["create"] + second[e]["update"] + second[e]["delete"] == 0
        for e in ("customers", "addresses", "contacts")
    )
    full = run("plan", "--full")
    assert all(
        full[e]["create"] + full[e]["update"] + full[e]["delete"] == 0 for e in ("customers", "addresses", "contacts")
    )
    assert server.client_violations == []
