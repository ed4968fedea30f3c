"""Benchmark: a full export of N customers (default 10,000) against a sandbox with 20 ms latency per request.

Compared in the same run with the sequential baseline — the same export with one request in flight at a time.
The sandbox runs in its own process (``spawn_sandbox``) so that client and server do not share a GIL.

- concurrent: ``export_snapshot`` with the client's concurrency (default 16) and no client-side rate limit;
- sequential: the same code with concurrency 1. Sequentially 10,000 customers would take over ten minutes, so
  above ``--baseline-max`` customers the baseline exports only the first ``--baseline-max`` customers (a
  ``number in [...]`` filter would cost extra pages, so it fetches the list and that many customers'
  sub-resources) and the time is scaled by calls: seconds per call x the concurrent run's calls;
- incremental: after changing 1% of the customers, ``--incremental`` is run and its calls reported, next to
  what a full export costs — the number that matters at the production API's 100 requests per minute.

    python benchmarks/bench_export.py [--customers 10000] [--latency-ms 20] [--concurrency 16] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from custsync.api import ApiSettings, AsyncCustomerApi, CustomerApi
from custsync.api.fetch import afetch_customers, afetch_subresources
from custsync.export import ExportOptions, export_snapshot
from custsync.sandbox.seed import seed_store
from custsync.sandbox.storage import Store
from custsync.sandbox.testing import spawn_sandbox

PRODUCTION_RPM = 100
UNLIMITED_RPM = 10_000_000


def settings(url: str, token: str, concurrency: int) -> ApiSettings:
    return ApiSettings(url=url, token=token, requests_per_minute=UNLIMITED_RPM, concurrency=concurrency)


def run_export(url: str, token: str, out: Path, concurrency: int, *, incremental: bool = False) -> dict[str, Any]:
    with CustomerApi(settings(url, token, concurrency)) as api:
        started = time.perf_counter()
        result = export_snapshot(api, ExportOptions(out=out, incremental=incremental))
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "calls": result.calls["total"], "rows": result.rows, "changes": result.changes}


async def _sequential_sample(url: str, token: str, customers: int) -> dict[str, Any]:
    """One request at a time: the whole customer list, then ``customers`` customers' sub-resources."""
    async with AsyncCustomerApi(settings(url, token, 1)) as api:
        started = time.perf_counter()
        frame = await afetch_customers(api)
        await afetch_subresources(api, frame.head(customers))
        return {"seconds": time.perf_counter() - started, "calls": api.stats.total}


async def _touch(url: str, token: str, share: float) -> int:
    """Change ``share`` of the customers (one field each), concurrently."""
    async with AsyncCustomerApi(settings(url, token, 16)) as api:
        items = await api.customers.all()
        chosen = items[:: max(1, round(1 / share))]
        await asyncio.gather(*(api.customers.update(c["id"], {"department": "benchmark"}) for c in chosen))
        return len(chosen)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--baseline-max", type=int, default=200, help="customers the sequential baseline fetches")
    parser.add_argument("--changed-share", type=float, default=0.01)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = work / "sandbox.db"
        started = time.perf_counter()
        store = Store(db)
        try:
            seed_store(store, args.customers, seed=1)
        finally:
            store.close()
        seeding = time.perf_counter() - started
        with spawn_sandbox(db, latency_ms=args.latency_ms) as server:
            url, token = server.url, server.token
            concurrent = run_export(url, token, work / "snapshots", args.concurrency)
            if args.customers <= args.baseline_max:
                sequential = run_export(url, token, work / "sequential", 1)
                sequential["extrapolated"] = False
            else:
                sample = asyncio.run(_sequential_sample(url, token, args.baseline_max))
                per_call = sample["seconds"] / sample["calls"]
                sequential = {
                    "seconds": per_call * concurrent["calls"],
                    "calls": concurrent["calls"],
                    "measured_calls": sample["calls"],
                    "measured_seconds": sample["seconds"],
                    "extrapolated": True,
                }
            changed = asyncio.run(_touch(url, token, args.changed_share))
            incremental = run_export(url, token, work / "snapshots", args.concurrency, incremental=True)

    report = {
        "customers": args.customers,
        "latency_ms": args.latency_ms,
        "concurrency": args.concurrency,
        "seeding_seconds": round(seeding, 1),
        "concurrent": _rounded(concurrent),
        "sequential": _rounded(sequential),
        "speedup": round(sequential["seconds"] / concurrent["seconds"], 1),
        "incremental": {**_rounded(incremental), "customers_changed": changed},
        "calls_saved_by_incremental": round(1 - incremental["calls"] / concurrent["calls"], 3),
        "minutes_at_production_rate": {
            "full": round(concurrent["calls"] / PRODUCTION_RPM, 1),
            "incremental": round(incremental["calls"] / PRODUCTION_RPM, 1),
        },
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)
    return report


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in values.items()}


def _print(r: dict[str, Any]) -> None:
    seq = r["sequential"]
    how = f"extrapolated from {seq['measured_calls']} sequential calls" if seq["extrapolated"] else "measured"
    print(f"full export of {r['customers']} customers, sandbox latency {r['latency_ms']} ms per request")
    con = r["concurrent"]
    print(f"  concurrent ({r['concurrency']} in flight): {con['seconds']:8.1f} s  {con['calls']} calls")
    print(f"  sequential (1 in flight):  {seq['seconds']:8.1f} s  ({how})")
    print(f"  speedup: {r['speedup']}x")
    inc = r["incremental"]
    print(
        f"incremental after changing {inc['customers_changed']} customers: {inc['calls']} calls "
        f"({r['calls_saved_by_incremental']:.0%} fewer than full), {inc['seconds']:.1f} s"
    )
    prod = r["minutes_at_production_rate"]
    print(f"at {PRODUCTION_RPM} requests/min: full {prod['full']} min, incremental {prod['incremental']} min")


if __name__ == "__main__":
    main()
