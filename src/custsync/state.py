"""The local state store: what the last successful sync left behind, so the next one can skip work.

SQLite in the state directory (default ``.custsync/state.sqlite``), one row set per API base URL:

- per customer number: its API id, a fingerprint of the desired address rows and of the desired contact rows
  as they were last applied, and the customer's ``updatedAt`` as read right after that apply. A nightly run
  fetches a customer's addresses/contacts only when the fingerprint or ``updatedAt`` moved (see README,
  "How a sync decides what to fetch");
- per delivery address ``matchKey``: the API id it was synced to, so a renamed street still updates the same
  address instead of creating a new one.

Losing the file costs calls (the next run fetches everything once), never correctness.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

STATE_FILE = "state.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    api TEXT NOT NULL,
    number TEXT NOT NULL,
    id TEXT,
    addresses_hash INTEGER,
    contacts_hash INTEGER,
    updated_at INTEGER,
    PRIMARY KEY (api, number)
);
CREATE TABLE IF NOT EXISTS match_keys (
    api TEXT NOT NULL,
    customer_number TEXT NOT NULL,
    match_key TEXT NOT NULL,
    address_id TEXT NOT NULL,
    PRIMARY KEY (api, customer_number, match_key)
);
"""


class StateStore:
    """Read and update the state of one API (its base URL) in one SQLite file."""

    def __init__(self, path: Path, api_url: str) -> None:
        self.path = Path(path)
        self.api = api_url.rstrip("/")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    @classmethod
    def open(cls, state_dir: Path, api_url: str) -> StateStore:
        return cls(Path(state_dir) / STATE_FILE, api_url)

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def customers(self) -> pd.DataFrame:
        """Columns ``number``, ``id`` (text), ``addresses_hash``, ``contacts_hash`` and ``updated_at``
        (Int64; ``updated_at`` in microseconds since 1970)."""
        frame = pd.read_sql_query(
            "SELECT number, id, addresses_hash, contacts_hash, updated_at FROM customers WHERE api = ?",
            self._db,
            params=(self.api,),
        )
        return frame.astype(
            {
                "number": "string",
                "id": "string",
                "addresses_hash": "Int64",
                "contacts_hash": "Int64",
                "updated_at": "Int64",
            }
        )

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
        rows = frame[["number", "id", "addresses_hash", "contacts_hash", "updated_at"]].astype(object)
        rows = rows.where(frame[rows.columns].notna().to_numpy(), None)
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO customers (api, number, id, addresses_hash, contacts_hash, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
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
