"""The canonical contact-person table: many contact persons per customer, keyed by ``(customerNumber, name)``.

The API lets one customer have two contact persons with the same name, so the key is not unique: such
records are legal data and pair up deterministically when planning (:func:`custsync.reconcile.keys.contact_keys`).
Fields follow the v1 contact-person resource of the public spec. ``customerNumber`` is not an API field: the
customer is the parent resource. ``groups`` is a comma-separated string of group ids.
"""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from custsync.model import _checks  # noqa: F401  (registers email=, country=, ids=)
from custsync.model._base import CanonicalModel
from custsync.model._types import DATE_KWARGS, Date, Flag, Text

CONTACT_TYPES = ("company", "mr", "mrs", "other")


class ContactSchema(CanonicalModel):
    """One contact person of a customer."""

    customerNumber: Series[Text] = pa.Field(nullable=False, description="number of the owning customer")
    name: Series[Text] = pa.Field(nullable=False, description="full name")
    type: Series[Text] = pa.Field(isin=CONTACT_TYPES, nullable=True, description="salutation kind")
    title: Series[Text] = pa.Field(nullable=True)
    birthday: Series[Date] = pa.Field(nullable=True, dtype_kwargs=DATE_KWARGS)
    birthdayShowInCalendar: Series[Flag] = pa.Field(nullable=True)
    sendBirthdayCard: Series[Flag] = pa.Field(nullable=True)
    marketingBan: Series[Flag] = pa.Field(nullable=True)
    department: Series[Text] = pa.Field(nullable=True)
    subDepartment: Series[Text] = pa.Field(nullable=True)
    position: Series[Text] = pa.Field(nullable=True)
    address_street: Series[Text] = pa.Field(alias="address.street", nullable=True)
    address_additional: Series[Text] = pa.Field(alias="address.additionalStreet", nullable=True)
    address_zip: Series[Text] = pa.Field(alias="address.zip", nullable=True)
    address_city: Series[Text] = pa.Field(alias="address.city", nullable=True)
    address_state: Series[Text] = pa.Field(alias="address.state", nullable=True)
    address_country: Series[Text] = pa.Field(alias="address.country", nullable=True, country=True)
    contact_phone: Series[Text] = pa.Field(alias="contact.phone", nullable=True)
    contact_fax: Series[Text] = pa.Field(alias="contact.fax", nullable=True)
    contact_mobile: Series[Text] = pa.Field(alias="contact.mobile", nullable=True)
    contact_salutation: Series[Text] = pa.Field(alias="contact.salutation", nullable=True)
    contact_email: Series[Text] = pa.Field(alias="contact.email", nullable=True, email=True)
    groups: Series[Text] = pa.Field(nullable=True, ids=True, description="comma-separated group ids")
    comment: Series[Text] = pa.Field(nullable=True)
    others: Series[Text] = pa.Field(nullable=True)
