"""One connection per request slot: the HTTP transport behind the client.

Why not one httpx pool of ``concurrency`` connections: on every request and every response close, httpcore's
pool re-checks each of its connections for expiry (a socket poll through anyio's attribute lookup), so its
cost per request grows with the number of connections. With eight connections that bookkeeping was about a
third of the client's CPU time per request against a local sandbox. Here each slot is its own httpx transport
with exactly one keep-alive connection; a request goes to the least busy slot (the lowest one on a tie, so a
lightly used client keeps reusing the same few connections). The slots share one TLS context.
"""

from __future__ import annotations

import ssl

import httpx


class SlotTransport(httpx.AsyncBaseTransport):
    """``slots`` single-connection transports; each request takes the one with the fewest in flight."""

    def __init__(self, slots: int, *, verify: bool | ssl.SSLContext = True) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify=verify)
        one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self._slots = [httpx.AsyncHTTPTransport(verify=context, limits=one) for _ in range(slots)]
        self._in_flight = [0] * slots

    @property
    def in_flight(self) -> tuple[int, ...]:
        """Requests whose response is not yet closed, per slot."""
        return tuple(self._in_flight)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        slot = self._in_flight.index(min(self._in_flight))
        self._in_flight[slot] += 1
        try:
            response = await self._slots[slot].handle_async_request(request)
        except BaseException:
            self._in_flight[slot] -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_ReleasingStream(response.stream, self._in_flight, slot),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        for transport in self._slots:
            await transport.aclose()


class _ReleasingStream(httpx.AsyncByteStream):
    """A response body that gives its slot back when closed (httpx closes every response it has read)."""

    def __init__(self, stream: httpx.AsyncByteStream, in_flight: list[int], slot: int) -> None:
        self._stream = stream
        self._in_flight = in_flight
        self._slot = slot
        self._released = False

    async def __aiter__(self):  # type: ignore[override]
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if not self._released:
                self._released = True
                self._in_flight[self._slot] -= 1
