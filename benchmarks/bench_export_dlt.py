"""Export benchmark: a full export of N customers by custsync vs the same export by dlt's REST API source.

    .venv/bin/python benchmarks/bench_export_dlt.py [--customers 10000] [--json]

Both read the same sandbox (seeded with N generated customers, their addresses and contact persons), one after
the other, each in a fresh child process: custsync's ``aexport_snapshot`` writing Parquet, and a dlt pipeline
(``rest_api_source`` with the customers as parent resource and addresses/contacts as dependent resources,
loading into a local duckdb file). The calls are counted by the server, so both are counted the same way.

dlt is a benchmark-only dependency (``pip install -e '.[bench]'``); it runs offline and quietly (telemetry off,
its pipeline directory in a temporary folder). Without it the dlt row says so.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import QUIET_ENV, Row, child_result, child_token, emit, ratio, run_child, stopwatch

HERE = Path(__file__).resolve()
PAGE_SIZE = 50


# -- the children ----------------------------------------------------------------------------------------------


async def child_custsync(url: str, out: Path) -> None:
    from custsync.api import ApiSettings, AsyncCustomerApi
    from custsync.export import ExportOptions, aexport_snapshot

    settings = ApiSettings(url=url, token=child_token(), requests_per_minute=1e9)
    async with AsyncCustomerApi(settings) as api:
        with stopwatch() as exporting:
            result = await aexport_snapshot(api, ExportOptions(out=out, formats=("parquet",)))
    child_result(seconds=exporting["seconds"], rows=result.rows)


def child_dlt(url: str, out: Path) -> None:
    for name, value in {**QUIET_ENV, "RUNTIME__LOG_LEVEL": "WARNING"}.items():
        os.environ.setdefault(name, value)
    import dlt
    from dlt.sources.helpers.rest_client.paginators import PageNumberPaginator
    from dlt.sources.rest_api import rest_api_source

    class ShortPageStops(PageNumberPaginator):
        """``page[number]`` from 1; a page shorter than ``page[size]`` is the last (the API reports no page count,
        and without this dlt would ask for one more, empty page per list)."""

        def __init__(self) -> None:
            super().__init__(base_page=1, page_param="page[number]", total_path=None)

        def _stop_after_this_page(self, data: list[Any] | None = None) -> bool:
            return not data or len(data) < PAGE_SIZE

    def child(name: str, path: str) -> dict[str, Any]:
        return {
            "name": name,
            "endpoint": {
                "path": path,
                "params": {"customer_id": {"type": "resolve", "resource": "customers", "field": "id"}},
            },
            "include_from_parent": ["number"],
        }

    source = rest_api_source(
        {
            "client": {"base_url": f"{url}/", "auth": {"type": "bearer", "token": child_token()}},
            "resource_defaults": {
                "write_disposition": "replace",
                "endpoint": {
                    "params": {"page[size]": PAGE_SIZE},
                    "data_selector": "data",
                    "paginator": ShortPageStops(),
                },
            },
            "resources": [
                {"name": "customers", "endpoint": {"path": "api/v2/customers"}},
                child("addresses", "api/v2/customers/{customer_id}/addresses"),
                child("contacts", "api/v1/customers/{customer_id}/contactPerson"),
            ],
        }
    )
    pipeline = dlt.pipeline(
        pipeline_name="custsync_bench",
        pipelines_dir=str(out / "pipelines"),
        destination=dlt.destinations.duckdb(str(out / "export.duckdb")),
        dataset_name="customer_master",
        progress=None,
    )
    with stopwatch() as exporting:
        info = pipeline.run(source)
    info.raise_on_failed_jobs()
    rows = {
        name: int(count)
        for name, count in pipeline.last_trace.last_normalize_info.row_counts.items()
        if not name.startswith("_dlt")
    }
    child_result(seconds=exporting["seconds"], rows=rows, dlt_version=dlt.__version__)


# -- the parent ------------------------------------------------------------------------------------------------


class CountingApp:
    """Counts the requests reaching the sandbox (by method), whoever the client is."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            with self._lock:
                self.calls[scope["method"]] += 1
        await self.app(scope, receive, send)

    def take(self) -> int:
        with self._lock:
            total = sum(self.calls.values())
            self.calls.clear()
            return total


def seeded_sandbox(db: Path, customers: int) -> dict[str, int]:
    from custsync.sandbox.seed import seed_store
    from custsync.sandbox.storage import Store

    store = Store(db)
    try:
        seed_store(store, customers, seed=20261128)
        return store.counts()
    finally:
        store.close()


def measure(customers: int) -> list[Row]:
    import secrets

    from custsync.sandbox.app import create_app
    from custsync.sandbox.faults import Knobs
    from custsync.sandbox.storage import Store
    from custsync.sandbox.testing import serve_in_thread

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with stopwatch() as seeding:
            counts = seeded_sandbox(root / "sandbox.db", customers)
        token = secrets.token_urlsafe(24)
        store = Store(root / "sandbox.db")
        counting = CountingApp(create_app(store, token, Knobs()))
        try:
            with serve_in_thread(counting) as url:
                ours = run_child(HERE, ["--child", "custsync", "--url", url, "--out", str(root / "ours")], token=token)
                ours["calls"] = counting.take()
                theirs: dict[str, Any] | None
                try:
                    import dlt  # noqa: F401

                    theirs = run_child(HERE, ["--child", "dlt", "--url", url, "--out", str(root / "dlt")], token=token)
                    theirs["calls"] = counting.take()
                    reason = ""
                except ImportError:
                    theirs, reason = None, "dlt is not installed (pip install -e '.[bench]')"
                except RuntimeError as exc:
                    theirs, reason = None, f"dlt failed: {str(exc)[-300:]}"
        finally:
            store.close()
    for name, count in counts.items():
        if ours["rows"].get(name) != count:
            raise RuntimeError(f"custsync exported {ours['rows'].get(name)} {name}, the sandbox holds {count}")
    if theirs is not None and {k: theirs["rows"].get(k) for k in counts} != counts:
        reason = f"dlt loaded {theirs['rows']}, the sandbox holds {counts}"
    held = f"{counts['customers']:,} customers, {counts['addresses']:,} addresses, {counts['contacts']:,} contacts"
    return [
        Row(
            f"full export of {held}: custsync vs dlt rest_api_source (wall time)",
            round(ours["seconds"], 2),
            "s",
            "dlt" if theirs else f"dlt: missing — {reason}",
            round(theirs["seconds"], 2) if theirs else None,
            ratio(theirs["seconds"], ours["seconds"]) if theirs else None,
            "× faster",
            calls=ours["calls"],
            peak_mb=ours["peak_mb"],
            note="; ".join(
                filter(None, [f"dlt {theirs['dlt_version']}, peak {theirs['peak_mb']} MiB" if theirs else "", reason])
            ),
            extra={"custsync": ours, "dlt": theirs, "sandbox": counts, "seed_seconds": seeding["seconds"]},
        ),
        Row(
            "full export: calls custsync vs dlt",
            float(ours["calls"]),
            "calls",
            "dlt" if theirs else "dlt: missing",
            float(theirs["calls"]) if theirs else None,
            ratio(ours["calls"], theirs["calls"]) if theirs else None,
            "of dlt's calls",
            calls=ours["calls"],
            peak_mb=ours["peak_mb"],
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000, help="customers in the sandbox (with sub-resources)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child == "custsync":
        asyncio.run(child_custsync(args.url, args.out))
    elif args.child == "dlt":
        child_dlt(args.url, args.out)
    else:
        emit({"benchmark": "export_dlt", "rows": [r.as_dict() for r in measure(args.customers)]}, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
