"""The canonical customer table: one row per customer, keyed by ``number``.

Columns are the API's field paths in dotted form (as ``pandas.json_normalize`` writes them). The groups follow
the customer view of the API: meta data, type and names, contact data, bank account, financial data, shipping
data and document delivery. List-valued fields (``groups``) are held as a comma-separated string of ids.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import DataFrame, Series

from custsync.model import _checks  # noqa: F401  (registers email=, iban=, ... ids=)
from custsync.model._base import CanonicalModel
from custsync.model._types import DATE_KWARGS, Date, Flag, Integer, Money, Percent, Text

CUSTOMER_TYPES = ("person", "company")
SALUTATIONS = ("mr", "mrs", "company", "other")


class CustomerSchema(CanonicalModel):
    """A customer of the ERP, as the v2 customer view shows it."""

    # meta data
    number: Series[Text] = pa.Field(nullable=False, unique=True, description="customer number (the key)")
    groups: Series[Text] = pa.Field(nullable=True, ids=True, description="comma-separated group ids")
    # type and names
    customerType: Series[Text] = pa.Field(isin=CUSTOMER_TYPES, nullable=False)
    name: Series[Text] = pa.Field(nullable=True, description="company name; for persons 'firstname lastname'")
    firstname: Series[Text] = pa.Field(nullable=True)
    lastname: Series[Text] = pa.Field(nullable=True)
    title: Series[Text] = pa.Field(nullable=True)
    birthdate: Series[Date] = pa.Field(nullable=True, dtype_kwargs=DATE_KWARGS)
    salutation: Series[Text] = pa.Field(isin=SALUTATIONS, nullable=True)
    salutationPhrase: Series[Text] = pa.Field(nullable=True)
    department: Series[Text] = pa.Field(nullable=True)
    subDepartment: Series[Text] = pa.Field(nullable=True)
    project_id: Series[Text] = pa.Field(alias="project.id", nullable=True, ids=True)
    # contact data
    contact_phone: Series[Text] = pa.Field(alias="contact.phone", nullable=True)
    contact_mobile: Series[Text] = pa.Field(alias="contact.mobile", nullable=True)
    contact_fax: Series[Text] = pa.Field(alias="contact.fax", nullable=True)
    contact_email: Series[Text] = pa.Field(alias="contact.email", nullable=True, email=True)
    contact_website: Series[Text] = pa.Field(alias="contact.website", nullable=True)
    # bank account data
    bank_holder: Series[Text] = pa.Field(alias="bankAccount.accountHolder", nullable=True)
    bank_name: Series[Text] = pa.Field(alias="bankAccount.bankName", nullable=True)
    bank_iban: Series[Text] = pa.Field(alias="bankAccount.iban", nullable=True, iban=True)
    bank_bic: Series[Text] = pa.Field(alias="bankAccount.bic", nullable=True, bic=True)
    sepa_reference: Series[Text] = pa.Field(alias="bankAccount.sepaMandate.reference", nullable=True)
    sepa_signed: Series[Date] = pa.Field(
        alias="bankAccount.sepaMandate.signedAt", nullable=True, dtype_kwargs=DATE_KWARGS
    )
    # financial data
    vat_id: Series[Text] = pa.Field(alias="financial.vatId", nullable=True)
    tax_number: Series[Text] = pa.Field(alias="financial.taxNumber", nullable=True)
    payment_method: Series[Text] = pa.Field(alias="financial.paymentMethod", nullable=True)
    payment_days: Series[Integer] = pa.Field(alias="financial.paymentTerms.days", nullable=True, ge=0)
    discount_days: Series[Integer] = pa.Field(alias="financial.paymentTerms.discountDays", nullable=True, ge=0)
    discount_percent: Series[Percent] = pa.Field(
        alias="financial.paymentTerms.discountPercent", nullable=True, percent=True
    )
    credit_limit: Series[Money] = pa.Field(alias="financial.creditLimit", nullable=True, ge=0)
    currency: Series[Text] = pa.Field(alias="financial.currency", nullable=True, currency=True)
    # shipping data
    free_shipping_from: Series[Money] = pa.Field(alias="shipping.freeShippingFrom", nullable=True, ge=0)
    shipping_method: Series[Text] = pa.Field(alias="shipping.shippingMethod", nullable=True)
    delivery_ban: Series[Flag] = pa.Field(alias="shipping.deliveryBan", nullable=True)
    # document delivery data
    offer_email: Series[Text] = pa.Field(alias="documentDelivery.offerEmail", nullable=True, email=True)
    order_email: Series[Text] = pa.Field(alias="documentDelivery.orderConfirmationEmail", nullable=True, email=True)
    invoice_email: Series[Text] = pa.Field(alias="documentDelivery.invoiceEmail", nullable=True, email=True)
    delivery_note_email: Series[Text] = pa.Field(alias="documentDelivery.deliveryNoteEmail", nullable=True, email=True)
    # lead data
    lead_is_lead: Series[Flag] = pa.Field(alias="lead.isLead", nullable=True)
    lead_status: Series[Text] = pa.Field(alias="lead.status", nullable=True)

    @pa.dataframe_check(name="required_for_company:name")
    def _company_has_name(cls, df: DataFrame) -> Series[bool]:
        """A company is known by its name."""
        return ~(df["customerType"].eq("company").fillna(False) & df["name"].isna())

    @pa.dataframe_check(name="requires_lead_isLead:lead.status")
    def _lead_status_needs_is_lead(cls, df: DataFrame) -> Series[bool]:
        """The API takes a lead whole (``isLead`` may not be null): a status alone cannot be sent."""
        return ~(df["lead.status"].notna() & df["lead.isLead"].isna())

    @pa.dataframe_check(name="required_for_person:firstname")
    def _person_has_firstname(cls, df: DataFrame) -> Series[bool]:
        """The API builds a person's name from firstname and lastname, so both must be there."""
        return ~(_is_person(df) & df["firstname"].isna())

    @pa.dataframe_check(name="required_for_person:lastname")
    def _person_has_lastname(cls, df: DataFrame) -> Series[bool]:
        return ~(_is_person(df) & df["lastname"].isna())


def _is_person(df: pd.DataFrame) -> pd.Series:
    return df["customerType"].eq("person").fillna(False).astype(bool)
