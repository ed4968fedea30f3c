"""What reconcile and apply need from the customer API, as one small protocol.

Planning and applying talk to the API only through :class:`Remote`, so the diff logic is tested with plain
frames and the real client plugs in through :class:`custsync.reconcile.api_remote.ApiRemote`.
All frames are canonical (:mod:`custsync.model`); sub-resource frames carry ``customerNumber``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

OVERLAP = dt.timedelta(seconds=1)
"""Stamps may have a second's resolution: one taken in the second a listing began may be shared by a change
made after the listing read it."""


@dataclass(frozen=True)
class Listed:
    """Customers a listing returned, and the server's clock when it began answering (``None``: it did not say)."""

    customers: pd.DataFrame
    began: dt.datetime | None = None

    def began_at_latest(self, took: dt.timedelta | None = None) -> pd.Timestamp | None:
        """A time no later than the listing's start, less :data:`OVERLAP`: the server's clock at its first answer,
        or without it the newest stamp less the listing's duration ``took`` (``None`` when that is unknown too)."""
        if self.began is not None:
            return pd.Timestamp(self.began) - OVERLAP
        stamps = pd.to_datetime(self.customers["updatedAt"], utc=True) if len(self.customers) else None
        if took is None or stamps is None or pd.isna(stamps.max()):
            return None
        return pd.Timestamp(stamps.max()) - took - OVERLAP

    def settled_before(self, took: dt.timedelta | None = None) -> pd.Timestamp | None:
        """A stamp from here on may be shared by a change made after the listing read it: with stamps of a
        second's resolution, a change later in the same second gets the same stamp. ``None`` when the stamps
        carry fractions of a second (no two changes share one); the start of time when the listing's start is
        unknown (no stamp is settled)."""
        stamps = pd.to_datetime(self.customers["updatedAt"], utc=True).dropna() if len(self.customers) else None
        if stamps is not None and len(stamps) and (stamps.dt.microsecond != 0).any():
            return None
        start = self.began_at_latest(took)
        return start if start is not None else pd.Timestamp(0, tz="UTC")


class Remote(Protocol):
    """The customer API as reconcile sees it."""

    base_url: str

    async def list_customers(self, *, number_prefix: str | None = None) -> Listed:
        """Every customer (or those whose number starts with ``number_prefix``), one list call per 50."""
        ...

    async def customers_where(self, column: str, values: Sequence[str]) -> Listed:
        """Customers whose ``id`` or ``number`` is one of ``values`` (``in`` filter, one call per 50 values)."""
        ...

    async def customers_since(self, mark: str) -> Listed | str:
        """Customers whose ``updatedAt`` is at or after ``mark`` (ISO 8601), or why not when the target refuses
        such a filter."""
        ...

    async def count_customers(self) -> int | None:
        """How many customers the API holds: ``totalCount`` of one page of size 1 (``None`` if it does not say)."""
        ...

    async def list_children(self, entity: str, parents: Mapping[str, str]) -> pd.DataFrame:
        """All ``addresses`` or ``contacts`` of the customers ``{id: number}``, one list call per customer."""
        ...

    async def create(self, entity: str, body: dict[str, Any], *, parent_id: str | None = None, key: str = "") -> str:
        """Create a record and return its id; retried only where that cannot create it twice."""
        ...

    async def update(
        self, entity: str, record_id: str, body: dict[str, Any], *, parent_id: str | None = None
    ) -> None: ...

    async def delete(self, entity: str, record_id: str, *, parent_id: str | None = None) -> None:
        """Delete a record; one that is already gone counts as deleted."""
        ...

    def calls(self) -> dict[str, Any]:
        """API calls spent so far: ``GET``, ``POST``, ``PATCH``, ``DELETE`` and ``total``."""
        ...
