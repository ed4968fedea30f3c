"""One run at a time per state directory (issue 16): the lock, the generation check, and two real CLI syncs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from custsync.apply import apply_plan
from custsync.errors import PlanError, StateLockedError
from custsync.reconcile import plan_sync
from custsync.state import StateLock, StateStore

from .data import desired_frames
from .fakes import FakeRemote

REPO = Path(__file__).resolve().parents[2]
CANONICAL = REPO / "sample_data" / "canonical"


def test_a_second_holder_is_refused_naming_the_first(tmp_path):
    with StateStore.open(tmp_path, "http://a.test"):
        with pytest.raises(StateLockedError) as caught:
            StateStore.open(tmp_path, "http://a.test")
        message = caught.value.message
        assert f"pid {os.getpid()}" in message and "started 20" in message and str(tmp_path) in message
        with pytest.raises(StateLockedError):
            StateLock(tmp_path).acquire()
    with StateStore.open(tmp_path, "http://a.test") as state:  # released on close
        assert state.generation() == 0


def test_a_killed_holder_frees_the_directory(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from custsync.state import StateLock;"
            f"StateLock({str(tmp_path)!r}).acquire(); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StateLockedError, match=f"pid {holder.pid}"):
            StateLock(tmp_path).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with StateLock(tmp_path) as lock:
        assert lock.held


def test_apply_refuses_a_plan_made_before_another_was_applied(tmp_path):
    remote = FakeRemote()
    frames = desired_frames(3)
    with StateStore.open(tmp_path, remote.base_url) as state:
        first = asyncio.run(plan_sync(frames, remote, state=state))
    with StateStore.open(tmp_path, remote.base_url) as state:
        second = asyncio.run(plan_sync(frames, remote, state=state))
    assert first.meta.state_generation == second.meta.state_generation == 0
    assert asyncio.run(apply_plan(first, remote, state_dir=tmp_path)).ok
    created = len(remote.children["contacts"])
    with pytest.raises(PlanError, match="another plan was applied from the state directory"):
        asyncio.run(apply_plan(second, remote, state_dir=tmp_path))
    assert len(remote.children["contacts"]) == created == 3
    assert asyncio.run(apply_plan(first, remote, state_dir=tmp_path)).ok  # resuming the same plan is fine


def test_apply_holds_the_lock_while_it_runs(tmp_path):
    remote = FakeRemote()
    seen: list[str] = []
    create = remote.create

    async def create_and_try_the_lock(*args, **kwargs):
        try:
            StateStore.open(tmp_path, remote.base_url).close()
            seen.append("free")
        except StateLockedError:
            seen.append("held")
        return await create(*args, **kwargs)

    remote.create = create_and_try_the_lock
    plan = asyncio.run(plan_sync(desired_frames(1), remote))
    assert asyncio.run(apply_plan(plan, remote, state_dir=tmp_path)).ok
    assert seen and set(seen) == {"held"}


@pytest.mark.integration
def test_two_syncs_started_a_second_apart_the_second_is_refused_and_nothing_doubles(sandbox_factory, tmp_path):
    server = sandbox_factory(latency_ms=400)  # the first sync takes a good 10 seconds
    env = {**os.environ, "CUSTSYNC_API_URL": server.url, "CUSTSYNC_API_TOKEN": server.token}
    command = [str(Path(sys.executable).parent / "custsync"), "sync", str(CANONICAL), "--json"]
    command += ["--state-dir", str(tmp_path / "state"), "--requests-per-minute", "100000"]
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until_locked_by(tmp_path / "state", first.pid)  # start-up time varies with the machine's load
    time.sleep(1)
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert first.poll() is None, "the first sync ended before the second one started: no overlap to test"
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, out + err
    assert second.returncode == 2, second.stderr
    refused = json.loads(second.stdout)
    assert refused["error"] == "StateLockedError"
    assert f"pid {first.pid}" in refused["message"] and "started 20" in refused["message"]
    done = json.loads(out)
    counts = {
        e: len(server.store.query(e, [], [], "t.id", 10**6, 0)[1]) for e in ("customers", "addresses", "contacts")
    }
    assert counts == {e: done[e]["create"] for e in counts}
    again = subprocess.run(
        [*command[:2], str(CANONICAL), "--json", "--full", *command[4:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert all(summary[e]["create"] == summary[e]["update"] == 0 for e in counts)


def wait_until_locked_by(state_dir: Path, pid: int, timeout: float = 120) -> None:
    """Until ``pid`` holds the state directory's lock (its record is in the lock file)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if json.loads((state_dir / "lock").read_text() or "{}").get("pid") == pid:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    raise AssertionError(f"pid {pid} never took the lock of {state_dir}")
