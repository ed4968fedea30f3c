"""Flags take no value, so ``--help`` shows none: no ``<bool>`` beside ``--force``, ``--json`` or ``--help``
(Typer's rich help labels every option with its type unless the option says otherwise)."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.core import TyperOption
from typer.testing import CliRunner

from custsync.cli import app


def _commands() -> list[tuple[list[str], Any]]:
    """Every command and group with the arguments that reach it, the root included."""
    root = typer.main.get_command(app)
    found: list[tuple[list[str], Any]] = []
    pending: list[tuple[list[str], Any]] = [([], root)]
    while pending:
        path, command = pending.pop()
        found.append((path, command))
        pending += [([*path, name], sub) for name, sub in getattr(command, "commands", {}).items()]
    return found


COMMANDS = _commands()


def test_every_command_is_walked() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"", "sync", "validate", "plan", "report", "export", "sandbox", "sandbox serve"} <= names


@pytest.mark.parametrize(
    ("path", "command"), [pytest.param(path, command, id=" ".join(path) or "custsync") for path, command in COMMANDS]
)
def test_help_lists_flags_without_a_value_label(path: list[str], command: Any) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    flags = [p for p in command.params if isinstance(p, TyperOption) and p.is_flag and not p.hidden]
    for flag in flags:
        assert flag.opts[0] in result.output
        line = next(line for line in result.output.splitlines() if f"{flag.opts[0]} " in line)
        assert "<" not in line.split(flag.opts[0], 1)[1].split("  ")[1], line  # no label after the flag's name
    assert "--help" in result.output
    if path == ["sync"]:
        assert {"--force", "--dry-run", "--json", "--strict-columns", "--full"} <= {f.opts[0] for f in flags}
        assert "--max-deletes" in result.output and "<int>" in result.output  # options that take values keep theirs
