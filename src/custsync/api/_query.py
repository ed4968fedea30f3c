"""Typed filters and ordering, and their encoding into the API's bracketed query parameters.

``filter[0][key]=city&filter[0][op]=equals&filter[0][value]=Berlin`` — lists (``in``/``notIn``) repeat
``filter[i][value][]``, ``between`` sends ``filter[i][from]`` and ``filter[i][to]``; several filters are
AND-combined. ``order[0][field]=name&order[0][dir]=asc``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

OPERATORS = frozenset(
    {
        "equals",
        "notEquals",
        "in",
        "notIn",
        "contains",
        "notContains",
        "startsWith",
        "endsWith",
        "greaterThan",
        "lessThan",
        "greaterThanOrEquals",
        "lessThanOrEquals",
        "is",
        "between",
    }
)
OPERATOR_SPELLINGS: dict[str, tuple[str, ...]] = {
    "greaterThanOrEquals": ("greaterThanOrEquals", "greaterThanOrEqual"),
    "lessThanOrEquals": ("lessThanOrEquals", "lessThanOrEqual", "lesserThanOrEqual"),
    "lessThan": ("lessThan", "lesserThan"),
}
"""The one table of how sources spell an operator: custsync's own name first, then the spellings of the public
developer docs (``greaterThanOrEqual``, ``lesserThan...``). The v1 enum knows only ``greaterThan``/``lessThan``.
``custsync doctor`` finds which one a target accepts; a :class:`Filter` takes any of them."""

KNOWN_OPERATORS = OPERATORS | {spelling for spellings in OPERATOR_SPELLINGS.values() for spelling in spellings}

LIST_OPERATORS = frozenset({"in", "notIn"})

QueryParams = list[tuple[str, str]]


@dataclass(frozen=True)
class Filter:
    """One condition: ``Filter("city", "equals", "Berlin")``, ``Filter("number", "in", ["1", "2"])``,
    ``Filter("updatedAt", "between", ("2026-01-01", "2026-02-01"))``."""

    key: str
    op: str
    value: Any = None

    def __post_init__(self) -> None:
        if self.op not in KNOWN_OPERATORS:
            raise ValueError(f"unknown filter operator {self.op!r}; expected one of {sorted(OPERATORS)}")
        if self.op in LIST_OPERATORS and (isinstance(self.value, str) or not isinstance(self.value, Sequence)):
            raise ValueError(f"filter {self.key!r} {self.op}: the value must be a list, got {self.value!r}")
        if self.op == "between" and not (isinstance(self.value, Sequence) and len(self.value) == 2):
            raise ValueError(f"filter {self.key!r} between: the value must be a (from, to) pair, got {self.value!r}")


@dataclass(frozen=True)
class Order:
    """Sort by ``field`` ascending or descending."""

    field: str
    dir: Literal["asc", "desc"] = "asc"

    def __post_init__(self) -> None:
        if self.dir not in ("asc", "desc"):
            raise ValueError(f"order direction must be 'asc' or 'desc', got {self.dir!r}")


def encode_query(
    filters: Sequence[Filter] = (),
    order: Sequence[Order] = (),
    *,
    page_number: int | None = None,
    page_size: int | None = None,
) -> QueryParams:
    """The query parameters for one list call, in a stable order (so logs and tests are reproducible)."""
    params: QueryParams = []
    for i, f in enumerate(filters):
        params.append((f"filter[{i}][key]", f.key))
        params.append((f"filter[{i}][op]", f.op))
        if f.op in LIST_OPERATORS:
            params.extend((f"filter[{i}][value][]", _text(v)) for v in f.value)
        elif f.op == "between":
            params.append((f"filter[{i}][from]", _text(f.value[0])))
            params.append((f"filter[{i}][to]", _text(f.value[1])))
        elif f.op == "is":
            params.append((f"filter[{i}][value]", "null" if f.value is None else _text(f.value)))
        else:
            params.append((f"filter[{i}][value]", _text(f.value)))
    for i, o in enumerate(order):
        params.append((f"order[{i}][field]", o.field))
        params.append((f"order[{i}][dir]", o.dir))
    if page_number is not None:
        params.append(("page[number]", str(page_number)))
    if page_size is not None:
        params.append(("page[size]", str(page_size)))
    return params


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
