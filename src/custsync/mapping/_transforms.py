"""Evaluate one :class:`FieldSpec` over a whole source frame with pandas Series operations (no per-row loop).

Every step takes and returns a pandas ``string`` Series where missing is ``pd.NA``. Steps that can fail on a
value (``date``, ``decimal``, ``unmapped: error``) return the rows they failed on instead of raising, so the
engine turns them into rejects that name file, row, column and rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from custsync.mapping.spec import Condition, FieldSpec

STRING = pd.StringDtype()
_SPLIT_PATTERNS = {
    "first": r"(?s)^(.*?)(?:{sep}|$)",
    "rest": r"(?s)^.*?{sep}(.*)$",
    "last": r"(?s)^(?:.*{sep})?(.*)$",
    "all_but_last": r"(?s)^(.*){sep}.*$",
}
"""One regular expression per ``split`` part: Arrow runs them over the column without a Python loop."""


@dataclass(frozen=True)
class ValueFailure:
    """Rows (boolean mask) where a step could not turn a value into the wanted form."""

    rule: str
    mask: pd.Series
    values: pd.Series
    message: str


def evaluate(spec: FieldSpec, raw: pd.DataFrame) -> tuple[pd.Series, list[ValueFailure]]:
    """The column ``spec`` describes, computed from ``raw`` (source columns as strings)."""
    failures: list[ValueFailure] = []
    series = _source(spec, raw)
    if spec.trim:
        series = _blank_to_na(series.str.strip())
    if spec.split is not None:
        series = _split(series, spec.split.sep, spec.split.part)
    if spec.case is not None:
        series = getattr(series.str, spec.case)()
    if spec.map is not None:
        series, failure = _value_map(series, spec.map, spec.unmapped)
        failures += failure
    if spec.date is not None:
        series, failure = _date(series, spec.date)
        failures += failure
    if spec.decimal is not None:
        series, failure = _number(series, spec.decimal, spec.thousands)
        failures += failure
    if spec.default is not None:
        series = series.fillna(spec.default)
    return series, failures


def column(raw: pd.DataFrame, name: str) -> pd.Series:
    """A source column; a column the file does not have (an ``optional`` one) is all missing."""
    if name in raw.columns:
        return raw[name]
    return pd.Series(pd.NA, index=raw.index, dtype=STRING)


def is_empty(series: pd.Series) -> pd.Series:
    """Missing or only whitespace, as a plain boolean Series."""
    return series.str.strip().fillna("").eq("").astype(bool)


def _source(spec: FieldSpec, raw: pd.DataFrame) -> pd.Series:
    if spec.column is not None:
        return column(raw, spec.column)
    if spec.columns is not None:
        return _join([column(raw, c) for c in spec.columns], spec.sep)
    if spec.when is not None:
        return _when(spec, raw)
    return pd.Series(spec.value, index=raw.index, dtype=STRING)


def _join(parts: list[pd.Series], sep: str) -> pd.Series:
    """Join the non-empty parts with ``sep`` (``Dr.``, missing, ``Müller`` -> ``Dr. Müller``)."""
    result = pd.Series(pd.NA, index=parts[0].index if parts else None, dtype=STRING)
    for part in parts:
        part = _blank_to_na(part.str.strip())
        joined = result + sep + part
        result = joined.where(result.notna() & part.notna(), result.fillna(part))
    return result


def _when(spec: FieldSpec, raw: pd.DataFrame) -> pd.Series:
    result = pd.Series(spec.else_, index=raw.index, dtype=STRING)
    for branch in reversed(spec.when or []):  # reversed: the first branch that holds wins
        holds = _condition(branch.if_, raw)
        if branch.column is not None:
            value = column(raw, branch.column)
        else:
            value = pd.Series(branch.value, index=raw.index, dtype=STRING)
        result = value.where(holds, result)
    return result


def _condition(condition: Condition, raw: pd.DataFrame) -> pd.Series:
    source = column(raw, condition.column)
    if condition.empty is not None:
        empty = is_empty(source)
        return empty if condition.empty else ~empty
    trimmed = source.str.strip()
    if condition.equals is not None:
        return trimmed.eq(condition.equals).fillna(False).astype(bool)
    return trimmed.isin(condition.in_ or []).astype(bool)


def _split(series: pd.Series, sep: str, part: str) -> pd.Series:
    picked = series.astype(STRING).str.extract(_SPLIT_PATTERNS[part].format(sep=re.escape(sep)), expand=False)
    picked = picked.astype(STRING).where(series.notna())
    return _blank_to_na(picked.str.strip())


def _value_map(series: pd.Series, mapping: dict[str, str | None], unmapped: str) -> tuple[pd.Series, list]:
    lookup = {str(k).strip().lower(): v for k, v in mapping.items()}
    mapped, hit = _lookup(series.str.lower(), lookup)
    failures: list[ValueFailure] = []
    miss = series.notna() & ~hit
    if unmapped == "keep":
        result = mapped.where(hit, series)
    else:
        result = mapped.where(hit)
        if unmapped == "error" and miss.any():
            allowed = ", ".join(repr(k) for k in mapping)
            failures.append(ValueFailure("value_map", miss, series, f"not one of the mapped values ({allowed})"))
    return result.astype(STRING), failures


def _lookup(keys: pd.Series, lookup: dict[str, str | None]) -> tuple[pd.Series, pd.Series]:
    """``keys`` looked up in ``lookup``: the targets, and where a key was found (Arrow hash lookup when possible)."""
    arrow = _arrow(keys)
    if arrow is None:
        hit = keys.isin(list(lookup)).astype(bool)
        return keys.map(lookup).astype(STRING), hit
    positions = pc.index_in(arrow, value_set=pa.array(list(lookup), pa.string()))
    targets = pc.take(pa.array(list(lookup.values()), pa.string()), positions)
    hit = pd.Series(pc.is_valid(positions).to_numpy(zero_copy_only=False), index=keys.index)
    return _series(targets, keys.index), hit


def _date(series: pd.Series, fmt: str) -> tuple[pd.Series, list[ValueFailure]]:
    parsed = pd.to_datetime(series, format=fmt, errors="coerce")
    bad = series.notna() & parsed.isna()
    result = parsed.dt.strftime("%Y-%m-%d").astype(STRING)
    failures = [ValueFailure("date_format", bad, series, f"not a date in the format {fmt}")] if bad.any() else []
    return result.where(~bad), failures


def _number(series: pd.Series, decimal: str, thousands: str | None) -> tuple[pd.Series, list[ValueFailure]]:
    if thousands is None and decimal == ",":
        thousands = "."
    text = series.str.replace(" ", "", regex=False).str.replace("\u00a0", "", regex=False)
    if thousands:
        text = text.str.replace(thousands, "", regex=False)
    text = text.str.replace(decimal, ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce")
    bad = series.notna() & pd.isna(numbers)
    failures = []
    if bad.any():
        example = f"1{thousands or ''}234{decimal}56"
        failures.append(ValueFailure("number_format", bad, series, f"not a number like {example}"))
    return text.where(~bad).astype(STRING), failures


def _blank_to_na(series: pd.Series) -> pd.Series:
    series = series.astype(STRING)
    arrow = _arrow(series)
    if arrow is None:
        return series.mask(series == "")
    return _series(pc.if_else(pc.equal(arrow, ""), pa.scalar(None, pa.string()), arrow), series.index)


def _arrow(series: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow data behind a ``string`` Series (``None`` when pandas keeps strings as Python objects)."""
    array = series.array
    if isinstance(array, pd.arrays.ArrowStringArray) and array.dtype == STRING:
        return array.__arrow_array__()
    return None


def _series(arrow: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    if isinstance(arrow, pa.Array):
        arrow = pa.chunked_array([arrow])
    return pd.Series(pd.arrays.ArrowStringArray(arrow), index=index, copy=False)


def any_present(raw: pd.DataFrame, names: list[str]) -> pd.Series:
    """True where at least one of the named source columns is non-empty."""
    present = np.zeros(len(raw), dtype=bool)
    for name in names:
        present |= ~is_empty(column(raw, name)).to_numpy()
    return pd.Series(present, index=raw.index)
