"""Shared helpers of the sandbox tests: an authenticated client and validators built from the spec subset."""

from __future__ import annotations

import copy
import ssl
from functools import cache
from typing import Any

import httpx
import jsonschema

from custsync.codec import split_customer_create
from custsync.sandbox.openapi import openapi_document, spec_subset

PRIMARY = {"name": "Muster GmbH", "street": "Hauptstr. 1", "zip": "10115", "city": "Berlin"}
"""An address's primary data besides its country (required, per the seed)."""

EXTRA_CONTACT_FIELDS = {
    "links": {
        "type": "object",
        "additionalProperties": False,
        "required": ["self", "customer"],
        "properties": {"self": {"type": "string"}, "customer": {"type": "string"}},
    },
}
"""The one member our contact-person responses add to the spec's: the seed's links (docs/sandbox.md)."""


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context for all test clients: building one per client costs ~140 ms (it loads the CA bundle)."""
    return ssl.create_default_context()


def client(server: Any, **kwargs: Any) -> httpx.Client:
    headers = {"Authorization": f"Bearer {server.token}"}
    return httpx.Client(base_url=server.url, headers=headers, verify=_tls(), **kwargs)


def create_customer(http: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    """Create as custsync does: the create body's members in the POST, the rest in a PATCH of the new customer
    (the sandbox refuses members outside the spec's create body). Returns the POST's response."""
    post, then = split_customer_create(body)
    response = http.post("/api/v2/customers", json=post)
    if response.status_code == 201 and then:
        patched = http.patch(response.headers["Location"], json=then)
        assert patched.status_code == 204, patched.text
    return response


def to_json_schema(schema: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: ``nullable: true`` becomes a ``null`` type (and enum member)."""
    if isinstance(schema, list):
        return [to_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: to_json_schema(v) for k, v in schema.items() if k not in ("nullable", "example", "examples")}
    if schema.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "type" not in out and "enum" not in out:
            out = {"anyOf": [out, {"type": "null"}]}
    for key in ("properties",):
        if key in schema:
            out[key] = {name: to_json_schema(s) for name, s in schema[key].items()}
    return out


def _validator(schema: dict[str, Any]) -> jsonschema.Validator:
    converted = to_json_schema(schema)
    cls = jsonschema.validators.validator_for(converted, default=jsonschema.Draft7Validator)
    return cls(converted, format_checker=cls.FORMAT_CHECKER)


def _operation(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    return document["paths"][path][method]


@cache
def spec_response_validator(path: str, method: str, status: str, *, contact_extras: bool = False) -> Any:
    """Validator of a response body as the public spec subset describes it (optionally + our contact extras)."""
    operation = copy.deepcopy(_operation(spec_subset(), path, method))
    content = operation["responses"][status]["content"]
    schema = next(iter(content.values()))["schema"]
    if contact_extras:
        data = schema["properties"]["data"]
        item = data["items"] if data.get("type") == "array" else data
        item["properties"].update(EXTRA_CONTACT_FIELDS)
    return _validator(schema)


@cache
def spec_request_validator(path: str, method: str) -> Any:
    operation = _operation(spec_subset(), path, method)
    return _validator(operation["requestBody"]["content"]["application/json"]["schema"])


@cache
def served_document() -> dict[str, Any]:
    return openapi_document()


@cache
def served_response_validator(path: str, method: str, status: str) -> Any:
    """Validator from the document the sandbox serves (covers the operations the public spec lacks)."""
    operation = _operation(served_document(), path, method)
    return _validator(next(iter(operation["responses"][status]["content"].values()))["schema"])


def assert_valid(validator: Any, body: Any) -> None:
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
