from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from custsync.codec._shapes import REFERENCE_COLUMNS, normalise_shapes, reference_value
from custsync.model import READ_ONLY_COLUMNS, SOURCE_COLUMNS, Entity

LIST_COLUMNS = frozenset({"groups"})
"""Canonical text columns that the API holds as a list of ids."""

LOCAL_COLUMNS = frozenset({"customerNumber", "matchKey"})
"""Canonical columns that exist only on our side (the parent is the URL; the match key is ours)."""


def from_api(
    entity: Entity,
    resources: Iterable[Mapping[str, Any]],
    *,
    customer_number: str | None = None,
) -> pd.DataFrame:
    """Flatten API resources of one entity into a canonical frame.

    ``customer_number`` fills ``customerNumber`` for sub-resources fetched under one customer; a resource may
    also carry it under the private key ``_customerNumber`` (the fetcher sets it when it lists many customers).
    Shapes the spec leaves open (groups as objects, references as ``{id}``, country names) are normalised here
    (:mod:`custsync.codec._shapes`).
    """
    records = [normalise_shapes(_flatten(r)) for r in resources]
    if not records:
        return entity.empty()
    frame = pd.DataFrame.from_records(records)
    if entity.parent_key and entity.parent_key not in frame.columns:
        frame[entity.parent_key] = customer_number
    for column in LIST_COLUMNS & set(frame.columns):
        frame[column] = frame[column].map(_join_ids)
    if "customerType" in entity.columns and "customerType" not in frame.columns and "type" in frame.columns:
        frame["customerType"] = frame["type"]
    return entity.conform(frame, keep_source=False)


def to_api(entity: Entity, row: Mapping[str, Any], *, include_nulls: bool = False) -> dict[str, Any]:
    """Nest one canonical row (or the changed fields of one) into an API request body.

    Read-only, local and bookkeeping columns are dropped. Missing values are left out unless
    ``include_nulls`` (a PATCH that clears a field sends ``null``).
    """
    body: dict[str, Any] = {}
    for column, value in row.items():
        if column in READ_ONLY_COLUMNS or column in LOCAL_COLUMNS or column in SOURCE_COLUMNS:
            continue
        if column not in entity.columns:
            continue
        value = _json_value(value)
        if value is None and not include_nulls:
            continue
        if column in LIST_COLUMNS:
            value = _split_ids(value)
        _set_path(body, column.split("."), value)
    return body


def _flatten(resource: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in resource.items():
        if key == "links":
            continue
        if key == "_customerNumber":
            out["customerNumber"] = value
            continue
        path = f"{prefix}{key}"
        if path in REFERENCE_COLUMNS and isinstance(value, Mapping):
            out[path] = reference_value(value)
        elif isinstance(value, Mapping):
            out.update(_flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


def _set_path(body: dict[str, Any], parts: list[str], value: Any) -> None:
    node = body
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _json_value(value: Any) -> Any:
    """A pandas/numpy scalar as a plain JSON value; missing values become None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def _join_ids(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) if value else None
    return value


def _split_ids(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value
