"""One Prefect test harness for the whole session: a temporary Prefect server on a fresh SQLite database.

Starting it costs 10–30 s (it migrates a new database), so it starts once, lazily, the first time a flow test
asks for it, and every flow test shares it. ``flows`` is imported from the repository root, which is put on
``sys.path`` here so ``pytest`` works from a fresh clone without installing anything else.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flows.quiet import quiet_prefect  # noqa: E402

quiet_prefect()
# The harness's fresh database need not hold every Prefect block type: a block registers its type when saved.
os.environ.setdefault("PREFECT_API_BLOCKS_REGISTER_ON_START", "false")

HARNESS_STARTUP_TIMEOUT = 180


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[float]:
    """Yields the seconds the harness took to start (reported in the test summary with ``-rA``)."""
    from prefect.testing.utilities import prefect_test_harness

    started = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=HARNESS_STARTUP_TIMEOUT):
        elapsed = time.perf_counter() - started
        sys.stderr.write(f"\n[prefect harness started in {elapsed:.1f}s]\n")
        yield elapsed


@pytest.fixture
def latest_artifact() -> Callable[[str], Any]:
    """``latest_artifact(key)``: the newest artifact with ``key``, read back through the Prefect client."""
    return _latest_artifact


def _latest_artifact(key: str) -> Any:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])), sort=ArtifactSort.CREATED_DESC, limit=1
        )
    assert found, f"no artifact with key {key!r}"
    return found[0]


@pytest.fixture
def api_token_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Put a sandbox's token where the flows look for it by default (``CUSTSYNC_API_TOKEN``), for one test."""

    def put(token: str) -> None:
        monkeypatch.setenv("CUSTSYNC_API_TOKEN", token)
        monkeypatch.delenv("CUSTSYNC_API_URL", raising=False)

    return put
