"""Request bodies in the shape the API takes: a customer create split into what the spec's create body
holds and what must follow in a PATCH, ``type`` instead of ``customerType``, a complete ``lead``.

The create members are read from the create schema of the bundled public spec (:mod:`custsync.wire`), not
listed here, so this split and the wire check cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from custsync.wire import create_body_members

LEAD_MEMBERS = ("isLead", "status")


def customer_request(body: Mapping[str, Any]) -> dict[str, Any]:
    """A customer body as requests name it: the discriminator is ``type`` (``customerType`` is the name in
    responses); ``lead`` carries both its members (``status`` null when the source has none)."""
    out = dict(body)
    if "customerType" in out:
        kind = out.pop("customerType")
        out = {"type": kind, **out}
    lead = out.get("lead")
    if isinstance(lead, Mapping):
        if lead.get("isLead") is None:
            out.pop("lead")  # isLead may not be null: without it there is no lead to send (see docs/model.md)
        else:
            out["lead"] = {"isLead": lead["isLead"], "status": lead.get("status")}
    return out


def split_customer_create(body: Mapping[str, Any], *, full_body: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(POST body, follow-up PATCH body)`` of a new customer.

    The POST carries only members of the spec's create body; the rest (financial, shipping, bank account,
    groups, document delivery...) goes into a PATCH of the new customer. ``full_body`` (a target declared to
    take the whole body at create) sends everything in the POST and no PATCH.
    """
    request = customer_request(body)
    if full_body:
        return request, {}
    return _split(request, _create_schema_tree())


def _split(body: Mapping[str, Any], allowed: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    kept: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for name, value in body.items():
        if name not in allowed:
            rest[name] = value
            continue
        nested = allowed[name]
        if nested and isinstance(value, Mapping):
            inner, outer = _split(value, nested)
            if inner:
                kept[name] = inner
            if outer:
                rest[name] = outer
        else:
            kept[name] = value
    return kept, rest


@cache
def _create_schema_tree() -> dict[str, Any]:
    return create_body_members()
