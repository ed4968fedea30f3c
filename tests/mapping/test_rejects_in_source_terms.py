"""Rejects in the source's terms: a failure names the source column(s) its field came from and the group of the
wide row (``AP2``), in the failures table, ``--json``, the rejects file, the CLI table and the HTML report;
hold-backs are shown apart from rule failures, and counts say whether they count source rows or records."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from custsync.cli import app
from custsync.source import read_source

ROOT = Path(__file__).resolve().parents[2]
LEGACY_FILE = ROOT / "sample_data" / "legacy_erp" / "kunden_export.csv"
LEGACY_MAPPING = ROOT / "mappings" / "legacy_erp.yaml"


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, int, int]:
    """The legacy sample with a bad birthday in the second contact of one row and a bad e-mail in another's."""
    with LEGACY_FILE.open(encoding="cp1252", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    header = rows[0]
    with_two = [i for i, row in enumerate(rows[1:], start=1) if row[header.index("AP2_Vorname")]]
    birthday_row, email_row = with_two[0], with_two[1]
    rows[birthday_row][header.index("AP2_Geburtstag")] = "31.02.1970"
    rows[email_row][header.index("AP2_E-Mail")] = "kein.at.zeichen"
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    path = tmp_path / "kunden.csv"
    path.write_bytes(out.getvalue().encode("cp1252"))
    return path, birthday_row + 1, email_row + 1  # line numbers: header = 1


def test_failures_name_the_source_column_and_the_group(planted: tuple[Path, int, int]) -> None:
    path, birthday_line, email_line = planted
    load = read_source([path], LEGACY_MAPPING)
    failures = load.failures
    birthday = failures[(failures["rule"] == "date_format")].iloc[0]
    assert (birthday["row"], birthday["group"], birthday["source_column"], birthday["column"]) == (
        birthday_line,
        "AP2",
        "AP2_Geburtstag",
        "birthday",
    )
    assert birthday["value"] == "31.02.1970" and "%d.%m.%Y" in birthday["message"]
    email = failures[(failures["rule"] == "email")].iloc[0]
    assert (email["row"], email["group"], email["source_column"]) == (email_line, "AP2", "AP2_E-Mail")
    held = failures[failures["rule"] == "row_rejected"]
    assert not held.empty and set(held["row"]) <= {birthday_line, email_line}
    customer = held[held["entity"] == "customers"].iloc[0]
    assert customer["source_column"] == "Kundennr"  # hold-backs name the customer number's column


def test_json_rejects_file_and_cli_table(planted: tuple[Path, int, int], tmp_path: Path) -> None:
    path, birthday_line, _ = planted
    runner = CliRunner()
    result = runner.invoke(app, ["validate", str(path), "-m", str(LEGACY_MAPPING), "--json"])
    assert result.exit_code == 1
    failures = json.loads(result.stdout)["failures"]
    assert {"row": birthday_line, "group": "AP2", "source_column": "AP2_Geburtstag"}.items() <= next(
        f for f in failures if f["rule"] == "date_format"
    ).items()
    rejects = tmp_path / "rejects.csv"
    result = runner.invoke(
        app, ["validate", str(path), "-m", str(LEGACY_MAPPING), "--rejects", str(rejects)], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 1 and "AP2_Geburtstag" in result.output and "source column" in result.output
    with rejects.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    bad = next(r for r in rows if r["rule"] == "date_format")
    assert (bad["row"], bad["group"], bad["source_column"]) == (str(birthday_line), "AP2", "AP2_Geburtstag")


def test_html_report_has_source_terms_messages_and_hold_backs_apart(planted: tuple[Path, int, int], tmp_path):
    path, _, _ = planted
    out, markdown = tmp_path / "r.html", tmp_path / "r.md"
    args = ["report", str(path), "--mapping", str(LEGACY_MAPPING), "--offline", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--markdown", str(markdown), "--json"])
    assert result.exit_code == 0, result.output
    validation = json.loads(result.stdout)["validation"]
    assert validation["source_rows"] == 50 and validation["rejected_rows"] == 2
    assert "row_rejected" not in validation["failures_per_rule"] and validation["held_back"]["row_rejected"] > 0
    html = out.read_text(encoding="utf-8")
    for text in ("<th>source column</th>", "<th>group</th>", "<th>message</th>", "AP2_Geburtstag", "Held back"):
        assert text in html, text
    assert "50 source rows read, 2 rejected" in html
    md = markdown.read_text(encoding="utf-8")
    assert "AP2_Geburtstag" in md and "| message |" in md and "50 source rows read, 2 rejected" in md
    result = CliRunner().invoke(app, args)
    assert "validation: 50 source rows, 2 rejected;" in result.output and "records" in result.output


def test_group_labels_from_name_prefix_or_place() -> None:
    from custsync.mapping import parse_mapping
    from custsync.mapping.engine import field_sources, group_label

    spec = parse_mapping(
        """
entities:
  contacts:
    fields: {customerNumber: Nr}
    groups:
      - repeat: [1, 2]
        name: "Person {n}"
        fields: {name: "AP{n}_Name"}
      - fields: {name: "Rechnung Name", contact.email: "Rechnung Mail"}
      - fields: {name: Name, contact.email: Mail}
"""
    )
    entity = spec.entities["contacts"]
    labels = [group_label(g, i) for i, g in enumerate(entity.expanded_groups())]
    assert labels == ["Person 1", "Person 2", "Rechnung", "group 4"]
    sources = field_sources("contacts", entity)
    assert sources[("Person 2", "name")] == "AP2_Name" and sources[(None, "customerNumber")] == "Nr"
