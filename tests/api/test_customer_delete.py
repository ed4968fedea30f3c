"""A customer delete answered 404 counts as done only when a GET confirms the customer is gone; else v1 is tried.

The seed lists ``DELETE /api/v2/customers/{id}``; the newest public operation lists show only the v1 route.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from custsync.api import ApiSettings, AsyncCustomerApi
from custsync.errors import NotFoundError
from custsync.report.build import calls_summary

BASE = "https://erp.example"


class Target:
    """Answers DELETE on the routes in ``deletes`` (else 404) and GET of the customer with ``view_status``."""

    def __init__(self, *, deletes: set[str], view_status: int) -> None:
        self.deletes, self.view_status = deletes, view_status
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        if request.method == "DELETE":
            version = request.url.path.split("/")[2]
            return httpx.Response(204) if version in self.deletes else httpx.Response(404, json={"title": "Not Found"})
        if self.view_status == 200:
            return httpx.Response(200, json={"data": {"id": "7", "number": "K7"}})
        return httpx.Response(self.view_status, json={"title": "Not Found"})


def _delete(target: Target) -> tuple[str, dict[str, Any]]:
    settings = ApiSettings(url=BASE, token="t", requests_per_minute=60_000, retry_backoff=0.001)

    async def main() -> tuple[str, dict[str, Any]]:
        async with AsyncCustomerApi(settings, transport=httpx.MockTransport(target)) as api:
            return await api.customers.delete("7", key="K7"), api.stats.as_dict()

    return asyncio.run(main())


def test_the_v2_route_is_used_first() -> None:
    target = Target(deletes={"v2"}, view_status=200)
    route, stats = _delete(target)
    assert route == "v2" and target.seen == ["DELETE /api/v2/customers/7"]
    assert stats["customer_deletes"] == {"v2": 1}


def test_a_404_counts_as_done_only_after_a_get_confirms_it() -> None:
    target = Target(deletes=set(), view_status=404)
    route, stats = _delete(target)
    assert route == "gone"
    assert target.seen == ["DELETE /api/v2/customers/7", "GET /api/v2/customers/7"]
    assert calls_summary(stats)["customer deletes (gone)"] == 1


def test_a_404_while_the_customer_is_still_there_tries_the_v1_route() -> None:
    target = Target(deletes={"v1"}, view_status=200)
    route, stats = _delete(target)
    assert route == "v1"
    assert target.seen == ["DELETE /api/v2/customers/7", "GET /api/v2/customers/7", "DELETE /api/v1/customers/7"]
    assert calls_summary(stats)["customer deletes (v1)"] == 1


def test_a_customer_no_route_can_delete_is_an_error_not_done() -> None:
    with pytest.raises(NotFoundError):
        _delete(Target(deletes=set(), view_status=200))


@pytest.mark.integration
def test_on_the_sandbox_a_second_delete_is_confirmed_gone(sandbox_factory: Any) -> None:
    box = sandbox_factory(seed_customers=2, seed=1)
    settings = ApiSettings(url=box.url, token=box.token, requests_per_minute=60_000)

    async def main() -> tuple[str, str, dict[str, Any]]:
        async with AsyncCustomerApi(settings) as api:
            first = (await api.customers.all())[0]
            return (
                await api.customers.delete(first["id"]),
                await api.customers.delete(first["id"]),
                api.stats.as_dict(),
            )

    first, second, stats = asyncio.run(main())
    assert (first, second) == ("v2", "gone")
    assert stats["customer_deletes"] == {"gone": 1, "v2": 1}
