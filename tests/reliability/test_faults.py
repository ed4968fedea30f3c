"""A sync through a failing, dropping, rate-limited API converges to exactly the source: no duplicate, no lost update.

The sandbox answers 10% of requests with 5xx before doing anything, commits 5% of the writes and then answers 500
or drops the connection (the case that makes a naive retrying client create duplicates), drops 2% of the
connections outright, and limits the rate. The truth is read from the sandbox's SQLite file, not through the API.
"""

from __future__ import annotations

import random

import pytest

from .support import Cli, differences, generate, planned_operations, sync_until_ok, token_leaks

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

FAULTS = {"fail_rate": 0.1, "fail_after_commit_rate": 0.05, "drop_rate": 0.02}


def test_sync_under_faults_converges_without_duplicates_or_lost_updates(
    profile, sandbox_factory, tmp_path, token, seed
):
    rng = random.Random(seed)
    server = sandbox_factory(token=token, rate_limit_per_min=profile.fault_rate_limit, seed=seed, **FAULTS)
    cli = Cli(tmp_path, server.url, token)
    client = ["--requests-per-minute", str(profile.fault_rate_limit), "--state-dir", str(tmp_path / "state")]
    context = f"(profile {profile.name}, seed {seed})"

    first = generate(profile.fault_customers, rng)
    runs = sync_until_ok(cli, first.write(tmp_path / "v1"), client)
    assert differences(first, server.db_path) == [], context
    created = runs[-1].json
    assert created["calls"]["POST"] >= 1, created

    second = first.changed(rng, share=profile.changed_share, new_customers=max(1, profile.fault_customers // 20))
    source = second.write(tmp_path / "v2")
    sync_until_ok(cli, source, client)
    assert differences(second, server.db_path) == [], f"after the changes {context}"

    again = cli.run("plan", str(source), *client, "--json")
    assert again.code == 0, again.tail
    assert set(planned_operations(again).values()) == {(0, 0, 0)}, f"not converged {context}: {again.json}"

    assert token_leaks(token, [tmp_path], [r.stdout + r.stderr for r in cli.runs]) == []
