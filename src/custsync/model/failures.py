"""The failures table: one row per failure, naming file, source row, entity, column, rule and offending value.

Readers, the mapping engine and the validation all produce it, and the rejects report, the run report and
``custsync validate --json`` show it, so a user sees one table whichever stage refused a row. Its one
definition lives here, with the model that defines the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

FAILURE_COLUMNS = ("file", "row", "source_column", "group", "entity", "column", "rule", "value", "message")
"""``source_column`` and ``group`` say where in the source a canonical ``column`` came from (``AP2_Geburtstag``,
group ``AP2``), so a reject can be fixed where it lives."""
HOLD_BACK_RULES = ("row_rejected", "customer_rejected")
"""Rules of hold-backs, not of data: a record with no failure of its own, held back because another record of its
source row failed (``row_rejected``) or its customer was rejected (``customer_rejected``). Each held-back record
has exactly one of them; reports show them apart from the rule failures."""
HEADER_RULES = ("unknown_column",)
"""Rules about the header, not a row: reported, but they reject no record."""
VALUE_PREVIEW = 80
"""Offending values are cut to this many characters in reports (an oversize field would otherwise be copied)."""


def preview(value: object) -> str | None:
    """A short, printable form of an offending value (``None`` for missing)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return None
    text = str(value)
    return text if len(text) <= VALUE_PREVIEW else text[: VALUE_PREVIEW - 1] + "…"


def failures_frame(records: Iterable[Mapping[str, Any]] = ()) -> pd.DataFrame:
    """A failures table with the standard columns (row as nullable integer)."""
    frame = pd.DataFrame.from_records(list(records), columns=list(FAILURE_COLUMNS))
    frame["row"] = frame["row"].astype("Int64")
    for column in FAILURE_COLUMNS:
        if column != "row":
            frame[column] = frame[column].astype("string")
    return frame


def concat_failures(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    parts = [failures_frame(), *(f for f in frames if f is not None and len(f))]
    out = pd.concat([p.reindex(columns=list(FAILURE_COLUMNS)) for p in parts], ignore_index=True)
    return failures_frame(out.to_dict("records")) if len(out) else failures_frame()


def failures_to_records(failures: pd.DataFrame) -> list[dict[str, Any]]:
    """Plain JSON-ready dicts: missing values become ``None``, rows become ints."""
    out: list[dict[str, Any]] = []
    for record in failures.reindex(columns=list(FAILURE_COLUMNS)).to_dict("records"):
        out.append({k: (None if _missing(v) else (int(v) if k == "row" else str(v))) for k, v in record.items()})
    return out


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))  # type: ignore[arg-type]


def is_hold_back(failures: pd.DataFrame) -> pd.Series:
    """Which failures are hold-backs (:data:`HOLD_BACK_RULES`) rather than rule failures."""
    return failures["rule"].isin(HOLD_BACK_RULES).fillna(False).astype(bool)


def held_back_per_rule(failures: pd.DataFrame | None) -> dict[str, int]:
    """Held-back records per hold-back rule (one hold-back per record)."""
    if failures is None or failures.empty:
        return {}
    counts = failures.loc[is_hold_back(failures), "rule"].value_counts()
    return {str(rule): int(n) for rule, n in counts.items()}
