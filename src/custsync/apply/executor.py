"""Carry out a plan: in dependency order, concurrently within the client's limits, journaled, resumable.

Order: customer creates and patches; then sub-resource deletes; then sub-resource patches and creates (a
new customer's addresses and contacts use the id its create returned); customer deletes last. One failing
record does not stop the others; a sub-resource whose customer could not be created fails with that reason.

Resuming: operations the journal has as ``done`` are not sent again. A create left ``sent`` (the run died
between sending and recording the answer) or ``failed`` (its outcome may be unknown) is looked up first
(customer by number, address or contact by key under its customer) and sent only if it is not there.
Patches and deletes are idempotent and are simply sent again.

A create with a follow-up PATCH (``Create.then``: the members the API's create body cannot carry) is two
journal entries: the create, and ``<op>:then`` for the PATCH of the record it made. A run killed between the
two finds the create ``done`` (or ``sent``, and the record by its key) and sends only the PATCH: never a
second record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from custsync.apply.journal import DONE, FAILED, SENT, Journal
from custsync.apply.lookup import find_created
from custsync.errors import ApiError, AuthError, CustsyncError
from custsync.reconcile import Create, Delete, Plan, Remote, Update

Op = Create | Update | Delete
KINDS = {Create: "create", Update: "update", Delete: "delete"}


@dataclass
class Failure:
    entity: str
    kind: str
    key: str
    message: str
    source: str | None = None
    problem: dict[str, Any] = field(default_factory=dict)
    status: int | None = None


@dataclass
class ApplyReport:
    """What an apply did: per entity the operations done and failed, the failures, the calls spent."""

    plan_id: str
    done: dict[str, dict[str, int]]
    failures: list[Failure]
    created_ids: dict[str, str]
    """``entity:key`` -> id of every record created (this run or a resumed one)."""
    resumed: int = 0
    """Operations found already done in the journal (not sent again)."""
    touched_customers: set[str] = field(default_factory=set)
    """Numbers of the customers whose record or sub-resources were written."""
    failed_customers: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.failures


ProgressHook = Callable[[int], None]
"""Called with the number of operations just finished (done, failed or found already done)."""


class Executor:
    """Runs one plan against a remote, journaling each operation."""

    def __init__(self, plan: Plan, remote: Remote, journal: Journal, *, concurrency: int = 8) -> None:
        self.plan = plan
        self.remote = remote
        self.journal = journal
        self.bound = asyncio.Semaphore(max(1, concurrency))
        self.known = journal.entries()
        self.report = ApplyReport(
            plan_id=journal.plan_id,
            done={e.entity: {"create": 0, "update": 0, "delete": 0} for e in plan.entities},
            failures=[],
            created_ids={},
        )
        self.customer_ids: dict[str, str] = {}
        self.advance: ProgressHook = lambda n: None
        self.refused: AuthError | None = None
        """The 401/403 that stopped the run: operations not yet started stay ``planned`` for a later resume."""

    def operations(self) -> list[tuple[str, str, Op]]:
        """``(op id, entity, op)`` for every operation; ids are stable for a given plan."""
        out: list[tuple[str, str, Op]] = []
        for entity in self.plan.entities:
            for kind, ops in (("create", entity.creates), ("update", entity.updates), ("delete", entity.deletes)):
                out.extend((f"{entity.entity}:{kind}:{i}", entity.entity, op) for i, op in enumerate(ops))
        return out

    async def run(self) -> ApplyReport:
        ops = self.operations()
        journaled = [(op_id, entity, KINDS[type(op)], op.key) for op_id, entity, op in ops]
        journaled += [
            (follow_up_id(op_id), entity, "update", op.key)
            for op_id, entity, op in ops
            if isinstance(op, Create) and op.then
        ]
        self.journal.plan(journaled)
        by_phase: dict[int, list[tuple[str, str, Op]]] = {}
        for item in ops:
            by_phase.setdefault(_phase(item[1], item[2]), []).append(item)
        for phase in sorted(by_phase):
            await asyncio.gather(*(self._one(op_id, entity, op) for op_id, entity, op in by_phase[phase]))
            if self.refused is not None:
                break
        if self.refused is not None:
            self.journal.finish("refused")
            raise self.refused
        self.journal.finish("ok" if self.report.ok else "failed")
        return self.report

    async def _one(self, op_id: str, entity: str, op: Op) -> None:
        async with self.bound:
            if self.refused is not None:  # the token was refused: the whole run stops, nothing more is sent
                return
            try:
                await self._execute(op_id, entity, op)
            except AuthError as exc:
                self.refused = self.refused or exc
                self._fail(op_id, entity, op, exc)
            except CustsyncError as exc:
                self._fail(op_id, entity, op, exc)
            except Exception as exc:  # one broken record must not stop the others; reported with its type
                self._fail(op_id, entity, op, CustsyncError(f"{type(exc).__name__}: {exc}"))
            finally:
                self.advance(1)

    async def _execute(self, op_id: str, entity: str, op: Op) -> None:
        previous = self.known.get(op_id)
        if previous is not None and previous.status == DONE:
            await self._follow_up(op_id, entity, op, previous.result_id)
            self._done(op_id, entity, op, previous.result_id, resumed=True)
            return
        parent_id = self._parent_id(entity, op)
        if isinstance(op, Create) and previous is not None and previous.status in (SENT, FAILED):
            # sent and never confirmed, or failed in a way that may have reached the API: ask before sending
            found = await find_created(self.remote, entity, op, parent_id, contact_key=self.plan.meta.contact_key)
            if found is not None:
                self.journal.mark(op_id, DONE, result_id=found)
                await self._follow_up(op_id, entity, op, found)
                self._done(op_id, entity, op, found)
                return
        self.journal.mark(op_id, SENT)
        result_id = await self._send(entity, op, parent_id)
        self.journal.mark(op_id, DONE, result_id=result_id)
        await self._follow_up(op_id, entity, op, result_id)
        self._done(op_id, entity, op, result_id)

    async def _follow_up(self, op_id: str, entity: str, op: Op, record_id: str | None) -> None:
        """The follow-up PATCH of a create, unless the journal has it done. If it fails, the record exists (its
        id is journaled) and the failure names the create: a rerun sends only the PATCH."""
        if not isinstance(op, Create) or not op.then or record_id is None:
            return
        then_id = follow_up_id(op_id)
        previous = self.known.get(then_id)
        if previous is not None and previous.status == DONE:
            return
        self.journal.mark(then_id, SENT)
        sub = None if entity == "customers" else self._parent_id(entity, op)
        try:
            await self.remote.update(entity, record_id, op.then, parent_id=sub)
        except CustsyncError as exc:
            self.journal.mark(then_id, FAILED, error={"message": exc.message})
            if entity == "customers":
                self.customer_ids[op.customer_number] = record_id  # it exists: its addresses may still go
            exc.message = f"created (id {record_id}), but its follow-up PATCH failed: {exc.message}"
            exc.args = (exc.message,)
            raise
        self.journal.mark(then_id, DONE, result_id=record_id)

    async def _send(self, entity: str, op: Op, parent_id: str | None) -> str | None:
        sub = None if entity == "customers" else parent_id
        if isinstance(op, Create):
            return await self.remote.create(entity, op.body, parent_id=sub, key=op.key)
        if isinstance(op, Update):
            await self.remote.update(entity, op.id, op.body, parent_id=sub)
            return op.id
        await self.remote.delete(entity, op.id, parent_id=sub)
        return op.id

    def _parent_id(self, entity: str, op: Op) -> str | None:
        if entity == "customers":
            return None
        parent = op.customer_id or self.customer_ids.get(op.customer_number)
        if parent is None:
            raise CustsyncError(
                f"customer {op.customer_number} does not exist in the API (its create failed or was not planned)"
            )
        return parent

    def _done(self, op_id: str, entity: str, op: Op, result_id: str | None, *, resumed: bool = False) -> None:
        kind = KINDS[type(op)]
        self.report.done[entity][kind] += 1
        self.report.resumed += int(resumed)
        self.report.touched_customers.add(op.customer_number)
        if kind == "create" and result_id:
            self.report.created_ids[f"{entity}:{op.key}"] = result_id
            if entity == "customers":
                self.customer_ids[op.customer_number] = result_id

    def _fail(self, op_id: str, entity: str, op: Op, exc: CustsyncError) -> None:
        problem = exc.problem if isinstance(exc, ApiError) else {}
        status = exc.status if isinstance(exc, ApiError) else None
        failure = Failure(
            entity=entity,
            kind=KINDS[type(op)],
            key=op.key,
            message=exc.message,
            source=getattr(op, "source", None),
            problem=problem,
            status=status,
        )
        self.journal.mark(op_id, FAILED, error={"message": exc.message, "status": status, "problem": problem})
        self.report.failures.append(failure)
        self.report.failed_customers.add(op.customer_number)


def follow_up_id(op_id: str) -> str:
    """The journal id of a create's follow-up PATCH."""
    return f"{op_id}:then"


def _phase(entity: str, op: Op) -> int:
    if entity == "customers":
        return 3 if isinstance(op, Delete) else 0
    return 1 if isinstance(op, Delete) else 2
