"""Write ``customers_export.csv``: a web shop's customer export (fixed seed, reproducible on any date).

It looks like what shop systems export: UTF-8, commas, English headers, one row per customer with a default
address and an optional shipping address, customer ids with a ``#``, zip codes guarded by a leading apostrophe
(``'01067``, so a spreadsheet keeps the zero), phone numbers in every spelling, money as ``€1,234.50``, and
columns no customer master needs (marketing consent, tags, notes, order totals, timestamps).
``mappings/webshop.yaml`` maps it.

    python sample_data/webshop/generate.py [--rows 60] [--seed 2024] [--out PATH]
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import date, datetime, timedelta
from pathlib import Path

from faker import Faker

HERE = Path(__file__).resolve().parent
FIRST_DAY = date(2019, 3, 1)
LAST_DAY = date(2026, 11, 28)
"""Creation and update times are drawn between these fixed days, never from today."""

HEADER = [
    "Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing", "Company",
    "Address1", "Address2", "City", "Zip", "Country Code", "Phone",
    "Shipping First Name", "Shipping Last Name", "Shipping Company", "Shipping Address1", "Shipping Address2",
    "Shipping City", "Shipping Zip", "Shipping Country Code", "Shipping Phone",
    "Total Spent", "Total Orders", "Tax Exempt", "Tags", "Note", "Created At", "Updated At",
]  # fmt: skip

LOCALES = [("de_DE", "DE", 12), ("de_AT", "AT", 3), ("de_CH", "CH", 2), ("nl_NL", "NL", 1)]
TAGS = ["", "", "vip", "newsletter", "b2b", "vip, b2b", "wholesale"]
NOTES = ["", "", "", "Bitte klingeln, Hinterhaus", "Rechnung per E-Mail", "Stammkunde seit Messe 2021"]


def moment(rng: random.Random, after: datetime | None = None) -> datetime:
    """A time between :data:`FIRST_DAY` and :data:`LAST_DAY` (after ``after`` when given), to the second."""
    start = after or datetime.combine(FIRST_DAY, datetime.min.time())
    end = datetime.combine(LAST_DAY, datetime.min.time())
    return start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))


def money(rng: random.Random) -> str:
    return f"€{rng.choice([0, 19.9, 49.5, 120, 1234.5, 2890.75, 15000]):,.2f}"


def phone(fake: Faker, rng: random.Random) -> str:
    """Shop customers type their numbers as they like: with (0), with 00, with spaces or dashes."""
    number = fake.phone_number()
    if rng.random() < 0.3:
        number = number.replace("+", "00", 1)
    if rng.random() < 0.2:
        number = number.replace(" ", "-")
    return number


def place(fakers: dict[str, Faker], rng: random.Random) -> tuple[Faker, str]:
    names, codes, weights = zip(*LOCALES, strict=True)
    index = rng.choices(range(len(names)), weights)[0]
    return fakers[names[index]], codes[index]


def customer(index: int, fakers: dict[str, Faker], rng: random.Random) -> list[str]:
    fake, country = place(fakers, rng)
    first, last = fake.first_name(), fake.last_name()
    company = fake.company() if rng.random() < 0.3 else ""
    mail = f"{first}.{last}{index}@example.com".lower().replace(" ", "")
    mail = mail.encode("ascii", "ignore").decode()
    created = moment(rng)
    updated = moment(rng, created)
    zip_code = fake.postcode()
    row = [
        f"#{100000 + index * 7}", first, last, mail if rng.random() < 0.8 else mail.title(),
        rng.choice(["yes", "no"]), company,
        fake.street_address(), rng.choice(["", "", "", "Hinterhaus", "c/o Empfang, 2. OG"]), fake.city(),
        f"'{zip_code}" if zip_code.startswith("0") or rng.random() < 0.5 else zip_code, country, phone(fake, rng),
    ]  # fmt: skip
    if rng.random() < 0.4:
        ship, ship_country = place(fakers, rng)
        row += [
            ship.first_name(), ship.last_name(), ship.company() if rng.random() < 0.3 else "",
            ship.street_address(), "", ship.city(), ship.postcode(), ship_country, phone(ship, rng),
        ]  # fmt: skip
    else:
        row += [""] * 9
    row += [
        money(rng), str(rng.randint(0, 40)), rng.choice(["no", "no", "yes"]), rng.choice(TAGS), rng.choice(NOTES),
        created.strftime("%Y-%m-%d %H:%M:%S +0100"), updated.strftime("%Y-%m-%d %H:%M:%S +0100"),
    ]  # fmt: skip
    return row


def generate(rows: int, seed: int) -> list[list[str]]:
    fakers = {}
    for offset, (name, _, _) in enumerate(LOCALES):
        fakers[name] = Faker(name)
        fakers[name].seed_instance(seed + offset)
    rng = random.Random(seed)
    return [customer(i, fakers, rng) for i in range(1, rows + 1)]


def write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=Path, default=HERE / "customers_export.csv")
    args = parser.parse_args()
    write(args.out, generate(args.rows, args.seed))
    print(f"wrote {args.rows} customers to {args.out}")


if __name__ == "__main__":
    main()
