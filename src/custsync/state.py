"""The local state store: what the last successful sync left behind, so the next one can skip work.

SQLite in the state directory (default ``.custsync/state.sqlite``), one row set per API base URL:

- per customer number: its API id, fingerprints of the desired customer row, of its desired address rows and of
  its desired contact rows as they were last applied, and the customer's ``updatedAt`` as the plan saw it. A
  nightly run fetches a customer only when its row's fingerprint changed or the API says it changed, and its
  addresses/contacts only when their fingerprint or ``updatedAt`` moved (see README, "How a sync decides what
  to fetch");
- the listing: the id of every customer the API held as far as custsync knows (to tell from ``totalCount``
  whether one was deleted outside), and the watermark — the greatest ``updatedAt`` a listing saw, capped by the
  server's clock when that listing began, never a stamp of custsync's own writes;
- per delivery address ``matchKey``: the API id it was synced to, so a renamed street still updates the same
  address instead of creating a new one.

Losing the file costs calls (the next run fetches everything once), never correctness.

One run at a time per state directory: opening the store takes :class:`StateLock` (an ``flock`` on
``STATE_DIR/lock``, released by the kernel when the process dies, so a killed run never leaves it stuck); a
second run is refused with :class:`~custsync.errors.StateLockedError` naming the holder's pid and start time.
Because planning and applying take the lock one after the other, the store also counts applies
(``generation``): a plan remembers the generation it was made at, and ``apply`` refuses it when another plan
was applied in between — the two would otherwise both create the same addresses and contacts.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sqlite3
import sys
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from custsync.errors import StateLockedError

STATE_FILE = "state.sqlite"
LOCK_FILE = "lock"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    api TEXT NOT NULL,
    number TEXT NOT NULL,
    id TEXT,
    addresses_hash INTEGER,
    contacts_hash INTEGER,
    updated_at INTEGER,
    customer_hash INTEGER,
    PRIMARY KEY (api, number)
);
CREATE TABLE IF NOT EXISTS listed (
    api TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (api, id)
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS match_keys (
    api TEXT NOT NULL,
    customer_number TEXT NOT NULL,
    match_key TEXT NOT NULL,
    address_id TEXT NOT NULL,
    PRIMARY KEY (api, customer_number, match_key)
);
"""


CUSTOMER_DTYPES = {
    "number": "string",
    "id": "string",
    "addresses_hash": "Int64",
    "contacts_hash": "Int64",
    "updated_at": "Int64",
    "customer_hash": "Int64",
}
CUSTOMER_COLUMNS = tuple(CUSTOMER_DTYPES)
"""What the store keeps per customer number (see :meth:`StateStore.customers`)."""


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a state file of an earlier version up to date (its rows stay; new columns start empty)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(customers)")}
    if "customer_hash" not in columns:
        db.execute("ALTER TABLE customers ADD COLUMN customer_hash INTEGER")


class StateLock:
    """The exclusive lock of one state directory, held from :meth:`acquire` to :meth:`release`.

    Not re-entrant: a second acquire — from another process or this one — is refused, never waited for."""

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> StateLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StateLockedError(
                f"another custsync run is using the state directory {self.path.parent}: {self._holder()}",
                hint="wait for it to finish (a killed run frees the directory at once); "
                "two runs on one state directory would create the same records twice",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(_holder_record()).encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the only descriptor releases the flock

    def __enter__(self) -> StateLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _holder(self) -> str:
        try:
            record = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            record = {}
        if not isinstance(record, dict) or "pid" not in record:
            return "it has just started (pid not written yet)"
        command = f" ({record['command']})" if record.get("command") else ""
        return f"pid {record['pid']}{command}, started {record.get('started', '?')}"


def _holder_record() -> dict[str, object]:
    command = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv[:2]))
    return {"pid": os.getpid(), "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "command": command}


class StateStore:
    """Read and update the state of one API (its base URL) in one SQLite file.

    Opening it takes the state directory's :class:`StateLock` until :meth:`close`, unless the caller passes
    a lock it already holds (``apply`` holds one for its whole run)."""

    def __init__(self, path: Path, api_url: str, *, lock: StateLock | None = None) -> None:
        self.path = Path(path)
        self.api = api_url.rstrip("/")
        self._own_lock = lock is None
        self._lock = lock if lock is not None else StateLock(self.path.parent).acquire()
        try:
            self._db = sqlite3.connect(self.path, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            _migrate(self._db)
        except BaseException:
            self._release()
            raise

    @classmethod
    def open(cls, state_dir: Path, api_url: str, *, lock: StateLock | None = None) -> StateStore:
        return cls(Path(state_dir) / STATE_FILE, api_url, lock=lock)

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._db.close()
        finally:
            self._release()

    def _release(self) -> None:
        if self._own_lock:
            self._lock.release()

    def generation(self) -> int:
        """How many applies this state directory has begun: a plan made at another generation is stale."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def applying(self) -> str | None:
        """The id of the plan the latest apply began with (a resumed apply of it is not stale)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'applying'").fetchone()
        return row[0] if row else None

    def begin_apply(self, plan_id: str) -> int:
        """Count an apply of ``plan_id`` as begun; returns the new generation."""
        generation = self.generation() + 1
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [("generation", str(generation)), ("applying", plan_id)],
            )
        return generation

    def customers(self) -> pd.DataFrame:
        """Columns ``number``, ``id`` (text), ``addresses_hash``, ``contacts_hash``, ``updated_at`` and
        ``customer_hash`` (Int64; ``updated_at`` in microseconds since 1970)."""
        frame = pd.read_sql_query(
            f"SELECT {', '.join(CUSTOMER_COLUMNS)} FROM customers WHERE api = ?", self._db, params=(self.api,)
        )
        return frame.astype(CUSTOMER_DTYPES)

    def watermark(self) -> str | None:
        """Where the next incremental listing starts (``updatedAt`` at or after it); ``None``: list fully."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (self._watermark_key,)).fetchone()
        return row[0] if row else None

    def listed_ids(self) -> frozenset[str]:
        """The id of every customer the API holds, as far as the listings and writes since told."""
        rows = self._db.execute("SELECT id FROM listed WHERE api = ?", (self.api,))
        return frozenset(r[0] for r in rows)

    def record_listing(
        self, *, added: Iterable[str], removed: Iterable[str] = (), complete: bool, watermark: str | None
    ) -> None:
        """Update the listing memory: ``complete`` replaces the known ids with ``added`` (a full listing), else
        they are added; ``removed`` ids are dropped; a ``watermark`` replaces the old one (``None`` keeps it)."""
        with self._db:
            if complete:
                self._db.execute("DELETE FROM listed WHERE api = ?", (self.api,))
            self._db.executemany("INSERT OR IGNORE INTO listed (api, id) VALUES (?, ?)", [(self.api, i) for i in added])
            self._db.executemany("DELETE FROM listed WHERE api = ? AND id = ?", [(self.api, i) for i in removed])
            if watermark is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (self._watermark_key, watermark)
                )

    def forget_listing(self) -> None:
        """Forget the watermark and the known ids: the next run lists every customer."""
        with self._db:
            self._db.execute("DELETE FROM listed WHERE api = ?", (self.api,))
            self._db.execute("DELETE FROM meta WHERE key = ?", (self._watermark_key,))

    @property
    def _watermark_key(self) -> str:
        return f"watermark {self.api}"

    def match_keys(self) -> pd.DataFrame:
        """Columns ``customerNumber``, ``matchKey``, ``id``: the address each match key was synced to."""
        frame = pd.read_sql_query(
            "SELECT customer_number AS customerNumber, match_key AS matchKey, address_id AS id "
            "FROM match_keys WHERE api = ?",
            self._db,
            params=(self.api,),
        )
        return frame.astype("string")

    def record_customers(self, frame: pd.DataFrame) -> None:
        """Remember customers as synced (replacing what was known about them); ``frame`` has the columns of
        :meth:`customers`."""
        frame = frame.reindex(columns=list(CUSTOMER_COLUMNS))
        rows = frame.astype(object).where(frame.notna().to_numpy(), None)
        with self._db:
            self._db.executemany(
                f"INSERT OR REPLACE INTO customers (api, {', '.join(CUSTOMER_COLUMNS)}) "
                f"VALUES (?, {', '.join('?' * len(CUSTOMER_COLUMNS))})",
                ((self.api, *row) for row in rows.itertuples(index=False, name=None)),
            )

    def forget_customers(self, numbers: Iterable[str]) -> None:
        """Drop what is known about these customers: their next sync fetches them fully."""
        with self._db:
            self._db.executemany("DELETE FROM customers WHERE api = ? AND number = ?", [(self.api, n) for n in numbers])

    def remember_match_keys(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """``(customer number, match key, address id)`` triples."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO match_keys (api, customer_number, match_key, address_id) VALUES (?, ?, ?, ?)",
                [(self.api, cn, mk, aid) for cn, mk, aid in rows],
            )
