"""The helpers that start sandboxes outside pytest fixtures: in a thread and in their own process."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from custsync.sandbox.__main__ import main as module_main
from custsync.sandbox.storage import Store
from custsync.sandbox.testing import run_sandbox, spawn_sandbox

pytestmark = pytest.mark.integration


def test_run_sandbox_stops_serving_when_the_block_ends(tmp_path: Path) -> None:
    with run_sandbox(tmp_path / "a.db", token="t") as server:
        url = server.url
        assert httpx.get(f"{url}/api/v2/customers", headers=server.headers).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/v2/customers", headers={"Authorization": "Bearer t"}, timeout=2)


def test_spawned_sandbox_serves_from_its_own_process_and_keeps_the_file(tmp_path: Path) -> None:
    db = tmp_path / "spawned.db"
    with spawn_sandbox(db, seed_customers=2, seed=5, rate_limit_per_min=3) as server:
        assert server.store is None and server.db_path == db
        statuses = [httpx.get(f"{server.url}/api/v2/customers", headers=server.headers).status_code for _ in range(4)]
        created = httpx.post(f"{server.url}/api/v2/customers", headers=server.headers, json={"type": "company"})
    assert statuses == [200, 200, 200, 429]
    assert created.status_code == 429
    store = Store(db)
    assert store.counts()["customers"] == 2
    store.close()


def test_module_entry_point_refuses_bad_input(capsys) -> None:
    with pytest.raises(SystemExit):
        module_main(["--knobs", json.dumps({"fail_rate": 2})])  # no token
    with pytest.raises(SystemExit):
        module_main(["--token", "t", "--knobs", json.dumps({"fail_rate": 2})])
    assert "bad --knobs" in capsys.readouterr().err


def test_spawn_rejects_bad_knobs_before_starting() -> None:
    with pytest.raises(ValueError), spawn_sandbox(drop_rate=3):
        pass
