"""An in-memory stand-in for the customer API behind the reconcile ``Remote`` protocol, for unit tests.

It stores API JSON, answers with canonical frames through the real codec and counts calls like the client:
one GET per list page of 50. Every body it receives is judged by the wire layer as the sandbox judges it: a
body the API's schema refuses fails the test. Integration tests use the sandbox over HTTP instead.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from custsync.api import call_counts
from custsync.codec import from_api
from custsync.errors import ConflictError, NotFoundError, RequestValidationError
from custsync.model import ENTITIES
from custsync.reconcile import Listed
from custsync.wire import request_violations

PATHS = {
    ("POST", "customers"): "/api/v2/customers",
    ("PATCH", "customers"): "/api/v2/customers/1",
    ("POST", "addresses"): "/api/v2/customers/1/addresses",
    ("PATCH", "addresses"): "/api/v2/customers/1/addresses/2",
    ("POST", "contacts"): "/api/v1/customers/1/contactPerson",
    ("PATCH", "contacts"): "/api/v1/customers/1/contactPerson/2",
}


def judged(method: str, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    """The body, after the wire layer found nothing wrong with it; the API's ``type`` read as ``customerType``."""
    violations = request_violations(method, PATHS[(method, entity)], body)
    assert not violations, f"{method} {entity}: {[str(v) for v in violations]} in {body}"
    if entity == "customers" and "type" in body:
        body = {"customerType": body["type"], **{k: v for k, v in body.items() if k != "type"}}
    return body


class FakeRemote:
    base_url = "http://fake.test"

    def __init__(self) -> None:
        self.customers: dict[str, dict[str, Any]] = {}
        self.children: dict[str, dict[str, dict[str, Any]]] = {"addresses": {}, "contacts": {}}
        self.counter: Counter[str] = Counter()
        self.sent: list[tuple[str, str, dict[str, Any] | None]] = []
        self.reject: set[str] = set()
        """Customer numbers whose create/update the fake rejects with a 400."""
        self._ids = itertools.count(1)
        self._clock = itertools.count(1)
        self._ticks = 0
        self.elapsed = dt.timedelta()
        self.whole_seconds = False
        """Stamps (and the clock) to the whole second, as many ERPs keep them: writes in one second share one."""

    # -- helpers
    def clock(self) -> dt.datetime:
        """The fake server's clock: a fixed day, plus the time :meth:`later` moved it on, plus a microsecond per
        write (so stamps never tie)."""
        now = dt.datetime(2026, 11, 28, tzinfo=dt.UTC) + self.elapsed + dt.timedelta(microseconds=self._ticks)
        return now.replace(microsecond=0) if self.whole_seconds else now

    def later(self, delta: dt.timedelta) -> None:
        """Let ``delta`` pass on the fake server's clock (the next night, say)."""
        self.elapsed += delta

    def _now(self) -> str:
        self._ticks = next(self._clock)
        return self.clock().isoformat()

    def _pages(self, n: int) -> None:
        self.counter["GET"] += max(1, math.ceil(n / 50))

    def frame(self, entity: str) -> pd.DataFrame:
        if entity == "customers":
            return from_api(ENTITIES["customers"], self.customers.values())
        rows = [
            {**r, "_customerNumber": self.customers[r["customer"]["id"]]["number"]}
            for r in self.children[entity].values()
        ]
        return from_api(ENTITIES[entity], rows)

    # -- the protocol
    async def list_customers(self, *, number_prefix: str | None = None) -> Listed:
        items = [c for c in self.customers.values() if number_prefix is None or c["number"].startswith(number_prefix)]
        self._pages(len(items))
        return Listed(from_api(ENTITIES["customers"], copy.deepcopy(items)), self.clock())

    async def customers_where(self, column: str, values: Sequence[str]) -> Listed:
        wanted = set(values)
        self.counter["GET"] += max(1, math.ceil(len(wanted) / 50))
        items = [c for c in self.customers.values() if str(c[column]) in wanted]
        return Listed(from_api(ENTITIES["customers"], copy.deepcopy(items)), self.clock())

    async def customers_since(self, mark: str) -> Listed | str:
        since = dt.datetime.fromisoformat(mark)
        items = [c for c in self.customers.values() if dt.datetime.fromisoformat(c["updatedAt"]) >= since]
        self._pages(len(items))
        return Listed(from_api(ENTITIES["customers"], copy.deepcopy(items)), self.clock())

    async def count_customers(self) -> int | None:
        self.counter["GET"] += 1
        return len(self.customers)

    async def list_children(self, entity: str, parents: Mapping[str, str]) -> pd.DataFrame:
        rows = []
        for customer_id, number in parents.items():
            self.counter["GET"] += 1
            rows += [
                {**r, "_customerNumber": number}
                for r in self.children[entity].values()
                if r["customer"]["id"] == customer_id
            ]
        return from_api(ENTITIES[entity], copy.deepcopy(rows))

    async def create(self, entity: str, body: dict[str, Any], *, parent_id: str | None = None, key: str = "") -> str:
        self.counter["POST"] += 1
        self.sent.append(("POST", entity, body))
        body = judged("POST", entity, body)
        now = self._now()
        new_id = str(next(self._ids))
        record = {**copy.deepcopy(body), "id": new_id, "createdAt": now, "updatedAt": now}
        if entity == "customers":
            if body.get("number") in self.reject:
                raise RequestValidationError("invalid", status=400, problem={"violations": {"name": ["bad"]}})
            if any(c["number"] == body["number"] for c in self.customers.values()):
                raise ConflictError("number exists", status=409)
            if body.get("customerType") == "person":
                record["name"] = f"{body.get('firstname')} {body.get('lastname')}"
            self.customers[new_id] = record
        else:
            if parent_id not in self.customers:
                raise NotFoundError("no customer", status=404)
            record["customer"] = {"id": parent_id}
            self.children[entity][new_id] = record
        return new_id

    async def update(self, entity: str, record_id: str, body: dict[str, Any], *, parent_id: str | None = None) -> None:
        self.counter["PATCH"] += 1
        self.sent.append(("PATCH", entity, body))
        body = judged("PATCH", entity, body)
        store = self.customers if entity == "customers" else self.children[entity]
        if record_id not in store:
            raise NotFoundError("gone", status=404)
        if entity == "customers" and store[record_id]["number"] in self.reject:
            raise RequestValidationError("invalid", status=400, problem={"violations": {"name": ["bad"]}})
        _merge(store[record_id], body)
        store[record_id]["updatedAt"] = self._now()

    async def delete(self, entity: str, record_id: str, *, parent_id: str | None = None) -> None:
        self.counter["DELETE"] += 1
        self.sent.append(("DELETE", entity, None))
        store = self.customers if entity == "customers" else self.children[entity]
        store.pop(record_id, None)
        if entity == "customers":
            for children in self.children.values():
                for cid in [k for k, v in children.items() if v["customer"]["id"] == record_id]:
                    del children[cid]

    def calls(self) -> dict[str, int]:
        return call_counts(self.counter)


def _merge(target: dict[str, Any], patch: Mapping[str, Any]) -> None:
    for k, v in patch.items():
        if isinstance(v, Mapping) and isinstance(target.get(k), dict):
            _merge(target[k], v)
        else:
            target[k] = copy.deepcopy(v)
