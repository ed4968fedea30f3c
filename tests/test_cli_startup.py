"""``custsync --help`` answers at once: importing the CLI must not import the data stack or the servers.

Each command imports what it works with when it runs; these tests run fresh interpreters, because the test
process itself has long imported pandas.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from custsync.cli import app

HEAVY = ("pandas", "pandera", "pyarrow", "prefect", "uvicorn")
COMMANDS = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
ENV = {**os.environ, "COLUMNS": "200"}


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=120)


def test_importing_the_cli_imports_no_heavy_module() -> None:
    result = _python(f"import custsync.cli, sys; print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_custsync_help_lists_every_command() -> None:
    script = Path(sys.executable).with_name("custsync")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from custsync.cli import main; main()"]
    result = subprocess.run([*command, "--help"], capture_output=True, text=True, env=ENV, timeout=120)
    assert result.returncode == 0, result.stderr
    assert set(COMMANDS) >= {"validate", "plan", "apply", "sync", "export", "sandbox", "report"}
    for name in COMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize(
    "args",
    [["--version"], *([name, "--help"] for name in COMMANDS), ["sandbox", "serve", "--help"]],
    ids=lambda args: " ".join(args),
)
def test_help_and_version_import_no_heavy_module(args: list[str]) -> None:
    code = (
        "import sys\n"
        "from custsync.cli import main\n"
        f"sys.argv = ['custsync', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "else:\n"
        "    code = 0\n"
        f"print(code, sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    result = _python(code)
    assert result.stdout, "the help text went to stdout"
    assert result.stderr.strip().splitlines()[-1] == "0 []"
