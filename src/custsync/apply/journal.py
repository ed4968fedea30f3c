"""The apply journal: every operation of a plan, and how far it got — so a killed run resumes, never repeats.

SQLite in the state directory (``.custsync/journal.sqlite``). An operation moves
``planned -> sent -> done | failed``; ``sent`` is written (and committed) *before* the request goes out, so a
run killed mid-request leaves ``sent`` behind and the next run checks the API before redoing it. A create's
``done`` carries the id the API returned, which the creates of its addresses and contacts use.

``done`` marks are batched: they are committed with the next ``sent`` or ``failed`` mark, every
:data:`DONE_BATCH` marks or :data:`DONE_DELAY` seconds, and on finish/close. A run killed before they are
committed loses nothing but time: its creates are still ``sent`` (looked up again, not repeated) and its patches
and deletes are sent again (both idempotent). Half the commits of an apply of creates, and almost all of one of
patches, are saved this way.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JOURNAL_FILE = "journal.sqlite"

PLANNED, SENT, DONE, FAILED = "planned", "sent", "done", "failed"

DONE_BATCH = 64
"""Most ``done`` marks held back before a commit."""
DONE_DELAY = 1.0
"""Longest a ``done`` mark is held back, in seconds (checked when the next mark comes)."""

_UPDATE = (
    "UPDATE ops SET status = ?, result_id = COALESCE(?, result_id), error = ?, updated_at = ? "
    "WHERE plan_id = ? AND op = ?"
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    plan_id TEXT PRIMARY KEY,
    api TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT
);
CREATE TABLE IF NOT EXISTS ops (
    plan_id TEXT NOT NULL,
    op TEXT NOT NULL,
    entity TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    status TEXT NOT NULL,
    result_id TEXT,
    error TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (plan_id, op)
);
"""


@dataclass(frozen=True)
class JournalEntry:
    op: str
    entity: str
    kind: str
    key: str
    status: str
    result_id: str | None
    error: dict[str, Any] | None


class Journal:
    """The journal of one plan (``plan_id``) in the state directory's journal file."""

    def __init__(self, state_dir: Path, plan_id: str, api_url: str) -> None:
        path = Path(state_dir) / JOURNAL_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        self.plan_id = plan_id
        self._held: list[tuple[object, ...]] = []
        self._held_since = 0.0
        self._db = sqlite3.connect(path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        with self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO runs (plan_id, api, started_at) VALUES (?, ?, ?)",
                (plan_id, api_url.rstrip("/"), _now()),
            )

    def close(self) -> None:
        self.flush()
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def entries(self) -> dict[str, JournalEntry]:
        """What the journal knows about this plan's operations, by operation id."""
        self.flush()
        rows = self._db.execute(
            "SELECT op, entity, kind, key, status, result_id, error FROM ops WHERE plan_id = ?", (self.plan_id,)
        )
        return {
            r[0]: JournalEntry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]) if r[6] else None) for r in rows
        }

    def plan(self, ops: list[tuple[str, str, str, str]]) -> None:
        """Record ``(op, entity, kind, key)`` as planned (ops already journaled keep their status)."""
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO ops (plan_id, op, entity, kind, key, status, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(self.plan_id, op, entity, kind, key, PLANNED, _now()) for op, entity, kind, key in ops],
            )

    def mark(self, op: str, status: str, *, result_id: str | None = None, error: dict[str, Any] | None = None) -> None:
        """Record a status; ``sent`` and ``failed`` are committed before this returns, ``done`` soon after."""
        row = (status, result_id, json.dumps(error, default=str) if error else None, _now(), self.plan_id, op)
        if not self._held:
            self._held_since = time.monotonic()
        self._held.append(row)
        if status != DONE or len(self._held) >= DONE_BATCH or time.monotonic() - self._held_since >= DONE_DELAY:
            self.flush()

    def flush(self) -> None:
        """Commit the held-back marks."""
        if self._held:
            with self._db:
                self._db.executemany(_UPDATE, self._held)
            self._held.clear()

    def finish(self, outcome: str) -> None:
        self.flush()
        with self._db:
            self._db.execute(
                "UPDATE runs SET finished_at = ?, outcome = ? WHERE plan_id = ?", (_now(), outcome, self.plan_id)
            )

    def outcome(self) -> str | None:
        row = self._db.execute("SELECT outcome FROM runs WHERE plan_id = ?", (self.plan_id,)).fetchone()
        return row[0] if row else None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()
