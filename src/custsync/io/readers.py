"""Read a CSV or Parquet source file into a table of strings, remembering where each record sits in the file.

Everything is read as text: the mapping decides types, so ``00123`` stays a customer number and ``1.234,56`` is
parsed by the rule that knows it is a decimal comma. Empty fields become missing (``pd.NA``).

Each record carries ``_row``, its line number as the user sees it in the file (header = line 1). CSV is parsed
with the C ``csv`` module, whose ``line_num`` tells where a record ends; the next one starts on the following
line, so records with quoted newlines keep exact numbers at no extra pass. Only the columns the mapping uses are
kept, in chunks, so a wide file costs memory for its used columns only; Parquet is read in Arrow batches of those
columns (from the file's bytes in memory). Each file is opened and read once, and hashed on the way
(:attr:`RawTable.sha256`, which the plan records).

Whole-file problems raise :class:`~custsync.errors.InputError` (missing, empty, header-only, binary, undecodable,
missing columns). Row problems become rejects (``ragged_row``, ``field_too_long``) and the other rows are kept.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from custsync.errors import CustsyncError, InputError, MissingColumnsError
from custsync.io._detect import (
    Utf8Watch,
    check_codec,
    detect_delimiter,
    detect_encoding,
    find_bad_bytes,
    is_parquet,
    looks_binary,
    read_sample,
)
from custsync.model import failures_frame, preview

if TYPE_CHECKING:
    import pyarrow as pa

ROW = "_row"
MAX_FIELD_LENGTH = 4096
CHUNK_ROWS = 50_000
_BLOCK = 1 << 20
"""Bytes the CSV parser takes from the file at a time."""
_CSV_FIELD_LIMIT = 1 << 28
"""The csv module refuses fields over 128 KiB by default; ours is enforced per field afterwards, as a reject."""


@dataclass(frozen=True)
class ReadOptions:
    """How to read a source file; ``None`` means detect."""

    delimiter: str | None = None
    encoding: str | None = None
    quotechar: str = '"'
    max_field_length: int = MAX_FIELD_LENGTH
    chunk_rows: int = CHUNK_ROWS


@dataclass
class RawTable:
    """The used columns of one source file as strings, plus ``_row`` and the rows refused while reading."""

    label: str
    frame: pd.DataFrame
    header: list[str]
    rejects: pd.DataFrame = field(default_factory=failures_frame)
    records: int = 0
    """Records in the file, including refused ones."""
    refused: pd.DataFrame | None = None
    """The refused records' fields as far as they can be read (ragged rows padded or cut to the header), so
    the caller can tell whose records were refused (a customer's addresses follow it)."""
    encoding: str | None = None
    delimiter: str | None = None
    sha256: str | None = None
    """The SHA-256 of the file's bytes, hashed while they were read."""


Columns = Callable[[list[str]], tuple[Collection[str] | None, Collection[str]]]
"""Given a file's header: the columns to keep (all when ``None``) and the columns it must have."""


def read_table(
    path: Path | str,
    *,
    wanted: Collection[str] | None = None,
    required: Collection[str] = (),
    options: ReadOptions | None = None,
    columns: Columns | None = None,
) -> RawTable:
    """Read ``path`` (CSV or Parquet, told apart by content), keeping the ``wanted`` columns (all when ``None``).

    ``required`` columns must be in the header; the error lists every missing one with its nearest matches.
    ``columns``, when given, decides both from the header instead. The file is opened and read once: the
    guesses look at its first bytes, the parser goes on from there, and :attr:`RawTable.sha256` is computed
    from the same bytes.
    """
    options = options or ReadOptions()
    choose = columns or (lambda header: (wanted, required))
    label = str(path)
    path = Path(path)
    if not path.exists():
        raise InputError(f"{label}: no such file", path=label, hint="check the path (relative to where you run it)")
    if path.is_dir():
        raise InputError(f"{label}: is a directory, expected a CSV or Parquet file", path=label)
    try:
        with path.open("rb") as handle:
            sample = read_sample(handle)
            stream = _Hashed(sample, handle)
            if is_parquet(sample):
                table = _read_parquet(stream.read_all(), label, choose, options)
            elif path.suffix.lower() == ".parquet":
                raise InputError(
                    f"{label}: not a Parquet file (no PAR1 magic)", path=label, hint="is it really Parquet?"
                )
            else:
                table = _read_csv(path, label, sample, stream, choose, options)
            stream.drain()
    except OSError as exc:
        raise InputError(f"{label}: cannot read: {exc.strerror}", path=label) from None
    table.sha256 = stream.hexdigest()
    return table


class _Hashed(io.RawIOBase):
    """A file's bytes from its start — the sample already read, then the rest of the open handle — hashed as
    they pass, so checking a file's SHA-256 costs no second read. ``watch`` sees the bytes after the sample."""

    def __init__(self, head: bytes, rest: io.BufferedReader) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest
        self._digest = hashlib.sha256(head)
        self.watch: Utf8Watch | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        size = self._rest.readinto(buffer) or 0
        if size:
            block = memoryview(buffer)[:size]
            self._digest.update(block)
            if self.watch is not None:
                self.watch.feed(bytes(block))
        return size

    def read_all(self) -> pa.Buffer:
        """Everything not read yet, from the start when nothing was (Parquet is read from memory)."""
        import pyarrow as pa

        data = bytes(self._head) + self._rest.read()
        self._digest.update(data[len(self._head) :])
        self._head = memoryview(b"")
        return pa.py_buffer(data)

    def drain(self) -> None:
        """Read (and hash) whatever the parser left, so the checksum covers the whole file."""
        buffer = bytearray(_BLOCK)
        while self.readinto(buffer):
            pass

    def rest_is_empty(self) -> bool:
        """Whether the bytes read before this stream was made (the sample) were the whole file."""
        return not self._rest.peek(1)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


# --------------------------------------------------------------------------------------------------------- CSV


def _read_csv(
    path: Path, label: str, sample: bytes, stream: _Hashed, choose: Columns, options: ReadOptions
) -> RawTable:
    if not sample.strip().lstrip(b"\xef\xbb\xbf").strip():
        raise InputError(f"{label}: the file is empty", path=label, hint="expected a header line and data rows")
    if looks_binary(sample):
        raise InputError(
            f"{label}: not a CSV or Parquet file (binary content)",
            path=label,
            hint="export the data as CSV (text) or Parquet",
        )
    complete = stream.rest_is_empty()
    if options.encoding:
        encoding = check_codec(options.encoding, path)
    else:
        try:
            encoding = detect_encoding(sample, complete=complete)
        except InputError as exc:
            raise InputError(f"{label}: {exc.message}", path=label, hint=exc.hint) from None
        if not complete and not encoding.startswith("utf"):
            stream.watch = Utf8Watch(len(sample), sample.count(b"\n"))
    first_line = sample.split(b"\n", 1)[0].decode(encoding, errors="replace")
    delimiter = options.delimiter or detect_delimiter(first_line)
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))

    text = io.TextIOWrapper(io.BufferedReader(stream, _BLOCK), encoding=encoding, newline="", errors="strict")
    try:
        reader = csv.reader(text, delimiter=delimiter, quotechar=options.quotechar)
        table = _parse_csv(reader, label, choose, options, encoding, delimiter)
    except UnicodeDecodeError as exc:
        _refuse_mixed_bytes(stream, label, encoding)
        bad = find_bad_bytes(path, encoding) if path.is_file() else None
        where = bad.message() if bad else f"cannot be decoded as {encoding}: {exc.reason}"
        raise InputError(
            f"{label}: {where}",
            path=label,
            hint="repair the file, or state its encoding in the mapping (`read: {encoding: ...}`)",
        ) from None
    except csv.Error as exc:
        _refuse_mixed_bytes(stream, label, encoding)
        raise InputError(f"{label}: not readable as CSV: {exc}", path=label) from None
    except CustsyncError:
        _refuse_mixed_bytes(stream, label, encoding)
        raise
    _refuse_mixed_bytes(stream, label, encoding)
    return table


def _refuse_mixed_bytes(stream: _Hashed, label: str, encoding: str) -> None:
    """A file taken as legacy from its first bytes must not turn out to hold UTF-8 further on."""
    if stream.watch is None:
        return
    stream.drain()
    found = stream.watch.found
    if found is not None:
        raise InputError(
            f"{label}: its beginning reads as {encoding} but byte offset {found.offset} (line {found.line}) "
            f"holds UTF-8 ({found.found.hex(' ')}): the file mixes encodings",
            path=label,
            hint="repair the file, or state its encoding in the mapping (`read: {encoding: ...}`)",
        )


def _parse_csv(
    reader: Any, label: str, choose: Columns, options: ReadOptions, encoding: str, delimiter: str
) -> RawTable:
    header = _first_nonblank(reader)
    if header is None:
        raise InputError(f"{label}: the file is empty", path=label, hint="expected a header line and data rows")
    header = [h.strip().lstrip("\ufeff") for h in header]
    header_line = reader.line_num
    wanted, required = choose(header)
    _check_columns(label, header, required)
    keep = _kept_columns(label, header, wanted)
    width = len(header)
    indexes = [header.index(c) for c in keep]
    pick = _picker(indexes)

    chunks: list[pd.DataFrame] = []
    ragged: list[dict[str, Any]] = []
    refused_values: list[tuple[str, ...]] = []
    refused_lines: list[int] = []
    records = 0
    prev_end = header_line
    values: list[tuple[str, ...]] = []
    lines: list[int] = []
    for row in reader:
        start, prev_end = prev_end + 1, reader.line_num
        size = len(row)
        if size == width:
            values.append(pick(row))
            lines.append(start)
        elif size == 0 or (size == 1 and not row[0].strip()):
            continue  # blank line: not a record
        else:
            ragged.append(_ragged(label, start, size, width))
            refused_values.append(pick((row + [""] * width)[:width]))
            refused_lines.append(start)
        records += 1
        if len(values) >= options.chunk_rows:
            chunks.append(_chunk(values, lines, keep))
            values, lines = [], []
    if values or not chunks:
        chunks.append(_chunk(values, lines, keep))
    if records == 0:
        raise InputError(f"{label}: has a header but no data rows", path=label, hint="is this the right export?")
    frame = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
    frame, too_long, oversize = _drop_oversize(frame, label, options.max_field_length)
    rejects = failures_frame([*ragged, *too_long]).sort_values("row", kind="stable", ignore_index=True)
    refused = pd.concat([_chunk(refused_values, refused_lines, keep), oversize], ignore_index=True)
    return RawTable(label, frame, header, rejects, records, refused, encoding, delimiter)


def _first_nonblank(reader: Any) -> list[str] | None:
    for row in reader:
        if row and any(cell.strip() for cell in row):
            return row
    return None


def _picker(indexes: list[int]) -> Any:
    if not indexes:
        return lambda row: ()
    if len(indexes) == 1:
        index = indexes[0]
        return lambda row: (row[index],)
    return itemgetter(*indexes)


def _chunk(values: list[tuple[str, ...]], lines: list[int], columns: list[str]) -> pd.DataFrame:
    """Rows of text as a frame of ``string`` columns, empty fields missing (built column-wise with numpy)."""
    cells = np.empty((len(values), len(columns)), dtype=object)
    if values:
        cells[:] = values
    data: dict[str, Any] = {}
    for index, column in enumerate(columns):
        cell = cells[:, index]
        cell[cell == ""] = None
        data[column] = _strings(cell)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(values)))
    frame[ROW] = np.asarray(lines, dtype=np.int64)
    return frame


def _strings(cells: np.ndarray) -> Any:
    """A pandas ``string`` array from Python strings; straight through Arrow when that is the storage (2x faster)."""
    if pd.StringDtype().storage == "pyarrow":
        import pyarrow as pa

        return pd.arrays.ArrowStringArray(pa.chunked_array([pa.array(cells, type=pa.string(), from_pandas=True)]))
    return pd.array(cells, dtype="string")


def _ragged(label: str, line: int, size: int, width: int) -> dict[str, Any]:
    return {
        "file": label,
        "row": line,
        "entity": None,
        "column": None,
        "rule": "ragged_row",
        "value": f"{size} fields",
        "message": f"row has {size} fields, the header has {width}",
    }


# ----------------------------------------------------------------------------------------------------- Parquet


def _read_parquet(data: pa.Buffer, label: str, choose: Columns, options: ReadOptions) -> RawTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{label}: not a readable Parquet file: {exc}", path=label) from None
    header = list(parquet.schema_arrow.names)
    wanted, required = choose(header)
    _check_columns(label, header, required)
    keep = _kept_columns(label, header, wanted)
    total = parquet.metadata.num_rows
    if total == 0:
        raise InputError(f"{label}: has columns but no rows", path=label, hint="is this the right export?")
    chunks: list[pd.DataFrame] = []
    offset = 0
    try:
        for batch in _batches(parquet, keep, options.chunk_rows):
            frame = pd.DataFrame({name: _as_text(batch.column(name)) for name in keep}, index=range(batch.num_rows))
            frame[ROW] = np.arange(offset + 1, offset + batch.num_rows + 1, dtype=np.int64)
            offset += batch.num_rows
            chunks.append(frame)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{label}: the Parquet data cannot be read: {exc}", path=label) from None
    frame = pd.concat(chunks, ignore_index=True)
    frame, too_long, oversize = _drop_oversize(frame, label, options.max_field_length)
    return RawTable(label, frame, header, failures_frame(too_long), total, oversize)


def _batches(parquet: Any, columns: list[str], size: int) -> Iterator[Any]:
    if columns:
        yield from parquet.iter_batches(batch_size=size, columns=columns)
        return
    for batch in parquet.iter_batches(batch_size=size):  # no used column: still count the rows
        yield batch.select([])


def _as_text(column: Any) -> pd.Series:
    """An Arrow column as pandas strings: numbers, dates and flags in their plain ISO/decimal text form."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_timestamp(column.type):
        text = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S")
    elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        text = column
    else:
        try:
            text = pc.cast(column, pa.string())
        except pa.ArrowNotImplementedError:
            text = pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())
    series = text.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)
    series = series.astype("string")
    return series.mask(series == "")


# ------------------------------------------------------------------------------------------------------ shared


def _check_columns(label: str, header: list[str], required: Collection[str]) -> None:
    missing = [c for c in required if c not in header]
    if not missing:
        return
    parts = []
    for name in missing:
        close = difflib.get_close_matches(name, header, n=2, cutoff=0.6)
        parts.append(f"{name!r} (did you mean {' or '.join(repr(c) for c in close)}?)" if close else repr(name))
    raise MissingColumnsError(
        f"{label}: missing required column{'s' if len(missing) > 1 else ''}: {', '.join(parts)}",
        path=label,
        missing=missing,
        header=header,
        hint=f"the file's columns are: {', '.join(header)}",
    )


def _kept_columns(label: str, header: list[str], wanted: Collection[str] | None) -> list[str]:
    keep = [c for c in header if wanted is None or c in wanted]
    duplicates = sorted({c for c in keep if header.count(c) > 1})
    if duplicates:
        raise InputError(
            f"{label}: column name{'s' if len(duplicates) > 1 else ''} used twice in the header: "
            f"{', '.join(duplicates)}",
            path=label,
            hint="rename one of them in the export",
        )
    return list(dict.fromkeys(keep))


def _drop_oversize(
    frame: pd.DataFrame, label: str, limit: int
) -> tuple[pd.DataFrame, list[dict[str, Any]], pd.DataFrame]:
    """Refuse rows with a field over ``limit`` characters: (kept rows, one reject per field, refused rows)."""
    bad = pd.Series(False, index=frame.index)
    rejects: list[dict[str, Any]] = []
    for column in frame.columns:
        if column == ROW:
            continue
        over = frame[column].str.len() > limit
        over = over.fillna(False).astype(bool)
        if not over.any():
            continue
        bad |= over
        for line, value in zip(frame.loc[over, ROW], frame.loc[over, column], strict=True):
            rejects.append(
                {
                    "file": label,
                    "row": int(line),
                    "entity": None,
                    "column": column,
                    "rule": "field_too_long",
                    "value": preview(value),
                    "message": f"{len(value)} characters, the limit is {limit}",
                }
            )
    refused = frame.loc[bad.to_numpy()].reset_index(drop=True)
    if rejects:
        frame = frame.loc[~bad.to_numpy()].reset_index(drop=True)
    return frame, rejects, refused
