"""The export flow: a snapshot of the API's customer master data, full or incremental, plus its report."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from prefect import flow, get_run_logger
from prefect.states import State

from custsync.defaults import DEFAULT_REPORT_DIR, DEFAULT_ROLLING_SHARE
from custsync.errors import CustsyncError
from custsync.export import ExportOptions
from custsync.io import FORMATS
from flows.artifacts import FlowOutcome
from flows.connection import ApiTarget
from flows.recorder import RunRecorder
from flows.tasks import export_task


@flow(name="custsync-export", log_prints=False, persist_result=False)
def export_flow(
    out: Path = Path("snapshots"),
    format: Literal["parquet", "csv", "both"] = "parquet",
    incremental: bool = False,
    rolling_share: int = DEFAULT_ROLLING_SHARE,
    csv_dialect: Literal["default", "excel-de"] = "default",
    api: ApiTarget = ApiTarget(),
    report_dir: Path = DEFAULT_REPORT_DIR,
) -> FlowOutcome | State:
    """Write one snapshot into ``out``; publish what it holds and what it cost."""
    log = get_run_logger()
    run = RunRecorder("export", api_url=api.display_url)
    try:
        options = ExportOptions(
            out=out,
            formats=FORMATS[format],
            incremental=incremental,
            rolling_share=rolling_share,
            csv_dialect=csv_dialect,
        )
        with run.stage("export"):
            result = export_task(api, options)
    except CustsyncError as exc:  # the API unreachable after the retries, bad settings, unwritable output
        return run.fail(report_dir, exc.message)
    run.exported(result)
    outcome = run.publish(report_dir)
    rows = ", ".join(f"{n} {name}" for name, n in result.rows.items())
    log.info("snapshot %s (%s); report %s", result.path, rows, outcome.html)
    return outcome
