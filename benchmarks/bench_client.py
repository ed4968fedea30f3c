"""Benchmark: does the client use the API's rate budget fully without provoking 429s?

A sandbox at ``--rate`` requests/minute (sliding 60 s window, like a real API gateway) receives a burst of
``--requests`` GETs fired at once through one client configured with the same limit. Reported as ratios:

- achieved rate / limit  (target >= 0.9: the budget is used, not wasted on over-cautious waiting)
- share of 429 answers   (target < 1%: the limit is respected, not discovered by hitting it)

The baseline, measured in the same run against a fresh sandbox, is the same burst through an unthrottled client:
it finishes far above the limit — fine for one burst inside the window, a 429 storm for anything longer.

``--overload`` adds a second scenario (about two minutes): the client believes in twice the server's limit
(120/min against 60/min) and sends 100 requests, so the server's window fills and it answers 429. It shows
what one 429 costs: the shared gate pauses every request for ``Retry-After``, so the 429s stay a handful
instead of a storm.

    python benchmarks/bench_client.py [--rate 600] [--requests 300] [--overload] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

from custsync.api import ApiSettings, AsyncCustomerApi, calls_spent
from custsync.sandbox.testing import run_sandbox

TARGET_RATE_RATIO = 0.9
TARGET_429_SHARE = 0.01


@dataclass(frozen=True)
class Result:
    client: str
    requests: int
    seconds: float
    achieved_per_min: float
    rate_ratio: float
    share_429: float
    retries: int
    http_calls: int


async def _burst(settings: ApiSettings, requests: int, limit: int, label: str) -> Result:
    async with AsyncCustomerApi(settings) as api:
        await api.customers.create({"number": "B1", "type": "company", "name": "Bench"})
        customer_id = (await api.customers.all())[0]["id"]
        before = api.stats.as_dict()
        started = time.perf_counter()
        await asyncio.gather(*(api.customers.get(customer_id) for _ in range(requests)))
        seconds = time.perf_counter() - started
        stats = calls_spent(before, api.stats.as_dict())
    calls = stats["total"]
    # n requests spaced evenly span (n - 1) intervals: that is the rate the server saw
    achieved = (requests - 1) / seconds * 60 if seconds > 0 else float("inf")
    return Result(
        client=label,
        requests=requests,
        seconds=round(seconds, 2),
        achieved_per_min=round(achieved, 1),
        rate_ratio=round(achieved / limit, 3),
        share_429=round(stats["rate_limited"] / calls, 4) if calls else 0.0,
        retries=stats["retries"],
        http_calls=calls,
    )


def measure(rate: int, requests: int, concurrency: int) -> list[Result]:
    results = []
    for label, client_rate in (("custsync (limit-aware)", rate), ("baseline (unthrottled)", 1_000_000)):
        with run_sandbox(rate_limit_per_min=rate) as server:
            settings = ApiSettings(
                server.url, server.token, requests_per_minute=client_rate, concurrency=concurrency, max_retries=10
            )
            results.append(asyncio.run(_burst(settings, requests, rate, label)))
    return results


OVERLOAD_SERVER_RATE, OVERLOAD_CLIENT_RATE, OVERLOAD_REQUESTS = 60, 120, 100


def overload(
    server_rate: int = OVERLOAD_SERVER_RATE, client_rate: int = OVERLOAD_CLIENT_RATE, requests: int = OVERLOAD_REQUESTS
) -> Result:
    """The client set above the server's limit: how many 429s before the gate has adapted?"""
    with run_sandbox(rate_limit_per_min=server_rate) as server:
        settings = ApiSettings(server.url, server.token, requests_per_minute=client_rate, max_retries=10)
        label = f"custsync at {client_rate}/min"
        return asyncio.run(_burst(settings, requests, server_rate, label))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=600, help="server limit and client setting, requests/minute")
    parser.add_argument("--requests", type=int, default=300, help="size of the burst")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--overload", action="store_true", help="also run the 429 scenario (about two minutes)")
    parser.add_argument("--json", action="store_true", dest="json_output", help="print one JSON object")
    args = parser.parse_args(argv)

    results = measure(args.rate, args.requests, args.concurrency)
    extra = overload() if args.overload else None
    ours = results[0]
    passed = ours.rate_ratio >= TARGET_RATE_RATIO and ours.share_429 < TARGET_429_SHARE
    payload: dict[str, Any] = {
        "benchmark": "client_rate_limit",
        "limit_per_min": args.rate,
        "burst": args.requests,
        "targets": {"rate_ratio_min": TARGET_RATE_RATIO, "share_429_max": TARGET_429_SHARE},
        "results": [asdict(r) for r in results],
        "overload": asdict(extra) if extra else None,
        "passed": passed,
    }
    if args.json_output:
        print(json.dumps(payload, indent=2))
    else:
        _table(args.rate, args.requests, results, passed)
        if extra:
            print(
                f"\noverload: {extra.requests} GETs, client at {OVERLOAD_CLIENT_RATE}/min, "
                f"server at {OVERLOAD_SERVER_RATE}/min: "
                f"{extra.seconds:.1f} s, rate/limit {extra.rate_ratio:.3f}, 429 share {extra.share_429:.2%} "
                f"({round(extra.share_429 * extra.http_calls)} of {extra.http_calls} calls)"
            )
    return 0 if passed else 1


def _table(rate: int, requests: int, results: list[Result], passed: bool) -> None:
    print(f"burst of {requests} GETs against a sandbox limited to {rate}/min")
    header = f"{'client':<24} {'seconds':>8} {'per min':>9} {'rate/limit':>10} {'429 share':>9} {'retries':>7}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.client:<24} {r.seconds:>8.2f} {r.achieved_per_min:>9.1f} {r.rate_ratio:>10.3f}"
            f" {r.share_429:>9.2%} {r.retries:>7}"
        )
    ours = results[0]
    print(
        f"custsync: rate/limit {ours.rate_ratio:.3f} (target >= {TARGET_RATE_RATIO}), "
        f"429 share {ours.share_429:.2%} (target < {TARGET_429_SHARE:.0%}) -> {'PASS' if passed else 'FAIL'}"
    )


if __name__ == "__main__":
    sys.exit(main())
