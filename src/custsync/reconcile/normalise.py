"""Normalise canonical values before comparing them, so that equal data never shows up as a change.

Every rule is a vectorised pandas/Arrow string or numeric operation on a whole column:

- text: trimmed, inner whitespace collapsed to one space (free-text ``comment``/``others`` only trimmed),
  empty string = missing;
- e-mail columns lower-case; country and currency codes upper-case; IBAN, BIC and VAT ids upper-case without
  spaces; comma-separated id lists (``groups``) as a set: blanks and repeats dropped, sorted (numerically
  where all digits), because the API returns a record's groups in an order of its own;
- dates, numbers and flags: the canonical dtypes of :class:`custsync.model.Entity` (money already rounded to
  cents by ``Entity.conform``), floats rounded to 6 places so float noise never counts as a change.

The normalised value is also what a create or patch sends, so the next run compares equal (convergence).
"""

from __future__ import annotations

import pandas as pd

from custsync.model import Entity

FREE_TEXT = frozenset({"comment", "others"})
"""Text where line breaks and double spaces may mean something: trimmed only."""

COMPACT_UPPER = frozenset({"bankAccount.iban", "bankAccount.bic", "financial.vatId", "vatId"})
UPPER = frozenset({"financial.currency"})
ID_LISTS = frozenset({"groups"})
FLOAT_DECIMALS = 6


def column_kind(column: str) -> str:
    """The normalisation rule of a canonical column, decided by its name (the model is the API's names)."""
    leaf = column.rsplit(".", 1)[-1]
    if column in COMPACT_UPPER:
        return "compact_upper"
    if column in UPPER or leaf == "country":
        return "upper"
    if "email" in leaf.lower():
        return "lower"
    if column in ID_LISTS:
        return "id_list"
    if column in FREE_TEXT:
        return "trim"
    return "text"


def normalise_column(entity: Entity, column: str, values: pd.Series) -> pd.Series:
    """Return ``values`` of ``column`` in the comparable (and sendable) form; the index is kept."""
    dtype = entity.dtypes[column]
    if isinstance(dtype, pd.StringDtype):
        return _normalise_text(column_kind(column), _as_text(values, dtype))
    if isinstance(dtype, pd.Float64Dtype):
        return values.astype(dtype).round(FLOAT_DECIMALS)
    if values.dtype != dtype:
        return entity.conform(pd.DataFrame({column: values}), keep_source=False)[column]
    return values


def normalise_frame(entity: Entity, frame: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Normalise the given columns of ``frame`` (missing columns come back all-missing)."""
    out = {}
    for column in columns:
        if column in frame.columns:
            out[column] = normalise_column(entity, column, frame[column])
        else:
            out[column] = pd.Series(pd.NA, index=frame.index, dtype=entity.dtypes[column])
    return pd.DataFrame(out, index=frame.index)


def normalise_key_text(values: pd.Series) -> pd.Series:
    """Key text: trimmed, whitespace collapsed, case-folded — so ``" ACME  GmbH"`` keys like ``"acme gmbh"``."""
    return _normalise_text("text", _as_text(values, pd.StringDtype())).str.casefold()


def _as_text(values: pd.Series, dtype: object) -> pd.Series:
    if values.dtype == dtype:
        return values
    return values.astype("object").where(values.notna(), None).astype(dtype)


def _canonical_id_lists(text: pd.Series) -> pd.Series:
    """``" 3, 1,,3 "`` -> ``"1,3"``: computed once per distinct list (few: a million customers share a handful
    of group combinations), then mapped onto the column."""
    distinct = text.dropna().unique()
    if len(distinct) == 0:
        return text
    canonical = {value: _canonical_id_list(value) for value in distinct}
    return text.map(canonical).astype(text.dtype)


def _canonical_id_list(value: str) -> str:
    ids = {part.strip() for part in value.split(",")} - {""}
    return ",".join(sorted(ids, key=lambda i: (0, int(i), i) if i.isdigit() else (1, 0, i)))


def _normalise_text(kind: str, values: pd.Series) -> pd.Series:
    text = values.str.strip()
    if kind == "compact_upper":
        text = text.str.replace(r"\s+", "", regex=True).str.upper()
    elif kind == "id_list":
        text = _canonical_id_lists(text)
    elif kind != "trim":
        text = text.str.replace(r"\s{2,}|[\t\r\n]", " ", regex=True)
        if kind == "upper":
            text = text.str.upper()
        elif kind == "lower":
            text = text.str.lower()
    return text.mask(text == "")
