"""Mapping errors point at the mapping: a source column the data lacks names the mapping file, line and key
with the nearest column; YAML syntax errors name the faulty line in plain words with a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from custsync.errors import InputError, MappingError
from custsync.mapping import parse_mapping
from custsync.source import read_source

MAPPING = """\
entities:
  customers:
    fields:
      number: Kundenummer
      customerType: {value: person}
      name:
        when:
          - if: {column: Firma, empty: true}
            columns: [Vorname, Nachname]
        else: {column: Firma}
  contacts:
    fields:
      customerNumber: Kundennr
    groups:
      - repeat: [1, 2]
        fields:
          name: {column: "AP{n} Name"}
          birthday: {column: "AP{n} Geburtstag", date: "%d.%m.%Y"}
"""
HEADER = "Kundennr;Firma;Vorname;Nachname;AP1 Name;AP1 Geburtstag;AP2 Name;AP2 Geburtstg"


def files(tmp_path: Path, mapping: str = MAPPING) -> tuple[Path, Path]:
    data = tmp_path / "kunden.csv"
    data.write_text(f"{HEADER}\nK1;ACME;;;Eva;01.02.1970;Bo;\n", encoding="utf-8")
    path = tmp_path / "m.yaml"
    path.write_text(mapping, encoding="utf-8")
    return data, path


def error_reading(tmp_path: Path, mapping: str = MAPPING) -> MappingError:
    data, path = files(tmp_path, mapping)
    with pytest.raises(MappingError) as caught:
        read_source([data], path)
    return caught.value


def test_a_misspelt_source_column_names_mapping_file_line_and_key(tmp_path: Path) -> None:
    error = error_reading(tmp_path)
    assert error.path == str(tmp_path / "m.yaml") and error.line == 4
    assert error.key == "entities.customers.fields.number"
    assert f"source column 'Kundenummer' (at entities.customers.fields.number) is not in {tmp_path / 'kunden.csv'}" in (
        error.message
    )
    assert "did you mean 'Kundennr'?" in (error.hint or "")
    assert "also missing: 'AP2 Geburtstag'" in (error.hint or "") and "Kundennr, Firma" in (error.hint or "")


def test_a_column_in_a_repeated_group_points_at_the_group_template(tmp_path: Path) -> None:
    error = error_reading(tmp_path, MAPPING.replace("number: Kundenummer", "number: Kundennr"))
    assert error.line == 18 and error.key == "entities.contacts.groups.0.fields.birthday.column"
    assert "'AP2 Geburtstag'" in error.message and "did you mean 'AP2 Geburtstg'" in (error.hint or "")


def test_a_column_in_a_when_branch_or_else_is_located_too(tmp_path: Path) -> None:
    header_without_names = MAPPING.replace("columns: [Vorname, Nachname]", "columns: [Vornam, Nachname]")
    error = error_reading(tmp_path, header_without_names.replace("number: Kundenummer", "number: Kundennr"))
    assert error.line == 9 and error.key == "entities.customers.fields.name.when.0.columns"
    assert "did you mean 'Vorname'?" in (error.hint or "")


def test_canonical_files_still_blame_the_data(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("nummer,customerType,name\nK1,company,ACME\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_source([tmp_path])
    assert "missing required column" in caught.value.message and "did you mean 'nummer'" in caught.value.message


GOOD = "entities:\n  customers:\n    fields:\n      number: Nr\n      name: Name\n"


@pytest.mark.parametrize(
    ("text", "line", "says", "hint"),
    [
        (GOOD.replace("      name: Name", "\tname: Name"), 5, "a tab character", "spaces"),
        (GOOD.replace("number: Nr", "number Nr"), 4, "a line without `key: value`", "colon"),
        (GOOD.replace("number: Nr", "number: Kd: Nr"), 4, "a `: ` inside a value", "quote"),
        (GOOD.replace("      name: Name", "     name: Name"), 5, "indentation", "same number of spaces"),
        (
            GOOD.replace("    fields:\n", "    fields: {number: Nr\n").replace("      number: Nr\n", ""),
            3,
            "not closed",
            "",
        ),
        (GOOD.replace("number: Nr", 'number: "Nr'), 4, "a quote that is never closed", "close the quote"),
        (GOOD.replace("number: Nr", "number: {column: AP{n}_Nr}"), 4, "a brace inside", '"AP{n}_Name"'),
        (GOOD.replace("number: Nr", "number: *nr"), 4, "unknown alias", "&name"),
    ],
    ids=["tab", "no-colon", "colon-in-value", "indent", "unclosed-brace", "unclosed-quote", "braces", "alias"],
)
def test_yaml_errors_name_the_faulty_line_in_plain_words(text: str, line: int, says: str, hint: str) -> None:
    with pytest.raises(MappingError) as caught:
        parse_mapping(text, label="m.yaml")
    error = caught.value
    assert error.line == line and error.message.startswith(f"m.yaml:{line}: not valid YAML: "), error.message
    assert says in error.message and hint in (error.hint or "")
    assert "(parser: " in (error.hint or "")  # the parser's own words stay available
