"""Regenerate the sample data: a valid canonical set (CSV and Parquet) and a set with planted failures.

    .venv/bin/python sample_data/generate.py            # rewrites sample_data/canonical*, sample_data/invalid

Everything comes from a fixed seed (Faker for names and addresses, schwifty for IBANs of real bank codes, so each
BIC is the one its bank really has), so a run rewrites the committed files byte for byte with the pinned
versions. The valid set is checked with :func:`custsync.model.validate_frames` before it is written; the invalid
set is the first customers of the valid set with one failure planted per check, listed in ``invalid/EXPECTED.md``.
"""

from __future__ import annotations

import argparse
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from faker import Faker
from faker.providers.address.it_IT import Provider as ItalianAddresses
from schwifty import IBAN

from custsync.model import ENTITIES, Entity, validate_frames

SEED = 20261128
BIRTHDATES_AS_OF = date(2026, 11, 28)
"""Ages are counted back from this fixed day, never from today, so the files are the same on every date."""
CUSTOMERS = 50
HERE = Path(__file__).resolve().parent

LOCALES = {"DE": "de_DE", "AT": "de_AT", "FR": "fr_FR", "NL": "nl_NL", "IT": "it_IT", "ES": "es_ES"}
COUNTRY_MIX = ["DE"] * 30 + ["AT"] * 6 + ["FR"] * 4 + ["NL"] * 4 + ["IT"] * 3 + ["ES"] * 3
BANK_CODES = {
    "DE": ["37040044", "50010517", "10070000", "70150000", "20050550", "60050101", "12030000", "43060967"],
    "AT": ["12000", "20111", "32000", "14000"],
    "FR": ["30004", "20041"],
    "NL": ["INGB", "ABNA", "RABO"],
    "IT": ["0306909606", "0200801600"],
    "ES": ["21000418", "00491500"],
}
IT_CITIES = sorted(set(ItalianAddresses.cities))
LEGAL_FORMS = {"DE": "GmbH", "AT": "GmbH", "FR": "SARL", "NL": "B.V.", "IT": "S.r.l.", "ES": "S.L."}
DEPARTMENTS = [("Einkauf", "Einkaufsleitung"), ("Buchhaltung", "Kreditorenbuchhaltung"), ("Geschäftsführung", "CEO")]
DEPARTMENTS += [("Logistik", "Lagerleitung"), ("Vertrieb", "Key Account Manager"), ("IT", "Administrator")]


@dataclass
class SampleSet:
    customers: list[dict[str, Any]]
    addresses: list[dict[str, Any]]
    contacts: list[dict[str, Any]]

    def frames(self) -> dict[str, pd.DataFrame]:
        raw = {"customers": self.customers, "addresses": self.addresses, "contacts": self.contacts}
        return {name: ENTITIES[name].conform(pd.DataFrame.from_records(rows)) for name, rows in raw.items()}


def birthdate(fake: Faker, *, minimum_age: int, maximum_age: int) -> date:
    """A birthdate for someone aged ``minimum_age`` to ``maximum_age`` on :data:`BIRTHDATES_AS_OF`.

    Faker's ``date_of_birth`` counts back from today, which makes the output change every day; the draw here is
    the same one over a fixed range (whole dates, so no time zone enters).
    """
    start = BIRTHDATES_AS_OF.replace(year=BIRTHDATES_AS_OF.year - maximum_age - 1)
    end = BIRTHDATES_AS_OF.replace(year=BIRTHDATES_AS_OF.year - minimum_age)
    drawn = fake.date_time_ad(start_datetime=start, end_datetime=end).date()
    return drawn if drawn != start else drawn + timedelta(days=1)


def ascii_slug(text: str) -> str:
    """``"Jürgen Groß"`` -> ``"juergen.gross"``: what a mail admin would make of a name."""
    text = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return ".".join("".join(c for c in part if c.isalnum()) for part in text.split() if part.strip(" .-&"))


class Generator:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        Faker.seed(seed)
        self.fakers = {country: Faker(locale) for country, locale in LOCALES.items()}

    def build(self, count: int = CUSTOMERS) -> SampleSet:
        countries = list(COUNTRY_MIX[:count])
        self.rng.shuffle(countries)
        out = SampleSet([], [], [])
        for i, country in enumerate(countries):
            number = f"K{10001 + i}"
            if self.rng.random() < 0.6:
                self._company(out, number, country)
            else:
                self._person(out, number, country)
        return out

    # ------------------------------------------------------------------------------------------- customers

    def _common(self, number: str, country: str) -> dict[str, Any]:
        fake, rng = self.fakers[country], self.rng
        row: dict[str, Any] = {"number": number, "groups": rng.choice([None, "1", "1,3", "2"])}
        row["contact.phone"] = fake.phone_number()
        if rng.random() < 0.85:
            iban = IBAN.generate(
                country,
                bank_code=rng.choice(BANK_CODES[country]),
                account_code=str(rng.randrange(10**7, 10**8)),
            )
            row["bankAccount.iban"] = iban.compact
            row["bankAccount.bic"] = str(iban.bic)
            row["bankAccount.bankName"] = iban.bank_name
            method = rng.choice(["lastschrift", "lastschrift", "rechnung"])
        else:
            method = rng.choice(["rechnung", "vorkasse", "paypal"])
        row["financial.paymentMethod"] = method
        if method == "lastschrift":
            row["bankAccount.sepaMandate.reference"] = f"MANDAT-{number}-01"
            row["bankAccount.sepaMandate.signedAt"] = date(2019, 1, 1) + timedelta(days=rng.randrange(2400))
        row["financial.currency"] = "EUR"
        row["shipping.shippingMethod"] = rng.choice(["DHL", "DPD", "UPS", "Spedition", "Abholung"])
        row["shipping.deliveryBan"] = rng.random() < 0.04
        row["lead.isLead"] = rng.random() < 0.1
        if row["lead.isLead"]:
            row["lead.status"] = rng.choice(["marketingqualifiedlead", "salesqualifiedlead"])
        return row

    def _company(self, out: SampleSet, number: str, country: str) -> None:
        fake, rng = self.fakers[country], self.rng
        name = fake.company()
        if " " not in name:  # some locales give a bare surname; a legal form makes it read like a firm
            name = f"{name} {LEGAL_FORMS[country]}"
        domain = f"{ascii_slug(name.split()[0]).split('.')[0] or 'firma'}.{country.lower()}"
        row = self._common(number, country)
        row.update(
            {
                "customerType": "company",
                "name": name,
                "salutation": "company",
                "contact.email": f"info@{domain}",
                "contact.website": f"https://www.{domain}",
                "contact.fax": fake.phone_number() if rng.random() < 0.3 else None,
                "financial.vatId": self._vat_id(country),
                "financial.taxNumber": self._tax_number() if country == "DE" else None,
                "financial.paymentTerms.days": rng.choice([14, 30, 30, 45]),
                "financial.creditLimit": rng.choice([2500, 5000, 10000, 25000, 50000]) + rng.choice([0, 0, 0.5, 0.99]),
                "shipping.freeShippingFrom": rng.choice([None, 150.0, 250.0, 500.0]),
                "documentDelivery.invoiceEmail": f"rechnung@{domain}",
                "documentDelivery.offerEmail": f"einkauf@{domain}",
                "documentDelivery.orderConfirmationEmail": f"einkauf@{domain}" if rng.random() < 0.7 else None,
                "documentDelivery.deliveryNoteEmail": f"lager@{domain}" if rng.random() < 0.5 else None,
                "project.id": rng.choice([None, "1", "2"]),
            }
        )
        if rng.random() < 0.4:
            row["financial.paymentTerms.discountDays"] = rng.choice([7, 10])
            row["financial.paymentTerms.discountPercent"] = rng.choice([2.0, 3.0, 1.5])
        if "bankAccount.iban" in row:
            row["bankAccount.accountHolder"] = name
        out.customers.append(row)
        street = fake.street_address()
        zip_, city = fake.postcode(), self._city(country)
        out.addresses.append(
            self._address(number, "masterdata", name, street, zip_, city, country, phone=row["contact.phone"])
        )
        if rng.random() < 0.35:
            billing = self._address(
                number, "billingaddress", name, fake.street_address(), fake.postcode(), self._city(country), country
            )
            billing.update(department="Buchhaltung", email=f"rechnung@{domain}")
            out.addresses.append(billing)
        for k in range(rng.choice([0, 1, 1, 2, 3])):
            site = self._city(country)
            delivery = self._address(
                number, "deliveryaddress", f"{name} Lager {site}", fake.street_address(), fake.postcode(), site, country
            )
            delivery.update(
                matchKey=f"{number}-L{k + 1}",
                defaultDeliveryAddress=k == 0,
                email=f"lager@{domain}",
                gln=self._gln(),
            )
            out.addresses.append(delivery)
        for _ in range(rng.choice([1, 1, 2, 3])):
            out.contacts.append(self._contact(number, country, domain, street, zip_, city))

    def _person(self, out: SampleSet, number: str, country: str) -> None:
        fake, rng = self.fakers[country], self.rng
        female = rng.random() < 0.5
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name()
        row = self._common(number, country)
        row.update(
            {
                "customerType": "person",
                "firstname": first,
                "lastname": last,
                "name": f"{first} {last}",
                "title": "Dr." if rng.random() < 0.1 else None,
                "birthdate": birthdate(fake, minimum_age=19, maximum_age=88),
                "salutation": "mrs" if female else "mr",
                "contact.mobile": fake.phone_number(),
                "contact.email": f"{ascii_slug(first + ' ' + last)}@{rng.choice(['gmx.de', 'web.de', 'posteo.de'])}",
                "financial.paymentTerms.days": 14,
                "financial.creditLimit": rng.choice([None, 500.0, 1000.0, 1500.0]),
                "shipping.freeShippingFrom": rng.choice([None, 50.0, 75.0]),
            }
        )
        if "bankAccount.iban" in row:
            row["bankAccount.accountHolder"] = row["name"]
        out.customers.append(row)
        out.addresses.append(
            self._address(
                number, "masterdata", row["name"], fake.street_address(), fake.postcode(), self._city(country), country
            )
        )
        if rng.random() < 0.25:
            delivery = self._address(
                number,
                "deliveryaddress",
                row["name"],
                fake.street_address(),
                fake.postcode(),
                self._city(country),
                country,
            )
            delivery.update(matchKey=f"{number}-L1", defaultDeliveryAddress=True)
            out.addresses.append(delivery)

    # ----------------------------------------------------------------------------------------- sub-resources

    @staticmethod
    def _address(number: str, kind: str, name: str, street: str, zip_: str, city: str, country: str, **more: Any):
        return {
            "customerNumber": number,
            "type": kind,
            "name": name,
            "street": street,
            "zip": zip_,
            "city": city,
            "country": country,
            **more,
        }

    def _contact(self, number: str, country: str, domain: str, street: str, zip_: str, city: str) -> dict[str, Any]:
        fake, rng = self.fakers[country], self.rng
        female = rng.random() < 0.5
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name()
        department, position = rng.choice(DEPARTMENTS)
        greeting = f"Sehr geehrte Frau {last}" if female else f"Sehr geehrter Herr {last}"
        row: dict[str, Any] = {
            "customerNumber": number,
            "name": f"{first} {last}",
            "type": "mrs" if female else "mr",
            "title": "Dr." if rng.random() < 0.1 else None,
            "department": department,
            "position": position,
            "contact.phone": fake.phone_number(),
            "contact.mobile": fake.phone_number() if rng.random() < 0.5 else None,
            "contact.email": f"{ascii_slug(first + ' ' + last)}@{domain}",
            "contact.salutation": greeting if country in ("DE", "AT") else None,
            "marketingBan": rng.random() < 0.15,
            "groups": rng.choice([None, "2", "2,4"]),
        }
        if rng.random() < 0.5:
            row["birthday"] = birthdate(fake, minimum_age=22, maximum_age=66)
            row["birthdayShowInCalendar"] = rng.random() < 0.5
            row["sendBirthdayCard"] = rng.random() < 0.3
        if rng.random() < 0.4:
            row.update(
                {"address.street": street, "address.zip": zip_, "address.city": city, "address.country": country}
            )
        if rng.random() < 0.2:
            row["comment"] = rng.choice(["bevorzugt Kontakt per E-Mail", "nur vormittags erreichbar", "Messekontakt"])
        return row

    def _vat_id(self, country: str) -> str:
        digits = lambda n: "".join(str(self.rng.randrange(10)) for _ in range(n))  # noqa: E731
        return {
            "DE": lambda: "DE" + digits(9),
            "AT": lambda: "ATU" + digits(8),
            "FR": lambda: "FR" + digits(11),
            "NL": lambda: "NL" + digits(9) + "B01",
            "IT": lambda: "IT" + digits(11),
            "ES": lambda: "ESB" + digits(8),
        }[country]()

    def _city(self, country: str) -> str:
        """Faker's Italian city list is built from a set, so its order (and pick) changes per process: sort it."""
        if country == "IT":
            return self.rng.choice(IT_CITIES)
        return self.fakers[country].city()

    def _tax_number(self) -> str:
        """A German tax number in the 2/3/5 form of the tax offices."""
        return f"{self.rng.randrange(10, 99)}/{self.rng.randrange(100, 999)}/{self.rng.randrange(10000, 99999)}"

    def _gln(self) -> str:
        """A 13-digit Global Location Number with a correct GS1 check digit."""
        body = "40" + "".join(str(self.rng.randrange(10)) for _ in range(10))
        total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
        return body + str((10 - total % 10) % 10)


# ---------------------------------------------------------------------------------------------------- writing


def csv_cells(frame: pd.DataFrame, entity: Entity) -> pd.DataFrame:
    """A conformed frame as CSV text: ISO dates, money with 2 decimals, true/false, empty = missing."""
    out = {}
    for column, dtype in entity.dtypes.items():
        values = frame[column]
        present = values.notna()
        if column in entity.money_columns:
            cells = values.astype(object).where(present, None).map(lambda v: None if v is None else f"{v:.2f}")
        elif isinstance(dtype, pd.BooleanDtype):
            cells = values.astype(object).map({True: "true", False: "false"})
        else:
            cells = values.astype(object).where(present, None).map(lambda v: None if v is None else str(v))
        out[column] = cells.where(present, "").astype(str)
    return pd.DataFrame(out, index=frame.index)


def write_csv(cells: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cells.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def write_parquet(frame: pd.DataFrame, entity: Entity, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame[list(entity.columns)], schema=entity.arrow_schema, preserve_index=False)
    pq.write_table(table.replace_schema_metadata(entity.arrow_schema.metadata), path)


# ------------------------------------------------------------------------------------------- the invalid set


@dataclass(frozen=True)
class Plant:
    """One planted failure: which file, which row (as numbered in the file), which column and rule."""

    entity: str
    row: int
    column: str
    rule: str
    what: str


def build_invalid(cells: dict[str, pd.DataFrame], keep: int = 18) -> tuple[dict[str, pd.DataFrame], list[Plant]]:
    """The first ``keep`` customers of the valid set with one failure planted per check.

    Customers that get a planted failure lose their addresses and contacts, except one, so each plant shows as
    one line in the report and the cascade (``customer_rejected``) shows once, on purpose.
    """
    customers = cells["customers"].iloc[:keep].reset_index(drop=True)
    numbers = list(customers["number"])
    addresses = cells["addresses"][cells["addresses"]["customerNumber"].isin(numbers)].reset_index(drop=True)
    contacts = cells["contacts"][cells["contacts"]["customerNumber"].isin(numbers)].reset_index(drop=True)
    persons = [i for i, t in enumerate(customers["customerType"]) if t == "person"]
    companies = [i for i, t in enumerate(customers["customerType"]) if t == "company"]
    plants: list[Plant] = []
    spoiled: set[str] = set()

    def spoil(i: int, column: str, value: str, rule: str, what: str) -> None:
        customers.loc[i, column] = value
        spoiled.add(numbers[i])
        plants.append(Plant("customers", i + 2, column, rule, what))

    cascade = companies[0]
    spoil(cascade, "contact.email", "info(at)example.de", "email", "e-mail without @")
    iban = _broken_iban(customers.loc[companies[1], "bankAccount.iban"])
    spoil(companies[1], "bankAccount.iban", iban, "iban", "IBAN with a wrong checksum")
    spoil(companies[2], "bankAccount.bic", "COBADEF", "bic", "BIC of 7 characters")
    spoil(companies[3], "name", "", "required_for_company", "company without name")
    spoil(companies[4], "financial.creditLimit", "-500.00", "non_negative", "negative credit limit")
    spoil(persons[0], "lastname", "", "required_for_person", "person without lastname")
    spoil(persons[1], "birthdate", "1985-02-30", "date", "30 February")
    spoil(persons[2], "customerType", "privat", "enum", "customerType not person/company")
    spoil(companies[5], "shipping.deliveryBan", "vielleicht", "boolean", "not a boolean")
    dropped = spoiled - {numbers[cascade]}
    addresses = addresses[~addresses["customerNumber"].isin(dropped)].reset_index(drop=True)
    contacts = contacts[~contacts["customerNumber"].isin(dropped)].reset_index(drop=True)

    # the same number twice: both rows are rejected, neither has addresses or contacts
    twin = customers.iloc[[persons[3]]].copy()
    twin["number"] = "K90001"
    customers = pd.concat([customers, twin, twin.assign(firstname="Zweite")], ignore_index=True)
    for row in (len(customers), len(customers) + 1):
        plants.append(Plant("customers", row, "number", "unique", "customer number K90001 twice"))

    healthy = [n for n in numbers if n not in spoiled]
    masterdata = addresses.index[(addresses["type"] == "masterdata") & addresses["customerNumber"].eq(healthy[0])]
    second = addresses.loc[masterdata].assign(street="Zweite Straße 2")
    addresses = pd.concat([addresses, second], ignore_index=True)
    plants += [
        Plant("addresses", int(masterdata[0]) + 2, "type", "one_masterdata_per_customer", "first of two masterdata"),
        Plant("addresses", len(addresses) + 1, "type", "one_masterdata_per_customer", "second masterdata address"),
    ]
    country_row = int(addresses.index[addresses["customerNumber"].eq(healthy[1])][0])
    addresses.loc[country_row, "country"] = "Deutschland"
    plants.append(Plant("addresses", country_row + 2, "country", "country", "country name instead of ISO code"))
    kind_row = int(addresses.index[addresses["customerNumber"].eq(healthy[2])][0])
    addresses.loc[kind_row, "type"] = "lieferadresse"
    plants.append(Plant("addresses", kind_row + 2, "type", "enum", "address type not in the list"))
    orphan = addresses.loc[[country_row]].assign(customerNumber="K99999", type="deliveryaddress", country="DE")
    addresses = pd.concat([addresses, orphan.assign(matchKey="K99999-L1")], ignore_index=True)
    plants.append(Plant("addresses", len(addresses) + 1, "customerNumber", "unknown_customer", "orphan address"))

    contact_row = int(contacts.index[contacts["customerNumber"].isin(healthy)][0])
    contacts.loc[contact_row, "contact.email"] = "kontakt@"
    plants.append(Plant("contacts", contact_row + 2, "contact.email", "email", "e-mail without domain"))
    orphan_contact = contacts.loc[[contact_row]].assign(customerNumber="K99999", **{"contact.email": ""})
    contacts = pd.concat([contacts, orphan_contact], ignore_index=True)
    plants.append(Plant("contacts", len(contacts) + 1, "customerNumber", "unknown_customer", "orphan contact"))

    for name, frame in (("addresses", addresses), ("contacts", contacts)):
        for p in frame.index[frame["customerNumber"].eq(numbers[cascade])]:
            what = f"its customer {numbers[cascade]} is rejected (bad e-mail)"
            plants.append(Plant(name, int(p) + 2, "customerNumber", "customer_rejected", what))
    return {"customers": customers, "addresses": addresses, "contacts": contacts}, plants


def _broken_iban(iban: str) -> str:
    """The same IBAN with its check digits changed, so only the checksum is wrong."""
    check = (int(iban[2:4]) + 1) % 97 or 2
    return f"{iban[:2]}{check:02d}{iban[4:]}"


def expected_markdown(plants: list[Plant]) -> str:
    lines = [
        "# Planted failures in `sample_data/invalid/`",
        "",
        "Generated by `sample_data/generate.py` together with the CSV files; `tests/model/test_model_sample_data.py`",
        "checks that `custsync.model.validate_frames` reports exactly these, no more and no fewer.",
        "Rows are line numbers in the file (header = 1). Rows of rejected customers cascade: their addresses and",
        "contacts are held back with rule `customer_rejected` (shown once here, on purpose).",
        "",
        "| file | row | column | rule | planted |",
        "|---|---|---|---|---|",
    ]
    order = {"customers": 0, "addresses": 1, "contacts": 2}
    for p in sorted(plants, key=lambda p: (order[p.entity], p.row, p.column)):
        lines.append(f"| {p.entity}.csv | {p.row} | {p.column} | {p.rule} | {p.what} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="directory to write into (default: sample_data/)")
    args = parser.parse_args(argv)
    sample = Generator().build()
    frames = sample.frames()
    result = validate_frames(frames)
    if not result.ok:
        raise SystemExit(f"generated data does not validate:\n{result.failures.to_string()}")
    cells = {name: csv_cells(frame, ENTITIES[name]) for name, frame in frames.items()}
    for name, frame in frames.items():
        write_csv(cells[name], args.out / "canonical" / f"{name}.csv")
        write_parquet(frame, ENTITIES[name], args.out / "canonical_parquet" / f"{name}.parquet")
    invalid, plants = build_invalid(cells)
    for name, frame in invalid.items():
        write_csv(frame, args.out / "invalid" / f"{name}.csv")
    (args.out / "invalid" / "EXPECTED.md").write_text(expected_markdown(plants), encoding="utf-8")
    counts = ", ".join(f"{len(f)} {n}" for n, f in frames.items())
    print(f"wrote {counts} and {len(plants)} planted failures to {args.out}")


if __name__ == "__main__":
    main()
