"""The canonical data model: one pandera schema per entity, shared by import, fetch and export.

``ENTITIES`` describes the three tables (columns, dtypes, keys, Arrow schema, ``conform``);
:func:`validate_frames` checks frames against them and returns the valid rows plus one failure row per problem
(see :mod:`custsync.model.validation` for the API and ``docs/model.md`` for columns and rules).
"""

from custsync.model._base import READ_ONLY_COLUMNS, SOURCE_COLUMNS, SOURCE_FILE, SOURCE_ROW
from custsync.model.addresses import ADDRESS_IDENTITY, ADDRESS_TYPES, AddressIdentity, AddressSchema
from custsync.model.contacts import CONTACT_TYPES, ContactSchema
from custsync.model.customers import CUSTOMER_TYPES, SALUTATIONS, CustomerSchema
from custsync.model.entities import (
    ADDRESSES,
    CONTACTS,
    CUSTOMERS,
    ENTITIES,
    ENTITY_NAMES,
    SUB_ENTITY_NAMES,
    Entity,
)
from custsync.model.failures import (
    FAILURE_COLUMNS,
    HEADER_RULES,
    HOLD_BACK_RULES,
    concat_failures,
    failures_frame,
    failures_to_records,
    held_back_per_rule,
    is_hold_back,
    preview,
)
from custsync.model.validation import EntityCounts, ValidationResult, validate_frames

__all__ = [
    "ADDRESSES",
    "ADDRESS_IDENTITY",
    "ADDRESS_TYPES",
    "CONTACTS",
    "CONTACT_TYPES",
    "CUSTOMERS",
    "CUSTOMER_TYPES",
    "ENTITIES",
    "ENTITY_NAMES",
    "FAILURE_COLUMNS",
    "HEADER_RULES",
    "HOLD_BACK_RULES",
    "READ_ONLY_COLUMNS",
    "SALUTATIONS",
    "SOURCE_COLUMNS",
    "SOURCE_FILE",
    "SOURCE_ROW",
    "SUB_ENTITY_NAMES",
    "AddressIdentity",
    "AddressSchema",
    "ContactSchema",
    "CustomerSchema",
    "Entity",
    "EntityCounts",
    "ValidationResult",
    "concat_failures",
    "failures_frame",
    "failures_to_records",
    "held_back_per_rule",
    "is_hold_back",
    "preview",
    "validate_frames",
]
