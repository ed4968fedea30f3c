"""Two contact persons of one customer with the same name: legal in the API, so read, synced and planned back.

Over HTTP against the sandbox: a source with such a pair syncs, re-syncs to zero in either row order, its
snapshot plans back to zero, and a change to one of the pair patches exactly that one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from custsync.cli import app

pytestmark = pytest.mark.integration

CANONICAL = Path(__file__).resolve().parent.parent / "sample_data" / "canonical"
FAST = ["--requests-per-minute", "100000"]


@pytest.fixture
def run(sandbox: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.setenv("CUSTSYNC_API_URL", sandbox.url)
    monkeypatch.setenv("CUSTSYNC_API_TOKEN", sandbox.token)

    def invoke(*args: str) -> dict:
        state = [] if args[0] == "export" else ["--state-dir", str(tmp_path / "state")]
        result = CliRunner().invoke(app, [*args, *FAST, *state, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return invoke


def _source_with_a_namesake(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    shutil.copytree(CANONICAL, source)
    contacts = pd.read_csv(source / "contacts.csv", dtype=str, keep_default_na=False)
    twin = contacts.iloc[0].copy()
    twin["contact.email"] = "second.namesake@example.com"
    twin["contact.phone"] = "+49 30 1234567"
    pd.concat([contacts, twin.to_frame().T]).to_csv(source / "contacts.csv", index=False)
    return source


def _ops(out: dict) -> dict[str, tuple[int, int, int]]:
    return {e: (out[e]["create"], out[e]["update"], out[e]["delete"]) for e in ("customers", "addresses", "contacts")}


def test_namesakes_sync_replan_to_zero_in_any_order_and_round_trip(run: Any, tmp_path: Path) -> None:
    source = _source_with_a_namesake(tmp_path)
    first = run("sync", str(source))
    assert first["contacts"]["create"] == 60 and first["contacts"]["failed"] == 0
    zero = {"customers": (0, 0, 0), "addresses": (0, 0, 0), "contacts": (0, 0, 0)}
    assert _ops(run("plan", str(source), "--full")) == zero

    contacts = pd.read_csv(source / "contacts.csv", dtype=str, keep_default_na=False)
    contacts.iloc[::-1].to_csv(source / "contacts.csv", index=False)  # the pair now comes in the other order
    assert _ops(run("plan", str(source), "--full")) == zero

    exported = run("export", "--out", str(tmp_path / "snapshots"))
    assert _ops(run("plan", exported["snapshot"], "--full")) == zero

    contacts = pd.read_csv(source / "contacts.csv", dtype=str, keep_default_na=False)
    contacts.loc[contacts["contact.email"] == "second.namesake@example.com", "position"] = "Einkaufsleitung"
    contacts.to_csv(source / "contacts.csv", index=False)
    changed = run("plan", str(source), "--full")
    assert _ops(changed) == {"customers": (0, 0, 0), "addresses": (0, 0, 0), "contacts": (0, 1, 0)}
