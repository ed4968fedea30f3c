"""Run every benchmark and write one results pair: ``benchmarks/results/latest.json`` and ``latest.md``.

    .venv/bin/python benchmarks/run_all.py             # what `make bench` runs (< 15 minutes on 2 cores)
    .venv/bin/python benchmarks/run_all.py --only apply --only export_dlt

Each benchmark script runs as its own subprocess with ``--json`` and a size chosen so the whole run fits the
budget; its JSON is turned into table rows here. Every number in the table comes from this run: a benchmark
that fails, times out or prints no JSON is listed as missing with the reason, never filled in from an older run.
The peak memory is the child's own maximum resident set (from ``wait4``). The table is also written into
``docs/performance.md`` and the README's "Performance" section, between their ``bench:table`` markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import QUIET_ENV, Row, fmt, markdown_table, ratio

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
DOCS = [ROOT / "docs" / "performance.md", ROOT / "README.md"]
START, END = "<!-- bench:table:start -->", "<!-- bench:table:end -->"

Adapter = Callable[[dict[str, Any]], list[Row]]


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    args: tuple[str, ...]
    timeout: float
    """Seconds before the run is stopped and recorded as missing."""


# Sizes: the (1M-row diff, 10,000-customer nightly run, 10,000 creates, 10,000-customer export vs dlt)
# where the 15 minutes on 2 cores allow; the concurrent-vs-sequential export runs 2,000 customers.
BENCHES = (
    Bench("sandbox", "bench_sandbox.py", ("--seconds", "2"), 90),
    Bench("client", "bench_client.py", ("--requests", "300"), 120),
    Bench("mapping", "bench_mapping.py", ("--rows", "100000", "--sample", "5000"), 150),
    Bench("diff", "bench_diff.py", ("--rows", "1000000", "--sample", "100000"), 180),
    Bench("nightly_calls", "bench_nightly_calls.py", ("--customers", "10000"), 180),
    Bench("export", "bench_export.py", ("--customers", "2000"), 150),
    Bench("apply", "bench_apply.py", ("--customers", "10000", "--naive-sample", "500"), 300),
    Bench("export_dlt", "bench_export_dlt.py", ("--customers", "10000"), 330),
)
BUDGET_SECONDS = 14 * 60
"""The whole run's limit: a benchmark gets at most what is left of it (and is listed as missing if stopped)."""
QUICK_ARGS = {
    "sandbox": ("--seconds", "1", "--customers", "500"),
    "client": ("--requests", "120"),
    "mapping": ("--rows", "5000", "--sample", "500"),
    "diff": ("--rows", "100000", "--sample", "10000"),
    "nightly_calls": ("--quick",),
    "export": ("--customers", "300", "--baseline-max", "50"),
    "apply": ("--customers", "300", "--naive-sample", "60", "--latency-customers", "160", "--rate-requests", "120"),
    "export_dlt": ("--customers", "300"),
}


# -- running one benchmark -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    bench: Bench
    args: tuple[str, ...]
    seconds: float
    exit_code: int | None
    peak_mb: float | None
    data: dict[str, Any] | None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.bench.name,
            "script": f"benchmarks/{self.bench.script}",
            "args": [*self.args, "--json"],
            "seconds": round(self.seconds, 1),
            "exit_code": self.exit_code,
            "peak_mb": self.peak_mb,
            "status": "ok" if self.data is not None and not self.reason else "missing",
            "reason": self.reason,
            "output": self.data,
        }


def run(bench: Bench, args: tuple[str, ...], timeout: float) -> Outcome:
    """Run one script with ``--json``; its own peak memory comes from ``wait4``."""
    script = HERE / bench.script
    if not script.exists():
        return Outcome(bench, args, 0.0, None, None, None, f"{script.name} does not exist")
    env = {**os.environ, **QUIET_ENV}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        # its own process group, so that stopping it also stops the processes it started
        pid = os.posix_spawn(sys.executable, [sys.executable, str(script), *args, "--json"], env, file_actions=[
            (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
            (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
        ], setpgroup=0)  # fmt: skip
        status, usage, timed_out = _wait(pid, timeout)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status) if status is not None else None
    peak = round(usage.ru_maxrss / 1024, 1) if usage is not None else None
    if timed_out:
        return Outcome(bench, args, seconds, code, peak, None, f"stopped after {timeout:.0f} s (time budget)")
    try:
        data = _last_json(stdout)
    except ValueError:
        why = f"exit {code}: {_last_line(stderr)}" if code else f"printed no JSON with --json ({_last_line(stderr)})"
        return Outcome(bench, args, seconds, code, peak, None, why)
    return Outcome(bench, args, seconds, code, peak, data)


def _wait(pid: int, timeout: float) -> tuple[int | None, Any, bool]:
    deadline = time.monotonic() + timeout
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage, False
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            return status, usage, True
        time.sleep(0.2)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def _last_json(text: str) -> dict[str, Any]:
    """The JSON object on stdout (pretty-printed over many lines, or the last line of several)."""
    text = text.strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        start = text.rfind("\n{")
        data = json.loads(text[start + 1 :] if start >= 0 else text)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


# -- from each benchmark's JSON to table rows ------------------------------------------------------------------


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def rows_of(outcome: Outcome) -> list[Row]:
    """Table rows from a benchmark's JSON: its own ``rows`` when it speaks this table's format, else the
    benchmark-specific reading below, else every ratio it reports."""
    data = outcome.data
    if data is None:
        return [Row(f"{outcome.bench.name} ({outcome.bench.script})", None, "", note=f"missing: {outcome.reason}")]
    if isinstance(data.get("rows"), list) and all(isinstance(r, dict) and "benchmark" in r for r in data["rows"]):
        return [Row(**{k: v for k, v in r.items() if k in Row.__dataclass_fields__}) for r in data["rows"]]
    adapter = ADAPTERS.get(outcome.bench.name)
    if adapter is not None:
        try:
            rows = adapter(data)
            if rows:
                return rows
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            pass
    return generic_rows(outcome.bench.name, data)


def generic_rows(name: str, data: dict[str, Any]) -> list[Row]:
    """One row per number whose key says ``ratio``, wherever it sits in the JSON."""
    found: list[Row] = []

    def walk(node: Any, path: list[str]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, [*path, str(key)])
        elif isinstance(node, int | float) and not isinstance(node, bool) and "ratio" in path[-1].lower():
            found.append(Row(f"{name}: {'.'.join(path)}", None, "", ratio=round(float(node), 3)))

    walk(data, [])
    return found or [Row(name, None, "", note="its JSON reports no ratio (see latest.json)")]


def _peak(data: dict[str, Any]) -> float | None:
    for key in ("peak_mb", "peak_rss_mb", "peak_memory_mb", "max_rss_mb"):
        value = _find(data, key)
        if isinstance(value, int | float):
            return round(float(value), 1)
    return None


def _find(data: Any, key: str) -> Any:
    if isinstance(data, dict):
        if key in data:
            return data[key]
        for value in data.values():
            found = _find(value, key)
            if found is not None:
                return found
    return None


ADAPTERS: dict[str, Adapter] = {}


def adapter(name: str) -> Callable[[Adapter], Adapter]:
    def register(func: Adapter) -> Adapter:
        ADAPTERS[name] = func
        return func

    return register


@adapter("sandbox")
def _sandbox(data: dict[str, Any]) -> list[Row]:
    results = {r["operation"]: r for r in data["results"]}
    hello = results.pop("hello")
    return [
        Row(
            f"sandbox {op} ({data.get('connections')} connections)",
            r["per_second"],
            "req/s",
            "bare ASGI hello-world",
            hello["per_second"],
            ratio(r["per_second"], hello["per_second"]),
            "of the ceiling",
            calls=r.get("requests"),
            note=f"p50 {r.get('p50_ms')} ms, p99 {r.get('p99_ms')} ms",
        )
        for op, r in results.items()
    ]


@adapter("client")
def _client(data: dict[str, Any]) -> list[Row]:
    ours, *others = data["results"]
    limit = float(data["limit_per_min"])
    base = others[0] if others else None
    return [
        Row(
            f"client: burst of {ours['requests']} requests, sandbox and client at {limit:.0f}/min",
            ours["achieved_per_min"],
            "req/min",
            "the limit",
            limit,
            ratio(ours["achieved_per_min"], limit),
            "of the limit",
            calls=ours.get("http_calls"),
            note=f"429 share {ours['share_429']:.1%}"
            + (
                f"; unthrottled client: {base['achieved_per_min']:.0f}/min, 429 share {base['share_429']:.1%}"
                if base
                else ""
            ),
        )
    ]


@adapter("mapping")
def _mapping(data: dict[str, Any]) -> list[Row]:
    return [
        Row(
            f"map {data['rows']:,} legacy ERP rows (vectorised engine vs per-row Python loop)",
            data["map_rows_per_s"],
            "rows/s",
            "per-row loop",
            data["loop_rows_per_s"],
            ratio(data["map_rows_per_s"], data["loop_rows_per_s"]),
            "× the loop",
            note=f"read {data['read_rows_per_s']:,} rows/s; "
            f"read+map+validate {data['read_map_validate_rows_per_s']:,} rows/s",
        )
    ]


@adapter("diff")
def _diff(data: dict[str, Any]) -> list[Row]:
    rows, vectorised = data["rows"], data["vectorised_s"]
    per_row, floor = data["per_row_extrapolated_s"], data["parquet_floor_s"]
    return [
        Row(
            f"diff of {rows:,} customers, 1% changed: vectorised vs per-row Python dicts",
            vectorised,
            "s",
            f"per-row loop (on {data['sample']:,} rows, extrapolated)",
            per_row,
            ratio(per_row, vectorised),
            "× faster",
            note=f"{data['patches']:,} patches",
        ),
        Row(
            f"diff of {rows:,} customers vs reading both frames from Parquet (the floor)",
            vectorised,
            "s",
            "read both Parquet frames",
            floor,
            ratio(vectorised, floor),
            "× the floor",
        ),
    ]


@adapter("nightly_calls")
def _nightly(data: dict[str, Any]) -> list[Row]:
    calls = data["calls"]
    return [
        Row(
            f"nightly sync of {data['customers']:,} customers, {data['changed']:,} changed: calls vs the floor",
            float(calls["total"]),
            "calls",
            "floor (writes + changed sub-resource lists + 5 reads)",
            float(data["floor"]),
            ratio(calls["total"], data["floor"]),
            "× the floor (target ≤ 1.15)",
            calls=calls["total"],
            note=(
                f"GET {calls['GET']}, POST {calls['POST']}, PATCH {calls['PATCH']}, DELETE {calls['DELETE']}; "
                f"listing every customer instead: {data['full_listing_calls']:,} calls"
            ),
        )
    ]


@adapter("export")
def _export(data: dict[str, Any]) -> list[Row]:
    full, seq, inc = data["concurrent"], data["sequential"], data["incremental"]
    scaled = " (extrapolated from a sample)" if seq.get("extrapolated") else ""
    return [
        Row(
            f"full export of {data['customers']:,} customers at {data['latency_ms']:.0f} ms latency, "
            f"concurrency {data['concurrency']} vs one request at a time",
            full["seconds"],
            "s",
            f"sequential{scaled}",
            seq["seconds"],
            ratio(seq["seconds"], full["seconds"]),
            "× faster",
            calls=full["calls"],
        ),
        Row(
            f"incremental export after {inc.get('customers_changed', '?')} customers changed vs a full export",
            float(inc["calls"]),
            "calls",
            "full export",
            float(full["calls"]),
            ratio(inc["calls"], full["calls"]),
            "of the full export's calls",
            calls=inc["calls"],
        ),
    ]


# -- the table ------------------------------------------------------------------------------------------------


def render(
    outcomes: list[Outcome], rows: list[Row], started: dt.datetime, load: tuple[list[float], list[float]], quick: bool
) -> str:
    total = sum(o.seconds for o in outcomes)
    missing = [o for o in outcomes if o.data is None or o.reason]
    lines = [
        f"{'Quick run (`run_all.py --quick`, small sizes). ' if quick else ''}"
        f"Measured {started:%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"in {total / 60:.1f} minutes; load average {load[0][0]:.1f} at the start, {load[1][0]:.1f} at the end. "
        "Every ratio is computed from values measured in this run; reproduce with `make bench`.",
        "",
        markdown_table(rows),
        "",
        "| script | arguments | wall time | peak memory | status |",
        "|---|---|---|---|---|",
    ]
    for o in outcomes:
        status = "ok" if o not in missing else f"missing: {o.reason}"
        if o.exit_code and o not in missing:
            status = f"exit {o.exit_code} (its own targets not met), results kept"
        peak = "—" if o.peak_mb is None else f"{fmt(o.peak_mb)} MiB"
        lines.append(f"| {o.bench.script} | `{' '.join(o.args)}` | {o.seconds:.0f} s | {peak} | {status} |")
    return "\n".join(lines)


def write_docs(table: str) -> list[str]:
    """Replace the text between the ``bench:table`` markers of each doc that has them."""
    written = []
    for path in DOCS:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
        if not pattern.search(text):
            continue
        path.write_text(pattern.sub(lambda _: f"{START}\n{table}\n{END}", text), encoding="utf-8")
        written.append(str(path.relative_to(ROOT)))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=[b.name for b in BENCHES], help="run just these")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test, a few minutes)")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite the tables in the docs")
    args = parser.parse_args(argv)

    started = dt.datetime.now(dt.UTC)
    load_start = list(os.getloadavg())
    outcomes: list[Outcome] = []
    for bench in BENCHES:
        if args.only and bench.name not in args.only:
            continue
        bench_args = QUICK_ARGS.get(bench.name, bench.args) if args.quick else bench.args
        left = BUDGET_SECONDS - sum(o.seconds for o in outcomes)
        print(f"running {bench.script} {' '.join(bench_args)} ...", file=sys.stderr, flush=True)
        outcome = run(bench, bench_args, max(1.0, min(bench.timeout, left)))
        state = "ok" if outcome.data is not None else f"MISSING ({outcome.reason})"
        print(f"  {outcome.seconds:.0f} s, {state}", file=sys.stderr, flush=True)
        outcomes.append(outcome)
    rows = []
    for outcome in outcomes:
        for row in rows_of(outcome):
            if row.peak_mb is None:
                row.peak_mb = outcome.peak_mb
            rows.append(row)
    load = (load_start, list(os.getloadavg()))
    table = render(outcomes, rows, started, load, args.quick)

    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "generated_at": started.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "load_average": {"start": load[0], "end": load[1]},
        "quick": args.quick,
        "benchmarks": [o.as_dict() for o in outcomes],
        "rows": [r.as_dict() for r in rows],
    }
    (RESULTS / "latest.json").write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    (RESULTS / "latest.md").write_text(f"# Benchmark results\n\n{table}\n", encoding="utf-8")
    docs = [] if args.no_docs or args.only else write_docs(table)
    print(table, file=sys.stderr)
    print(f"wrote {RESULTS / 'latest.json'} and latest.md{'; updated ' + ', '.join(docs) if docs else ''}",
          file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
