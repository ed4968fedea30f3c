"""Field descriptions of the three resources, and the validation that turns a payload into stored fields.

A resource is described as data (a nested mapping of field name -> :class:`Field` or sub-mapping), so that the
validator, the empty document, the deep merge of PATCH and the OpenAPI schemas all read one description.
Violations mirror the payload: only invalid fields, each replaced by a list of messages (as the real API does).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Union

import pycountry

BLANK = "This value should not be blank."
UNEXPECTED = "This field was not expected."

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DIGITS = re.compile(r"^\d+$")
_COUNTRIES = frozenset(c.alpha_2 for c in pycountry.countries)


@dataclass(frozen=True)
class Field:
    """One scalar (or id list) field: its kind and constraints."""

    kind: str  # text | email | date | int | number | bool | enum | country | id | ids | ignored
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False
    description: str = ""

    def check(self, value: Any) -> str | None:
        """Return a message when ``value`` (not None) breaks this field's rules."""
        kind = self.kind
        if kind == "ignored":
            return None
        if kind == "ids":
            if not isinstance(value, list) or not all(isinstance(v, str) and _DIGITS.match(v) for v in value):
                return "This value should be a list of numeric id strings."
            return None
        if kind == "bool":
            return None if isinstance(value, bool) else "This value should be of type boolean."
        if kind in ("int", "number"):
            ok = isinstance(value, int) if kind == "int" else isinstance(value, int | float)
            if not ok or isinstance(value, bool):
                return f"This value should be of type {'integer' if kind == 'int' else 'number'}."
            if value != value or value in (float("inf"), float("-inf")):
                return "This value should be a finite number."
            if self.minimum is not None and value < self.minimum:
                return f"This value should be greater than or equal to {self.minimum:g}."
            if self.maximum is not None and value > self.maximum:
                return f"This value should be less than or equal to {self.maximum:g}."
            return None
        if not isinstance(value, str):
            return "This value should be of type string."
        if not _encodable(value):
            return "This value is not valid Unicode text."
        if self.required and not value.strip():
            return BLANK
        if kind == "email" and not _EMAIL.match(value):
            return "This value is not a valid email address."
        if kind == "date":
            return None if _valid_date(value) else "This value is not a valid date (YYYY-MM-DD)."
        if kind == "enum" and value not in self.choices:
            return f"The value you selected is not a valid choice ({', '.join(self.choices)})."
        if kind == "country" and value not in _COUNTRIES:
            return "This value is not a valid ISO 3166-1 alpha-2 country code."
        if kind == "id" and not _DIGITS.match(value):
            return "This value should be a numeric id string."
        return None


Spec = dict[str, Union[Field, "Spec"]]

TEXT = Field("text")
EMAIL = Field("email")
DATE = Field("date")
BOOL = Field("bool")
MONEY = Field("number", minimum=0)

CUSTOMER: Spec = {
    "number": Field("text", required=True, description="customer number; assigned from the number range if absent"),
    "customerType": Field("enum", ("person", "company"), required=True),
    "name": TEXT,
    "firstname": TEXT,
    "lastname": TEXT,
    "title": TEXT,
    "birthdate": DATE,
    "salutation": Field("enum", ("mr", "mrs", "company", "other")),
    "salutationPhrase": TEXT,
    "department": TEXT,
    "subDepartment": TEXT,
    "project": {"id": Field("id")},
    "groups": Field("ids"),
    "contact": {"phone": TEXT, "mobile": TEXT, "fax": TEXT, "email": EMAIL, "website": TEXT},
    "bankAccount": {
        "accountHolder": TEXT,
        "bankName": TEXT,
        "iban": TEXT,
        "bic": TEXT,
        "sepaMandate": {"reference": TEXT, "signedAt": DATE},
    },
    "financial": {
        "vatId": TEXT,
        "taxNumber": TEXT,
        "paymentMethod": TEXT,
        "paymentTerms": {
            "days": Field("int", minimum=0),
            "discountDays": Field("int", minimum=0),
            "discountPercent": Field("number", minimum=0, maximum=100),
        },
        "creditLimit": MONEY,
        "currency": TEXT,
    },
    "shipping": {"freeShippingFrom": MONEY, "shippingMethod": TEXT, "deliveryBan": BOOL},
    "documentDelivery": {
        "offerEmail": EMAIL,
        "orderConfirmationEmail": EMAIL,
        "invoiceEmail": EMAIL,
        "deliveryNoteEmail": EMAIL,
    },
    "lead": {"isLead": BOOL, "status": TEXT},
}

CUSTOMER_ACCEPTED_IGNORED = ("backOfficeContact", "distributionContact")
"""Fields of the spec's v2 create request that the sandbox accepts (so spec-valid requests pass) but does not store."""

ADDRESS: Spec = {
    "type": Field("enum", ("masterdata", "billingaddress", "deliveryaddress"), required=True),
    "name": TEXT,
    "street": TEXT,
    "zip": TEXT,
    "city": TEXT,
    "country": Field("country", required=True),
    "addressSupplement": TEXT,
    "department": TEXT,
    "email": EMAIL,
    "phone": TEXT,
    "gln": TEXT,
    "taxType": TEXT,
    "defaultDeliveryAddress": BOOL,
    "vatId": TEXT,
}

CONTACT: Spec = {
    "name": Field("text", required=True),
    "type": Field("enum", ("company", "mr", "mrs", "other")),
    "title": TEXT,
    "birthday": DATE,
    "birthdayShowInCalendar": BOOL,
    "sendBirthdayCard": BOOL,
    "marketingBan": BOOL,
    "department": TEXT,
    "subDepartment": TEXT,
    "position": TEXT,
    "address": {"street": TEXT, "additionalStreet": TEXT, "zip": TEXT, "city": TEXT, "state": TEXT, "country": TEXT},
    "contact": {"phone": TEXT, "fax": TEXT, "mobile": TEXT, "salutation": TEXT, "email": EMAIL},
    "groups": Field("ids"),
    "comment": TEXT,
    "others": TEXT,
}

READ_ONLY = frozenset({"id", "createdAt", "updatedAt", "links", "customer"})
"""Response-only members; a client that sends them back (round-tripping a fetched resource) is not punished."""


def empty_document(spec: Spec) -> dict[str, Any]:
    """Every field present: scalars None, id lists empty, groups as objects of None (the response shape)."""
    return _copy(_template(id(spec), spec))


_TEMPLATES: dict[int, dict[str, Any]] = {}


def _template(key: int, spec: Spec) -> dict[str, Any]:
    found = _TEMPLATES.get(key)
    if found is None:
        found = {}
        for name, field in spec.items():
            if isinstance(field, dict):
                found[name] = _template(id(field), field)
            elif field.kind == "ids":
                found[name] = []
            elif field.kind != "ignored":
                found[name] = None
        _TEMPLATES[key] = found
    return found


def _copy(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v for k, v in doc.items()}


def check_payload(spec: Spec, payload: dict[str, Any], *, top: bool = True) -> dict[str, Any]:
    """Violations of ``payload`` against ``spec`` (type and format rules only; required-ness is checked later)."""
    violations: dict[str, Any] = {}
    for name, value in payload.items():
        field = spec.get(name)
        if field is None:
            if top and name in READ_ONLY:
                continue
            violations[name] = [UNEXPECTED]
            continue
        if isinstance(field, dict):
            if value is None:
                continue
            if not isinstance(value, dict):
                violations[name] = ["This value should be of type object."]
                continue
            nested = check_payload(field, value, top=False)
            if nested:
                violations[name] = nested
            continue
        if value is None:
            continue
        message = field.check(value)
        if message:
            violations[name] = [message]
    return violations


def merge(spec: Spec, doc: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge a (checked) payload into a stored document: only sent fields change, ``null`` clears."""
    out = dict(doc)
    for name, value in payload.items():
        field = spec.get(name)
        if field is None:
            continue
        if isinstance(field, dict):
            if value is None:
                out[name] = empty_document(field)
            else:
                out[name] = merge(field, out.get(name) or empty_document(field), value)
        elif field.kind == "ids":
            out[name] = list(value) if value is not None else []
        else:
            out[name] = value
    return out


def missing_required(spec: Spec, doc: dict[str, Any]) -> dict[str, Any]:
    """Violations for required fields that are absent or blank in a merged document."""
    violations: dict[str, Any] = {}
    for name, field in spec.items():
        if isinstance(field, Field) and field.required:
            value = doc.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                violations[name] = [BLANK]
    return violations


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _valid_date(value: str) -> bool:
    if len(value) != 10:
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True
