"""Small desired frames for the reconcile tests (canonical columns, as the input layer produces them)."""

from __future__ import annotations

import pandas as pd

from custsync.model import ADDRESSES, CONTACTS, CUSTOMERS


def desired_frames(n: int = 6, prefix: str = "K") -> dict[str, pd.DataFrame]:
    numbers = [f"{prefix}{i:04d}" for i in range(1, n + 1)]
    customers = pd.DataFrame(
        {
            "number": numbers,
            "customerType": ["company" if i % 2 else "person" for i in range(n)],
            "name": [f"Firma {i} GmbH" if i % 2 else None for i in range(n)],
            "firstname": [None if i % 2 else f"Vor{i}" for i in range(n)],
            "lastname": [None if i % 2 else f"Nach{i}" for i in range(n)],
            "contact.email": [f"info{i}@example.de" for i in range(n)],
            "financial.creditLimit": [1000.0 + i for i in range(n)],
            "financial.paymentTerms.days": [14] * n,
            "shipping.deliveryBan": [False] * n,
            "birthdate": [None] * n,
        }
    )
    addresses = pd.DataFrame(
        {
            "customerNumber": numbers + numbers,
            "type": ["masterdata"] * n + ["deliveryaddress"] * n,
            "name": [f"Firma {i}" for i in range(n)] * 2,
            "street": [f"Hauptstr. {i}" for i in range(n)] + [f"Lager {i}" for i in range(n)],
            "zip": ["10115"] * 2 * n,
            "city": ["Berlin"] * 2 * n,
            "country": ["DE"] * 2 * n,
        }
    )
    contacts = pd.DataFrame(
        {
            "customerNumber": numbers,
            "name": [f"Anna {i}" for i in range(n)],
            "contact.email": [f"anna{i}@example.de" for i in range(n)],
            "position": ["Einkauf"] * n,
        }
    )
    return {
        "customers": CUSTOMERS.conform(customers),
        "addresses": ADDRESSES.conform(addresses),
        "contacts": CONTACTS.conform(contacts),
    }
