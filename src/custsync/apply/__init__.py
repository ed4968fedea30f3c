"""Apply a plan: dependency-ordered, concurrent, journaled, resumable; then record what is in sync.

report = await apply_plan(plan, remote, state_dir=Path(".custsync"), check_fresh=True)
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from custsync.apply.executor import ApplyReport, Executor, Failure, ProgressHook
from custsync.apply.freshness import check_fresh as _check_fresh
from custsync.apply.journal import DONE, SENT, Journal
from custsync.apply.remember import remember
from custsync.errors import PlanError
from custsync.reconcile import Plan, Remote
from custsync.state import StateLock, StateStore


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
    is the state store when the caller has it open already — holding the state directory's lock since it
    planned — else the one in ``state_dir`` is opened, and its lock held, for the whole apply.
    """
    with ExitStack() as stack:
        if state is None:
            lock = stack.enter_context(StateLock(state_dir))
            state = stack.enter_context(StateStore.open(state_dir, plan.meta.api_url, lock=lock))
        _check_generation(plan, state)
        with Journal(state_dir, plan.plan_id(), plan.meta.api_url) as journal:
            if check_fresh:
                settled = {(e.entity, e.key) for e in journal.entries().values() if e.status in (SENT, DONE)}
                await _check_fresh(plan, remote, settled=settled)
            state.begin_apply(plan.plan_id())
            executor = Executor(plan, remote, journal, concurrency=concurrency)
            if progress is not None:
                executor.advance = progress
            report = await executor.run()
        await remember(plan, report, remote, state)
    return report


def _check_generation(plan: Plan, state: StateStore) -> None:
    """Refuse a plan made before another plan was applied from this state directory (a resumed apply of this
    very plan is fine): both would create the same addresses and contacts."""
    made_at, now = plan.meta.state_generation, state.generation()
    if made_at is None or made_at == now or state.applying() == plan.plan_id():
        return
    raise PlanError(
        f"the plan is stale: another plan was applied from the state directory since it was made "
        f"(apply {now - made_at} time(s) since)",
        hint="make a new plan (custsync plan ...) and review it",
    )


__all__ = ["ApplyReport", "Executor", "Failure", "Journal", "ProgressHook", "apply_plan"]
