"""The OpenAPI 3.0 document the sandbox serves at ``/openapi.json``.

Operations the public spec covers (v2 customer create, v1 customer delete, the five v1 contact-person
operations) come from the copy of the public spec subset the wire layer ships (:mod:`custsync.wire`), because
installed users have no copy of the reference spec. Our documented extensions are applied on top: the v2
create is strict (``type`` required, no member beyond the spec's); contact-person responses carry the seed's
``links`` (and no timestamps: the spec's item allows none); list filters take the keys and operators the
sandbox implements.
The v2 customer view/list/update/delete and the v2 address operations, whose schemas are not public, are
generated from the field descriptions in :mod:`custsync.sandbox.fields`, so documentation and validation agree.
"""

from __future__ import annotations

import copy
from typing import Any

from custsync.sandbox import fields, query
from custsync.sandbox.fields import Field, Spec
from custsync.wire._schemas import public_spec, repo_schema, to_openapi

_ID = {"type": "string", "pattern": "^\\d+$", "example": "17"}
_STAMP = {"type": "string", "format": "date-time", "example": "2026-11-28T12:00:00.123456+00:00"}


def spec_subset() -> dict[str, Any]:
    """The shipped copy of the public spec's operations (read-only: callers must copy before changing)."""
    return public_spec()


def openapi_document() -> dict[str, Any]:
    subset = copy.deepcopy(spec_subset())
    paths = subset["paths"]
    problem = _problem_responses(paths)
    customer_post = paths["/api/v2/customers"]["post"]
    _extend_customer_create(customer_post)
    for operation in _operations(paths, "/api/v1/customers/{id}/contactPerson", "/api/v1/customers/{customerId}"):
        _extend_contact_operation(operation)

    customer_view = _object_schema(fields.CUSTOMER, response=True, extra=_meta(["self", "addresses", "contactPersons"]))
    address_view = _object_schema(fields.ADDRESS, response=True, extra=_meta(["self", "customer"], customer=True))
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {
            "title": "custsync sandbox of the customer API",
            "version": "1",
            "description": "Local customer API for tests and rehearsals. Operations the public Xentral spec "
            "(24.48.10) covers are copied from it; the others follow the documented project conventions.",
        },
        "security": [{"BearerAuth": []}],
        "components": subset["components"],
        "paths": {},
    }
    out = document["paths"]
    out["/api/v2/customers"] = {
        "get": _list_operation("customer.list.v2", "List customers", customer_view, query.CUSTOMER_KEYS, problem),
        "post": customer_post,
    }
    out["/api/v2/customers/{id}"] = _item_operations(
        "customer", ".v2", "id", [], customer_view, _repo("customer.update.v2"), problem
    )
    out["/api/v1/customers/{id}"] = {"delete": paths["/api/v1/customers/{id}"]["delete"]}  # the v1 op served
    for prefix, alias in (("/api/v2/customers", False), ("/api/customers", True)):
        collection = f"{prefix}/{{customerId}}/addresses"
        suffix = ".unversioned" if alias else ""
        out[collection] = {
            "get": _list_operation(
                f"address.list{suffix}",
                "List addresses of a customer",
                address_view,
                query.ADDRESS_KEYS,
                problem,
                parent=True,
            ),
            "post": _create_operation(f"address.create{suffix}", _repo("address.create.v2"), problem),
        }
        out[collection + "/{id}"] = _item_operations(
            "address", suffix, "id", ["customerId"], address_view, _repo("address.update.v2"), problem
        )
    out["/api/v1/customers/{id}/contactPerson"] = paths["/api/v1/customers/{id}/contactPerson"]
    single = "/api/v1/customers/{customerId}/contactPerson/{contactPersonId}"
    out[single] = paths[single]
    alias_collection = copy.deepcopy(paths["/api/v1/customers/{id}/contactPerson"])
    alias_single = copy.deepcopy(paths[single])
    for operation in [*alias_collection.values(), *alias_single.values()]:
        operation["operationId"] += ".unversioned"
        operation["description"] = "Unversioned alias (the form the customer's links use). " + operation.get(
            "description", ""
        )
    out["/api/customers/{id}/contactPerson"] = alias_collection
    out["/api/customers/{customerId}/contactPerson/{contactPersonId}"] = alias_single
    return document


# -- extensions of the spec's operations ------------------------------------------------------------------------
def _extend_customer_create(operation: dict[str, Any]) -> None:
    """What the spec's prose makes binding (custsync.wire judges the same): ``type`` required, no other members."""
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    schema["additionalProperties"] = False
    schema["required"] = ["type"]
    operation["responses"].setdefault("409", {"description": "A customer with this number already exists."})
    operation["responses"]["409"]["content"] = _problem_content(operation)
    operation["description"] += (
        " Sandbox: 'type' is required ('person' needs firstname and lastname, 'company' a name); members outside"
        " this schema are refused; a person's name is derived."
    )


def _extend_contact_operation(operation: dict[str, Any]) -> None:
    for response in operation.get("responses", {}).values():
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if not schema or "data" not in schema.get("properties", {}):
            continue
        data = schema["properties"]["data"]
        item = data["items"] if data.get("type") == "array" else data
        item["properties"]["links"] = _meta(["self", "customer"])["links"]
    for parameter in operation.get("parameters", []):
        if parameter.get("name") == "filter":
            item = parameter["schema"]["anyOf"][0]["items"]["properties"]
            item["key"]["enum"] = sorted(query.CONTACT_KEYS)
            item["op"]["enum"] = sorted(query.ALL_OPS)


def _operations(paths: dict[str, Any], *prefixes: str) -> list[dict[str, Any]]:
    return [op for path, item in paths.items() if path.startswith(prefixes) for op in item.values()]


def _problem_responses(paths: dict[str, Any]) -> dict[str, Any]:
    """The spec's 400 problem response, reused for the generated operations."""
    return paths["/api/v1/customers/{id}/contactPerson"]["post"]["responses"]["400"]


def _problem_content(operation: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(operation["responses"]["400"]["content"])


# -- generated operations -----------------------------------------------------------------------------------------
def _path_param(name: str) -> dict[str, Any]:
    return {"in": "path", "name": name, "required": True, "schema": {**_ID, "pattern": "^\\d{1,18}$"}}


def _list_operation(
    operation_id: str,
    summary: str,
    item: dict[str, Any],
    keys: dict[str, query.Key],
    problem: dict[str, Any],
    *,
    parent: bool = False,
) -> dict[str, Any]:
    filter_item = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "key": {"type": "string", "enum": sorted(keys)},
            "op": {"type": "string", "enum": sorted(query.ALL_OPS)},
            "value": {"type": "string"},
        },
    }
    order_item = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "field": {"type": "string", "enum": sorted(k for k, v in keys.items() if v.kind != "list")},
            "dir": {"type": "string", "enum": ["asc", "desc"]},
        },
    }
    page = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "number": {"type": "string", "pattern": "^\\d{1,6}$"},
            "size": {"type": "string", "pattern": "^\\d{1,2}$", "description": "1 to 50 (default 10)"},
        },
    }
    parameters = [_path_param("customerId")] if parent else []
    parameters += [
        {"name": "filter", "in": "query", "style": "deepObject", "schema": {"type": "array", "items": filter_item}},
        {"name": "order", "in": "query", "style": "deepObject", "schema": {"type": "array", "items": order_item}},
        {"name": "page", "in": "query", "style": "deepObject", "schema": page},
    ]
    envelope = {
        "type": "object",
        "additionalProperties": False,
        "required": ["data", "extra"],
        "properties": {
            "data": {"type": "array", "items": item},
            "extra": {
                "type": "object",
                "required": ["totalCount", "page"],
                "properties": {
                    "totalCount": {"type": "integer"},
                    "page": {
                        "type": "object",
                        "required": ["number", "size"],
                        "properties": {"number": {"type": "integer"}, "size": {"type": "integer"}},
                    },
                },
            },
        },
    }
    responses = {
        "200": {"description": summary, "content": {"application/json": {"schema": envelope}}},
        "400": problem,
        "401": {"description": "Missing or wrong Bearer token."},
    }
    if parent:
        responses["404"] = {"description": "The customer does not exist."}
    return {"operationId": operation_id, "summary": summary, "parameters": parameters, "responses": responses}


def _repo(name: str) -> dict[str, Any]:
    """One of the wire layer's repo schemas, as an OpenAPI schema object (the body the sandbox judges by)."""
    return to_openapi(repo_schema(name))


def _create_operation(operation_id: str, body: dict[str, Any], problem: dict[str, Any]) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": "Create",
        "parameters": [_path_param("customerId")],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": body}},
        },
        "responses": {
            "201": {
                "description": "Created; the Location header is the new resource's URL.",
                "headers": {"Location": {"schema": {"type": "string"}}},
            },
            "400": problem,
            "401": {"description": "Missing or wrong Bearer token."},
            "404": {"description": "The customer does not exist."},
            "409": {"description": "The customer already has an address of this type (masterdata, billingaddress)."},
            "415": {"description": "The body is not JSON."},
        },
    }


def _item_operations(
    name: str,
    suffix: str,
    id_param: str,
    parents: list[str],
    view: dict[str, Any],
    patch: dict[str, Any],
    problem: dict[str, Any],
) -> dict[str, Any]:
    parameters = [_path_param(p) for p in parents] + [_path_param(id_param)]
    not_found = {"description": "Not found."}
    unauthorized = {"description": "Missing or wrong Bearer token."}
    return {
        "get": {
            "operationId": f"{name}.view{suffix}",
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": "The resource.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["data"],
                                "properties": {"data": view},
                            }
                        }
                    },
                },
                "401": unauthorized,
                "404": not_found,
            },
        },
        "patch": {
            "operationId": f"{name}.update{suffix}",
            "parameters": parameters,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": patch}},
            },
            "responses": {
                "204": {"description": "Updated."},
                "400": problem,
                "401": unauthorized,
                "404": not_found,
                "409": {"description": "Conflict (duplicate customer number, second masterdata address)."},
                "415": {"description": "The body is not JSON."},
            },
        },
        "delete": {
            "operationId": f"{name}.delete{suffix}",
            "parameters": parameters,
            "responses": {"204": {"description": "Deleted."}, "401": unauthorized, "404": not_found},
        },
    }


# -- schemas from field descriptions ------------------------------------------------------------------------------
def _object_schema(
    spec: Spec, *, response: bool, patch: bool = False, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name, field in spec.items():
        if isinstance(field, dict):
            nested = _object_schema(field, response=response, patch=True)
            if not response:
                nested["nullable"] = True
            properties[name] = nested
        elif field.kind != "ignored":
            properties[name] = _field_schema(field, response=response, patch=patch)
    if extra:
        properties.update(extra)
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    if response:
        schema["required"] = list(properties)
    elif not patch:
        required = [n for n, f in spec.items() if isinstance(f, Field) and f.required and n != "number"]
        if required:
            schema["required"] = required
    return schema


def _field_schema(field: Field, *, response: bool, patch: bool) -> dict[str, Any]:
    kind = field.kind
    if kind == "ids":
        return {"type": "array", "items": _ID}
    schema: dict[str, Any]
    if kind == "bool":
        schema = {"type": "boolean"}
    elif kind == "int":
        schema = {"type": "integer"}
    elif kind == "number":
        schema = {"type": "number"}
    elif kind == "enum":
        schema = {"type": "string", "enum": list(field.choices)}
    elif kind == "date":
        schema = {"type": "string", "format": "date"}
    elif kind == "email":
        schema = {"type": "string", "format": "email"}
    elif kind == "country":
        schema = {"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2"}
    elif kind == "id":
        schema = dict(_ID)
    else:
        schema = {"type": "string"}
        if field.required and not response:
            schema["minLength"] = 1
            schema["pattern"] = "\\S"
    if field.minimum is not None:
        schema["minimum"] = field.minimum
    if field.maximum is not None:
        schema["maximum"] = field.maximum
    if field.description:
        schema["description"] = field.description
    if not field.required:
        schema["nullable"] = True
    return schema


def _meta(links: list[str], *, customer: bool = False) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "id": _ID,
        "createdAt": _STAMP,
        "updatedAt": _STAMP,
        "links": {
            "type": "object",
            "additionalProperties": False,
            "required": links,
            "properties": {name: {"type": "string", "format": "uri"} for name in links},
        },
    }
    if customer:
        extra["customer"] = {
            "type": "object",
            "additionalProperties": False,
            "required": ["id"],
            "properties": {"id": _ID},
        }
    return extra
