"""Map 100 000 wide legacy-ERP rows into canonical frames; report rows/s against a per-row Python loop.

The source is the shipped sample export (``sample_data/legacy_erp/kunden_export.csv``, 50 customers) repeated
with fresh customer numbers, written as Windows-1252 with semicolons like the original, and mapped with the
shipped ``mappings/legacy_erp.yaml``: one wide row -> 1 customer, up to 4 addresses, up to 2 contacts.

Measured in the same run:
- read: the CSV reader (decode, parse, line numbers, used columns only);
- map: the vectorised engine (``custsync.mapping.engine.map_entity`` for the three entities);
- baseline: the same mapping interpreted one row at a time in plain Python (dicts per row, the obvious way
  to write it), timed on a sample and reported as rows/s; the ratio is map rows/s over baseline rows/s;
- validate: ``load_source`` end to end (read + map + pandera validation), for context.

Rates are wall-clock; the engine/loop ratio is also given on CPU time, which a busy machine disturbs less.

    python benchmarks/bench_mapping.py [--rows 100000] [--sample 5000] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from custsync.io.readers import ReadOptions, read_table
from custsync.mapping import load_mapping
from custsync.mapping.engine import map_entity, source_needs
from custsync.mapping.spec import FieldSpec, MappingSpec
from custsync.source import read_source

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "legacy_erp" / "kunden_export.csv"
MAPPING = ROOT / "mappings" / "legacy_erp.yaml"
ENTITIES = ("customers", "addresses", "contacts")


def make_source(path: Path, rows: int) -> None:
    """``rows`` wide rows: the sample's rows over and over, each with its own customer number."""
    with SAMPLE.open(encoding="cp1252", newline="") as handle:
        header, *body = list(csv.reader(handle, delimiter=";"))
    key = header.index("Kundennr")
    with path.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        for i in range(rows):
            row = list(body[i % len(body)])
            row[key] = f"K-{100000 + i}"
            writer.writerow(row)


def read(path: Path, spec: MappingSpec) -> pd.DataFrame:
    wanted: set[str] = set()
    for name in ENTITIES:
        wanted |= set(source_needs(name, spec.entities[name]).wanted or ())
    options = ReadOptions(delimiter=spec.read.delimiter, encoding=spec.read.encoding)
    return read_table(path, wanted=wanted, options=options).frame


def map_vectorised(spec: MappingSpec, raw: pd.DataFrame) -> dict[str, int]:
    return {name: len(map_entity(name, spec.entities[name], raw, "bench.csv")[0]) for name in ENTITIES}


# --------------------------------------------------------------------------- the per-row baseline


_LOOKUPS: dict[int, dict[str, str | None]] = {}


_LOOKUPS: dict[int, dict[str, str | None]] = {}


def value_of(field: FieldSpec, row: dict[str, Any]) -> str | None:
    """One field of one row, the plain-Python way (same semantics as the engine)."""

    def cell(name: str) -> str | None:
        text = row.get(name)
        return None if text is None or text == "" else text

    if field.column is not None:
        value = cell(field.column)
    elif field.columns is not None:
        parts = [(cell(c) or "").strip() for c in field.columns]
        value = field.sep.join(p for p in parts if p) or None
    elif field.when is not None:
        value = field.else_
        for branch in field.when:
            test = (cell(branch.if_.column) or "").strip()
            cond = branch.if_
            holds = (
                (test == "") == cond.empty
                if cond.empty is not None
                else test == cond.equals
                if cond.equals is not None
                else test in (cond.in_ or [])
            )
            if holds:
                value = cell(branch.column) if branch.column else branch.value
                break
    else:
        value = field.value
    if value is not None and field.trim:
        value = value.strip() or None
    if value is not None and field.split is not None:
        sep, part = field.split.sep, field.split.part
        if part in ("first", "rest"):
            pieces = value.split(sep, 1)
            value = pieces[0] if part == "first" else (pieces[1] if len(pieces) > 1 else None)
        else:
            pieces = value.rsplit(sep, 1)
            value = pieces[-1] if part == "last" else (pieces[0] if len(pieces) > 1 else None)
        value = value.strip() or None if value else None
    if value is not None and field.case is not None:
        value = {"lower": value.lower, "upper": value.upper, "title": value.title}[field.case]()
    if value is not None and field.map is not None:
        lookup = _LOOKUPS.setdefault(id(field), {k.lower(): v for k, v in field.map.items()})
        if value.lower() in lookup:
            value = lookup[value.lower()]
        elif field.unmapped != "keep":
            value = None
    if value is not None and field.date is not None:
        try:
            value = datetime.strptime(value, field.date).strftime("%Y-%m-%d")
        except ValueError:
            value = None
    if value is not None and field.decimal is not None:
        thousands = field.thousands or ("." if field.decimal == "," else "")
        text = value.replace(" ", "").replace(thousands, "") if thousands else value
        text = text.replace(field.decimal, ".")
        value = text if re.fullmatch(r"[+-]?\d+(\.\d*)?", text) else None
    return field.default if value is None else value


def map_loop(spec: MappingSpec, rows: list[dict[str, Any]]) -> dict[str, int]:
    """The mapping one row at a time; the plan (groups, fields, what to watch) is prepared once, up front."""
    plans: dict[str, list[tuple[dict[str, FieldSpec], list[str] | None]]] = {}
    for name in ENTITIES:
        entity = spec.entities[name]
        groups = entity.expanded_groups()
        plans[name] = [(dict(entity.fields), None)] if not groups else []
        for group in groups:
            watch = group.skip_if_empty or [c for f in group.fields.values() for c in f.source_columns()]
            plans[name].append(({**entity.fields, **group.fields}, watch))
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in ENTITIES}
    for row in rows:
        for name, plan in plans.items():
            for fields, watch in plan:
                if watch is not None and not any((row.get(c) or "").strip() for c in watch):
                    continue
                out[name].append({c: value_of(f, row) for c, f in fields.items()})
    return {name: len(records) for name, records in out.items()}


# ------------------------------------------------------------------------------------------- main


def timed(func: Any, *args: Any) -> tuple[Any, float, float]:
    """``func(*args)`` with its wall-clock and CPU seconds (CPU time is steadier on a shared machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = func(*args)
    return result, time.perf_counter() - wall, max(time.process_time() - cpu, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=5_000, help="rows the per-row baseline is timed on")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args()

    spec = load_mapping(MAPPING)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kunden_gross.csv"
        make_source(path, args.rows)

        raw, read_s, _ = timed(read, path, spec)
        produced, map_s, map_cpu = timed(map_vectorised, spec, raw)

        sample = raw.head(args.sample).astype(object).where(raw.head(args.sample).notna(), None)
        looped, loop_s, loop_cpu = timed(map_loop, spec, sample.to_dict("records"))
        expected = map_vectorised(spec, raw.head(args.sample))
        assert looped == expected, f"baseline disagrees with the engine: {looped} != {expected}"

        load, full_s, _ = timed(read_source, [path], MAPPING)

    map_rate, loop_rate = args.rows / map_s, args.sample / loop_s
    results = {
        "rows": args.rows,
        "records": produced,
        "read_rows_per_s": round(args.rows / read_s),
        "map_rows_per_s": round(map_rate),
        "loop_rows_per_s": round(loop_rate),
        "map_vs_loop": round(map_rate / loop_rate, 1),
        "map_cpu_rows_per_s": round(args.rows / map_cpu),
        "loop_cpu_rows_per_s": round(args.sample / loop_cpu),
        "map_vs_loop_cpu": round((args.rows / map_cpu) / (args.sample / loop_cpu), 1),
        "read_map_validate_rows_per_s": round(args.rows / full_s),
        "failures": len(load.failures),
    }
    if args.json:
        print(json.dumps(results))
        return
    print(f"legacy ERP mapping, {args.rows:,} wide rows -> {produced}")
    print(f"  read (cp1252 CSV, used columns)   {results['read_rows_per_s']:>12,} rows/s   {read_s:6.2f} s")
    print(f"  map (vectorised engine)           {results['map_rows_per_s']:>12,} rows/s   {map_s:6.2f} s")
    print(f"  map (per-row Python loop, {args.sample:,})  {results['loop_rows_per_s']:>10,} rows/s   {loop_s:6.2f} s")
    print(
        f"  ratio engine / loop               {results['map_vs_loop']:>12}x   (CPU time: {results['map_vs_loop_cpu']}x)"
    )
    print(
        f"  read + map + validate             {results['read_map_validate_rows_per_s']:>12,} rows/s   {full_s:6.2f} s"
    )


if __name__ == "__main__":
    main()
