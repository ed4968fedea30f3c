"""Guess what a source file is: Parquet or text, which encoding, which delimiter.

Legacy exports rarely say how they were written. Guesses are made on a bounded sample of the file (its first
bytes, which the reader then parses on from without reading them again); a mapping may state the encoding and
delimiter to skip the guessing.

Bytes are never guessed silently: a file that is UTF-8 in places (valid multi-byte sequences) but not valid
UTF-8 everywhere is refused — naming the byte offset and line — instead of being read as Windows-1252, which
would turn every umlaut of it into mojibake. Only a file with no UTF-8 sequence at all is taken as legacy.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from charset_normalizer import from_bytes

from custsync.errors import InputError

SAMPLE_BYTES = 4 * 1024 * 1024
"""How much of a file encoding detection looks at."""

PARQUET_MAGIC = b"PAR1"
DELIMITER_CANDIDATES = (",", ";", "\t", "|")
LEGACY_ENCODINGS = ("cp1252", "latin_1")
"""Single-byte encodings a file that is not UTF-8 is tried as, in order (Windows-1252 is what German ERPs write)."""

_CONTROL = {c for c in range(32) if c not in (9, 10, 13)}

UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
"""A well-formed multi-byte UTF-8 sequence: in a legacy single-byte file it would be mojibake written as text."""

SCAN_BYTES = 1024 * 1024


@dataclass(frozen=True)
class BadBytes:
    """Where a file stops being valid in an encoding."""

    encoding: str
    offset: int
    """Byte offset in the file (0-based)."""
    line: int
    """Line of the file (1-based, as an editor numbers them)."""
    found: bytes

    def message(self) -> str:
        return f"not valid {self.encoding}: byte {self.found.hex(' ')} at byte offset {self.offset} (line {self.line})"


def read_sample(handle: BinaryIO, size: int = SAMPLE_BYTES) -> bytes:
    """The first ``size`` bytes of an open file: what the guesses look at (the reader goes on from there)."""
    return handle.read(size)


def is_parquet(sample: bytes) -> bool:
    return sample[:4] == PARQUET_MAGIC


def looks_binary(sample: bytes) -> bool:
    """True for content no CSV export would contain: many NUL bytes or control characters.

    A stray NUL in an otherwise textual file is not "binary": it reaches validation, which names its row and
    column (``control_character``) wherever in the file it is."""
    head = sample[:65536]
    if not head:
        return False
    controls = sum(1 for b in head if b in _CONTROL)
    return head.count(b"\x00") / len(head) > 0.01 or controls / len(head) > 0.05


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    """Name of the codec the sample decodes with: ``utf-8-sig``, ``utf-8`` or a legacy single-byte codec.

    UTF-8 is tried strictly first (a cp1252 umlaut is never valid UTF-8), then charset-normalizer picks among
    the legacy codecs. ``complete`` says whether the sample is the whole file (else a multi-byte sequence
    may be cut at its end).
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return "utf-8"
    except UnicodeDecodeError as exc:
        if UTF8_SEQUENCE.search(sample):
            bad = BadBytes("utf-8", exc.start, sample.count(b"\n", 0, exc.start) + 1, sample[exc.start : exc.end])
            raise InputError(
                f"{bad.message()}, though other parts of it are UTF-8",
                hint="repair the file, or state its encoding in the mapping (`read: {encoding: ...}`)",
            ) from None
    best = from_bytes(sample[:262144], cp_isolation=list(LEGACY_ENCODINGS)).best()
    if best is not None:
        return best.encoding
    for encoding in LEGACY_ENCODINGS:
        try:
            sample.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InputError("cannot tell the text encoding of this file", hint="state `read: {encoding: ...}` in the mapping")


def check_codec(encoding: str, path: Path) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(
            f"{path}: unknown encoding {encoding!r}",
            path=str(path),
            hint="use utf-8, utf-8-sig, cp1252 or latin-1",
        ) from None


def detect_delimiter(first_line: str) -> str:
    """The candidate that occurs most often in the header line; ``,`` for a single-column file.

    The header is used rather than ``csv.Sniffer`` on a sample: headers hold no quoted free text, so the count
    is reliable, and it costs one line instead of a sample's worth of regex work.
    """
    counts = {d: first_line.count(d) for d in DELIMITER_CANDIDATES}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def find_bad_bytes(path: Path, encoding: str) -> BadBytes | None:
    """The first place ``path`` is not valid ``encoding``, read in binary blocks (the error path of a read)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = lines = 0
    with path.open("rb") as handle:
        while True:
            block = handle.read(SCAN_BYTES)
            pending = decoder.getstate()[0] if hasattr(decoder, "getstate") else b""
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                data = pending + block
                at = offset - len(pending) + exc.start
                line = lines - pending.count(b"\n") + data.count(b"\n", 0, exc.start) + 1
                return BadBytes(codecs.lookup(encoding).name, at, line, data[exc.start : exc.end])
            if not block:
                return None
            offset += len(block)
            lines += block.count(b"\n")


class Utf8Watch:
    """Looks for a multi-byte UTF-8 sequence in a file's bytes as they stream past, from byte ``start`` on (after
    the sample): a file read as legacy must not have one. ``found`` says where the first one is."""

    def __init__(self, start: int, lines: int) -> None:
        self.found: BadBytes | None = None
        self._offset = start
        self._lines = lines
        self._tail = b""

    def feed(self, block: bytes) -> None:
        if self.found is not None or not block:
            return
        data = self._tail + block
        match = UTF8_SEQUENCE.search(data)
        if match:
            at = self._offset - len(self._tail) + match.start()
            line = self._lines - self._tail.count(b"\n") + data.count(b"\n", 0, match.start()) + 1
            self.found = BadBytes("utf-8", at, line, match.group())
            return
        self._tail = data[-3:]  # a sequence is at most 4 bytes: one cut at the block's end is found next time
        self._offset += len(block)
        self._lines += block.count(b"\n")
