"""A small synchronous facade for scripts, tests and the CLI.

All sync clients of a process share one background event loop thread, so they also share one rate gate per
API (the gate lives per event loop) and an httpx pool that is never used from two loops.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import httpx

from custsync.api._client import AsyncCustomerApi
from custsync.api._query import Filter, Order
from custsync.api._resources import PAGE_SIZE, Match, Page, Ref, Resource
from custsync.api._settings import ApiSettings
from custsync.api._stats import CallStats

T = TypeVar("T")


class _LoopThread:
    """One daemon thread running one event loop for every sync client of the process."""

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def loop(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None or cls._loop.is_closed():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="custsync-api-loop", daemon=True).start()
                cls._loop = loop
            return cls._loop


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the shared client loop and wait for its result."""
    loop = _LoopThread.loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        coro.close()
        raise RuntimeError(
            "the blocking CustomerApi was called from its own event loop (e.g. inside a progress callback); "
            "use AsyncCustomerApi there, or call it from another thread"
        )
    return asyncio.run_coroutine_threadsafe(coro, loop).result()


class CustomerApi:
    """The customer API, synchronous: ``with CustomerApi(settings) as api: api.customers.list()``."""

    def __init__(self, settings: ApiSettings | None = None, *, transport: httpx.AsyncBaseTransport | None = None):
        self.async_api = AsyncCustomerApi(settings, transport=transport)
        self.settings = self.async_api.settings
        self.customers = SyncResource(self.async_api.customers)

    @property
    def stats(self) -> CallStats:
        return self.async_api.stats

    def addresses(self, customer: Ref) -> SyncResource:
        return SyncResource(self.async_api.addresses(customer))

    def contacts(self, customer: Ref) -> SyncResource:
        return SyncResource(self.async_api.contacts(customer))

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine that uses :attr:`async_api` (for example a fetch) on the client's loop."""
        return run(coro)

    def close(self) -> None:
        run(self.async_api.aclose())

    def __enter__(self) -> CustomerApi:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CustomerApi(url={self.settings.url!r}, requests_per_minute={self.settings.requests_per_minute})"


class SyncResource:
    """The blocking twin of a :class:`~custsync.api._resources.Resource`."""

    def __init__(self, resource: Resource) -> None:
        self._resource = resource

    def __repr__(self) -> str:
        return f"Sync{self._resource!r}"

    def pages(
        self, filters: Sequence[Filter] = (), order: Sequence[Order] = (), *, page_size: int = PAGE_SIZE
    ) -> Iterator[Page]:
        """Pages one by one; the next page is fetched only when asked for."""
        return _iterate(self._resource.pages(filters, order, page_size=page_size))

    def list(
        self, filters: Sequence[Filter] = (), order: Sequence[Order] = (), *, page_size: int = PAGE_SIZE
    ) -> list[dict[str, Any]]:
        return run(self._resource.all(filters, order, page_size=page_size))

    def get(self, ref: Ref, *, key: str | None = None) -> dict[str, Any]:
        return run(self._resource.get(ref, key=key))

    def create(
        self, body: Mapping[str, Any], *, key: str | None = None, match: Match | Sequence[str] | None = None
    ) -> str:
        if match is None:
            return run(self._resource.create(body, key=key))  # type: ignore[attr-defined]
        return run(self._resource.create(body, key=key, match=match))  # type: ignore[attr-defined]

    def update(self, ref: Ref, fields: Mapping[str, Any], *, key: str | None = None) -> None:
        run(self._resource.update(ref, fields, key=key))

    def delete(self, ref: Ref, *, key: str | None = None) -> None:
        run(self._resource.delete(ref, key=key))

    def find_by_number(self, number: str) -> dict[str, Any] | None:
        return run(self._resource.find_by_number(number))  # type: ignore[attr-defined]


def _iterate(agen: AsyncIterator[T]) -> Iterator[T]:
    try:
        while True:
            try:
                yield run(agen.__anext__())
            except StopAsyncIteration:
                return
    finally:
        aclose = getattr(agen, "aclose", None)
        if aclose is not None:
            run(aclose())
