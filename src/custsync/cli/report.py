"""``custsync report``: what a sync would do, as the run report people want to look at (HTML, no write).

The same report the Prefect flows publish: validation per entity and rule, the rejects, the plan per entity and
operation with the first changes field by field, the calls spent — written as one self-contained HTML file
with inline charts, to open in a browser or attach to a ticket.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from custsync.cli._app import app, console, emit_json, friendly_errors
from custsync.cli._options import ClientOptions, JsonOpt, ScopeOpt, StrictColumnsOpt
from custsync.cli.sync import plan_options
from custsync.defaults import DEFAULT_REPORT_DIR, DEFAULT_STATE_DIR

if TYPE_CHECKING:  # pandas and friends: imported when the command runs, not for --help
    from custsync.report import RunReport


@app.command("report")
@friendly_errors
def report_command(
    sources: Annotated[list[Path], typer.Argument(help="Source files (CSV/Parquet) or directories.")],
    mapping: Annotated[
        Path | None, typer.Option("--mapping", "-m", help="Mapping file (default: canonical layout).")
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="upsert, insert, update or mirror.")] = "upsert",
    scope: ScopeOpt = None,
    full: Annotated[bool, typer.Option("--full", help="List every customer and their addresses and contacts.")] = False,
    contact_key: Annotated[
        str, typer.Option("--contact-key", help="Contacts are identified by: name or email.")
    ] = "name",
    offline: Annotated[bool, typer.Option("--offline", help="Validation only: no API call, no plan.")] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help=f"HTML file to write (default: {DEFAULT_REPORT_DIR}/sync-<UTC time>.html)."),
    ] = None,
    markdown: Annotated[Path | None, typer.Option("--markdown", help="Also write the report as markdown here.")] = None,
    state_dir: Annotated[Path, typer.Option("--state-dir", help="Where the state store lives.")] = DEFAULT_STATE_DIR,
    requests_per_minute: Annotated[
        float | None, typer.Option("--requests-per-minute", help="Client rate limit.")
    ] = None,
    strict_columns: StrictColumnsOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Validate the source and plan the sync (no write); write the run report as a self-contained HTML file.

    Every row is validated and reported, invalid ones included; the plan covers the valid rows. With --offline
    the report holds the validation only. Needs CUSTSYNC_API_URL and CUSTSYNC_API_TOKEN unless --offline.
    """
    import asyncio

    from custsync import pipeline
    from custsync.report import ResultSummary, RunReport, render_markdown, report_filename, write_html
    from custsync.report.build import calls_summary, plan_summary, validation_summary

    report = RunReport(kind="sync", sources=tuple(str(s) for s in sources), mapping=str(mapping) if mapping else None)
    clock = time.perf_counter()
    loaded = pipeline.load(sources, mapping)
    load = loaded.validation
    if strict_columns:
        pipeline.check_policy(loaded, "skip", None, strict_columns=True)  # the columns only: the report shows rejects
    report = replace(
        report,
        validation=validation_summary(
            load.counts,
            load.failures,
            warnings=load.warnings,
            source_rows=load.source_rows,
            rejected_rows=load.rejected_rows,
        ),
        timings={"read, map, validate": round(time.perf_counter() - clock, 3)},
    )
    if not offline:
        options = plan_options(mode, scope, None, False, full, contact_key)
        connection = ClientOptions(requests_per_minute, None).connection()
        clock = time.perf_counter()
        plan = asyncio.run(
            pipeline.plan(loaded.desired, connection, options=options, state_dir=state_dir, refuse_over_limit=False)
        )
        report = replace(
            report,
            api_url=connection.settings.url,
            plan=plan_summary(plan),
            results=ResultSummary(dry_run=True),
            calls=calls_summary(plan.calls),
            timings={**report.timings, "fetch and plan": round(time.perf_counter() - clock, 3)},
        )
    report = replace(report, finished_at=dt.datetime.now(dt.UTC))
    path = write_html(report, out or DEFAULT_REPORT_DIR / report_filename(report))
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(render_markdown(report), encoding="utf-8")
    if json_output:
        emit_json({**report.to_dict(), "html": str(path), "markdown": str(markdown) if markdown else None})
        return
    _print(report, path)


def _print(report: RunReport, path: Path) -> None:
    v = report.validation
    if v is not None:
        rows = f"{v.source_rows} source rows, {v.rejected_rows or 0} rejected; " if v.source_rows is not None else ""
        console.print(f"validation: {rows}{v.records_said()}", highlight=False)
        for warning in v.warnings:
            console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    if report.plan is not None:
        for e in report.plan.entities:
            console.print(
                f"plan {e.entity}: create {e.create}, update {e.update}, delete {e.delete}, unchanged {e.unchanged}",
                highlight=False,
            )
        for reason in report.plan.refused:
            console.print(f"[red]refused:[/] {escape(reason)}", highlight=False)
    console.print(f"report written to [bold]{path}[/]", highlight=False)
