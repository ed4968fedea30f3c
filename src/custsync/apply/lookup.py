"""Was this create already carried out? Asked when a killed run left a create ``sent`` but not ``done``.

A customer is found by its number; an address or contact person under its customer by the same key the plan
paired records with (an address as ``custsync.model.ADDRESS_IDENTITY`` says: its type, plus for a delivery
address its normalised content; a contact by name or e-mail — the plan's ``contact_key`` — case-blind).
"""

from __future__ import annotations

import pandas as pd

from custsync.model import ENTITIES
from custsync.reconcile import Create, Remote, address_keys, contact_keys, customer_numbers, key_bases


async def find_created(
    remote: Remote, entity: str, op: Create, parent_id: str | None, *, contact_key: str = "name"
) -> str | None:
    """The id of the record ``op`` would create if it already exists, else ``None``. ``contact_key`` must be the
    key the plan paired contacts by, or a renamed-but-existing contact would be missed or a namesake taken."""
    if entity == "customers":
        found = (await remote.customers_where("number", [op.customer_number])).customers
        hits = found[customer_numbers(found["number"]).eq(op.customer_number).fillna(False).to_numpy()]
        return None if hits.empty else str(hits["id"].iloc[0])
    if parent_id is None:
        return None
    existing = await remote.list_children(entity, {parent_id: op.customer_number})
    if existing.empty:
        return None
    row = {k: v for k, v in op.body.items() if not isinstance(v, dict | list)}
    row["customerNumber"] = op.customer_number
    for group, fields in op.body.items():
        if isinstance(fields, dict):
            row.update({f"{group}.{k}": v for k, v in fields.items()})
    wanted = ENTITIES[entity].conform(pd.DataFrame([row]))
    if entity == "addresses":
        want_key, have_keys = address_keys(wanted, existing)
    else:
        want_key, have_keys = contact_keys(wanted, contact_key), contact_keys(existing, contact_key)
    target = key_bases(want_key).iloc[0]
    hits = existing[key_bases(have_keys).eq(target).fillna(False).to_numpy()]
    return None if hits.empty else str(hits["id"].iloc[0])
