"""Shapes the spec leaves open, read tolerantly and normalised once, here, so the diff sees one form.

Newer versions of the same API show some values differently (see docs/api-client.md, "Deviations"):

- ``groups`` as ids (``["1", "3"]``) or as objects (``[{"id": "1", "name": "Stammkunden"}]``);
- reference fields (``financial.paymentMethod``, ``shipping.shippingMethod``) as text or as ``{"id": ...}``;
- countries as ISO 3166-1 alpha-2 codes or as country names, English or German ("Deutschland"), via pycountry.

A value that is none of these is left as it is: validation then names it, instead of a guess here.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from functools import cache
from typing import Any

import pycountry

REFERENCE_COLUMNS = frozenset({"financial.paymentMethod", "shipping.shippingMethod"})
"""Canonical text columns the API may send as a ``{"id": ...}`` reference."""

COUNTRY_COLUMNS = frozenset({"country", "address.country"})
"""Canonical columns holding a country (an address's, a contact person's address's)."""

NAME_LANGUAGES = ("de",)
"""Languages whose country names are understood besides English (pycountry ships the translations)."""


def group_ids(value: Any) -> Any:
    """``groups`` as a list of id strings, whether the API sent ids or ``{"id", "name"}`` objects."""
    if not isinstance(value, list | tuple):
        return value
    return [str(item.get("id")) if isinstance(item, Mapping) else item for item in value]


def reference_value(value: Any) -> Any:
    """A reference field as its text: ``{"id": "invoice"}`` -> ``"invoice"``."""
    if isinstance(value, Mapping):
        return value.get("id")
    return value


def country_code(value: Any) -> Any:
    """A country as its ISO 3166-1 alpha-2 code: ``"DE"``, ``"de"``, ``"Germany"``, ``"Deutschland"`` -> ``"DE"``."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return _codes_by_name().get(text.casefold(), value)


@cache
def _codes_by_name() -> dict[str, str]:
    names: dict[str, str] = {}
    translations = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]) for lang in NAME_LANGUAGES
    ]
    for country in pycountry.countries:
        spellings = {country.name, getattr(country, "common_name", country.name), country.alpha_3}
        spellings |= {getattr(country, "official_name", country.name)}
        for translation in translations:
            spellings |= {translation.gettext(s) for s in list(spellings)}
        for spelling in spellings:
            names.setdefault(spelling.casefold(), country.alpha_2)
    return names


def normalise_shapes(record: dict[str, Any]) -> dict[str, Any]:
    """One flattened resource with every open shape in its one canonical form."""
    for column in REFERENCE_COLUMNS & record.keys():
        record[column] = reference_value(record[column])
    for column in COUNTRY_COLUMNS & record.keys():
        record[column] = country_code(record[column])
    if "groups" in record:
        record["groups"] = group_ids(record["groups"])
    return record
