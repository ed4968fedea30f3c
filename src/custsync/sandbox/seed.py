"""Realistic generated customers (with addresses and contact persons) for demos, rehearsals and benchmarks.

Names, streets, phone numbers, IBANs and VAT ids come from Faker's locale providers for Germany and other EU
countries, so the data looks like a European ERP's (umlauts, accents, several postcode formats). The same
``seed`` always yields the same customers: each locale has its own seeded Faker, and one seeded random generator
picks the locale and every choice in between.
"""

from __future__ import annotations

import datetime as dt
import random
from functools import cache
from typing import Any

from faker import Faker

from custsync.sandbox import fields
from custsync.sandbox.storage import Store

LOCALES: dict[str, tuple[str, str]] = {
    "de_DE": ("DE", "EUR"),
    "de_AT": ("AT", "EUR"),
    "fr_FR": ("FR", "EUR"),
    "nl_NL": ("NL", "EUR"),
    "it_IT": ("IT", "EUR"),
    "es_ES": ("ES", "EUR"),
    "pl_PL": ("PL", "PLN"),
}
WEIGHTS = (50, 10, 10, 8, 8, 8, 6)
PAYMENT_METHODS = ("invoice", "direct_debit", "prepayment", "paypal")
SHIPPING_METHODS = ("DHL", "DPD", "UPS", "pickup")

Bundle = tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]

POOL_SIZE = 64
"""Distinct generated values kept per locale and kind; beyond that values are drawn from the pool, which keeps
generating 10,000 customers at a few seconds instead of tens of seconds (Faker calls dominate the cost)."""


@cache
def _faker(locale: str) -> Faker:
    return Faker(locale)


class _Pools:
    """Faker values per (locale, kind), generated on first use up to POOL_SIZE, then reused by choice."""

    def __init__(self, fake: Faker, rng: random.Random) -> None:
        self.fake = fake
        self.rng = rng
        self.values: dict[str, list[Any]] = {}

    def __call__(self, kind: str) -> Any:
        pool = self.values.setdefault(kind, [])
        if len(pool) < POOL_SIZE:
            pool.append(getattr(self.fake, kind)())
            return pool[-1]
        return self.rng.choice(pool)


class CustomerFactory:
    """Deterministic generator of (customer, addresses, contacts) bundles."""

    def __init__(self, seed: int | None = None) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.pools: dict[str, _Pools] = {}

    def _pools(self, locale: str) -> _Pools:
        """A locale's pools; its Faker is reseeded when first used by this factory (instances are cached)."""
        if locale not in self.pools:
            fake = _faker(locale)
            index = list(LOCALES).index(locale)
            fake.seed_instance(None if self.seed is None else self.seed * 31 + index)
            self.pools[locale] = _Pools(fake, random.Random(None if self.seed is None else self.seed + index))
        return self.pools[locale]

    def bundle(self) -> Bundle:
        rng = self.rng
        locale = rng.choices(list(LOCALES), WEIGHTS)[0]
        fake = self._pools(locale)
        country, currency = LOCALES[locale]
        doc = fields.empty_document(fields.CUSTOMER)
        if rng.random() < 0.55:
            female = rng.random() < 0.5
            doc["customerType"] = "person"
            doc["firstname"] = fake("first_name_female") if female else fake("first_name_male")
            doc["lastname"] = fake("last_name")
            doc["name"] = f"{doc['firstname']} {doc['lastname']}"
            doc["salutation"] = "mrs" if female else "mr"
            doc["title"] = rng.choice((None, None, None, "Dr.", "Prof. Dr."))
            doc["birthdate"] = _date(rng, 1936, 2006) if rng.random() < 0.6 else None
        else:
            doc["customerType"] = "company"
            doc["name"] = fake("company")
            doc["salutation"] = "company"
            doc["department"] = rng.choice((None, None, "Einkauf", "Purchasing", "Finance"))
        slug = fake("user_name")
        domain = fake("free_email_domain") if doc["customerType"] == "person" else fake("domain_name")
        doc["contact"].update(phone=fake("phone_number"), email=f"{slug}@{domain}")
        if doc["customerType"] == "company":
            doc["contact"]["website"] = f"https://www.{domain}"
        doc["groups"] = sorted({str(rng.randint(1, 12)) for _ in range(rng.randint(0, 2))}, key=int)
        if rng.random() < 0.7:
            doc["bankAccount"].update(accountHolder=doc["name"], bankName=fake("city") + " Bank", iban=fake("iban"))
            doc["bankAccount"]["bic"] = fake("swift11")
            if rng.random() < 0.5:
                doc["bankAccount"]["sepaMandate"] = {
                    "reference": f"MANDATE-{rng.randint(100000, 999999)}",
                    "signedAt": _date(rng, 2019, 2025),
                }
        financial = doc["financial"]
        financial.update(paymentMethod=rng.choice(PAYMENT_METHODS), currency=currency)
        financial["paymentTerms"] = {
            "days": rng.choice((7, 14, 30, 60)),
            "discountDays": rng.choice((None, 7, 10)),
            "discountPercent": rng.choice((None, 2.0, 3.0)),
        }
        if doc["customerType"] == "company":
            financial["vatId"] = f"{country}{rng.randint(100000000, 999999999)}"
            financial["creditLimit"] = float(rng.choice((1000, 5000, 10000, 25000)))
        doc["shipping"].update(shippingMethod=rng.choice(SHIPPING_METHODS), deliveryBan=rng.random() < 0.02)
        doc["documentDelivery"]["invoiceEmail"] = doc["contact"]["email"]
        addresses = [self._address(fake, country, "masterdata", doc["name"])]
        if rng.random() < 0.3:
            addresses.append(self._address(fake, country, "billingaddress", doc["name"]))
        for _ in range(rng.choice((0, 0, 1, 2))):
            addresses.append(self._address(fake, country, "deliveryaddress", doc["name"]))
        contacts = []
        if doc["customerType"] == "company":
            contacts = [self._contact(fake, country, domain) for _ in range(rng.randint(1, 3))]
        return doc, addresses, contacts

    def _address(self, fake: _Pools, country: str, kind: str, name: str) -> dict[str, Any]:
        doc = fields.empty_document(fields.ADDRESS)
        doc.update(type=kind, name=name, street=fake("street_address"), zip=fake("postcode"), city=fake("city"))
        doc["country"] = country
        if kind == "deliveryaddress":
            doc["defaultDeliveryAddress"] = False
            doc["phone"] = fake("phone_number")
        return doc

    def _contact(self, fake: _Pools, country: str, domain: str) -> dict[str, Any]:
        rng = self.rng
        female = rng.random() < 0.5
        first = fake("first_name_female") if female else fake("first_name_male")
        last = fake("last_name")
        doc = fields.empty_document(fields.CONTACT)
        doc.update(name=f"{first} {last}", type="mrs" if female else "mr")
        doc["position"] = rng.choice(("Einkauf", "Buchhaltung", "Geschäftsführung", "Logistik", None))
        doc["contact"].update(phone=fake("phone_number"), email=fake("user_name") + "@" + domain)
        doc["address"]["country"] = country
        doc["marketingBan"] = rng.random() < 0.1
        return doc


def _date(rng: random.Random, first_year: int, last_year: int) -> str:
    start = dt.date(first_year, 1, 1).toordinal()
    return dt.date.fromordinal(rng.randint(start, dt.date(last_year, 12, 31).toordinal())).isoformat()


def generate(count: int, *, seed: int | None = None) -> list[Bundle]:
    factory = CustomerFactory(seed)
    return [factory.bundle() for _ in range(count)]


def seed_store(store: Store, count: int, *, seed: int | None = None, batch: int = 1000) -> int:
    """Add ``count`` generated customers (numbers from the store's range); returns how many were added."""
    factory = CustomerFactory(seed)
    added = 0
    while added < count:
        chunk = [factory.bundle() for _ in range(min(batch, count - added))]
        added += store.insert_bundles(chunk)
    return added
