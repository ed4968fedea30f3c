"""Guess what a source file is: Parquet or text, which encoding, which delimiter.

Legacy exports rarely say how they were written. Guesses are made on a bounded sample of the file so that a
large file is never read twice in full; a mapping may state the encoding and delimiter to skip the guessing.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from charset_normalizer import from_bytes

from custsync.errors import InputError

SAMPLE_BYTES = 4 * 1024 * 1024
"""How much of a file encoding detection looks at."""

PARQUET_MAGIC = b"PAR1"
DELIMITER_CANDIDATES = (",", ";", "\t", "|")
LEGACY_ENCODINGS = ("cp1252", "latin_1")
"""Single-byte encodings a file that is not UTF-8 is tried as, in order (Windows-1252 is what German ERPs write)."""

_CONTROL = {c for c in range(32) if c not in (9, 10, 13)}


def read_sample(path: Path, size: int = SAMPLE_BYTES) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def is_parquet(sample: bytes) -> bool:
    return sample[:4] == PARQUET_MAGIC


def looks_binary(sample: bytes) -> bool:
    """True for content no CSV export would contain: NUL bytes or many control characters."""
    head = sample[:65536]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b in _CONTROL)
    return bool(head) and controls / len(head) > 0.05


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
    except UnicodeDecodeError:
        pass
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
