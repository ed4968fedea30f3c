"""On a fresh clone nothing exists yet: the product creates Prefect's home itself and refuses an unusable one clearly.

The test suite's own ``PREFECT_HOME`` is created by nothing but the product (``import flows``); these tests run the
product in a child process with a home that does not exist, or cannot exist, to prove it without any fixture.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], prefect_home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PREFECT_HOME": str(prefect_home), "COLUMNS": "400", **env}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600
    )


def test_importing_flows_creates_prefect_home_with_all_its_parents(tmp_path: Path) -> None:
    home = tmp_path / "clone" / ".custsync" / "prefect"
    done = _run(["-c", "import flows"], home)
    assert done.returncode == 0, done.stderr
    assert home.is_dir()


def test_demo_with_an_unusable_prefect_home_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    done = _run(["flows/demo.py"], blocker / "prefect")
    assert done.returncode == 2
    assert f"cannot use {blocker / 'prefect'} as Prefect's home directory" in done.stdout
    assert "PREFECT_HOME" in done.stdout  # what to do next
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.reliability
@pytest.mark.timeout(600)
def test_demo_whose_prefect_server_cannot_start_is_one_clear_error(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A database Prefect cannot open: one error naming the cause and the log, not minutes of tracebacks."""
    if not (
        request.config.getoption("--reliability-full", default=False) or os.environ.get("CUSTSYNC_RELIABILITY_FULL")
    ):
        pytest.skip("takes about a minute: run `make reliability` (or set CUSTSYNC_RELIABILITY_FULL=1)")
    home = tmp_path / "prefect"
    database = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'prefect.db'}"
    done = _run(["flows/demo.py"], home, PREFECT_API_DATABASE_CONNECTION_URL=database)
    assert done.returncode == 2
    assert "Prefect's embedded server did not start" in done.stdout
    assert "unable to open database file" in done.stdout
    assert str(home / "embedded-server.log") in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert "Traceback" in (home / "embedded-server.log").read_text()  # the details are kept, in the log
