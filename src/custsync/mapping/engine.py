"""Apply a mapping to a source table: one canonical frame per entity, plus the values that could not be mapped.

The engine works column by column on whole Series (see :mod:`custsync.mapping._transforms`); the only Python
loops run over the mapping's fields and groups, never over rows. A wide row that holds several records (billing
and delivery addresses, contact persons 1..M) is mapped once per group on the rows where that group has data,
and the parts are stacked in file order.

The frames hold text in canonical spelling (ISO dates, decimal point) under canonical column names, with
``_source`` and ``_row``; :func:`custsync.model.validate_frames` gives them their dtypes and checks them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from custsync.io import ROW
from custsync.mapping._transforms import ValueFailure, any_present, evaluate
from custsync.mapping.spec import EntitySpec, FieldSpec, Group, MappingSpec
from custsync.model import ENTITIES, SOURCE_FILE, SOURCE_ROW, failures_frame, preview

_GROUP = "__group"
GROUP = "_group"
"""Column of a mapped frame naming the group of a wide row each record came from (``AP2``, ``RE``)."""


@dataclass(frozen=True)
class Needs:
    """Which source columns an entity reads: all ``wanted`` ones are kept, ``required`` ones must exist."""

    wanted: frozenset[str] | None
    required: frozenset[str]


def source_needs(entity_name: str, entity: EntitySpec) -> Needs:
    """The source columns the entity's mapping reads (``wanted`` is ``None`` for "all")."""
    wanted: set[str] = set()
    required: set[str] = set()
    for fields, skip in _field_sets(entity):
        for spec in fields.values():
            names = spec.source_columns()
            wanted.update(names)
            if not spec.optional:
                required.update(names)
        wanted.update(skip or ())
    if entity.passthrough:
        wanted.update(ENTITIES[entity_name].writable_columns)
    return Needs(frozenset(wanted), frozenset(required))


def map_entity(
    entity_name: str, entity: EntitySpec, raw: pd.DataFrame, label: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Map ``raw`` (text columns plus ``_row``) to the entity's canonical text frame and its mapping failures."""
    fields = dict(entity.fields)
    if entity.passthrough:
        for name in ENTITIES[entity_name].writable_columns:
            if name in raw.columns and name not in fields:
                fields[name] = FieldSpec(column=name)
    groups = entity.expanded_groups()
    failures: list[pd.DataFrame] = []
    shared, shared_problems = _evaluate_all(fields, raw)
    if not groups:
        frame = _frame(shared, raw, label, None)
        failures += _failures(shared_problems, raw, label, entity_name, None, fields, None)
    else:
        parts = []
        anywhere = np.zeros(len(raw), dtype=bool)
        for index, group in enumerate(groups):
            keep = any_present(raw, _presence_columns(group)).to_numpy(dtype=bool)
            if not keep.any():
                continue
            anywhere |= keep
            own, problems = _evaluate_all(group.fields, raw)  # on all rows, then cut: cheaper than copying rows
            name = group_label(group, index)
            failures += _failures(problems, raw, label, entity_name, keep, group.fields, name)
            part = _frame({**shared, **own}, raw, label, keep)
            part[_GROUP] = index
            part[GROUP] = pd.Series(name, index=part.index, dtype="string")
            parts.append(part)
        failures += _failures(shared_problems, raw, label, entity_name, anywhere, fields, None)
        if parts:
            frame = pd.concat(parts, ignore_index=True)
            frame = frame.sort_values([SOURCE_ROW, _GROUP], kind="stable", ignore_index=True).drop(columns=_GROUP)
        else:
            frame = _empty(fields, groups, label)
            frame[GROUP] = pd.Series(dtype="string")
    found = pd.concat(failures, ignore_index=True) if failures else failures_frame()
    return frame, found


def _evaluate_all(
    fields: dict[str, FieldSpec], raw: pd.DataFrame
) -> tuple[dict[str, pd.Series], dict[str, list[ValueFailure]]]:
    columns: dict[str, pd.Series] = {}
    problems: dict[str, list[ValueFailure]] = {}
    for name, spec in fields.items():
        columns[name], problems[name] = evaluate(spec, raw)
    return columns, problems


def _frame(columns: dict[str, pd.Series], raw: pd.DataFrame, label: str, keep: np.ndarray | None) -> pd.DataFrame:
    """The records of the rows in ``keep`` (all rows when ``None``), with ``_source`` and ``_row``."""
    rows = raw[ROW].to_numpy(dtype=np.int64)
    if keep is None:
        data = {name: series.array for name, series in columns.items()}
    else:
        data = {name: series.array[keep] for name, series in columns.items()}
        rows = rows[keep]
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    frame[SOURCE_FILE] = pd.Series(label, index=frame.index, dtype="string")
    frame[SOURCE_ROW] = rows
    return frame


def _failures(
    problems: dict[str, list[ValueFailure]],
    raw: pd.DataFrame,
    label: str,
    entity_name: str,
    keep: np.ndarray | None,
    fields: dict[str, FieldSpec],
    group: str | None,
) -> list[pd.DataFrame]:
    out: list[pd.DataFrame] = []
    for column, found in problems.items():
        for problem in found:
            mask = problem.mask.to_numpy(dtype=bool)
            if keep is not None:
                mask = mask & keep
            if mask.any():
                out += _failure_rows(
                    [ValueFailure(problem.rule, pd.Series(mask, index=raw.index), problem.values, problem.message)],
                    raw,
                    label,
                    entity_name,
                    column,
                    source=_source_text(fields[column]),
                    group=group,
                )
    return out


def _failure_rows(
    problems: Iterable[ValueFailure],
    raw: pd.DataFrame,
    label: str,
    entity_name: str,
    column: str,
    *,
    source: str | None = None,
    group: str | None = None,
) -> list[pd.DataFrame]:
    out = []
    for problem in problems:
        mask = problem.mask.to_numpy(dtype=bool)
        rows = raw[ROW].to_numpy()[mask]
        values = [preview(v) for v in problem.values.to_numpy()[mask]]
        out.append(
            failures_frame(
                {
                    "file": label,
                    "row": int(row),
                    "source_column": source,
                    "group": group,
                    "entity": entity_name,
                    "column": column,
                    "rule": problem.rule,
                    "value": value,
                    "message": problem.message,
                }
                for row, value in zip(rows, values, strict=True)
            )
        )
    return out


def group_label(group: Group, index: int) -> str:
    """What rejects call a group: its ``name``, else the prefix all its source columns share (``AP2_Vorname``,
    ``AP2_Geburtstag`` -> ``AP2``), else its place in the mapping (``group 3``)."""
    if group.name:
        return group.name
    names = [c for spec in group.fields.values() for c in spec.source_columns()]
    prefix = names[0] if names else ""
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    cut = max(prefix.rfind(sep) for sep in ("_", " ", "-", ".")) if prefix else -1
    return prefix[:cut] if cut > 0 else f"group {index + 1}"


def field_sources(entity_name: str, entity: EntitySpec) -> dict[tuple[str | None, str], str]:
    """Per ``(group label, canonical column)`` the source column(s) its value came from, as rejects show them;
    the entity's shared fields are under group ``None``."""
    out: dict[tuple[str | None, str], str] = {}
    for column, spec in entity.fields.items():
        out[(None, column)] = _source_text(spec)
    if entity.passthrough:
        for column in ENTITIES[entity_name].writable_columns:
            out.setdefault((None, column), column)
    for index, group in enumerate(entity.expanded_groups()):
        name = group_label(group, index)
        for column, spec in group.fields.items():
            out[(name, column)] = _source_text(spec)
    return out


def _source_text(spec: FieldSpec) -> str | None:
    names = list(dict.fromkeys(spec.source_columns()))
    return ", ".join(names) if names else None


def _presence_columns(group: Group) -> list[str]:
    if group.skip_if_empty:
        return list(group.skip_if_empty)
    names: list[str] = []
    for spec in group.fields.values():
        names.extend(spec.source_columns())
    return names


def _field_sets(entity: EntitySpec) -> list[tuple[dict[str, FieldSpec], list[str] | None]]:
    sets: list[tuple[dict[str, FieldSpec], list[str] | None]] = [(dict(entity.fields), None)]
    sets.extend((dict(g.fields), g.skip_if_empty) for g in entity.expanded_groups())
    return sets


def _empty(fields: dict[str, FieldSpec], groups: list[Group], label: str) -> pd.DataFrame:
    names = list(fields) + [n for g in groups for n in g.fields if n not in fields]
    frame = pd.DataFrame({n: pd.Series(dtype="string") for n in dict.fromkeys(names)})
    frame[SOURCE_FILE] = pd.Series(dtype="string")
    frame[SOURCE_ROW] = pd.Series(dtype=np.int64)
    return frame


def entities_reading(spec: MappingSpec, file_name: str) -> list[str]:
    """Names of the entities whose ``file`` pattern matches ``file_name`` (all without a pattern)."""
    from fnmatch import fnmatch

    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    out = []
    for name, entity in spec.entities.items():
        pattern = entity.file
        if pattern is None or fnmatch(stem, pattern) or fnmatch(file_name, pattern):
            out.append(name)
    return out
