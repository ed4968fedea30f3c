"""The :class:`~custsync.reconcile.remote.Remote` protocol on top of :class:`custsync.api.AsyncCustomerApi`.

Lists go through :mod:`custsync.api.fetch` (pages of 50, canonical frames); creates use the client's
duplicate-safe POST (an uncertain customer create is checked by number, an address or contact by its key
fields under the customer). A delete of an address or contact that is already gone counts as done; a customer
delete answered 404 counts only once a GET confirms the customer is gone (else the v1 route is tried).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from custsync.api import PAGE_SIZE, AsyncCustomerApi, Filter, Order
from custsync.api._envelope import ListAnswer
from custsync.api.fetch import afetch_customers, afetch_subresources
from custsync.codec import from_api
from custsync.errors import NotFoundError
from custsync.model import CUSTOMERS
from custsync.reconcile.remote import Listed


class ApiRemote:
    """Reconcile's view of the customer API."""

    def __init__(self, api: AsyncCustomerApi, *, state_dir: Path | None = None) -> None:
        self.api = api
        self.base_url = api.settings.url.rstrip("/")
        self.concurrency = api.settings.concurrency
        self.full_create_body = api.settings.full_create_body
        self.state_dir = state_dir
        """Where ``custsync doctor`` recorded how the target spells filters (and refusals are remembered)."""

    async def list_customers(self, *, number_prefix: str | None = None) -> Listed:
        filters = [Filter("number", "startsWith", number_prefix)] if number_prefix else None
        began = _FirstAnswer()
        return Listed(await afetch_customers(self.api, filters, on_answer=began), began.at)

    async def customers_where(self, column: str, values: Sequence[str]) -> Listed:
        """Customers whose ``column`` is one of ``values``: one ``in`` list call per 50 values, sent concurrently
        (within the client's limits) and converted to one canonical frame at the end."""
        unique = sorted({str(v) for v in values})
        chunks = [unique[i : i + PAGE_SIZE] for i in range(0, len(unique), PAGE_SIZE)]
        began = _FirstAnswer()
        pages = await asyncio.gather(
            *(
                self.api.customers.all([Filter(column, "in", chunk)], [Order("id", "asc")], on_answer=began)
                for chunk in chunks
            )
        )
        return Listed(from_api(CUSTOMERS, [item for page in pages for item in page]), began.at)

    async def customers_since(self, mark: str) -> Listed | str:
        from custsync.doctor import customers_updated_since

        began = _FirstAnswer()
        found, refused = await customers_updated_since(self.api, mark, state_dir=self.state_dir, on_answer=began)
        return Listed(found, began.at) if found is not None else str(refused)

    async def count_customers(self) -> int | None:
        return await self.api.customers.count()

    async def list_children(self, entity: str, parents: Mapping[str, str]) -> pd.DataFrame:
        customers = pd.DataFrame({"id": list(parents), "number": list(parents.values())})
        return (await afetch_subresources(self.api, customers, [entity]))[entity]

    async def create(self, entity: str, body: dict[str, Any], *, parent_id: str | None = None, key: str = "") -> str:
        return await self._resource(entity, parent_id).create(body, key=key or None)

    async def update(self, entity: str, record_id: str, body: dict[str, Any], *, parent_id: str | None = None) -> None:
        await self._resource(entity, parent_id).update(record_id, body)

    async def delete(self, entity: str, record_id: str, *, parent_id: str | None = None) -> None:
        if entity == "customers":  # confirms a 404 with a GET and tries the v1 route (see Customers.delete)
            await self.api.customers.delete(record_id)
            return
        try:
            await self._resource(entity, parent_id).delete(record_id)
        except NotFoundError:
            return

    def calls(self) -> dict[str, Any]:
        """The client's calls so far (:func:`custsync.api.call_counts`)."""
        return self.api.stats.calls()

    def _resource(self, entity: str, parent_id: str | None) -> Any:
        if entity == "customers":
            return self.api.customers
        if parent_id is None:
            raise ValueError(f"{entity} need the id of their customer")
        return self.api.addresses(parent_id) if entity == "addresses" else self.api.contacts(parent_id)


class _FirstAnswer:
    """Remembers the server's clock at the first answer of a listing."""

    def __init__(self) -> None:
        self.at: dt.datetime | None = None

    def __call__(self, answer: ListAnswer) -> None:
        if self.at is None:
            self.at = answer.server_time
