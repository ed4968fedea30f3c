"""Write ``kunden_export.csv``: a realistic customer export of a German legacy ERP (fixed seed, reproducible).

The file looks like what such systems write: Windows-1252, semicolons, German headers and dates (31.12.2024),
decimal commas (5.000,00), country names in German or as codes, and one wide row per customer with billing
address (RE_*), up to two delivery addresses (LI1_*, LI2_*) and up to two contact persons (AP1_*, AP2_*).
Some notes contain semicolons and line breaks inside quotes. ``mappings/legacy_erp.yaml`` maps it.

    python sample_data/legacy_erp/generate.py [--rows 50] [--seed 4711] [--out PATH]
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
BIRTHDATES_AS_OF = date(2026, 11, 28)
"""Ages are counted back from this fixed day, never from today, so the file is the same on every date."""

HEADER = [
    "Kundennr", "Anrede", "Titel", "Firma", "Name", "Straße", "PLZ", "Ort", "Land",
    "Telefon", "Mobil", "Fax", "E-Mail", "Internet", "Geburtsdatum",
    "Bank", "IBAN", "BIC", "USt-IdNr", "Zahlungsart", "Zahlungsziel", "Skontotage", "Skonto",
    "Kreditlimit", "Währung", "Versandart", "Versandkostenfrei ab", "Liefersperre", "Kundengruppe",
    "RE_Name", "RE_Straße", "RE_PLZ", "RE_Ort", "RE_Land", "RE_E-Mail",
    "LI1_Name", "LI1_Straße", "LI1_PLZ", "LI1_Ort", "LI1_Land", "LI1_Telefon",
    "LI2_Name", "LI2_Straße", "LI2_PLZ", "LI2_Ort", "LI2_Land", "LI2_Telefon",
    "AP1_Anrede", "AP1_Titel", "AP1_Vorname", "AP1_Nachname", "AP1_Funktion", "AP1_Abteilung",
    "AP1_Telefon", "AP1_E-Mail", "AP1_Geburtstag", "AP1_Bemerkung",
    "AP2_Anrede", "AP2_Titel", "AP2_Vorname", "AP2_Nachname", "AP2_Funktion", "AP2_Abteilung",
    "AP2_Telefon", "AP2_E-Mail", "AP2_Geburtstag", "AP2_Bemerkung",
]  # fmt: skip

COUNTRIES = [
    ("Deutschland", 10), ("DE", 3), ("D", 1), ("Österreich", 2), ("AT", 1), ("Schweiz", 1),
    ("Niederlande", 1), ("Frankreich", 1), ("Belgien", 1),
]  # fmt: skip
NOTES = [
    "Bitte nur vormittags anrufen",
    "Rechnungen an Buchhaltung; Kopie an Einkauf",
    "Zuständig für Region Süd\nVertretung: Frau Weiß",
    "Bevorzugt E-Mail",
    "",
]


def fit(text: str) -> str:
    """Keep text Windows-1252-encodable (Faker's de_DE data is almost always; strip the rest of accents)."""
    try:
        text.encode(ENCODING)
        return text
    except UnicodeEncodeError:
        return unicodedata.normalize("NFKD", text).encode(ENCODING, "ignore").decode(ENCODING)


def german_money(value: float) -> str:
    whole, cents = f"{value:,.2f}".split(".")
    return f"{whole.replace(',', '.')},{cents}"


def german_date(fake: Faker, minimum: int, maximum: int) -> str:
    """A birthdate (dd.mm.yyyy) for someone aged ``minimum`` to ``maximum`` on :data:`BIRTHDATES_AS_OF`.

    Faker's ``date_of_birth`` counts back from today and would change the file every day; this is the same draw
    over a fixed range of whole dates (no time zone enters).
    """
    start = BIRTHDATES_AS_OF.replace(year=BIRTHDATES_AS_OF.year - maximum - 1)
    end = BIRTHDATES_AS_OF.replace(year=BIRTHDATES_AS_OF.year - minimum)
    drawn = fake.date_time_ad(start_datetime=start, end_datetime=end).date()
    return (drawn if drawn != start else drawn + timedelta(days=1)).strftime("%d.%m.%Y")


def country(rng: random.Random) -> str:
    names, weights = zip(*COUNTRIES, strict=True)
    return rng.choices(names, weights)[0]


def address(fake: Faker, rng: random.Random) -> list[str]:
    return [fake.street_address(), fake.postcode(), fake.city(), country(rng)]


def contact(fake: Faker, rng: random.Random, company: str) -> list[str]:
    female = rng.random() < 0.5
    first = fake.first_name_female() if female else fake.first_name_male()
    last = fake.last_name()
    domain = (company.split()[0].lower() if company else "example") + ".de"
    email = f"{fit(first).lower()}.{fit(last).lower()}@{domain}".replace(" ", "")
    email = unicodedata.normalize("NFKD", email).encode("ascii", "ignore").decode()
    return [
        "Frau" if female else "Herr",
        rng.choice(["", "", "Dr.", "Prof."]),
        first,
        last,
        rng.choice(["Einkauf", "Geschäftsführung", "Buchhaltung", "Vertrieb", "Lager"]),
        rng.choice(["", "Zentrale", "Niederlassung Süd"]),
        fake.phone_number(),
        email,
        german_date(fake, 25, 65) if rng.random() < 0.6 else "",
        rng.choice(NOTES),
    ]


def customer(index: int, fake: Faker, rng: random.Random) -> list[str]:
    is_company = rng.random() < 0.6
    number = f"K-{10000 + index}"
    street, zip_code, city, land = address(fake, rng)
    if is_company:
        firma, name, anrede = fake.company(), "", "Firma"
        birth, title = "", ""
    else:
        female = rng.random() < 0.5
        firma = ""
        given = fake.first_name_female() if female else fake.first_name_male()
        if rng.random() < 0.2:
            given += " " + (fake.first_name_female() if female else fake.first_name_male())
        name = f"{given} {fake.last_name()}"
        anrede = "Frau" if female else "Herr"
        birth = german_date(fake, 20, 85) if rng.random() < 0.7 else ""
        title = rng.choice(["", "", "", "Dr."])
    mail_name = (firma.split()[0] if firma else name.split()[-1]).lower()
    mail_name = unicodedata.normalize("NFKD", mail_name).encode("ascii", "ignore").decode()
    mail_name = "".join(c for c in mail_name if c.isalnum()) or "kunde"
    row = [
        number, anrede, title, firma, name, street, zip_code, city, land,
        fake.phone_number(), fake.phone_number() if rng.random() < 0.4 else "",
        fake.phone_number() if is_company and rng.random() < 0.3 else "",
        f"info@{mail_name}.de" if is_company else f"{mail_name}{index}@example.de",
        f"www.{mail_name}.de" if is_company else "",
        birth,
        fake.company() + " Bank" if rng.random() < 0.3 else "",
        fake.iban() if rng.random() < 0.7 else "",
        fake.swift(length=11) if rng.random() < 0.5 else "",
        fake.vat_id() if is_company else "",
        rng.choice(["Überweisung", "Lastschrift", "Rechnung"]),
        rng.choice(["14", "30", "30", "60"]),
        rng.choice(["", "7", "10"]),
        rng.choice(["", "2,0", "3,0", "1,5"]),
        german_money(rng.choice([1000, 2500, 5000, 10000, 25000, 1234.56])),
        "EUR",
        rng.choice(["DHL", "Spedition", "Abholung", "UPS"]),
        german_money(rng.choice([0, 250, 500])) if rng.random() < 0.5 else "",
        "J" if rng.random() < 0.05 else "N",
        rng.choice(["", "A-Kunde", "B-Kunde"]),
    ]  # fmt: skip
    display = firma or name
    if rng.random() < 0.5:
        row += [display, *address(fake, rng), f"rechnung@{mail_name}.de"]
    else:
        row += [""] * 6
    for slot in range(2):
        if rng.random() < (0.6 if slot == 0 else 0.25):
            row += [display, *address(fake, rng), fake.phone_number()]
        else:
            row += [""] * 6
    contacts = rng.choice([0, 1, 1, 2]) if is_company else rng.choice([0, 0, 1])
    for slot in range(2):
        row += contact(fake, rng, firma) if slot < contacts else [""] * 10
    return [fit(value) for value in row]


def generate(rows: int, seed: int) -> list[list[str]]:
    fake = Faker("de_DE")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    return [customer(i, fake, rng) for i in range(1, rows + 1)]


def write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding=ENCODING, newline="") as handle:
        writer = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--seed", type=int, default=4711)
    parser.add_argument("--out", type=Path, default=HERE / "kunden_export.csv")
    args = parser.parse_args()
    write(args.out, generate(args.rows, args.seed))
    print(f"wrote {args.rows} customers to {args.out}")


if __name__ == "__main__":
    main()
