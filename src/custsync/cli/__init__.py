"""The ``custsync`` command. Each command group lives in its own module and registers on the shared app."""

from __future__ import annotations

from custsync.cli._app import app

# Command modules register themselves on import (one line per module).
from custsync.cli import export  # noqa: F401
from custsync.cli import sandbox  # noqa: F401
from custsync.cli import sync  # noqa: F401
from custsync.cli import validate  # noqa: F401


def main() -> None:
    app()


__all__ = ["app", "main"]
