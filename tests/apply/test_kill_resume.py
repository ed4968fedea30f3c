"""SIGKILL ``custsync apply`` mid-run, again and again, then rerun it: the sandbox ends in exactly the desired
state, with no duplicate customer, address or contact (invariant 5)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from custsync.api import ApiSettings, CustomerApi
from custsync.apply.journal import JOURNAL_FILE
from custsync.cli import app

pytestmark = pytest.mark.integration

MAIN = "from custsync.cli import main; main()"
FULL_ENV = "CUSTSYNC_RELIABILITY_FULL"


def write_source(directory: Path, n: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    numbers = [f"R{i:05d}" for i in range(1, n + 1)]
    pd.DataFrame(
        {
            "number": numbers,
            "customerType": "company",
            "name": [f"Firma {i}" for i in range(n)],
            "contact.email": "a@b.de",
        }
    ).to_csv(directory / "customers.csv", index=False)
    pd.DataFrame(
        {
            "customerNumber": numbers * 2,
            "type": ["masterdata"] * n + ["deliveryaddress"] * n,
            "name": [f"Firma {i}" for i in range(n)] * 2,
            "street": [f"Weg {i}" for i in range(n)] + [f"Lager {i}" for i in range(n)],
            "zip": "50667",
            "city": "Köln",
            "country": "DE",
        }
    ).to_csv(directory / "addresses.csv", index=False)
    pd.DataFrame({"customerNumber": numbers, "name": [f"Kontakt {i}" for i in range(n)]}).to_csv(
        directory / "contacts.csv", index=False
    )
    return directory


def custsync(server, state: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "CUSTSYNC_API_URL": server.url, "CUSTSYNC_API_TOKEN": server.token}
    command = [
        sys.executable,
        "-c",
        MAIN,
        *args,
        "--state-dir",
        str(state),
        "--requests-per-minute",
        "100000",
        "--json",
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def in_process(server, state: Path, *args: str) -> dict:
    env = {"CUSTSYNC_API_URL": server.url, "CUSTSYNC_API_TOKEN": server.token}
    result = CliRunner().invoke(
        app, [*args, "--state-dir", str(state), "--requests-per-minute", "100000", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def finished(state: Path) -> int:
    """Operations the journal has as done (0 while the journal does not exist yet)."""
    path = state / JOURNAL_FILE
    if not path.exists():
        return 0
    with sqlite3.connect(path, timeout=5) as db:
        try:
            return db.execute("SELECT count(*) FROM ops WHERE status = 'done'").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def kill_when(process: subprocess.Popen, state: Path, done: int, timeout: float = 120) -> bool:
    """SIGKILL ``process`` once ``done`` operations are journaled; False when it finished first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if finished(state) >= done:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            return True
        time.sleep(0.01)
    process.kill()
    raise AssertionError(f"apply did not reach {done} done operations in {timeout}s")


def run_kill_scenario(server, tmp_path: Path, customers: int, kill_points: list[int]) -> None:
    source = write_source(tmp_path / "source", customers)
    state = tmp_path / "state"
    plan_file = tmp_path / "plan.json"
    planned = in_process(server, state, "plan", str(source), "--out", str(plan_file))
    total = sum(planned[e]["create"] for e in ("customers", "addresses", "contacts"))
    assert total == customers * 4

    killed = 0
    for point in kill_points:
        killed += kill_when(custsync(server, state, "apply", str(plan_file)), state, point)
    assert killed >= 2, "the apply finished before the kill points; slow the sandbox down"
    final = custsync(server, state, "apply", str(plan_file))
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err + out
    assert json.loads(out)["ok"]

    with CustomerApi(ApiSettings(url=server.url, token=server.token, requests_per_minute=100000)) as api:
        found = list(api.customers.list())
        numbers = [c["number"] for c in found]
        assert sorted(numbers) == [f"R{i:05d}" for i in range(1, customers + 1)]
        for customer in found:
            addresses = list(api.addresses(customer["id"]).list())
            contacts = list(api.contacts(customer["id"]).list())
            assert sorted(a["type"] for a in addresses) == ["deliveryaddress", "masterdata"], customer["number"]
            assert len(contacts) == 1, customer["number"]
    check = custsync(server, state, "plan", str(source), "--full", "--mode", "mirror", "--scope", "all")
    out, err = check.communicate(timeout=300)
    assert check.returncode == 0, err
    summary = json.loads(out)
    assert all(
        summary[e]["create"] == summary[e]["update"] == summary[e]["delete"] == 0
        for e in ("customers", "addresses", "contacts")
    )


def test_sigkilled_apply_resumes_without_duplicates(sandbox_factory, tmp_path):
    server = sandbox_factory(latency_ms=25)
    run_kill_scenario(server, tmp_path, customers=40, kill_points=[15, 60, 110])


@pytest.mark.reliability
@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_sigkilled_apply_with_faults_many_times(sandbox_factory, tmp_path, request):
    if not (request.config.getoption("--reliability-full", default=False) or os.environ.get(FULL_ENV)):
        pytest.skip(f"the long kill soak runs with --reliability-full or {FULL_ENV}=1")
    server = sandbox_factory(latency_ms=10, fail_after_commit_rate=0.05, fail_rate=0.05, seed=7)
    run_kill_scenario(server, tmp_path, customers=500, kill_points=[50, 200, 450, 800, 1300, 1700, 1950])
