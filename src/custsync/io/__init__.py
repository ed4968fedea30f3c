"""Reading and writing files: source readers, snapshot writers, atomic writes.

Code outside this package imports from here, never from its modules. The names load lazily (PEP 562): a
command that only needs an atomic write does not pay for pandas and pyarrow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from custsync.io.atomic import atomic_write_bytes, atomic_write_text, staged_directory
    from custsync.io.readers import ROW, RawTable, ReadOptions, read_table
    from custsync.io.rejects import (
        write_rejects,
    )
    from custsync.io.snapshot import (
        CSV_DIALECTS,
        FORMATS,
        LATEST_FILE,
        LATEST_LINK,
        MANIFEST_NAME,
        Format,
        Manifest,
        Snapshot,
        SnapshotInfo,
        csv_dialect,
        latest_snapshot,
        list_snapshots,
        new_run_id,
        read_manifest,
        read_snapshot,
        verify_snapshot,
        write_snapshot,
    )

_HOMES: dict[str, tuple[str, ...]] = {
    "atomic": ("atomic_write_bytes", "atomic_write_text", "staged_directory"),
    "readers": ("ROW", "RawTable", "ReadOptions", "read_table"),
    "rejects": ("write_rejects",),
    "snapshot": (
        "CSV_DIALECTS",
        "FORMATS",
        "LATEST_FILE",
        "LATEST_LINK",
        "MANIFEST_NAME",
        "Format",
        "Manifest",
        "Snapshot",
        "SnapshotInfo",
        "csv_dialect",
        "latest_snapshot",
        "list_snapshots",
        "new_run_id",
        "read_manifest",
        "read_snapshot",
        "verify_snapshot",
        "write_snapshot",
    ),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "CSV_DIALECTS",
    "FORMATS",
    "LATEST_FILE",
    "LATEST_LINK",
    "MANIFEST_NAME",
    "ROW",
    "Format",
    "Manifest",
    "RawTable",
    "ReadOptions",
    "Snapshot",
    "SnapshotInfo",
    "atomic_write_bytes",
    "atomic_write_text",
    "csv_dialect",
    "latest_snapshot",
    "list_snapshots",
    "new_run_id",
    "read_manifest",
    "read_snapshot",
    "read_table",
    "staged_directory",
    "verify_snapshot",
    "write_rejects",
    "write_snapshot",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
