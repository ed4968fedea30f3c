"""Is a saved plan still true? ``apply plan.json`` refuses when the records it would touch changed since.

Checked cheaply: the customers it patches or deletes are re-listed by id (one call per 50) and compared by
``updatedAt``; the customers it would create are looked up by number (they must still be absent); the
addresses and contacts it patches or deletes are re-listed under their customer (one call per customer).
Operations the journal already has as done or sent are left out: they are this plan's own doing.
"""

from __future__ import annotations

import pandas as pd

from custsync.errors import PlanError
from custsync.reconcile.keys import customer_numbers
from custsync.reconcile.plan import Plan
from custsync.reconcile.remote import Remote
from custsync.reconcile.values import plain

MAX_LISTED = 5


async def check_fresh(plan: Plan, remote: Remote, *, settled: set[tuple[str, str]]) -> None:
    """Raise :class:`PlanError` naming the records that changed; ``settled`` holds ``(entity, key)`` pairs the
    journal has as already sent or done."""
    if plan.meta.api_url.rstrip("/") != remote.base_url.rstrip("/"):
        raise PlanError(
            f"the plan was made against {plan.meta.api_url}, not {remote.base_url}",
            hint="apply it with the API it was made for, or make a new plan",
        )
    changed: list[str] = []
    customers = plan.customers
    touched = [o for o in (*customers.updates, *customers.deletes) if ("customers", o.key) not in settled]
    if touched:
        seen = _updated_at(await remote.customers_where("id", [o.id for o in touched]))
        changed += [
            _why("customer", o.key, o.updated_at, seen.get(o.id)) for o in touched if seen.get(o.id) != o.updated_at
        ]
    creating = [c.customer_number for c in customers.creates if ("customers", c.key) not in settled]
    if creating:
        exists = await remote.customers_where("number", creating)
        changed += [f"customer {n}: created in the API since the plan" for n in customer_numbers(exists["number"])]
    for entity in (plan.addresses, plan.contacts):
        ops = [o for o in (*entity.updates, *entity.deletes) if (entity.entity, o.key) not in settled]
        if not ops:
            continue
        parents = {o.customer_id: o.customer_number for o in ops if o.customer_id}
        seen = _updated_at(await remote.list_children(entity.entity, parents))
        changed += [
            _why(entity.entity[:-1], o.key, o.updated_at, seen.get(o.id)) for o in ops if seen.get(o.id) != o.updated_at
        ]
    if changed:
        listed = "; ".join(changed[:MAX_LISTED]) + (
            f"; and {len(changed) - MAX_LISTED} more" if len(changed) > MAX_LISTED else ""
        )
        raise PlanError(
            f"the plan is stale: {len(changed)} record(s) it would touch changed in the API since: {listed}",
            hint="make a new plan (custsync plan ...) and review it",
        )


def _updated_at(frame: pd.DataFrame) -> dict[str, str | None]:
    return dict(zip(frame["id"].astype("string"), frame["updatedAt"].map(plain), strict=True))


def _why(what: str, key: str, planned: str | None, now: str | None) -> str:
    if now is None:
        return f"{what} {key}: deleted since the plan"
    return f"{what} {key}: updatedAt {planned} -> {now}"
