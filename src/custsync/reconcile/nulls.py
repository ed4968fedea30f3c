"""Empty source cells of members the API takes no ``null`` for: decided per field, never sent as ``null``.

Which members may not be null is read from the request schemas (:mod:`custsync.wire`): the public spec's
contact-person PATCH, the repo's customer and address PATCH schemas. Per field, one of two outcomes:

- **validation error** — the member is required by the canonical model too (customer number and type, an
  address's type and primary data, a contact's name): the row is refused before planning, naming the rule;
- **no change** — every other one (a contact's salutation kind and its three flags, a company's first and last
  name, ``lead.isLead``; ``lead.status`` while ``lead.isLead`` is empty): the empty cell leaves the API's
  value as it is. The plan counts these cells per column (``kept_empty``) so nobody mistakes them for cleared.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from custsync.model import Entity
from custsync.wire import body_schema, non_nullable_members

UPDATE_OPERATION = {
    "customers": "customer.update.v2",
    "addresses": "address.update.v2",
    "contacts": "customer.contactPerson.update",
}
REQUEST_NAMES = {("customers", "customerType"): "type"}
"""Canonical columns whose request member has another name."""
DEPENDS_ON = {("customers", "lead.status"): "lead.isLead"}
"""A column kept as the API has it wherever another one is empty (a lead is sent whole or not at all)."""


@cache
def keep_when_empty(entity: Entity) -> tuple[str, ...]:
    """The columns whose empty desired cell means "no change" (the API takes no null, the model allows empty)."""
    refused = non_nullable_members(body_schema(UPDATE_OPERATION[entity.name]))
    out = []
    for column in entity.writable_columns:
        member = REQUEST_NAMES.get((entity.name, column), column)
        if member in refused and entity.schema.columns[column].nullable:
            out.append(column)
    return tuple(out)


def kept_masks(entity: Entity, desired: pd.DataFrame, columns: tuple[str, ...]) -> dict[str, pd.Series]:
    """Per compared column, where the desired cell is left as the API has it (aligned with ``desired``)."""
    masks: dict[str, pd.Series] = {}
    for column in columns:
        if column in keep_when_empty(entity):
            masks[column] = desired[column].isna()
        elif (entity.name, column) in DEPENDS_ON and DEPENDS_ON[(entity.name, column)] in desired.columns:
            masks[column] = desired[DEPENDS_ON[(entity.name, column)]].isna()
    return masks
