"""Record keys: how a desired row finds its counterpart among the API's records.

- customers: the customer number;
- addresses: as :data:`custsync.model.ADDRESS_IDENTITY` declares — ``(customer number, type)`` for masterdata
  and billing addresses; a delivery address is matched first through its ``matchKey`` — the state store
  remembers which API id a match key was synced to — and otherwise (or when that memory is gone) by its
  normalised name, street, zip, city and country;
- contact persons: ``(customer number, case-folded name)`` by default, or ``(customer number, case-folded
  e-mail)`` with ``contact_key="email"`` — then a renamed contact is patched instead of recreated.

Keys are plain strings computed column-wise. Two records with the same key on one side (a customer with two
identical delivery addresses) get ``#1``, ``#2``... so they pair up one to one instead of colliding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from custsync.errors import PlanError
from custsync.model import ADDRESS_IDENTITY, SOURCE_FILE, SOURCE_ROW
from custsync.reconcile.normalise import normalise_key_text
from custsync.reconcile.values import member

SEP = "\x1f"
"""Unit separator between key parts: never part of real data, so ``("a b", "c")`` and ``("a", "b c")`` differ."""

_ADDRESS = ADDRESS_IDENTITY
CONTACT_KEY_COLUMNS = {"name": "name", "email": "contact.email"}
"""``contact_key`` choice -> the contact column that identifies a person under its customer."""


def customer_numbers(values: pd.Series) -> pd.Series:
    """Customer numbers as keys: trimmed text (case is significant: ``K-1`` and ``k-1`` are two customers)."""
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def customer_keys(frame: pd.DataFrame) -> pd.Series:
    return _dedupe(customer_numbers(frame["number"]))


def check_contact_key(contact_key: str) -> str:
    """The contact key choice, refused clearly when unknown (it comes from the CLI or a plan file)."""
    if contact_key not in CONTACT_KEY_COLUMNS:
        raise PlanError(f"unknown contact key {contact_key!r}", hint="choose --contact-key name or --contact-key email")
    return contact_key


CONTACT_TIEBREAK_COLUMNS = ("contact.email", "contact.phone", "contact.mobile", "department", "position", "title")
"""When one customer has several contacts with the same key (the API allows two with one name), they pair up in
the order of these columns, so equal records find each other whatever order either side lists them in."""


def contact_keys(frame: pd.DataFrame, contact_key: str = "name") -> pd.Series:
    column = CONTACT_KEY_COLUMNS[check_contact_key(contact_key)]
    values = frame[column] if column in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="string")
    keys = customer_numbers(frame["customerNumber"]) + SEP + normalise_key_text(values).fillna("")
    tiebreak = pd.Series("", index=frame.index, dtype="string")
    for name in CONTACT_TIEBREAK_COLUMNS:
        if name in frame.columns:
            tiebreak = tiebreak + SEP + normalise_key_text(frame[name]).fillna("")
    return _dedupe(keys, tiebreak)


def check_desired_contacts(frame: pd.DataFrame, contact_key: str) -> None:
    """Refuse desired contacts the chosen key cannot identify one to one.

    Keyed by e-mail, a contact without an e-mail would never pair with its API record (it would be created
    again on every run), and two contacts of one customer with the same e-mail would pair in arbitrary order.
    Keyed by name, repeated names are legal (the API allows them) and pair up by their other details."""
    if check_contact_key(contact_key) == "name" or frame.empty:
        return
    column = CONTACT_KEY_COLUMNS[contact_key]
    numbers = customer_numbers(frame["customerNumber"])
    emails = normalise_key_text(frame[column]) if column in frame.columns else pd.Series(pd.NA, index=frame.index)
    absent = emails.isna().to_numpy(dtype=bool)
    if absent.any():
        raise PlanError(
            f"{int(absent.sum())} contact person(s) have no e-mail but contacts are keyed by e-mail, first: "
            f"{_contact_where(frame, absent)}",
            hint="add their e-mail addresses, or key contacts by name with --contact-key name",
        )
    keys = pd.Series(numbers.fillna("").to_numpy(dtype=object) + SEP + emails.to_numpy(dtype=object))
    twice = keys.duplicated(keep=False).to_numpy(dtype=bool)
    if twice.any():
        raise PlanError(
            f"{int(twice.sum())} contact persons share an e-mail with another contact of the same customer, first: "
            f"{_contact_where(frame, twice)} ({emails[twice].iloc[0]})",
            hint="give each contact of a customer its own e-mail, or key contacts by name with --contact-key name",
        )


def _contact_where(frame: pd.DataFrame, rows: np.ndarray) -> str:
    """``customer K1, contact 'Anna' (file.csv:3)`` for the first flagged row."""
    first = frame[rows].iloc[0]
    text = f"customer {first['customerNumber']}, contact {first.get('name')!r}"
    if SOURCE_FILE in frame.columns and SOURCE_ROW in frame.columns and pd.notna(first[SOURCE_FILE]):
        text += f" ({first[SOURCE_FILE]}:{first[SOURCE_ROW]})"
    return text


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
    d_delivery = desired[_ADDRESS.type].eq(_ADDRESS.many_per_customer).fillna(False).to_numpy()
    c_delivery = current[_ADDRESS.type].eq(_ADDRESS.many_per_customer).fillna(False).to_numpy()

    d_keys = d_base.copy()
    c_keys = c_base.copy()
    d_keys[d_delivery] = d_base[d_delivery] + SEP + "c:" + _content_key(desired[d_delivery])
    c_keys[c_delivery] = c_base[c_delivery] + SEP + "c:" + _content_key(current[c_delivery])

    if memory is not None and len(memory) and _ADDRESS.match_key in desired.columns:
        remembered = _remembered_ids(desired, memory)
        live = member(remembered, current["id"].dropna()) & d_delivery
        if live.any():
            d_keys[live] = d_base[live] + SEP + "id:" + remembered[live]
            by_id = member(current["id"], remembered[live]) & c_delivery
            c_keys[by_id] = c_base[by_id] + SEP + "id:" + current["id"][by_id].astype("string")
    return _dedupe(d_keys), _dedupe(c_keys)


def _address_base(frame: pd.DataFrame) -> pd.Series:
    return customer_numbers(frame[_ADDRESS.customer]) + SEP + frame[_ADDRESS.type].astype("string").str.strip()


def _content_key(frame: pd.DataFrame) -> pd.Series:
    parts = [normalise_key_text(frame[c]).fillna("") for c in _ADDRESS.content]
    key = parts[0]
    for part in parts[1:]:
        key = key + SEP + part
    return key


def _remembered_ids(desired: pd.DataFrame, memory: pd.DataFrame) -> pd.Series:
    """The remembered API id of each desired row's match key (missing where none)."""
    scope = [_ADDRESS.customer, _ADDRESS.match_key]
    left = pd.DataFrame(
        {
            _ADDRESS.customer: customer_numbers(desired[_ADDRESS.customer]),
            _ADDRESS.match_key: desired[_ADDRESS.match_key].astype("string").str.strip(),
        }
    )
    right = memory[[*scope, "id"]].astype("string").drop_duplicates(scope)
    merged = left.merge(right, on=scope, how="left")
    return pd.Series(merged["id"].to_numpy(), index=desired.index, dtype="string")


REPEAT = "#"
"""Marks the occurrence number :func:`_dedupe` appends to a repeated key (``key#1``, ``key#2``...)."""
_REPEAT_SUFFIX = r"#\d+$"


def key_bases(keys: pd.Series) -> pd.Series:
    """``keys`` without the occurrence number :func:`_dedupe` appended: what identifies the record itself.

    Only a trailing ``#<n>`` is taken off, so a ``#`` inside the data (``Hof #2 links``) stays part of the key."""
    return keys.astype("string").str.replace(_REPEAT_SUFFIX, "", regex=True)


def _dedupe(keys: pd.Series, tiebreak: pd.Series | None = None) -> pd.Series:
    """Number repeated keys ``#1``, ``#2``... in the order of ``tiebreak`` (then of the rows) within each key."""
    keys = keys.astype("string")
    if not pd.Index(keys.to_numpy(dtype=object, na_value=None), dtype=object).has_duplicates:
        return keys
    if tiebreak is None:
        occurrence = keys.groupby(keys, dropna=False).cumcount()
    else:
        rows = np.arange(len(keys))
        order = pd.DataFrame(
            {"key": keys.to_numpy(), "tiebreak": tiebreak.astype("string").fillna("").to_numpy(), "row": rows}
        ).sort_values(["key", "tiebreak", "row"], kind="stable")
        positions = np.empty(len(keys), dtype=np.int64)
        positions[order["row"].to_numpy()] = order.groupby("key", dropna=False, sort=False).cumcount().to_numpy()
        occurrence = pd.Series(positions, index=keys.index)
    return keys.where(occurrence == 0, keys + REPEAT + occurrence.astype("string"))
