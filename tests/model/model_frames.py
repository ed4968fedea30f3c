"""A small valid canonical input (all cells strings, as read from CSV) that tests spoil one cell at a time."""

from __future__ import annotations

import pandas as pd

from custsync.model import ValidationResult


def customers() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "number": "C1",
                "customerType": "company",
                "name": "Muster GmbH",
                "salutation": "company",
                "contact.email": "info@muster.de",
                "bankAccount.iban": "DE89 3704 0044 0532 0130 00",
                "bankAccount.bic": "COBADEFFXXX",
                "bankAccount.sepaMandate.signedAt": "2023-04-01",
                "financial.currency": "EUR",
                "financial.creditLimit": "1000.50",
                "financial.paymentTerms.days": "14",
                "financial.paymentTerms.discountPercent": "2",
                "shipping.freeShippingFrom": "250",
                "shipping.deliveryBan": "false",
                "documentDelivery.invoiceEmail": "rechnung@muster.de",
                "createdAt": "2026-11-28T12:00:00.123456+00:00",
            },
            {
                "number": "C2",
                "customerType": "person",
                "firstname": "Max",
                "lastname": "Mustermann",
                "name": "Max Mustermann",
                "salutation": "mr",
                "birthdate": "1980-05-17",
            },
        ],
        dtype="string",
    )


def addresses() -> pd.DataFrame:
    base = {"name": "Muster GmbH", "street": "Hauptstr. 1", "zip": "10115", "city": "Berlin", "country": "DE"}
    return pd.DataFrame(
        [
            {**base, "customerNumber": "C1", "type": "masterdata"},
            {**base, "customerNumber": "C1", "type": "billingaddress", "email": "buchhaltung@muster.de"},
            {**base, "customerNumber": "C1", "type": "deliveryaddress", "matchKey": "L1", "country": "AT"},
            {
                **base,
                "customerNumber": "C1",
                "type": "deliveryaddress",
                "matchKey": "L2",
                "defaultDeliveryAddress": "1",
            },
            {**base, "customerNumber": "C2", "type": "masterdata", "name": "Max Mustermann"},
        ],
        dtype="string",
    )


def contacts() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "customerNumber": "C1",
                "name": "Erika Muster",
                "type": "mrs",
                "birthday": "1975-01-02",
                "marketingBan": "true",
                "address.country": "DE",
                "contact.email": "erika@muster.de",
            },
            {"customerNumber": "C1", "name": "Hans Muster", "type": "mr"},
        ],
        dtype="string",
    )


def frames() -> dict[str, pd.DataFrame]:
    return {"customers": customers(), "addresses": addresses(), "contacts": contacts()}


def found(result: ValidationResult) -> set[tuple[str, int, str, str]]:
    """(entity, row, column, rule) of every failure."""
    f = result.failures
    return {(e, int(r), c, u) for e, r, c, u in zip(f["entity"], f["row"], f["column"], f["rule"], strict=True)}
