"""Validate canonical frames: every failure collected, every valid row kept.

Usage (this is what ``custsync validate`` and the import pipeline call)::

    from custsync.model import validate_frames

    result = validate_frames(
        {"customers": customers_df, "addresses": addresses_df, "contacts": contacts_df},
        existing_customers=numbers_already_in_the_api,  # optional; default: none
    )
    result.ok                 # True when there is no failure at all
    result.valid["customers"] # the rows that passed, conformed to canonical dtypes (Entity.conform)
    result.failures           # one row per failure: file, row, group, entity, column, rule, value, message
    result.counts             # {"customers": EntityCounts(rows=.., valid=.., invalid=..), ...}
    result.to_dict()          # {"customers": {"rows": n, "valid": n, "invalid": n}, ..., "failures": [...]}

Input frames may be raw (every cell a string, as read from CSV) or already typed (Parquet, API fetch); any
subset of the three entities may be given. Two optional bookkeeping columns locate a row for the report:
``_source`` (file name) and ``_row`` (1-based line number in that file, header = 1). Without them the report
names the entity and the row's position + 1 (so the first data row is row 2, as in a CSV with a header).

What is checked, and the rule id each failure carries (see docs/model.md for the full table):

- conversion of each cell to its column's dtype: ``date``, ``timestamp``, ``number``, ``boolean``;
- the pandera schemas of :mod:`custsync.model` (run with ``lazy=True``): ``required``, ``enum``, ``unique``,
  ``email``, ``iban``, ``bic``, ``country``, ``currency``, ``ids``, ``non_negative``, ``percent``,
  ``required_for_person``, ``required_for_company``, ``one_masterdata_per_customer``,
  ``one_billingaddress_per_customer``;
- across tables: ``unknown_customer`` (an address/contact names a customer number that is neither in the input
  nor in ``existing_customers``) and ``customer_rejected`` (its customer row failed, so it is held back too);
- ``control_character``: a text cell holding a NUL or another control character (tab and line breaks are text);
- ``unknown_column`` (row 1, the header): a column that is not canonical; it is ignored, no row is rejected.

Nothing raises for bad data: bad data becomes failure rows. Programming errors (an unknown entity name) raise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa

from custsync.model._base import SOURCE_COLUMNS, SOURCE_FILE, SOURCE_ROW
from custsync.model._checks import PROBLEMS
from custsync.model._coerce import coerce, text
from custsync.model.addresses import ADDRESS_IDENTITY
from custsync.model.entities import ENTITIES, SUB_ENTITY_NAMES, Entity
from custsync.model.failures import FAILURE_COLUMNS, failures_to_records, preview

"""Columns of :attr:`ValidationResult.failures`, in order."""

HEADER_ROW = 1

_STATIC_MESSAGES = {
    "required": "a value is required",
    "non_negative": "must not be negative",
    "percent": "must lie between 0 and 100",
    "required_for_person": "a person needs both firstname and lastname",
    "required_for_company": "a company needs a name",
    "requires_lead_isLead": "a lead status needs lead.isLead (the API takes a lead whole)",
    "date": "not an ISO date (YYYY-MM-DD)",
    "timestamp": "not an ISO 8601 timestamp",
    "boolean": "not a boolean (true/false, yes/no, 1/0)",
    "ids": "not an API id, or a comma-separated list of them (like 1,3)",
}

_GROUP_MESSAGES = {
    "unique": "the key {key} is used more than once",
    "one_masterdata_per_customer": "customer {key} has more than one masterdata address",
    "one_billingaddress_per_customer": "customer {key} has more than one billing address",
}

_PANDERA_RULES = {
    "not_nullable": "required",
    "field_uniqueness": "unique",
    "isin": "enum",
    "greater_than_or_equal_to": "non_negative",
}


@dataclass(frozen=True)
class EntityCounts:
    """Rows of one entity: how many came in, passed and were rejected."""

    rows: int
    valid: int
    invalid: int


@dataclass(frozen=True)
class ValidationResult:
    """What validation found: the rows that passed, and one row per failure."""

    valid: dict[str, pd.DataFrame]
    failures: pd.DataFrame
    counts: dict[str, EntityCounts]

    @property
    def ok(self) -> bool:
        return self.failures.empty

    def summary(self) -> dict[str, dict[str, int]]:
        return {name: {"rows": c.rows, "valid": c.valid, "invalid": c.invalid} for name, c in self.counts.items()}

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable summary ``custsync validate --json`` prints."""
        return {**self.summary(), "failures": failures_to_records(self.failures)}


def validate_frames(
    frames: Mapping[str, pd.DataFrame],
    *,
    existing_customers: Iterable[str] = (),
    check_references: bool = True,
    groups: Mapping[str, pd.Series] | None = None,
) -> ValidationResult:
    """Run every check on every row of the given canonical frames and split them into valid rows and failures.

    ``existing_customers`` are customer numbers known to exist already (for example in the API), so that
    addresses and contacts of customers not in this input still pass the reference check. Set
    ``check_references=False`` to skip that check altogether (e.g. when validating an addresses file alone).
    ``groups`` names, per entity and aligned with its frame, the group of a wide source row each record came
    from (``AP2``): each failure then carries its record's group.
    """
    unknown = sorted(set(frames) - set(ENTITIES))
    if unknown:
        raise ValueError(f"unknown entity name(s) {unknown}; expected some of {list(ENTITIES)}")
    groups = groups or {}
    checked = {
        name: _check_entity(ENTITIES[name], frames[name], groups.get(name)) for name in ENTITIES if name in frames
    }
    if check_references:
        _check_references(checked, {str(n) for n in existing_customers})
    valid = {name: c.valid() for name, c in checked.items()}
    counts = {name: c.counts() for name, c in checked.items()}
    parts = [c.failure_frame() for c in checked.values()]
    failures = pd.concat(parts, ignore_index=True) if parts else _empty_failures()
    return ValidationResult(valid=valid, failures=failures, counts=counts)


@dataclass
class _Checked:
    """Working state for one entity: its raw and typed rows (by position) and the failures found so far."""

    entity: Entity
    raw: pd.DataFrame
    typed: pd.DataFrame
    labels: pd.Index
    file: pd.Series
    row: pd.Series
    group: pd.Series | None = None
    """The group of a wide source row each record came from, by position (``None``: not known)."""
    found: list[pd.DataFrame] = field(default_factory=list)
    """Frames with columns pos (-1 = header), column, rule and optionally value/message."""

    def add(self, positions: Iterable[int], column: str | None, rule: str, **extra: Any) -> None:
        positions = np.asarray(list(positions), dtype=np.int64)
        if len(positions):
            self.found.append(pd.DataFrame({"pos": positions, "column": column, "rule": rule, **extra}))

    def rejected(self) -> np.ndarray:
        mask = np.zeros(len(self.typed), dtype=bool)
        for part in self.found:
            pos = part["pos"].to_numpy()
            mask[pos[pos >= 0]] = True
        return mask

    def valid(self) -> pd.DataFrame:
        keep = ~self.rejected()
        out = self.typed[keep]
        out.index = self.labels[keep]
        return out

    def counts(self) -> EntityCounts:
        invalid = int(self.rejected().sum())
        return EntityCounts(rows=len(self.typed), valid=len(self.typed) - invalid, invalid=invalid)

    def failure_frame(self) -> pd.DataFrame:
        if not self.found:
            return _empty_failures()
        found = pd.concat(self.found, ignore_index=True)
        found = found.drop_duplicates(subset=["pos", "column", "rule"], keep="first")
        pos = found["pos"].to_numpy()
        data = pos >= 0
        first_file = self.file.iloc[0] if len(self.file) else self.entity.name
        file = np.where(data, self.file.to_numpy()[np.where(data, pos, 0)] if len(self.file) else "", first_file)
        row = np.where(data, self.row.to_numpy()[np.where(data, pos, 0)] if len(self.row) else 0, HEADER_ROW)
        values = [self._value(p, c, found_value) for p, c, found_value in _value_inputs(found)]
        out = pd.DataFrame(
            {
                "file": pd.array(file, dtype="string"),
                "row": pd.array(row, dtype="Int64"),
                "entity": self.entity.name,
                "column": pd.array(found["column"].tolist(), dtype="string"),
                "rule": pd.array(found["rule"].tolist(), dtype="string"),
                "value": pd.array(values, dtype="string"),
                "message": found["message"].astype("string").to_numpy() if "message" in found else pd.NA,
            }
        )
        out["message"] = [
            m if isinstance(m, str) else self._message(rule, col, val)
            for m, rule, col, val in zip(out["message"], out["rule"], out["column"], out["value"], strict=True)
        ]
        out = out.astype({"message": "string", "entity": "string"})
        if self.group is not None and len(self.group):
            groups = self.group.to_numpy(dtype=object)[np.where(data, pos, 0)]
            out["group"] = pd.array(np.where(data, groups, None), dtype="string")
        for column in FAILURE_COLUMNS:  # where in the source (source_column) is added by who knows it
            if column not in out:
                out[column] = pd.Series(pd.NA, index=out.index, dtype="string")
        return out[list(FAILURE_COLUMNS)].sort_values("row", kind="stable", ignore_index=True)

    def _value(self, pos: int, column: Any, given: Any) -> str | None:
        """The offending cell as the source had it (cut short by :func:`preview`); ``None`` when it was empty."""
        if isinstance(given, str):
            return preview(given)
        if pos < 0 or not isinstance(column, str) or column not in self.raw.columns:
            return None
        value = self.raw[column].iloc[pos]
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        return preview(value) if str(value).strip() else None

    def _message(self, rule: str, column: Any, value: Any) -> str:
        if rule in _STATIC_MESSAGES:
            return _STATIC_MESSAGES[rule]
        if rule in PROBLEMS and isinstance(value, str):
            return PROBLEMS[rule](value.strip()) or f"not a valid {rule}"
        if rule == "enum":
            allowed = _allowed_values(self.entity, str(column))
            return f"must be one of {', '.join(allowed)}" if allowed else "not an allowed value"
        if rule == "number":
            whole = isinstance(self.entity.dtypes.get(str(column)), pd.Int64Dtype)
            return "not a whole number" if whole else "not a number"
        return rule.replace("_", " ")


def _value_inputs(found: pd.DataFrame) -> Iterable[tuple[int, Any, Any]]:
    given = found["value"] if "value" in found else pd.Series(None, index=found.index)
    return zip(found["pos"].tolist(), found["column"].tolist(), given.tolist(), strict=True)


def _empty_failures() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="string") for c in FAILURE_COLUMNS})
    return frame.astype({"row": "Int64"})


def _check_entity(entity: Entity, frame: pd.DataFrame, group: pd.Series | None = None) -> _Checked:
    raw = frame.reset_index(drop=True)
    columns: dict[str, pd.Series] = {}
    unconvertible: list[tuple[str, str, np.ndarray]] = []
    for column, dtype in entity.dtypes.items():
        if column not in raw.columns:
            columns[column] = pd.Series(pd.NA, index=raw.index, dtype=dtype)
            continue
        converted = coerce(raw[column], dtype)
        columns[column] = converted.values
        unconvertible.append((column, converted.rule, np.flatnonzero(converted.bad.to_numpy(dtype=bool))))
    if SOURCE_FILE in raw.columns:
        columns[SOURCE_FILE] = text(raw[SOURCE_FILE])
    if SOURCE_ROW in raw.columns:
        columns[SOURCE_ROW] = coerce(raw[SOURCE_ROW], pd.Int64Dtype()).values
    typed = entity.conform(pd.DataFrame(columns, index=raw.index))
    checked = _Checked(
        entity=entity,
        raw=raw,
        typed=typed,
        labels=frame.index,
        file=_files(typed, entity),
        row=_rows(typed),
        group=None if group is None else group.reindex(frame.index).reset_index(drop=True),
    )
    for column in raw.columns:
        if column not in entity.columns and column not in SOURCE_COLUMNS:
            checked.add([-1], column, "unknown_column", message=f"not a canonical {entity.name} column; ignored")
    for column, rule, positions in unconvertible:
        checked.add(positions, column, rule)
    _check_control_characters(checked)
    _run_schema(checked, {(int(p), column) for column, _, positions in unconvertible for p in positions})
    return checked


CONTROL_CHARACTERS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
"""C0 controls but tab and line breaks (quoted multi-line text is legitimate), DEL and C1 controls (what
Windows-1252 bytes become when read as Latin-1): never data, and NUL truncates text in many systems."""


def _check_control_characters(checked: _Checked) -> None:
    """Every text cell, wherever the row is in the file: a control character refuses the row (``control_character``)."""
    for column, dtype in checked.entity.dtypes.items():
        if not isinstance(dtype, pd.StringDtype) or column not in checked.raw.columns:
            continue
        values = checked.typed[column]
        hits = values.str.contains(CONTROL_CHARACTERS, regex=True).fillna(False).to_numpy(dtype=bool)
        if not hits.any():
            continue
        positions = np.flatnonzero(hits)
        found = values.iloc[positions].tolist()
        checked.add(
            positions,
            column,
            "control_character",
            value=[preview(_escaped(v)) for v in found],
            message=[_control_message(v) for v in found],
        )


def _escaped(value: str) -> str:
    return re.sub(CONTROL_CHARACTERS, lambda m: f"\\x{ord(m.group()):02x}", value)


def _control_message(value: str) -> str:
    first = re.search(CONTROL_CHARACTERS, value)
    assert first is not None
    code = ord(first.group())
    name = {0: " (NUL)", 0x7F: " (DEL)"}.get(code, "")
    return f"contains the control character U+{code:04X}{name} at position {first.start() + 1}"


def _files(typed: pd.DataFrame, entity: Entity) -> pd.Series:
    if SOURCE_FILE in typed.columns:
        return typed[SOURCE_FILE].fillna(entity.name).astype(str)
    return pd.Series(entity.name, index=typed.index, dtype=object)


def _rows(typed: pd.DataFrame) -> pd.Series:
    fallback = pd.Series(np.arange(len(typed), dtype=np.int64) + 2, index=typed.index)
    if SOURCE_ROW in typed.columns:
        return typed[SOURCE_ROW].astype("Int64").fillna(fallback).astype(np.int64)
    return fallback


def _run_schema(checked: _Checked, unconvertible: set[tuple[int, str]]) -> None:
    """Run the entity's pandera schema lazily and file each failure case under its rule id."""
    try:
        _checks_only(checked.entity).validate(checked.typed, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return
    for (check, column), group in cases.groupby(["check", "column"], dropna=False, sort=False):
        rule, column = _rule_of(str(check), column)
        positions = pd.to_numeric(group["index"], errors="coerce").dropna().astype(np.int64).unique()
        if rule == "required":
            positions = [p for p in positions if (int(p), column) not in unconvertible]
        if rule == "unique" and isinstance(column, str):
            positions = [p for p in positions if pd.notna(checked.typed[column].iloc[p])]
        checked.add(positions, column, rule)
    _group_messages(checked)


@cache
def _checks_only(entity: Entity) -> pa.DataFrameSchema:
    """The entity's schema cut down to what can fail on a conformed frame: its value checks.

    Dtypes were just set by ``conform`` and a nullable column without checks cannot fail, so those are left
    out; pandera's per-column cost is what dominates on small inputs.
    """
    schema = entity.schema
    columns = {
        name: pa.Column(None, checks=column.checks, nullable=column.nullable, unique=column.unique, name=name)
        for name, column in schema.columns.items()
        if column.checks or not column.nullable or column.unique
    }
    return pa.DataFrameSchema(columns, checks=schema.checks, strict=False, coerce=False, name=schema.name)


def _rule_of(check: str, column: Any) -> tuple[str, Any]:
    """``"isin(['a'])"`` -> ``enum``; ``"required_for_person:lastname"`` -> (rule, column named after the colon)."""
    if ":" in check and "(" not in check:
        rule, _, named = check.partition(":")
        return rule, named
    name = check.split("(", 1)[0]
    return _PANDERA_RULES.get(name, name), column


def _group_messages(checked: _Checked) -> None:
    """Give each failure of a key rule a message naming the key and all rows that share it."""
    keys = _group_keys(checked)
    for part in checked.found:
        rule = part["rule"].iloc[0]
        if rule not in _GROUP_MESSAGES or rule not in keys:
            continue
        key = keys[rule]
        rows_by_key: dict[Any, list[int]] = {}
        for p in part["pos"]:
            rows_by_key.setdefault(key.iloc[p], []).append(int(checked.row.iloc[p]))
        part["message"] = [
            f"{_GROUP_MESSAGES[rule].format(key=key.iloc[p])} (rows {', '.join(map(str, rows_by_key[key.iloc[p]]))})"
            for p in part["pos"]
        ]


def _group_keys(checked: _Checked) -> dict[str, pd.Series]:
    typed = checked.typed
    if checked.entity.name == "customers":
        return {"unique": typed["number"].astype(object)}
    customer = typed["customerNumber"].astype(object).fillna("?")
    if checked.entity.name == "addresses":
        return {
            "unique": customer + " / " + typed[ADDRESS_IDENTITY.match_key].astype(object).fillna(""),
            "one_masterdata_per_customer": customer,
            "one_billingaddress_per_customer": customer,
        }
    return {"unique": customer + " / " + typed["name"].astype(object).fillna("")}


def _allowed_values(entity: Entity, column: str) -> tuple[str, ...]:
    schema_column = entity.schema.columns.get(column)
    for check in getattr(schema_column, "checks", []):
        allowed = (check.statistics or {}).get("allowed_values")
        if allowed is not None:
            return tuple(str(v) for v in allowed)
    return ()


def _rules_by_position(checked: _Checked) -> dict[int, list[str]]:
    """The rules each row failed, in the order found, for messages that say why a parent row was rejected."""
    rules: dict[int, list[str]] = {}
    for part in checked.found:
        for p, rule in zip(part["pos"], part["rule"], strict=True):
            if p >= 0 and rule not in rules.setdefault(int(p), []):
                rules[int(p)].append(rule)
    return rules


def _check_references(checked: dict[str, _Checked], existing: set[str]) -> None:
    """Addresses and contacts must name a known customer, and follow their customer's rejection."""
    customers = checked.get("customers")
    in_input: set[str] = set()
    rejected_where: dict[str, str] = {}
    if customers is not None:
        numbers = customers.typed["number"]
        in_input = set(numbers.dropna())
        rules = _rules_by_position(customers)
        for p in np.flatnonzero(customers.rejected()):
            number = numbers.iloc[p]
            if pd.notna(number):
                where = f"{customers.file.iloc[p]} row {customers.row.iloc[p]}: {', '.join(rules[p])}"
                rejected_where[number] = f"{rejected_where[number]}; {where}" if number in rejected_where else where
    known = in_input | existing
    for name in SUB_ENTITY_NAMES:
        child = checked.get(name)
        if child is None:
            continue
        numbers = child.typed["customerNumber"]
        present = numbers.notna().to_numpy(dtype=bool)
        unknown = present & ~numbers.isin(known).to_numpy(dtype=bool)
        child.add(
            np.flatnonzero(unknown),
            "customerNumber",
            "unknown_customer",
            message="no customer with this number in the input or among the existing customers",
        )
        held = present & numbers.isin(set(rejected_where)).to_numpy(dtype=bool)
        positions = np.flatnonzero(held)
        child.add(
            positions,
            "customerNumber",
            "customer_rejected",
            message=[f"customer {numbers.iloc[p]} was rejected ({rejected_where[numbers.iloc[p]]})" for p in positions],
        )
