"""Turn one raw column (strings from a CSV, or already typed values) into its canonical dtype, collecting misses.

:meth:`Entity.conform` raises on the first value it cannot convert; validation instead needs every bad cell of
every column, so each converter here returns the converted column (bad cells set to missing) together with a
mask of the cells that held a value but could not be converted, and the rule id to report them under.

Text is stripped and a blank string counts as missing: a CSV cannot tell "" from no value, and a stray space
must not make an e-mail address or a key differ from the same value without it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "ja", "j"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "nein"})
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"


@dataclass(frozen=True)
class Coerced:
    """A column in canonical dtype, and which of its cells could not be converted (reported as ``rule``)."""

    values: pd.Series
    bad: pd.Series
    rule: str


def coerce(series: pd.Series, dtype: Any) -> Coerced:
    """Convert ``series`` to the canonical ``dtype`` without raising."""
    if _is_text(series):
        series = text(series)  # once: below, a string column is already stripped with blanks missing
    if isinstance(dtype, pd.ArrowDtype) and pa.types.is_date(dtype.pyarrow_dtype):
        return _date(series, dtype)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return _timestamp(series, dtype)
    if isinstance(dtype, pd.BooleanDtype):
        return _boolean(series, dtype)
    if isinstance(dtype, pd.Int64Dtype):
        return _number(series, dtype, whole=True)
    if isinstance(dtype, pd.Float64Dtype):
        return _number(series, dtype, whole=False)
    return Coerced(series if _is_text(series) else text(series), _none(series), "text")


def text(series: pd.Series) -> pd.Series:
    """Canonical text: pandas string dtype, stripped, blank = missing; integral floats lose their ``.0``."""
    if pd.api.types.is_float_dtype(series.dtype):
        series = series.astype(object).map(_float_text)
    elif not isinstance(series.dtype, pd.StringDtype):
        series = series.astype(object).where(series.notna(), None)
    out = series.astype(pd.StringDtype()).str.strip()
    return out.mask(out.eq(""))


def _float_text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


def _none(series: pd.Series) -> pd.Series:
    return pd.Series(False, index=series.index)


def _is_text(series: pd.Series) -> bool:
    """A string column (as every reader of CSV produces): the per-value fallbacks for objects are not needed."""
    return isinstance(series.dtype, pd.StringDtype)


def _as_text(series: pd.Series) -> pd.Series:
    return series if _is_text(series) else text(series)


def _present(series: pd.Series) -> pd.Series:
    """Cells that hold a value (not missing, not a blank string)."""
    if _is_text(series):
        return series.notna()
    if series.dtype == object:
        return text(series).notna()
    return series.notna()


def _date(series: pd.Series, dtype: pd.ArrowDtype) -> Coerced:
    if series.dtype == dtype:
        return Coerced(series, _none(series), "date")
    present = _present(series)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        parsed = pd.to_datetime(series, errors="coerce")
    else:
        raw = series if _is_text(series) else text(series.astype(object).map(_iso_or_self))
        looks_iso = raw.str.fullmatch(_ISO_DATE).fillna(False).astype(bool)
        parsed = pd.to_datetime(raw.where(looks_iso), errors="coerce", format="%Y-%m-%d")
    bad = present & parsed.isna()
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    midnight = parsed.dt.normalize().to_numpy(dtype="datetime64[ms]")
    dates = pd.Series(pa.array(midnight, from_pandas=True).cast(dtype.pyarrow_dtype), index=series.index, dtype=dtype)
    return Coerced(dates, bad, "date")


def _iso_or_self(value: Any) -> Any:
    """Date and datetime objects (from Parquet or Python callers) as ISO text; everything else as is."""
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat()[:10]
    return value


def _timestamp(series: pd.Series, dtype: pd.DatetimeTZDtype) -> Coerced:
    if series.dtype == dtype:
        return Coerced(series, _none(series), "timestamp")
    present = _present(series)
    source = series if pd.api.types.is_datetime64_any_dtype(series.dtype) else _as_text(series).astype(object)
    parsed = pd.to_datetime(source, errors="coerce", utc=True, format="ISO8601")
    return Coerced(parsed.astype(dtype), present & parsed.isna(), "timestamp")


def _number(series: pd.Series, dtype: Any, *, whole: bool) -> Coerced:
    rule = "number"
    if series.dtype == dtype:
        return Coerced(series, _none(series), rule)
    present = _present(series)
    source = series if pd.api.types.is_numeric_dtype(series.dtype) else _as_text(series).astype(object)
    numbers = pd.to_numeric(source, errors="coerce").astype("Float64")
    finite = numbers.notna() & numbers.abs().lt(math.inf)
    if whole:
        finite &= numbers.eq(numbers.round(0))
    finite = finite.fillna(False).astype(bool)
    values = numbers.where(finite)
    return Coerced(values.astype(dtype), present & ~finite, rule)


def _boolean(series: pd.Series, dtype: pd.BooleanDtype) -> Coerced:
    if series.dtype == dtype or pd.api.types.is_bool_dtype(series.dtype):
        return Coerced(series.astype(dtype), _none(series), "boolean")
    present = _present(series)
    words = (series if _is_text(series) else text(series.astype(object).map(_bool_word))).str.lower()
    values = pd.Series(pd.NA, index=series.index, dtype=dtype)
    values[words.isin(TRUE_WORDS).fillna(False).astype(bool)] = True
    values[words.isin(FALSE_WORDS).fillna(False).astype(bool)] = False
    return Coerced(values, present & values.isna(), "boolean")


def _bool_word(value: Any) -> Any:
    """Python and numpy booleans and the numbers 1/0 as the words the text path understands."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "true" if value else "false"
    if isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value)) and value in (0, 1):
        return "1" if value else "0"
    return value
