"""Each reliability knob, shown by its effect on real HTTP requests."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from custsync.sandbox.faults import Knobs, SlidingWindow, parse_rate_limit

from .helpers import client

pytestmark = pytest.mark.integration

COMPANY = {"type": "company", "name": "ACME"}


def test_knobs_are_off_by_default(sandbox) -> None:
    assert not sandbox.knobs.active
    with client(sandbox) as http:
        statuses = {http.get("/api/v2/customers").status_code for _ in range(30)}
    assert statuses == {200}


def test_drop_rate_closes_the_connection_before_anything_is_written(sandbox_factory) -> None:
    server = sandbox_factory(drop_rate=1.0)
    with client(server) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/api/v2/customers", json=COMPANY)
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/api/v2/customers")
    assert server.store.counts()["customers"] == 0


def test_drop_rate_is_a_share_and_reproducible_with_a_seed(sandbox_factory) -> None:
    def outcomes(seed: int) -> list[str]:
        server = sandbox_factory(drop_rate=0.5, seed=seed)
        seen = []
        with client(server) as http:
            for _ in range(20):
                try:
                    seen.append(str(http.get("/api/v2/customers").status_code))
                except httpx.RemoteProtocolError:
                    seen.append("drop")
        return seen

    first, again = outcomes(7), outcomes(7)
    assert first == again
    assert 3 <= first.count("drop") <= 17 and "200" in first


def test_fail_rate_answers_5xx_and_writes_nothing(sandbox_factory) -> None:
    server = sandbox_factory(fail_rate=1.0, seed=1)
    with client(server) as http:
        statuses = {http.post("/api/v2/customers", json=COMPANY).status_code for _ in range(20)}
        response = http.get("/api/v2/customers")
    assert statuses <= {500, 502, 503} and len(statuses) > 1
    assert response.headers["content-type"] == "application/problem+json"
    assert server.store.counts()["customers"] == 0


@pytest.mark.parametrize(("mode", "failure"), [("500", None), ("drop", httpx.RemoteProtocolError)])
def test_fail_after_commit_commits_then_fails(sandbox_factory, mode, failure) -> None:
    server = sandbox_factory(fail_after_commit_rate=1.0, fail_after_commit_mode=mode)
    with client(server) as http:
        if failure:
            with pytest.raises(failure):
                http.post("/api/v2/customers", json={**COMPANY, "number": "N1"})
        else:
            response = http.post("/api/v2/customers", json={**COMPANY, "number": "N1"})
            assert response.status_code == 500
            assert "after commit" in response.json()["detail"]
        # the write happened: a naive retry now collides with the committed customer
        retry = http.post("/api/v2/customers", json={**COMPANY, "number": "N1"}) if mode == "500" else None
        listed = http.get("/api/v2/customers").json()
    assert listed["extra"]["totalCount"] == 1
    if retry is not None:
        assert retry.status_code == 409


def test_fail_after_commit_leaves_reads_and_failed_writes_alone(sandbox_factory) -> None:
    server = sandbox_factory(fail_after_commit_rate=1.0, fail_after_commit_mode="500")
    with client(server) as http:
        assert http.get("/api/v2/customers").status_code == 200
        invalid = http.post("/api/v2/customers", json={"type": "company"})
    assert invalid.status_code == 400


def test_mixed_fail_after_commit_uses_both_failures(sandbox_factory) -> None:
    server = sandbox_factory(fail_after_commit_rate=1.0, seed=3)
    seen = set()
    with client(server) as http:
        for n in range(16):
            try:
                seen.add(http.post("/api/v2/customers", json={**COMPANY, "number": str(n)}).status_code)
            except httpx.RemoteProtocolError:
                seen.add("drop")
    assert seen == {500, "drop"}
    assert server.store.counts()["customers"] == 16


def test_rate_limit_answers_429_with_retry_after(sandbox_factory) -> None:
    server = sandbox_factory(rate_limit_per_min=5)
    with client(server) as http:
        statuses = [http.get("/api/v2/customers").status_code for _ in range(5)]
        limited = http.get("/api/v2/customers")
        spec = httpx.get(f"{server.url}/openapi.json")
    assert statuses == [200] * 5
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.json()["status"] == 429
    assert spec.status_code == 200  # the OpenAPI document is exempt


def test_sliding_window_frees_slots_as_time_passes() -> None:
    now = [0.0]
    window = SlidingWindow(2, 60.0, clock=lambda: now[0])
    assert window.acquire() == 0 and window.acquire() == 0
    now[0] = 10.0
    assert window.acquire() == pytest.approx(50.0)
    now[0] = 60.0  # both hits of t=0 have left the window
    assert window.acquire() == 0 and window.acquire() == 0
    assert window.acquire() == pytest.approx(60.0)


def test_latency_delays_each_request_without_serialising_them(sandbox_factory) -> None:
    latency = 0.5
    server = sandbox_factory(latency_ms=latency * 1000)

    async def measure() -> tuple[list[float], float]:
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as http:
            await http.get("/api/v2/customers")  # connect once, outside the measurement

            async def one() -> float:
                begin = time.perf_counter()
                response = await http.get("/api/v2/customers")
                assert response.status_code == 200
                return time.perf_counter() - begin

            start = time.perf_counter()
            durations = await asyncio.gather(*(one() for _ in range(8)))
            return list(durations), time.perf_counter() - start

    durations, together = asyncio.run(measure())
    assert min(durations) >= latency
    # served one after another, eight requests would take 8 x 0.5 s; overlapping, about 0.5 s
    assert together < 4 * latency


@pytest.mark.parametrize(
    "bad",
    [
        {"fail_rate": 1.5},
        {"drop_rate": -0.1},
        {"latency_ms": -1},
        {"rate_limit_per_min": 0},
        {"fail_after_commit_mode": "sometimes"},
    ],
)
def test_bad_knob_values_are_refused(bad) -> None:
    with pytest.raises(ValueError):
        Knobs(**bad)


def test_rate_limit_text() -> None:
    assert parse_rate_limit("100/min") == 100 and parse_rate_limit("7") == 7
    with pytest.raises(ValueError):
        parse_rate_limit("fast")


def test_factory_rejects_unknown_knobs(sandbox_factory) -> None:
    with pytest.raises(TypeError, match="unknown sandbox knob"):
        sandbox_factory(chaos=True)
