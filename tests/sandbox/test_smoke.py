"""The fixtures start a real server and shut it down."""

from __future__ import annotations

import httpx


def test_sandbox_fixture_serves_an_empty_api(sandbox) -> None:
    response = httpx.get(f"{sandbox.url}/api/v2/customers", headers={"Authorization": f"Bearer {sandbox.token}"})
    assert response.status_code == 200
    assert response.json() == {"data": [], "extra": {"totalCount": 0, "page": {"number": 1, "size": 10}}}
    assert sandbox.db_path is not None and sandbox.db_path.exists()
    assert sandbox.token not in repr(sandbox)


def test_factory_seeds_and_applies_knobs(sandbox_factory) -> None:
    server = sandbox_factory(seed_customers=5, seed=3, rate_limit_per_min=1)
    headers = {"Authorization": f"Bearer {server.token}"}
    first = httpx.get(f"{server.url}/api/v2/customers", headers=headers)
    assert first.json()["extra"]["totalCount"] == 5
    second = httpx.get(f"{server.url}/api/v2/customers", headers=headers)
    assert second.status_code == 429
