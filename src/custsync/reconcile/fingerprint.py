"""Fingerprints of a customer's desired row, addresses or contacts, to tell cheaply whether they changed.

One 64-bit number per customer: the wrapping sum of the row hashes of its normalised rows (order does not
matter), mixed with the list of compared columns (a new mapping column changes every fingerprint).
Computed column-wise with ``pandas.util.hash_pandas_object``: no per-row Python loop.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from custsync.model import CUSTOMERS, Entity
from custsync.reconcile.keys import customer_numbers
from custsync.reconcile.normalise import normalise_frame


def subrow_fingerprints(entity: Entity, desired: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """Int64 fingerprint per customer number (index) of that customer's desired rows of ``entity``."""
    return _fingerprints(entity, desired, columns, by="customerNumber")


def customer_fingerprints(desired: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """Int64 fingerprint per customer number (index) of its desired customer row."""
    return _fingerprints(CUSTOMERS, desired, columns, by="number")


def _fingerprints(entity: Entity, desired: pd.DataFrame, columns: tuple[str, ...], *, by: str) -> pd.Series:
    numbers = customer_numbers(desired[by])
    if desired.empty:
        return pd.Series([], index=pd.Index([], dtype="string"), dtype="Int64")
    hashed_columns = tuple(c for c in columns if c != by)
    frame = normalise_frame(entity, desired, hashed_columns)
    rows = pd.util.hash_pandas_object(frame.astype("string"), index=False).to_numpy(dtype=np.uint64)
    sums = pd.Series(rows, index=numbers.to_numpy()).groupby(level=0).sum()
    salt = np.uint64(int.from_bytes(hashlib.sha256("\x1f".join(hashed_columns).encode()).digest()[:8], "big"))
    mixed = (sums.to_numpy(dtype=np.uint64) ^ salt).view(np.int64)
    return pd.Series(mixed, index=sums.index.astype("string"), dtype="Int64")


def record_digests(entity: Entity, frame: pd.DataFrame, columns: tuple[str, ...]) -> list[str]:
    """A digest per row of the normalised ``columns``: what a record looked like when the plan saw it.

    The stale-plan check compares these instead of ``updatedAt`` for addresses and contact persons, whose
    public schema has no timestamps. Deterministic across processes (``hash_pandas_object`` has a fixed key)."""
    if frame.empty:
        return []
    hashed = tuple(c for c in columns if c != "customerNumber")
    if not hashed:
        return ["0" * 16] * len(frame)
    normalised = normalise_frame(entity, frame, hashed).astype("string")
    rows = pd.util.hash_pandas_object(normalised, index=False).to_numpy(dtype=np.uint64)
    return [f"{int(v):016x}" for v in rows]
