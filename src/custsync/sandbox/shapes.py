"""Response shapes the spec leaves open, as newer versions of the API show them — behind knobs, so custsync's
tolerant reading (:mod:`custsync.codec`) is tested over HTTP.

- ``groups_as_objects``: a customer's ``groups`` as ``[{"id": "1", "name": "Gruppe 1"}]`` instead of ids;
- ``references_as_objects``: ``financial.paymentMethod`` and ``shipping.shippingMethod`` as ``{"id": ...}``;
- ``country_names``: an address's ``country`` and a contact person's ``address.country`` as German country
  names ("Deutschland"), as the public docs' response examples show them.

The stored documents do not change; only the rendering does (parsed and re-encoded, so a shaped list page
costs more than a plain one).
"""

from __future__ import annotations

import gettext
import json
from collections.abc import Callable
from functools import cache
from typing import Any

import pycountry

from custsync.sandbox.storage import Row

Render = Callable[[Row, str], str]


def shaped(render: Render, resource: str, *, groups: bool, references: bool, countries: bool) -> Render:
    """``render`` with the chosen shapes applied (``render`` itself when none applies to ``resource``)."""
    steps: list[Callable[[dict[str, Any]], None]] = []
    if resource == "customers" and groups:
        steps.append(_groups_as_objects)
    if resource == "customers" and references:
        steps.append(_references_as_objects)
    if resource in ("addresses", "contacts") and countries:
        steps.append(_country_names)
    if not steps:
        return render

    def wrapped(row: Row, base: str) -> str:
        doc = json.loads(render(row, base))
        for step in steps:
            step(doc)
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))

    return wrapped


def _groups_as_objects(doc: dict[str, Any]) -> None:
    doc["groups"] = [{"id": g, "name": f"Gruppe {g}"} for g in doc.get("groups") or []]


def _references_as_objects(doc: dict[str, Any]) -> None:
    for group, member in (("financial", "paymentMethod"), ("shipping", "shippingMethod")):
        values = doc.get(group) or {}
        if values.get(member) is not None:
            values[member] = {"id": values[member]}


def _country_names(doc: dict[str, Any]) -> None:
    holder = doc.get("address") if isinstance(doc.get("address"), dict) else doc
    if isinstance(holder.get("country"), str):
        holder["country"] = german_name(holder["country"])


def german_name(code: str) -> str:
    """``"DE"`` -> ``"Deutschland"``; anything that is not an ISO alpha-2 code is returned as it is."""
    country = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    return _german().gettext(country.name) if country else code


@cache
def _german() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["de"])
