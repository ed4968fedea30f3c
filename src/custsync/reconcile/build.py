"""From desired and current frames to a :class:`Plan`: pure, synchronous, no API.

:func:`build_plan` pairs and diffs every entity (:mod:`custsync.reconcile.diff`), turns the differences
into operations allowed by the mode, and enforces the delete threshold. What to fetch is decided before
(:mod:`custsync.reconcile.planner`); here, sub-resources are compared only for the customers whose current
sub-resources were fetched, and every desired sub-row of a not-fetched customer counts as unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from custsync.codec import customer_request, split_customer_create, to_api
from custsync.errors import PlanError
from custsync.model import ADDRESSES, CONTACTS, CUSTOMERS, SOURCE_FILE, SOURCE_ROW, SUB_ENTITY_NAMES, Entity
from custsync.reconcile.desired import Desired, as_desired
from custsync.reconcile.diff import EntityDiff, diff_entity
from custsync.reconcile.fingerprint import record_digests
from custsync.reconcile.keys import (
    address_keys,
    check_contact_key,
    check_desired_contacts,
    contact_keys,
    customer_keys,
    customer_numbers,
)
from custsync.reconcile.modes import DeletePolicy, Mode, Scope
from custsync.reconcile.normalise import normalise_column, normalise_frame
from custsync.reconcile.nulls import kept_masks
from custsync.reconcile.plan import Create, Delete, EntityPlan, Plan, PlanMeta, Update
from custsync.reconcile.values import as_set, epoch_us, member, plain, records, to_list

KEY_COLUMNS = {
    "customers": set(CUSTOMERS.key),
    "addresses": set(ADDRESSES.key),
    "contacts": {CONTACTS.parent_key},  # a contact's name is compared: keyed by e-mail, a rename is a patch
}
"""Per entity, the columns that identify a record (the model's keys) and so are never compared or patched."""
PERSON = "person"


@dataclass
class Current:
    """The API's state as far as it was fetched."""

    customers: pd.DataFrame
    children: dict[str, pd.DataFrame] = field(default_factory=dict)
    """``addresses``/``contacts`` of the customers in ``fetched``."""
    fetched: dict[str, set[str]] = field(default_factory=dict)
    """Per sub-entity: the customer numbers whose sub-resources were listed."""
    known: pd.DataFrame | None = None
    """``number``, ``id``, ``updated_at`` (Int64 µs) of source customers known unchanged on both sides without
    a fetch (an incremental listing): counted unchanged, their id used for their addresses and contacts."""
    settled_before: pd.Timestamp | None = None
    """A customer stamped at or after this may share its stamp with a later change (stamps of a second's
    resolution, read within that second): its ``updatedAt`` is not remembered, so the next run looks again.
    ``None``: every stamp is settled."""


@dataclass(frozen=True)
class PlanOptions:
    mode: Mode = Mode.UPSERT
    scope: Scope | None = None
    max_deletes: int | None = None
    force: bool = False
    full: bool = False
    contact_key: str = "name"
    """What identifies a contact person under its customer: ``name`` or ``email`` (``contact.email``)."""
    full_create_body: bool = False
    """The target takes a customer's whole body at create (one call); by default the members outside the
    public spec's create body follow in a PATCH of the new customer."""


def compared_columns(entity: Entity, provided: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c for c in provided if c not in KEY_COLUMNS[entity.name])


def build_plan(
    desired_state: Desired | Mapping[str, pd.DataFrame | None],
    current: Current,
    *,
    options: PlanOptions,
    meta: PlanMeta,
    fingerprints: Mapping[str, pd.Series] | None = None,
    match_memory: pd.DataFrame | None = None,
    refuse_over_limit: bool = True,
) -> Plan:
    """Compute the plan. ``desired_state`` is a :class:`Desired` (plain frames per entity get their provided
    columns inferred); an entity whose frame is ``None`` is neither compared nor touched.

    Delete safety lives here, for every entry point: a mirror needs a scope, an empty source is refused,
    customers held back by validation are never deleted (nor their addresses and contacts), and the plan's
    delete policy (``meta.deletes``) is checked against the limit unless ``refuse_over_limit`` is off (a
    report shows such a plan instead of failing).
    """
    state = as_desired(desired_state)
    desired = state.frames
    provided = {name: state.provided[name] for name, f in desired.items() if f is not None}
    meta.provided = {k: list(v) for k, v in provided.items()}
    meta.contact_key = check_contact_key(options.contact_key)
    if desired.get("contacts") is not None:
        check_desired_contacts(desired["contacts"], options.contact_key)
    refuse_empty_mirror(desired, options)
    policy = DeletePolicy.start(
        options,
        rejected_rows=state.rejected_rows,
        held_back=len(state.held_back),
        unnumbered=state.unnumbered_rejects,
    )
    api_customers = _conformed(CUSTOMERS, current.customers)
    known = current.known if current.known is not None and len(current.known) else None
    if known is not None and options.mode.deletes:
        raise PlanError("a mirror compares every customer: it cannot take customers known unchanged unlisted")
    ids = pd.Series(
        api_customers["id"].to_numpy(), index=customer_numbers(api_customers["number"]).to_numpy(), dtype="string"
    )
    if known is not None:
        ids = pd.concat([ids, pd.Series(known["id"].to_numpy(), index=known["number"].to_numpy(), dtype="string")])
    skipped_parents: dict[str, set[str]] = {}
    customers_plan, desired_numbers, new_numbers, skipped_parents["customers"] = _plan_customers(
        desired.get("customers"), api_customers, known, provided, options, state.held_back, policy
    )

    plans = {"customers": customers_plan}
    match_keys: list[list[str]] = []
    for entity in (ADDRESSES, CONTACTS):
        frame = desired.get(entity.name)
        if frame is None:
            plans[entity.name] = EntityPlan(entity.name)
            continue
        plans[entity.name], skipped_parents[entity.name], paired = _plan_children(
            entity,
            _conformed(entity, frame),
            _conformed(entity, current.children[entity.name]) if entity.name in current.children else entity.empty(),
            fetched=current.fetched.get(entity.name, set()),
            new_numbers=new_numbers if options.mode.creates else set(),
            desired_numbers=desired_numbers,
            api_customers=api_customers,
            ids=ids,
            columns=compared_columns(entity, provided[entity.name]),
            options=options,
            memory=match_memory if entity is ADDRESSES else None,
            held_back=state.held_back,
            policy=policy,
        )
        match_keys += paired
    meta.deletes = policy.record()
    if refuse_over_limit:
        policy.check()
    plan = Plan(meta=meta, customers=plans["customers"], addresses=plans["addresses"], contacts=plans["contacts"])
    plan.match_keys = match_keys
    plan.synced = _synced(
        desired, _settled(api_customers, current.settled_before), known, fingerprints or {}, skipped_parents
    )
    return plan


def refuse_empty_mirror(desired: Mapping[str, pd.DataFrame | None], options: PlanOptions) -> None:
    """An empty source is never mirrored: it would delete every record in the scope."""
    if options.mode is Mode.MIRROR and all(f is None or f.empty for f in desired.values()):
        raise PlanError(
            "the source is empty: mirror mode would delete every record in its scope",
            hint="check the source files; an empty source is never mirrored",
        )


def _conformed(entity: Entity, frame: pd.DataFrame) -> pd.DataFrame:
    dtypes = frame.dtypes.to_dict()
    if all(dtypes.get(c) == t for c, t in entity.dtypes.items()):
        return frame
    return entity.conform(frame)


def _plan_customers(
    frame: pd.DataFrame | None,
    api: pd.DataFrame,
    known: pd.DataFrame | None,
    provided: Mapping[str, tuple[str, ...]],
    options: PlanOptions,
    held_back: frozenset[str],
    policy: DeletePolicy,
) -> tuple[EntityPlan, set[str], set[str], set[str]]:
    """The customers' plan, the source's numbers (mirror only), the numbers it creates, and those whose
    difference the mode skipped."""
    plan = EntityPlan("customers")
    if frame is None:
        return plan, set(), set(), set()
    frame = _conformed(CUSTOMERS, frame)
    unlisted = 0
    if known is not None:
        settled = member(customer_numbers(frame["number"]), known["number"].to_numpy(dtype=object))
        unlisted = int(settled.sum())
        frame = frame[~settled]
    columns = compared_columns(CUSTOMERS, provided["customers"])
    persons = frame["customerType"].astype("string").str.strip().str.lower().eq(PERSON).fillna(False)
    diff = diff_entity(
        CUSTOMERS,
        frame,
        api,
        columns=columns,
        desired_keys=customer_keys(frame),
        current_keys=customer_keys(api),
        ignore={"name": persons} if "name" in columns else None,
        keep=kept_masks(CUSTOMERS, frame, columns),
    )
    plan.unchanged = diff.unchanged + unlisted
    plan.kept_empty = diff.kept
    skipped: set[str] = set()
    sendable = tuple(provided["customers"])
    if options.mode.creates:
        for row, src in _rows(CUSTOMERS, diff.create, sendable):
            body, then = split_customer_create(_customer_body(row), full_body=options.full_create_body)
            plan.creates.append(
                Create(key=row["number"], body=body, customer_number=row["number"], source=_where(src), then=then)
            )
    else:
        plan.skipped += len(diff.create)
    if options.mode.updates:
        plan.updates = _updates(diff, parent_ids=None)
    else:
        plan.skipped += len(diff.update_desired)
        skipped = {str(k) for k in diff.update_desired.index}
    if options.mode.deletes:
        assert options.scope is not None
        in_scope = options.scope.contains(api).to_numpy()
        missing = diff.missing[options.scope.contains(diff.missing).to_numpy()]
        missing = missing[~member(customer_numbers(missing["number"]), held_back)]
        plan.deletes = [
            Delete(key=str(k), id=str(r["id"]), customer_number=str(k), updated_at=plain(r["updatedAt"]))
            for k, r in zip(missing.index, records(missing[["id", "updatedAt"]]), strict=True)
        ]
        policy.count("customers", len(plan.deletes), int(in_scope.sum()))
    # only mirror deletes need the set of source numbers (it costs a pass over every number)
    desired_numbers = as_set(customer_numbers(frame["number"])) if options.mode.deletes else set()
    new_numbers = {c.customer_number for c in plan.creates}
    return plan, desired_numbers, new_numbers, skipped


def _customer_body(row: dict[str, object]) -> dict[str, object]:
    """A create body: the API derives a person's ``name`` from first and last name, so it is not sent."""
    if str(row.get("customerType") or "").lower() == PERSON:
        row = {k: v for k, v in row.items() if k != "name"}
    return to_api(CUSTOMERS, row)


def _plan_children(
    entity: Entity,
    desired: pd.DataFrame,
    current: pd.DataFrame,
    *,
    fetched: set[str],
    new_numbers: set[str],
    desired_numbers: set[str],
    api_customers: pd.DataFrame,
    ids: pd.Series,
    columns: tuple[str, ...],
    options: PlanOptions,
    memory: pd.DataFrame | None,
    held_back: frozenset[str],
    policy: DeletePolicy,
) -> tuple[EntityPlan, set[str], list[list[str]]]:
    """Plan one sub-entity; also return the customer numbers whose differences the mode skipped, and the
    ``[number, matchKey, id]`` of delivery addresses paired with a match key."""
    plan = EntityPlan(entity.name)
    parents = customer_numbers(desired["customerNumber"])
    existing = member(parents, ids.index)
    new = member(parents, new_numbers)
    compared = (member(parents, fetched) & existing) | new
    orphans = ~existing & ~new
    plan.unchanged = int((existing & ~compared).sum())
    plan.skipped = int(orphans.sum())
    skipped_parents = as_set(parents[orphans])

    want = desired[compared]
    have = current[member(customer_numbers(current["customerNumber"]), fetched)]
    if entity is ADDRESSES:
        d_keys, c_keys = address_keys(want, have, memory)
    else:
        d_keys, c_keys = contact_keys(want, options.contact_key), contact_keys(have, options.contact_key)
    diff = diff_entity(
        entity,
        want,
        have,
        columns=columns,
        desired_keys=d_keys,
        current_keys=c_keys,
        keep=kept_masks(entity, want, columns),
    )
    plan.unchanged += diff.unchanged
    plan.kept_empty = diff.kept
    paired = _paired_match_keys(want, have, d_keys, c_keys) if entity is ADDRESSES else []

    sendable = tuple(c for c in entity.writable_columns if c in columns or c == "type")
    if options.mode.creates:
        rows = _rows(entity, diff.create, (*sendable, "customerNumber", "matchKey"))
        for (row, src), pair_key in zip(rows, diff.create.index, strict=True):
            number = row["customerNumber"]
            plan.creates.append(
                Create(
                    key=_key_text(entity, row),
                    body=to_api(entity, row),
                    customer_number=number,
                    customer_id=plain(ids.get(number)),
                    match_key=row.get("matchKey"),
                    source=_where(src),
                    pair_key=str(pair_key),
                )
            )
    else:
        plan.skipped += len(diff.create)
        skipped_parents |= as_set(customer_numbers(diff.create["customerNumber"]))
    if options.mode.updates:
        plan.updates = _updates(diff, parent_ids=ids)
    else:
        plan.skipped += len(diff.update_desired)
        skipped_parents |= as_set(customer_numbers(diff.update_desired["customerNumber"]))
    if options.mode.deletes:
        plan.deletes, in_scope = _child_deletes(
            entity, diff, have, want, desired_numbers - held_back, api_customers, ids, options
        )
        policy.count(entity.name, len(plan.deletes), in_scope)
    return plan, skipped_parents, paired


def _paired_match_keys(want: pd.DataFrame, have: pd.DataFrame, d_keys: pd.Series, c_keys: pd.Series) -> list[list[str]]:
    match_key = want["matchKey"].astype("string").str.strip()
    has = (match_key.notna() & match_key.ne("")).to_numpy(dtype=bool, na_value=False)
    if not has.any():
        return []
    ids = pd.Series(have["id"].astype("string").to_numpy(), index=c_keys.to_numpy())
    pairs = pd.DataFrame(
        {
            "number": customer_numbers(want["customerNumber"]).to_numpy()[has],
            "matchKey": match_key.to_numpy()[has],
            "id": pd.Series(d_keys.to_numpy()[has]).map(ids).to_numpy(),
        }
    ).dropna()
    return pairs.astype(str).to_numpy().tolist()


def _child_deletes(
    entity: Entity,
    diff: EntityDiff,
    have: pd.DataFrame,
    want: pd.DataFrame,
    desired_numbers: set[str],
    api_customers: pd.DataFrame,
    ids: pd.Series,
    options: PlanOptions,
) -> tuple[list[Delete], int]:
    """Sub-resources the source no longer has, of customers the source still has (a customer the source
    dropped is deleted whole, its sub-resources with it) and that are inside the scope."""
    assert options.scope is not None
    scoped = api_customers[options.scope.contains(api_customers).to_numpy()]
    scoped_numbers = as_set(customer_numbers(scoped["number"]))
    missing = diff.missing
    owners = customer_numbers(missing["customerNumber"])
    missing = missing[member(owners, scoped_numbers) & member(owners, desired_numbers)]
    seen = record_digests(entity, missing, diff.columns)
    deletes = [
        Delete(
            key=str(k),
            id=str(r["id"]),
            customer_number=r["customerNumber"],
            customer_id=plain(ids.get(r["customerNumber"])),
            updated_at=r["updatedAt"],
            seen=digest,
        )
        for k, r, digest in zip(
            missing.index, records(missing[["id", "customerNumber", "updatedAt"]]), seen, strict=True
        )
    ]
    in_scope = max(
        int(member(customer_numbers(have["customerNumber"]), scoped_numbers).sum()),
        int(member(customer_numbers(want["customerNumber"]), scoped_numbers).sum()),
    )
    return deletes, in_scope


def _updates(diff: EntityDiff, *, parent_ids: pd.Series | None) -> list[Update]:
    """One patch per changed record, carrying only the changed fields (``null`` clears a field).

    Values are read column by column for the changed cells only, so the Python work grows with the number
    of changed fields, not with rows x columns."""
    if diff.update_desired.empty:
        return []
    entity = diff.entity
    count = len(diff.update_desired)
    changes: list[dict[str, list[object]]] = [{} for _ in range(count)]
    masks = diff.changed.to_numpy()
    for j, column in enumerate(diff.columns):
        rows = np.flatnonzero(masks[:, j])
        if not len(rows):
            continue
        after = normalise_column(entity, column, diff.update_desired[column].iloc[rows])
        before = diff.update_current[column].iloc[rows]
        for row, old, new in zip(rows.tolist(), before.tolist(), after.tolist(), strict=True):
            changes[row][column] = [plain(old), plain(new)]
    ids = to_list(diff.update_current["id"].astype("string"))
    seen = [plain(v) for v in diff.update_current["updatedAt"].tolist()]
    keys = [str(k) for k in diff.update_desired.index]
    has_parent = entity.parent_key is not None
    numbers = to_list(customer_numbers(diff.update_desired["customerNumber"])) if has_parent else keys
    match_keys = to_list(diff.update_desired["matchKey"]) if "matchKey" in diff.update_desired else [None] * count
    sources = _sources(diff.update_desired)
    digests = record_digests(entity, diff.update_current, diff.columns) if has_parent else [None] * count
    bodies = [to_api(entity, {c: v[1] for c, v in change.items()}, include_nulls=True) for change in changes]
    if entity is CUSTOMERS:
        bodies = _customer_patches(diff, changes, bodies)
    return [
        Update(
            key=keys[i],
            id=str(ids[i]),
            body=bodies[i],
            changes=changes[i],
            customer_number=numbers[i],
            customer_id=plain(parent_ids.get(numbers[i])) if has_parent and parent_ids is not None else None,
            updated_at=seen[i],
            match_key=match_keys[i],
            source=sources[i],
            seen=digests[i],
        )
        for i in range(count)
    ]


def _customer_patches(
    diff: EntityDiff, changes: list[dict[str, list[object]]], bodies: list[dict[str, object]]
) -> list[dict[str, object]]:
    """Customer PATCH bodies as requests name them; a changed lead member brings its sibling along (the API
    takes ``lead`` whole: ``isLead`` and ``status``)."""
    lead = [c for c in LEAD_COLUMNS if c in diff.update_desired.columns]
    out = []
    for i, (change, body) in enumerate(zip(changes, bodies, strict=True)):
        if lead and any(c in change for c in LEAD_COLUMNS):
            row = diff.update_desired.iloc[i]
            body = dict(body)
            body["lead"] = {c.split(".", 1)[1]: plain(row[c]) for c in lead}
        out.append(customer_request(body))
    return out


LEAD_COLUMNS = ("lead.isLead", "lead.status")


def _rows(entity: Entity, frame: pd.DataFrame, columns: tuple[str, ...]):
    """``(normalised row, source position)`` of the rows that become creates."""
    cols = [c for c in dict.fromkeys(columns) if c in entity.columns]
    rows = records(normalise_frame(entity, frame, cols))
    return zip(rows, _sources(frame), strict=True)


def _sources(frame: pd.DataFrame) -> list[tuple[object, object] | None]:
    if SOURCE_FILE in frame.columns and SOURCE_ROW in frame.columns:
        return list(zip(frame[SOURCE_FILE].map(plain), frame[SOURCE_ROW].map(plain), strict=True))
    return [None] * len(frame)


def _where(src: tuple[object, object] | None) -> str | None:
    if not src or src[0] is None:
        return None
    return f"{src[0]}:{src[1]}"


def _key_text(entity: Entity, row: dict[str, object]) -> str:
    parts = [row.get("customerNumber"), row.get("type") if entity is ADDRESSES else None]
    tail = row.get("matchKey") or row.get("name") or row.get("street")
    return "/".join(str(p) for p in (*parts, tail) if p)


def _settled(api: pd.DataFrame, settled_before: pd.Timestamp | None) -> pd.DataFrame:
    """``api`` with the ``updatedAt`` of customers stamped at or after ``settled_before`` blanked."""
    if settled_before is None or api.empty:
        return api
    unsettled = (pd.to_datetime(api["updatedAt"], utc=True) >= settled_before).fillna(False).to_numpy(dtype=bool)
    if not unsettled.any():
        return api
    return api.assign(updatedAt=api["updatedAt"].mask(unsettled))


def _synced(
    desired: Mapping[str, pd.DataFrame | None],
    api: pd.DataFrame,
    known: pd.DataFrame | None,
    fingerprints: Mapping[str, pd.Series],
    skipped: Mapping[str, set[str]],
) -> dict[str, list[object]]:
    """What to remember per desired customer once everything applied (fingerprints ``None`` where skipped),
    computed column-wise."""
    parts = []
    for frame in desired.values():
        if frame is not None and not frame.empty:
            parts.append(customer_numbers(frame["number" if "number" in frame.columns else "customerNumber"]))
    distinct = pd.concat(parts).dropna().unique() if parts else []
    numbers = pd.Index(np.asarray(distinct, dtype=object), dtype=object)
    by_number = pd.DataFrame(
        {"id": api["id"].astype("string").to_numpy(), "updated_at": epoch_us(api["updatedAt"]).to_numpy()},
        index=pd.Index(customer_numbers(api["number"]).to_numpy(dtype=object, na_value=None), dtype=object),
    )
    if known is not None:
        unlisted = pd.DataFrame(
            {"id": known["id"].to_numpy(), "updated_at": known["updated_at"].to_numpy()},
            index=pd.Index(known["number"].to_numpy(dtype=object), dtype=object),
        )
        by_number = pd.concat([by_number, unlisted])
    by_number = by_number[~by_number.index.duplicated()].reindex(numbers)
    columns: dict[str, list[object]] = {"number": numbers.tolist(), "id": to_list(by_number["id"])}
    for entity in SUB_ENTITY_NAMES:
        if entity not in fingerprints:
            columns[f"{entity}_hash"] = [None] * len(numbers)
            continue
        values = fingerprints[entity].reindex(numbers).fillna(0).astype("Int64")
        values = values.mask(member(pd.Series(numbers), skipped.get(entity, set())))
        columns[f"{entity}_hash"] = to_list(values)
    columns["updated_at"] = to_list(by_number["updated_at"].astype("Int64"))
    if "customers" in fingerprints:  # missing for a number the customers file lacks: its row is not compared
        values = fingerprints["customers"].reindex(numbers).astype("Int64")
        columns["customer_hash"] = to_list(values.mask(member(pd.Series(numbers), skipped.get("customers", set()))))
    else:
        columns["customer_hash"] = [None] * len(numbers)
    return columns
