"""The Typer application and what every command shares: ``--json`` output and friendly errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup, TyperOption

from custsync.errors import CustsyncError

P = ParamSpec("P")
R = TypeVar("R")


def _unlabel_flags(params: Iterable[object]) -> None:
    """A flag takes no value, so its help shows no value label. Typer's rich help (0.29) labels every option
    with its type, flags too (``--force <bool>``); an empty metavar is what it shows instead."""
    for param in params:
        if isinstance(param, TyperOption) and (param.is_flag or param.count) and param.metavar is None:
            param.metavar = ""


class _FlagsUnlabelled:
    """Mixed into Typer's command and group classes: their flags, ``--help`` included, show no value label."""

    params: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _unlabel_flags(self.params)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        _unlabel_flags([option])
        return option


class _Command(_FlagsUnlabelled, TyperCommand):
    pass


class _Group(_FlagsUnlabelled, TyperGroup):
    pass


class App(typer.Typer):
    """The Typer application class of every custsync command group: flags show no value label in ``--help``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cls=_Group, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", _Command)
        return super().command(*args, **kwargs)


app = App(
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
