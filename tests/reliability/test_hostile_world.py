"""Issue 16, the large versions: ambiguous bytes, overlapping runs, outside writes during a sync, tampered
snapshots — against the sandbox, through the CLI in separate processes. ``make test`` runs them small; the full
sizes come with ``--reliability-full`` (``make reliability``). The small, fast unit versions live next to the
code they test (tests/io, tests/reconcile, tests/export)."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from custsync.api import ApiSettings, CustomerApi

from .support import Cli, differences, generate, sandbox_write_count

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

FAST = ["--requests-per-minute", "1000000"]
SAMPLE_BYTES = 4 * 1024 * 1024
"""What encoding detection reads; the full run puts the bad bytes past it."""


def _size(profile) -> int:
    return 400 if profile.name == "full" else 20


def _full_only(profile, fast_version: str) -> None:
    """``make test`` has a fast version of this case elsewhere; the full run adds this one."""
    if profile.name != "full":
        pytest.skip(f"quick run: covered by {fast_version}; runs with --reliability-full")


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


def _api(server) -> CustomerApi:
    return CustomerApi(ApiSettings(url=server.url, token=server.token, requests_per_minute=1_000_000))


# -- bytes ---------------------------------------------------------------------------------------------------------


def _big_customers_csv(tmp_path: Path, profile, rng: random.Random) -> bytes:
    rows = 50_000 if profile.name == "full" else 1_000  # the full file is larger than the detection sample
    source = generate(rows, rng)
    source.customers["name"] = source.customers["name"].str.replace("Firma", "Hörle Söhne")  # UTF-8 umlauts
    path = source.write(tmp_path / "gen") / "customers.csv"
    data = path.read_bytes()
    assert (len(data) > SAMPLE_BYTES) == (profile.name == "full")
    return data


def _line_start(data: bytes, line: int) -> int:
    at = 0
    for _ in range(line - 1):
        at = data.index(b"\n", at) + 1
    return at


@pytest.mark.parametrize("where", ["row 11", "last row"])
def test_an_invalid_utf8_byte_refuses_the_file_before_any_write(profile, sandbox_factory, tmp_path, where, seed):
    if where != "row 11":
        _full_only(profile, "tests/io/test_io_readers.py")
    rng = random.Random(seed)
    server = sandbox_factory(seed_customers=5, seed=1)
    data = _big_customers_csv(tmp_path, profile, rng)
    line = 11 if where == "row 11" else data.count(b"\n")
    at = data.index(b"GmbH", _line_start(data, line)) if b"GmbH" in data[_line_start(data, line) :] else None
    assert at is not None
    broken = data[:at] + b"G\xfcmbH" + data[at + 4 :]
    source = tmp_path / "src"
    source.mkdir()
    (source / "customers.csv").write_bytes(broken)
    before = sandbox_write_count(server.db_path)
    run = Cli(tmp_path, server.url, server.token).run("sync", str(source), "--state-dir", "state", *FAST, "--json")
    assert run.code == 2, run.tail
    offset = broken.index(b"\xfc")
    line = broken.count(b"\n", 0, offset) + 1
    assert f"byte fc at byte offset {offset} (line {line})" in run.json["message"]
    assert sandbox_write_count(server.db_path) == before


def test_a_late_nul_byte_refuses_the_file_before_any_write(profile, sandbox_factory, tmp_path, seed):
    rng = random.Random(seed)
    server = sandbox_factory(seed_customers=5, seed=1)
    data = _big_customers_csv(tmp_path, profile, rng)
    at = data.rindex(b"GmbH")
    line = data.count(b"\n", 0, at) + 1
    broken = data[:at] + b"\x00" + data[at:]
    assert broken.index(b"\x00") > 64 * 1024
    source = tmp_path / "src"
    source.mkdir()
    (source / "customers.csv").write_bytes(broken)
    before = sandbox_write_count(server.db_path)
    cli = Cli(tmp_path, server.url, server.token)
    run = cli.run("sync", str(source), "--state-dir", "state", *FAST, "--json")
    assert run.code == 1 and run.json["error"] == "ValidationFailed", run.tail
    assert sandbox_write_count(server.db_path) == before
    checked = cli.run("validate", str(source), "--json")
    failures = [f for f in checked.json["failures"] if f["rule"] == "control_character"]
    assert [(f["row"], f["column"]) for f in failures] == [(line, "name")], checked.tail


# -- runs --------------------------------------------------------------------------------------------------------


def test_syncs_started_a_second_apart_on_one_state_dir_run_one_at_a_time(profile, sandbox_factory, tmp_path, seed):
    _full_only(profile, "tests/reconcile/test_state_lock.py")
    rng = random.Random(seed)
    server = sandbox_factory(latency_ms=100)
    source = generate(_size(profile), rng).write(tmp_path / "v1")
    cli = Cli(tmp_path, server.url, server.token)
    args = ("sync", str(source), "--state-dir", str(tmp_path / "state"), *FAST, "--json")
    first = cli.start(*args)
    wait_until_locked_by(tmp_path / "state", first[0].pid)
    others = []
    for _ in range(3 if profile.name == "full" else 1):
        time.sleep(1)
        others.append(cli.run(*args))
    first[0].wait(timeout=1800)
    assert first[0].returncode == 0, first[2].read_text()[-2000:]
    for run in others:
        assert run.code == 2 and run.json["error"] == "StateLockedError", run.tail
        assert f"pid {first[0].pid}" in run.json["message"]
    assert differences(generate(_size(profile), random.Random(seed)), server.db_path) == []


def test_outside_address_changes_during_a_sync_are_not_absorbed(profile, sandbox_factory, tmp_path, seed):
    rng = random.Random(seed)
    server = sandbox_factory(latency_ms=20)
    v1 = generate(_size(profile), rng)
    cli = Cli(tmp_path, server.url, server.token)
    state = ("--state-dir", str(tmp_path / "state"), *FAST, "--json")
    assert cli.run("sync", str(v1.write(tmp_path / "v1")), *state).code == 0
    v2 = generate(_size(profile), random.Random(seed))
    v2.customers["contact.email"] = [f"neu.{n.lower()}@example.org" for n in v2.customers["number"]]
    changed: list[str] = []
    stop = threading.Event()

    def another_client() -> None:
        """Edits masterdata streets of the customers the sync is patching, once it has begun patching them."""
        with _api(server) as api:
            customers = {c["number"]: c["id"] for c in api.customers.list()}
            baseline = _last_customer_write(server.db_path)
            deadline = time.monotonic() + 600
            while _last_customer_write(server.db_path) == baseline and time.monotonic() < deadline:
                time.sleep(0.002)
            for number in rng.sample(sorted(customers), len(customers) // 2):
                if stop.is_set():
                    break
                addresses = api.addresses(customers[number]).list()
                master = next(a for a in addresses if a["type"] == "masterdata")
                api.addresses(customers[number]).update(master["id"], {"street": f"Fremdweg {number}"})
                changed.append(number)

    process, _, err = cli.start("sync", str(v2.write(tmp_path / "v2")), *state)
    writer = threading.Thread(target=another_client)
    writer.start()
    process.wait(timeout=1800)
    stop.set()
    writer.join()
    assert process.returncode == 0, err.read_text()[-2000:]
    assert changed
    again = cli.run("sync", str(tmp_path / "v2"), *state)  # a normal run, not --full
    assert again.code == 0, again.tail
    assert differences(v2, server.db_path) == [], f"{len(changed)} streets changed outside, seed {seed}"


def _last_customer_write(db_path: Path) -> str | None:
    """The sandbox's latest customer ``updatedAt``: it moves with the sync's first patch."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute("SELECT max(updated_at) FROM customers").fetchone()[0]
    finally:
        conn.close()


# -- snapshots -----------------------------------------------------------------------------------------------------


def _tamper(out: Path, snapshot: Path, how: str) -> str:
    if how == "dotdot":
        manifest = json.loads((snapshot / "manifest.json").read_text())
        shutil.copy(snapshot / manifest["files"][0]["file"], out.parent / "x.parquet")
        manifest["files"][0]["file"] = "../../x.parquet"
        (snapshot / "manifest.json").write_text(json.dumps(manifest))
        return "not inside the snapshot directory"
    if how == "symlink":
        shutil.copy(snapshot / "contacts.parquet", out.parent / "c.parquet")
        (snapshot / "contacts.parquet").unlink()
        (snapshot / "contacts.parquet").symlink_to(out.parent / "c.parquet")
        return "is a symlink"
    if how == "latest-outside":
        shutil.copytree(out, out.parent / "elsewhere", symlinks=True)
        (out / "LATEST").unlink()
        (out / "LATEST").symlink_to(out.parent / "elsewhere" / "LATEST")
        return "is a symlink"
    if how == "invalid-json":
        (snapshot / "manifest.json").write_text("{not json")
        return "unreadable manifest"
    manifest = json.loads((snapshot / "manifest.json").read_text())
    del manifest["runId"]
    (snapshot / "manifest.json").write_text(json.dumps(manifest))
    return "no runId"


@pytest.mark.parametrize("how", ["dotdot", "symlink", "latest-outside", "invalid-json", "no-run-id"])
def test_a_tampered_snapshot_is_refused_by_plan_and_by_an_incremental_export(profile, sandbox_factory, tmp_path, how):
    _full_only(profile, "tests/export/test_snapshot_tampering.py and test_export_cli.py")
    server = sandbox_factory(seed_customers=_size(profile), seed=7)
    cli = Cli(tmp_path, server.url, server.token)
    out = tmp_path / "out"
    exported = cli.run("export", "--out", str(out), *FAST, "--json")
    assert exported.code == 0, exported.tail
    problem = _tamper(out, out / exported.json["run_id"], how)
    source = out if how == "latest-outside" else out / exported.json["run_id"]
    plan = cli.run("plan", str(source), "--state-dir", "state", *FAST, "--json")
    assert plan.code == 2 and problem in plan.json["message"], plan.tail
    incremental = cli.run("export", "--out", str(out), "--incremental", *FAST, "--json")
    assert incremental.code == 2 and problem in incremental.json["message"], incremental.tail
    assert (out / "LATEST").resolve().read_text().strip() == exported.json["run_id"]
