"""Snapshots of the API's customer master data as Parquet/CSV, full or incremental.

    from custsync.export import ExportOptions, export_snapshot
    result = export_snapshot(api, ExportOptions(out=Path("snapshots"), formats=("parquet", "csv")))

The files and the manifest are described in :mod:`custsync.io.snapshot`; read a snapshot back with
:func:`read_snapshot`.
"""

from custsync.defaults import DEFAULT_ROLLING_SHARE
from custsync.export.incremental import rolling_ids
from custsync.export.runner import (
    ExportOptions,
    ExportProgress,
    ExportResult,
    aexport_snapshot,
    export_snapshot,
)
from custsync.io import (
    CSV_DIALECTS,
    FORMATS,
    Manifest,
    Snapshot,
    latest_snapshot,
    list_snapshots,
    read_snapshot,
    verify_snapshot,
)

__all__ = [
    "CSV_DIALECTS",
    "DEFAULT_ROLLING_SHARE",
    "FORMATS",
    "ExportOptions",
    "ExportProgress",
    "ExportResult",
    "Manifest",
    "Snapshot",
    "aexport_snapshot",
    "export_snapshot",
    "latest_snapshot",
    "list_snapshots",
    "read_snapshot",
    "rolling_ids",
    "verify_snapshot",
]
