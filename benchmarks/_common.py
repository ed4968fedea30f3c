"""Shared pieces of the performance engineer's benchmarks: timing, peak memory, a generated source, child runs, rows.

Each measured scenario runs in a fresh child process (``python bench_x.py --child NAME``), so its peak memory
(``ru_maxrss``) is its own and not the maximum of everything that ran before it; the sandbox runs in the parent,
so client and server do not share one interpreter lock.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

QUIET_ENV = {
    # dlt, Prefect and friends: no telemetry, nothing leaves the machine
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
}
TOKEN_ENV = "CUSTSYNC_BENCH_TOKEN"
"""The sandbox token goes to child processes through the environment, never on a command line."""


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """``with stopwatch() as t: ...`` then ``t["seconds"]``."""
    out: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield out
    finally:
        out["seconds"] = time.perf_counter() - start


@dataclass
class Row:
    """One line of the results table: a measured value, the baseline it is compared with, and their ratio."""

    benchmark: str
    value: float | None
    unit: str
    baseline: str = ""
    baseline_value: float | None = None
    ratio: float | None = None
    ratio_meaning: str = ""
    calls: int | None = None
    peak_mb: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


def emit(payload: dict[str, Any], as_json: bool) -> None:
    """The JSON on stdout (for ``run_all.py``) or a readable table on stderr."""
    if as_json:
        sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
        return
    rows = payload.get("rows", [])
    sys.stderr.write(markdown_table([Row(**r) if isinstance(r, dict) else r for r in rows]) + "\n")


def markdown_table(rows: list[Row]) -> str:
    lines = [
        "| benchmark | measured | baseline | ratio | calls | peak memory |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        value = "missing" if r.value is None else f"{fmt(r.value)} {r.unit}".strip()
        base = r.baseline if r.baseline_value is None else f"{r.baseline}: {fmt(r.baseline_value)} {r.unit}".strip()
        rat = "—" if r.ratio is None else f"{fmt(r.ratio)}{' (' + r.ratio_meaning + ')' if r.ratio_meaning else ''}"
        calls = "—" if r.calls is None else f"{r.calls:,}"
        mem = "—" if r.peak_mb is None else f"{fmt(r.peak_mb)} MiB"
        note = f" — {r.note}" if r.note else ""
        lines.append(f"| {r.benchmark}{note} | {value} | {base or '—'} | {rat} | {calls} | {mem} |")
    return "\n".join(lines)


def fmt(x: float) -> str:
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


# -- child processes -------------------------------------------------------------------------------------------


def run_child(script: Path, args: list[str], *, token: str, timeout: float = 1800) -> dict[str, Any]:
    """Run ``script --child ...`` and return the JSON object it prints last on stdout."""
    env = {**os.environ, **QUIET_ENV, TOKEN_ENV: token}
    done = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, env=env, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script.name} {' '.join(args)} failed ({done.returncode}): {done.stderr[-1500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_token() -> str:
    return os.environ[TOKEN_ENV]


def child_result(**values: Any) -> None:
    """What a child prints: its measurements and its own peak memory, as one JSON line."""
    values.setdefault("peak_mb", peak_mb())
    sys.stdout.write(json.dumps(values, default=str) + "\n")
    sys.stdout.flush()


# -- a generated source ----------------------------------------------------------------------------------------


def customer_frame(count: int, *, prefix: str = "B", start: int = 0) -> pd.DataFrame:
    """``count`` valid canonical customers with a realistic spread of filled fields (deterministic)."""
    from custsync.model import CUSTOMERS

    rows = []
    for i in range(start, start + count):
        person = i % 5 == 0
        rows.append(
            {
                "number": f"{prefix}{i:07d}",
                "customerType": "person" if person else "company",
                "name": f"Erika Muster{i}" if person else f"Firma {i} GmbH",
                "firstname": "Erika" if person else None,
                "lastname": f"Muster{i}" if person else None,
                "contact.email": f"info{i}@example.org",
                "contact.phone": f"+49 30 {1000000 + i}",
                "financial.creditLimit": float((i % 50) * 500),
                "financial.currency": "EUR",
                "shipping.deliveryBan": False,
            }
        )
    return CUSTOMERS.conform(pd.DataFrame(rows))


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
