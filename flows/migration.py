"""The migration flow: a one-off load from a legacy ERP, rehearsed on a copy of the target before the real run.

1. read, map and validate strictly: one invalid row and nothing is written anywhere;
2. take a snapshot of the target (or use the one given) and start a sandbox seeded from it;
3. rehearse: plan in ``insert`` mode against the sandbox and apply there; publish the rehearsal's report
   (artifact ``custsync-migration-rehearsal-report``; its API line names the target the copy was taken from);
4. with ``go_on=True`` go on at once; with ``approval_timeout`` > 0 pause and wait that long for a person to
   review the rehearsal report and approve in the Prefect UI (Resume, "migrate"); otherwise stop here;
5. plan and apply against the real target and publish its report.

Insert mode creates what the target lacks and never changes or deletes what it has, so a migration cannot
overwrite data someone entered by hand in the meantime.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from prefect.states import Failed, State
from pydantic import Field

from custsync import pipeline
from custsync.defaults import DEFAULT_REPORT_DIR
from custsync.errors import CustsyncError
from custsync.export import ExportOptions
from custsync.reconcile import Mode, PlanOptions
from flows.artifacts import FlowOutcome
from flows.connection import ApiTarget
from flows.recorder import RunRecorder
from flows.rehearsal import rehearsal_target
from flows.tasks import apply_task, export_task, load_task, plan_task

APPROVAL_POLL_SECONDS = 5
"""How often a paused migration checks whether it was resumed."""


class MigrationApproval(RunInput):
    """The form the Prefect UI shows on Resume after a successful rehearsal."""

    migrate: bool = Field(
        default=False,
        description="Migrate into the target now (creates only: nothing there is changed or deleted). "
        "Review the custsync-migration-rehearsal-report artifact first.",
    )


@flow(name="custsync-migration", log_prints=False, persist_result=False)
def migration_flow(
    sources: list[Path],
    mapping: Path,
    api: ApiTarget = ApiTarget(),
    snapshot: Path | None = None,
    go_on: bool = False,
    approval_timeout: int = 0,
    work_dir: Path = Path(".custsync/migration"),
    report_dir: Path = DEFAULT_REPORT_DIR,
) -> FlowOutcome | State:
    """Rehearse the migration of ``sources`` on a copy of the target; with ``go_on`` carry it out for real.

    ``approval_timeout`` (seconds): after a successful rehearsal, pause until someone approves in the UI or the
    time is up (then stop, the target untouched). 0 does not wait: run again with ``go_on=True`` to migrate.

    ``snapshot`` is a snapshot directory of the target (``custsync export``); without it the flow exports one
    first into ``work_dir/snapshots``. The real run keeps its journal and state in ``work_dir/state``.
    """
    log = get_run_logger()
    options = PlanOptions(mode=Mode.INSERT)
    rehearsal = RunRecorder("migration-rehearsal", api_url=api.display_url, sources=sources, mapping=mapping)
    try:
        with rehearsal.stage("read, map, validate"):
            loaded = load_task(sources, mapping)
        rehearsal.validated(loaded.validation)
        pipeline.check_policy(loaded, "fail", None)
    except CustsyncError as exc:  # an unreadable source, a bad mapping, or any invalid row
        return rehearsal.fail(report_dir, f"strict validation: {exc.message}")
    desired = loaded.desired

    try:
        if snapshot is None:
            with rehearsal.stage("snapshot of the target"):
                snapshot = export_task(api, ExportOptions(out=work_dir / "snapshots")).path
        with (
            rehearsal_target(snapshot, work_dir) as copy,
            tempfile.TemporaryDirectory(prefix="rehearsal-state-", dir=work_dir) as state,
        ):
            with rehearsal.stage("fetch and plan"):
                plan = plan_task(desired, copy, options, Path(state))
            rehearsal.planned(plan)
            with rehearsal.stage("apply"):
                applied = apply_task(plan, copy, Path(state))
            rehearsal.applied(applied.report, applied.calls)
    except CustsyncError as exc:
        return rehearsal.fail(report_dir, f"rehearsal: {exc.message}; the target was not written to")
    rehearsed = rehearsal.publish(report_dir)
    failed = rehearsed.report.results.failed if rehearsed.report.results else 0
    if failed:
        log.error("rehearsal: %d operations failed; the target was not touched; report %s", failed, rehearsed.html)
        return Failed(message=f"rehearsal: {failed} operations failed; the target was not touched")
    if not go_on and approval_timeout > 0:
        go_on = _approved(approval_timeout, plan.operations, rehearsed.html)
    if not go_on:
        log.info(
            "rehearsal on a copy of %s succeeded (%d writes); run again with go_on=True to migrate; report %s",
            api.display_url,
            plan.operations,
            rehearsed.html,
        )
        return rehearsed

    real = RunRecorder("migration", api_url=api.display_url, sources=sources, mapping=mapping)
    real.validated(loaded.validation)
    try:
        with real.stage("fetch and plan"):
            plan = plan_task(desired, api, options, work_dir / "state")
        real.planned(plan)
        with real.stage("apply"):
            applied = apply_task(plan, api, work_dir / "state")
        real.applied(applied.report, applied.calls)
    except CustsyncError as exc:
        return real.fail(report_dir, exc.message)
    return real.conclude(report_dir, f"migrated: {plan.operations} writes")


def _approved(timeout: int, writes: int, report: Path) -> bool:
    """Pause for a person's decision; True only for an explicit "migrate" before the timeout."""
    log = get_run_logger()
    log.info(
        "rehearsal succeeded (%d writes; report %s): paused for up to %d s — Resume with 'migrate' to go on",
        writes,
        report,
        timeout,
    )
    try:
        decision = pause_flow_run(
            wait_for_input=MigrationApproval, timeout=timeout, poll_interval=APPROVAL_POLL_SECONDS
        )
    except FlowPauseTimeout:
        log.info("no approval within %d s: the target was not touched", timeout)
        return False
    if not decision.migrate:
        log.info("resumed without 'migrate': the target was not touched")
    return bool(decision.migrate)
