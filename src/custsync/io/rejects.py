"""The rejects report: the failures table (:mod:`custsync.model.failures`) written as CSV (for spreadsheets, formulas
neutralised by the snapshot's rule) or JSON (for scripts). Only the CSV report is neutralised: it is made for
spreadsheets; the data itself is never changed."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from custsync.errors import InputError
from custsync.io.snapshot import neutralise_formula as neutralise
from custsync.model.failures import FAILURE_COLUMNS, failures_frame, failures_to_records, preview

__all__ = ["failures_frame", "neutralise", "preview", "write_rejects"]


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
