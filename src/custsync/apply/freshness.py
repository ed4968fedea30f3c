"""Is a saved plan still true? ``apply plan.json`` refuses when the records it would touch changed since.

Checked cheaply: the customers it patches or deletes are re-listed by id (one call per 50) and compared by
``updatedAt``; the customers it would create are looked up by number (they must still be absent). Addresses
and contacts are re-listed under their customer (one call per customer and entity) and compared by content
— the digest of the record the plan saw — because their public schema has no timestamps; a record the plan
would create must not have appeared meanwhile (one with the same pairing key — its ``#n`` occurrence counted,
so a planned second namesake is still allowed).
Operations the journal already has as done or sent are left out: they are this plan's own doing.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from custsync.errors import PlanError
from custsync.model import ENTITIES
from custsync.reconcile import (
    Create,
    EntityPlan,
    Plan,
    Remote,
    address_keys,
    compared_columns,
    contact_keys,
    customer_numbers,
    key_bases,
    plain,
    record_digests,
)

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
        seen = _updated_at((await remote.customers_where("id", [o.id for o in touched])).customers)
        changed += [
            _why("customer", o.key, o.updated_at, seen.get(o.id)) for o in touched if seen.get(o.id) != o.updated_at
        ]
    creating = [c.customer_number for c in customers.creates if ("customers", c.key) not in settled]
    if creating:
        exists = (await remote.customers_where("number", creating)).customers
        changed += [f"customer {n}: created in the API since the plan" for n in customer_numbers(exists["number"])]
    for entity in (plan.addresses, plan.contacts):
        changed += await _changed_children(plan, entity, remote, settled)
    if changed:
        listed = "; ".join(changed[:MAX_LISTED]) + (
            f"; and {len(changed) - MAX_LISTED} more" if len(changed) > MAX_LISTED else ""
        )
        raise PlanError(
            f"the plan is stale: {len(changed)} record(s) it would touch changed in the API since: {listed}",
            hint="make a new plan (custsync plan ...) and review it",
        )


async def _changed_children(plan: Plan, entity: EntityPlan, remote: Remote, settled: set[tuple[str, str]]) -> list[str]:
    """What changed among the addresses or contacts the plan patches, deletes or creates."""
    what = entity.entity[:-1]
    ops = [o for o in (*entity.updates, *entity.deletes) if (entity.entity, o.key) not in settled]
    creates = [c for c in entity.creates if c.customer_id and c.pair_key and (entity.entity, c.key) not in settled]
    parents = {o.customer_id: o.customer_number for o in (*ops, *creates) if o.customer_id}
    if not parents:
        return []
    current = await remote.list_children(entity.entity, parents)
    changed: list[str] = []
    if ops:
        model = ENTITIES[entity.entity]
        columns = compared_columns(model, tuple(plan.meta.provided.get(entity.entity, ())))
        ids = current["id"].astype("string").to_numpy(dtype=object, na_value=None)
        digests = dict(zip(ids, record_digests(model, model.conform(current), columns), strict=True))
        stamps = _updated_at(current)
        for o in ops:
            if o.id not in digests:
                changed.append(f"{what} {o.key}: deleted since the plan")
            elif o.seen is not None and digests[o.id] != o.seen:
                changed.append(f"{what} {o.key}: changed in the API since the plan")
            elif o.seen is None and stamps.get(o.id) != o.updated_at:  # a plan saved before content digests
                changed.append(_why(what, o.key, o.updated_at, stamps.get(o.id)))
    if creates:
        changed += [
            f"{what} {c.key}: created in the API since the plan"
            for c in _appeared(entity, creates, current, plan.meta.contact_key, settled)
        ]
    return changed


def _appeared(
    entity: EntityPlan, creates: list[Create], current: pd.DataFrame, contact_key: str, settled: set[tuple[str, str]]
) -> list[Create]:
    """The creates whose record now exists: ``key#n`` is taken when the API has more than ``n`` records with
    ``key`` besides those this plan already created."""
    if current.empty:
        return []
    model = ENTITIES[entity.entity]
    current = model.conform(current)
    if entity.entity == "addresses":
        _, keys = address_keys(model.empty(), current)
    else:
        keys = contact_keys(current, contact_key)
    existing = Counter(key_bases(keys.dropna()).tolist())
    own = Counter(_base(c.pair_key) for c in entity.creates if c.pair_key and (entity.entity, c.key) in settled)
    return [c for c in creates if existing[_base(c.pair_key)] - own[_base(c.pair_key)] > _occurrence(c.pair_key)]


def _base(pair_key: str | None) -> str:
    """The pairing key without its occurrence number, as :func:`key_bases` takes it off."""
    return str(key_bases(pd.Series([str(pair_key)])).iloc[0])


def _occurrence(pair_key: str | None) -> int:
    """The ``n`` of a trailing ``#n`` (0 for the first record with its key)."""
    suffix = str(pair_key)[len(_base(pair_key)) :]
    return int(suffix[1:]) if suffix else 0


def _updated_at(frame: pd.DataFrame) -> dict[str, str | None]:
    return dict(zip(frame["id"].astype("string"), frame["updatedAt"].map(plain), strict=True))


def _why(what: str, key: str, planned: str | None, now: str | None) -> str:
    if now is None:
        return f"{what} {key}: deleted since the plan"
    return f"{what} {key}: updatedAt {planned} -> {now}"
