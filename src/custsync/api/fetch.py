"""The API's current state as canonical frames: what reconcile compares against and export writes.

The ``a``-prefixed coroutines take an :class:`AsyncCustomerApi`; the plain functions take the synchronous
:class:`CustomerApi` and run them on its loop. Every list call uses the largest page (50), the cheapest way to
read under the rate limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pandas as pd

from custsync.api._client import AsyncCustomerApi
from custsync.api._envelope import ListAnswer
from custsync.api._query import Filter, Order
from custsync.api._sync import CustomerApi
from custsync.codec import from_api
from custsync.errors import NotFoundError
from custsync.model import ENTITIES, SUB_ENTITY_NAMES

log = logging.getLogger("custsync.api")

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called after each customer's sub-resources are fetched."""

_ID_COLUMNS = ("id", "number", "updatedAt")


async def afetch_customers(
    api: AsyncCustomerApi,
    filters: Sequence[Filter] | None = None,
    *,
    on_answer: Callable[[ListAnswer], None] | None = None,
) -> pd.DataFrame:
    """All customers (matching ``filters``) as the canonical customers frame, ids and timestamps included;
    ``on_answer`` sees each page's answer (see :meth:`~custsync.api.Resource.all`)."""
    items = await api.customers.all(filters or (), [Order("id", "asc")], on_answer=on_answer)
    return from_api(ENTITIES["customers"], items)


async def afetch_ids(api: AsyncCustomerApi) -> pd.DataFrame:
    """``id``, ``number``, ``updatedAt`` of every customer: enough to key a diff or an incremental export.

    The API has no sparse field sets, so this costs the same calls as :func:`afetch_customers`; it is cheap
    in memory, not in calls.
    """
    rows: list[dict[str, Any]] = []
    async for item in api.customers.list(order=[Order("id", "asc")]):
        rows.append({c: item.get(c) for c in _ID_COLUMNS})
    frame = pd.DataFrame.from_records(rows, columns=list(_ID_COLUMNS))
    return ENTITIES["customers"].conform(frame, keep_source=False)[list(_ID_COLUMNS)]


async def afetch_subresources(
    api: AsyncCustomerApi,
    customers: pd.DataFrame,
    entities: Iterable[str] = SUB_ENTITY_NAMES,
    *,
    progress: Progress | None = None,
    vanished: set[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Addresses and/or contact persons of the given customers (a frame with ``id`` and ``number``).

    Customers are fetched concurrently, as many at a time as the client's concurrency allows; the shared rate
    gate keeps the pace. A customer deleted meanwhile (404) is skipped with a warning, none of its rows is kept,
    and its id is added to ``vanished`` when given (an export leaves such a customer out: it did not exist for
    the whole export).
    """
    wanted = tuple(entities)
    unknown = set(wanted) - set(SUB_ENTITY_NAMES)
    if unknown:
        raise ValueError(f"unknown sub-resource(s) {sorted(unknown)}; expected {SUB_ENTITY_NAMES}")
    missing = {"id", "number"} - set(customers.columns)
    if missing:
        raise ValueError(f"the customers frame needs the columns id and number; missing {sorted(missing)}")
    pairs = [(str(i), str(n)) for i, n in zip(customers["id"], customers["number"], strict=True) if pd.notna(i)]
    collected: dict[str, list[dict[str, Any]]] = {name: [] for name in wanted}
    bound = asyncio.Semaphore(api.settings.concurrency)
    done = 0

    async def one(customer_id: str, number: str) -> None:
        nonlocal done
        async with bound:
            fetched: dict[str, list[dict[str, Any]]] = {}
            for name in wanted:
                resource = api.addresses(customer_id) if name == "addresses" else api.contacts(customer_id)
                try:
                    fetched[name] = await resource.all()
                except NotFoundError:
                    log.warning("customer %s (id %s) disappeared while fetching its %s", number, customer_id, name)
                    if vanished is not None:
                        vanished.add(customer_id)
                    fetched.clear()
                    break
            for name, items in fetched.items():
                collected[name].extend({**item, "_customerNumber": number} for item in items)
        done += 1
        if progress is not None:
            progress(done, len(pairs))

    tasks = [asyncio.ensure_future(one(cid, num)) for cid, num in pairs]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:  # one failure (say an AuthError) ends the fetch: spend no more calls
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return {name: from_api(ENTITIES[name], _sorted(collected[name])) for name in wanted}


def fetch_customers(api: CustomerApi, filters: Sequence[Filter] | None = None) -> pd.DataFrame:
    """Blocking :func:`afetch_customers`."""
    return _sync(api).run(afetch_customers(api.async_api, filters))


def fetch_ids(api: CustomerApi) -> pd.DataFrame:
    """Blocking :func:`afetch_ids`."""
    return _sync(api).run(afetch_ids(api.async_api))


def fetch_subresources(
    api: CustomerApi,
    customers: pd.DataFrame,
    entities: Iterable[str] = SUB_ENTITY_NAMES,
    *,
    progress: Progress | None = None,
) -> dict[str, pd.DataFrame]:
    """Blocking :func:`afetch_subresources`."""
    return _sync(api).run(afetch_subresources(api.async_api, customers, entities, progress=progress))


def _sync(api: object) -> CustomerApi:
    if not isinstance(api, CustomerApi):
        raise TypeError("the blocking fetch functions take a CustomerApi; with AsyncCustomerApi await afetch_*")
    return api


def _sorted(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A stable row order (customer, then id) whatever order the concurrent fetches finished in."""
    return sorted(items, key=lambda r: (str(r["_customerNumber"]), _id_key(r.get("id"))))


def _id_key(value: Any) -> tuple[int, str]:
    text = str(value)
    return (int(text), "") if text.isdigit() else (0, text)
