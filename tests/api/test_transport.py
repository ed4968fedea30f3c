"""The slot transport against a real sandbox: requests spread over single-connection slots and give them back."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from custsync.api import ApiSettings, AsyncCustomerApi
from custsync.api._transport import SlotTransport


def _client(server, transport: SlotTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, headers=server.headers, transport=transport)


def test_concurrent_requests_each_get_their_own_slot(sandbox_factory):
    server = sandbox_factory(latency_ms=1000)  # long enough for all four to be waiting at once, even under load
    transport = SlotTransport(4)

    async def scenario() -> tuple[set[tuple[int, ...]], list[int]]:
        async with _client(server, transport) as client:
            calls = [asyncio.create_task(client.get("/api/v2/customers")) for _ in range(4)]
            seen: set[tuple[int, ...]] = set()
            while not all(call.done() for call in calls):
                seen.add(transport.in_flight)
                await asyncio.sleep(0.01)
            return seen, [call.result().status_code for call in calls]

    seen, statuses = asyncio.run(scenario())
    assert (1, 1, 1, 1) in seen and all(max(slots) <= 1 for slots in seen)
    assert statuses == [200] * 4
    assert transport.in_flight == (0, 0, 0, 0)


def test_more_requests_than_slots_queue_on_the_least_busy(sandbox):
    transport = SlotTransport(3)

    async def scenario() -> list[int]:
        async with _client(sandbox, transport) as client:
            responses = await asyncio.gather(*(client.get("/api/v2/customers") for _ in range(20)))
            return [r.status_code for r in responses]

    assert asyncio.run(scenario()) == [200] * 20
    assert transport.in_flight == (0, 0, 0)


def test_one_request_at_a_time_reuses_the_first_slot(sandbox):
    transport = SlotTransport(4)
    used: list[tuple[int, ...]] = []

    async def record(request: httpx.Request) -> None:
        used.append(transport.in_flight)

    async def scenario() -> None:
        async with httpx.AsyncClient(
            base_url=sandbox.url, headers=sandbox.headers, transport=transport, event_hooks={"response": [record]}
        ) as client:
            for _ in range(5):
                (await client.get("/api/v2/customers")).raise_for_status()

    asyncio.run(scenario())
    assert used == [(1, 0, 0, 0)] * 5


def test_a_failed_connection_gives_its_slot_back():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = SlotTransport(2)

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", transport=transport) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get("/")

    asyncio.run(scenario())
    assert transport.in_flight == (0, 0)


def test_slots_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        SlotTransport(0)


def test_the_client_sends_through_one_slot_per_request_of_its_concurrency(sandbox):
    settings = ApiSettings(url=sandbox.url, token=sandbox.token, requests_per_minute=60_000, concurrency=3)

    async def scenario() -> tuple[int, ...]:
        async with AsyncCustomerApi(settings) as api:
            await asyncio.gather(*(api.customers.all() for _ in range(6)))
            transport = api._http._transport
            assert isinstance(transport, SlotTransport)
            return transport.in_flight

    assert asyncio.run(scenario()) == (0, 0, 0)
