"""Which source columns a mapping leaves unread: nothing a source file holds is dropped without a word.

Every entry point reads sources through :func:`custsync.source.read_source`, which lists these columns per
file as warnings (``--strict-columns`` makes them a failure). A mapping names the columns it drops on purpose
under ``ignore_columns:`` (shell wildcards), and those are not listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

from custsync.mapping.engine import source_needs
from custsync.mapping.spec import MappingSpec
from custsync.model import ENTITIES, SOURCE_COLUMNS


def read_columns(spec: MappingSpec, readers: Sequence[str]) -> set[str]:
    """The source columns the ``readers`` entities read; a passthrough entity reads its canonical columns
    (read-only ``id``, ``createdAt``, ``updatedAt`` included: the canonical layout ignores them on import)."""
    names: set[str] = set()
    for entity in readers:
        names |= set(source_needs(entity, spec.entities[entity]).wanted or ())
        if spec.entities[entity].passthrough:
            names |= set(ENTITIES[entity].columns) | set(SOURCE_COLUMNS)
    return names


def unread_columns(spec: MappingSpec, readers: Sequence[str], header: Sequence[str]) -> list[str]:
    """Header columns no entity of ``readers`` reads and ``ignore_columns`` does not name, in header order."""
    read = read_columns(spec, readers)
    return [
        column
        for column in dict.fromkeys(header)
        if column and column not in read and not any(fnmatchcase(column, p) for p in spec.ignore_columns)
    ]
