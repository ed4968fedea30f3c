"""Every check: one cell spoiled gives exactly its failure; the same cell with a good value gives none."""

from __future__ import annotations

import pandas as pd
import pytest
from model_frames import found, frames

from custsync.model import EntityCounts, ValidationResult, validate_frames

# entity, row position, column, good value, bad value, rule
CASES = [
    ("customers", 1, "number", "C2", None, "required"),
    ("customers", 0, "customerType", "company", "firma", "enum"),
    ("customers", 1, "salutation", "mrs", "herr", "enum"),
    ("customers", 0, "name", "Muster AG", None, "required_for_company"),
    ("customers", 1, "firstname", "Maxi", None, "required_for_person"),
    ("customers", 1, "lastname", "Muster", " ", "required_for_person"),
    ("customers", 0, "contact.email", "a.b@muster.de", "info(at)muster.de", "email"),
    ("customers", 0, "documentDelivery.offerEmail", "angebote@muster.de", "angebote@", "email"),
    ("customers", 0, "documentDelivery.orderConfirmationEmail", "ab@muster.de", "ab@muster", "email"),
    ("customers", 0, "documentDelivery.invoiceEmail", "re@muster.de", "re muster.de", "email"),
    ("customers", 0, "documentDelivery.deliveryNoteEmail", "ls@muster.de", "@muster.de", "email"),
    ("customers", 0, "bankAccount.iban", "AT611904300234573201", "DE89370400440532013001", "iban"),
    ("customers", 0, "bankAccount.bic", "DEUTDEFF", "DEUTDEF", "bic"),
    ("customers", 0, "financial.currency", "CHF", "EURO", "currency"),
    ("customers", 1, "birthdate", "1999-12-31", "31.12.1999", "date"),
    ("customers", 1, "birthdate", "2024-02-29", "2023-02-29", "date"),
    ("customers", 0, "bankAccount.sepaMandate.signedAt", "2020-01-01", "gestern", "date"),
    ("customers", 0, "createdAt", "2026-01-01T00:00:00Z", "yesterday noon", "timestamp"),
    ("customers", 0, "financial.creditLimit", "0", "-0.01", "non_negative"),
    ("customers", 0, "financial.creditLimit", "5000", "fünftausend", "number"),
    ("customers", 0, "shipping.freeShippingFrom", "99.99", "-1", "non_negative"),
    ("customers", 0, "financial.paymentTerms.days", "30", "-3", "non_negative"),
    ("customers", 0, "financial.paymentTerms.days", "30", "7.5", "number"),
    ("customers", 0, "financial.paymentTerms.discountDays", "0", "-1", "non_negative"),
    ("customers", 0, "financial.paymentTerms.discountPercent", "100", "100.5", "percent"),
    ("customers", 0, "financial.paymentTerms.discountPercent", "0", "-2", "percent"),
    ("customers", 0, "shipping.deliveryBan", "yes", "vielleicht", "boolean"),
    ("customers", 0, "lead.isLead", "0", "2", "boolean"),
    ("customers", 0, "groups", "1, 3", "VIP", "ids"),
    ("customers", 0, "project.id", "17", "Projekt A", "ids"),
    ("addresses", 0, "customerNumber", "C1", None, "required"),
    ("addresses", 2, "type", "deliveryaddress", "shipping", "enum"),
    ("addresses", 2, "type", "deliveryaddress", None, "required"),
    ("addresses", 0, "country", "FR", "Deutschland", "country"),
    ("addresses", 0, "country", "PL", "de", "country"),
    ("addresses", 0, "country", "NL", None, "required"),
    ("addresses", 1, "email", "billing@muster.de", "billing@@muster.de", "email"),
    ("addresses", 3, "defaultDeliveryAddress", "false", "perhaps", "boolean"),
    ("contacts", 0, "name", "Erika M.", None, "required"),
    ("contacts", 0, "type", "other", "frau", "enum"),
    ("contacts", 0, "birthday", "1975-01-31", "1975-01-32", "date"),
    ("contacts", 0, "marketingBan", "nein", "vielleicht", "boolean"),
    ("contacts", 0, "address.country", "AT", "AUT", "country"),
    ("contacts", 0, "contact.email", "e.muster@muster.de", "erika", "email"),
    ("contacts", 0, "groups", "2,4", "2;4", "ids"),
]


KEY_COLUMNS = ("number", "customerNumber")


def _with(entity: str, position: int, column: str, value: str | None) -> dict[str, pd.DataFrame]:
    data = frames()
    frame = data[entity]
    if column not in frame.columns:
        frame[column] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame.loc[position, column] = value
    return data


def _all_cases(pick: int) -> tuple[ValidationResult, dict[str, int]]:
    """Every case applied to its own copy of the input (customer numbers suffixed), validated in one call.

    One call keeps the suite fast and shows that failures of many rows and checks are all collected.
    Returns the result and the rows each copy spans per entity.
    """
    copies = []
    for k, case in enumerate(CASES):
        entity, position, column, value = case[0], case[1], case[2], case[pick]
        data = _with(entity, position, column, value)
        for frame in data.values():
            for key in KEY_COLUMNS:
                if key in frame.columns:
                    frame[key] = frame[key] + f"-{k}"
        copies.append(data)
    merged = {name: pd.concat([c[name] for c in copies], ignore_index=True) for name in copies[0]}
    spans = {name: len(frames()[name]) for name in merged}
    return validate_frames(merged), spans


@pytest.fixture(scope="module")
def spoiled() -> tuple[ValidationResult, dict[str, int]]:
    return _all_cases(pick=4)


@pytest.fixture(scope="module")
def repaired() -> tuple[ValidationResult, dict[str, int]]:
    return _all_cases(pick=3)


def _of_case(outcome: tuple[ValidationResult, dict[str, int]], k: int) -> pd.DataFrame:
    """The failures that fell in copy ``k``, with ``row`` turned back into the row of the small input."""
    result, spans = outcome
    f = result.failures.copy()
    span = f["entity"].astype(object).map(spans).astype("Int64")
    position = f["row"] - 2
    f["row"] = position % span + 2
    return f[(position // span == k).astype(bool)]


IDS = [f"{c[0]}.{c[2]}={c[4]!r}:{c[5]}" for c in CASES]


@pytest.mark.parametrize("k", range(len(CASES)), ids=IDS)
def test_check_fails_on_bad_value(spoiled: tuple[ValidationResult, dict[str, int]], k: int) -> None:
    entity, position, column, _, _, rule = CASES[k]
    failures = _of_case(spoiled, k)
    own = failures[failures["entity"] == entity]
    assert set(zip(own["row"], own["column"], own["rule"], strict=True)) == {(position + 2, column, rule)}
    assert own["message"].iloc[0] not in ("", rule)


@pytest.mark.parametrize("k", range(len(CASES)), ids=IDS)
def test_check_passes_on_good_value(repaired: tuple[ValidationResult, dict[str, int]], k: int) -> None:
    assert _of_case(repaired, k).empty


def test_all_cases_are_collected_in_one_run(spoiled: tuple[ValidationResult, dict[str, int]]) -> None:
    result, _ = spoiled
    own = result.failures[result.failures["rule"] != "customer_rejected"]
    assert len(own[own["rule"] != "unknown_customer"]) == len(CASES)
    assert result.counts["customers"].valid > 0 and result.counts["addresses"].valid > 0


def test_one_spoiled_cell_rejects_only_its_row() -> None:
    result = validate_frames(_with("addresses", 1, "email", "billing@@muster.de"))
    assert found(result) == {("addresses", 3, "email", "email")}
    assert result.counts["addresses"] == EntityCounts(rows=5, valid=4, invalid=1)
    assert result.counts["customers"].invalid == 0


def test_duplicate_customer_number_rejects_every_occurrence() -> None:
    result = validate_frames(_with("customers", 1, "number", "C1"))
    assert ("customers", 2, "number", "unique") in found(result)
    assert ("customers", 3, "number", "unique") in found(result)
    message = result.failures.loc[result.failures["rule"] == "unique", "message"].iloc[0]
    assert "C1" in message and "rows 2, 3" in message


def test_second_masterdata_address_is_rejected_with_both_rows() -> None:
    result = validate_frames(_with("addresses", 1, "type", "masterdata"))
    assert found(result) == {
        ("addresses", 2, "type", "one_masterdata_per_customer"),
        ("addresses", 3, "type", "one_masterdata_per_customer"),
    }
    assert "customer C1" in result.failures["message"].iloc[0]


def test_masterdata_of_different_customers_do_not_clash() -> None:
    assert validate_frames(frames()).ok  # C1 and C2 each have one masterdata address


def test_second_billing_address_is_rejected() -> None:
    result = validate_frames(_with("addresses", 0, "type", "billingaddress"))
    assert {f[3] for f in found(result)} == {"one_billingaddress_per_customer"}
    assert len(result.failures) == 2


def test_many_delivery_addresses_are_fine_but_a_repeated_match_key_is_not() -> None:
    assert validate_frames(_with("addresses", 3, "matchKey", None)).ok
    result = validate_frames(_with("addresses", 3, "matchKey", "L1"))
    assert found(result) == {("addresses", 4, "matchKey", "unique"), ("addresses", 5, "matchKey", "unique")}


def test_two_contacts_of_one_customer_may_share_a_name() -> None:
    """The API allows it, so a snapshot of real data must validate (they pair up when planning)."""
    assert validate_frames(_with("contacts", 1, "name", "Erika Muster")).ok


def test_unknown_column_is_reported_on_the_header_row_and_rejects_nothing() -> None:
    data = frames()
    data["customers"]["contact.emial"] = "x"
    result = validate_frames(data)
    assert found(result) == {("customers", 1, "contact.emial", "unknown_column")}
    assert result.counts["customers"].invalid == 0
    assert len(result.valid["customers"]) == 2
