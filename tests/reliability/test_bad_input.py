"""Bad input through ``custsync sync`` in strict mode: a clear error and not one write reaches the API.

The cases are the input corpus (``tests/corpus/test_corpus.py``: whole-file errors and row-level rejects) plus
the planted failures of ``sample_data/invalid``. Each case's expected message or rejects must show in the CLI's
output (``sync`` for the refusal, ``validate`` for the file/row/column/rule), never a traceback, and the
sandbox — which holds customers already — must be byte-for-byte unchanged afterwards.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

from custsync.cli import app

from .support import SAMPLE_INVALID, sandbox_rows, token_leaks

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus" / "test_corpus.py"


def _corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_reliability_corpus", CORPUS)
    assert spec is not None and spec.loader is not None
    module = sys.modules.get(spec.name) or importlib.util.module_from_spec(spec)
    if spec.name not in sys.modules:
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return module


def bad_cases() -> list[Any]:
    """The corpus cases that must stop a strict sync: a whole-file error or at least one reject."""
    if not CORPUS.exists():
        return []
    return [c for c in _corpus().cases() if c.error is not None or c.rejects]


CASES = bad_cases()
QUICK_REJECT_CASES = {"invalid-email", "duplicate-customer-number", "orphan-contact", "legacy-bad-decimal"}
"""The quick run takes every whole-file error (cheap) and these row-level cases; the full run takes them all."""


def chosen(full: bool) -> list[Any]:
    return [c for c in CASES if full or c.error is not None or c.id in QUICK_REJECT_CASES]


def _lay_out(case: Any, where: Path) -> list[str]:
    """Write the case's files into ``where``; returns the CLI arguments (sources and mapping)."""
    where.mkdir(parents=True)
    for name, content in case.files.items():
        (where / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    args = list(case.paths or sorted(case.files))
    if case.mapping is not None:
        if case.mapping.endswith(".yaml"):
            args += ["--mapping", case.mapping]
        else:
            (where / "m.yaml").write_text(case.mapping, encoding="utf-8")
            args += ["--mapping", "m.yaml"]
    return args


def _invoke(runner: CliRunner, args: list[str], transcripts: Path, name: str) -> tuple[int, str, str]:
    result = runner.invoke(app, args)
    (transcripts / f"{name}.out").write_text(result.stdout)
    (transcripts / f"{name}.err").write_text(result.stderr)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"{name}: {type(result.exception).__name__}: {result.exception}"
    assert "Traceback" not in result.stdout + result.stderr, name
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.skipif(not CASES, reason="the input corpus (tests/corpus/test_corpus.py) is not there")
def test_strict_sync_of_bad_input_writes_nothing_and_says_why(profile, sandbox_factory, tmp_path, token, monkeypatch):
    server = sandbox_factory(token=token, seed_customers=3, seed=7)
    before = sandbox_rows(server.db_path)
    monkeypatch.setenv("CUSTSYNC_API_URL", server.url)
    monkeypatch.setenv("CUSTSYNC_API_TOKEN", token)
    runner = CliRunner()
    transcripts = tmp_path / "transcripts"
    transcripts.mkdir()
    state = ["--state-dir", str(tmp_path / "state"), "--requests-per-minute", "100000"]
    problems: list[str] = []

    for case in chosen(profile.name == "full"):
        where = tmp_path / case.id
        args = _lay_out(case, where)
        monkeypatch.chdir(where)
        code, out, _ = _invoke(runner, ["sync", *args, *state, "--json"], transcripts, f"{case.id}-sync")
        error = json.loads(out)
        if code == 0 or "error" not in error or not error.get("message"):
            problems.append(f"{case.id}: sync did not refuse clearly (exit {code}): {out[:300]}")
            continue
        if case.error is not None:
            text = case.error[1]
            if text not in error["message"] + " " + (error.get("hint") or ""):
                problems.append(f"{case.id}: expected {text!r} in {error}")
        else:
            code, out, _ = _invoke(runner, ["validate", *args, "--json"], transcripts, f"{case.id}-validate")
            found = {(Path(f["file"]).name, int(f["row"]), f["rule"]) for f in json.loads(out)["failures"]}
            if code == 0 or not case.rejects <= found:
                problems.append(f"{case.id}: validate (exit {code}) lacks {case.rejects - found}")
        if sandbox_rows(server.db_path) != before:
            problems.append(f"{case.id}: the sandbox changed: a write reached the API")
            before = sandbox_rows(server.db_path)

    assert problems == []
    assert token_leaks(token, [tmp_path]) == []


def test_strict_sync_of_the_planted_failures_writes_nothing(sandbox_factory, tmp_path, token, monkeypatch):
    """``sample_data/invalid``: 23 planted failures among valid rows — the valid rows are not written either."""
    server = sandbox_factory(token=token, seed_customers=3, seed=11)
    before = sandbox_rows(server.db_path)
    source = shutil.copytree(SAMPLE_INVALID, tmp_path / "invalid")
    monkeypatch.setenv("CUSTSYNC_API_URL", server.url)
    monkeypatch.setenv("CUSTSYNC_API_TOKEN", token)
    monkeypatch.chdir(tmp_path)
    transcripts = tmp_path / "transcripts"
    transcripts.mkdir()
    runner = CliRunner()

    code, out, _ = _invoke(
        runner,
        ["sync", str(source), "--state-dir", "state", "--requests-per-minute", "100000", "--json"],
        transcripts,
        "sync",
    )
    refused = json.loads(out)
    assert code != 0 and refused["error"] == "ValidationFailed" and "nothing will be written" in refused["message"]
    code, out, _ = _invoke(runner, ["validate", str(source), "--json"], transcripts, "validate")
    failures = json.loads(out)["failures"]
    assert code != 0 and len(failures) >= 20
    assert all(f["file"] and f["row"] and f["column"] and f["rule"] for f in failures)
    assert sandbox_rows(server.db_path) == before
    assert token_leaks(token, [tmp_path]) == []
