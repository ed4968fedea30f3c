"""Each source file is read once: parsed and hashed from the same bytes (the plan records the SHA-256).

The files are named pipes: a pipe gives its bytes to one reader only, so a second open — to hash, to guess the
encoding, to sniff the header, by Python or by Arrow — finds nothing, and a watcher counts it. A
snapshot's files must be regular files (their manifest gives sizes), so there every ``open`` is counted.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from custsync import pipeline
from custsync.io import write_snapshot
from custsync.io.snapshot import SnapshotInfo

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = ROOT / "sample_data" / "canonical"

pytestmark = pytest.mark.skipif(
    not hasattr(os, "mkfifo") or not Path("/proc/self/fd").is_dir(), reason="named pipes and /proc (Linux)"
)


class Pipe:
    """A named pipe that hands ``content`` to its first reader and counts the readers that open it after."""

    def __init__(self, path: Path, content: bytes) -> None:
        self.path = path
        self.content = content
        self.later_opens = 0
        self._stop = threading.Event()
        os.mkfifo(path)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with open(self.path, "wb") as pipe:  # blocks until the first reader opens it
            pipe.write(self.content)
        while not self._stop.is_set():
            if self._held_open():  # the reader is still reading (a reader waiting in open() holds no fd yet)
                time.sleep(0.002)
                continue
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)  # succeeds only when a reader is there
            except OSError as exc:
                if exc.errno != errno.ENXIO:
                    raise
                time.sleep(0.002)
                continue
            self.later_opens += 1
            os.close(fd)  # that reader gets an empty file

    def _held_open(self) -> bool:
        for fd in os.listdir("/proc/self/fd"):
            try:
                if os.readlink(f"/proc/self/fd/{fd}") == str(self.path):
                    return True
            except OSError:
                continue
        return False

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@contextmanager
def pipes(files: dict[Path, bytes]) -> Iterator[list[Pipe]]:
    made = [Pipe(path, content) for path, content in files.items()]
    try:
        yield made
    finally:
        for pipe in made:
            pipe.stop()


def _parquet(csv_file: Path) -> bytes:
    out = io.BytesIO()
    pd.read_csv(csv_file, dtype=str).to_parquet(out)
    return out.getvalue()


def test_csv_and_parquet_sources_are_read_once_and_hashed_from_those_bytes(tmp_path: Path) -> None:
    files = {
        tmp_path / "customers.csv": (CANONICAL / "customers.csv").read_bytes(),
        tmp_path / "addresses.parquet": _parquet(CANONICAL / "addresses.csv"),
        tmp_path / "people-export.csv": (CANONICAL / "contacts.csv").read_bytes(),  # assigned by its header
    }
    with pipes(files) as made:
        loaded = pipeline.load(list(files))
    assert {p.path.name: p.later_opens for p in made} == {p.name: 0 for p in files}
    assert {s.path: s.sha256 for s in loaded.desired.sources} == {
        str(path): hashlib.sha256(content).hexdigest() for path, content in files.items()
    }
    assert {name: len(frame) for name, frame in loaded.desired.frames.items()} == {
        name: len(pd.read_csv(CANONICAL / f"{name}.csv")) for name in ("customers", "addresses", "contacts")
    }


def test_a_snapshot_source_reads_each_of_its_files_once(tmp_path: Path) -> None:
    frames = pipeline.load([CANONICAL]).validation.frames
    snapshot = write_snapshot(
        tmp_path / "snapshots", frames, SnapshotInfo(api_url="http://127.0.0.1:1/"), formats=("parquet", "csv")
    )
    data_files = {str(p) for p in snapshot.rglob("*") if p.suffix in (".csv", ".parquet")}
    opened: Counter[str] = Counter()
    counting = True

    def count(event: str, args: tuple[object, ...]) -> None:
        if counting and event == "open" and str(args[0]) in data_files:
            opened[str(args[0])] += 1

    sys.addaudithook(count)  # audit hooks cannot be removed: this one goes quiet after the load
    try:
        loaded = pipeline.load([snapshot])
    finally:
        counting = False
    assert opened == Counter(dict.fromkeys(data_files, 1))
    assert len(loaded.desired.frames["customers"]) == len(frames["customers"])
    recorded = {s.path: s.sha256 for s in loaded.desired.sources}
    for path in recorded:
        assert recorded[path] == hashlib.sha256(Path(path).read_bytes()).hexdigest()
