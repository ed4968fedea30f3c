"""The export flow: a snapshot of the API's customer master data, full or incremental, plus its report."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Literal

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from custsync.export import ExportOptions, ExportResult, export_snapshot
from custsync.export.incremental import DEFAULT_ROLLING_SHARE
from custsync.io.snapshot import FORMATS
from custsync.report import ExportSummary, RunReport
from custsync.report.build import calls_summary
from flows.artifacts import FlowOutcome, publish_report, write_report_file
from flows.connection import ApiTarget, open_api


@task(retries=2, retry_delay_seconds=[10, 60], cache_policy=NO_CACHE, persist_result=False)
def export_task(api: ApiTarget, options: ExportOptions) -> ExportResult:
    """Safe to retry: a snapshot is staged and renamed into place only when complete."""
    with open_api(api) as client:
        return export_snapshot(client, options)


@flow(name="custsync-export", log_prints=False, persist_result=False)
def export_flow(
    out: Path = Path("snapshots"),
    format: Literal["parquet", "csv", "both"] = "parquet",
    incremental: bool = False,
    rolling_share: int = DEFAULT_ROLLING_SHARE,
    csv_dialect: Literal["default", "excel-de"] = "default",
    api: ApiTarget = ApiTarget(),
    report_dir: Path = Path(".custsync/reports"),
) -> FlowOutcome:
    """Write one snapshot into ``out`` and publish what it holds and what it cost."""
    log = get_run_logger()
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    options = ExportOptions(
        out=out, formats=FORMATS[format], incremental=incremental, rolling_share=rolling_share, csv_dialect=csv_dialect
    )
    result = export_task(api, options)
    report = RunReport(
        kind="export",
        api_url=api.resolved_url(),
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC),
        export=ExportSummary(path=str(result.path), rows=dict(result.rows), incremental=result.mode != "full"),
        calls=calls_summary(result.calls),
        timings={"export": time.perf_counter() - clock},
        run_id=result.run_id,
    )
    publish_report(report)
    html = write_report_file(report, report_dir)
    log.info("snapshot %s (%s); report %s", result.path, _rows(result.rows), html)
    return FlowOutcome(report, html)


def _rows(rows: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in rows.items())
