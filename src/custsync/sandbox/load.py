"""Load a snapshot directory written by ``custsync export`` into a sandbox database, to rehearse on real data.

The sandbox does not import the pipeline, so this reads the snapshot's files itself: Parquet through pyarrow
(preferred), or CSV as described by the manifest (dialect, decimal separator, neutralised formulas), then nests
the canonical dotted columns (``contact.email``) back into resource documents and validates each one with the
sandbox's own rules. A bad row stops the load with an error naming the file, the row and the field.

Ids and timestamps are not copied: the sandbox assigns its own ids, and ``createdAt``/``updatedAt`` are the load
time. Customer numbers are kept; addresses and contact persons are attached through ``customerNumber``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from custsync.errors import InputError
from custsync.sandbox import fields, resources
from custsync.sandbox.fields import Field, Spec
from custsync.sandbox.problems import ProblemError
from custsync.sandbox.storage import Conflict, Store

ENTITIES: dict[str, Spec] = {"customers": fields.CUSTOMER, "addresses": fields.ADDRESS, "contacts": fields.CONTACT}
_UNNEUTRALISE = re.compile("^'+[=+\\-@\t\r]")
_SKIPPED = frozenset({"id", "createdAt", "updatedAt", "customerNumber", "matchKey", "_source", "_row"})


@dataclass(frozen=True)
class Record:
    """One row of a snapshot file and where it came from (for error messages)."""

    path: Path
    row: int  # CSV: line number (header = 1); Parquet: 1-based row index
    values: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.path}, {'line' if self.path.suffix == '.csv' else 'row'} {self.row}"


def resolve_snapshot(path: str | Path) -> Path:
    """A snapshot directory, or a snapshots root whose ``LATEST`` file / ``latest`` link names one."""
    root = Path(path)
    if not root.is_dir():
        raise InputError(f"{root}: no such directory", path=str(root))
    if (root / "manifest.json").is_file() or _table_files(root):
        return root
    pointer = root / "LATEST"
    if pointer.is_file():
        target = root / pointer.read_text(encoding="utf-8").strip()
        if target.is_dir():
            return target
    link = root / "latest"
    if link.is_file() and not link.is_symlink():
        target = root / link.read_text(encoding="utf-8").strip()
        if target.is_dir():
            return target
    if link.is_dir():
        return link.resolve()
    raise InputError(
        f"{root}: neither a snapshot (no manifest.json or customers.parquet/.csv) nor a snapshots root "
        "(no LATEST file or latest link)",
        path=str(root),
        hint="point at the directory written by `custsync export`, or at the directory holding its snapshots",
    )


def load_snapshot(store: Store, path: str | Path, *, replace: bool = False) -> dict[str, Any]:
    """Insert every customer of the snapshot with its addresses and contact persons; returns counts."""
    snapshot = resolve_snapshot(path)
    manifest = _manifest(snapshot)
    tables = {name: read_table(snapshot, name, manifest) for name in ENTITIES}
    subs: dict[str, dict[str, list[dict[str, Any]]]] = {"addresses": defaultdict(list), "contacts": defaultdict(list)}
    for name in ("addresses", "contacts"):
        for record in tables[name]:
            number = record.values.get("customerNumber")
            if number in (None, ""):
                raise InputError(f"{record.where}: customerNumber is empty", path=str(record.path))
            subs[name][str(number)].append(_document(record, name))
    bundles = []
    seen: set[str] = set()
    for record in tables["customers"]:
        doc = _document(record, "customers")
        number = doc["number"]
        if number is not None:
            if number in seen:
                raise InputError(f"{record.where}: customer number '{number}' appears twice", path=str(record.path))
            seen.add(number)
        bundles.append((doc, subs["addresses"].pop(str(number), []), subs["contacts"].pop(str(number), [])))
    for name, orphans in subs.items():
        if orphans:
            numbers = ", ".join(sorted(orphans)[:5])
            raise InputError(
                f"{snapshot}: {name} refer to customer numbers not in customers: {numbers}", path=str(snapshot)
            )
    if replace:
        store.clear()
    try:
        store.insert_bundles(bundles)
    except Conflict as exc:
        raise InputError(
            f"{exc} The sandbox database already holds data.", hint="use --replace to empty it before loading"
        ) from None
    return {
        "snapshot": str(snapshot),
        "customers": len(bundles),
        "addresses": sum(len(b[1]) for b in bundles),
        "contacts": sum(len(b[2]) for b in bundles),
    }


def read_table(snapshot: Path, name: str, manifest: dict[str, Any]) -> list[Record]:
    parquet, csv_path = snapshot / f"{name}.parquet", snapshot / f"{name}.csv"
    if parquet.is_file():
        import pyarrow.parquet as pq

        try:
            rows = pq.read_table(parquet).to_pylist()
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise InputError(f"{parquet}: cannot read Parquet ({exc})", path=str(parquet)) from None
        return [Record(parquet, i, row) for i, row in enumerate(rows, start=1)]
    if csv_path.is_file():
        meta = next((f.get("csv") or {} for f in manifest.get("files", []) if f.get("file") == csv_path.name), {})
        return _read_csv(csv_path, ENTITIES[name], meta)
    if name == "customers":
        raise InputError(f"{snapshot}: no customers.parquet or customers.csv", path=str(snapshot))
    return []


def _read_csv(path: Path, spec: Spec, meta: dict[str, Any]) -> list[Record]:
    encoding = meta.get("encoding", "utf-8")
    delimiter = meta.get("delimiter", ",")
    decimal = meta.get("decimal", ".")
    neutralised = bool(meta.get("neutralisedFormulas", False))
    kinds = dict(_leaves(spec))
    try:
        with open(path, encoding=encoding, newline="") as fh:
            rows = list(csv.reader(fh, delimiter=delimiter))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read CSV ({exc})", path=str(path)) from None
    if not rows:
        raise InputError(f"{path}: empty file, expected a header row", path=str(path))
    header = rows[0]
    records = []
    for line, cells in enumerate(rows[1:], start=2):
        if len(cells) != len(header):
            raise InputError(f"{path}, line {line}: {len(cells)} cells, header has {len(header)}", path=str(path))
        values: dict[str, Any] = {}
        for column, cell in zip(header, cells, strict=True):
            kind = kinds.get(column, "text")
            try:
                values[column] = _cell(cell, kind, decimal, neutralised)
            except ValueError:
                raise InputError(
                    f"{path}, line {line}, column {column}: '{cell}' is not {kind}", path=str(path)
                ) from None
        records.append(Record(path, line, values))
    return records


def _cell(cell: str, kind: str, decimal: str, neutralised: bool) -> Any:
    if cell == "":
        return None
    if kind == "number":
        return float(cell.replace(decimal, ".") if decimal != "." else cell)
    if kind == "int":
        return int(cell)
    if kind == "bool":
        if cell.lower() not in ("true", "false"):
            raise ValueError(cell)
        return cell.lower() == "true"
    if neutralised and _UNNEUTRALISE.match(cell):
        return cell[1:]
    return cell


def _leaves(spec: Spec, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, field in spec.items():
        if isinstance(field, dict):
            out += _leaves(field, f"{prefix}{name}.")
        else:
            out.append((f"{prefix}{name}", field.kind))
    return out


def _document(record: Record, name: str) -> dict[str, Any]:
    """Nest a canonical row into a payload and validate it with the sandbox's rules."""
    spec = ENTITIES[name]
    payload: dict[str, Any] = {}
    for column, value in record.values.items():
        if column in _SKIPPED or value is None:
            continue
        parts = column.split(".")
        field = _field(spec, parts)
        if field is None:
            continue  # a column the sandbox does not store (e.g. a newer export's extra field)
        if field.kind == "ids":
            value = [v.strip() for v in str(value).split(",") if v.strip()]
        elif isinstance(value, dt.datetime):
            value = value.date().isoformat()
        elif isinstance(value, dt.date):
            value = value.isoformat()
        node = payload
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    try:
        if name == "customers":
            return resources.customer_document(payload, None)
        return resources.sub_document(spec, payload, None)
    except ProblemError as exc:
        problems = json.dumps(exc.body.get("violations", exc.body), ensure_ascii=False)
        raise InputError(f"{record.where}: invalid {name[:-1]}: {problems}", path=str(record.path)) from None


def _field(spec: Spec, parts: list[str]) -> Field | None:
    node: Any = spec
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, Field) else None


def _manifest(snapshot: Path) -> dict[str, Any]:
    path = snapshot / "manifest.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"{path}: unreadable manifest ({exc})", path=str(path)) from None
    return data if isinstance(data, dict) else {}


def _table_files(directory: Path) -> bool:
    return any((directory / f"customers.{ext}").is_file() for ext in ("parquet", "csv"))
