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


@dataclass(frozen=True)
class Listed:
    """Customers a listing returned, and the server's clock when it began answering (``None``: it did not say)."""

    customers: pd.DataFrame
    began: dt.datetime | None = None


class Remote(Protocol):
    """The customer API as reconcile sees it."""

    base_url: str

    async def list_customers(self, *, number_prefix: str | None = None) -> Listed:
        """Every customer (or those whose number starts with ``number_prefix``), one list call per 50."""
        ...

    async def customers_where(self, column: str, values: Sequence[str]) -> pd.DataFrame:
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
