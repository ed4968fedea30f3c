"""Record keys: how a desired row finds its counterpart among the API's records.

- customers: the customer number;
- addresses: ``(customer number, type)`` for masterdata and billing addresses; a delivery address is matched
  first through its ``matchKey`` — the state store remembers which API id a match key was synced to — and
  otherwise (or when that memory is gone) by its normalised name, street, zip, city and country;
- contact persons: ``(customer number, case-folded name)``.

Keys are plain strings computed column-wise. Two records with the same key on one side (a customer with two
identical delivery addresses) get ``#1``, ``#2``... so they pair up one to one instead of colliding.
"""

from __future__ import annotations

import pandas as pd

from custsync.reconcile.normalise import normalise_key_text
from custsync.reconcile.values import member

SEP = "\x1f"
"""Unit separator between key parts: never part of real data, so ``("a b", "c")`` and ``("a", "b c")`` differ."""

DELIVERY = "deliveryaddress"
CONTENT_COLUMNS = ("name", "street", "zip", "city", "country")


def customer_numbers(values: pd.Series) -> pd.Series:
    """Customer numbers as keys: trimmed text (case is significant: ``K-1`` and ``k-1`` are two customers)."""
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def customer_keys(frame: pd.DataFrame) -> pd.Series:
    return _dedupe(customer_numbers(frame["number"]))


def contact_keys(frame: pd.DataFrame) -> pd.Series:
    return _dedupe(customer_numbers(frame["customerNumber"]) + SEP + normalise_key_text(frame["name"]).fillna(""))


def address_keys(
    desired: pd.DataFrame, current: pd.DataFrame, memory: pd.DataFrame | None = None
) -> tuple[pd.Series, pd.Series]:
    """Keys for desired and current addresses that pair up the same address on both sides.

    ``memory`` has columns ``customerNumber``, ``matchKey``, ``id``: the API id each match key was last
    synced to. A remembered id still present in ``current`` pairs the two rows by id; every other delivery
    address pairs by content.
    """
    d_base = _address_base(desired)
    c_base = _address_base(current)
    d_delivery = desired["type"].eq(DELIVERY).fillna(False).to_numpy()
    c_delivery = current["type"].eq(DELIVERY).fillna(False).to_numpy()

    d_keys = d_base.copy()
    c_keys = c_base.copy()
    d_keys[d_delivery] = d_base[d_delivery] + SEP + "c:" + _content_key(desired[d_delivery])
    c_keys[c_delivery] = c_base[c_delivery] + SEP + "c:" + _content_key(current[c_delivery])

    if memory is not None and len(memory) and "matchKey" in desired.columns:
        remembered = _remembered_ids(desired, memory)
        live = member(remembered, current["id"].dropna()) & d_delivery
        if live.any():
            d_keys[live] = d_base[live] + SEP + "id:" + remembered[live]
            by_id = member(current["id"], remembered[live]) & c_delivery
            c_keys[by_id] = c_base[by_id] + SEP + "id:" + current["id"][by_id].astype("string")
    return _dedupe(d_keys), _dedupe(c_keys)


def _address_base(frame: pd.DataFrame) -> pd.Series:
    return customer_numbers(frame["customerNumber"]) + SEP + frame["type"].astype("string").str.strip()


def _content_key(frame: pd.DataFrame) -> pd.Series:
    parts = [normalise_key_text(frame[c]).fillna("") for c in CONTENT_COLUMNS]
    key = parts[0]
    for part in parts[1:]:
        key = key + SEP + part
    return key


def _remembered_ids(desired: pd.DataFrame, memory: pd.DataFrame) -> pd.Series:
    """The remembered API id of each desired row's match key (missing where none)."""
    left = pd.DataFrame(
        {
            "customerNumber": customer_numbers(desired["customerNumber"]),
            "matchKey": desired["matchKey"].astype("string").str.strip(),
        }
    )
    right = (
        memory[["customerNumber", "matchKey", "id"]].astype("string").drop_duplicates(["customerNumber", "matchKey"])
    )
    merged = left.merge(right, on=["customerNumber", "matchKey"], how="left")
    return pd.Series(merged["id"].to_numpy(), index=desired.index, dtype="string")


def _dedupe(keys: pd.Series) -> pd.Series:
    keys = keys.astype("string")
    if not pd.Index(keys.to_numpy(dtype=object, na_value=None), dtype=object).has_duplicates:
        return keys
    occurrence = keys.groupby(keys, dropna=False).cumcount()
    return keys.where(occurrence == 0, keys + "#" + occurrence.astype("string"))
