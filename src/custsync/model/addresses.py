"""The canonical address table: many addresses per customer, and what identifies one (:data:`ADDRESS_IDENTITY`).

Keyed by ``(customerNumber, type)`` for ``masterdata`` and ``billingaddress`` (at most one each per customer)
and by ``(customerNumber, type, matchKey)`` for ``deliveryaddress``. ``matchKey`` is an optional source column;
when it is empty the reconciler derives a key from the normalised name, street, zip, city and country.
``customerNumber`` and ``matchKey`` are not API fields: the customer is the parent resource.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pandera.typing import DataFrame, Series

from custsync.model import _checks  # noqa: F401  (registers email=, country=)
from custsync.model._base import CanonicalModel
from custsync.model._types import Flag, Text


@dataclass(frozen=True)
class AddressIdentity:
    """What makes two address records the same address — declared once, for the schema's checks, the entity's
    key, the plan's pairing (:func:`custsync.reconcile.address_keys`) and the look-up of an uncertain create."""

    customer: str = "customerNumber"
    type: str = "type"
    match_key: str = "matchKey"
    one_per_customer: tuple[str, ...] = ("masterdata", "billingaddress")
    """Types a customer has at most one of: its customer and the type identify such an address."""
    many_per_customer: str = "deliveryaddress"
    """The type a customer may have any number of: identified by its match key (a source column naming one
    delivery address of its customer), else by its :attr:`content`."""
    content: tuple[str, ...] = ("name", "street", "zip", "city", "country")
    """The columns identifying a delivery address without a remembered match key, compared normalised."""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.customer, self.type, self.match_key)

    @property
    def types(self) -> tuple[str, ...]:
        return (*self.one_per_customer, self.many_per_customer)


ADDRESS_IDENTITY = AddressIdentity()
ADDRESS_TYPES = ADDRESS_IDENTITY.types


class AddressSchema(CanonicalModel):
    """One address of a customer, as the v2 address view shows it."""

    customerNumber: Series[Text] = pa.Field(nullable=False, description="number of the owning customer")
    type: Series[Text] = pa.Field(isin=ADDRESS_TYPES, nullable=False)
    matchKey: Series[Text] = pa.Field(nullable=True, description="stable source key of a delivery address")
    # primary address data: required (the seed: "primary address data (required): name, street, zip, city,
    # country"), so the API takes no null for them
    name: Series[Text] = pa.Field(nullable=False)
    street: Series[Text] = pa.Field(nullable=False)
    zip: Series[Text] = pa.Field(nullable=False)
    city: Series[Text] = pa.Field(nullable=False)
    country: Series[Text] = pa.Field(nullable=False, country=True, description="ISO 3166-1 alpha-2")
    # secondary address data
    addressSupplement: Series[Text] = pa.Field(nullable=True)
    department: Series[Text] = pa.Field(nullable=True)
    # delivery contact details
    email: Series[Text] = pa.Field(nullable=True, email=True)
    phone: Series[Text] = pa.Field(nullable=True)
    gln: Series[Text] = pa.Field(nullable=True, description="Global Location Number (13 digits)")
    # delivery details
    taxType: Series[Text] = pa.Field(nullable=True)
    defaultDeliveryAddress: Series[Flag] = pa.Field(nullable=True)
    vatId: Series[Text] = pa.Field(nullable=True)

    # one check per type of ADDRESS_IDENTITY.one_per_customer, named one_<type>_per_customer
    @pa.dataframe_check(name="one_masterdata_per_customer:type")
    def _one_masterdata(cls, df: DataFrame) -> Series[bool]:
        """The customer list filters read the one masterdata address; two would make them ambiguous."""
        return ~_repeated_type(df, ADDRESS_IDENTITY.one_per_customer[0])

    @pa.dataframe_check(name="one_billingaddress_per_customer:type")
    def _one_billingaddress(cls, df: DataFrame) -> Series[bool]:
        return ~_repeated_type(df, ADDRESS_IDENTITY.one_per_customer[1])

    @pa.dataframe_check(name="unique:matchKey")
    def _unique_match_key(cls, df: DataFrame) -> Series[bool]:
        """A match key names one delivery address of a customer; given twice, the sync cannot tell them apart."""
        scope = [ADDRESS_IDENTITY.customer, ADDRESS_IDENTITY.match_key]
        return ~(df[scope].notna().all(axis=1) & df.duplicated(scope, keep=False))


def _repeated_type(df: pd.DataFrame, kind: str) -> pd.Series:
    customer = df[ADDRESS_IDENTITY.customer]
    rows = df[ADDRESS_IDENTITY.type].eq(kind).fillna(False).astype(bool) & customer.notna()
    return rows & customer.where(rows).duplicated(keep=False)
