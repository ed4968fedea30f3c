"""``custsync plan``, ``custsync apply`` and ``custsync sync``: the import path from source files to the API.

``plan`` shows (and with ``--out`` saves) exactly what a sync would send; ``apply plan.json`` sends exactly
that, or refuses when the records it touches changed since; ``sync`` is validate + plan + apply in one go.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from custsync.cli._app import app, console, emit_json, friendly_errors
from custsync.cli._options import (
    ClientOptions,
    ConcurrencyOpt,
    ContactKeyOpt,
    ForceOpt,
    FullOpt,
    JsonOpt,
    MappingOpt,
    MaxDeletesOpt,
    MaxInvalidOpt,
    ModeOpt,
    OnInvalidOpt,
    RateOpt,
    ScopeOpt,
    SourcesArg,
    StateDirOpt,
    StrictColumnsOpt,
)
from custsync.defaults import DEFAULT_STATE_DIR

if TYPE_CHECKING:  # the library pulls in pandas, pandera and pyarrow: imported where a command runs
    from custsync.apply import ApplyReport
    from custsync.pipeline import Loaded
    from custsync.reconcile import Plan, PlanOptions

SHOWN_CHANGES = 10
SINGULAR = {"customers": "customer", "addresses": "address", "contacts": "contact"}


@app.command("plan")
@friendly_errors
def plan_command(
    sources: SourcesArg,
    mapping: MappingOpt = None,
    mode: ModeOpt = "upsert",
    scope: ScopeOpt = None,
    max_deletes: MaxDeletesOpt = None,
    force: ForceOpt = False,
    full: FullOpt = False,
    contact_key: ContactKeyOpt = "name",
    out: Annotated[Path | None, typer.Option("--out", help="Save the plan as JSON for `custsync apply`.")] = None,
    state_dir: StateDirOpt = DEFAULT_STATE_DIR,
    on_invalid: OnInvalidOpt = "fail",
    max_invalid: MaxInvalidOpt = None,
    strict_columns: StrictColumnsOpt = False,
    requests_per_minute: RateOpt = None,
    concurrency: ConcurrencyOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Show what a sync would do (no write); with --out save the plan for `custsync apply`."""
    import asyncio

    from custsync import pipeline

    options = plan_options(mode, scope, max_deletes, force, full, contact_key)
    loaded = _load(sources, mapping, on_invalid, max_invalid, strict_columns)
    connection = ClientOptions(requests_per_minute, concurrency).connection()
    plan = asyncio.run(pipeline.plan(loaded.desired, connection, options=options, state_dir=state_dir))
    if out is not None:
        plan.save(out)
    if json_output:
        extra = {"plan_file": str(out) if out else None, "dry_run": True, "warnings": loaded.validation.warnings}
        emit_json(_json(plan, None, extra=extra))
        return
    _print_warnings(loaded.validation.warnings)
    _print_plan(plan)
    if out is not None:
        console.print(f"plan saved to {out} — run `custsync apply {out}` to carry it out")


@app.command("apply")
@friendly_errors
def apply_command(
    plan_file: Annotated[Path, typer.Argument(help="A plan saved by `custsync plan --out`.")],
    state_dir: StateDirOpt = DEFAULT_STATE_DIR,
    requests_per_minute: RateOpt = None,
    concurrency: ConcurrencyOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Carry out a saved plan exactly — or refuse when the records it touches changed in the API since.

    A run that was interrupted is resumed from the journal: what was done is not done again."""
    import asyncio

    from custsync import pipeline
    from custsync.reconcile import Plan

    plan = Plan.load(plan_file)
    connection = ClientOptions(requests_per_minute, concurrency).connection()
    show = not json_output and console.is_terminal
    applied = asyncio.run(
        pipeline.apply(plan, connection, state_dir=state_dir, check_fresh=True, progress=_bar if show else None)
    )
    _finish(plan, applied.report, applied.calls, json_output)


@app.command("sync")
@friendly_errors
def sync_command(
    sources: SourcesArg,
    mapping: MappingOpt = None,
    mode: ModeOpt = "upsert",
    scope: ScopeOpt = None,
    max_deletes: MaxDeletesOpt = None,
    force: ForceOpt = False,
    full: FullOpt = False,
    contact_key: ContactKeyOpt = "name",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan and show, write nothing.")] = False,
    state_dir: StateDirOpt = DEFAULT_STATE_DIR,
    on_invalid: OnInvalidOpt = "fail",
    max_invalid: MaxInvalidOpt = None,
    strict_columns: StrictColumnsOpt = False,
    requests_per_minute: RateOpt = None,
    concurrency: ConcurrencyOpt = None,
    report_path: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Also write the run report (validation, plan, results) as a self-contained HTML file."
        ),
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Validate the source, plan the difference to the API and apply it."""
    import asyncio

    from custsync import pipeline
    from custsync.report import ResultSummary, RunReport, write_html
    from custsync.report.build import apply_summary, calls_summary, plan_summary, validation_summary

    started = dt.datetime.now(dt.UTC)
    options = plan_options(mode, scope, max_deletes, force, full, contact_key)
    loaded = _load(sources, mapping, on_invalid, max_invalid, strict_columns)
    load = loaded.validation
    connection = ClientOptions(requests_per_minute, concurrency).connection()
    show = not json_output and console.is_terminal
    synced = asyncio.run(
        pipeline.sync(
            loaded.desired,
            connection,
            options=options,
            state_dir=state_dir,
            dry_run=dry_run,
            progress=_bar if show else None,
        )
    )
    plan, calls = synced.plan, synced.calls
    report = synced.applied.report if synced.applied is not None else None
    if report_path is not None:
        run = RunReport(
            kind="sync",
            api_url=connection.settings.url,
            sources=tuple(str(s) for s in sources),
            mapping=str(mapping) if mapping else None,
            started_at=started,
            finished_at=dt.datetime.now(dt.UTC),
            validation=validation_summary(
                load.counts,
                load.failures,
                warnings=load.warnings,
                source_rows=load.source_rows,
                rejected_rows=load.rejected_rows,
            ),
            plan=plan_summary(plan),
            results=apply_summary(report) if report is not None else ResultSummary(dry_run=True),
            calls=calls_summary(calls),
        )
        written = write_html(run, report_path)
        if not json_output:
            console.print(f"report written to [bold]{escape(str(written))}[/]", highlight=False)
    if not json_output:
        _print_warnings(load.warnings)
    if report is None:
        if json_output:
            emit_json(_json(plan, None, extra={"dry_run": True, "warnings": load.warnings}))
        else:
            _print_plan(plan)
            console.print("dry run: nothing was written")
        return
    if not json_output:
        _print_plan(plan)
    _finish(plan, report, calls, json_output, warnings=load.warnings)


# -- the work ----------------------------------------------------------------------------------------------


def plan_options(
    mode: str, scope: str | None, max_deletes: int | None, force: bool, full: bool, contact_key: str = "name"
) -> PlanOptions:
    from custsync.pipeline import plan_options as parse

    return parse(mode, scope, max_deletes, force, full, contact_key)


def _load(
    sources: Sequence[Path], mapping: Path | None, on_invalid: str, max_invalid: str | None, strict_columns: bool
) -> Loaded:
    """Read, map and validate the source — before any API call, so an invalid strict source writes nothing."""
    from custsync import pipeline

    loaded = pipeline.load(sources, mapping)
    pipeline.check_policy(loaded, on_invalid, max_invalid, strict_columns=strict_columns)  # type: ignore[arg-type]
    return loaded


@contextmanager
def _bar(plan: Plan) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr while applying (only on a terminal and without --json)."""
    if plan.operations == 0:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("applying"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    ) as bar:
        task = bar.add_task("apply", total=plan.operations)
        yield lambda n: bar.advance(task, n)


# -- output ---------------------------------------------------------------------------------------------------


def _json(
    plan: Plan, report: ApplyReport | None, *, calls: dict[str, int] | None = None, extra: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {"plan_id": plan.plan_id(), "mode": plan.meta.mode, "scope": plan.meta.scope}
    for entity in plan.entities:
        counts = entity.counts()
        if report is not None:
            done = report.done[entity.entity]
            failed = sum(1 for f in report.failures if f.entity == entity.entity)
            counts.update(create=done["create"], update=done["update"], delete=done["delete"], failed=failed)
        else:
            counts["failed"] = 0
        counts["write_calls"] = entity.write_calls
        if entity.kept_empty:
            counts["kept_empty"] = dict(entity.kept_empty)
        out[entity.entity] = counts
    out["calls"] = calls if calls is not None else dict(plan.calls)
    out["listing"] = plan.listing.summary()
    if report is not None:
        out["ok"] = report.ok
        out["resumed"] = report.resumed
        out["failures"] = [f.__dict__ for f in report.failures]
    out.update(extra)
    return out


def _finish(
    plan: Plan, report: ApplyReport, calls: dict[str, int], json_output: bool, *, warnings: Sequence[str] = ()
) -> None:
    if json_output:
        emit_json(_json(plan, report, calls=calls, extra={"dry_run": False, "warnings": list(warnings)}))
    else:
        _print_report(report, calls)
    if not report.ok:
        raise typer.Exit(1)


def _print_warnings(warnings: Sequence[str]) -> None:
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)


def _print_plan(plan: Plan) -> None:
    from rich.table import Table

    from custsync.report.build import readable_key

    table = Table(title=f"plan ({plan.meta.mode}{', scope ' + plan.meta.scope if plan.meta.scope else ''})")
    for column in ("entity", "create", "update", "delete", "unchanged", "skipped"):
        table.add_column(column, justify="left" if column == "entity" else "right")
    for entity in plan.entities:
        counts = entity.counts()
        table.add_row(entity.entity, *(str(counts[c]) for c in ("create", "update", "delete", "unchanged", "skipped")))
    console.print(table)
    for entity in plan.entities:
        if entity.kept_empty:
            listed = ", ".join(f"{column} {n}" for column, n in sorted(entity.kept_empty.items()))
            console.print(
                f"{entity.entity}: empty source cells left as the API has them (it takes no null there): {listed}",
                highlight=False,
                markup=False,
            )
    followups = sum(1 for c in plan.customers.creates if c.then)
    if followups:
        console.print(
            f"{followups} new customer(s) take a create and a follow-up PATCH (members outside the create body)",
            highlight=False,
        )
    shown = 0
    for entity in plan.entities:
        for update in entity.updates:
            if shown >= SHOWN_CHANGES:
                break
            console.print(f"~ {SINGULAR[entity.entity]} {readable_key(update.key)}", highlight=False, markup=False)
            for column, (before, after) in update.changes.items():
                console.print(f"    {column}: {before!r} -> {after!r}", highlight=False, markup=False)
            shown += 1
    for entity in plan.entities:
        for create in entity.creates[:3]:
            console.print(f"+ {SINGULAR[entity.entity]} {readable_key(create.key)}", highlight=False, markup=False)
        for delete in entity.deletes[:3]:
            console.print(
                f"- {SINGULAR[entity.entity]} {readable_key(delete.key)} (id {delete.id})",
                highlight=False,
                markup=False,
            )
    console.print(plan.listing.describe(), highlight=False, markup=False)
    console.print(f"API calls spent planning: {plan.calls.get('total', 0)} ({plan.calls.get('GET', 0)} GET)")


def _print_report(report: ApplyReport, calls: dict[str, int]) -> None:
    from custsync.api import calls_text
    from custsync.report.build import readable_key

    for entity, done in report.done.items():
        console.print(f"{entity}: {done['create']} created, {done['update']} updated, {done['delete']} deleted")
    if report.resumed:
        console.print(f"{report.resumed} operation(s) were already done by an interrupted run (not repeated)")
    for failure in report.failures[:20]:
        where = f" ({failure.source})" if failure.source else ""
        detail = f" {failure.problem}" if failure.problem else ""
        noun = SINGULAR.get(failure.entity, failure.entity)
        text = f"{failure.kind} {noun} {readable_key(failure.key)}{where}: {failure.message}{detail}"
        console.print(f"[red]failed[/] {escape(text)}", highlight=False)
    if len(report.failures) > 20:
        console.print(f"... and {len(report.failures) - 20} more failures (see --json)")
    console.print(f"API calls: {calls_text(calls)}")
