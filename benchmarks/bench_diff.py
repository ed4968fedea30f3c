"""Diff of 1,000,000 customers with 1% changed: the vectorised reconcile vs a per-row Python-dict baseline,
and vs the floor of just reading both frames from Parquet. All three are measured in the same run.

- vectorised: ``build_plan`` on the customers (keys, normalise-on-difference diff, the 10,000 patch bodies);
- baseline: rows as dicts, a dict lookup per key and a normalise-and-compare per field in Python — run on a
  sample (default 100,000 rows) and extrapolated linearly;
- floor: ``pandas.read_parquet`` of the desired and the current frame.

Another 1% of the rows differ only in case or whitespace, which both sides must see as unchanged.

    .venv/bin/python benchmarks/bench_diff.py                  # 1,000,000 customers
    .venv/bin/python benchmarks/bench_diff.py --rows 100000    # quicker
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from custsync.model import CUSTOMERS
from custsync.reconcile import Current, Desired, PlanMeta, PlanOptions, build_plan
from custsync.reconcile.values import plain

COLUMNS = (
    "number",
    "customerType",
    "name",
    "contact.email",
    "contact.phone",
    "bankAccount.iban",
    "financial.vatId",
    "financial.paymentTerms.days",
    "financial.creditLimit",
    "financial.currency",
    "shipping.shippingMethod",
    "shipping.deliveryBan",
)


def frames(n: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    ids = pd.Series(i + 1).astype(str)
    desired = pd.DataFrame(
        {
            "number": "C" + pd.Series(i).astype(str).str.zfill(7),
            "customerType": "company",
            "name": "Firma " + ids + " GmbH",
            "contact.email": "info" + ids + "@example.de",
            "contact.phone": "+49 30 " + ids,
            "bankAccount.iban": "DE89" + pd.Series(rng.integers(10**17, 10**18, n)).astype(str),
            "financial.vatId": "DE" + pd.Series(rng.integers(10**8, 10**9, n)).astype(str),
            "financial.paymentTerms.days": rng.choice([7, 14, 30], n),
            "financial.creditLimit": rng.integers(0, 100_000, n) / 100,
            "financial.currency": "EUR",
            "shipping.shippingMethod": rng.choice(["DHL", "DPD", "UPS"], n),
            "shipping.deliveryBan": rng.random(n) < 0.05,
        }
    )
    current = desired.copy()
    current["id"] = ids
    current["updatedAt"] = pd.Timestamp("2026-11-01", tz="UTC")
    changed = rng.choice(n, size=n // 100, replace=False)
    half = len(changed) // 2
    current.loc[changed[:half], "contact.email"] = "old" + ids[changed[:half]] + "@example.de"
    current.loc[changed[half:], "financial.creditLimit"] += 1.0
    noisy = np.setdiff1d(rng.choice(n, size=n // 100, replace=False), changed)
    current.loc[noisy, "contact.email"] = current.loc[noisy, "contact.email"].str.upper()
    current.loc[noisy, "name"] = "  " + current.loc[noisy, "name"].str.replace(" ", "  ")
    return CUSTOMERS.conform(desired), CUSTOMERS.conform(current)


def vectorised(desired: pd.DataFrame, current: pd.DataFrame) -> int:
    meta = PlanMeta(api_url="http://bench", created_at="", mode="upsert", scope=None, full=False)
    wanted = Desired.of({"customers": desired}, provided={"customers": COLUMNS})  # what the mapping fills
    plan = build_plan(wanted, Current(customers=current), options=PlanOptions(), meta=meta)
    return len(plan.customers.updates)


_SPACES = re.compile(r"\s+")


def _norm(column: str, value: object) -> object:
    value = plain(value)
    if isinstance(value, str):
        value = _SPACES.sub(" ", value.strip())
        if column == "contact.email":
            value = value.lower()
        return value or None
    if isinstance(value, float):
        return round(value, 6)
    return value


def per_row(desired: pd.DataFrame, current: pd.DataFrame) -> int:
    """The straightforward way: a dict per row, a lookup per key, a Python compare per field."""
    compared = [c for c in COLUMNS if c != "number"]
    have = {row["number"]: row for row in current[[*COLUMNS, "id"]].to_dict("records")}
    updates = 0
    for row in desired[list(COLUMNS)].to_dict("records"):
        other = have.get(row["number"])
        if other is None:
            continue
        changes = {c: _norm(c, row[c]) for c in compared if _norm(c, row[c]) != _norm(c, other[c])}
        updates += bool(changes)
    return updates


def timed(fn, *args) -> tuple[float, float, object]:
    """Wall-clock and CPU seconds (CPU time stays honest on a busy machine) and the result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=100_000, help="rows the per-row baseline runs on")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout (text to stderr)")
    args = parser.parse_args()
    say = functools.partial(print, file=sys.stderr if args.json else sys.stdout, flush=True)
    n, sample = args.rows, min(args.sample, args.rows)
    desired, current = frames(n)
    say(f"{n:,} customers, 1% changed, 1% with case/whitespace noise only")

    with tempfile.TemporaryDirectory() as tmp:
        d_path, c_path = Path(tmp) / "desired.parquet", Path(tmp) / "current.parquet"
        desired.to_parquet(d_path)
        current.to_parquet(c_path)
        floor, floor_cpu, _ = timed(lambda: (pd.read_parquet(d_path), pd.read_parquet(c_path)))

    fast, fast_cpu, updates = timed(vectorised, desired, current)
    assert updates == n // 100, f"expected {n // 100} updates, the diff found {updates}"

    sub_d, sub_c = desired.iloc[:sample], current.iloc[:sample]
    slow_sample, slow_sample_cpu, slow_updates = timed(per_row, sub_d, sub_c)
    assert slow_updates == vectorised(sub_d, sub_c), "baseline and vectorised disagree on the sample"
    slow, slow_cpu = slow_sample * n / sample, slow_sample_cpu * n / sample

    say("                                          wall s    cpu s")
    say(f"read both frames from Parquet (floor)  {floor:9.2f} {floor_cpu:8.2f}")
    say(f"{f'vectorised plan ({updates:,} patches)':38} {fast:9.2f} {fast_cpu:8.2f}")
    say(f"per-row Python dicts, extrapolated     {slow:9.2f} {slow_cpu:8.2f}  (measured on {sample:,} rows)")
    say(f"speed-up over the per-row baseline:    {slow / fast:6.1f}x wall, {slow_cpu / fast_cpu:.1f}x cpu")
    say(f"vectorised plan / Parquet read floor:  {fast / floor:6.1f}x wall, {fast_cpu / floor_cpu:.1f}x cpu")
    if args.json:
        result = {
            "rows": n,
            "sample": sample,
            "patches": updates,
            "parquet_floor_s": round(floor, 3),
            "vectorised_s": round(fast, 3),
            "per_row_extrapolated_s": round(slow, 3),
            "cpu": {
                "parquet_floor_s": round(floor_cpu, 3),
                "vectorised_s": round(fast_cpu, 3),
                "per_row_s": round(slow_cpu, 3),
            },
            "speedup_ratio_vs_per_row": round(slow / fast, 2),
            "cpu_speedup_ratio_vs_per_row": round(slow_cpu / fast_cpu, 2),
            "vectorised_to_parquet_floor_ratio": round(fast / floor, 2),
        }
        sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
