"""Sync modes, the mirror scope, and the delete threshold — the guards that keep deletes opt-in and bounded."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import pandas as pd

from custsync.errors import PlanError

if TYPE_CHECKING:
    from custsync.reconcile.build import PlanOptions

DEFAULT_DELETE_SHARE = 0.05
DEFAULT_DELETE_CAP = 50


class Mode(StrEnum):
    """What a sync may do: ``upsert`` creates and patches, ``insert`` only creates, ``update`` only patches,
    ``mirror`` also deletes what the source no longer has — inside its declared scope only."""

    UPSERT = "upsert"
    INSERT = "insert"
    UPDATE = "update"
    MIRROR = "mirror"

    @property
    def creates(self) -> bool:
        return self is not Mode.UPDATE

    @property
    def updates(self) -> bool:
        return self is not Mode.INSERT

    @property
    def deletes(self) -> bool:
        return self is Mode.MIRROR


@dataclass(frozen=True)
class Scope:
    """The records a mirror owns: ``all``, ``number-prefix=K`` or ``group=ID``.

    Sub-resources belong to the scope of their customer. A record outside the scope is never deleted.
    """

    kind: str
    value: str = ""

    @classmethod
    def parse(cls, text: str) -> Scope:
        text = text.strip()
        if text == "all":
            return cls("all")
        name, sep, value = text.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or name not in ("number-prefix", "group") or not value:
            raise PlanError(
                f"invalid scope {text!r}",
                hint="use --scope number-prefix=K, --scope group=ID or --scope all",
            )
        return cls(name, value)

    def __str__(self) -> str:
        return self.kind if self.kind == "all" else f"{self.kind}={self.value}"

    def contains(self, customers: pd.DataFrame) -> pd.Series:
        """Boolean per customer row (columns ``number`` and ``groups``): is it inside the scope?"""
        if self.kind == "all":
            return pd.Series(True, index=customers.index)
        if self.kind == "number-prefix":
            return customers["number"].astype("string").str.strip().str.startswith(self.value).fillna(False)
        groups = "," + customers["groups"].astype("string").str.replace(r"\s+", "", regex=True).fillna("") + ","
        return groups.str.contains(f",{self.value},", regex=False).fillna(False)


def delete_limit(in_scope: int, max_deletes: int | None) -> int:
    """The most deletes a plan may hold without ``--force``.

    Default: 5% of the records in scope (rounded up, so a small scope can still lose one record) or 50,
    whichever is smaller.
    """
    if max_deletes is not None:
        return max_deletes
    return min(math.ceil(DEFAULT_DELETE_SHARE * in_scope), DEFAULT_DELETE_CAP)


def check_mirror_options(mode: Mode, scope: Scope | None) -> None:
    if mode is Mode.MIRROR and scope is None:
        raise PlanError(
            "mirror mode needs a declared scope: it deletes only the records it owns",
            hint="add --scope number-prefix=K, --scope group=ID, or --scope all to own every customer",
        )
    if mode is not Mode.MIRROR and scope is not None:
        raise PlanError("--scope only applies to --mode mirror", hint="drop --scope or add --mode mirror")


@dataclass
class DeletePolicy:
    """A mirror plan's deletes per entity against their limit, and what validation held back: recorded in the
    plan file (``meta.deletes``) and refused unless ``force``.

    Built while planning, so the CLI, the flows and the Python API refuse the same plans."""

    mode: Mode
    scope: Scope | None
    max_deletes: int | None
    force: bool
    rejected_rows: int = 0
    """Source rows validation rejected: a mirror with rejected rows is refused unless ``force``."""
    held_back: int = 0
    """Customers validation held back (their row or a sub-row rejected): never deleted, even with ``force``."""
    unnumbered: int = 0
    """Rejected customer rows without a number (their customer cannot be told from a deleted one)."""
    entities: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def start(
        cls, options: PlanOptions, *, rejected_rows: int = 0, held_back: int = 0, unnumbered: int = 0
    ) -> DeletePolicy:
        return cls(
            options.mode, options.scope, options.max_deletes, options.force, rejected_rows, held_back, unnumbered
        )

    def count(self, entity: str, planned: int, in_scope: int) -> None:
        """Record the deletes planned for ``entity`` and the records in scope they are measured against."""
        limit = delete_limit(in_scope, self.max_deletes)
        self.entities[entity] = {"planned": planned, "in_scope": in_scope, "limit": limit}

    def record(self) -> dict[str, Any]:
        """The policy as the plan file keeps it (empty outside mirror mode, so such plans keep their digest)."""
        if not self.mode.deletes:
            return {}
        return {
            "max_deletes": self.max_deletes,
            "force": self.force,
            "rejected_rows": self.rejected_rows,
            "held_back": self.held_back,
            "unnumbered_rejects": self.unnumbered,
            "entities": {name: dict(counts) for name, counts in self.entities.items()},
        }

    def check(self) -> None:
        """Raise :class:`PlanError` naming the first reason the plan's deletes are refused."""
        reasons = refusals(self.record(), self.scope)
        if reasons:
            raise PlanError(
                reasons[0],
                hint="fix the rejected rows (custsync validate shows them) and check that the source is complete; "
                "raise --max-deletes or add --force when the deletes are really meant",
            )


def refusals(record: dict[str, Any], scope: Scope | str | None) -> list[str]:
    """The refusals a recorded delete policy (``plan.meta.deletes``) implies, empty when the plan may run.

    Without ``force``: rejected source rows (their records would look deleted from the source) and the deletes
    over each entity's limit. Even with ``force``: customer deletes next to rejected customer rows without a
    number, which may be those very customers."""
    if not record:
        return []
    out = []
    force = bool(record.get("force"))
    entities = record.get("entities", {})
    rejected = int(record.get("rejected_rows", 0))
    if rejected and not force:
        out.append(
            f"{rejected} source row(s) were rejected: in mirror mode their records would look deleted from the "
            f"source ({record.get('held_back', 0)} customer(s) held back, kept with --force)"
        )
    for entity, counts in entities.items():
        planned, in_scope, limit = counts["planned"], counts["in_scope"], counts["limit"]
        if planned > limit and not force:
            out.append(
                f"the plan would delete {planned} {entity} of {in_scope} in scope {scope} (limit {limit}); refusing"
            )
    unnumbered = int(record.get("unnumbered_rejects", 0))
    customer_deletes = entities.get("customers", {}).get("planned", 0)
    if unnumbered and customer_deletes:
        out.append(
            f"the plan would delete {customer_deletes} customer(s) while {unnumbered} rejected customer row(s) "
            "have no number: they may be the same customers"
        )
    return out
