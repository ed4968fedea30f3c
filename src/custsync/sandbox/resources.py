"""Business rules of each resource (what makes a document valid) and the JSON each response shows.

Decisions where the spec is silent (see docs/sandbox.md): a person's ``name`` is always derived as
"firstname lastname" (a sent ``name`` is overwritten); ``type`` and ``customerType`` are both accepted on create
and update, ``customerType`` is emitted; read-only members (``id``, ``createdAt``, ``updatedAt``, ``links``,
``customer``) sent back by a client are ignored; unknown members are a 400 violation.
"""

from __future__ import annotations

import json
from typing import Any

from custsync.sandbox import fields
from custsync.sandbox.fields import BLANK, Spec
from custsync.sandbox.problems import validation_failed
from custsync.sandbox.storage import Row


def customer_document(payload: Any, existing: dict[str, Any] | None) -> dict[str, Any]:
    """Validate a create (``existing`` None) or PATCH payload and return the full stored document.

    On create a missing ``number`` stays None: the store assigns the next one of its number range.
    """
    payload = _object(payload)
    violations: dict[str, Any] = {}
    sent_type = "type" in payload
    if sent_type:
        kind = payload.pop("type")
        if "customerType" in payload and payload["customerType"] != kind:
            violations["type"] = ["'type' and 'customerType' disagree; send one of them."]
        else:
            payload["customerType"] = kind
            if kind is not None and kind not in ("person", "company"):
                violations["type"] = ["The value you selected is not a valid choice (person, company)."]
                payload.pop("customerType")
    for name in fields.CUSTOMER_ACCEPTED_IGNORED:
        payload.pop(name, None)
    contact = payload.get("contact")
    if isinstance(contact, dict):
        contact = dict(contact)
        contact.pop("additionalData", None)
        payload["contact"] = contact
    violations.update(fields.check_payload(fields.CUSTOMER, payload))
    if violations:
        raise validation_failed(violations)
    base = existing if existing is not None else fields.empty_document(fields.CUSTOMER)
    doc = fields.merge(fields.CUSTOMER, base, payload)
    required = fields.missing_required(fields.CUSTOMER, doc)
    if existing is None and doc["number"] is None:
        required.pop("number", None)
    if "customerType" in required and sent_type:
        required["type"] = required.pop("customerType")
    if doc["customerType"] == "person":
        for name in ("firstname", "lastname"):
            if not (doc[name] or "").strip():
                required[name] = [BLANK]
        if not required:
            doc["name"] = f"{doc['firstname']} {doc['lastname']}"
    elif doc["customerType"] == "company" and not (doc["name"] or "").strip():
        required["name"] = [BLANK]
    if required:
        raise validation_failed(required)
    return doc


def sub_document(spec: Spec, payload: Any, existing: dict[str, Any] | None) -> dict[str, Any]:
    """Validate an address or contact-person create/PATCH payload and return the full stored document."""
    payload = _object(payload)
    violations = fields.check_payload(spec, payload)
    if violations:
        raise validation_failed(violations)
    base = existing if existing is not None else fields.empty_document(spec)
    doc = fields.merge(spec, base, payload)
    required = fields.missing_required(spec, doc)
    if required:
        raise validation_failed(required)
    return doc


# -- responses --------------------------------------------------------------------------------------------------
# Responses are built as JSON text around the stored document text, without parsing and re-encoding it: that
# halves the cost of a list page. ``base`` must already be JSON-escaped (see :func:`json_base`).


def json_base(base: str) -> str:
    """The base URL escaped for use inside a JSON string (the Host header is client-controlled)."""
    return json.dumps(base, ensure_ascii=False)[1:-1]


def render_customer(row: Row, base: str) -> str:
    cid = row.id
    return (
        f'{{"id":"{cid}",{row.text[1:-1]},"createdAt":"{row.created_at}","updatedAt":"{row.updated_at}",'
        f'"links":{{"self":"{base}/api/v2/customers/{cid}","addresses":"{base}/api/customers/{cid}/addresses",'
        f'"contactPersons":"{base}/api/customers/{cid}/contactPerson"}}}}'
    )


def render_address(row: Row, base: str) -> str:
    cid = row.customer_id
    return (
        f'{{"id":"{row.id}",{row.text[1:-1]},"customer":{{"id":"{cid}"}},"createdAt":"{row.created_at}",'
        f'"updatedAt":"{row.updated_at}","links":{{"self":"{base}/api/v2/customers/{cid}/addresses/{row.id}",'
        f'"customer":"{base}/api/v2/customers/{cid}"}}}}'
    )


def render_contact(row: Row, base: str) -> str:
    """The spec's contact person (``additionalProperties: false``: no timestamps) plus the seed's ``links``."""
    cid = row.customer_id
    return (
        f'{{"id":"{row.id}",{row.text[1:-1]},"customer":{{"id":"{cid}"}},'
        f'"links":{{"self":"{base}/api/v1/customers/{cid}/contactPerson/{row.id}",'
        f'"customer":"{base}/api/v2/customers/{cid}"}}}}'
    )


def _object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise validation_failed({"_": ["The request body should be a JSON object."]})
    return dict(payload)
