"""The one way custsync talks to the customer API.

    async with AsyncCustomerApi(ApiSettings.from_env()) as api:
        async for page in api.customers.pages([Filter("city", "equals", "Berlin")]):
            ...
        new_id = await api.customers.create({"number": "10001", "customerType": "company", "name": "ACME"})
        await api.addresses(customer).create({"type": "masterdata", "name": "ACME", "country": "DE"})

``CustomerApi`` is the blocking twin. Everything goes through one rate gate per process and API, retries
what is safe to retry, never creates a record twice, and counts its calls in ``api.stats``.
"""

from custsync.api._client import AsyncCustomerApi
from custsync.api._gate import RateGate, parse_retry_after
from custsync.api._query import OPERATOR_SPELLINGS, OPERATORS, Filter, Order, encode_query
from custsync.api._resources import (
    ADDRESSES_SPEC,
    CONTACTS_SPEC,
    CUSTOMERS_SPEC,
    PAGE_SIZE,
    Addresses,
    Contacts,
    Customers,
    Page,
    Resource,
    ResourceSpec,
    SubResource,
)
from custsync.api._settings import (
    ENV_DEADLINE,
    ENV_RATE,
    ENV_TOKEN,
    ENV_URL,
    PRODUCTION_REQUESTS_PER_MINUTE,
    ApiSettings,
    Secret,
)
from custsync.api._stats import CallStats, call_counts, calls_spent, calls_text
from custsync.api._sync import CustomerApi, SyncResource
from custsync.api._transport import SlotTransport

__all__ = [
    "ADDRESSES_SPEC",
    "CONTACTS_SPEC",
    "CUSTOMERS_SPEC",
    "ENV_DEADLINE",
    "ENV_RATE",
    "ENV_TOKEN",
    "ENV_URL",
    "OPERATORS",
    "OPERATOR_SPELLINGS",
    "PAGE_SIZE",
    "PRODUCTION_REQUESTS_PER_MINUTE",
    "Addresses",
    "ApiSettings",
    "AsyncCustomerApi",
    "CallStats",
    "Contacts",
    "CustomerApi",
    "Customers",
    "Filter",
    "Order",
    "Page",
    "RateGate",
    "Resource",
    "ResourceSpec",
    "Secret",
    "SlotTransport",
    "SubResource",
    "SyncResource",
    "call_counts",
    "calls_spent",
    "calls_text",
    "encode_query",
    "parse_retry_after",
]
