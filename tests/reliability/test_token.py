"""The API token appears in no byte a run leaves behind.

Every command that touches the API runs as a separate process against a sandbox with faults on (so retries,
uncertain creates and their warnings happen), logging at DEBUG for every library into a file. Then the token —
and each half of it — is searched for in stdout, stderr, the debug logs, the plan file, the journal and state
SQLite files (with their WAL), the HTML run report, the export snapshots (Parquet, CSV, manifest) and the
rejects report. A second, wrong token is searched for as well after a run the API refused with 401.
"""

from __future__ import annotations

import random
import secrets

import pytest

from .support import SAMPLE_INVALID, Cli, generate, sync_until_ok, token_leaks

pytestmark = [pytest.mark.reliability, pytest.mark.integration]


def test_the_token_is_in_no_byte_the_runs_wrote(profile, sandbox_factory, tmp_path, token, seed):
    rng = random.Random(seed)
    server = sandbox_factory(token=token, fail_rate=0.1, fail_after_commit_rate=0.05, drop_rate=0.02, seed=seed)
    cli = Cli(tmp_path, server.url, token)
    client = ["--requests-per-minute", "100000", "--state-dir", str(tmp_path / "state")]
    source = generate(15, rng)
    report = tmp_path / "report.html"
    sync_until_ok(cli, source.write(tmp_path / "v1"), [*client, "--report", str(report)])

    changed = source.changed(rng, share=0.3, new_customers=3).write(tmp_path / "v2")
    plan_file = tmp_path / "plan.json"
    planned = cli.run("plan", str(changed), *client, "--out", str(plan_file), "--json")
    assert planned.code == 0, planned.tail
    applied = cli.run("apply", str(plan_file), *client, "--json")
    assert applied.code in (0, 1), applied.tail

    exports = tmp_path / "exports"
    fast = ["--requests-per-minute", "100000"]
    full = profile.name == "full"  # the quick run leaves out what the other quick tests already cover
    for extra in ([], ["--incremental"]) if full else ([],):
        exported = cli.run("export", "--out", str(exports), "--format", "both", *fast, *extra, "--json")
        assert exported.code == 0, exported.tail
    if full:
        rejected = cli.run("validate", str(SAMPLE_INVALID), "--rejects", str(tmp_path / "rejects.csv"), "--json")
        assert rejected.code == 1, rejected.tail

    wrong = f"wrong-{secrets.token_hex(20)}"
    refused = cli.with_token(wrong).run("sync", str(changed), *client, "--json")
    assert refused.code != 0 and "Traceback" not in refused.stderr, refused.tail

    assert plan_file.exists() and report.exists() and any((tmp_path / "state").iterdir())
    assert any(exports.rglob("*.parquet"))
    outputs = [r.stdout + r.stderr for r in [*cli.runs, refused]]
    assert token_leaks(token, [tmp_path], outputs) == []
    assert token_leaks(wrong, [tmp_path], outputs) == []
