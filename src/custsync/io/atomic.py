"""Atomic file and directory writes: a reader sees the old state or the complete new one, never a half.

The recipe is the classic one: write to a temporary name in the same directory (same file system), flush and
fsync the data, ``os.replace`` / ``os.rename`` onto the final name, then fsync the directory so the rename itself
survives a power cut. Temporary names start with ``.tmp-`` so that a listing of snapshots can skip them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

TMP_PREFIX = ".tmp-"
"""Prefix of every temporary file or directory written here; anything carrying it is incomplete by definition."""


def fsync_file(path: Path) -> None:
    """Flush a file's data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Flush a directory entry table (needed after a rename for it to be durable). A no-op where unsupported."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def tmp_name(final: Path) -> Path:
    """A unique temporary sibling of ``final``."""
    return final.with_name(f"{TMP_PREFIX}{final.name}-{secrets.token_hex(4)}")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step."""
    path = Path(path)
    tmp = tmp_name(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    """Replace ``path`` with UTF-8 ``text`` in one step."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_symlink(target: str, link: Path) -> None:
    """Point the symlink ``link`` at ``target`` in one step (a new link renamed over the old one)."""
    link = Path(link)
    tmp = tmp_name(link)
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(link.parent)


def fsync_tree(root: Path) -> None:
    """fsync every file below ``root``, then every directory, deepest first."""
    dirs: list[Path] = []
    for current, _subdirs, files in os.walk(root):
        dirs.append(Path(current))
        for name in files:
            fsync_file(Path(current) / name)
    for directory in reversed(dirs):
        fsync_dir(directory)


@contextlib.contextmanager
def staged_directory(final: Path) -> Iterator[Path]:
    """Yield a temporary directory next to ``final``; on success fsync it and rename it to ``final``.

    On any exception (including ``KeyboardInterrupt``) the temporary directory is removed and ``final`` is not
    created. A process killed outright leaves only a ``.tmp-`` directory, which never looks complete.
    """
    final = Path(final)
    if final.exists():
        raise FileExistsError(f"{final} already exists")
    tmp = tmp_name(final)
    tmp.mkdir(parents=False)
    try:
        yield tmp
        fsync_tree(tmp)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_dir(final.parent)
