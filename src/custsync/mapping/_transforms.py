"""Evaluate one :class:`FieldSpec` over a whole source frame with pandas Series operations (no per-row loop).

Every step takes and returns a pandas ``string`` Series where missing is ``pd.NA``. Steps that can fail on a
value (``date``, ``decimal``, ``unmapped: error``) return the rows they failed on instead of raising, so the
engine turns them into rejects that name file, row, column and rule.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from custsync.mapping.spec import Condition, Extract, FieldSpec, Replace

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
    series, failures = _source(spec, raw)
    if spec.trim:
        series = _blank_to_na(series.str.strip())
    if spec.strip_prefix:
        series = _tidy(series.str.lstrip(spec.strip_prefix), spec.trim)
    if spec.strip_suffix:
        series = _tidy(series.str.rstrip(spec.strip_suffix), spec.trim)
    for replacement in spec.replace or []:
        series = _tidy(_replace(series, replacement), spec.trim)
    if spec.extract is not None:
        series, failure = _extract(series, spec.extract)
        series = _tidy(series, spec.trim)
        failures += failure
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
    if spec.parses_number:
        series, failure = _number(series, NumberFormat.of(spec))
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


def _source(spec: FieldSpec, raw: pd.DataFrame) -> tuple[pd.Series, list[ValueFailure]]:
    if spec.column is not None:
        return column(raw, spec.column), []
    if spec.columns is not None:
        return _join([column(raw, c) for c in spec.columns], spec.sep), []
    if spec.when is not None:
        return _when(spec, raw)
    return pd.Series(spec.value, index=raw.index, dtype=STRING), []


def _join(parts: list[pd.Series], sep: str) -> pd.Series:
    """Join the non-empty parts with ``sep`` (``Dr.``, missing, ``Müller`` -> ``Dr. Müller``)."""
    result = pd.Series(pd.NA, index=parts[0].index if parts else None, dtype=STRING)
    for part in parts:
        part = _blank_to_na(part.str.strip())
        joined = result + sep + part
        result = joined.where(result.notna() & part.notna(), result.fillna(part))
    return result


def _when(spec: FieldSpec, raw: pd.DataFrame) -> tuple[pd.Series, list[ValueFailure]]:
    """The first branch that holds gives the value; ``else`` the rest. A branch's failures count where it is taken."""
    failures: list[ValueFailure] = []
    taken = pd.Series(False, index=raw.index)
    picked: list[tuple[pd.Series, pd.Series]] = []
    for branch in spec.when or []:
        holds = _condition(branch.if_, raw) & ~taken
        value, problems = evaluate(branch, raw)
        picked.append((holds, value))
        failures += _only_where(problems, holds)
        taken = taken | holds
    if isinstance(spec.else_, FieldSpec):
        result, problems = evaluate(spec.else_, raw)
        failures += _only_where(problems, ~taken)
    else:
        result = pd.Series(spec.else_, index=raw.index, dtype=STRING)
    for holds, value in reversed(picked):
        result = value.where(holds, result)
    return result.astype(STRING), failures


def _only_where(problems: list[ValueFailure], rows: pd.Series) -> list[ValueFailure]:
    out = []
    for problem in problems:
        mask = problem.mask & rows
        if mask.any():
            out.append(ValueFailure(problem.rule, mask, problem.values, problem.message))
    return out


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


def _tidy(series: pd.Series, trim: bool) -> pd.Series:
    """After a step that cut text off: surrounding whitespace goes too (with ``trim``), empty becomes missing."""
    return _blank_to_na(series.str.strip() if trim else series)


def _replace(series: pd.Series, replacement: Replace) -> pd.Series:
    """Regex replace over the column: Arrow's RE2 when it understands the pattern, else Python's ``re``."""
    try:
        return series.str.replace(replacement.pattern, replacement.with_, regex=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, re.error):
        return series.astype(object).str.replace(re.compile(replacement.pattern), replacement.with_).astype(STRING)


def _extract(series: pd.Series, extract: Extract) -> tuple[pd.Series, list[ValueFailure]]:
    pattern = extract.pattern if re.compile(extract.pattern).groups else f"({extract.pattern})"
    found = series.str.extract(pattern, expand=False).astype(STRING)
    miss = series.notna() & found.isna()
    failures: list[ValueFailure] = []
    if extract.unmatched == "keep":
        found = found.where(~miss, series)
    elif extract.unmatched == "error" and miss.any():
        failures.append(ValueFailure("extract", miss, series, f"does not match the pattern {extract.pattern}"))
    return found, failures


@dataclass(frozen=True)
class NumberFormat:
    """How a number is written: decimal and grouping symbols, and which currency signs may surround it."""

    decimal: str
    thousands: str
    currency: tuple[str, ...]
    example: str

    @classmethod
    def of(cls, spec: FieldSpec) -> NumberFormat:
        if spec.locale is not None:
            from babel import numbers

            locale = spec.locale.replace("-", "_")
            decimal, thousands = numbers.get_decimal_symbol(locale), numbers.get_group_symbol(locale)
        else:
            decimal = spec.decimal or "."
            thousands = spec.thousands if spec.thousands is not None else ("." if decimal == "," else "")
        signs: tuple[str, ...] = ()
        if spec.currency is True:
            signs = _currency_signs()
        elif spec.currency:
            signs = tuple(spec.currency)
        example = f"1{thousands}234{decimal}56" + (" €" if spec.currency is True else f" {signs[0]}" if signs else "")
        return cls(decimal, thousands, signs, example)

    def shape(self) -> str:
        """A regular expression for the number once spaces and signs are gone: groups of three after the first
        thousands separator, so ``1.5`` is not read as fifteen when ``.`` groups thousands."""
        decimal = re.escape(self.decimal)
        grouped = f"|\\d{{1,3}}(?:{re.escape(self.thousands)}\\d{{3}})+" if self.thousands.strip() else ""
        return f"[+-]?(?:(?:\\d+{grouped})(?:{decimal}\\d+)?|{decimal}\\d+)"


def _number(series: pd.Series, fmt: NumberFormat) -> tuple[pd.Series, list[ValueFailure]]:
    text = series
    if fmt.currency:
        signs = "|".join(re.escape(s) for s in sorted(fmt.currency, key=len, reverse=True))
        text = text.str.replace(f"^(?:{signs})\\s*|\\s*(?:{signs})$", "", regex=True)
    for space in (" ", "\u00a0", "\u202f"):
        text = text.str.replace(space, "", regex=False)
    text = text.str.replace("\u2212", "-", regex=False)
    well_formed = text.str.fullmatch(fmt.shape()).fillna(False).astype(bool)
    if fmt.thousands.strip():
        text = text.str.replace(fmt.thousands, "", regex=False)
    text = text.str.replace(fmt.decimal, ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce")
    bad = series.notna() & (pd.isna(numbers) | ~well_formed)
    failures = []
    if bad.any():
        failures.append(ValueFailure("number_format", bad, series, f"not a number like {fmt.example}"))
    return text.where(~bad).astype(STRING), failures


@functools.cache
def _currency_signs() -> tuple[str, ...]:
    """Every currency code (EUR) and the symbols locales write for them (€, CHF, Fr., kr), longest first."""
    from babel import numbers

    signs = set(numbers.list_currencies()) | set("$€£¥₹₽₺₩₪₫₴₦₱₲₡₭₮₸")
    for code in ("EUR", "USD", "GBP", "CHF", "JPY", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF"):
        for locale in ("de_DE", "de_CH", "en_US", "en_GB", "fr_FR", "sv_SE", "da_DK", "pl_PL", "cs_CZ", "hu_HU"):
            signs.add(numbers.get_currency_symbol(code, locale))
    return tuple(sorted(signs, key=lambda sign: (-len(sign), sign)))


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
