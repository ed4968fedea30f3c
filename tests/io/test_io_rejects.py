"""The rejects report: CSV (formula-safe for spreadsheets) and JSON, same columns as the failures table."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from custsync.io.rejects import FAILURE_COLUMNS, failures_frame, failures_to_records, neutralise, write_rejects

FAILURES = failures_frame(
    [
        {
            "file": "k.csv",
            "row": 3,
            "entity": "customers",
            "column": "contact.email",
            "rule": "email",
            "value": "=cmd|'/c calc'!A1",
            "message": "not a valid e-mail address",
        },
        {"file": "k.csv", "row": 5, "entity": "customers", "column": None, "rule": "ragged_row", "value": None},
    ]
)


def test_csv_report_has_header_and_neutralised_formulas(tmp_path: Path) -> None:
    path = write_rejects(FAILURES, tmp_path / "out" / "rejects.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == FAILURE_COLUMNS
    assert rows[0]["value"] == "'=cmd|'/c calc'!A1"
    assert rows[0]["row"] == "3" and rows[1]["value"] == ""


def test_json_report_keeps_values_verbatim(tmp_path: Path) -> None:
    path = write_rejects(FAILURES, tmp_path / "rejects.json")
    records = json.loads(path.read_text(encoding="utf-8"))
    assert records == failures_to_records(FAILURES)
    assert records[0]["value"] == "=cmd|'/c calc'!A1" and records[0]["row"] == 3
    assert records[1]["column"] is None


def test_neutralise_only_touches_formula_starts() -> None:
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("+49 30 1234") == "'+49 30 1234"
    assert neutralise("Müller") == "Müller"
