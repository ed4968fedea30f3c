"""Apply a plan: dependency-ordered, concurrent, journaled, resumable; then record what is in sync.

report = await apply_plan(plan, remote, state_dir=Path(".custsync"), check_fresh=True)
"""

from __future__ import annotations

from pathlib import Path

from custsync.apply.executor import ApplyReport, Executor, Failure, ProgressHook
from custsync.apply.freshness import check_fresh as _check_fresh
from custsync.apply.journal import DONE, SENT, Journal
from custsync.apply.remember import remember
from custsync.reconcile import Plan, Remote
from custsync.state import StateStore


async def apply_plan(
    plan: Plan,
    remote: Remote,
    *,
    state_dir: Path,
    check_fresh: bool = False,
    progress: ProgressHook | None = None,
    concurrency: int = 8,
    state: StateStore | None = None,
) -> ApplyReport:
    """Execute ``plan``; with ``check_fresh`` (a saved plan) refuse first if what it touches changed since.

    Re-running the same plan after a crash resumes it from the journal in ``state_dir``. ``progress`` is
    called with the number of operations finished as they finish (the CLI draws its bar with it). ``state``
    is the state store when the caller has it open already (else the one in ``state_dir`` is opened).
    """
    with Journal(state_dir, plan.plan_id(), plan.meta.api_url) as journal:
        if check_fresh:
            settled = {(e.entity, e.key) for e in journal.entries().values() if e.status in (SENT, DONE)}
            await _check_fresh(plan, remote, settled=settled)
        executor = Executor(plan, remote, journal, concurrency=concurrency)
        if progress is not None:
            executor.advance = progress
        report = await executor.run()
    if state is not None:
        await remember(plan, report, remote, state)
        return report
    with StateStore.open(state_dir, plan.meta.api_url) as store:
        await remember(plan, report, remote, store)
    return report


__all__ = ["ApplyReport", "Executor", "Failure", "Journal", "ProgressHook", "apply_plan"]
