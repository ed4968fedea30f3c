"""Fixtures of the export tests: small canonical frames full of values that are awkward to write and read back."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from custsync.model import ENTITIES


def awkward_frames() -> dict[str, pd.DataFrame]:
    """Canonical frames with formula-looking text, delimiters, newlines, umlauts, negatives, dates and gaps."""
    customers = pd.DataFrame(
        {
            "id": ["1", "2", "3"],
            "createdAt": ["2026-11-28T12:00:00.123456+00:00", "2026-11-28T12:00:01+00:00", None],
            "updatedAt": ["2026-11-28T12:00:00.123456+00:00", "2026-11-28T12:30:00.000001+00:00", None],
            "number": ["10001", "10002", '=HYPERLINK("x")'],
            "customerType": ["company", "person", "company"],
            "name": ['Müller; Söhne, "GmbH"', "Jörg Weiß", "'=already quoted"],
            "firstname": [None, "Jörg", None],
            "lastname": [None, "Weiß", None],
            "birthdate": [None, "1980-02-29", None],
            "contact.phone": ["+49 30 123456", None, "-5"],
            "contact.email": ["a@b.de", "@mention", "line1\nline2"],
            "groups": ["1,2", None, ""],
            "financial.creditLimit": [1234.5, -5.0, None],
            "financial.paymentTerms.days": [14, None, 0],
            "financial.paymentTerms.discountPercent": [2.0, None, 0.5],
            "shipping.deliveryBan": [True, False, None],
            "bankAccount.sepaMandate.signedAt": ["2024-01-31", None, None],
            "department": ["\tTab", "\rCR", "plain"],
        }
    )
    addresses = pd.DataFrame(
        {
            "id": ["11", "12"],
            "customerNumber": ["10001", "10001"],
            "type": ["masterdata", "deliveryaddress"],
            "name": ["Müller", "Lager"],
            "street": ["Hauptstr. 1", "=1+1"],
            "zip": ["01234", "99999"],
            "city": ["Köln", "Berlin"],
            "country": ["DE", "DE"],
            "defaultDeliveryAddress": [None, True],
        }
    )
    contacts = pd.DataFrame(
        {
            "id": ["21"],
            "customerNumber": ["10002"],
            "name": ["Anna Ärger"],
            "type": ["mrs"],
            "birthday": ["1990-12-31"],
            "marketingBan": [False],
            "comment": ["+ext 12"],
        }
    )
    raw = {"customers": customers, "addresses": addresses, "contacts": contacts}
    return {name: ENTITIES[name].conform(frame, keep_source=False) for name, frame in raw.items()}


@pytest.fixture
def frames() -> dict[str, pd.DataFrame]:
    return awkward_frames()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The big export tests run only when asked for (``-m slow`` or ``CUSTSYNC_SLOW=1``); the quick twins always."""
    if "slow" in (config.getoption("markexpr") or "") or os.environ.get("CUSTSYNC_SLOW"):
        return
    skip = pytest.mark.skip(reason="slow export test: run with -m slow or CUSTSYNC_SLOW=1")
    for item in items:
        if "slow" in item.keywords and "tests/export/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(skip)
