"""Write ``debitoren.csv``: the customer (debtor) export of a German accounting package (fixed seed, reproducible
on any date).

It looks like what such packages write: Windows-1252, semicolons, CRLF, German headers, debtor accounts with a
leading apostrophe (``'7000000001``, so a spreadsheet keeps them text), country names (``Österreich``), money as
``1.500,00 €``, discounts as ``2,00 %``, terms as ``30 Tage``, dates as dd.mm.yyyy, and per row a main address,
an optional billing and delivery address and up to two contact persons (``AP1 …``, ``AP2 …``). Notes,
marketing consent and creation dates ride along. ``mappings/accounting_de.yaml`` maps it.

    python sample_data/accounting_de/generate.py [--rows 80] [--seed 1970] [--out PATH]
"""

from __future__ import annotations

import argparse
import csv
import random
import unicodedata
from datetime import date, timedelta
from pathlib import Path

from faker import Faker

HERE = Path(__file__).resolve().parent
ENCODING = "cp1252"
AS_OF = date(2026, 11, 28)
"""Birthdays and booking dates are counted back from this fixed day, never from today."""

HEADER = [
    "Konto", "Firma", "Anrede", "Titel", "Vorname", "Nachname", "Geburtsdatum",
    "Straße", "PLZ", "Ort", "Land",
    "Rechnung Name", "Rechnung Straße", "Rechnung PLZ", "Rechnung Ort", "Rechnung Land",
    "Lieferung Name", "Lieferung Straße", "Lieferung PLZ", "Lieferung Ort", "Lieferung Land",
    "Telefon", "E-Mail", "USt-IdNr.", "IBAN", "BIC", "Kontoinhaber",
    "Kreditlimit", "Zahlungsziel", "Skonto", "Skontotage",
    "Angelegt am", "Geändert am", "Notiz", "Werbung erlaubt",
    "AP1 Anrede", "AP1 Vorname", "AP1 Nachname", "AP1 Funktion", "AP1 Telefon", "AP1 E-Mail", "AP1 Geburtstag",
    "AP2 Anrede", "AP2 Vorname", "AP2 Nachname", "AP2 Funktion", "AP2 Telefon", "AP2 E-Mail", "AP2 Geburtstag",
]  # fmt: skip

COUNTRIES = [("Deutschland", 12), ("Österreich", 3), ("Schweiz", 2), ("Niederlande", 1), ("Frankreich", 1)]
NOTES = ["", "", "", "Mahnsperre bis Jahresende", "Zahlt immer pünktlich", "Ansprechpartner wechselt; bitte prüfen"]


def fit(text: str) -> str:
    """Keep text Windows-1252-encodable (strip accents the code page lacks)."""
    try:
        text.encode(ENCODING)
        return text
    except UnicodeEncodeError:
        return unicodedata.normalize("NFKD", text).encode(ENCODING, "ignore").decode(ENCODING)


def ascii_only(text: str) -> str:
    """Letters, digits and hyphens of ``text`` without accents: a safe part of an e-mail address."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain if c.isalnum() or c == "-").strip("-")


def euro(value: float) -> str:
    """``1500`` -> ``1.500,00 €``."""
    whole, cents = f"{value:,.2f}".split(".")
    return f"{whole.replace(',', '.')},{cents} €"


def day(rng: random.Random, years_back_from: int, years_back_to: int) -> date:
    """A day between ``years_back_to`` and ``years_back_from`` years before :data:`AS_OF`."""
    start = AS_OF - timedelta(days=365 * years_back_to)
    end = AS_OF - timedelta(days=365 * years_back_from)
    return start + timedelta(days=rng.randrange((end - start).days))


def german(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def country(rng: random.Random) -> str:
    names, weights = zip(*COUNTRIES, strict=True)
    return rng.choices(names, weights)[0]


def address(fake: Faker, rng: random.Random, name: str) -> list[str]:
    return [name, fake.street_address(), fake.postcode(), fake.city(), country(rng)]


def contact(fake: Faker, rng: random.Random, domain: str) -> list[str]:
    female = rng.random() < 0.5
    first = fake.first_name_female() if female else fake.first_name_male()
    last = fake.last_name()
    return [
        "Frau" if female else "Herr",
        first,
        last,
        rng.choice(["Geschäftsführung", "Einkauf", "Buchhaltung", "Vertrieb", ""]),
        fake.phone_number(),
        f"{ascii_only(first)}.{ascii_only(last)}@{domain}".lower(),
        german(day(rng, 25, 65)) if rng.random() < 0.5 else "",
    ]


def debtor(index: int, fake: Faker, rng: random.Random) -> list[str]:
    account = str(7000000000 + index)
    is_company = rng.random() < 0.65
    female = rng.random() < 0.5
    first = fake.first_name_female() if female else fake.first_name_male()
    last = fake.last_name()
    firma = fake.company() if is_company else ""
    domain = (ascii_only(last) if not is_company else ascii_only(firma.split()[0])).lower() + ".de"
    display = firma or f"{first} {last}"
    created = day(rng, 1, 8)
    changed = created + timedelta(days=rng.randrange((AS_OF - created).days))
    has_bank = rng.random() < 0.7
    row = [
        f"'{account}" if rng.random() < 0.85 else account,
        firma,
        "Firma" if is_company else ("Frau" if female else "Herr"),
        "" if is_company else rng.choice(["", "", "Dr."]),
        "" if is_company else first,
        "" if is_company else last,
        "" if is_company or rng.random() < 0.4 else german(day(rng, 20, 80)),
        fake.street_address(), fake.postcode(), fake.city(), country(rng),
    ]  # fmt: skip
    row += address(fake, rng, display) if rng.random() < 0.4 else [""] * 5
    row += address(fake, rng, display) if rng.random() < 0.5 else [""] * 5
    row += [
        fake.phone_number(),
        f"info@{domain}" if is_company else f"{ascii_only(first)}.{ascii_only(last)}{index}@example.de".lower(),
        fake.vat_id() if is_company else "",
        fake.iban() if has_bank else "",
        fake.swift(length=11) if has_bank and rng.random() < 0.6 else "",
        rng.choice(["", "", display.upper()]) if has_bank else "",
        rng.choice(["", euro(rng.choice([500, 1500, 5000, 12500, 250000]))]),
        rng.choice(["14 Tage", "30 Tage", "30 Tage", "60 Tage", "1 Tag"]),
        rng.choice(["", "2,00 %", "3,00 %", "1,50 %"]),
        rng.choice(["", "8", "10"]),
        german(created), german(changed), rng.choice(NOTES), rng.choice(["ja", "nein"]),
    ]  # fmt: skip
    people = rng.choice([0, 1, 2, 2]) if is_company else rng.choice([0, 0, 1])
    for slot in range(2):
        row += contact(fake, rng, domain) if slot < people else [""] * 7
    return [fit(value) for value in row]


def generate(rows: int, seed: int) -> list[list[str]]:
    fake = Faker("de_DE")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    return [debtor(i, fake, rng) for i in range(1, rows + 1)]


def write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding=ENCODING, newline="") as handle:
        writer = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=80)
    parser.add_argument("--seed", type=int, default=1970)
    parser.add_argument("--out", type=Path, default=HERE / "debitoren.csv")
    args = parser.parse_args()
    write(args.out, generate(args.rows, args.seed))
    print(f"wrote {args.rows} debtors to {args.out}")


if __name__ == "__main__":
    main()
