"""From source files to validated canonical frames: read, map, validate, and apply the ``--on-invalid`` policy.

This is the one entry point the CLI and the flows use to load an import source::

    load = load_source([Path("sample_data/legacy_erp/kunden.csv")], Path("mappings/legacy_erp.yaml"),
                       on_invalid="skip", max_invalid="5%")
    load.frames["customers"]   # valid rows only, canonical dtypes, with _source and _row
    load.failures              # file, row, entity, column, rule, value, message

A source row is the unit of rejection: when any record made from a row fails (say the delivery address of a
wide legacy row), every record of that row is held back (rule ``row_rejected``), and so are the addresses and
contacts of a rejected customer that come from other rows or files (rule ``customer_rejected``). So an import
never writes half a customer, and the report says why each held-back record was held back.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from custsync.errors import (
    ConfigError,
    CustsyncError,
    InputError,
    MappingError,
    MissingColumnsError,
    ValidationFailed,
)
from custsync.io import (
    LATEST_FILE,
    LATEST_LINK,
    MANIFEST_NAME,
    RawTable,
    ReadOptions,
    latest_snapshot,
    read_snapshot,
    read_table,
)
from custsync.mapping import default_mapping, load_mapping
from custsync.mapping.coverage import read_columns, unread_columns
from custsync.mapping.engine import GROUP, entities_reading, field_sources, map_entity, source_needs
from custsync.mapping.spec import MappingSpec
from custsync.model import (
    ENTITIES,
    ENTITY_NAMES,
    HEADER_RULES,
    READ_ONLY_COLUMNS,
    SOURCE_FILE,
    SOURCE_ROW,
    SUB_ENTITY_NAMES,
    concat_failures,
    failures_frame,
    failures_to_records,
    held_back_per_rule,
    is_hold_back,
    validate_frames,
)

OnInvalid = Literal["fail", "skip"]
SOURCE_SUFFIXES = (".csv", ".parquet", ".tsv", ".txt")
"""Files a source directory is scanned for; other files there (a manifest, a README) are left alone."""


@dataclass
class SourceLoad:
    """What loading a source produced: valid frames, every failure, and counts per entity."""

    frames: dict[str, pd.DataFrame]
    failures: pd.DataFrame
    counts: dict[str, dict[str, int]]
    mapping_name: str
    source_rows: int
    """Rows read from all source files (including refused ones); a wide row makes several records."""
    rejected_rows: int
    """Distinct source rows that were held back (every record of them)."""
    warnings: list[str] = field(default_factory=list)
    """Things worth a look that reject nothing, e.g. a column a canonical file has but the model does not."""
    held_back: frozenset[str] = frozenset()
    """Numbers of the customers with a record held back: their own row, or one of their addresses or contacts.
    A mirror must not take them for deleted from the source (nor their addresses and contacts)."""
    unnumbered_rejects: int = 0
    """Rejected customer rows without a customer number: whose they were cannot be told."""
    files: dict[str, str] = field(default_factory=dict)
    """The files read, in reading order (directories expanded, snapshots by their data files), with the SHA-256
    of their bytes: hashed while they were read (a snapshot's as its manifest says, verified while read)."""
    unread_columns: dict[str, list[str]] = field(default_factory=dict)
    """Per source file, the columns the mapping neither reads nor ignores on purpose (``ignore_columns``)."""

    @property
    def ok(self) -> bool:
        return self.failures.empty

    def tally(self) -> dict[str, Any]:
        """The counts, each in its unit: source rows as read, and records (a wide row makes several).

        An invalid record failed a rule or was held back with no failure of its own (one hold-back each), so
        ``records.invalid == records.failing + records.held_back``; ``rule_failures`` counts failures (values
        that broke a rule), several of which can concern one record."""
        total = sum(c["rows"] for c in self.counts.values())
        invalid = sum(c["invalid"] for c in self.counts.values())
        hold_backs = held_back_per_rule(self.failures)
        held = sum(hold_backs.values())
        return {
            "source_rows": self.source_rows,
            "rejected_rows": self.rejected_rows,
            "records": {
                "total": total,
                "valid": total - invalid,
                "invalid": invalid,
                "failing": invalid - held,
                "held_back": held,
            },
            "rule_failures": int((~is_hold_back(self.failures)).sum()),
            "hold_backs": hold_backs,
        }

    def summary(self) -> dict[str, Any]:
        """``{"customers": {"rows": n, "valid": n, "invalid": n}, ..., "failures": [...]}`` (``custsync validate
        --json``): per entity its records, then :meth:`tally`, every failure (hold-backs included) and warnings."""
        out: dict[str, Any] = {}
        for name in ENTITY_NAMES:
            counts = self.counts.get(name, {"rows": 0, "invalid": 0})
            out[name] = {
                "rows": counts["rows"],
                "valid": counts["rows"] - counts["invalid"],
                "invalid": counts["invalid"],
            }
        out |= self.tally()
        out["failures"] = failures_to_records(self.failures)
        out["warnings"] = list(self.warnings)
        out["unread_columns"] = {file: list(columns) for file, columns in self.unread_columns.items()}
        return out


def load_source(
    paths: Sequence[Path | str],
    mapping: Path | str | MappingSpec | None = None,
    *,
    on_invalid: OnInvalid = "fail",
    max_invalid: str | int | None = None,
    existing_customers: Iterable[str] = (),
    strict_columns: bool = False,
) -> SourceLoad:
    """Read, map and validate ``paths``; raise :class:`ValidationFailed` when the policy says stop.

    ``on_invalid="fail"`` stops on any failure; ``"skip"`` keeps the valid rows unless more than
    ``max_invalid`` source rows (a count, or a percentage such as ``"5%"``) are invalid. With
    ``strict_columns`` a source column the mapping never reads stops too.
    """
    load = read_source(paths, mapping, existing_customers=existing_customers)
    enforce_policy(load, on_invalid, max_invalid, strict_columns=strict_columns)
    return load


def read_source(
    paths: Sequence[Path | str],
    mapping: Path | str | MappingSpec | None = None,
    *,
    existing_customers: Iterable[str] = (),
    name: str | None = None,
) -> SourceLoad:
    """Read, map and validate ``paths`` without applying a policy (what ``custsync validate`` shows).

    ``mapping`` is a mapping file, an already parsed :class:`MappingSpec`, or ``None`` for the canonical layout;
    ``name`` names it in the result (default: the spec's name, else the file's stem).
    """
    spec = resolve_mapping(mapping)
    name = name or spec.name or (Path(mapping).stem if isinstance(mapping, Path | str) else "canonical")
    options = ReadOptions(
        delimiter=spec.read.delimiter,
        encoding=spec.read.encoding,
        quotechar=spec.read.quotechar,
        max_field_length=spec.read.max_field_length,
    )
    mapped: dict[str, list[pd.DataFrame]] = {}
    failures: list[pd.DataFrame] = []
    extra_rows: dict[str, int] = {}
    refused_customers: dict[str, str] = {}
    refused_owners: set[str] = set()
    source_rows = 0
    warnings: list[str] = []
    snapshots, paths = _split_snapshots(spec, paths)
    read_files: dict[str, str] = {}
    for entity, frame, file, sha256 in snapshots:
        mapped.setdefault(entity, []).append(frame)
        source_rows += len(frame)
        read_files[file] = sha256
    files = _assign(spec, paths) if paths or not snapshots else []
    unread: dict[str, list[str]] = {}
    for path, assigned in files:
        table, readers = _read(path, spec, assigned, options)
        read_files[table.label] = table.sha256 or ""
        unread_here = unread_columns(spec, readers, table.header)
        if unread_here:
            unread[table.label] = unread_here
        warnings += _unread_warnings(spec, readers, table.label, unread_here)
        source_rows += table.records
        if len(table.rejects):
            rejects = table.rejects.copy()
            rejects["entity"] = readers[0]
            failures.append(rejects)
            extra_rows[readers[0]] = extra_rows.get(readers[0], 0) + len(rejects.drop_duplicates(["file", "row"]))
            refused_customers |= _refused_customers(spec, readers, table)
            refused_owners |= _refused_owners(spec, readers, table)
        for entity in readers:
            frame, problems = map_entity(entity, spec.entities[entity], table.frame, table.label)
            mapped.setdefault(entity, []).append(frame)
            failures.append(problems)
    frames = {e: pd.concat(parts, ignore_index=True) for e, parts in mapped.items()}
    groups = {e: frame.pop(GROUP) for e, frame in frames.items() if GROUP in frame}
    result = validate_frames(frames, existing_customers=existing_customers, groups=groups)
    failures.append(_follow_refused(result.failures, refused_customers))
    load = _settle(name, frames, result.valid, concat_failures(failures), extra_rows, source_rows, groups)
    load.failures = _in_source_terms(load.failures, spec)
    load.warnings = warnings
    load.held_back |= refused_owners
    load.files = read_files
    load.unread_columns = unread
    return load


def resolve_mapping(mapping: Path | str | MappingSpec | None) -> MappingSpec:
    """The mapping to read with: parsed from its file once, or the canonical one."""
    if isinstance(mapping, MappingSpec):
        return mapping
    return load_mapping(mapping) if mapping is not None else default_mapping()


def enforce_policy(
    load: SourceLoad, on_invalid: OnInvalid, max_invalid: str | int | None, *, strict_columns: bool = False
) -> None:
    """Raise :class:`ValidationFailed` when ``load`` has more invalid rows than the policy allows, or (with
    ``strict_columns``) source columns the mapping never reads."""
    if on_invalid not in ("fail", "skip"):
        raise ConfigError(f"--on-invalid must be fail or skip, not {on_invalid!r}")
    limit = parse_max_invalid(max_invalid)
    if strict_columns and load.unread_columns:
        listed = "; ".join(f"{file}: {', '.join(columns)}" for file, columns in load.unread_columns.items())
        count = sum(len(columns) for columns in load.unread_columns.values())
        raise ValidationFailed(
            f"{count} source column{'s' if count != 1 else ''} the mapping never reads ({listed}); "
            "nothing will be written (--strict-columns)",
            failures=load.failures,
            hint="map them, or list them under `ignore_columns:` in the mapping to drop them on purpose",
        )
    if load.ok:
        return
    bad, total = load.rejected_rows, load.source_rows
    what = f"{bad} of {total} source row{'s' if total != 1 else ''} invalid ({records_in_words(load.tally())})"
    if on_invalid == "fail":
        raise ValidationFailed(
            f"{what}; nothing will be written (--on-invalid fail)",
            failures=load.failures,
            hint="see the report with `custsync validate SOURCE --rejects rejects.csv`, fix the source, "
            "or use --on-invalid skip --max-invalid N to import the valid rows",
        )
    if limit is not None and _over(bad, total, limit):
        allowed = f"{limit[1]:g}%" if limit[0] == "percent" else f"{int(limit[1])} rows"
        raise ValidationFailed(
            f"{what}: more than --max-invalid {allowed}; nothing will be written",
            failures=load.failures,
            hint="fix the source or raise --max-invalid",
        )


def records_in_words(tally: dict[str, Any]) -> str:
    """``12 of 208 records invalid: 2 with 3 rule failures, 10 held back with them`` (:meth:`SourceLoad.tally`)."""
    records, failures = tally["records"], tally["rule_failures"]
    said = f"{records['invalid']} of {records['total']} records invalid: {records['failing']} with {failures} "
    said += f"rule failure{'s' if failures != 1 else ''}"
    return said + (f", {records['held_back']} held back with them" if records["held_back"] else "")


def parse_max_invalid(value: str | int | None) -> tuple[str, float] | None:
    """``None`` (no limit), ``10`` / ``"10"`` (rows) or ``"5%"`` (percent of source rows)."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ConfigError("--max-invalid must not be negative")
        return ("count", float(value))
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*", str(value))
    if not match:
        raise ConfigError(f"--max-invalid must be a row count like 10 or a percentage like 5%, not {value!r}")
    number = float(match.group(1))
    if match.group(2):
        if number > 100:
            raise ConfigError("--max-invalid percentage must lie between 0% and 100%")
        return ("percent", number)
    if not number.is_integer():
        raise ConfigError("--max-invalid row count must be a whole number")
    return ("count", number)


def _over(bad: int, total: int, limit: tuple[str, float]) -> bool:
    kind, number = limit
    if kind == "percent":
        return total > 0 and bad * 100 > number * total
    return bad > number


# ----------------------------------------------------------------------------------------------- files


def _split_snapshots(
    spec: MappingSpec, paths: Sequence[Path | str]
) -> tuple[list[tuple[str, pd.DataFrame, str, str]], list[Path | str]]:
    """Take export snapshots out of ``paths`` and read them through their manifest.

    A snapshot directory (or a snapshots root with a ``LATEST`` pointer) is read with the manifest's own CSV
    dialect, its formula neutralisation undone and its checksums verified, so every snapshot the export writes
    is a valid source for the canonical mapping — CSV in ``excel-de`` included. Other mappings read files as
    they are.
    """
    if not all(entity.passthrough for entity in spec.entities.values()):
        return [], list(paths)
    frames: list[tuple[str, pd.DataFrame, str, str]] = []
    rest: list[Path | str] = []
    for given in paths:
        path = Path(given)
        _refuse_foreign_latest_link(path)
        snapshot = path if _is_snapshot(path) else None
        if snapshot is None and ((path / LATEST_FILE).is_file() or (path / LATEST_FILE).is_symlink()):
            snapshot = latest_snapshot(path)
        if snapshot is None:
            rest.append(given)
            continue
        read = read_snapshot(snapshot)
        by_entity = {entry.entity: entry for entry in read.manifest.files}
        for name, frame in read.frames.items():
            entry = by_entity.get(name)
            if entry is None:
                continue
            frame = frame.copy()
            for column in READ_ONLY_COLUMNS:  # ignored on import, as the canonical mapping does
                frame[column] = pd.Series(pd.NA, index=frame.index, dtype=frame[column].dtype)
            file = str(snapshot / entry.file)
            frame[SOURCE_FILE] = file
            first_row = 2 if entry.format == "csv" else 1
            frame[SOURCE_ROW] = pd.array(range(first_row, first_row + len(frame)), dtype="Int64")
            frames.append((name, frame, file, entry.sha256))
    return frames, rest


_MANIFEST_KEYS = frozenset({"runId", "manifestVersion", "custsyncVersion", "files", "window", "previousRunId"})
"""Keys only a custsync manifest has: one of them makes ``manifest.json`` a snapshot's, complete or not."""


def _is_snapshot(path: Path) -> bool:
    """A directory with a custsync manifest, which :func:`read_snapshot` then checks in full.

    A ``manifest.json`` that is not valid JSON, or that has custsync's keys but no ``runId``, is refused — never
    read as plain files without their checksums. Another tool's manifest (valid JSON without any of custsync's
    keys) is just a file beside the data."""
    manifest = path / MANIFEST_NAME
    if not path.is_dir() or not (manifest.is_file() or manifest.is_symlink()):
        return False
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{manifest}: unreadable manifest ({exc}); a snapshot directory with it is refused",
            path=str(manifest),
            hint="restore the snapshot or export a fresh one; remove manifest.json if these are plain files",
        ) from None
    return isinstance(data, dict) and bool(data.keys() & _MANIFEST_KEYS)


def _refuse_foreign_latest_link(path: Path) -> None:
    """``OUT/latest`` is the export's convenience symlink: it must point at a snapshot inside ``OUT``."""
    if path.name != LATEST_LINK or not path.is_symlink() or not (path.parent / LATEST_FILE).exists():
        return
    if path.resolve().parent != path.parent.resolve():
        raise InputError(
            f"{path}: points outside its snapshots directory (to {os.readlink(path)})",
            path=str(path),
            hint="the snapshot directory was tampered with; restore it or export a fresh snapshot",
        )


def _assign(spec: MappingSpec, paths: Sequence[Path | str]) -> list[tuple[Path, list[str] | None]]:
    """Each source file with the entities that read it, in entity order. Directories are expanded; a file named
    on the command line whose name no entity's pattern matches gets ``None``: its header decides, once read."""
    if not paths:
        raise InputError("no source given", hint="name a file or a directory with customers/addresses/contacts")
    out: list[tuple[Path, list[str] | None]] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SOURCE_SUFFIXES)
            matched = [(p, _ordered(entities_reading(spec, p.name))) for p in found]
            matched = [(p, e) for p, e in matched if e]
            if not matched:
                raise InputError(
                    f"{path}: no source file for this mapping in the directory",
                    path=str(path),
                    hint=f"expected files named like {_patterns(spec)} ending in .csv or .parquet",
                )
            out.extend(matched)
            continue
        readers = _ordered(entities_reading(spec, path.name))
        if readers or not path.exists():
            out.append((path, readers or list(spec.entities)))
        else:
            out.append((path, None))
    return out


def _by_header(spec: MappingSpec, path: Path, columns: list[str]) -> list[str]:
    """The one entity a file's header says it holds: every column the entity requires is there, and it knows
    more of the header's columns than any other entity. Refused, naming the candidates, when that is not one."""
    header = set(columns)
    fits: dict[str, int] = {}
    for name, entity in spec.entities.items():
        if source_needs(name, entity).required <= header:
            fits[name] = len(header & read_columns(spec, [name]))
    best = max(fits.values(), default=0)
    top = _ordered([name for name, known in fits.items() if known == best])
    if len(top) == 1 and best > 0:
        return top
    told = f"its header fits {' and '.join(top)} equally" if len(top) > 1 else "its header fits no entity"
    hint = f"name it like {_patterns(spec)}, or pass --mapping for its layout"
    raise InputError(f"{path}: the mapping has no entity for this file name, and {told}", path=str(path), hint=hint)


def _ordered(names: list[str]) -> list[str]:
    return [n for n in ENTITY_NAMES if n in names]


def _patterns(spec: MappingSpec) -> str:
    return ", ".join(sorted({e.file for e in spec.entities.values() if e.file}))


def _unread_warnings(spec: MappingSpec, readers: list[str], label: str, unread: list[str]) -> list[str]:
    """One warning per unread column of a passthrough (canonical) file — most likely a misspelt canonical
    column, so the nearest canonical name is suggested — or one warning listing a mapped file's unread columns."""
    if not unread:
        return []
    passthrough = [e for e in readers if spec.entities[e].passthrough]
    if not passthrough:
        plural = "s" if len(unread) != 1 else ""
        return [
            f"{label}: {len(unread)} column{plural} the mapping never reads: {', '.join(unread)} "
            "(map them, or list them under ignore_columns: to drop them on purpose)"
        ]
    canonical = sorted({c for e in passthrough for c in ENTITIES[e].columns})
    out = []
    for column in unread:
        close = difflib.get_close_matches(column, canonical, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        out.append(f"{label}: column {column!r} is not a canonical column and is ignored{hint}")
    return out


def _read(path: Path, spec: MappingSpec, readers: list[str] | None, options: ReadOptions) -> tuple[RawTable, list[str]]:
    """The file's table and the entities reading it; ``None`` readers are chosen by the file's header."""
    chosen = readers

    def columns(header: list[str]) -> tuple[set[str], list[str]]:
        nonlocal chosen
        if chosen is None:
            chosen = _by_header(spec, path, header)
        wanted: set[str] = set()
        required: set[str] = set()
        for entity in chosen:
            needs = source_needs(entity, spec.entities[entity])
            wanted |= set(needs.wanted or ())
            required |= needs.required
        return wanted, sorted(required)

    try:
        table = read_table(path, columns=columns, options=options)
    except MissingColumnsError as exc:
        raise _blame_mapping(spec, exc) from None
    assert chosen is not None  # set by ``columns`` once the header was read
    return table, chosen


def _blame_mapping(spec: MappingSpec, exc: MissingColumnsError) -> CustsyncError:
    """A column the mapping reads but the file lacks is a mistake in the mapping (or the wrong file): name the
    mapping file, line and key that ask for it, with the nearest column the file has."""
    located = [(spec.origin_of(column), column) for column in exc.missing]
    located = [(origin, column) for origin, column in located if origin is not None]
    if not located:
        return exc
    located.sort(key=lambda item: (item[0][1] or 0, item[1]))
    (mapping, line, key), column = located[0]
    close = difflib.get_close_matches(column, exc.header, n=2, cutoff=0.6)
    hints = [f"did you mean {' or '.join(repr(c) for c in close)}?" if close else ""]
    others = [c for c in exc.missing if c != column]
    if others:
        hints.append(f"also missing: {', '.join(repr(c) for c in others)}.")
    hints.append(f"{exc.path} has the columns: {', '.join(exc.header)}")
    return MappingError(
        f"source column {column!r} (at {key}) is not in {exc.path}",
        path=mapping,
        line=line,
        key=key,
        hint=" ".join(h for h in hints if h),
    )


# ------------------------------------------------------------------------------ rejects in source terms


def _in_source_terms(failures: pd.DataFrame, spec: MappingSpec) -> pd.DataFrame:
    """Every failure with the source column(s) its canonical column came from, as the mapping says."""
    if failures.empty:
        return failures
    lookup = {name: field_sources(name, entity) for name, entity in spec.entities.items()}
    out = failures.copy()
    filled = []
    for source, entity, group, column in zip(
        out["source_column"], out["entity"], out["group"], out["column"], strict=True
    ):
        if not pd.isna(source) or pd.isna(entity) or pd.isna(column) or str(entity) not in lookup:
            filled.append(source)
            continue
        known = lookup[str(entity)]
        group_name = None if pd.isna(group) else str(group).split("/")[0]
        filled.append(known.get((group_name, str(column)), known.get((None, str(column)))))
    out["source_column"] = pd.array(filled, dtype="string")
    return out


# -------------------------------------------------------------------------------------- hold-backs


def _refused_customers(spec: MappingSpec, readers: list[str], table: RawTable) -> dict[str, str]:
    """Numbers of customers whose rows the reader refused (ragged, oversize), and where those rows were."""
    if "customers" not in readers or table.refused is None or table.refused.empty:
        return {}
    frame, _ = map_entity("customers", spec.entities["customers"], table.refused, table.label)
    if "number" not in frame:
        return {}
    reasons = table.rejects.drop_duplicates("row").set_index("row")["rule"]
    out: dict[str, str] = {}
    for number, row in zip(frame["number"], frame[SOURCE_ROW], strict=True):
        if pd.notna(number):
            out[str(number)] = f"{table.label} row {row}: {reasons.get(row, 'refused')}"
    return out


def _refused_owners(spec: MappingSpec, readers: list[str], table: RawTable) -> set[str]:
    """Numbers of the customers owning a record the reader refused, as far as the refused row can be read."""
    if table.refused is None or table.refused.empty:
        return set()
    owners: set[str] = set()
    for entity in readers:
        frame, _ = map_entity(entity, spec.entities[entity], table.refused, table.label)
        column = "number" if entity == "customers" else "customerNumber"
        if column in frame:
            owners |= _numbers(frame[column])
    return owners


def _numbers(values: pd.Series) -> set[str]:
    """Distinct trimmed customer numbers, blanks left out."""
    text = values.astype("string").str.strip()
    return set(text[text.notna() & text.ne("")].tolist())


def _follow_refused(failures: pd.DataFrame, refused: dict[str, str]) -> pd.DataFrame:
    """An address or contact of a customer the reader refused is "customer_rejected", not "unknown_customer"."""
    if not refused or failures.empty:
        return failures
    hit = (failures["rule"] == "unknown_customer") & failures["value"].isin(list(refused)).fillna(False)
    if not hit.any():
        return failures
    failures = failures.copy()
    failures.loc[hit, "rule"] = "customer_rejected"
    failures.loc[hit, "message"] = [f"customer {v} was rejected ({refused[v]})" for v in failures.loc[hit, "value"]]
    return failures


def _settle(
    name: str,
    mapped: dict[str, pd.DataFrame],
    valid: dict[str, pd.DataFrame],
    failures: pd.DataFrame,
    extra_rows: dict[str, int],
    source_rows: int,
    groups: dict[str, pd.Series],
) -> SourceLoad:
    """Hold back every record of an invalid source row, then the children of rejected customers.

    Every record not kept then has failures of its own or exactly one hold-back saying why, so an entity's
    invalid records are its records with a failure plus its hold-backs."""
    row_failures = failures[~failures["rule"].isin(HEADER_RULES) & failures["row"].notna()]
    bad_keys = set(_keys(row_failures["file"], row_failures["row"]))
    own = set(_records(row_failures[~is_hold_back(row_failures)]))
    failures = failures[~(is_hold_back(failures) & _owned(failures, own))]
    added: list[pd.DataFrame] = []
    kept: dict[str, pd.DataFrame] = {}
    why = _what_failed(row_failures)
    for entity, frame in valid.items():
        keys = _keys(frame[SOURCE_FILE], frame[SOURCE_ROW])
        held = keys.isin(bad_keys)
        messages = [f"another record of this source row failed ({why[key]})" for key in keys[held]]
        added.append(_held(entity, frame[held], groups.get(entity), own, "row_rejected", messages))
        kept[entity] = frame[~held]
    rejected_numbers = _rejected_customers(mapped.get("customers"), kept.get("customers"))
    for entity in SUB_ENTITY_NAMES:
        frame = kept.get(entity)
        if frame is None or not rejected_numbers:
            continue
        held = frame["customerNumber"].isin(set(rejected_numbers)).fillna(False).astype(bool)
        messages = [f"customer {n} was rejected ({rejected_numbers[n]})" for n in frame.loc[held, "customerNumber"]]
        added.append(_held(entity, frame[held], groups.get(entity), own, "customer_rejected", messages))
        kept[entity] = frame[~held]
    all_failures = concat_failures([failures, *added])
    all_failures = all_failures.sort_values(["file", "row"], kind="stable", na_position="first", ignore_index=True)
    counts = {}
    for entity, frame in mapped.items():
        rows = len(frame) + extra_rows.get(entity, 0)
        counts[entity] = {"rows": rows, "invalid": rows - len(kept[entity])}
    rows_failing = all_failures[~all_failures["rule"].isin(HEADER_RULES) & all_failures["row"].notna()]
    rejected_rows = len(set(_keys(rows_failing["file"], rows_failing["row"])))
    frames = {entity: frame.reset_index(drop=True) for entity, frame in kept.items()}
    held_back, unnumbered = _held_back(mapped, kept)
    return SourceLoad(
        frames,
        all_failures,
        counts,
        name,
        source_rows,
        rejected_rows,
        held_back=frozenset(held_back),
        unnumbered_rejects=unnumbered,
    )


Record = tuple[str, str, int, str | None]
"""Where a record came from: entity, file, source row, and the group of a wide row (``None``: the row's one
record of the entity, or, for a failure of a field the groups share, all of them)."""


def _records(failures: pd.DataFrame) -> list[Record]:
    groups = failures["group"].astype(object).where(failures["group"].notna(), None)
    keys = _keys(failures["file"], failures["row"])
    return [(str(e), f, r, g) for e, (f, r), g in zip(failures["entity"], keys, groups, strict=True)]


def _what_failed(failures: pd.DataFrame) -> dict[tuple[str, int], str]:
    """Per source row, which of its records failed which rules: ``contacts AP2: date_format``."""
    out: dict[tuple[str, int], dict[str, list[str]]] = {}
    for (entity, file, row, group), rule in zip(_records(failures), failures["rule"], strict=True):
        record = f"{entity} {group}" if group else entity
        rules = out.setdefault((file, row), {}).setdefault(record, [])
        if rule not in rules:
            rules.append(str(rule))
    return {key: "; ".join(f"{r}: {', '.join(rules)}" for r, rules in records.items()) for key, records in out.items()}


def _owned(failures: pd.DataFrame, own: set[Record]) -> pd.Series:
    """Which failures are about a record with a failure of its own (in ``own``)."""
    hits = [record in own or (*record[:3], None) in own for record in _records(failures)]
    return pd.Series(hits, index=failures.index, dtype=bool)


def _held_back(mapped: dict[str, pd.DataFrame], kept: dict[str, pd.DataFrame]) -> tuple[set[str], int]:
    """The customers owning a record that was not kept, and how many rejected customer rows have no number."""
    owners: set[str] = set()
    unnumbered = 0
    for entity, frame in mapped.items():
        valid = kept.get(entity)
        kept_keys = set(_keys(valid[SOURCE_FILE], valid[SOURCE_ROW])) if valid is not None else set()
        rejected = frame[~_keys(frame[SOURCE_FILE], frame[SOURCE_ROW]).isin(kept_keys)]
        column = "number" if entity == "customers" else "customerNumber"
        if rejected.empty or column not in rejected:
            continue
        owners |= _numbers(rejected[column])
        if entity == "customers":
            text = rejected[column].astype("string").str.strip()
            unnumbered += int((text.isna() | text.eq("")).sum())
    return owners, unnumbered


def _keys(files: pd.Series, rows: pd.Series) -> pd.Index:
    return pd.Index(list(zip(files.astype(str), rows.astype("Int64").fillna(-1).astype(int), strict=True)))


def _held(
    entity: str,
    frame: pd.DataFrame,
    groups: pd.Series | None,
    own: set[Record],
    rule: str,
    message: str | list[str],
) -> pd.DataFrame:
    """Hold-backs for records held back because of another record, each with its group (``AP1``); a record with
    a failure of its own gets none: its own failures say why."""
    if frame.empty:
        return failures_frame()
    messages = message if isinstance(message, list) else [message] * len(frame)
    labels = groups.reindex(frame.index) if groups is not None else pd.Series(pd.NA, index=frame.index)
    keys = _keys(frame[SOURCE_FILE], frame[SOURCE_ROW])
    numbers = frame["customerNumber"] if "customerNumber" in frame else frame.get("number")
    records = []
    for (file, row), text, number, label in zip(keys, messages, numbers, labels, strict=True):
        group = None if pd.isna(label) else str(label)
        if (entity, file, row, group) in own or (entity, file, row, None) in own:
            continue
        records.append(
            {
                "file": file,
                "row": row,
                "group": group,
                "entity": entity,
                "column": "customerNumber" if entity != "customers" else "number",
                "rule": rule,
                "value": None if pd.isna(number) else str(number),
                "message": text,
            }
        )
    return failures_frame(records)


def _rejected_customers(mapped: pd.DataFrame | None, kept: pd.DataFrame | None) -> dict[str, str]:
    """Customer numbers with no valid row left, and where their rejected rows were."""
    if mapped is None or "number" not in mapped:
        return {}
    valid_numbers = set(kept["number"].dropna()) if kept is not None else set()
    out: dict[str, list[str]] = {}
    numbers = mapped["number"].astype("string").str.strip()
    gone = (numbers.notna() & ~numbers.isin(valid_numbers)).fillna(False).astype(bool)
    for number, file, row in zip(
        numbers[gone], mapped.loc[gone, SOURCE_FILE], mapped.loc[gone, SOURCE_ROW], strict=True
    ):
        out.setdefault(str(number), []).append(f"{file} row {row}")
    return {n: ", ".join(where) for n, where in out.items()}
