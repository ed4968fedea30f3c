"""Sync modes, the mirror scope, and the delete threshold — the guards that keep deletes opt-in and bounded."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from custsync.errors import PlanError

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
