"""Reading the committed sample sets the way a reader would, and the planted failures of the invalid set."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from custsync.model import ENTITIES, SOURCE_FILE, SOURCE_ROW

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def read_csv_set(directory: Path) -> dict[str, pd.DataFrame]:
    """Each file as strings, with ``_source``/``_row`` as a reader sets them (no multi-line fields in samples)."""
    frames = {}
    for name in ENTITIES:
        frame = pd.read_csv(directory / f"{name}.csv", dtype="string", keep_default_na=False)
        frame[SOURCE_FILE] = f"{name}.csv"
        frame[SOURCE_ROW] = range(2, len(frame) + 2)
        frames[name] = frame
    return frames


def read_parquet_set(directory: Path) -> dict[str, pd.DataFrame]:
    return {name: pq.read_table(directory / f"{name}.parquet").to_pandas() for name in ENTITIES}


def expected_failures() -> set[tuple[str, int, str, str]]:
    text = (SAMPLE / "invalid" / "EXPECTED.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\w+\.csv) \| (\d+) \| ([\w.]+) \| (\w+) \|", text, flags=re.MULTILINE)
    return {(file, int(row), column, rule) for file, row, column, rule in rows}
