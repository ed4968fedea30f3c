"""The sync flow: read -> map -> validate -> fetch -> plan -> apply -> report.

The nightly job: make the API hold what the system of record's export says, spending as few calls as
possible. It publishes the run report (markdown artifact), the rejects (table artifact) and an HTML report,
and ends Failed when validation stops it or when an operation failed, so a schedule's alerts fire.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from prefect import flow, get_run_logger
from prefect.states import State

from custsync import pipeline
from custsync.defaults import DEFAULT_REPORT_DIR, DEFAULT_STATE_DIR
from custsync.errors import CustsyncError
from flows.artifacts import FlowOutcome
from flows.connection import ApiTarget
from flows.recorder import RunRecorder
from flows.tasks import apply_task, load_task, plan_task

ModeName = Literal["upsert", "insert", "update", "mirror"]


@flow(name="custsync-sync", log_prints=False, persist_result=False)
def sync_flow(
    sources: list[Path],
    mapping: Path | None = None,
    mode: ModeName = "upsert",
    scope: str | None = None,
    max_deletes: int | None = None,
    force: bool = False,
    full: bool = False,
    contact_key: Literal["name", "email"] = "name",
    on_invalid: Literal["fail", "skip"] = "fail",
    max_invalid: str | None = None,
    dry_run: bool = False,
    api: ApiTarget = ApiTarget(),
    state_dir: Path = DEFAULT_STATE_DIR,
    report_dir: Path = DEFAULT_REPORT_DIR,
) -> FlowOutcome | State:
    """Sync ``sources`` (files or directories, read with ``mapping``) into the API.

    ``on_invalid``/``max_invalid`` are the validation policy (``fail``: one invalid row, no write at all;
    ``skip``: write the valid rows unless more than ``max_invalid`` rows, e.g. ``"5%"``, are invalid).
    ``mode``, ``scope``, ``max_deletes`` and ``force`` are the plan's (deletes only in ``mirror`` mode, inside
    ``scope``, and at most ``max_deletes`` unless ``force``; customers whose rows validation rejected are never
    deleted). ``contact_key`` is what identifies a contact under its customer: its ``name`` or its ``email``.
    """
    log = get_run_logger()
    run = RunRecorder("sync", api_url=api.display_url, sources=sources, mapping=mapping)
    try:
        options = pipeline.plan_options(mode, scope, max_deletes, force, full, contact_key)
        with run.stage("read, map, validate"):
            loaded = load_task(sources, mapping)
        run.validated(loaded.validation)
        pipeline.check_policy(loaded, on_invalid, max_invalid)
        with run.stage("fetch and plan"):
            plan = plan_task(loaded.desired, api, options, state_dir)
        run.planned(plan)
        log.info("plan: %s", _counts(plan.counts()))
        log.info("%s", plan.listing.describe())
        if dry_run:
            run.dry_run()
        else:
            with run.stage("apply"):
                applied = apply_task(plan, api, state_dir)
            run.applied(applied.report, applied.calls)
    except CustsyncError as exc:  # unreadable source, invalid rows, refused plan, API unreachable, bad settings
        return run.fail(report_dir, exc.message)
    return run.conclude(report_dir, "synced")


def _counts(counts: dict[str, dict[str, int]]) -> str:
    return "; ".join(
        f"{entity} " + ", ".join(f"{op} {n}" for op, n in ops.items() if n and op != "skipped")
        for entity, ops in counts.items()
    )
