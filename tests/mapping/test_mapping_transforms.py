"""Transforms for what legacy exports really contain: strip, regex replace and extract, locale numbers with
currency signs, and full field specs in ``when`` branches and ``else``; bad input is a located error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custsync.errors import MappingError
from custsync.mapping import parse_mapping
from custsync.mapping.engine import map_entity, source_needs


def raw(**columns: list[str | None]) -> pd.DataFrame:
    frame = pd.DataFrame({k: pd.Series(v, dtype="string") for k, v in columns.items()})
    frame["_row"] = np.arange(2, len(frame) + 2)
    return frame


def mapping_text(fields_yaml: str) -> str:
    body = "\n".join("      " + line for line in fields_yaml.strip().splitlines())
    return f"entities:\n  customers:\n    fields:\n{body}\n"


def run(fields_yaml: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    spec = parse_mapping(mapping_text(fields_yaml))
    return map_entity("customers", spec.entities["customers"], frame, "src.csv")


def values(series: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in series]


def error_of(fields_yaml: str) -> MappingError:
    with pytest.raises(MappingError) as caught:
        parse_mapping(mapping_text(fields_yaml), label="m.yaml")
    return caught.value


def test_strip_prefix_and_suffix_characters() -> None:
    frame, failures = run(
        """
number: {column: Nr, strip_prefix: "'"}
title: {column: T, strip_suffix: " .;"}
""",
        raw(Nr=["'7000000000", "7000000001", " '' 70 ", "'"], T=["Dr.;", "Prof", None, "  ."]),
    )
    assert values(frame["number"]) == ["7000000000", "7000000001", "70", None]
    assert values(frame["title"]) == ["Dr", "Prof", None, None]
    assert failures.empty


def test_regex_replace_in_order_with_groups() -> None:
    frame, failures = run(
        r"""
contact.phone:
  column: Tel
  replace:
    - {pattern: '^00', with: '+'}
    - {pattern: '[^\d+]', with: ''}
financial.vatId: {column: P, replace: {pattern: '^D-(\d{5})$', with: '\1'}}
""",
        raw(Tel=["0049 (30) 123-45", "+49 30 1", None], P=["D-10115", "80331", "D-1"]),
    )
    assert values(frame["contact.phone"]) == ["+4930123 45".replace(" ", ""), "+49301", None]
    assert values(frame["financial.vatId"]) == ["10115", "80331", "D-1"]
    assert failures.empty


def test_regex_replace_falls_back_to_python_patterns() -> None:
    frame, _ = run(
        r"""name: {column: N, replace: {pattern: '(?<=Mc)(\w)', with: '\g<1>'}}""",
        raw(N=["McDonald", "Smith"]),
    )
    assert values(frame["name"]) == ["McDonald", "Smith"]


def test_regex_extract_group_or_whole_match_and_unmatched_policies() -> None:
    frame, failures = run(
        r"""
number: {column: Ref, extract: 'KD-(\d+)'}
department: {column: Ort, extract: {pattern: '\d{5}', unmatched: empty}}
subDepartment: {column: Ort, extract: {pattern: '^\d{5} (.+)$', unmatched: keep}}
""",
        raw(Ref=["KD-42 (alt)", "x KD-7", "42", None], Ort=["10115 Berlin", "Wien", None, "80331 München"]),
    )
    assert values(frame["number"]) == ["42", "7", None, None]
    assert values(frame["department"]) == ["10115", None, None, "80331"]
    assert values(frame["subDepartment"]) == ["Berlin", "Wien", None, "München"]
    (failure,) = failures.to_dict("records")
    assert (failure["row"], failure["column"], failure["rule"], failure["value"]) == (4, "number", "extract", "42")
    assert r"KD-(\d+)" in failure["message"]


def test_locale_numbers_with_currency_signs_and_thousands() -> None:
    frame, failures = run(
        """
financial.creditLimit: {column: K, locale: de_DE, currency: true}
shipping.freeShippingFrom: {column: F, locale: de_CH, currency: [CHF, Fr.]}
financial.paymentTerms.discountPercent: {column: S, locale: en_US}
""",
        raw(
            K=["1.500,00 €", "EUR 2.000", "€-3,5", "12.345.678,90\u00a0€", "1.5", "12 $ 3"],
            F=["CHF 1’500.50", "Fr. 20", "1’500", None, None, None],
            S=["1,234.5", "2", "0.5", None, None, "1.234,5"],
        ),
    )
    assert values(frame["financial.creditLimit"]) == ["1500.00", "2000", "-3.5", "12345678.90", None, None]
    assert values(frame["shipping.freeShippingFrom"]) == ["1500.50", "20", "1500", None, None, None]
    assert values(frame["financial.paymentTerms.discountPercent"]) == ["1234.5", "2", "0.5", None, None, None]
    bad = failures[["row", "column", "value"]].to_records(index=False).tolist()
    assert sorted(bad) == [
        (6, "financial.creditLimit", "1.5"),  # not fifteen: "." groups thousands in de_DE
        (7, "financial.creditLimit", "12 $ 3"),
        (7, "financial.paymentTerms.discountPercent", "1.234,5"),
    ]
    assert set(failures["rule"]) == {"number_format"}
    assert "1.234,56 €" in failures.loc[failures["column"] == "financial.creditLimit", "message"].iloc[0]


def test_decimal_comma_with_currency_without_a_locale() -> None:
    frame, failures = run('financial.creditLimit: {column: K, decimal: ",", currency: ["€"]}', raw(K=["1.500,00 €"]))
    assert values(frame["financial.creditLimit"]) == ["1500.00"] and failures.empty


def test_when_branches_and_else_take_full_field_specs() -> None:
    frame, failures = run(
        """
name:
  when:
    - if: {column: Firma, empty: true}
      columns: [Vorname, Nachname]
  else: {column: Firma, strip_suffix: " *"}
bankAccount.accountHolder:
  when:
    - if: {column: IBAN, empty: true}
      value: ""
    - if: {column: Firma, empty: true}
      columns: [Vorname, Nachname]
      case: upper
  else: {column: Kontoinhaber, default: unknown}
birthdate:
  when:
    - if: {column: Firma, empty: true}
      column: Geb
      date: "%d.%m.%Y"
""",
        raw(
            Firma=[None, "ACME GmbH *", None, "Beta"],
            Vorname=["Eva", None, "Bo", None],
            Nachname=["Ott", None, "Lind", None],
            IBAN=["DE1", "DE2", None, "DE3"],
            Kontoinhaber=[None, "ACME", None, None],
            Geb=["01.02.1970", "kaputt", "31.02.1970", None],
        ),
    )
    assert values(frame["name"]) == ["Eva Ott", "ACME GmbH", "Bo Lind", "Beta"]
    assert values(frame["bankAccount.accountHolder"]) == ["EVA OTT", "ACME", None, "unknown"]
    assert values(frame["birthdate"]) == ["1970-02-01", None, None, None]
    # the branch's failure counts only where the branch is taken: row 3 ("kaputt") is a company
    (failure,) = failures.to_dict("records")
    assert (failure["row"], failure["column"], failure["rule"], failure["value"]) == (
        4,
        "birthdate",
        "date_format",
        "31.02.1970",
    )


def test_branch_and_else_columns_are_read_from_the_source() -> None:
    spec = parse_mapping(
        mapping_text(
            """
number: Nr
name:
  when:
    - if: {column: Typ, equals: P}
      columns: [V, N]
  else: {column: Firma}
"""
        )
    )
    needs = source_needs("customers", spec.entities["customers"])
    assert needs.wanted == {"Nr", "Typ", "V", "N", "Firma"} and needs.required == needs.wanted


def test_constant_else_still_works_and_number_else_is_text() -> None:
    frame, _ = run(
        """
customerType:
  when:
    - if: {column: F, empty: false}
      value: company
  else: person
financial.paymentTerms.days:
  when:
    - if: {column: F, empty: false}
      value: 30
  else: 14
""",
        raw(F=["x", None]),
    )
    assert values(frame["customerType"]) == ["company", "person"]
    assert values(frame["financial.paymentTerms.days"]) == ["30", "14"]


@pytest.mark.parametrize(
    ("fields", "line", "key", "says"),
    [
        ("number: {column: Nr, replace: {pattern: '(unclosed', with: x}}", 4, "replace", "not a valid regular"),
        ("number: {column: Nr, replace: {pattern: 'a', with: '\\\\2'}}", 4, "replace", "group the pattern"),
        ("number: {column: Nr, extract: '(a)(b)'}", 4, "extract", "more than one capture group"),
        ("number: {column: Nr, extract: '[a-'}", 4, "extract", "not a valid regular"),
        ("number: Nr\nfinancial.creditLimit: {column: K, locale: xx_YY}", 5, "financial.creditLimit", "known locale"),
        ("financial.creditLimit: {column: K, locale: de_DE, decimal: ','}", 4, "financial.creditLimit", "either"),
        ("financial.creditLimit: {column: K, currency: true}", 4, "financial.creditLimit", "add `decimal`"),
        ("name:\n  when:\n    - if: {column: F, empty: true}\n      colums: [A]", 7, "colums", "unknown key"),
        (
            "name:\n  when:\n    - {if: {column: F, empty: true}, value: x}\n  else: {colum: F}",
            7,
            "colum",
            "unknown key",
        ),
    ],
)
def test_bad_transforms_name_file_line_and_key(fields: str, line: int, key: str, says: str) -> None:
    error = error_of(fields)
    assert error.message.startswith(f"m.yaml:{line}:"), error.message
    assert error.line == line and error.key == key and says in error.message + (error.hint or "")
