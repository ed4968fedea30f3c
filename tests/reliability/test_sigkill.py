"""``custsync sync`` killed with SIGKILL at random moments, then run again: converges, never a duplicate.

Each round syncs a new version of the source (new customers, changed fields, new contacts of existing customers)
into the same sandbox with the same state directory, like a nightly job. The kill moment is random: a random
number of records committed by the sandbox (so most kills land mid-apply, between a write and its journal entry),
or — for one round in five — a random time after start (planning, fetching, start-up).
"""

from __future__ import annotations

import random
import signal
import time

import pytest

from .support import Cli, differences, generate, sandbox_write_count, sync_until_ok, token_leaks

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

POLL_SECONDS = 0.005


def test_sync_killed_at_random_moments_then_rerun_converges(profile, sandbox_factory, tmp_path, token, seed):
    rng = random.Random(seed)
    server = sandbox_factory(token=token, latency_ms=15, seed=seed)
    cli = Cli(tmp_path, server.url, token)
    client = ["--requests-per-minute", "1000000", "--state-dir", str(tmp_path / "state")]
    source = generate(profile.kill_customers, rng)
    moments: list[str] = []
    for round_ in range(profile.kills):
        if round_:
            source = source.changed(rng, share=0.1, new_customers=profile.kill_new_per_round)
        path = source.write(tmp_path / f"v{source.version}")
        context = f"round {round_ + 1}, seed {seed}, kills so far {moments}"

        moments.append(_kill_at_random_moment(cli, server.db_path, path, client, rng, source.writes))
        sync_until_ok(cli, path, client)
        assert differences(source, server.db_path) == [], context

    assert token_leaks(token, [tmp_path], [r.stdout + r.stderr for r in cli.runs]) == []


def _kill_at_random_moment(cli, db_path, source, client, rng: random.Random, writes: int) -> str:
    """Start a sync and SIGKILL it at a random moment; describes the moment."""
    before = sandbox_write_count(db_path)
    new_records = writes - before
    by_time = rng.random() < 0.2
    target = rng.uniform(0.5, 4.0) if by_time else rng.randrange(1, max(2, new_records))
    proc, _, _ = cli.start("sync", str(source), *client, "--json")
    started = time.monotonic()
    try:
        while proc.poll() is None:
            elapsed = time.monotonic() - started
            done = sandbox_write_count(db_path) - before
            if (by_time and elapsed >= target) or (not by_time and done >= target):
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                return f"after {elapsed:.2f}s" if by_time else f"after {done} new records"
            time.sleep(POLL_SECONDS)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    return "finished before the kill"
