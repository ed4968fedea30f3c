"""``custsync export``: write a snapshot of the API's customer master data (see docs/export.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from custsync.cli._app import app, console, emit_json, friendly_errors
from custsync.cli._options import ClientOptions, ConcurrencyOpt, JsonOpt, StateDirOpt
from custsync.defaults import DEFAULT_ROLLING_SHARE, DEFAULT_STATE_DIR
from custsync.errors import ConfigError

if TYPE_CHECKING:  # httpx, pandas and pyarrow: imported when the command runs, not for --help
    from custsync.api import Filter
    from custsync.export import ExportResult


@app.command("export", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@friendly_errors
def export_command(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="Directory that holds the snapshots (created when missing)."),
    format: str = typer.Option("parquet", "--format", help="parquet, csv or both."),
    incremental: bool = typer.Option(
        False, "--incremental", help="Fetch only what changed since the latest snapshot in --out and merge."
    ),
    rolling_share: int = typer.Option(
        DEFAULT_ROLLING_SHARE,
        "--rolling-share",
        help="Incremental: also refresh addresses/contacts of 1/N of the unchanged customers (0 = never).",
    ),
    dialect: str = typer.Option("default", "--csv-dialect", help="default (UTF-8, comma) or excel-de."),
    neutralise: bool = typer.Option(
        True,
        "--neutralise-formulas/--no-neutralise-formulas",
        help="Prefix ' to CSV text starting with = + - @ tab or CR, so spreadsheets do not run it.",
    ),
    requests_per_minute: float | None = typer.Option(
        None, "--requests-per-minute", help="Client rate limit (default: the production API's 100/min)."
    ),
    concurrency: ConcurrencyOpt = None,
    state_dir: StateDirOpt = DEFAULT_STATE_DIR,
    json_output: JsonOpt = False,
) -> None:
    """Export customers, addresses and contacts as a snapshot directory (Parquet/CSV + manifest.json).

    Select customers with --filter KEY OP VALUE (repeatable, AND-combined), e.g. --filter city equals Berlin;
    in, notIn and between take comma-separated values. Sub-resources follow their customers.
    """
    from custsync.api import CustomerApi
    from custsync.export import CSV_DIALECTS, FORMATS, ExportOptions, export_snapshot

    if format not in FORMATS:
        raise ConfigError(f"unknown --format {format!r}", hint=f"choose one of: {', '.join(FORMATS)}")
    if dialect not in CSV_DIALECTS:
        raise ConfigError(f"unknown --csv-dialect {dialect!r}", hint=f"choose one of: {', '.join(CSV_DIALECTS)}")
    options = ExportOptions(
        out=out,
        formats=FORMATS[format],
        incremental=incremental,
        filters=parse_filters(ctx.args),
        rolling_share=rolling_share,
        csv_dialect=dialect,
        neutralise_formulas=neutralise,
        state_dir=state_dir,
    )
    settings = ClientOptions(requests_per_minute, concurrency).settings()
    show_bar = not json_output and console.is_terminal
    with CustomerApi(settings) as api, _Bar(enabled=show_bar) as bar:
        result = export_snapshot(api, options, bar if show_bar else None)
    if json_output:
        emit_json(result.to_json())
    else:
        _print_summary(result)


def parse_filters(args: list[str]) -> tuple[Filter, ...]:
    """The ``--filter KEY OP VALUE`` triples among the extra arguments (Typer has no repeatable 3-tuples)."""
    filters: list[Filter] = []
    rest = list(args)
    while rest:
        if rest[0] != "--filter":
            raise ConfigError(f"unexpected argument {rest[0]!r}", hint="see custsync export --help")
        if len(rest) < 4:
            raise ConfigError(f"--filter needs KEY OP VALUE, got {' '.join(rest[1:]) or 'nothing'}")
        filters.append(parse_filter(rest[1], rest[2], rest[3]))
        rest = rest[4:]
    return tuple(filters)


def parse_filter(key: str, op: str, value: str) -> Filter:
    """``KEY OP VALUE`` from the command line as a typed filter; lists and ranges are comma-separated."""
    from custsync.api import Filter

    parsed: Any = value
    if op in ("in", "notIn"):
        parsed = [v.strip() for v in value.split(",") if v.strip()]
    elif op == "between":
        parsed = tuple(v.strip() for v in value.split(",", 1))
    try:
        return Filter(key, op, parsed)
    except ValueError as exc:
        raise ConfigError(f"--filter {key} {op} {value}: {exc}") from None


class _Bar:
    """A rich progress bar on stderr implementing :class:`custsync.export.ExportProgress`."""

    def __init__(self, *, enabled: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.enabled = enabled
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task: Any = None

    def __enter__(self) -> _Bar:
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.enabled:
            self.progress.stop()

    def stage(self, description: str, total: int | None = None) -> None:
        if self.task is not None:
            self.progress.update(self.task, visible=False)
        self.task = self.progress.add_task(description, total=total)

    def advance(self, done: int, total: int) -> None:
        self.progress.update(self.task, completed=done, total=total)


def _print_summary(result: ExportResult) -> None:
    console.print(f"[bold]snapshot {result.run_id}[/] ({result.mode})", highlight=False)
    table = Table()
    table.add_column("entity")
    table.add_column("rows", justify="right")
    for name, rows in result.rows.items():
        table.add_row(name, str(rows))
    console.print(table)
    calls = result.calls
    console.print(f"API calls: {calls.get('total', 0)} (GET {calls.get('GET', 0)}), {result.seconds:.1f} s")
    if result.changes:
        console.print("changes: " + ", ".join(f"{k} {v}" for k, v in result.changes.items()))
    if result.note:
        console.print(f"[yellow]note:[/] {result.note}")
    console.print(f"written to {result.path}", highlight=False)
