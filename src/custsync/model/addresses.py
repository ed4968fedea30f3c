"""The canonical address table: many addresses per customer.

Keyed by ``(customerNumber, type)`` for ``masterdata`` and ``billingaddress`` (at most one each per customer)
and by ``(customerNumber, type, matchKey)`` for ``deliveryaddress``. ``matchKey`` is an optional source column;
when it is empty the reconciler derives a key from the normalised name, street, zip, city and country.
``customerNumber`` and ``matchKey`` are not API fields: the customer is the parent resource.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import DataFrame, Series

from custsync.model import _checks  # noqa: F401  (registers email=, country=)
from custsync.model._base import CanonicalModel
from custsync.model._types import Flag, Text

ADDRESS_TYPES = ("masterdata", "billingaddress", "deliveryaddress")


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

    @pa.dataframe_check(name="one_masterdata_per_customer:type")
    def _one_masterdata(cls, df: DataFrame) -> Series[bool]:
        """The customer list filters read the one masterdata address; two would make them ambiguous."""
        return ~_repeated_type(df, "masterdata")

    @pa.dataframe_check(name="one_billingaddress_per_customer:type")
    def _one_billingaddress(cls, df: DataFrame) -> Series[bool]:
        return ~_repeated_type(df, "billingaddress")

    @pa.dataframe_check(name="unique:matchKey")
    def _unique_match_key(cls, df: DataFrame) -> Series[bool]:
        """A match key names one delivery address of a customer; given twice, the sync cannot tell them apart."""
        keyed = df["customerNumber"].notna() & df["matchKey"].notna()
        return ~(keyed & df.duplicated(["customerNumber", "matchKey"], keep=False))


def _repeated_type(df: pd.DataFrame, kind: str) -> pd.Series:
    rows = df["type"].eq(kind).fillna(False).astype(bool) & df["customerNumber"].notna()
    return rows & df["customerNumber"].where(rows).duplicated(keep=False)
