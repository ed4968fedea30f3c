"""The first page of the manual: ``custsync --help`` lists every command; ``--version`` answers."""

from __future__ import annotations

from typer.testing import CliRunner

from custsync import __version__
from custsync.cli import app


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("validate", "plan", "apply", "sync", "export", "sandbox", "report"):
        assert command in result.stdout


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"custsync {__version__}"
