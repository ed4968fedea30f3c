"""An interrupted export never leaves a directory that looks complete, and ``latest`` keeps naming the old one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from custsync.errors import InputError
from custsync.io import atomic
from custsync.io import snapshot as snap

INFO = snap.SnapshotInfo(api_url="http://127.0.0.1:1/")


def _entries(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir())


def test_exception_mid_write_leaves_nothing_and_keeps_latest(tmp_path, frames, monkeypatch):
    good = snap.write_snapshot(tmp_path, frames, INFO)
    before = _entries(tmp_path)

    calls = []

    def failing_csv(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_csv(*args, **kwargs)

    real_csv = snap.write_csv
    monkeypatch.setattr(snap, "write_csv", failing_csv)
    with pytest.raises(OSError, match="disk full"):
        snap.write_snapshot(tmp_path, frames, INFO, formats=("parquet", "csv"))

    assert _entries(tmp_path) == before
    assert snap.latest_snapshot(tmp_path) == good
    assert snap.list_snapshots(tmp_path) == [good]


def test_keyboard_interrupt_mid_write_cleans_up(tmp_path, frames, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(snap, "write_parquet", interrupted)
    with pytest.raises(KeyboardInterrupt):
        snap.write_snapshot(tmp_path, frames, INFO)
    assert [p for p in tmp_path.iterdir() if p.name not in ("LATEST", "latest")] == []
    assert snap.latest_snapshot(tmp_path) is None


_KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {tests!r})
    from conftest import awkward_frames
    from custsync.io import snapshot as snap

    real = snap.write_csv
    def slow_csv(*args, **kwargs):
        real(*args, **kwargs)
        print("WRITING", flush=True)
        time.sleep(60)
    snap.write_csv = slow_csv
    snap.write_snapshot({out!r}, awkward_frames(), snap.SnapshotInfo(api_url="x"), formats=("parquet", "csv"))
    """
)


def test_sigkill_mid_write_leaves_only_a_staging_dir(tmp_path, frames):
    good = snap.write_snapshot(tmp_path, frames, INFO)
    script = _KILLED_WRITER.format(tests=str(Path(__file__).parent), out=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "WRITING"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)

    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(atomic.TMP_PREFIX)]
    assert len(leftovers) == 1 and any(leftovers[0].iterdir())  # half-written files exist...
    assert snap.list_snapshots(tmp_path) == [good]  # ...but nothing looks complete
    assert snap.latest_snapshot(tmp_path) == good
    with pytest.raises(InputError, match="incomplete snapshot"):
        snap.read_snapshot(leftovers[0])
    assert snap.remove_stale_staging(tmp_path) == leftovers
    assert snap.list_snapshots(tmp_path) == [good]


def test_atomic_write_text_replaces_in_one_step(tmp_path):
    target = tmp_path / "LATEST"
    atomic.atomic_write_text(target, "a\n")
    atomic.atomic_write_text(target, "b\n")
    assert target.read_text() == "b\n"
    assert _entries(tmp_path) == ["LATEST"]


def test_staged_directory_refuses_an_existing_target(tmp_path):
    (tmp_path / "done").mkdir()
    with pytest.raises(FileExistsError), atomic.staged_directory(tmp_path / "done"):
        time.sleep(0)
