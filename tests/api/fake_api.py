"""An in-memory stand-in for the customer API behind ``httpx.MockTransport``, with scripted faults.

Unit tests use it to pin behaviour the real sandbox cannot show on demand (a commit followed by a 500 on exactly
the third POST, a 429 with a given ``Retry-After``). It speaks the shapes of API-CONVENTIONS.md, no more.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

BASE = "https://api.example.test"
TOKEN = "tok-SECRET-1234567890"

_COLLECTIONS = {
    "addresses": re.compile(r"^/api/(?:v2/)?customers/(\d+)/addresses(?:/(\d+))?$"),
    "contacts": re.compile(r"^/api/(?:v1/)?customers/(\d+)/contactPerson(?:/(\d+))?$"),
}
_CUSTOMERS = re.compile(r"^/api/v2/customers(?:/(\d+))?$")


@dataclass
class Fault:
    """What to do to the next request matching ``method`` (and ``path_contains``)."""

    kind: str  # "commit_then_500" | "500" | "429" | "connect_error" | "commit_then_drop" | "409"
    method: str = "POST"
    path_contains: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class FakeApi:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, dict[str, Any]]] = {"customers": {}, "addresses": {}, "contacts": {}}
        self.next_id = 1
        self.faults: deque[Fault] = deque()
        self.requests: list[httpx.Request] = []
        self.keyset = "honour"
        """What the list does with ``id greaterThan``: ``honour``, ``refuse`` (400) or ``ignore``."""
        self.on_list: Callable[[FakeApi, httpx.Request], None] | None = None
        """Called before every list request is answered (to change the data mid-listing)."""

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def fail(self, *faults: Fault) -> None:
        self.faults.extend(faults)

    def seed_customers(self, n: int) -> None:
        for i in range(n):
            self._store("customers", {"number": f"C{i:04d}", "customerType": "company", "name": f"Co {i}"}, None)

    def all(self, kind: str) -> list[dict[str, Any]]:
        return list(self.records[kind].values())

    # -- request handling ------------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _problem(401, "Unauthorized")
        fault = self._take_fault(request)
        if fault and fault.kind == "connect_error":
            raise httpx.ConnectError("connection refused", request=request)
        if fault and fault.kind == "500":
            return _problem(500, "Internal Server Error")
        if fault and fault.kind == "429":
            return httpx.Response(429, headers=fault.headers, json={"title": "Too Many Requests", "status": 429})
        response = self._route(request)
        if fault and fault.kind == "commit_then_500":
            return _problem(500, "Internal Server Error")
        if fault and fault.kind == "commit_then_timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if fault and fault.kind == "commit_then_drop":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return response

    def _take_fault(self, request: httpx.Request) -> Fault | None:
        for fault in list(self.faults):
            if fault.method == request.method and fault.path_contains in request.url.path:
                self.faults.remove(fault)
                return fault
        return None

    def _route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if m := _CUSTOMERS.match(path):
            return self._dispatch(request, "customers", None, m.group(1))
        for kind, pattern in _COLLECTIONS.items():
            if m := pattern.match(path):
                if m.group(1) not in self.records["customers"]:
                    return _problem(404, "Not Found")
                return self._dispatch(request, kind, m.group(1), m.group(2))
        return _problem(404, "Not Found")

    def _dispatch(self, request: httpx.Request, kind: str, parent: str | None, rid: str | None) -> httpx.Response:
        if rid is None and request.method == "GET":
            return self._list(request, kind, parent)
        if rid is None and request.method == "POST":
            body = json.loads(request.content)
            if kind == "customers" and not body.get("name"):
                return httpx.Response(
                    400,
                    json={"title": "Request validation failed", "violations": {"name": ["This value is required."]}},
                )
            number = body.get("number")
            if kind == "customers" and any(c.get("number") == number for c in self.all("customers")) and number:
                return httpx.Response(409, json={"title": "Conflict", "messages": [f"number {number} exists"]})
            new_id = self._store(kind, body, parent)
            return httpx.Response(201, headers={"Location": f"{BASE}{request.url.path}/{new_id}"})
        record = self.records[kind].get(rid or "")
        if record is None or (parent and record["customer"]["id"] != parent):
            return _problem(404, "Not Found")
        if request.method == "GET":
            return httpx.Response(200, json={"data": record})
        if request.method == "PATCH":
            record.update(json.loads(request.content))
            return httpx.Response(204)
        if request.method == "DELETE":
            del self.records[kind][rid or ""]
            return httpx.Response(204)
        return _problem(405, "Method Not Allowed")

    def _list(self, request: httpx.Request, kind: str, parent: str | None) -> httpx.Response:
        if self.on_list is not None:
            self.on_list(self, request)
        q = request.url.params
        items = [r for r in self.records[kind].values() if parent is None or r["customer"]["id"] == parent]
        i = 0
        while f"filter[{i}][key]" in q:
            key, op, value = q[f"filter[{i}][key]"], q[f"filter[{i}][op]"], q.get(f"filter[{i}][value]")
            if op == "equals":
                items = [r for r in items if str(r.get(key)) == value]
            elif op == "greaterThan" and key == "id" and value is not None and value.isdigit():
                if self.keyset == "refuse":
                    return _problem(400, "Bad Request")
                if self.keyset == "honour":
                    items = [r for r in items if int(r["id"]) > int(value)]
            else:
                return _problem(400, "Bad Request")
            i += 1
        number, size = int(q.get("page[number]", "1")), int(q.get("page[size]", "10"))
        page = items[(number - 1) * size : number * size]
        return httpx.Response(
            200, json={"data": page, "extra": {"totalCount": len(items), "page": {"number": number, "size": size}}}
        )

    def _store(self, kind: str, body: dict[str, Any], parent: str | None) -> str:
        rid = str(self.next_id)
        self.next_id += 1
        record = {"id": rid, **body, "createdAt": "2026-11-28T12:00:00.000000+00:00"}
        record["updatedAt"] = record["createdAt"]
        if kind == "customers":
            record["links"] = {
                "self": f"{BASE}/api/v2/customers/{rid}",
                "addresses": f"{BASE}/api/customers/{rid}/addresses",
                "contactPersons": f"{BASE}/api/customers/{rid}/contactPerson",
            }
        else:
            record["customer"] = {"id": parent}
            segment = "v2/customers/{p}/addresses" if kind == "addresses" else "v1/customers/{p}/contactPerson"
            record["links"] = {"self": f"{BASE}/api/{segment.format(p=parent)}/{rid}"}
        self.records[kind][rid] = record
        return rid


def _problem(status: int, title: str) -> httpx.Response:
    return httpx.Response(status, json={"type": "about:blank", "title": title, "status": status})
