"""Mapping files are checked on load; errors name file, line and key and suggest the nearest valid name."""

from __future__ import annotations

from pathlib import Path

import pytest

from custsync.errors import MappingError
from custsync.mapping import CANONICAL_YAML, default_mapping, load_mapping, parse_mapping

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
version: 1
name: demo
read: {delimiter: ";", encoding: cp1252}
entities:
  customers:
    fields:
      number: Kundennr
      customerType: {value: person}
"""


def error_of(text: str) -> MappingError:
    with pytest.raises(MappingError) as caught:
        parse_mapping(text, label="m.yaml")
    return caught.value


def test_a_good_mapping_loads() -> None:
    spec = parse_mapping(GOOD)
    assert spec.name == "demo" and spec.read.delimiter == ";"
    assert spec.entities["customers"].fields["number"].column == "Kundennr"


def test_typo_in_a_key_names_line_and_suggests() -> None:
    error = error_of(GOOD.replace("customerType: {value: person}", "customerType: {valeu: person}"))
    assert error.line == 8 and error.key == "valeu"
    assert error.message.startswith("m.yaml:8: unknown key 'valeu'")
    assert error.hint == "did you mean 'value'?"


def test_typo_in_a_top_level_key() -> None:
    error = error_of(GOOD.replace("entities:", "entites:"))
    assert error.line == 4 and "did you mean 'entities'?" in (error.hint or "")


def test_typo_in_read_options() -> None:
    error = error_of(GOOD.replace("encoding: cp1252", "encodng: cp1252"))
    assert error.line == 3 and error.hint == "did you mean 'encoding'?"


def test_unknown_canonical_column_suggests_the_nearest() -> None:
    error = error_of(GOOD.replace("number: Kundennr", "numbr: Kundennr"))
    assert error.line == 7 and error.key == "numbr"
    assert "unknown customers column 'numbr'" in error.message
    assert error.hint == "did you mean 'number'?"


def test_read_only_columns_cannot_be_mapped() -> None:
    error = error_of(GOOD.replace("number: Kundennr", "id: Kundennr"))
    assert "unknown customers column 'id'" in error.message


def test_unknown_entity() -> None:
    error = error_of(GOOD.replace("  customers:", "  custmers:"))
    assert error.line == 5 and error.hint == "did you mean 'customers'?"


def test_a_field_needs_exactly_one_source() -> None:
    error = error_of(GOOD.replace("{value: person}", "{value: person, column: Typ}"))
    assert error.line == 8 and "exactly one of" in error.message


def test_wrong_value_type_is_located() -> None:
    error = error_of(GOOD.replace("read: {", "read: {max_field_length: lots, "))
    assert error.line == 3 and "max_field_length" in error.message


def test_yaml_syntax_error_has_a_line() -> None:
    error = error_of(GOOD + "  addresses: {fields: [\n")
    assert error.line is not None and "not valid YAML" in error.message


def test_duplicate_keys_are_refused() -> None:
    error = error_of(GOOD + "      number: Nr\n")
    assert "duplicate key 'number'" in error.message and error.line == 9


def test_a_document_that_is_not_a_mapping() -> None:
    assert "must be a YAML mapping" in error_of("- just\n- a list\n").message


def test_yaml_objects_are_not_constructed() -> None:
    assert "not valid YAML" in error_of("!!python/object/apply:os.system ['echo hi']\n").message


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="no such mapping file"):
        load_mapping(tmp_path / "nope.yaml")


def test_repeat_unrolls_groups_and_anchors_merge() -> None:
    spec = parse_mapping(
        """\
entities:
  contacts:
    fields: {customerNumber: Nr}
    groups:
      - repeat: [1, 2, 3]
        fields:
          name: {columns: ["AP{n}_Vorname", "AP{n}_Nachname"]}
          contact.email: &mail {column: "AP{n}_Mail", case: lower}
          comment: {<<: *mail, case: upper}
"""
    )
    groups = spec.entities["contacts"].expanded_groups()
    assert [g.fields["name"].columns for g in groups] == [
        ["AP1_Vorname", "AP1_Nachname"],
        ["AP2_Vorname", "AP2_Nachname"],
        ["AP3_Vorname", "AP3_Nachname"],
    ]
    assert groups[2].fields["comment"].column == "AP3_Mail" and groups[2].fields["comment"].case == "upper"


def test_yaml_scalars_become_text() -> None:
    spec = parse_mapping(
        "entities:\n  customers:\n    fields:\n      shipping.deliveryBan: {column: S, map: {J: yes, N: no}}\n"
        "      financial.paymentTerms.days: {column: D, default: 30}\n"
    )
    fields = spec.entities["customers"].fields
    assert fields["shipping.deliveryBan"].map == {"J": "true", "N": "false"}
    assert fields["financial.paymentTerms.days"].default == "30"


def test_shipped_canonical_yaml_is_the_built_in_default() -> None:
    assert (ROOT / "mappings" / "canonical.yaml").read_text(encoding="utf-8") == CANONICAL_YAML
    assert load_mapping(ROOT / "mappings" / "canonical.yaml") == default_mapping()


@pytest.mark.parametrize("name", ["canonical.yaml", "legacy_erp.yaml"])
def test_shipped_mappings_load(name: str) -> None:
    assert load_mapping(ROOT / "mappings" / name).entities
