"""After an apply: tell the state store what is now in sync, so the next run can skip it.

Customers with a failed operation (their own or one of their addresses/contacts) are forgotten — their next
run fetches them again. The ``updatedAt`` of every customer this run wrote to is re-read (one list call per
50), because the writes moved it; for the others the value the plan saw still holds.
"""

from __future__ import annotations

from custsync.apply.executor import ApplyReport
from custsync.reconcile.plan import Plan
from custsync.reconcile.remote import Remote
from custsync.reconcile.values import plain
from custsync.state import CustomerState, StateStore


async def remember(plan: Plan, report: ApplyReport, remote: Remote, state: StateStore) -> None:
    created = {k.split(":", 1)[1]: v for k, v in report.created_ids.items() if k.startswith("customers:")}
    state.remember_match_keys(
        [
            (c.customer_number, c.match_key, report.created_ids[f"addresses:{c.key}"])
            for c in plan.addresses.creates
            if c.match_key and f"addresses:{c.key}" in report.created_ids
        ]
        + [(cn, mk, aid) for cn, mk, aid in plan.match_keys]
    )
    deleted = {d.customer_number for d in plan.customers.deletes}
    ids = {s.number: s.id or created.get(s.number) for s in plan.synced}
    touched = [ids[n] for n in report.touched_customers if ids.get(n)]
    seen: dict[str, str | None] = {}
    if touched:
        frame = await remote.customers_where("id", sorted(set(touched)))
        seen = dict(zip(frame["id"].astype("string"), frame["updatedAt"].map(plain), strict=True))
    keep, forget = [], set(deleted) | set(report.failed_customers)
    for s in plan.synced:
        customer_id = ids.get(s.number)
        if s.number in forget or customer_id is None:
            forget.add(s.number)
            continue
        updated_at = seen.get(customer_id, s.updated_at) if s.number in report.touched_customers else s.updated_at
        keep.append(CustomerState(s.number, customer_id, s.addresses_hash, s.contacts_hash, updated_at))
    state.forget_customers(sorted(forget))
    state.record_customers(keep)
