"""The snapshot directory on disk: canonical frames as Parquet/CSV plus a manifest, written atomically.

Layout of ``OUT/``::

    OUT/
      20261128T120940.123456Z-3f9a1c/      one complete snapshot (the run id)
        customers.parquet  addresses.parquet  contacts.parquet      (--format parquet|both)
        customers.csv      addresses.csv      contacts.csv          (--format csv)
        csv/customers.csv  csv/addresses.csv  csv/contacts.csv      (--format both: CSV copies one level down)
        manifest.json                                              written last, inside the staging dir
      LATEST                                text file: the run id of the newest complete snapshot (authoritative)
      latest -> 20261128T120940.123456Z-3f9a1c                      convenience symlink (where supported)
      .tmp-...                              a snapshot being written, or left by a killed export; never read

A snapshot is staged in a ``.tmp-`` directory inside ``OUT`` and renamed into place only when every file and the
manifest are written and fsynced, so a directory named like a run id is complete by construction.

Parquet files are written with :attr:`Entity.arrow_schema` and are the canonical round-trip format. CSV is for
people: see :class:`CsvDialect` and :func:`neutralise_formulas`. :func:`read_snapshot` reads either back into
canonical frames (it prefers Parquet, and undoes formula neutralisation for CSV).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from custsync.errors import ConfigError, InputError
from custsync.io.atomic import TMP_PREFIX, atomic_symlink, atomic_write_text, staged_directory
from custsync.model import ENTITIES, ENTITY_NAMES, Entity

MANIFEST_NAME = "manifest.json"
LATEST_FILE = "LATEST"
LATEST_LINK = "latest"
CSV_SUBDIR = "csv"
MANIFEST_VERSION = 1

Format = Literal["parquet", "csv"]
FORMATS: dict[str, tuple[Format, ...]] = {"parquet": ("parquet",), "csv": ("csv",), "both": ("parquet", "csv")}

_RUN_ID = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{6}$")


def new_run_id(now: dt.datetime | None = None) -> str:
    """A sortable run id: UTC time to the microsecond plus 6 random hex digits, safe in file names everywhere."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"{now:%Y%m%dT%H%M%S.%f}Z-{secrets.token_hex(3)}"


def is_run_id(name: str) -> bool:
    return bool(_RUN_ID.match(name))


# --------------------------------------------------------------------------------------------------------- CSV


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is spelled: delimiter, decimal separator, encoding, line ending."""

    name: str
    delimiter: str
    decimal: str
    encoding: str
    lineterminator: str


CSV_DIALECTS: dict[str, CsvDialect] = {
    "default": CsvDialect("default", ",", ".", "utf-8", "\r\n"),
    "excel-de": CsvDialect("excel-de", ";", ",", "utf-8-sig", "\r\n"),
}
"""``default``: plain UTF-8, comma, decimal point. ``excel-de``: semicolon, decimal comma, UTF-8 with BOM (what a
spreadsheet set to German opens with a double click). Both end lines with CRLF as RFC 4180 says, which also makes
the writer quote any value holding a bare CR or LF."""

FORMULA_TRIGGERS = "=+-@\t\r"
"""First characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection)."""
_NEUTRALISE = re.compile("^'*[" + re.escape(FORMULA_TRIGGERS) + "]")
_UNNEUTRALISE = re.compile("^'+[" + re.escape(FORMULA_TRIGGERS) + "]")


def csv_dialect(name: str) -> CsvDialect:
    try:
        return CSV_DIALECTS[name]
    except KeyError:
        raise ConfigError(
            f"unknown CSV dialect {name!r}", hint=f"choose one of: {', '.join(sorted(CSV_DIALECTS))}"
        ) from None


def neutralise_formula(text: str) -> str:
    """One cell's text, prefixed with ``'`` when a spreadsheet would run it as a formula (``=cmd|'/c calc'!A1``);
    the rule of :func:`neutralise_formulas`, for the rejects report too."""
    return "'" + text if _NEUTRALISE.match(text) else text


def neutralise_formulas(values: pd.Series) -> pd.Series:
    """Prefix ``'`` to text that starts with a formula trigger, optionally after leading apostrophes.

    Also prefixing values that already start with ``'`` + trigger makes the rule reversible
    (:func:`unneutralise_formulas` strips exactly one ``'``), so a neutralised CSV still reads back exactly.
    """
    return values.map(neutralise_formula, na_action="ignore").astype(values.dtype)


def unneutralise_formulas(values: pd.Series) -> pd.Series:
    """Inverse of :func:`neutralise_formulas`."""
    return values.map(_unneutralise, na_action="ignore").astype(values.dtype)


def _unneutralise(text: str) -> str:
    return text[1:] if _UNNEUTRALISE.match(text) else text


def _kind(arrow_type: pa.DataType) -> str:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "text"
    if pa.types.is_floating(arrow_type):
        return "float"
    if pa.types.is_integer(arrow_type):
        return "int"
    if pa.types.is_boolean(arrow_type):
        return "bool"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    raise TypeError(f"no CSV spelling for Arrow type {arrow_type}")  # pragma: no cover - schema is fixed


def _cell(value: Any, kind: str, dialect: CsvDialect, neutralise: bool) -> str:
    """One value as CSV text: "" for missing, ISO dates and timestamps, true/false, the dialect's decimal mark."""
    if value is None:
        return ""
    if kind == "text":
        return neutralise_formula(value) if neutralise else value
    if kind == "float":
        return repr(float(value)).replace(".", dialect.decimal)
    if kind == "bool":
        return "true" if value else "false"
    if kind == "date":
        return value.isoformat()
    if kind == "timestamp":
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    return str(value)


def _value(text: str, kind: str, dialect: CsvDialect, neutralised: bool) -> Any:
    """Inverse of :func:`_cell`; raises ValueError for a cell that is not of its column's kind."""
    if text == "":
        return None
    if kind == "text":
        return _unneutralise(text) if neutralised else text
    if kind == "float":
        return float(text.replace(dialect.decimal, ".") if dialect.decimal != "." else text)
    if kind == "int":
        return int(text)
    if kind == "bool":
        return {"true": True, "false": False}[text]
    if kind == "date":
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text)


def write_csv(frame: pd.DataFrame, entity: Entity, path: Path, dialect: CsvDialect, *, neutralise: bool) -> None:
    """Write a conformed canonical frame as CSV: header = canonical column names, one row per record.

    The frame goes through Arrow once (the same typed values the Parquet file holds); each cell is then spelled
    by :func:`_cell` — plain Python per value, which costs less than dozens of pandas passes per column.
    """
    table = _to_arrow(frame, entity)
    columns = [
        [_cell(v, _kind(f.type), dialect, neutralise) for v in table.column(f.name).to_pylist()]
        for f in entity.arrow_schema
    ]
    with open(path, "w", encoding=dialect.encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=dialect.delimiter, lineterminator=dialect.lineterminator)
        writer.writerow(entity.arrow_schema.names)
        writer.writerows(zip(*columns, strict=True))


def read_csv(path: Path, data: bytes, entity: Entity, dialect: CsvDialect, *, neutralised: bool) -> pd.DataFrame:
    """Read a snapshot CSV (``data``, the bytes of ``path``) back into a canonical frame (empty cells are missing)."""
    text = io.StringIO(data.decode(dialect.encoding), newline="")
    rows = list(csv.reader(text, delimiter=dialect.delimiter))
    if not rows:
        raise InputError(f"{path}: empty file, expected a header row", path=str(path))
    header, body = rows[0], rows[1:]
    missing = [c for c in entity.columns if c not in header]
    if missing:
        raise InputError(f"{path}: missing columns {', '.join(missing)}", path=str(path))
    data: dict[str, list[Any]] = {}
    for f in entity.arrow_schema:
        index, kind = header.index(f.name), _kind(f.type)
        values = []
        for line, row in enumerate(body, start=2):
            try:
                values.append(_value(row[index], kind, dialect, neutralised))
            except (ValueError, KeyError, IndexError):
                cell = row[index] if index < len(row) else "(missing)"
                raise InputError(
                    f"{path}:{line}: column {f.name}: {cell!r} is not a valid {kind}", path=str(path)
                ) from None
        data[f.name] = values
    table = pa.Table.from_pydict(data, schema=entity.arrow_schema)
    return entity.conform(table.to_pandas(types_mapper=pd.ArrowDtype), keep_source=False)


# ----------------------------------------------------------------------------------------------------- Parquet


def _to_arrow(frame: pd.DataFrame, entity: Entity) -> pa.Table:
    """A conformed canonical frame as an Arrow table with exactly :attr:`Entity.arrow_schema` (no pandas metadata)."""
    table = pa.Table.from_pandas(frame[list(entity.columns)], schema=entity.arrow_schema, preserve_index=False)
    return table.replace_schema_metadata(entity.arrow_schema.metadata)


def write_parquet(frame: pd.DataFrame, entity: Entity, path: Path) -> None:
    pq.write_table(_to_arrow(frame, entity), path)


def read_parquet(path: Path, data: bytes, entity: Entity) -> pd.DataFrame:
    """Read a snapshot Parquet file (``data``, the bytes of ``path``) back into a canonical frame."""
    table = pq.read_table(pa.BufferReader(data))
    missing = [c for c in entity.columns if c not in table.column_names]
    if missing:
        raise InputError(f"{path}: missing columns {', '.join(missing)}", path=str(path))
    return entity.conform(table.to_pandas(types_mapper=pd.ArrowDtype), keep_source=False)


# ---------------------------------------------------------------------------------------------------- manifest


@dataclass
class FileEntry:
    """One data file of a snapshot as the manifest describes it."""

    entity: str
    file: str
    format: Format
    rows: int
    bytes: int
    sha256: str
    schema: dict[str, str]
    csv: dict[str, Any] | None = None
    """For CSV: ``{"dialect", "delimiter", "decimal", "encoding", "neutralisedFormulas"}``."""


@dataclass
class SnapshotInfo:
    """What the exporter knows about a run, recorded in the manifest (never the token)."""

    api_url: str
    mode: Literal["full", "incremental"] = "full"
    window_from: str | None = None
    """Incremental: the previous snapshot's watermark (``updatedAt >=`` this was fetched). Full: None."""
    window_to: str | None = None
    """When the fetch started (UTC); records changed after this may or may not be in the snapshot."""
    watermark: str | None = None
    """The greatest customer ``updatedAt`` in this snapshot: the next incremental run starts here."""
    previous_run_id: str | None = None
    run_counter: int = 0
    """Counts snapshots in this OUT directory; the rolling sub-resource refresh picks its share by it."""
    rolling_share: int | None = None
    filters: list[dict[str, str]] = field(default_factory=list)
    calls: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Manifest:
    run_id: str
    created_at: str
    custsync_version: str
    info: SnapshotInfo
    files: list[FileEntry]

    def to_json(self) -> dict[str, Any]:
        info = self.info
        return {
            "manifestVersion": MANIFEST_VERSION,
            "runId": self.run_id,
            "createdAt": self.created_at,
            "custsyncVersion": self.custsync_version,
            "mode": info.mode,
            "api": {"baseUrl": info.api_url},
            "window": {"from": info.window_from, "to": info.window_to, "watermark": info.watermark},
            "previousRunId": info.previous_run_id,
            "runCounter": info.run_counter,
            "rollingShare": info.rolling_share,
            "filters": info.filters,
            "calls": info.calls,
            "extra": info.extra,
            "files": [asdict(f) for f in self.files],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        window = data.get("window") or {}
        info = SnapshotInfo(
            api_url=(data.get("api") or {}).get("baseUrl", ""),
            mode=data.get("mode", "full"),
            window_from=window.get("from"),
            window_to=window.get("to"),
            watermark=window.get("watermark"),
            previous_run_id=data.get("previousRunId"),
            run_counter=int(data.get("runCounter") or 0),
            rolling_share=data.get("rollingShare"),
            filters=list(data.get("filters") or []),
            calls=dict(data.get("calls") or {}),
            extra=dict(data.get("extra") or {}),
        )
        return cls(
            run_id=data["runId"],
            created_at=data.get("createdAt", ""),
            custsync_version=data.get("custsyncVersion", ""),
            info=info,
            files=[FileEntry(**f) for f in data.get("files") or []],
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _schema_of(entity: Entity) -> dict[str, str]:
    return {f.name: str(f.type) for f in entity.arrow_schema}


# ------------------------------------------------------------------------------------------------ write / read


def write_snapshot(
    out: Path,
    frames: Mapping[str, pd.DataFrame],
    info: SnapshotInfo,
    *,
    formats: Iterable[Format] = ("parquet",),
    dialect: CsvDialect = CSV_DIALECTS["default"],
    neutralise: bool = True,
    run_id: str | None = None,
) -> Path:
    """Write ``frames`` as a new complete snapshot in ``out`` and point ``latest`` at it. Returns its path.

    Frames are conformed to the canonical schemas first (bookkeeping columns dropped). Nothing named like a
    run id appears in ``out`` unless every file and the manifest were written and fsynced.
    """
    from custsync import __version__

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    run_id = run_id or new_run_id()
    formats = tuple(dict.fromkeys(formats))
    final = out / run_id
    with staged_directory(final) as stage:
        entries: list[FileEntry] = []
        for name in ENTITY_NAMES:
            entity = ENTITIES[name]
            frame = entity.conform(frames.get(name, entity.empty()), keep_source=False)
            for fmt in formats:
                relative = _file_name(name, fmt, formats)
                path = stage / relative
                path.parent.mkdir(exist_ok=True)
                csv_meta: dict[str, Any] | None = None
                if fmt == "parquet":
                    write_parquet(frame, entity, path)
                else:
                    write_csv(frame, entity, path, dialect, neutralise=neutralise)
                    csv_meta = {
                        "dialect": dialect.name,
                        "delimiter": dialect.delimiter,
                        "decimal": dialect.decimal,
                        "encoding": dialect.encoding,
                        "neutralisedFormulas": neutralise,
                    }
                entries.append(
                    FileEntry(
                        entity=name,
                        file=relative,
                        format=fmt,
                        rows=len(frame),
                        bytes=path.stat().st_size,
                        sha256=_sha256(path),
                        schema=_schema_of(entity),
                        csv=csv_meta,
                    )
                )
        manifest = Manifest(
            run_id=run_id,
            created_at=dt.datetime.now(dt.UTC).isoformat(),
            custsync_version=__version__,
            info=info,
            files=entries,
        )
        (stage / MANIFEST_NAME).write_text(json.dumps(manifest.to_json(), indent=2, ensure_ascii=False) + "\n")
    set_latest(out, run_id)
    return final


def _file_name(entity: str, fmt: Format, formats: tuple[Format, ...]) -> str:
    """``customers.parquet``; with both formats the CSV copies go to ``csv/`` so that the snapshot directory
    itself holds one file per entity and is a valid source for ``custsync sync`` with the canonical mapping."""
    if fmt == "csv" and "parquet" in formats:
        return f"{CSV_SUBDIR}/{entity}.csv"
    return f"{entity}.{fmt}"


def set_latest(out: Path, run_id: str) -> None:
    """Point ``OUT/LATEST`` (authoritative text file) and ``OUT/latest`` (symlink, best effort) at ``run_id``.

    Never backwards: when two exports into one directory overlap, the one that started later stays latest.
    """
    pointer = Path(out) / LATEST_FILE
    if pointer.is_file():
        current = pointer.read_text(encoding="utf-8").strip()
        if is_run_id(current) and current > run_id and (Path(out) / current / MANIFEST_NAME).is_file():
            return
    atomic_write_text(pointer, run_id + "\n")
    with contextlib.suppress(OSError):  # file systems without symlinks: the LATEST file is enough
        atomic_symlink(run_id, Path(out) / LATEST_LINK)


def list_snapshots(out: Path) -> list[Path]:
    """Complete snapshots in ``out``, oldest first (run ids sort by time)."""
    out = Path(out)
    if not out.is_dir():
        return []
    return sorted(
        p
        for p in out.iterdir()
        if p.is_dir() and not p.is_symlink() and is_run_id(p.name) and (p / MANIFEST_NAME).is_file()
    )


def latest_snapshot(out: Path) -> Path | None:
    """The snapshot ``OUT/LATEST`` names; if that file is missing or names a snapshot that is gone, the newest
    complete one. A ``LATEST`` that is a symlink, or names anything but a snapshot directly inside ``OUT``, is
    refused (:class:`InputError`): it was not written by an export."""
    out = Path(out)
    pointer = out / LATEST_FILE
    if pointer.is_symlink():
        raise InputError(
            f"{pointer}: is a symlink (to {os.readlink(pointer)}); an export writes it as a plain file",
            path=str(pointer),
            hint="the snapshot directory was tampered with; restore it or export a fresh snapshot",
        )
    if pointer.is_file():
        name = pointer.read_text(encoding="utf-8").strip()
        if not is_run_id(name):
            raise InputError(
                f"{pointer}: names {name[:80]!r}, not a snapshot of this directory",
                path=str(pointer),
                hint="the snapshot directory was tampered with; restore it or export a fresh snapshot",
            )
        if (out / name).is_symlink():
            raise InputError(
                f"{out / name}: the snapshot LATEST names is a symlink (to {os.readlink(out / name)})",
                path=str(out / name),
                hint="the snapshot directory was tampered with; restore it or export a fresh snapshot",
            )
        if (out / name / MANIFEST_NAME).is_file():
            return out / name
    snapshots = list_snapshots(out)
    return snapshots[-1] if snapshots else None


def read_manifest(snapshot: Path) -> Manifest:
    """The manifest of ``snapshot``, refused unless complete: valid JSON with a ``runId`` and well-formed file
    entries, each naming a file inside the snapshot directory."""
    path = Path(snapshot) / MANIFEST_NAME
    if Path(snapshot).name.startswith(TMP_PREFIX):
        raise InputError(f"{snapshot} is an incomplete snapshot (staging directory)", path=str(snapshot))
    if path.is_symlink():
        raise InputError(f"{path}: is a symlink; a snapshot's manifest is a plain file", path=str(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{snapshot}: no {MANIFEST_NAME}; not a complete snapshot directory", path=str(snapshot)
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable manifest ({exc})", path=str(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("runId"), str) or not data["runId"]:
        raise InputError(f"{path}: incomplete manifest (no runId)", path=str(path), hint=_TAMPERED)
    if not isinstance(data.get("files"), list) or not all(isinstance(f, dict) for f in data["files"]):
        raise InputError(f"{path}: incomplete manifest (no list of files)", path=str(path), hint=_TAMPERED)
    try:
        manifest = Manifest.from_json(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: unreadable manifest ({exc})", path=str(path), hint=_TAMPERED) from None
    for entry in manifest.files:
        _check_entry(path, entry)
    return manifest


_TAMPERED = "a snapshot's manifest is written by the export; restore the snapshot or export a fresh one"


def _check_entry(manifest_path: Path, entry: FileEntry) -> None:
    """A file entry must name an entity, a format and a relative path without ``..`` inside the snapshot."""
    if entry.entity not in ENTITIES or entry.format not in ("parquet", "csv"):
        raise InputError(
            f"{manifest_path}: file entry {entry.file!r} has entity {entry.entity!r} and format {entry.format!r}",
            path=str(manifest_path),
            hint=_TAMPERED,
        )
    relative = PurePosixPath(str(entry.file))
    if not str(entry.file) or relative.is_absolute() or ".." in relative.parts or "\\" in str(entry.file):
        raise InputError(
            f"{manifest_path}: names the file {entry.file!r}, which is not inside the snapshot directory",
            path=str(manifest_path),
            hint=_TAMPERED,
        )


def snapshot_file(snapshot: Path, entry: FileEntry) -> Path:
    """The path of a manifest's file entry, refused unless it is a regular file inside ``snapshot`` reached
    without a symlink (the manifest's own checks ran in :func:`read_manifest`)."""
    root = Path(snapshot)
    path = root / entry.file
    step = root
    for part in PurePosixPath(entry.file).parts:
        step = step / part
        if step.is_symlink():
            raise InputError(
                f"{step}: is a symlink (to {os.readlink(step)}); a snapshot holds its own files",
                path=str(step),
                hint=_TAMPERED,
            )
    if not path.resolve().is_relative_to(root.resolve()):
        raise InputError(f"{path}: resolves outside the snapshot directory", path=str(path), hint=_TAMPERED)
    return path


def verify_snapshot(snapshot: Path, manifest: Manifest | None = None) -> Manifest:
    """Check every file's place, size and SHA-256 against the manifest; raise :class:`InputError` naming the file."""
    manifest = manifest or read_manifest(snapshot)
    for entry in manifest.files:
        _checked(snapshot, entry, keep=False)
    return manifest


def _checked(snapshot: Path, entry: FileEntry, *, keep: bool) -> bytes | None:
    """Check one file against the manifest; with ``keep`` its bytes (read once: hashed, then parsed)."""
    path = snapshot_file(snapshot, entry)
    if not path.is_file():
        raise InputError(f"{path}: listed in the manifest but missing", path=str(path))
    if not keep:
        matches = path.stat().st_size == entry.bytes and _sha256(path) == entry.sha256
        data = None
    else:
        data = path.read_bytes()
        matches = len(data) == entry.bytes and hashlib.sha256(data).hexdigest() == entry.sha256
    if not matches:
        raise InputError(f"{path}: checksum does not match the manifest (file changed or damaged)", path=str(path))
    return data


@dataclass
class Snapshot:
    path: Path
    manifest: Manifest
    frames: dict[str, pd.DataFrame]


def read_snapshot(snapshot: Path, *, verify: bool = True, prefer: Format = "parquet") -> Snapshot:
    """Read a snapshot directory back into canonical frames (Parquet when present, else CSV).

    Every file is read once: the one read per entity is checked against the manifest from the bytes it is then
    parsed from, the others (the other format) are only checked."""
    snapshot = Path(snapshot)
    manifest = read_manifest(snapshot)
    chosen: dict[str, FileEntry] = {}
    for name in ENTITY_NAMES:
        entries = sorted((e for e in manifest.files if e.entity == name), key=lambda e: (e.format != prefer, e.format))
        if entries:
            chosen[entries[0].file] = entries[0]
    contents: dict[str, bytes] = {}
    for entry in manifest.files:
        if not verify and entry.file in chosen:
            contents[entry.file] = snapshot_file(snapshot, entry).read_bytes()
        elif verify:
            data = _checked(snapshot, entry, keep=entry.file in chosen)
            if data is not None:
                contents[entry.file] = data
    frames: dict[str, pd.DataFrame] = {name: ENTITIES[name].empty() for name in ENTITY_NAMES}
    for entry in chosen.values():
        path = snapshot_file(snapshot, entry)
        if entry.format == "parquet":
            frame = read_parquet(path, contents[entry.file], ENTITIES[entry.entity])
        else:
            meta = entry.csv or {}
            frame = read_csv(
                path,
                contents[entry.file],
                ENTITIES[entry.entity],
                csv_dialect(meta.get("dialect", "default")),
                neutralised=bool(meta.get("neutralisedFormulas")),
            )
        if len(frame) != entry.rows:
            raise InputError(f"{path}: {len(frame)} rows, the manifest says {entry.rows}", path=str(path))
        frames[entry.entity] = frame
    return Snapshot(path=snapshot, manifest=manifest, frames=frames)


def remove_stale_staging(out: Path) -> list[Path]:
    """Delete ``.tmp-`` directories left in ``out`` by killed exports (call only when no export is running)."""
    removed = []
    for p in Path(out).glob(f"{TMP_PREFIX}*"):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


__all__ = [
    "CSV_DIALECTS",
    "FORMATS",
    "FORMULA_TRIGGERS",
    "CsvDialect",
    "FileEntry",
    "Manifest",
    "Snapshot",
    "SnapshotInfo",
    "csv_dialect",
    "is_run_id",
    "latest_snapshot",
    "list_snapshots",
    "neutralise_formula",
    "neutralise_formulas",
    "new_run_id",
    "read_manifest",
    "read_snapshot",
    "remove_stale_staging",
    "set_latest",
    "snapshot_file",
    "unneutralise_formulas",
    "verify_snapshot",
    "write_snapshot",
]
