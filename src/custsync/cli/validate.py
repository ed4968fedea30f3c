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
    import pandas as pd

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


RULE_FAILURE_COLUMNS = {
    c: c.replace("_", " ")
    for c in ("file", "row", "group", "source_column", "entity", "column", "rule", "value", "message")
}
HOLD_BACK_COLUMNS = {
    "file": "file",
    "row": "row",
    "group": "group",
    "entity": "entity",
    "rule": "rule",
    "value": "customer",
    "message": "why",
}


def _print(load: SourceLoad, show: int, rejects: Path | None, stop: ValidationFailed | None) -> None:
    from custsync.model import ENTITY_NAMES, is_hold_back
    from custsync.source import records_in_words

    tally = load.tally()
    counts = Table(
        title=f"mapping: {load.mapping_name} · records per entity (a source row can make several)", title_justify="left"
    )
    for column in ("entity", "records", "valid", "invalid"):
        counts.add_column(column, justify="left" if column == "entity" else "right")
    summary = load.summary()
    for name in ENTITY_NAMES:
        entry = summary[name]
        counts.add_row(name, str(entry["rows"]), str(entry["valid"]), str(entry["invalid"]))
    records = tally["records"]
    counts.add_section()
    counts.add_row("all", str(records["total"]), str(records["valid"]), str(records["invalid"]))
    console.print(counts)
    held = is_hold_back(load.failures)
    failing = f"{tally['rule_failures']} rule failures in {records['failing']} records"
    _failures(failing, load.failures[~held], RULE_FAILURE_COLUMNS, show)
    kept_back = f"{records['held_back']} records held back with them (no failure of their own)"
    _failures(kept_back, load.failures[held], HOLD_BACK_COLUMNS, show)
    for warning in load.warnings:
        console.print(f"[yellow]warning:[/] {_cell(warning)}", highlight=False)
    if rejects is not None:
        console.print(f"rejects report written to {rejects}", highlight=False)
    if stop is not None:
        console.print(f"[bold red]invalid:[/] {_cell(stop.message)}", highlight=False)
    elif load.ok:
        said = f"{load.source_rows} source rows, {records['total']} records, no failures"
        console.print(f"[green]valid:[/] {said}", highlight=False)
    else:
        kept = load.source_rows - load.rejected_rows
        said = f"{load.rejected_rows} of {load.source_rows} source rows would be skipped ({records_in_words(tally)})"
        console.print(f"[yellow]within policy:[/] {said}, {kept} imported", highlight=False)


def _failures(title: str, failures: pd.DataFrame, columns: dict[str, str], show: int) -> None:
    """One table of failures (the first ``show``), with ``columns`` under their headings."""
    from custsync.model import failures_to_records

    if failures.empty:
        return
    table = Table(title=title, title_justify="left")
    for heading in columns.values():
        table.add_column(heading, overflow="fold")
    for record in failures_to_records(failures.head(show)):
        table.add_row(*(_cell(record[c]) for c in columns))
    console.print(table)
    if len(failures) > show:
        more = f"… and {len(failures) - show} more"
        console.print(f"{more}; see --rejects FILE or --json for all of them", highlight=False)


def _cell(value: object) -> str:
    """Table text; markup characters in data (``[red]``) are shown, not interpreted."""
    from rich.markup import escape

    return "" if value is None else escape(str(value))
