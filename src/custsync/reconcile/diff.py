"""The vectorised diff of one entity: desired rows vs current rows, paired by key, compared column by column.

No Python loop runs per row. Per column the raw values are compared first (one vectorised ``==``); only the
cells that differ raw are normalised and compared again, so a million equal rows cost one comparison per
column and nothing more, while ``" a@B.de"`` vs ``"a@b.de"`` still compares equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from custsync.errors import PlanError
from custsync.model import SOURCE_FILE, SOURCE_ROW, Entity
from custsync.reconcile.normalise import normalise_column

_CARRIED = ("customerNumber", "matchKey", SOURCE_FILE, SOURCE_ROW)
"""Desired columns the plan needs besides the compared ones (parent, match key, source position)."""
_CARRIED_CURRENT = ("id", "updatedAt", "customerNumber")


@dataclass(frozen=True)
class EntityDiff:
    """The difference of one entity, as frames indexed by record key."""

    entity: Entity
    columns: tuple[str, ...]
    """The compared columns (writable, provided by the source, not part of the key)."""
    create: pd.DataFrame
    """Desired rows without a counterpart."""
    update_desired: pd.DataFrame
    """Desired rows whose counterpart differs ..."""
    update_current: pd.DataFrame
    """... their counterparts (same index, same order) ..."""
    changed: pd.DataFrame
    """... and which columns differ (bool, same index)."""
    missing: pd.DataFrame
    """Current rows without a desired counterpart (delete candidates)."""
    unchanged: int
    kept: dict[str, int] = field(default_factory=dict)
    """Per column, paired rows whose empty desired cell was left as the API has it (``keep`` of the diff)."""


def diff_entity(
    entity: Entity,
    desired: pd.DataFrame,
    current: pd.DataFrame,
    *,
    columns: Sequence[str],
    desired_keys: pd.Series,
    current_keys: pd.Series,
    ignore: Mapping[str, pd.Series] | None = None,
    keep: Mapping[str, pd.Series] | None = None,
) -> EntityDiff:
    """Pair ``desired`` and ``current`` rows by key and find what differs in ``columns``.

    ``ignore`` maps a column to a boolean Series aligned with ``desired``: where it is true, that column never
    counts as changed (the API derives a person's ``name``, so it is not compared for persons). ``keep`` is
    the same, but counted in :attr:`EntityDiff.kept` where the values differed (empty cells the API takes no
    null for, see :mod:`custsync.reconcile.nulls`).
    """
    _refuse_missing_keys(entity, desired, desired_keys)
    # object indexes: hash-table joins (an Arrow-string index converts values one by one in Python)
    d_index = pd.Index(desired_keys.to_numpy(dtype=object, na_value=None), dtype=object, name="key")
    c_index = pd.Index(current_keys.to_numpy(dtype=object, na_value=None), dtype=object, name="key")
    position = c_index.get_indexer(d_index)  # one hash pass pairs every desired row with its counterpart
    matched = position >= 0
    paired = position[matched]
    unpaired = np.ones(len(c_index), dtype=bool)
    unpaired[paired] = False
    # only the compared columns are carried along: copying all 40-odd columns of a million rows costs more
    # than the comparison itself
    d = desired.set_axis(d_index)
    c = current.set_axis(c_index)
    d_cols = [col for col in (*columns, *_CARRIED) if col in d.columns]
    c_cols = [col for col in (*columns, *_CARRIED_CURRENT) if col in c.columns]
    d_common = d.iloc[np.flatnonzero(matched)][d_cols]
    c_common = c.iloc[paired][c_cols].set_axis(d_common.index)
    ignored = {col: mask.to_numpy(dtype=bool, na_value=False)[matched] for col, mask in (ignore or {}).items()}
    kept_rows = {col: mask.to_numpy(dtype=bool, na_value=False)[matched] for col, mask in (keep or {}).items()}
    kept: dict[str, int] = {}

    changed: dict[str, np.ndarray] = {}
    for column in columns:
        mask = _differs(entity, column, _column(entity, d_common, column), _column(entity, c_common, column))
        if column in ignored:
            mask &= ~ignored[column]
        if column in kept_rows:
            held = mask & kept_rows[column]
            if held.any():
                kept[column] = int(held.sum())
            mask &= ~kept_rows[column]
        changed[column] = mask
    changed_frame = pd.DataFrame(changed, index=d_common.index, dtype=bool)
    row_changed = changed_frame.to_numpy().any(axis=1) if len(columns) else np.zeros(len(d_common), dtype=bool)
    return EntityDiff(
        entity=entity,
        columns=tuple(columns),
        create=d[~matched],
        update_desired=d_common[row_changed],
        update_current=c_common[row_changed],
        changed=changed_frame[row_changed],
        missing=c[unpaired],
        unchanged=int((~row_changed).sum()),
        kept=kept,
    )


def _column(entity: Entity, frame: pd.DataFrame, column: str) -> pd.Series:
    if column in frame.columns:
        return frame[column]
    return pd.Series(pd.NA, index=frame.index, dtype=entity.dtypes[column])


def _differs(entity: Entity, column: str, desired: pd.Series, current: pd.Series) -> np.ndarray:
    """Boolean array: where the two columns differ after normalisation."""
    raw = _raw_differs(desired, current)
    if raw.any():
        where = np.flatnonzero(raw)
        normalised = _raw_differs(
            normalise_column(entity, column, desired.iloc[where]),
            normalise_column(entity, column, current.iloc[where]),
        )
        raw[where[~normalised]] = False
    return raw


def _raw_differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise "not equal" of two aligned columns, missing == missing (Arrow/masked compute, no loop)."""
    if a.dtype != b.dtype:
        b = b.astype(a.dtype)
    equal = a.array == b.array
    equal = equal.astype(bool) if isinstance(equal, np.ndarray) else equal.to_numpy(dtype=bool, na_value=False)
    return ~(equal | (a.isna().to_numpy() & b.isna().to_numpy()))


def _refuse_missing_keys(entity: Entity, desired: pd.DataFrame, keys: pd.Series) -> None:
    empty = keys.isna().to_numpy()
    if not empty.any():
        return
    first = desired[empty].iloc[0]
    where = ""
    if SOURCE_FILE in desired.columns and SOURCE_ROW in desired.columns:
        where = f"{first[SOURCE_FILE]}:{first[SOURCE_ROW]}: "
    raise PlanError(
        f"{where}{int(empty.sum())} {entity.name} row(s) have no key ({', '.join(entity.key)})",
        hint="every desired row needs its key columns; run `custsync validate` to see all rejects",
    )
