"""The rejects report: validation failures as JSON-ready records or as a CSV/JSON file.

``custsync validate`` prints the records; import runs write them next to their run report so a user can fix
the source rows one by one (file, row, column, rule, value, message).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from custsync.model.validation import FAILURE_COLUMNS


def failures_to_records(failures: pd.DataFrame) -> list[dict[str, Any]]:
    """One plain dict per failure, keys in :data:`FAILURE_COLUMNS` order; missing values become ``None``."""
    records = []
    for row in failures.reindex(columns=list(FAILURE_COLUMNS)).itertuples(index=False):
        record = {}
        for column, value in zip(FAILURE_COLUMNS, row, strict=True):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                record[column] = None
            elif column == "row":
                record[column] = int(value)
            else:
                record[column] = str(value)
        records.append(record)
    return records


def write_rejects(failures: pd.DataFrame, path: str | Path) -> Path:
    """Write the failures to ``path`` as CSV (UTF-8, header) or, for a ``.json`` suffix, a JSON list.

    The file is written to a temporary name and moved into place, so a reader never sees half a report.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            if target.suffix.lower() == ".json":
                json.dump(failures_to_records(failures), out, ensure_ascii=False, indent=2)
                out.write("\n")
            else:
                failures.reindex(columns=list(FAILURE_COLUMNS)).to_csv(out, index=False)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
