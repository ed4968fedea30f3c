"""The rejects report: one row per failure, naming file, source row, entity, column, rule and offending value.

The same table is what readers, the mapping engine and the model validation produce, so a user sees one report
whichever stage refused a row. It is written as CSV (for spreadsheets) or JSON (for scripts).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from custsync.errors import InputError

FAILURE_COLUMNS = ("file", "row", "entity", "column", "rule", "value", "message")
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


def write_rejects(failures: pd.DataFrame, path: Path) -> Path:
    """Write the report as ``.json`` (a list of objects) or, for any other suffix, CSV with a header."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".json":
            text = json.dumps(failures_to_records(failures), indent=2, ensure_ascii=False)
            path.write_text(text + "\n", encoding="utf-8")
        else:
            table = failures.reindex(columns=list(FAILURE_COLUMNS)).copy()
            for column in ("value", "message"):
                table[column] = table[column].astype("string").map(neutralise, na_action="ignore")
            table.to_csv(path, index=False, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the rejects report {path}: {exc.strerror}", path=str(path)) from None
    return path


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula (``=cmd|'/c calc'!A1``).

    Only the CSV report is neutralised: it is made for spreadsheets. The data itself is never changed.
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))  # type: ignore[arg-type]
