"""The built-in default mapping: the canonical layout.

It lives in code, not as package data, so an installed custsync has it without the repository;
``mappings/canonical.yaml`` is the same text for users to copy, and a test keeps the two identical.
"""

from __future__ import annotations

from functools import cache

from custsync.mapping.load import parse_mapping
from custsync.mapping.spec import MappingSpec

CANONICAL_YAML = """\
# The canonical layout: files whose columns already are the canonical columns (docs/mappings.md).
# This is the default mapping, and the layout `custsync export` writes: a directory with customers, addresses
# and contacts files (.csv or .parquet). Read-only columns (id, createdAt, updatedAt) are ignored on import.
version: 1
name: canonical
description: Canonical customers, addresses and contacts files, as written by custsync export.
entities:
  customers:
    file: "*customers*"
    passthrough: true
    fields:
      number: number
      customerType: customerType
  addresses:
    file: "*addresses*"
    passthrough: true
    fields:
      customerNumber: customerNumber
      type: type
      country: country
  contacts:
    file: "*contacts*"
    passthrough: true
    fields:
      customerNumber: customerNumber
      name: name
"""


@cache
def default_mapping() -> MappingSpec:
    """The canonical mapping (``mappings/canonical.yaml``)."""
    return parse_mapping(CANONICAL_YAML, label="canonical (built in)")
