"""The pipeline's stages as Prefect tasks; each calls one library function and nothing else of substance.

Retries (only for errors that may pass: 5xx, 429 and transport errors that outlived the client's own retries;
a refused plan, a bad setting or a 400 fails at once), and why each is safe:

- ``read-map-validate``: none — reading the same file again gives the same answer.
- ``plan`` (fetch + diff): 2 retries; it only reads the API.
- ``apply``: 1 retry after 30 s; every operation is journaled, so a retry resumes the same plan, skips what
  was done and never creates a record twice (uncertain creates are looked up before being repeated).
- ``export``: 2 retries; a snapshot is staged and renamed into place only when complete.

Results are not persisted (they hold customer data, which belongs in snapshots, not in Prefect's storage),
and not cached (every run must see the API as it is now).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.states import State

from custsync import pipeline
from custsync.errors import RateLimitedError, ServerError, TransportError
from custsync.export import ExportOptions, ExportResult, export_snapshot
from custsync.pipeline import Applied, Desired, Loaded
from custsync.reconcile import Plan, PlanOptions
from flows.connection import ApiTarget, open_api


def transient(task: object, task_run: object, state: State) -> bool:
    """Retry only what may pass: the API down, overloaded or unreachable — never a refusal or a bad setting."""
    return isinstance(state.data, ServerError | TransportError | RateLimitedError)


_TASK: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False}
_RETRIED: dict[str, Any] = {**_TASK, "retry_condition_fn": transient}


@task(name="read-map-validate", **_TASK)
def load_task(sources: list[Path], mapping: Path | None) -> Loaded:
    """Read the source files (hashing them), map them onto the canonical frames and validate every row."""
    return pipeline.load(sources, mapping)


@task(name="plan", retries=2, retry_delay_seconds=[10, 60], **_RETRIED)
def plan_task(desired: Desired, api: ApiTarget, options: PlanOptions, state_dir: Path) -> Plan:
    """Fetch what the diff needs (as few calls as the state store allows) and compute the plan."""
    return asyncio.run(pipeline.plan(desired, api.connection(), options=options, state_dir=state_dir))


@task(name="apply", retries=1, retry_delay_seconds=30, **_RETRIED)
def apply_task(plan: Plan, api: ApiTarget, state_dir: Path) -> Applied:
    """Carry out the plan (journaled and resumable); returns what was done and the calls it spent."""
    return asyncio.run(pipeline.apply(plan, api.connection(), state_dir=state_dir))


@task(name="export", retries=2, retry_delay_seconds=[10, 60], **_RETRIED)
def export_task(api: ApiTarget, options: ExportOptions) -> ExportResult:
    """Write one snapshot of the API's data."""
    with open_api(api) as client:
        return export_snapshot(client, options)
