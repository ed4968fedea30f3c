"""The request-body schemas, as JSON Schema (draft 7): from the bundled public spec, or the repo's own.

``public_spec.json`` is the customer and contact-person subset of the public OpenAPI 3.0 specification (release
24.48.10), shipped with the package. OpenAPI 3.0 schema objects are a dialect of JSON Schema; the one keyword
that changes what validates is ``nullable``, which :func:`from_openapi` turns into a ``null`` type (and a
``null`` enum member). ``example``/``description`` stay as annotations.

Operations the public spec does not describe (v2 customer update, the address operations) have schemas of
their own in ``schemas/``, written from the seed and API-CONVENTIONS.md.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

PUBLIC_SPEC = "public_spec.json"


@cache
def public_spec() -> dict[str, Any]:
    """The bundled public spec subset (read-only: callers must copy before changing)."""
    return _load(PUBLIC_SPEC)


@cache
def repo_schema(name: str) -> dict[str, Any]:
    """One of the repo's own schemas, e.g. ``customer.update.v2``."""
    return _load(f"schemas/{name}.json")


def spec_request_schema(path: str, method: str) -> dict[str, Any]:
    """The JSON body schema of one operation of the public spec, as JSON Schema."""
    operation = public_spec()["paths"][path][method.lower()]
    return from_openapi(operation["requestBody"]["content"]["application/json"]["schema"])


def customer_create_schema() -> dict[str, Any]:
    """``POST /api/v2/customers``: the spec's body, with what its own prose and the seed make binding.

    The spec's schema object leaves the top level open and names no required member, but its description says
    ``type`` is the discriminator ("if 'company' is used then 'name' is required, if 'person' then 'firstname'
    and 'lastname'"), the seed says to "define customerType (person or company)", and the public guide sets
    financial, shipping and the other groups in later requests. So: ``type`` required, the names it demands
    required, and no member outside the spec's list (a production API ignores or refuses them; either way
    they would not be stored, and every nightly run would send them again).
    """
    schema = spec_request_schema("/api/v2/customers", "post")
    schema["additionalProperties"] = False
    schema["required"] = ["type"]
    schema["allOf"] = [
        {"if": _type_is("person"), "then": {"required": ["firstname", "lastname"]}},
        {"if": _type_is("company"), "then": {"required": ["name"]}},
    ]
    return schema


def _type_is(kind: str) -> dict[str, Any]:
    return {"required": ["type"], "properties": {"type": {"const": kind}}}


def from_openapi(schema: Any) -> Any:
    """An OpenAPI 3.0 schema object as JSON Schema: ``nullable: true`` becomes a ``null`` type."""
    if isinstance(schema, list):
        return [from_openapi(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: from_openapi(value) for key, value in schema.items() if key not in ("nullable", "example")}
    for keyword in ("properties", "patternProperties"):
        if keyword in schema:  # member names, not schema keywords: convert only the values
            out[keyword] = {name: from_openapi(value) for name, value in schema[keyword].items()}
    if schema.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _load(name: str) -> dict[str, Any]:
    text = resources.files("custsync.wire").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


def create_body_members() -> dict[str, Any]:
    """The members of the customer create body as a tree: name -> members of a nested object ({} for a value)."""
    return _members(customer_create_schema())


def _members(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        name: _members(sub) if sub.get("type") in ("object", ["object", "null"]) else {}
        for name, sub in schema.get("properties", {}).items()
    }


def non_nullable_members(schema: dict[str, Any], prefix: str = "") -> frozenset[str]:
    """Dotted paths of the scalar members a body schema does not let be ``null`` (arrays and objects left out:
    an empty list or a nested body clears those)."""
    out: set[str] = set()
    for name, sub in schema.get("properties", {}).items():
        kinds = sub.get("type")
        kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
        if "object" in kinds:
            out |= non_nullable_members(sub, f"{prefix}{name}.")
        elif "array" not in kinds and "null" not in kinds and None not in sub.get("enum", ()):
            out.add(f"{prefix}{name}")
    return frozenset(out)


def to_openapi(schema: Any) -> Any:
    """A repo schema (JSON Schema draft 7) as an OpenAPI 3.0 schema object, for the sandbox's /openapi.json:
    a ``null`` type or enum member becomes ``nullable: true``; ``$schema``/``$id`` are dropped."""
    if isinstance(schema, list):
        return [to_openapi(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: to_openapi(value) for key, value in schema.items() if key not in ("$schema", "$id")}
    for keyword in ("properties", "patternProperties"):
        if keyword in schema:
            out[keyword] = {name: to_openapi(value) for name, value in schema[keyword].items()}
    kinds = out.get("type")
    if isinstance(kinds, list) and "null" in kinds:
        rest = [k for k in kinds if k != "null"]
        out["type"] = rest[0] if len(rest) == 1 else rest
        out["nullable"] = True
    if "enum" in out and None in out["enum"]:
        out["enum"] = [v for v in out["enum"] if v is not None]
        out["nullable"] = True
        out.setdefault("type", "string")
    elif "enum" in out and "type" not in out:
        out["type"] = "string"
    return out
