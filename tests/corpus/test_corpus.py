"""A corpus of bad inputs: each one gets its clear error or its rejects, and no valid row is lost.

Every case starts from a small valid source (canonical files, or five rows of the legacy ERP export), spoils
it in one way, and states what must happen: either a whole-file error with a recognisable message (never a
traceback), or rejects naming file, row and rule — with every untouched record still valid.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from custsync.errors import CustsyncError, InputError, MappingError
from custsync.source import read_source

ROOT = Path(__file__).resolve().parents[2]
LEGACY_FILE = ROOT / "sample_data" / "legacy_erp" / "kunden_export.csv"
LEGACY_MAPPING = ROOT / "mappings" / "legacy_erp.yaml"

CUSTOMERS = [
    ["number", "customerType", "name", "firstname", "lastname", "contact.email", "bankAccount.iban", "birthdate"],
    ["K1", "company", "ACME GmbH", "", "", "info@acme.de", "DE89370400440532013000", ""],
    ["K2", "person", "Anna Weiß", "Anna", "Weiß", "anna@example.de", "", "1980-05-17"],
    ["K3", "company", "Beta AG", "", "", "", "", ""],
]
ADDRESSES = [
    ["customerNumber", "type", "name", "street", "zip", "city", "country"],
    ["K1", "masterdata", "ACME GmbH", "Hauptstr. 1", "10115", "Berlin", "DE"],
    ["K2", "masterdata", "Anna Weiß", "Ring 2", "50667", "Köln", "DE"],
    ["K3", "billingaddress", "Beta AG", "Weg 3", "1010", "Wien", "AT"],
]
CONTACTS = [
    ["customerNumber", "name", "contact.email"],
    ["K1", "Max Muster", "max@acme.de"],
    ["K3", "Eva Beta", "eva@beta.at"],
]
ALL_VALID = {"customers": 3, "addresses": 3, "contacts": 2}


def as_csv(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


def spoil(table: list[list[str]], row: int, column: str, value: str) -> list[list[str]]:
    """A copy of ``table`` with one cell replaced (``row`` 1 = first data row)."""
    copy = [list(r) for r in table]
    copy[row][copy[0].index(column)] = value
    return copy


def canonical(customers: str | bytes | None = None, **others: str | bytes) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "customers.csv": as_csv(CUSTOMERS) if customers is None else customers,
        "addresses.csv": as_csv(ADDRESSES),
        "contacts.csv": as_csv(CONTACTS),
    }
    files.update({f"{name}.csv": text for name, text in others.items()})
    return files


def legacy_rows() -> list[list[str]]:
    with LEGACY_FILE.open(encoding="cp1252", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))[:6]  # header + 5 customers


def legacy(change: Callable[[list[list[str]]], None]) -> dict[str, str | bytes]:
    rows = legacy_rows()
    change(rows)
    return {"kunden.csv": as_csv(rows, ";").replace("\n", "\r\n").encode("cp1252")}


def legacy_set(row: int, column: str, value: str) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        rows[row][rows[0].index(column)] = value

    return change


@dataclass
class Case:
    id: str
    files: dict[str, str | bytes]
    error: tuple[type[CustsyncError], str] | None = None
    rejects: set[tuple[str, int, str]] = field(default_factory=set)
    valid: dict[str, int] | None = None
    mapping: str | None = None
    paths: list[str] | None = None


def cases() -> list[Case]:
    nul = bytes(range(256)) * 4
    two_customers = {"customers": 2, "addresses": 2, "contacts": 2}
    return [
        # --- whole-file errors
        Case("missing-file", {}, paths=["customers.csv"], error=(InputError, "no such file")),
        Case("empty-file", canonical(customers=b""), error=(InputError, "the file is empty")),
        Case("header-only", canonical(customers=as_csv(CUSTOMERS[:1])), error=(InputError, "no data rows")),
        Case("binary-file", canonical(customers=nul), error=(InputError, "not a CSV or Parquet file")),
        Case(
            "text-named-parquet",
            {"customers.parquet": as_csv(CUSTOMERS)},
            error=(InputError, "not a Parquet file"),
        ),
        Case(
            "missing-columns-with-suggestion",
            canonical(customers=as_csv([["nummer", *CUSTOMERS[0][1:]], *CUSTOMERS[1:]])),
            error=(InputError, "'number' (did you mean 'nummer'"),
        ),
        Case(
            "undecodable-as-stated",
            {"kunden.csv": as_csv(CUSTOMERS).encode("cp1252")},
            mapping="read: {encoding: utf-8}\nentities:\n  customers:\n    fields: {number: number, "
            "customerType: customerType, name: name}\n",
            error=(InputError, "not valid utf-8: byte "),
        ),
        Case(
            "mapping-typo-key",
            {"kunden.csv": as_csv(CUSTOMERS)},
            mapping="entities:\n  customers:\n    fields:\n      number: {colum: number}\n",
            error=(MappingError, "did you mean 'column'?"),
        ),
        Case(
            "mapping-typo-column",
            {"kunden.csv": as_csv(CUSTOMERS)},
            mapping="entities:\n  customers:\n    fields:\n      numbr: number\n",
            error=(MappingError, "did you mean 'number'?"),
        ),
        Case(
            "file-name-unknown-to-mapping",
            {"kunden.csv": as_csv([["Kundennr", "Firma"], ["K1", "ACME"]])},
            error=(InputError, "the mapping has no entity for this file name, and its header fits no entity"),
        ),
        # --- encodings and layout that must simply work
        Case("utf8-bom", canonical(customers=as_csv(CUSTOMERS).encode("utf-8-sig")), valid=ALL_VALID),
        Case("windows-1252", canonical(customers=as_csv(CUSTOMERS).encode("cp1252")), valid=ALL_VALID),
        Case("semicolons", canonical(customers=as_csv(CUSTOMERS, ";")), valid=ALL_VALID),
        Case(
            "blank-lines-and-quoted-newline-keep-line-numbers",
            canonical(
                customers=as_csv(spoil(CUSTOMERS, 1, "name", "ACME\nGmbH")).replace("\nK2", "\n\nK2")
                + "K4,person,Bo,Bo,,bo(at)x.de,,\n"
            ),
            rejects={("customers.csv", 7, "email"), ("customers.csv", 7, "required_for_person")},
            valid=ALL_VALID,
        ),
        Case(
            "injection-looking-values-are-data",
            canonical(customers=as_csv(spoil(spoil(CUSTOMERS, 1, "name", "=cmd|'/c calc'!A1"), 3, "name", "@SUM(A1)"))),
            valid=ALL_VALID,
        ),
        # --- row-level rejects
        Case(
            "ragged-row-too-many",
            canonical(customers=as_csv(CUSTOMERS).replace("anna@example.de,", "anna@example.de,,extra,")),
            rejects={("customers.csv", 3, "ragged_row"), ("addresses.csv", 3, "customer_rejected")},
            valid=two_customers,
        ),
        Case(
            "ragged-row-too-few",
            canonical(customers=as_csv(CUSTOMERS[:3]) + "K3,company,Beta AG\n"),
            rejects={("customers.csv", 4, "ragged_row"), ("contacts.csv", 3, "customer_rejected")},
            valid={"customers": 2, "addresses": 2, "contacts": 1},
        ),
        Case(
            "oversize-field",
            canonical(customers=as_csv(spoil(CUSTOMERS, 3, "name", "B" * 5000))),
            rejects={("customers.csv", 4, "field_too_long")},
            valid={"customers": 2, "addresses": 2, "contacts": 1},
        ),
        Case(
            "duplicate-customer-number",
            canonical(customers=as_csv(spoil(CUSTOMERS, 3, "number", "K1"))),
            rejects={("customers.csv", 2, "unique"), ("customers.csv", 4, "unique")},
            valid={"customers": 1, "addresses": 1, "contacts": 0},
        ),
        Case(
            "invalid-email",
            canonical(customers=as_csv(spoil(CUSTOMERS, 2, "contact.email", "anna(at)example.de"))),
            rejects={("customers.csv", 3, "email"), ("addresses.csv", 3, "customer_rejected")},
            valid=two_customers,
        ),
        Case(
            "invalid-iban-checksum",
            canonical(customers=as_csv(spoil(CUSTOMERS, 1, "bankAccount.iban", "DE89370400440532013001"))),
            rejects={("customers.csv", 2, "iban")},
            valid={"customers": 2, "addresses": 2, "contacts": 1},
        ),
        Case(
            "invalid-customer-type",
            canonical(customers=as_csv(spoil(CUSTOMERS, 3, "customerType", "firma"))),
            rejects={("customers.csv", 4, "enum")},
            valid={"customers": 2, "addresses": 2, "contacts": 1},
        ),
        Case(
            "not-an-iso-date",
            canonical(customers=as_csv(spoil(CUSTOMERS, 2, "birthdate", "17.05.1980"))),
            rejects={("customers.csv", 3, "date")},
            valid=two_customers,
        ),
        Case(
            "invalid-country",
            canonical(addresses=as_csv(spoil(ADDRESSES, 2, "country", "Germany"))),
            rejects={("addresses.csv", 3, "country")},
            valid={"customers": 3, "addresses": 2, "contacts": 2},
        ),
        Case(
            "two-masterdata-addresses",
            canonical(addresses=as_csv([*ADDRESSES, ["K1", "masterdata", "ACME", "X 1", "1", "Y", "DE"]])),
            rejects={
                ("addresses.csv", 2, "one_masterdata_per_customer"),
                ("addresses.csv", 5, "one_masterdata_per_customer"),
            },
            valid={"customers": 3, "addresses": 2, "contacts": 2},
        ),
        Case(
            "orphan-address",
            canonical(addresses=as_csv([*ADDRESSES, ["K9", "masterdata", "Nobody", "X 1", "1", "Y", "DE"]])),
            rejects={("addresses.csv", 5, "unknown_customer")},
            valid=ALL_VALID,
        ),
        Case(
            "orphan-contact",
            canonical(contacts=as_csv([*CONTACTS, ["K9", "Nobody", ""]])),
            rejects={("contacts.csv", 4, "unknown_customer")},
            valid=ALL_VALID,
        ),
        # --- the legacy export, spoiled
        Case(
            "legacy-bad-date-format",
            legacy(legacy_set(2, "Geburtsdatum", "31.13.1970")),
            mapping=str(LEGACY_MAPPING),
            rejects={("kunden.csv", 3, "date_format")},
        ),
        Case(
            "legacy-bad-decimal",
            legacy(legacy_set(1, "Kreditlimit", "1,234,56")),
            mapping=str(LEGACY_MAPPING),
            rejects={("kunden.csv", 2, "number_format")},
        ),
        Case(
            "legacy-unknown-salutation",
            legacy(legacy_set(2, "Anrede", "Hr.")),
            mapping=str(LEGACY_MAPPING),
            rejects={("kunden.csv", 3, "value_map")},
        ),
        Case(
            "legacy-bad-country-in-delivery-address",
            legacy(legacy_set(1, "LI1_Land", "Atlantis")),
            mapping=str(LEGACY_MAPPING),
            rejects={("kunden.csv", 2, "country"), ("kunden.csv", 2, "row_rejected")},
        ),
        Case(
            "legacy-ragged-row",
            legacy(lambda rows: rows[3].append("überzählig")),
            mapping=str(LEGACY_MAPPING),
            rejects={("kunden.csv", 4, "ragged_row")},
        ),
        Case(
            "legacy-missing-column",
            legacy(lambda rows: rows[0].__setitem__(rows[0].index("Kundennr"), "Kunden-Nr")),
            mapping=str(LEGACY_MAPPING),
            error=(
                MappingError,
                "legacy_erp.yaml:17: source column 'Kundennr' (at entities.customers.fields.number) "
                "is not in kunden.csv did you mean 'Kunden-Nr'",
            ),
        ),
    ]


CASES = cases()


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name, content in case.files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (tmp_path / name).write_bytes(data)
    mapping = None
    if case.mapping is not None:
        mapping = case.mapping if case.mapping.endswith(".yaml") else "m.yaml"
        if mapping == "m.yaml":
            (tmp_path / "m.yaml").write_text(case.mapping, encoding="utf-8")
    paths = case.paths or sorted(case.files)
    if case.error is not None:
        kind, text = case.error
        with pytest.raises(kind) as caught:
            read_source(paths, mapping)
        assert text in caught.value.message + " " + (caught.value.hint or "")
        return
    load = read_source(paths, mapping)
    found = set(zip(load.failures["file"], load.failures["row"].astype(int), load.failures["rule"], strict=True))
    assert case.rejects <= found, f"missing rejects: {case.rejects - found}; found {found}"
    if not case.rejects:
        assert load.failures.empty, load.failures.to_dict("records")
    expected_valid = case.valid
    if expected_valid is None:  # legacy cases: of the 5 customers, exactly the spoiled row is held back
        bad_rows = {row for _, row, _ in case.rejects}
        expected_valid = {"customers": 5 - len(bad_rows)}
    for entity, count in expected_valid.items():
        assert len(load.frames[entity]) == count, (entity, load.failures.to_dict("records"))
    if case.id == "injection-looking-values-are-data":
        assert "=cmd|'/c calc'!A1" in set(load.frames["customers"]["name"])
        assert "@SUM(A1)" in set(load.frames["customers"]["name"])
    if case.id == "windows-1252":
        assert "Anna Weiß" in set(load.frames["customers"]["name"])
