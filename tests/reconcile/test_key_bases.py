"""A repeated key's occurrence number (``#1``, ``#2``) is added and taken off in one place (reconcile.keys)."""

from __future__ import annotations

import asyncio

import pandas as pd

from custsync.apply.lookup import find_created
from custsync.reconcile import Create, key_bases


def test_key_bases_take_off_only_the_occurrence_number() -> None:
    keys = pd.Series(["K1\x1fLager #2 Süd", "K1\x1fLager #2 Süd#1", "K2#10", "K3"], dtype="string")
    assert key_bases(keys).tolist() == ["K1\x1fLager #2 Süd", "K1\x1fLager #2 Süd", "K2", "K3"]


def test_resume_lookup_does_not_take_another_address_that_shares_a_hash_sign(remote) -> None:
    customer = asyncio.run(remote.create("customers", {"number": "K1", "name": "Firma", "type": "company"}))
    address = {"type": "deliveryaddress", "name": "Firma", "zip": "10115", "city": "Berlin", "country": "DE"}
    south = asyncio.run(remote.create("addresses", {**address, "street": "Lager #2 Süd"}, parent_id=customer))

    def lookup(street: str) -> str | None:
        op = Create(key="K1", body={**address, "street": street}, customer_number="K1", customer_id=customer)
        return asyncio.run(find_created(remote, "addresses", op, customer))

    assert lookup("Lager #2 Süd") == south
    assert lookup("Lager #1 Nord") is None  # was taken for "Lager #2 Süd": both cut at the first "#"
