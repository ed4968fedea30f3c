"""Which schema judges a request, and the judgement: violations found by :mod:`jsonschema`, never by hand.

A request is matched to an operation by method and path (the path may carry a base path in front, and the
sub-resource paths may come without their version segment, as the customer's ``links`` give them). Operations
without a request body (GET, DELETE) must not carry one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft7Validator, FormatChecker

from custsync.wire._schemas import customer_create_schema, repo_schema, spec_request_schema

_ID = r"[^/]+"


@dataclass(frozen=True)
class Operation:
    """One operation of the customer API and where its body schema comes from."""

    id: str
    method: str
    path: str
    """Path template as the spec (or API-CONVENTIONS.md) writes it."""
    source: str
    """``public spec`` or ``repo schema <name>``; ``-`` when the operation has no body."""
    pattern: re.Pattern[str]
    schema: Callable[[], dict[str, Any]] | None


def _op(op_id: str, method: str, path: str, source: str, schema: Callable[[], dict[str, Any]] | None) -> Operation:
    body = re.sub(r"\{[^}]+\}", _ID, path)
    # the links of a customer point at its sub-resources without the version segment
    body = body.replace("/api/v1/customers/", "/api/(?:v1/)?customers/").replace(
        "/api/v2/customers/", "/api/(?:v2/)?customers/"
    )
    return Operation(op_id, method, path, source, re.compile(f"(?:^|/){body.lstrip('/')}/?$"), schema)


_CONTACTS = "/api/v1/customers/{id}/contactPerson"
_CONTACT = "/api/v1/customers/{customerId}/contactPerson/{contactPersonId}"
_SPEC = "public spec"

OPERATIONS: tuple[Operation, ...] = (
    _op(
        "customer.create.v2",
        "POST",
        "/api/v2/customers",
        _SPEC + " (+ its discriminator rules)",
        customer_create_schema,
    ),
    _op("customer.list.v2", "GET", "/api/v2/customers", "-", None),
    _op("customer.view.v2", "GET", "/api/v2/customers/{id}", "-", None),
    _op(
        "customer.update.v2",
        "PATCH",
        "/api/v2/customers/{id}",
        "repo schema customer.update.v2",
        lambda: repo_schema("customer.update.v2"),
    ),
    _op("customer.delete.v2", "DELETE", "/api/v2/customers/{id}", "-", None),
    _op("customer.delete", "DELETE", "/api/v1/customers/{id}", "-", None),
    _op(
        "address.create.v2",
        "POST",
        "/api/v2/customers/{customerId}/addresses",
        "repo schema address.create.v2",
        lambda: repo_schema("address.create.v2"),
    ),
    _op("address.list.v2", "GET", "/api/v2/customers/{customerId}/addresses", "-", None),
    _op("address.view.v2", "GET", "/api/v2/customers/{customerId}/addresses/{id}", "-", None),
    _op(
        "address.update.v2",
        "PATCH",
        "/api/v2/customers/{customerId}/addresses/{id}",
        "repo schema address.update.v2",
        lambda: repo_schema("address.update.v2"),
    ),
    _op("address.delete.v2", "DELETE", "/api/v2/customers/{customerId}/addresses/{id}", "-", None),
    _op(
        "customer.contactPerson.create",
        "POST",
        _CONTACTS,
        _SPEC,
        lambda: spec_request_schema(_CONTACTS, "post"),
    ),
    _op("customer.contactPerson.getList", "GET", _CONTACTS, "-", None),
    _op("customer.contactPerson.get", "GET", _CONTACT, "-", None),
    _op(
        "customer.contactPerson.update",
        "PATCH",
        _CONTACT,
        _SPEC,
        lambda: spec_request_schema(_CONTACT, "patch"),
    ),
    _op("customer.contactPerson.delete", "DELETE", _CONTACT, "-", None),
)

NO_BODY = object()
"""Pass as ``body`` for a request that carries none."""


@dataclass(frozen=True)
class Violation:
    """One way a request breaks its schema: where in the body (JSON path parts) and what."""

    where: tuple[str | int, ...]
    message: str

    def __str__(self) -> str:
        location = "/".join(str(p) for p in self.where) or "(body)"
        return f"{location}: {self.message}"


def find_operation(method: str, path: str) -> Operation | None:
    """The operation a request is for, or ``None`` if neither the spec nor the repo's schemas know it."""
    method = method.upper()
    for operation in OPERATIONS:
        if operation.method == method and operation.pattern.search(path):
            return operation
    return None


def body_schema(operation_id: str) -> dict[str, Any]:
    """The JSON Schema an operation's request body is judged by."""
    operation = next((o for o in OPERATIONS if o.id == operation_id), None)
    if operation is None or operation.schema is None:
        raise KeyError(f"{operation_id} is no operation with a request body")
    return operation.schema()


def request_violations(method: str, path: str, body: Any = NO_BODY) -> list[Violation]:
    """Everything wrong with a request body (an empty list: it is what the operation accepts)."""
    operation = find_operation(method, path)
    if operation is None:
        return [Violation((), f"{method.upper()} {path} is no operation of the spec or of the repo's schemas")]
    if operation.schema is None:
        if body is NO_BODY:
            return []
        return [Violation((), f"{operation.id} takes no request body")]
    if body is NO_BODY:
        return [Violation((), f"{operation.id} needs a JSON request body")]
    if _fast_says_valid(operation.id, body):
        return []
    found = dict.fromkeys(v for error in _validator(operation.id).iter_errors(body) for v in _violations(error))
    return sorted(found, key=lambda v: [str(p) for p in v.where])


@cache
def _validator(operation_id: str) -> Draft7Validator:
    operation = next(o for o in OPERATIONS if o.id == operation_id)
    assert operation.schema is not None
    schema = operation.schema()
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=FormatChecker(formats=("date", "email")))


@cache
def _fast_validator(operation_id: str) -> Any:
    """jsonschema-rs for the common case, a valid body (about a thousand times faster: the sandbox judges every
    request). It checks formats at least as strictly as jsonschema, so "valid" here is valid there too; any
    other answer is left to jsonschema, whose findings are the verdict and the violations."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - an install without the accelerator is only slower
        return None
    return jsonschema_rs.validator_for(_validator(operation_id).schema, validate_formats=True)


def _fast_says_valid(operation_id: str, body: Any) -> bool:
    fast = _fast_validator(operation_id)
    if fast is None:
        return False
    try:
        return bool(fast.is_valid(body))
    except ValueError:  # e.g. a lone surrogate (JSON allows "\ud800"; Rust strings do not): let jsonschema judge
        return False


def _violations(error: Any) -> list[Violation]:
    """jsonschema's finding, worded as the API words its violations (its messages are Symfony's)."""
    where = tuple(error.absolute_path)
    kind = error.validator
    if kind == "required":
        missing = _quoted(error.message)
        return [Violation((*where, missing) if missing else where, "This field is missing.")]
    if kind == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        return [
            Violation((*where, name), "This field was not expected.") for name in error.instance if name not in known
        ]
    return [Violation(where, _message(kind, error.validator_value, error.instance, error.message))]


_TYPE_NAMES = {
    "string": "string",
    "boolean": "boolean",
    "integer": "integer",
    "number": "number",
    "object": "object",
    "array": "array",
}


_FORMAT_MESSAGES = {
    "email": "This value is not a valid email address.",
    "date": "This value is not a valid date (YYYY-MM-DD).",
}


def _message(kind: str, expected: Any, instance: Any, fallback: str) -> str:
    if instance is None and kind in ("type", "enum", "const"):
        return "This value should not be null."
    if kind == "type":
        names = [expected] if isinstance(expected, str) else [t for t in expected if t != "null"]
        return f"This value should be of type {' or '.join(_TYPE_NAMES.get(n, n) for n in names)}."
    if kind in ("enum", "const"):
        choices = expected if kind == "enum" else [expected]
        return f"The value you selected is not a valid choice ({', '.join(str(c) for c in choices if c is not None)})."
    if kind == "minLength":
        return "This value should not be blank."
    if kind == "format":
        return _FORMAT_MESSAGES.get(expected, f"This value is not a valid {expected}.")
    if kind in ("minimum", "maximum"):
        relation = "greater" if kind == "minimum" else "less"
        return f"This value should be {relation} than or equal to {expected:g}."
    if kind == "pattern":
        return "This value is not valid."
    return fallback


def _quoted(message: str) -> str | None:
    found = re.match(r"^'([^']+)' is a required property", message)
    return found.group(1) if found else None
