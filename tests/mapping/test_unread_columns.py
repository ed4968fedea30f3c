"""Nothing dropped silently: source columns a mapping never reads are listed (warnings, ``--json``, report),
``ignore_columns`` drops them on purpose, and ``--strict-columns`` makes them a failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from custsync.cli import app
from custsync.errors import ValidationFailed
from custsync.mapping import parse_mapping
from custsync.mapping.coverage import unread_columns
from custsync.source import load_source, read_source

MAPPING = """\
entities:
  customers:
    fields:
      number: Nr
      customerType: {value: company}
      name:
        when:
          - if: {column: Firma, empty: true}
            columns: [Vorname, Nachname]
        else: {column: Firma}
"""
HEADER = "Nr,Firma,Vorname,Nachname,Notiz,Tags,Angelegt am,Geändert am"


def source(tmp_path: Path, ignore: str = "") -> tuple[Path, Path]:
    data = tmp_path / "kunden.csv"
    data.write_text(f"{HEADER}\nK1,ACME,,,wichtig,vip,01.01.2020,02.01.2020\n", encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text((f"ignore_columns: {ignore}\n" if ignore else "") + MAPPING, encoding="utf-8")
    return data, mapping


def test_unread_columns_in_header_order_branch_and_else_columns_count_as_read() -> None:
    spec = parse_mapping(MAPPING)
    assert unread_columns(spec, ["customers"], HEADER.split(",")) == ["Notiz", "Tags", "Angelegt am", "Geändert am"]


def test_read_source_lists_them_per_file_and_in_the_json_summary(tmp_path: Path) -> None:
    data, mapping = source(tmp_path)
    load = read_source([data], mapping)
    assert load.ok and load.unread_columns == {str(data): ["Notiz", "Tags", "Angelegt am", "Geändert am"]}
    (warning,) = load.warnings
    assert warning.startswith(f"{data}: 4 columns the mapping never reads: Notiz, Tags, Angelegt am, Geändert am")
    summary = load.summary()
    assert summary["warnings"] == [warning] and summary["unread_columns"] == load.unread_columns


def test_ignore_columns_drops_them_on_purpose_with_wildcards(tmp_path: Path) -> None:
    data, mapping = source(tmp_path, ignore='[Notiz, "* am"]')
    load = read_source([data], mapping)
    assert load.unread_columns == {str(data): ["Tags"]} and "Tags" in load.warnings[0]
    data, mapping = source(tmp_path, ignore='[Notiz, Tags, "* am"]')
    load = read_source([data], mapping)
    assert load.unread_columns == {} and load.warnings == []


def test_strict_columns_turns_the_warning_into_a_failure(tmp_path: Path) -> None:
    data, mapping = source(tmp_path)
    assert load_source([data], mapping).ok  # a warning only
    with pytest.raises(ValidationFailed) as caught:
        load_source([data], mapping, strict_columns=True)
    assert "4 source columns the mapping never reads" in caught.value.message
    assert "Notiz, Tags" in caught.value.message and "ignore_columns" in (caught.value.hint or "")
    data, mapping = source(tmp_path, ignore='[Notiz, Tags, "* am"]')
    assert load_source([data], mapping, strict_columns=True).ok


def test_canonical_files_read_every_canonical_column(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text(
        "id,number,customerType,name,createdAt,updatedAt\n1,K1,company,ACME,2024-01-01,2024-01-02\n", encoding="utf-8"
    )
    load = read_source([tmp_path])
    assert load.ok and load.unread_columns == {} and load.warnings == []


def test_validate_cli_lists_them_and_fails_with_strict_columns(tmp_path: Path) -> None:
    data, mapping = source(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["validate", str(data), "-m", str(mapping), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["unread_columns"] == {str(data): ["Notiz", "Tags", "Angelegt am", "Geändert am"]}
    assert "never reads" in payload["warnings"][0]
    result = runner.invoke(app, ["validate", str(data), "-m", str(mapping)], env={"COLUMNS": "250"})
    assert result.exit_code == 0 and "warning:" in result.stderr + result.stdout
    result = runner.invoke(app, ["validate", str(data), "-m", str(mapping), "--strict-columns"], env={"COLUMNS": "250"})
    assert result.exit_code == 1 and "--strict-columns" in result.stderr + result.stdout


def test_report_shows_them_and_refuses_with_strict_columns(tmp_path: Path) -> None:
    data, mapping = source(tmp_path)
    out, markdown = tmp_path / "r.html", tmp_path / "r.md"
    args = ["report", str(data), "--mapping", str(mapping), "--offline", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--markdown", str(markdown), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert "Notiz" in payload["validation"]["warnings"][0]
    assert "never reads: Notiz, Tags" in out.read_text(encoding="utf-8")
    assert "never reads: Notiz, Tags" in markdown.read_text(encoding="utf-8")
    result = CliRunner().invoke(app, [*args, "--strict-columns"])
    assert result.exit_code == 1 and "--strict-columns" in result.output


@pytest.mark.parametrize("command", ["plan", "sync"])
def test_plan_and_sync_take_dash_m_for_the_mapping_and_strict_columns(command: str, tmp_path: Path) -> None:
    data, mapping = source(tmp_path)
    result = CliRunner().invoke(
        app,
        [command, str(data), "-m", str(mapping), "--strict-columns"],
        env={"CUSTSYNC_API_URL": "http://127.0.0.1:9", "CUSTSYNC_API_TOKEN": "t", "COLUMNS": "250"},
    )
    assert result.exit_code == 1, result.output  # stopped by --strict-columns before any API call
    assert "4 source columns the mapping never reads" in result.output
