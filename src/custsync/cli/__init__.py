"""The ``custsync`` command. Each command group lives in its own module and registers on the shared app.

A module registers itself on import; add one name to the import below for a new command module.
"""

from __future__ import annotations

from custsync.cli import doctor, export, report, sandbox, sync, validate
from custsync.cli._app import app

COMMAND_MODULES = (validate, sync, export, sandbox, report, doctor)


def main() -> None:
    app()


__all__ = ["COMMAND_MODULES", "app", "main"]
