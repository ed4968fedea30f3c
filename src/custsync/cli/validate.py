"""``custsync validate``: read, map and check a source without touching the API; show every failure."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from custsync.cli._app import app, console, emit_json, friendly_errors
from custsync.cli._options import JsonOpt, StrictColumnsOpt
from custsync.errors import ValidationFailed

if TYPE_CHECKING:  # pandas and pandera: imported when the command runs, not for --help
    from custsync.source import SourceLoad


@app.command("validate")
@friendly_errors
def validate_command(
    sources: list[Path] = typer.Argument(
        ...,
        metavar="SOURCE",
        help="Source files (CSV/Parquet) or directories holding customers/addresses/contacts files.",
    ),
    mapping: Path | None = typer.Option(
        None, "--mapping", "-m", help="Mapping file (default: the canonical layout, mappings/canonical.yaml)."
    ),
    on_invalid: str = typer.Option(
        "fail", "--on-invalid", help="fail: any invalid row fails; skip: valid rows pass within --max-invalid."
    ),
    max_invalid: str | None = typer.Option(
        None, "--max-invalid", help="With skip: most invalid source rows allowed, a count (10) or percent (5%)."
    ),
    rejects: Path | None = typer.Option(
        None, "--rejects", help="Write every failure to this file (.csv, or .json for JSON)."
    ),
    show: int = typer.Option(50, "--show", help="Failures listed in the table (all are in --rejects / --json)."),
    strict_columns: StrictColumnsOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Check a source against the canonical model; exit 1 when the --on-invalid policy would stop an import.

    Every failure names file, row (as numbered in the file, header = 1), column, rule and offending value.
    Source columns the mapping never reads are listed as warnings (failures with --strict-columns).
    """
    from custsync.io import write_rejects
    from custsync.source import enforce_policy, read_source

    load = read_source(sources, mapping)
    if rejects is not None:
        write_rejects(load.failures, rejects)
    stop: ValidationFailed | None = None
    try:
        enforce_policy(load, on_invalid, max_invalid, strict_columns=strict_columns)  # type: ignore[arg-type]
    except ValidationFailed as exc:
        stop = exc
    if json_output:
        emit_json(load.summary())
    else:
        _print(load, show, rejects, stop)
    if stop is not None:
        raise typer.Exit(1)


def _print(load: SourceLoad, show: int, rejects: Path | None, stop: ValidationFailed | None) -> None:
    from custsync.model import ENTITY_NAMES, failures_to_records

    counts = Table(title=f"mapping: {load.mapping_name}", title_justify="left")
    for column in ("entity", "records", "valid", "invalid"):
        counts.add_column(column, justify="left" if column == "entity" else "right")
    summary = load.summary()
    for name in ENTITY_NAMES:
        entry = summary[name]
        counts.add_row(name, str(entry["rows"]), str(entry["valid"]), str(entry["invalid"]))
    console.print(counts)
    if not load.ok:
        table = Table(title=f"{len(load.failures)} failures", title_justify="left")
        shown = ("file", "row", "group", "source_column", "entity", "column", "rule", "value", "message")
        for column in shown:
            table.add_column(column.replace("_", " "), overflow="fold")
        for record in failures_to_records(load.failures.head(show)):
            table.add_row(*(_cell(record[c]) for c in shown))
        console.print(table)
        if len(load.failures) > show:
            more = f"… and {len(load.failures) - show} more"
            console.print(f"{more}; see --rejects FILE or --json for all of them", highlight=False)
    for warning in load.warnings:
        console.print(f"[yellow]warning:[/] {_cell(warning)}", highlight=False)
    if rejects is not None:
        console.print(f"rejects report written to {rejects}", highlight=False)
    if stop is not None:
        console.print(f"[bold red]invalid:[/] {_cell(stop.message)}", highlight=False)
    elif load.ok:
        console.print(f"[green]valid:[/] {load.source_rows} source rows, no failures", highlight=False)
    else:
        kept = load.source_rows - load.rejected_rows
        console.print(
            f"[yellow]within policy:[/] {load.rejected_rows} source rows would be skipped, {kept} imported",
            highlight=False,
        )


def _cell(value: object) -> str:
    """Table text; markup characters in data (``[red]``) are shown, not interpreted."""
    from rich.markup import escape

    return "" if value is None else escape(str(value))
