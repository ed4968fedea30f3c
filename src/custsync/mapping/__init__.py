"""Mapping files: how a source layout becomes the canonical customers, addresses and contacts frames.

``load_mapping`` reads and checks a file, ``default_mapping`` is the canonical layout, and
:func:`custsync.mapping.engine.map_entity` applies a mapping to a source table.
"""

from custsync.mapping.canonical import CANONICAL_YAML, default_mapping
from custsync.mapping.load import load_mapping, parse_mapping
from custsync.mapping.spec import EntitySpec, FieldSpec, MappingSpec

__all__ = [
    "CANONICAL_YAML",
    "EntitySpec",
    "FieldSpec",
    "MappingSpec",
    "default_mapping",
    "load_mapping",
    "parse_mapping",
]
