"""Apply benchmark: N customer creates through custsync's apply path, against what else one could do.

    .venv/bin/python benchmarks/bench_apply.py [--customers 10000] [--concurrency 8] [--json]

Measured in one run, each scenario in a fresh child process against a fresh sandbox (served by the parent):

- custsync: ``build_plan`` then ``apply_plan`` (journal, rate gate, duplicate-safe POSTs, state store) — the
  time of the apply only;
- the ceiling: a bare ``httpx.AsyncClient`` loop sending the very same requests at the same concurrency (each
  POST in the spec's create shape, then the follow-up PATCH of the members the create body cannot carry);
- the naive script: for each row GET the customer by number, then POST (or PATCH), one row at a time — run on
  ``--naive-sample`` rows and extrapolated to N (it is linear: one row after the other);
- latency: the sandbox adds 50 ms to every request; achieved creates/s ÷ (concurrency ÷ latency ÷ calls per
  create), and the bare httpx loop at the same latency for reference (what this machine's client and sandbox
  reach at all);
- rate limit: the sandbox limits to 600/min and the client is set to 600/min; achieved rate ÷ limit, 429 share.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, child_result, child_token, customer_frame, emit, ratio, run_child, stopwatch

HERE = Path(__file__).resolve()
CUSTOMERS_PATH = "/api/v2/customers"
LATENCY_MS = 50
RATE_LIMIT = 600


# -- the children: one scenario each ---------------------------------------------------------------------------


def plan_creates(url: str, count: int) -> Any:
    """The plan of ``count`` customer creates into an empty API, built by custsync's own planner."""
    from custsync.model import CUSTOMERS
    from custsync.reconcile import Current, PlanMeta, PlanOptions, build_plan

    meta = PlanMeta(api_url=url, created_at=dt.datetime.now(dt.UTC).isoformat(), mode="upsert", scope=None, full=False)
    desired = {"customers": customer_frame(count), "addresses": None, "contacts": None}
    return build_plan(desired, Current(customers=CUSTOMERS.empty()), options=PlanOptions(), meta=meta)


async def child_custsync(url: str, count: int, concurrency: int, rpm: float) -> None:
    from custsync.api import ApiSettings, AsyncCustomerApi
    from custsync.apply import apply_plan
    from custsync.reconcile.api_remote import ApiRemote

    with stopwatch() as planning:
        plan = plan_creates(url, count)
    settings = ApiSettings(url=url, token=child_token(), requests_per_minute=rpm, concurrency=concurrency)
    with tempfile.TemporaryDirectory() as state_dir:
        async with AsyncCustomerApi(settings) as api:
            with stopwatch() as applying:
                report = await apply_plan(plan, ApiRemote(api), state_dir=Path(state_dir), concurrency=concurrency)
            stats = api.stats.as_dict()
    child_result(
        seconds=applying["seconds"],
        plan_seconds=planning["seconds"],
        created=report.done["customers"]["create"],
        failed=len(report.failures),
        calls=stats["total"],
        rate_limited=stats["rate_limited"],
        retries=stats["retries"],
    )


async def child_httpx(url: str, count: int, concurrency: int) -> None:
    import httpx

    bodies = [(c.body, c.then) for c in plan_creates(url, count).customers.creates]
    statuses: Counter[int] = Counter()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {child_token()}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as client:
        gate = asyncio.Semaphore(concurrency)

        async def post(body: dict[str, Any], then: dict[str, Any]) -> None:
            async with gate:
                created = await client.post(CUSTOMERS_PATH, json=body)
                statuses[created.status_code] += 1
                if then and created.status_code == 201:
                    statuses[(await client.patch(created.headers["Location"], json=then)).status_code] += 1

        with stopwatch() as sending:
            await asyncio.gather(*(post(b, t) for b, t in bodies))
    child_result(seconds=sending["seconds"], created=statuses[201], calls=sum(statuses.values()))


def child_naive(url: str, count: int) -> None:
    """What people write by hand: one row at a time, look it up, then create or update it."""
    import httpx

    creates = plan_creates(url, count).customers.creates
    calls = 0
    headers = {"Authorization": f"Bearer {child_token()}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client, stopwatch() as sending:
        for create in creates:
            query = {"filter[0][key]": "number", "filter[0][op]": "equals", "filter[0][value]": create.body["number"]}
            found = client.get(CUSTOMERS_PATH, params=query).json()["data"]
            if found:
                location = f"{CUSTOMERS_PATH}/{found[0]['id']}"
                client.patch(location, json={**create.body, **create.then}).raise_for_status()
            else:
                location = client.post(CUSTOMERS_PATH, json=create.body).headers["Location"]
                if create.then:
                    client.patch(location, json=create.then).raise_for_status()
                    calls += 1
            calls += 2
    child_result(seconds=sending["seconds"], created=len(creates), calls=calls)


# -- the parent: sandboxes, children, rows ---------------------------------------------------------------------


def scenario(name: str, count: int, concurrency: int, *, rpm: float = 1e9, **knobs: Any) -> dict[str, Any]:
    """Run one child against a fresh sandbox; checks the sandbox really holds the created customers."""
    from custsync.sandbox.testing import run_sandbox

    with tempfile.TemporaryDirectory() as tmp, run_sandbox(Path(tmp) / "sandbox.db", **knobs) as server:
        args = ["--child", name, "--url", server.url, "--customers", str(count), "--concurrency", str(concurrency)]
        result = run_child(HERE, [*args, "--rpm", str(rpm)], token=server.token)
        stored = server.store.counts()["customers"]
    if stored != result["created"]:
        raise RuntimeError(f"{name}: {result['created']} creates reported but {stored} customers stored")
    return result


def measure(customers: int, concurrency: int, naive_sample: int, latency_customers: int, rate_requests: int):
    ours = scenario("custsync", customers, concurrency)
    ceiling = scenario("httpx", customers, concurrency)
    naive = scenario("naive", min(naive_sample, customers), concurrency)
    slow = scenario("custsync", latency_customers, concurrency, latency_ms=LATENCY_MS)
    slow_ceiling = scenario("httpx", latency_customers, concurrency, latency_ms=LATENCY_MS)
    limited = scenario("custsync", rate_requests, concurrency, rpm=RATE_LIMIT, rate_limit_per_min=RATE_LIMIT)

    ours_rate = customers / ours["seconds"]
    ceiling_rate = customers / ceiling["seconds"]
    naive_seconds = naive["seconds"] / naive["created"] * customers
    slow_rate = latency_customers / slow["seconds"]
    slow_ceiling_rate = latency_customers / slow_ceiling["seconds"]
    per_create = slow["calls"] / latency_customers  # a create with a follow-up PATCH takes two round trips
    bound = concurrency / (LATENCY_MS / 1000) / per_create
    achieved = limited["calls"] / limited["seconds"] * 60
    share_429 = limited["rate_limited"] / limited["calls"] if limited["calls"] else 0.0
    naive_note = "" if naive["created"] == customers else f"naive run on {naive['created']} rows, extrapolated"
    return [
        Row(
            f"apply {customers:,} creates: custsync vs bare httpx loop (concurrency {concurrency})",
            round(ours_rate, 1),
            "creates/s",
            "httpx loop",
            round(ceiling_rate, 1),
            ratio(ours_rate, ceiling_rate),
            "of the ceiling",
            calls=ours["calls"],
            peak_mb=ours["peak_mb"],
            note=f"httpx loop peak {ceiling['peak_mb']} MiB",
            extra={"custsync": ours, "httpx": ceiling},
        ),
        Row(
            f"apply {customers:,} creates: custsync vs naive sequential GET-then-POST",
            round(ours["seconds"], 2),
            "s",
            "naive script",
            round(naive_seconds, 2),
            ratio(naive_seconds, ours["seconds"]),
            "× faster",
            calls=ours["calls"],
            peak_mb=ours["peak_mb"],
            note="; ".join(filter(None, [naive_note, f"naive {2 * customers:,} calls, peak {naive['peak_mb']} MiB"])),
            extra={"naive": naive},
        ),
        Row(
            f"apply {latency_customers:,} creates, sandbox latency {LATENCY_MS} ms",
            round(slow_rate, 1),
            "creates/s",
            f"concurrency ÷ latency ÷ calls per create = {concurrency} ÷ {LATENCY_MS} ms ÷ {per_create:.2f}",
            round(bound, 1),
            ratio(slow_rate, bound),
            "of the bound",
            calls=slow["calls"],
            peak_mb=slow["peak_mb"],
            note=f"the bare httpx loop at the same latency: {slow_ceiling_rate:.1f} creates/s, "
            f"custsync {ratio(slow_rate, slow_ceiling_rate)} of it",
            extra={"custsync": slow, "httpx": slow_ceiling},
        ),
        Row(
            f"apply {rate_requests:,} creates, sandbox and client at {RATE_LIMIT}/min",
            round(achieved, 1),
            "req/min",
            "the limit",
            float(RATE_LIMIT),
            ratio(achieved, RATE_LIMIT),
            "of the limit",
            calls=limited["calls"],
            peak_mb=limited["peak_mb"],
            note=f"429 answers: {limited['rate_limited']} of {limited['calls']} ({share_429:.1%})",
            extra={"custsync": limited, "share_429": share_429},
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000, help="creates in the custsync/ceiling runs")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (custsync's default)")
    parser.add_argument("--naive-sample", type=int, default=500, help="rows the naive script runs, then extrapolated")
    parser.add_argument("--latency-customers", type=int, default=800, help="creates in the 50 ms latency run")
    parser.add_argument("--rate-requests", type=int, default=300, help="creates in the 600/min run (~30 s)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--rpm", type=float, default=1e9, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child == "custsync":
        asyncio.run(child_custsync(args.url, args.customers, args.concurrency, args.rpm))
    elif args.child == "httpx":
        asyncio.run(child_httpx(args.url, args.customers, args.concurrency))
    elif args.child == "naive":
        child_naive(args.url, args.customers)
    else:
        rows = measure(args.customers, args.concurrency, args.naive_sample, args.latency_customers, args.rate_requests)
        emit({"benchmark": "apply", "rows": [r.as_dict() for r in rows]}, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
