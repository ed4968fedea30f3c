"""The sandbox's ASGI application: routes of the customer API over a :class:`Store`.

Layers, outermost first: :class:`FaultLayer` (knobs), :class:`AuthLayer` (Bearer token), then a Starlette
router. Handlers are ``async`` and call SQLite directly: every statement is short, and running them on the
event-loop thread avoids a thread-pool hop per request (the store still locks, for seeding from other threads).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from custsync.sandbox import fields, query, resources
from custsync.sandbox.faults import ASGIApp, FaultLayer, Knobs, Receive, Scope, Send, _send_problem
from custsync.sandbox.openapi import openapi_document
from custsync.sandbox.problems import ProblemError, conflict, http_problem, not_found, problem_response
from custsync.sandbox.problems import validation_failed as _invalid
from custsync.sandbox.shapes import shaped
from custsync.sandbox.storage import Conflict, Row, Store
from custsync.wire import request_violations, violation_tree

PUBLIC_PATHS = frozenset({"/openapi.json"})
_MAX_ID = 2**63 - 1


class AuthLayer:
    """401 problem unless ``Authorization: Bearer <token>`` matches (constant-time compare)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = token.encode()

    def __repr__(self) -> str:
        return "AuthLayer(token=***)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in PUBLIC_PATHS:
            header = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
            scheme, _, credential = header.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(credential.strip(), self._token):
                detail = "Missing or invalid Bearer token." if header else "Missing Authorization header."
                await _send_problem(send, 401, detail, {"www-authenticate": "Bearer"})
                return
        await self.app(scope, receive, send)


_JSON_RANGES = frozenset({b"*/*", b"application/*", b"application/json"})


def accepts_json(accept: bytes) -> bool:
    """Whether an ``Accept`` header allows a JSON answer (no header, ``*/*`` and ``+json`` types do)."""
    if not accept.strip():
        return True
    for part in accept.split(b","):
        media = part.split(b";")[0].strip().lower()
        if media in _JSON_RANGES or media.endswith(b"+json"):
            return True
    return False


class NegotiationLayer:
    """406 problem when the client's ``Accept`` header rules out JSON (the spec lists 406 for its reads)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            accept = next((v for k, v in scope["headers"] if k == b"accept"), b"")
            if not accepts_json(accept):
                await _send_problem(send, 406, "This API answers with JSON; the Accept header rules it out.")
                return
        await self.app(scope, receive, send)


class SubResource:
    """Addresses and contact persons share their handlers; this holds what differs."""

    def __init__(
        self,
        table: str,
        spec: fields.Spec,
        keys: dict[str, query.Key],
        render: Callable[[Row, str], str],
        self_path: str,
        order_keys: dict[str, query.Key] | None = None,
    ) -> None:
        self.table = table
        self.spec = spec
        self.keys = keys
        self.order_keys = order_keys
        self.render = render
        self.self_path = self_path  # e.g. "/api/v2/customers/{cid}/addresses"


ADDRESSES = SubResource(
    "addresses", fields.ADDRESS, query.ADDRESS_KEYS, resources.render_address, "/api/v2/customers/{cid}/addresses"
)
CONTACTS = SubResource(
    "contacts",
    fields.CONTACT,
    query.CONTACT_KEYS,
    resources.render_contact,
    "/api/v1/customers/{cid}/contactPerson",
    query.CONTACT_ORDER_ONLY,
)


CLIENT_AGENT = "custsync/"
"""User-Agent prefix of custsync's own client: its wire violations are also written to ``client_violations``."""


def create_app(
    store: Store, token: str, knobs: Knobs | None = None, *, client_violations: list[str] | None = None
) -> ASGIApp:
    """The full sandbox application (knobs and auth around the API routes).

    Every request body is judged by the wire layer (:mod:`custsync.wire`) before anything else: what the public
    spec (or the repo's schema) refuses is a 400 here too. Violations in requests of custsync's own client are
    also appended to ``client_violations`` when given (the test fixtures fail a test that sent one).
    """
    knobs = knobs or Knobs()
    api = _Api(store, client_violations, knobs)
    routes = [
        Route("/openapi.json", api.openapi, methods=["GET"]),
        Route("/api/v2/customers", api.list_customers, methods=["GET"]),
        Route("/api/v2/customers", api.create_customer, methods=["POST"]),
        Route("/api/v2/customers/{id:int}", api.view_customer, methods=["GET"]),
        Route("/api/v2/customers/{id:int}", api.update_customer, methods=["PATCH"]),
        Route("/api/v2/customers/{id:int}", api.delete_customer, methods=["DELETE"]),
        Route("/api/v1/customers/{id:int}", api.delete_customer, methods=["DELETE"]),
    ]
    for sub, prefixes in (
        (ADDRESSES, ("/api/v2/customers", "/api/customers")),
        (CONTACTS, ("/api/v1/customers", "/api/customers")),
    ):
        leaf = "addresses" if sub is ADDRESSES else "contactPerson"
        for prefix in prefixes:
            collection = f"{prefix}/{{cid:int}}/{leaf}"
            routes += [
                Route(collection, api.sub_list(sub), methods=["GET"]),
                Route(collection, api.sub_create(sub), methods=["POST"]),
                Route(collection + "/{id:int}", api.sub_view(sub), methods=["GET"]),
                Route(collection + "/{id:int}", api.sub_update(sub), methods=["PATCH"]),
                Route(collection + "/{id:int}", api.sub_delete(sub), methods=["DELETE"]),
            ]
    app = Starlette(
        routes=routes,
        exception_handlers={ProblemError: _problem, HTTPException: _http_error, Exception: _server_error},
    )
    app.state.store = store
    return FaultLayer(AuthLayer(NegotiationLayer(app), token), knobs)


class _Api:
    def __init__(self, store: Store, client_violations: list[str] | None = None, knobs: Knobs | None = None) -> None:
        self.store = store
        self._openapi: dict[str, Any] | None = None
        self._client_violations = client_violations
        knobs = knobs or Knobs()
        self.knobs = knobs
        shapes = {
            "groups": knobs.groups_as_objects,
            "references": knobs.references_as_objects,
            "countries": knobs.country_names,
        }
        self.render_customer = shaped(resources.render_customer, "customers", **shapes)
        self.renders = {sub.table: shaped(sub.render, sub.table, **shapes) for sub in (ADDRESSES, CONTACTS)}

    async def _body(self, request: Request) -> Any:
        """The JSON body, judged by the wire layer: 400 with the violations mirroring the payload."""
        payload = await _read_json(request)
        violations = request_violations(request.method, request.url.path, payload)
        if violations:
            if self._client_violations is not None and request.headers.get("user-agent", "").startswith(CLIENT_AGENT):
                listed = "; ".join(str(v) for v in violations)
                self._client_violations.append(f"{request.method} {request.url.path}: {listed}")
            raise _invalid(violation_tree(violations))
        return payload

    async def openapi(self, request: Request) -> Response:
        if self._openapi is None:
            self._openapi = openapi_document()
        return JSONResponse({**self._openapi, "servers": [{"url": _base(request)}]})

    # -- customers ------------------------------------------------------------------------------------------
    async def list_customers(self, request: Request) -> Response:
        return self._list(request, "customers", query.CUSTOMER_KEYS, None, self.render_customer, [], [])

    async def create_customer(self, request: Request) -> Response:
        doc = resources.customer_document(await self._body(request), None)
        try:
            row = self.store.insert_customer(doc)
        except Conflict as exc:
            raise conflict(str(exc)) from None
        return _created(f"{_base(request)}/api/v2/customers/{row.id}")

    async def view_customer(self, request: Request) -> Response:
        row = self._customer(request, "id")
        return _json_text(f'{{"data":{self.render_customer(row, _json_base(request))}}}')

    async def update_customer(self, request: Request) -> Response:
        payload = await self._body(request)
        row = self._customer(request, "id")
        doc = resources.customer_document(payload, row.doc)
        try:
            found = self.store.update_customer(row.id, doc)
        except Conflict as exc:
            raise conflict(str(exc)) from None
        if not found:
            raise not_found(f"Customer {row.id} does not exist.")
        return Response(status_code=204)

    async def delete_customer(self, request: Request) -> Response:
        customer_id = _path_id(request, "id")
        if not self.store.delete_customer(customer_id):
            raise not_found(f"Customer {customer_id} does not exist.")
        return Response(status_code=204)

    # -- addresses and contact persons ----------------------------------------------------------------------
    def sub_list(self, sub: SubResource) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            customer = self._customer(request, "cid")
            return self._list(
                request,
                sub.table,
                sub.keys,
                sub.order_keys,
                self.renders[sub.table],
                ["t.customer_id = ?"],
                [customer.id],
            )

        return handler

    def sub_create(self, sub: SubResource) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            payload = await self._body(request)
            customer_id = self._customer(request, "cid").id
            doc = resources.sub_document(sub.spec, payload, None)
            try:
                row = self.store.insert_sub(sub.table, customer_id, doc)
            except Conflict as exc:
                raise conflict(str(exc)) from None
            if row is None:
                raise not_found(f"Customer {customer_id} does not exist.")
            return _created(f"{_base(request)}{sub.self_path.format(cid=customer_id)}/{row.id}")

        return handler

    def sub_view(self, sub: SubResource) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            row = self._sub(request, sub)
            return _json_text(f'{{"data":{self.renders[sub.table](row, _json_base(request))}}}')

        return handler

    def sub_update(self, sub: SubResource) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            payload = await self._body(request)
            row = self._sub(request, sub)
            doc = resources.sub_document(sub.spec, payload, row.doc)
            try:
                found = self.store.update_sub(sub.table, row.customer_id or 0, row.id, doc)
            except Conflict as exc:
                raise conflict(str(exc)) from None
            if not found:
                raise not_found(f"{sub.table[:-1].capitalize()} {row.id} does not exist.")
            return Response(status_code=204)

        return handler

    def sub_delete(self, sub: SubResource) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            customer_id = self._customer(request, "cid").id
            item_id = _path_id(request, "id")
            if not self.store.delete_sub(sub.table, customer_id, item_id):
                raise not_found(f"{_noun(sub)} {item_id} of customer {customer_id} does not exist.")
            return Response(status_code=204)

        return handler

    # -- shared ---------------------------------------------------------------------------------------------
    def _customer(self, request: Request, param: str) -> Row:
        customer_id = _path_id(request, param)
        row = self.store.get("customers", customer_id)
        if row is None:
            raise not_found(f"Customer {customer_id} does not exist.")
        return row

    def _sub(self, request: Request, sub: SubResource) -> Row:
        customer_id = self._customer(request, "cid").id
        item_id = _path_id(request, "id")
        row = self.store.get(sub.table, item_id, customer_id)
        if row is None:
            raise not_found(f"{_noun(sub)} {item_id} of customer {customer_id} does not exist.")
        return row

    def _list(
        self,
        request: Request,
        table: str,
        keys: dict[str, query.Key],
        order_keys: dict[str, query.Key] | None,
        render: Callable[[Row, str], str],
        where: list[str],
        params: list[Any],
    ) -> Response:
        paging, cap = self.knobs.paging, self.knobs.page_size_cap
        q = query.parse(request.query_params.multi_items(), keys, order_keys, paging=paging, size_cap=cap)
        total, rows = self.store.query(table, where + q.where, params + q.params, q.order, q.size, q.offset)
        base = _json_base(request)
        data = ",".join(render(row, base) for row in rows)
        if q.start is not None:
            after = q.start + len(rows)
            following = query.encode_cursor(after) if rows and after < total else ""
            extra = f'{{"totalCount":{total},"cursor":{{"nextCursor":"{following}","size":{q.size}}}}}'
        else:
            extra = f'{{"totalCount":{total},"page":{{"number":{q.page},"size":{q.size}}}}}'
        return _json_text(f'{{"data":[{data}],"extra":{extra}}}')


def _noun(sub: SubResource) -> str:
    return "Address" if sub is ADDRESSES else "Contact person"


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _json_base(request: Request) -> str:
    return resources.json_base(_base(request))


def _json_text(text: str) -> Response:
    return Response(text.encode(), media_type="application/json")


def _path_id(request: Request, name: str) -> int:
    value = int(request.path_params[name])
    if value > _MAX_ID:
        raise not_found(f"No resource has id {value}.")
    return value


def _created(location: str) -> Response:
    return Response(status_code=201, headers={"Location": location})


async def _read_json(request: Request) -> Any:
    """The JSON body of a POST/PATCH; 415 for another media type, 400 for malformed JSON."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        shown = media or "none"
        raise ProblemError(415, http_problem(415, f"Content-Type must be application/json, not {shown}."))
    body = await request.body()
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise _invalid({"_": ["The request body is not valid JSON."]}) from None


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = "No such resource." if exc.status_code == 404 else str(exc.detail)
    return problem_response(exc.status_code, http_problem(exc.status_code, detail), dict(exc.headers or {}))


async def _server_error(request: Request, exc: Exception) -> Response:
    return problem_response(500, http_problem(500, f"Unexpected sandbox error: {type(exc).__name__}."))
