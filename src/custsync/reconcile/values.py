"""Plain JSON values out of pandas cells, for plan files and messages."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

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
