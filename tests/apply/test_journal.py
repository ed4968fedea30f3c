"""The journal's durability rules: ``sent``/``failed`` are committed at once, ``done`` marks in batches."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from custsync.apply import journal as journal_module
from custsync.apply.journal import DONE, DONE_BATCH, FAILED, JOURNAL_FILE, PLANNED, SENT, Journal


def committed(state_dir: Path) -> dict[str, str]:
    """Statuses as another process would see them (a second connection sees committed rows only)."""
    with sqlite3.connect(state_dir / JOURNAL_FILE) as other:
        return dict(other.execute("SELECT op, status FROM ops"))


@pytest.fixture
def journal(tmp_path: Path):
    with Journal(tmp_path, "plan-1", "http://127.0.0.1:1") as opened:
        opened.plan([(f"op{i}", "customers", "create", f"K{i}") for i in range(DONE_BATCH + 2)])
        yield opened


def test_sent_and_failed_are_committed_before_mark_returns(journal, tmp_path):
    journal.mark("op0", SENT)
    assert committed(tmp_path)["op0"] == SENT
    journal.mark("op1", FAILED, error={"message": "boom"})
    assert committed(tmp_path)["op1"] == FAILED


def test_done_marks_are_held_until_the_next_sent_mark(journal, tmp_path):
    journal.mark("op0", SENT)
    journal.mark("op0", DONE, result_id="7")
    assert committed(tmp_path)["op0"] == SENT
    journal.mark("op1", SENT)
    assert committed(tmp_path)["op0"] == DONE and committed(tmp_path)["op1"] == SENT
    assert journal.entries()["op0"].result_id == "7"


def test_a_full_batch_of_done_marks_is_committed(journal, tmp_path):
    for i in range(DONE_BATCH - 1):
        journal.mark(f"op{i}", DONE)
    assert set(committed(tmp_path).values()) == {PLANNED}
    journal.mark(f"op{DONE_BATCH - 1}", DONE)
    assert list(committed(tmp_path).values()).count(DONE) == DONE_BATCH


def test_done_marks_are_not_held_longer_than_the_delay(journal, tmp_path, monkeypatch):
    clock = iter([100.0, 100.0 + journal_module.DONE_DELAY])
    monkeypatch.setattr(journal_module.time, "monotonic", lambda: next(clock))
    journal.mark("op0", DONE)
    assert committed(tmp_path)["op0"] == DONE


def test_finish_and_close_commit_what_is_held(tmp_path):
    with Journal(tmp_path, "plan-1", "http://127.0.0.1:1") as journal:
        journal.plan([("a", "customers", "create", "K1"), ("b", "customers", "update", "K2")])
        journal.mark("a", DONE, result_id="1")
        journal.finish("ok")
        assert committed(tmp_path)["a"] == DONE
        journal.mark("b", DONE)
    assert committed(tmp_path)["b"] == DONE
