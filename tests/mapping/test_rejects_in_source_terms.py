"""Rejects in the source's terms: a failure names the source column(s) its field came from and the group of the
wide row (``AP2``), in the failures table, ``--json``, the rejects file, the CLI table and the HTML report;
hold-backs are shown apart from rule failures, and counts say whether they count source rows or records."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from custsync.cli import app
from custsync.source import read_source

ROOT = Path(__file__).resolve().parents[2]
LEGACY_MAPPING = ROOT / "mappings" / "legacy_erp.yaml"


def test_failures_name_the_source_column_and_the_group(planted_legacy: tuple[Path, int, int]) -> None:
    path, birthday_line, email_line = planted_legacy
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


def test_hold_backs_carry_their_group_and_say_what_failed(planted_legacy: tuple[Path, int, int]) -> None:
    path, birthday_line, _ = planted_legacy
    failures = read_source([path], LEGACY_MAPPING).failures
    row = failures[failures["row"] == birthday_line]
    # the first contact person of the row is held back because of the second: named by its group
    (first_contact,) = row[(row["entity"] == "contacts") & (row["rule"] == "row_rejected")].itertuples()
    assert (first_contact.group, first_contact.source_column) == ("AP1", "Kundennr")
    assert "contacts AP2: date_format" in first_contact.message
    addresses = row[row["entity"] == "addresses"]
    assert set(addresses["rule"]) == {"row_rejected"} and addresses["group"].notna().all()
    assert addresses["group"].is_unique  # one hold-back per record, told apart by group
    assert "RE" in set(addresses["group"])  # the billing address of the legacy mapping


def test_counts_of_rows_and_records_agree(planted_legacy: tuple[Path, int, int]) -> None:
    path, _, _ = planted_legacy
    load = read_source([path], LEGACY_MAPPING)
    tally = load.tally()
    records = tally["records"]
    assert (tally["source_rows"], tally["rejected_rows"]) == (50, 2)
    assert records["invalid"] == sum(c["invalid"] for c in load.counts.values()) == 12
    assert records["invalid"] == records["failing"] + records["held_back"]
    failures = load.failures
    own = failures[~failures["rule"].isin(["row_rejected", "customer_rejected"])]
    held = failures[failures["rule"].isin(["row_rejected", "customer_rejected"])]
    where = ["entity", "file", "row", "group"]
    assert records["failing"] == len(own.drop_duplicates(where)) == 2 == tally["rule_failures"]
    assert records["held_back"] == len(held) == len(held.drop_duplicates(where)) == 10
    assert tally["hold_backs"] == {"row_rejected": 10}
    for entity, counts in load.counts.items():  # per entity too: every invalid record is accounted for once
        mine = failures[failures["entity"] == entity].drop_duplicates(where)
        assert counts["invalid"] == len(mine), entity


def test_json_rejects_file_and_cli_table(planted_legacy: tuple[Path, int, int], tmp_path: Path) -> None:
    path, birthday_line, _ = planted_legacy
    runner = CliRunner()
    result = runner.invoke(app, ["validate", str(path), "-m", str(LEGACY_MAPPING), "--json"])
    assert result.exit_code == 1
    failures = json.loads(result.stdout)["failures"]
    assert {"row": birthday_line, "group": "AP2", "source_column": "AP2_Geburtstag"}.items() <= next(
        f for f in failures if f["rule"] == "date_format"
    ).items()
    rejects = tmp_path / "rejects.csv"
    summary = json.loads(result.stdout)
    assert summary["records"] == {"total": 208, "valid": 196, "invalid": 12, "failing": 2, "held_back": 10}
    assert (summary["source_rows"], summary["rejected_rows"], summary["rule_failures"]) == (50, 2, 2)
    rejects = tmp_path / "rejects.csv"
    result = runner.invoke(
        app, ["validate", str(path), "-m", str(LEGACY_MAPPING), "--rejects", str(rejects)], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 1 and "AP2_Geburtstag" in result.output and "source column" in result.output
    with rejects.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    bad = next(r for r in rows if r["rule"] == "date_format")
    assert (bad["row"], bad["group"], bad["source_column"]) == (str(birthday_line), "AP2", "AP2_Geburtstag")
    assert next(r for r in rows if r["rule"] == "row_rejected" and r["entity"] == "contacts")["group"] == "AP1"


def test_cli_table_shows_hold_backs_apart_with_counts_in_their_units(planted_legacy: tuple[Path, int, int]) -> None:
    path = planted_legacy[0]
    result = CliRunner().invoke(app, ["validate", str(path), "-m", str(LEGACY_MAPPING)], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    out = result.output
    rule_failures, hold_backs = out.index("2 rule failures in 2 records"), out.index("10 records held back with them")
    assert rule_failures < hold_backs
    failing = out[rule_failures:hold_backs]
    assert "row_rejected" not in failing and "AP2_Geburtstag" in failing and "not a date in the format" in failing
    held = out[hold_backs:]
    assert held.count("row_rejected") == 10 and "AP1" in held and "contacts AP2: date_format" in held
    assert "records per entity" in out and "│ all " in out  # the counts table says it counts records
    assert "2 of 50 source rows invalid (12 of 208 records invalid: 2 with 2 rule failures, 10 held back" in out


def test_html_report_has_source_terms_messages_and_hold_backs_apart(planted_legacy: Any, tmp_path: Path) -> None:
    path = planted_legacy.path
    out, markdown = tmp_path / "r.html", tmp_path / "r.md"
    args = ["report", str(path), "--mapping", str(LEGACY_MAPPING), "--offline", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--markdown", str(markdown), "--json"])
    assert result.exit_code == 0, result.output
    validation = json.loads(result.stdout)["validation"]
    assert validation["source_rows"] == 50 and validation["rejected_rows"] == 2
    assert "row_rejected" not in validation["failures_per_rule"] and validation["held_back"]["row_rejected"] > 0
    assert validation["failing_records"] == 2 and validation["held_back"] == {"row_rejected": 10}
    html = out.read_text(encoding="utf-8")
    for text in ("<th>source column</th>", "<th>group</th>", "<th>message</th>", "AP2_Geburtstag", "Held back"):
        assert text in html, text
    assert "50 source rows read, 2 rejected" in html
    assert "12 of 208 records invalid: 2 with 2 rule failures, 10 held back with them" in html
    # the planted birthday's row of the rule failures table: source column, group and message side by side
    failing_table = html[html.index("<h3>Rule failures") : html.index("<h3>Held back")]
    (birthday_row,) = [row for row in failing_table.split("<tr>") if "AP2_Geburtstag" in row]
    cells = [cell.split("</td>")[0] for cell in birthday_row.split("<td")[1:]]
    cells = [cell.split(">", 1)[1] for cell in cells]
    assert cells[1:] == planted_legacy.birthday_reject
    assert "row_rejected" not in failing_table and html[html.index("<h3>Held back") :].count("row_rejected") == 10
    md = markdown.read_text(encoding="utf-8")
    assert "AP2_Geburtstag" in md and "| message |" in md and "50 source rows read, 2 rejected" in md
    assert "### Held back with them (10)" in md and "| AP1 | contacts | row_rejected |" in md
    result = CliRunner().invoke(app, args)
    assert "validation: 50 source rows, 2 rejected;" in result.output and "12 of 208 records invalid" in result.output


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


def test_a_record_with_a_failure_of_its_own_is_not_also_a_hold_back(tmp_path: Path) -> None:
    """Its own failure says why it is not imported; a hold-back would count it twice."""
    (tmp_path / "customers.csv").write_text(
        "number,customerType,name,contact.email\nK1,company,ACME,info@acme.de\nK2,company,Beta,beta(at)x.de\n",
        encoding="utf-8",
    )
    (tmp_path / "addresses.csv").write_text(
        "customerNumber,type,name,street,zip,city,country\n"
        "K2,masterdata,Beta,Ring 2,80331,München,XX\n"
        "K2,deliveryaddress,Beta,Lager 1,80331,München,DE\n",
        encoding="utf-8",
    )
    load = read_source([tmp_path])
    found = sorted(zip(load.failures["entity"], load.failures["row"], load.failures["rule"], strict=True))
    assert found == [
        ("addresses", 2, "country"),
        ("addresses", 3, "customer_rejected"),
        ("customers", 3, "email"),
    ]
    tally = load.tally()
    assert tally["records"] == {"total": 4, "valid": 1, "invalid": 3, "failing": 2, "held_back": 1}
