"""The Typer application and what every command shares: ``--json`` output and friendly errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from custsync.errors import CustsyncError

app = typer.Typer(
    name="custsync",
    help=(
        "Keep an ERP's customer master data in sync with the customer API.\n\n"
        "Import CSV/Parquet sources (validate, plan, apply, sync), export snapshots, and rehearse on a local "
        "sandbox of the API. Set CUSTSYNC_API_URL and CUSTSYNC_API_TOKEN to point at an API."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from custsync import __version__

        sys.stdout.write(f"custsync {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Keep an ERP's customer master data in sync with the customer API."""


console = Console(stderr=True)
"""Human-readable output goes to stderr, so ``--json`` keeps stdout clean for scripts."""

P = ParamSpec("P")
R = TypeVar("R")


def emit_json(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`CustsyncError` into a clear message and exit code instead of a traceback."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except CustsyncError as exc:
            if kwargs.get("json_output"):
                emit_json(exc.to_dict())
            else:
                console.print(f"[bold red]error:[/] {exc.message}", highlight=False, markup=True)
                if exc.hint:
                    console.print(f"[yellow]hint:[/] {exc.hint}", highlight=False)
            raise typer.Exit(exc.exit_code) from None

    return wrapper
