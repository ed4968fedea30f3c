"""Plain JSON values out of pandas cells, for plan files and messages."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd


def plain(value: Any) -> Any:
    """A pandas/numpy/Arrow scalar as a JSON value; every kind of missing becomes ``None``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        return plain(value.item())
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain values (used on the few rows that become operations, never on all rows)."""
    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def member(values: pd.Series, pool: Iterable[Any]) -> np.ndarray:
    """``values.isin(pool)`` as a boolean array, through a hash table.

    (``Series.isin`` on Arrow-backed strings converts every element of ``pool`` to an Arrow scalar in Python,
    which costs seconds for a pool of a million customer numbers.)"""
    if not isinstance(pool, pd.Index | np.ndarray | pd.Series):
        pool = list(pool)
    if len(pool) == 0:
        return np.zeros(len(values), dtype=bool)
    left = pd.Index(values.to_numpy(dtype=object, na_value=None), dtype=object)
    return left.isin(pd.Index(np.asarray(pool, dtype=object), dtype=object))


def epoch_us(values: pd.Series) -> pd.Series:
    """Timestamps as Int64 microseconds since 1970 (missing stays missing): exact, cheap to compare and store."""
    stamps = pd.to_datetime(values, utc=True).dt.as_unit("us")
    return pd.Series(stamps.array.asi8, index=values.index, dtype="Int64").mask(stamps.isna().to_numpy())


def to_list(values: pd.Series) -> list[Any]:
    """A column as a list of plain values, missing as ``None`` (C-speed, no per-row Python call)."""
    return values.astype(object).where(values.notna().to_numpy(), None).tolist()


def as_set(values: pd.Series) -> set[Any]:
    """The distinct non-missing values of a column (through NumPy, not element-wise Arrow iteration)."""
    return set(values.dropna().to_numpy(dtype=object))
