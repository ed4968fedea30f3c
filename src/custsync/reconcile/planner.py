"""``plan_sync``: fetch what the diff needs — and not more — then build the plan.

The call budget is the point of this module. Customers are compared against the customer list: all of it (one
call per 50), or on a nightly run only the customers that can have changed on either side
(:mod:`custsync.reconcile.listing`). A customer's addresses and contacts cost one list call each, so they are
listed only for customers that need it:

- a customer the API does not have yet: nothing to list (all its sub-rows are creates);
- ``--full``: every existing customer of the source;
- otherwise an existing customer whose desired sub-rows' fingerprint differs from the one the state store
  recorded at the last successful sync, or whose API ``updatedAt`` / id moved since, or that the store
  does not know.

The trade-off (README, "How a sync decides what to fetch"): a change made directly in the API to an address
or contact that does not move the customer's ``updatedAt`` is seen only by a ``--full`` run or when the
source's rows for that customer change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

import pandas as pd

from custsync.model import ADDRESSES, CONTACTS, Entity
from custsync.reconcile.build import Current, PlanOptions, build_plan, compared_columns, refuse_empty_mirror
from custsync.reconcile.desired import Desired, as_desired
from custsync.reconcile.fingerprint import subrow_fingerprints
from custsync.reconcile.keys import check_desired_contacts, customer_numbers
from custsync.reconcile.listing import desired_fingerprints, list_customers
from custsync.reconcile.modes import DeletePolicy, Mode, check_mirror_options
from custsync.reconcile.plan import Plan, PlanMeta
from custsync.reconcile.remote import Remote
from custsync.reconcile.values import epoch_us, member
from custsync.state import StateStore


async def plan_sync(
    desired_state: Desired | Mapping[str, pd.DataFrame | None],
    remote: Remote,
    *,
    options: PlanOptions | None = None,
    state: StateStore | None = None,
    refuse_over_limit: bool = True,
) -> Plan:
    """Fetch the current state the diff needs and compute the plan (no write).

    ``desired_state`` is a :class:`Desired`; plain frames per entity get their provided columns inferred.
    With ``refuse_over_limit`` off, a mirror plan over its delete limit is returned (its ``refusals()`` say
    why it must not be applied) instead of refused.
    """
    options = options or PlanOptions()
    wanted = as_desired(desired_state)
    desired = wanted.frames
    if getattr(remote, "full_create_body", False) and not options.full_create_body:
        options = dataclasses.replace(options, full_create_body=True)  # a property of the target: ask it
    check_mirror_options(options.mode, options.scope)
    refuse_empty_mirror(desired, options)  # before any API call
    if refuse_over_limit:  # a mirror of a source with rejected rows is refused before any API call too
        DeletePolicy.start(options, rejected_rows=wanted.rejected_rows).check()
    if desired.get("contacts") is not None:  # before any API call: a source the key cannot pair is refused
        check_desired_contacts(desired["contacts"], options.contact_key)
    meta = PlanMeta(
        api_url=remote.base_url,
        created_at=dt.datetime.now(dt.UTC).isoformat(),
        mode=str(options.mode),
        scope=str(options.scope) if options.scope else None,
        full=options.full,
        sources=wanted.source_records(),
        contact_key=options.contact_key,
        state_generation=state.generation() if state is not None else None,
    )
    fingerprints: dict[str, pd.Series] = {}
    customer_prints = desired_fingerprints(desired, wanted.provided)
    if customer_prints is not None:
        fingerprints["customers"] = customer_prints
    view = await list_customers(
        desired, customer_prints, remote, state, options, number_prefix=_list_prefix(desired, options)
    )
    api_customers = view.api
    for entity in (ADDRESSES, CONTACTS):
        frame = desired.get(entity.name)
        if frame is not None:
            frame = entity.conform(frame) if set(entity.columns) - set(frame.columns) else frame
            columns = compared_columns(entity, wanted.provided[entity.name])
            fingerprints[entity.name] = subrow_fingerprints(entity, frame, columns)

    remembered = state.customers() if state is not None else None
    current = Current(customers=api_customers, known=view.known, settled_before=view.settled_before)
    existing = _existing(api_customers, view.known)
    for entity in (ADDRESSES, CONTACTS):
        if entity.name not in fingerprints:
            continue
        parents = _parents_to_fetch(entity, desired, existing, fingerprints[entity.name], remembered, options)
        current.fetched[entity.name] = set(parents.values())
        current.children[entity.name] = await remote.list_children(entity.name, parents) if parents else entity.empty()
    plan = build_plan(
        wanted,
        current,
        options=options,
        meta=meta,
        fingerprints=fingerprints,
        match_memory=state.match_keys() if state is not None else None,
        refuse_over_limit=refuse_over_limit,
    )
    plan.listing = view.listing
    plan.calls = remote.calls()
    return plan


def _list_prefix(desired: Mapping[str, pd.DataFrame | None], options: PlanOptions) -> str | None:
    """A mirror scoped by number prefix lists only that prefix — when every source customer is inside it."""
    scope = options.scope
    if options.mode is not Mode.MIRROR or scope is None or scope.kind != "number-prefix":
        return None
    for frame in desired.values():
        if frame is None or frame.empty:
            continue
        column = "number" if "number" in frame.columns else "customerNumber"
        if not customer_numbers(frame[column]).str.startswith(scope.value).fillna(False).all():
            return None
    return scope.value


def _existing(api_customers: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """``number``, ``id``, ``updatedAt`` (Int64 µs) of the customers fetched and of those known unchanged."""
    fetched = pd.DataFrame(
        {
            "number": customer_numbers(api_customers["number"]),
            "id": api_customers["id"].astype("string"),
            "updatedAt": epoch_us(api_customers["updatedAt"]),
        }
    )
    if known.empty:
        return fetched
    return pd.concat([fetched, known.rename(columns={"updated_at": "updatedAt"})], ignore_index=True)


def _parents_to_fetch(
    entity: Entity,
    desired: Mapping[str, pd.DataFrame | None],
    existing: pd.DataFrame,
    fingerprints: pd.Series,
    remembered: pd.DataFrame | None,
    options: PlanOptions,
) -> dict[str, str]:
    """``{customer id: number}`` of the existing source customers whose ``entity`` must be listed."""
    numbers = [fingerprints.index.to_series()]
    customers = desired.get("customers")
    if customers is not None:
        numbers.append(customer_numbers(customers["number"]))
    api = existing[member(existing["number"], pd.concat(numbers).dropna().unique())]
    if options.full or remembered is None or remembered.empty:
        return dict(zip(api["id"], api["number"], strict=True))
    hash_column = f"{entity.name}_hash"
    merged = api.merge(remembered, on="number", how="left", suffixes=("", "_seen"))
    wanted = pd.Series(fingerprints.reindex(merged["number"]).fillna(0).to_numpy(), dtype="Int64")
    need = (
        merged[hash_column].isna()
        | merged[hash_column].ne(wanted).fillna(True)
        | merged["updated_at"].ne(merged["updatedAt"]).fillna(True)
        | merged["id_seen"].ne(merged["id"]).fillna(True)
    ).to_numpy(dtype=bool)
    chosen = merged[need]
    return dict(zip(chosen["id"], chosen["number"], strict=True))
