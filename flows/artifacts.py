"""What a flow run leaves in the Prefect UI: the run report as markdown, the rejects as a table, the HTML file.

Artifact keys stay the same from run to run (``custsync-sync-report``, ``custsync-sync-rejects``...), so the UI
shows each key's history: last night's report next to tonight's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from custsync.report import RunReport, render_markdown, report_filename, write_html

MAX_TABLE_ROWS = 1000
"""Rejects published as a table artifact; the rejects file written next to the report holds every one."""


@dataclass(frozen=True)
class FlowOutcome:
    """What a flow returns: its report, and where the HTML version of it was written."""

    report: RunReport
    html: Path


def artifact_key(kind: str, what: str) -> str:
    """A valid artifact key (lowercase letters, digits, dashes) for ``kind`` and ``what``."""
    return re.sub(r"[^a-z0-9-]+", "-", f"custsync-{kind}-{what}".lower()).strip("-")


def publish_report(report: RunReport, rejects: list[dict[str, Any]] | None = None) -> None:
    """The markdown report, and the rejects table when there are rejects."""
    create_markdown_artifact(
        markdown=render_markdown(report),
        key=artifact_key(report.kind, "report"),
        description=f"custsync {report.kind}: validation, plan and results",
    )
    if rejects:
        shown = rejects[:MAX_TABLE_ROWS]
        more = f" (first {len(shown)} of {len(rejects)})" if len(rejects) > len(shown) else ""
        create_table_artifact(
            table=shown,
            key=artifact_key(report.kind, "rejects"),
            description=f"rows refused by validation{more}: file, row, entity, column, rule, value, message",
        )


def write_report_file(report: RunReport, directory: Path) -> Path:
    """The self-contained HTML report, named after the run's kind and start time."""
    return write_html(report, Path(directory) / report_filename(report))
