"""The mapping engine: every construct of the language, on small frames, checked value by value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from custsync.mapping import parse_mapping
from custsync.mapping.engine import entities_reading, map_entity, source_needs


def raw(**columns: list[str | None]) -> pd.DataFrame:
    frame = pd.DataFrame({k: pd.Series(v, dtype="string") for k, v in columns.items()})
    frame["_row"] = np.arange(2, len(frame) + 2)
    return frame


def run(fields_yaml: str, frame: pd.DataFrame, entity: str = "customers") -> tuple[pd.DataFrame, pd.DataFrame]:
    body = "\n".join("      " + line for line in fields_yaml.strip().splitlines())
    spec = parse_mapping(f"entities:\n  {entity}:\n    fields:\n{body}\n")
    return map_entity(entity, spec.entities[entity], frame, "src.csv")


def values(series: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in series]


def test_column_constant_trim_case_and_default() -> None:
    frame, failures = run(
        """
number: Nr
customerType: {value: company}
contact.email: {column: Mail, case: lower}
title: {column: T, trim: false}
financial.currency: {column: W, default: EUR}
""",
        raw(Nr=["  K1 ", "K2"], Mail=[" A@B.DE", None], T=[" Dr. ", None], W=[None, "  "]),
    )
    assert values(frame["number"]) == ["K1", "K2"]
    assert values(frame["customerType"]) == ["company", "company"]
    assert values(frame["contact.email"]) == ["a@b.de", None]
    assert values(frame["title"]) == [" Dr. ", None]
    assert values(frame["financial.currency"]) == ["EUR", "EUR"]
    assert frame["_source"].tolist() == ["src.csv", "src.csv"] and frame["_row"].tolist() == [2, 3]
    assert failures.empty


def test_value_map_is_case_insensitive_and_unmapped_policies() -> None:
    frame, failures = run(
        """
salutation: {column: A, map: {Herr: mr, Frau: mrs, Firma: company}}
title: {column: A, map: {Herr: mr}, unmapped: empty}
department: {column: A, map: {Herr: mr, Frau: mrs, Firma: company, "-": null}, unmapped: error}
""",
        raw(A=["HERR", "frau", "Firma", "Mx", None, "-"]),
    )
    assert values(frame["salutation"]) == ["mr", "mrs", "company", "Mx", None, "-"]
    assert values(frame["title"]) == ["mr", None, None, None, None, None]
    assert values(frame["department"]) == ["mr", "mrs", "company", None, None, None]
    (failure,) = failures.to_dict("records")
    assert (failure["row"], failure["column"], failure["rule"], failure["value"]) == (
        5,
        "department",
        "value_map",
        "Mx",
    )


def test_dates_in_a_format_and_failures_name_the_row() -> None:
    frame, failures = run(
        'birthdate: {column: G, date: "%d.%m.%Y"}',
        raw(G=["31.12.2024", "01.02.1970", "31.02.2024", "2024-12-31", None]),
    )
    assert values(frame["birthdate"]) == ["2024-12-31", "1970-02-01", None, None, None]
    assert failures["row"].tolist() == [4, 5]
    assert set(failures["rule"]) == {"date_format"} and failures["value"].tolist() == ["31.02.2024", "2024-12-31"]
    assert "%d.%m.%Y" in failures["message"].iloc[0]


def test_decimal_comma_numbers() -> None:
    frame, failures = run(
        """
financial.creditLimit: {column: K, decimal: ","}
shipping.freeShippingFrom: {column: F, decimal: ".", thousands: ","}
""",
        raw(K=["1.234,56", "5000", "0,5", "12,3,4", "abc"], F=["1,234.50", "7", None, None, None]),
    )
    assert values(frame["financial.creditLimit"]) == ["1234.56", "5000", "0.5", None, None]
    assert values(frame["shipping.freeShippingFrom"]) == ["1234.50", "7", None, None, None]
    assert failures["row"].tolist() == [5, 6] and set(failures["rule"]) == {"number_format"}


def test_split_a_full_name_and_join_columns() -> None:
    frame, _ = run(
        """
firstname: {column: N, split: {part: all_but_last}}
lastname: {column: N, split: {part: last}}
title: {column: N, split: {part: first}}
department: {column: N, split: {part: rest}}
name: {columns: [T, V, L], sep: " "}
""",
        raw(
            N=["Hans Peter Müller", "Cher", None], T=["Dr.", None, None], V=["Anna", None, None], L=["Weiß", "X", None]
        ),
    )
    assert values(frame["firstname"]) == ["Hans Peter", None, None]
    assert values(frame["lastname"]) == ["Müller", "Cher", None]
    assert values(frame["title"]) == ["Hans", "Cher", None]
    assert values(frame["department"]) == ["Peter Müller", None, None]
    assert values(frame["name"]) == ["Dr. Anna Weiß", "X", None]


def test_conditional_values_first_branch_wins() -> None:
    frame, _ = run(
        """
customerType:
  when:
    - if: {column: Firma, empty: false}
      value: company
  else: person
name:
  when:
    - if: {column: Firma, empty: false}
      column: Firma
    - if: {column: Typ, in: [P, Person]}
      column: Name
salutation:
  when:
    - if: {column: Typ, equals: F}
      value: company
""",
        raw(Firma=["ACME", "  ", None], Name=["x", "Eva", "Bo"], Typ=["F", "P", "Q"]),
    )
    assert values(frame["customerType"]) == ["company", "person", "person"]
    assert values(frame["name"]) == ["ACME", "Eva", None]
    assert values(frame["salutation"]) == ["company", None, None]


def test_optional_columns_may_be_absent() -> None:
    spec = parse_mapping(
        "entities:\n  customers:\n    fields:\n      number: Nr\n      title: {column: T, optional: true}\n"
    )
    needs = source_needs("customers", spec.entities["customers"])
    assert needs.required == {"Nr"} and needs.wanted == {"Nr", "T"}
    frame, _ = map_entity("customers", spec.entities["customers"], raw(Nr=["1"]), "s.csv")
    assert values(frame["title"]) == [None]


def test_one_wide_row_makes_several_records_and_empty_groups_are_skipped() -> None:
    spec = parse_mapping(
        """\
entities:
  addresses:
    fields: {customerNumber: Nr}
    groups:
      - fields: {type: {value: billingaddress}, street: RE_Str, city: RE_Ort, country: {value: DE}}
      - repeat: [1, 2]
        fields:
          type: {value: deliveryaddress}
          matchKey: {value: "LI{n}"}
          street: "LI{n}_Str"
          country: {column: "LI{n}_Land", default: DE}
        skip_if_empty: ["LI{n}_Str"]
"""
    )
    frame, _ = map_entity(
        "addresses",
        spec.entities["addresses"],
        raw(
            Nr=["K1", "K2", "K3"],
            RE_Str=["R 1", None, None],
            RE_Ort=["Köln", None, "Bonn"],
            LI1_Str=["L 1", None, "L 3"],
            LI1_Land=["AT", None, "FR"],
            LI2_Str=[None, None, "L 3b"],
            LI2_Land=["NL", None, None],
        ),
        "wide.csv",
    )
    got = list(zip(frame["customerNumber"], frame["type"], frame["matchKey"].fillna("-"), frame["_row"], strict=True))
    assert got == [
        ("K1", "billingaddress", "-", 2),
        ("K1", "deliveryaddress", "LI1", 2),
        ("K3", "billingaddress", "-", 4),
        ("K3", "deliveryaddress", "LI1", 4),
        ("K3", "deliveryaddress", "LI2", 4),
    ]
    assert values(frame["country"]) == ["DE", "AT", "DE", "FR", "DE"]
    assert values(frame["street"]) == ["R 1", "L 1", None, "L 3", "L 3b"]


def test_passthrough_maps_canonical_columns_by_name() -> None:
    spec = parse_mapping("entities:\n  customers:\n    passthrough: true\n    fields: {number: number}\n")
    frame, _ = map_entity(
        "customers",
        spec.entities["customers"],
        raw(number=["1"], **{"contact.email": [" a@b.de "], "id": ["99"], "notes": ["x"]}),
        "c.csv",
    )
    assert values(frame["contact.email"]) == ["a@b.de"]
    assert "id" not in frame.columns and "notes" not in frame.columns  # read-only and unknown are ignored


def test_injection_looking_values_pass_through_unchanged() -> None:
    frame, failures = run("number: Nr\nname: N", raw(Nr=["1"], N=["=cmd|'/c calc'!A1"]))
    assert frame["name"].iloc[0] == "=cmd|'/c calc'!A1" and failures.empty


def test_entities_reading_matches_file_patterns() -> None:
    spec = parse_mapping(
        "entities:\n  customers: {file: '*customers*', fields: {number: n}}\n"
        "  contacts: {file: 'ansprech*', fields: {customerNumber: n, name: m}}\n"
        "  addresses: {fields: {customerNumber: n, type: t, country: c}}\n"
    )
    assert entities_reading(spec, "customers.csv") == ["customers", "addresses"]
    assert entities_reading(spec, "ansprechpartner.parquet") == ["contacts", "addresses"]
    assert entities_reading(spec, "other.csv") == ["addresses"]


def test_split_on_an_all_empty_column() -> None:
    frame, _ = run(
        "firstname: {column: N, split: {part: all_but_last}}\nlastname: {column: N, split: {part: last}}",
        raw(N=[None, "  "]),
    )
    assert values(frame["firstname"]) == [None, None] and values(frame["lastname"]) == [None, None]
