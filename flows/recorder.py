"""Collects what a flow run did, stage by stage, into one :class:`RunReport`, then publishes it.

The flow body stays a list of stages; timing them, summarising their results and writing the artifacts and
the HTML file happen here, the same way for every flow.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from prefect import get_run_logger
from prefect.states import Failed, State

from custsync.report import ExportSummary, ResultSummary, RunReport
from custsync.report.build import apply_summary, calls_summary, plan_summary, reject_records, validation_summary
from flows.artifacts import FlowOutcome, publish_report, write_report_file


class RunRecorder:
    def __init__(
        self, kind: str, *, api_url: str | None, sources: Sequence[Path] = (), mapping: Path | None = None
    ) -> None:
        self.report = RunReport(
            kind=kind,
            api_url=api_url,
            sources=tuple(str(p) for p in sources),
            mapping=str(mapping) if mapping else None,
            started_at=dt.datetime.now(dt.UTC),
        )
        self.rejects: list[dict[str, Any]] = []
        self._calls: list[Mapping[str, Any]] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the ``with`` block as stage ``name`` (also when it raises)."""
        clock = time.perf_counter()
        try:
            yield
        finally:
            timings = {**self.report.timings, name: round(time.perf_counter() - clock, 3)}
            self.report = replace(self.report, timings=timings)

    def validated(self, load: Any) -> None:
        """From a :class:`custsync.source.SourceLoad`."""
        self.report = replace(
            self.report,
            validation=validation_summary(
                load.counts,
                load.failures,
                warnings=load.warnings,
                source_rows=load.source_rows,
                rejected_rows=load.rejected_rows,
            ),
        )
        self.rejects = reject_records(load.failures)

    def planned(self, plan: Any) -> None:
        self._calls.append(plan.calls)
        self.report = replace(self.report, plan=plan_summary(plan))

    def applied(self, result: Any, calls: Mapping[str, Any]) -> None:
        self._calls.append(calls)
        self.report = replace(self.report, results=apply_summary(result))

    def dry_run(self) -> None:
        self.report = replace(self.report, results=ResultSummary(dry_run=True))

    def exported(self, result: Any) -> None:
        self._calls.append(result.calls)
        summary = ExportSummary(path=str(result.path), rows=dict(result.rows), incremental=result.mode != "full")
        self.report = replace(self.report, export=summary, run_id=result.run_id)

    def fail(self, report_dir: Path, message: str) -> State:
        """Publish what is known so far and end the run Failed with ``message`` (no traceback for a known error)."""
        outcome = self.publish(report_dir)
        get_run_logger().error("%s; report %s", message, outcome.html)
        return Failed(message=message)

    def conclude(self, report_dir: Path, success: str) -> FlowOutcome | State:
        """Publish, then end the run Failed if any operation failed (the report lists them), else log ``success``."""
        outcome = self.publish(report_dir)
        failed = outcome.report.results.failed if outcome.report.results else 0
        if failed:
            get_run_logger().error("%d operations failed; report %s", failed, outcome.html)
            return Failed(message=f"{failed} operations failed: see the custsync-{self.report.kind}-report artifact")
        get_run_logger().info("%s; report %s", success, outcome.html)
        return outcome

    def publish(self, report_dir: Path) -> FlowOutcome:
        """Finish the report, publish the artifacts and write the HTML file."""
        calls = calls_summary(*self._calls) if self._calls else {}
        self.report = replace(self.report, finished_at=dt.datetime.now(dt.UTC), calls=calls)
        publish_report(self.report, self.rejects)
        return FlowOutcome(self.report, write_report_file(self.report, report_dir))
