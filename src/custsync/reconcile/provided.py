"""Which canonical columns a source provides — only those are compared and written.

A column the mapping does not fill is not a request to clear it in the API: a customer file without a fax
column must not wipe every fax number. The mapping says what it fills: for a mapping with explicit fields
these are the field names (shared fields and group fields); for a pass-through (canonical layout) entity it
is every canonical column the file has, which the frame no longer shows once conformed — there the columns
holding at least one value count as provided (see :func:`custsync.reconcile.build.provided_columns`).
"""

from __future__ import annotations

import pandas as pd

from custsync.mapping.spec import MappingSpec
from custsync.reconcile.build import PROVIDED_ATTR


def declare_provided(frames: dict[str, pd.DataFrame], spec: MappingSpec) -> None:
    """Set ``PROVIDED_ATTR`` on each frame the mapping fills with explicit fields only."""
    for name, frame in frames.items():
        entity = spec.entities.get(name)
        if entity is None or entity.passthrough:
            continue
        columns = set(entity.fields)
        for group in entity.expanded_groups():
            columns |= set(group.fields)
        frame.attrs[PROVIDED_ATTR] = sorted(columns)
