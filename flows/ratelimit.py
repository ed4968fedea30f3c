"""Several workers, one API budget: a Prefect global concurrency limit used as a rate limit.

Each process's client already spaces its own requests. When several workers sync at once they must also share
the API's budget, so with ``ApiTarget.gcl_name`` set every HTTP request first takes a slot of that Prefect
global concurrency limit (``prefect gcl create custsync-api --limit 5 --slot-decay-per-second 1.6``); the server
hands out slots no faster than they decay, whichever worker asks.

The hook is an httpx transport, which the API client accepts as a constructor argument, so the client's retries,
accounting and error handling stay as they are; the slot is taken for every request actually sent, retries
included.
"""

from __future__ import annotations

import asyncio
import contextvars

import httpx

from custsync.api import ApiSettings, SlotTransport
from custsync.errors import ConfigError

ACQUIRE_TIMEOUT_SECONDS = 600.0
"""A request waits at most this long for a slot; longer means the limit is misconfigured (e.g. no slot decay)."""


class GlobalRateLimitTransport(httpx.AsyncBaseTransport):
    """Takes one slot of the named Prefect limit before handing each request to the real transport."""

    def __init__(self, name: str, inner: httpx.AsyncBaseTransport) -> None:
        self.name = name
        self._inner = inner
        # The client runs requests on its own event-loop thread; the Prefect settings and client of the flow
        # run live in context variables of the thread that built us, so slots are taken in a copy of them.
        self._context = contextvars.copy_context()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        loop = asyncio.get_running_loop()
        await loop.create_task(self._acquire(), context=self._context.copy())
        return await self._inner.handle_async_request(request)

    async def _acquire(self) -> None:
        from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError, rate_limit

        try:
            await rate_limit(self.name, occupy=1, timeout_seconds=ACQUIRE_TIMEOUT_SECONDS, strict=True)
        except ConcurrencySlotAcquisitionError as exc:
            raise ConfigError(
                f"cannot take a slot of the Prefect global concurrency limit {self.name!r}: {exc}",
                hint=f"create it: prefect gcl create {self.name} --limit 5 --slot-decay-per-second 1.6",
            ) from None

    async def aclose(self) -> None:
        await self._inner.aclose()


def global_rate_limit_transport(name: str, settings: ApiSettings) -> GlobalRateLimitTransport:
    """The transport for a client built from ``settings``: the client's own one-connection-per-slot transport
    (same TLS verification, one slot per request in flight), behind the global limit."""
    return GlobalRateLimitTransport(name, SlotTransport(settings.concurrency, verify=settings.verify_tls))
