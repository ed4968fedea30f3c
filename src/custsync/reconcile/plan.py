"""The plan: exactly which creates, patches and deletes a sync will send, and what it was computed against.

A plan is plain data (dataclasses of JSON values) so that ``custsync plan --out plan.json`` can save it and
``custsync apply plan.json`` can execute exactly it later — or refuse, when the records it touches changed.
It never holds the API token: only the base URL it was computed against.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from custsync.errors import PlanError
from custsync.reconcile.modes import refusals

PLAN_FORMAT = 1


@dataclass
class Create:
    """A new record. Sub-resources name their parent by number; its id is known only after the parent exists."""

    key: str
    body: dict[str, Any]
    customer_number: str
    customer_id: str | None = None
    match_key: str | None = None
    source: str | None = None
    """``file:line`` of the source row, for messages."""
    pair_key: str | None = None
    """Addresses/contacts: the key the plan paired records by, with its ``#n`` occurrence — the stale-plan check
    refuses when a record with this key appeared in the API since."""
    then: dict[str, Any] = field(default_factory=dict)
    """A follow-up PATCH of the new record (the members its create body cannot carry); part of the create."""


@dataclass
class Update:
    """A patch carrying only the changed fields; ``before`` and ``updated_at`` are what the plan saw."""

    key: str
    id: str
    body: dict[str, Any]
    changes: dict[str, list[Any]]
    """column -> ``[before, after]`` in canonical form, for people and for the staleness check."""
    customer_number: str
    customer_id: str | None = None
    updated_at: str | None = None
    match_key: str | None = None
    source: str | None = None
    seen: str | None = None
    """Addresses/contacts: a digest of the record as the plan saw it (their API has no ``updatedAt``)."""


@dataclass
class Delete:
    key: str
    id: str
    customer_number: str
    customer_id: str | None = None
    updated_at: str | None = None
    seen: str | None = None
    """Addresses/contacts: a digest of the record as the plan saw it."""


@dataclass
class EntityPlan:
    entity: str
    creates: list[Create] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    deletes: list[Delete] = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0
    """Differences the mode leaves alone (updates in ``insert`` mode, creates in ``update`` mode...)."""
    kept_empty: dict[str, int] = field(default_factory=dict)
    """Per column, records whose empty source cell left the API's value as it is: the API takes no null there
    (see :mod:`custsync.reconcile.nulls`)."""

    def counts(self) -> dict[str, int]:
        return {
            "create": len(self.creates),
            "update": len(self.updates),
            "delete": len(self.deletes),
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }

    @property
    def operations(self) -> int:
        return len(self.creates) + len(self.updates) + len(self.deletes)

    @property
    def write_calls(self) -> int:
        """Write calls the operations take: a create with a follow-up PATCH takes two."""
        return self.operations + sum(1 for c in self.creates if c.then)


SYNCED_COLUMNS = ("number", "id", "addresses_hash", "contacts_hash", "updated_at", "customer_hash")
"""Per desired customer, what the state store should remember once the plan has been applied: its id (``None``
for a customer the plan creates), the fingerprints of its desired addresses and contacts (``None`` = not fully
synced, list them next time), its ``updatedAt`` in microseconds since 1970 as the plan saw it, and the
fingerprint of its desired row (``None`` when the mode left a difference: fetch it next time)."""


@dataclass
class Listing:
    """How the plan's customers were listed, and what the state store learns from it once the plan is applied."""

    strategy: str = "full"
    """``full`` (every customer) or ``incremental`` (changed since the watermark, and the source's changed rows)."""
    reason: str | None = None
    """Why a run that could have listed incrementally listed every customer (said in the output and ``--json``)."""
    ids: list[str] = field(default_factory=list)
    """Ids of the customers the listing returned: all of them (``complete``) or the changed ones."""
    complete: bool = False
    """Whether ``ids`` is every customer the API held (a full, unscoped listing)."""
    watermark: str | None = None
    """Where the next incremental listing starts; ``None`` keeps the one the state store has."""
    counts: dict[str, int] = field(default_factory=dict)
    """For people: customers ``changed`` since the watermark, source rows ``looked_up`` by number, ``total``."""

    def summary(self) -> dict[str, Any]:
        """What ``--json`` says about it (the ids stay in the plan file)."""
        return {"strategy": self.strategy, "reason": self.reason, **self.counts}

    def describe(self) -> str:
        """One line for people: how the customers were listed, and why every one of them when so."""
        if self.strategy == "incremental":
            c = self.counts
            return (
                f"customers listed incrementally: {c.get('changed', 0)} changed since the last run, "
                f"{c.get('looked_up', 0)} source row(s) looked up by number, "
                f"{c.get('known_unchanged', 0)} known unchanged (totalCount {c.get('total', '?')})"
            )
        return f"every customer listed ({self.counts.get('listed', 0)}): {self.reason or 'full listing'}"


@dataclass
class PlanMeta:
    api_url: str
    created_at: str
    mode: str
    scope: str | None
    full: bool
    sources: list[dict[str, str]] = field(default_factory=list)
    """``{"path": ..., "sha256": ...}`` per source file."""
    provided: dict[str, list[str]] = field(default_factory=dict)
    """The columns per entity the source provides (only these are compared and written)."""
    contact_key: str = "name"
    """What contacts were paired by (``name`` or ``email``): ``apply`` looks up a possibly created contact by it."""
    deletes: dict[str, Any] = field(default_factory=dict)
    """A mirror's delete policy: ``max_deletes``, ``force``, the customers held back by validation and per
    entity the deletes ``planned``, the records ``in_scope`` and the ``limit`` (empty outside mirror mode)."""
    state_generation: int | None = None
    """How many applies the state directory had begun when the plan was made (``None``: planned without one);
    ``apply`` refuses the plan when another one was applied since."""


@dataclass
class Plan:
    meta: PlanMeta
    customers: EntityPlan
    addresses: EntityPlan
    contacts: EntityPlan
    synced: dict[str, list[Any]] = field(default_factory=lambda: {c: [] for c in SYNCED_COLUMNS})
    """Columns :data:`SYNCED_COLUMNS` (columnar: a million customers are a million list items, not objects)."""
    match_keys: list[list[str]] = field(default_factory=list)
    """``[customer number, matchKey, address id]`` of delivery addresses paired without the state store's
    memory (by content): remembered after apply, so a later change of their street still updates them."""
    calls: dict[str, int] = field(default_factory=dict)
    """API calls spent computing the plan."""
    listing: Listing = field(default_factory=Listing)
    """How the customers were listed (not part of the digest: it does not change what is sent)."""

    def entity(self, name: str) -> EntityPlan:
        return {"customers": self.customers, "addresses": self.addresses, "contacts": self.contacts}[name]

    @property
    def entities(self) -> tuple[EntityPlan, EntityPlan, EntityPlan]:
        return (self.customers, self.addresses, self.contacts)

    @property
    def operations(self) -> int:
        return sum(e.operations for e in self.entities)

    def counts(self) -> dict[str, dict[str, int]]:
        return {e.entity: e.counts() for e in self.entities}

    def refusals(self) -> list[str]:
        """Why this plan's deletes are over its recorded policy (empty when it may be applied)."""
        return refusals(self.meta.deletes, self.meta.scope)

    def to_dict(self) -> dict[str, Any]:
        return {"format": PLAN_FORMAT, "id": self.plan_id(), **asdict(self)}

    def plan_id(self) -> str:
        """A digest of the operations: the journal recognises a resumed plan by it."""
        ops = {e.entity: [_digested(o) for o in (*e.creates, *e.updates, *e.deletes)] for e in self.entities}
        meta = asdict(self.meta)
        if meta["contact_key"] == "name":
            del meta["contact_key"]  # the default: plans saved before the choice existed keep their digest
        if not meta["deletes"]:
            del meta["deletes"]  # no mirror: plans saved before the policy was recorded keep their digest
        if meta["state_generation"] is None:
            del meta["state_generation"]
        blob = json.dumps([meta, ops], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def save(self, path: Path) -> None:
        """Write atomically: a crash never leaves half a plan that ``apply`` could misread."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        if data.get("format") != PLAN_FORMAT:
            raise PlanError(
                f"unsupported plan format {data.get('format')!r}", hint="make the plan again with this version"
            )
        try:
            return cls(
                meta=PlanMeta(**data["meta"]),
                customers=_entity_from_dict(data["customers"]),
                addresses=_entity_from_dict(data["addresses"]),
                contacts=_entity_from_dict(data["contacts"]),
                synced=_synced_from_dict(data.get("synced", {})),
                match_keys=[list(m) for m in data.get("match_keys", [])],
                calls=dict(data.get("calls", {})),
                listing=Listing(**data.get("listing", {})),
            )
        except (KeyError, TypeError) as exc:
            raise PlanError(f"the plan file is not a custsync plan: {exc}") from None

    @classmethod
    def load(cls, path: Path) -> Plan:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PlanError(f"{path}: no such plan file") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PlanError(f"{path}: cannot read the plan: {exc}") from None
        if not isinstance(data, dict):
            raise PlanError(f"{path}: the plan file is not a custsync plan")
        plan = cls.from_dict(data)
        if data.get("id") and data["id"] != plan.plan_id():
            raise PlanError(f"{path}: the plan was edited after it was made (its digest does not match)")
        return plan


_LATER_FIELDS = ("seen", "pair_key")
"""Operation fields added after plan files existed: left out of the digest while empty, so older plans load."""


def _digested(op: Create | Update | Delete) -> dict[str, Any]:
    data = asdict(op)
    for name in _LATER_FIELDS:
        if data.get(name, "") is None:
            del data[name]
    if isinstance(op, Create) and not op.then:
        del data["then"]  # plans without follow-ups keep the digest they had before follow-ups existed
    return data


def _synced_from_dict(data: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The synced columns; one a plan saved by an earlier version lacks is empty (``None``) for every customer."""
    rows = len(data.get("number", []))
    return {c: list(data[c]) if c in data else [None] * rows for c in SYNCED_COLUMNS}


def _entity_from_dict(data: dict[str, Any]) -> EntityPlan:
    return EntityPlan(
        entity=data["entity"],
        creates=[Create(**c) for c in data.get("creates", [])],
        updates=[Update(**u) for u in data.get("updates", [])],
        deletes=[Delete(**d) for d in data.get("deletes", [])],
        unchanged=int(data.get("unchanged", 0)),
        skipped=int(data.get("skipped", 0)),
        kept_empty={str(k): int(v) for k, v in data.get("kept_empty", {}).items()},
    )
