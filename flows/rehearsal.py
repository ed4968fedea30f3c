"""A rehearsal target: a local sandbox seeded from a snapshot of the real API, for a migration's dry run.

The migration runs first against this copy, so a bad mapping, a conflicting customer number or a payload the
API refuses shows up where it costs nothing. The sandbox lives only for the ``with`` block; its throwaway
token reaches the flow's tasks through an environment variable of this process, like any token.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flows.connection import ApiTarget

REHEARSAL_TOKEN_ENV = "CUSTSYNC_REHEARSAL_TOKEN"


@contextmanager
def rehearsal_target(snapshot: Path, work_dir: Path) -> Iterator[ApiTarget]:
    """Start a sandbox on 127.0.0.1 holding ``snapshot``'s customers; yield how to reach it."""
    from custsync.cli.sandbox import local_sandbox

    work_dir.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="rehearsal-", dir=work_dir) as tmp,
        local_sandbox(Path(tmp) / "sandbox.db", snapshot=snapshot) as server,
    ):
        os.environ[REHEARSAL_TOKEN_ENV] = server.token
        try:
            yield ApiTarget(url=server.url, token_env=REHEARSAL_TOKEN_ENV, requests_per_minute=60_000)
        finally:
            os.environ.pop(REHEARSAL_TOKEN_ENV, None)
