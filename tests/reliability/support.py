"""What the reliability tests share: a generated source, the CLI in a subprocess, the sandbox's truth, the token search.

The sandbox's own SQLite file is the ground truth: reading it directly (not through the faulty API) shows what
really got committed, including the writes whose answers the fault knobs threw away.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

SAMPLE_INVALID = Path(__file__).resolve().parents[2] / "sample_data" / "invalid"

# Every CLI run logs at DEBUG (custsync, httpx, httpcore, everything) into a file, so the token search also
# covers what a user would see with verbose logging switched on.
_LAUNCHER = (
    "import logging, sys\n"
    "log_file = sys.argv.pop(1)\n"
    "logging.basicConfig(filename=log_file, level=logging.DEBUG,\n"
    "                    format='%(asctime)s %(name)s %(levelname)s %(message)s')\n"
    "sys.argv[0] = 'custsync'\n"
    "from custsync.cli import main\n"
    "main()\n"
)


# -- the source --------------------------------------------------------------------------------------------------


@dataclass
class Source:
    """A canonical source (customers, addresses, contacts) that the tests write as CSV and change between runs."""

    customers: pd.DataFrame
    addresses: pd.DataFrame
    contacts: pd.DataFrame
    version: int = 1
    next_index: int = 0

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        self.customers.to_csv(directory / "customers.csv", index=False)
        self.addresses.to_csv(directory / "addresses.csv", index=False)
        self.contacts.to_csv(directory / "contacts.csv", index=False)
        return directory

    def changed(self, rng: random.Random, *, share: float, new_customers: int) -> Source:
        """The next version: ``share`` of the customers get new values in the customer record, the masterdata
        address and a contact (patches), some get an extra contact (a create under an existing customer), and
        ``new_customers`` are added."""
        version = self.version + 1
        customers, addresses, contacts = self.customers.copy(), self.addresses.copy(), self.contacts.copy()
        numbers = list(customers["number"])
        picked = rng.sample(numbers, max(1, round(len(numbers) * share)))
        rows = customers["number"].isin(picked)
        customers.loc[rows, "contact.email"] = [
            f"v{version}.{n.lower()}@example.org" for n in customers["number"][rows]
        ]
        customers.loc[rows, "financial.creditLimit"] = customers.loc[rows, "financial.creditLimit"] + version
        master = addresses["customerNumber"].isin(picked) & (addresses["type"] == "masterdata")
        addresses.loc[master, "street"] = [f"Neue Strasse {version}-{i}" for i in range(int(master.sum()))]
        first_contact = contacts["customerNumber"].isin(picked) & ~contacts["customerNumber"].duplicated()
        contacts.loc[first_contact, "position"] = f"Position v{version}"
        extra = picked[: max(1, len(picked) // 2)]
        contacts = pd.concat(
            [contacts, pd.DataFrame({"customerNumber": extra, "name": [f"Neu v{version} {n}" for n in extra]})],
            ignore_index=True,
        )
        grown = generate(new_customers, rng, start=self.next_index)
        return Source(
            pd.concat([customers, grown.customers], ignore_index=True),
            pd.concat([addresses, grown.addresses], ignore_index=True),
            pd.concat([contacts, grown.contacts], ignore_index=True),
            version=version,
            next_index=self.next_index + new_customers,
        )

    @property
    def writes(self) -> int:
        """How many records a sync into an empty API creates."""
        return len(self.customers) + len(self.addresses) + len(self.contacts)


def generate(count: int, rng: random.Random, *, start: int = 0) -> Source:
    """``count`` customers (companies and persons), each with a masterdata address, 0–2 delivery addresses and
    1–2 contact persons, all deterministic given ``rng``."""
    customers: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    for i in range(start, start + count):
        number = f"R{i:06d}"
        person = rng.random() < 0.2
        name = f"Erika Muster{i}" if person else f"Firma {i} GmbH"
        customers.append(
            {
                "number": number,
                "customerType": "person" if person else "company",
                "name": name,
                "firstname": "Erika" if person else None,
                "lastname": f"Muster{i}" if person else None,
                "contact.email": f"info{i}@example.org",
                "contact.phone": f"+49 30 {rng.randrange(10**6, 10**7)}",
                "financial.creditLimit": float(rng.randrange(0, 50) * 500),
                "shipping.deliveryBan": False,
            }
        )
        city = rng.choice(["Berlin", "Hamburg", "Köln", "München", "Wien"])
        country = "AT" if city == "Wien" else "DE"
        addresses.append(_address(number, "masterdata", name, f"Hauptstraße {i}", city, country))
        for d in range(rng.choice([0, 1, 1, 2])):
            addresses.append(
                _address(number, "deliveryaddress", f"{name} Lager {d + 1}", f"Lagerweg {i}-{d}", city, country)
            )
        for c in range(rng.choice([1, 1, 2])):
            contacts.append(
                {
                    "customerNumber": number,
                    "name": f"Kontakt {i}-{c}",
                    "position": rng.choice(["Einkauf", "Buchhaltung", "Logistik"]),
                    "contact.email": f"kontakt{i}-{c}@example.org",
                }
            )
    return Source(pd.DataFrame(customers), pd.DataFrame(addresses), pd.DataFrame(contacts), next_index=start + count)


def _address(number: str, kind: str, name: str, street: str, city: str, country: str) -> dict[str, Any]:
    return {
        "customerNumber": number,
        "type": kind,
        "name": name,
        "street": street,
        "zip": "10115" if country == "DE" else "1010",
        "city": city,
        "country": country,
    }


# -- the truth: what the sandbox committed ----------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return str(value)


def _money(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 2)


def expected_records(source: Source) -> dict[str, Counter[tuple[Any, ...]]]:
    """The records the API must hold, as comparable tuples (a multiset: a duplicate shows as a count of 2)."""
    c, a, p = source.customers, source.addresses, source.contacts
    return {
        "customers": Counter(
            (_text(r["number"]), r["customerType"], r["name"], _text(r["lastname"]), r["contact.email"],
             r["contact.phone"], _money(r["financial.creditLimit"]))
            for r in c.to_dict("records")
        ),
        "addresses": Counter(
            (r["customerNumber"], r["type"], r["name"], r["street"], _text(r["zip"]), r["city"], r["country"])
            for r in a.to_dict("records")
        ),
        "contacts": Counter(
            (r["customerNumber"], r["name"], _text(r.get("position")), _text(r.get("contact.email")))
            for r in p.to_dict("records")
        ),
    }  # fmt: skip


def sandbox_records(db_path: Path) -> dict[str, Counter[tuple[Any, ...]]]:
    """The records the sandbox really holds, read straight from its SQLite file."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        numbers: dict[int, str] = {}
        customers: Counter[tuple[Any, ...]] = Counter()
        for cid, number, doc in conn.execute("SELECT id, number, doc FROM customers"):
            d = json.loads(doc)
            numbers[cid] = number
            customers[
                (number, d.get("customerType"), d.get("name"), d.get("lastname"), (d.get("contact") or {}).get("email"),
                 (d.get("contact") or {}).get("phone"), _money((d.get("financial") or {}).get("creditLimit")))
            ] += 1  # fmt: skip
        addresses: Counter[tuple[Any, ...]] = Counter()
        for cid, doc in conn.execute("SELECT customer_id, doc FROM addresses"):
            d = json.loads(doc)
            addresses[
                (numbers.get(cid), d.get("type"), d.get("name"), d.get("street"), d.get("zip"), d.get("city"),
                 d.get("country"))
            ] += 1  # fmt: skip
        contacts: Counter[tuple[Any, ...]] = Counter()
        for cid, doc in conn.execute("SELECT customer_id, doc FROM contacts"):
            d = json.loads(doc)
            contacts[(numbers.get(cid), d.get("name"), d.get("position"), (d.get("contact") or {}).get("email"))] += 1
    finally:
        conn.close()
    return {"customers": customers, "addresses": addresses, "contacts": contacts}


def differences(source: Source, db_path: Path, *, shown: int = 5) -> list[str]:
    """Every way the sandbox differs from the source: duplicates, missing records, stale or extra values."""
    want, have = expected_records(source), sandbox_records(db_path)
    problems: list[str] = []
    for entity in want:
        duplicates = [(k, n) for k, n in have[entity].items() if n > 1 and n > want[entity].get(k, 0)]
        missing = list((want[entity] - have[entity]).elements())
        extra = list((have[entity] - want[entity]).elements())
        if duplicates:
            problems.append(f"{entity}: {len(duplicates)} duplicated, e.g. {duplicates[:shown]}")
        if missing:
            problems.append(f"{entity}: {len(missing)} missing or stale (lost update), e.g. {missing[:shown]}")
        if extra:
            problems.append(f"{entity}: {len(extra)} unexpected (duplicate or old value), e.g. {extra[:shown]}")
    return problems


def sandbox_rows(db_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row with its timestamps: equal before and after means nothing was written."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return {
            t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in ("customers", "addresses", "contacts")
        }
    finally:
        conn.close()


def sandbox_write_count(db_path: Path) -> int:
    """Committed records, all entities (only grows while a sync creates)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        return sum(
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("customers", "addresses", "contacts")
        )
    finally:
        conn.close()


# -- the CLI in a subprocess ----------------------------------------------------------------------------------


@dataclass
class Run:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict[str, Any]:
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"custsync {' '.join(self.args)} printed no JSON ({exc}):\n{self.tail}") from None

    @property
    def tail(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.stdout[-2000:]}\n--- stderr\n{self.stderr[-3000:]}"


@dataclass
class Cli:
    """Runs ``custsync`` as a separate process against one API; keeps every byte it printed or logged on disk
    under ``workdir/transcripts`` so the token search sees it."""

    workdir: Path
    url: str
    token: str
    runs: list[Run] = field(default_factory=list)
    _count: int = 0

    @property
    def transcripts(self) -> Path:
        path = self.workdir / "transcripts"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            CUSTSYNC_API_URL=self.url,
            CUSTSYNC_API_TOKEN=self.token,
            COLUMNS="200",
            NO_COLOR="1",
            PYTHONUNBUFFERED="1",
        )
        return env

    def with_token(self, token: str) -> Cli:
        return replace(self, token=token, runs=[])

    def _files(self, args: tuple[str, ...]) -> tuple[Path, Path, Path]:
        self._count += 1
        stem = self.transcripts / f"{self._count:03d}-{args[0] if args else 'none'}"
        return stem.with_suffix(".out"), stem.with_suffix(".err"), stem.with_suffix(".log")

    def command(self, args: tuple[str, ...], log: Path) -> list[str]:
        return [sys.executable, "-c", _LAUNCHER, str(log), *args]

    def run(self, *args: str, timeout: float = 3000) -> Run:
        out, err, log = self._files(args)
        with out.open("wb") as o, err.open("wb") as e:
            done = subprocess.run(
                self.command(args, log), stdout=o, stderr=e, env=self.env(), cwd=self.workdir, timeout=timeout
            )
        run = Run(args, done.returncode, out.read_text(errors="replace"), err.read_text(errors="replace"))
        self.runs.append(run)
        return run

    def start(self, *args: str) -> tuple[subprocess.Popen[bytes], Path, Path]:
        """Start without waiting (for the SIGKILL test); returns the process and its stdout/stderr files."""
        out, err, log = self._files(args)
        with out.open("wb") as o, err.open("wb") as e:
            proc = subprocess.Popen(self.command(args, log), stdout=o, stderr=e, env=self.env(), cwd=self.workdir)
        return proc, out, err


def sync_until_ok(cli: Cli, source: Path, extra: list[str], *, attempts: int = 3) -> list[Run]:
    """``custsync sync`` again while a run reports failures (a record that kept failing after all retries is
    reported, and the next run picks it up) — at most ``attempts`` runs."""
    runs: list[Run] = []
    for _ in range(attempts):
        run = cli.run("sync", str(source), *extra, "--json")
        runs.append(run)
        assert "Traceback" not in run.stderr, run.tail
        assert run.code in (0, 1), run.tail
        if run.code == 0 and run.json.get("ok"):
            return runs
    raise AssertionError(f"sync did not succeed in {attempts} runs; last:\n{runs[-1].tail}")


def planned_operations(run: Run) -> dict[str, tuple[int, int, int]]:
    out = run.json
    return {e: (out[e]["create"], out[e]["update"], out[e]["delete"]) for e in ("customers", "addresses", "contacts")}


# -- the token search -----------------------------------------------------------------------------------------


def token_needles(token: str) -> list[bytes]:
    """The token, and its first and second halves (a truncated or split leak is still a leak)."""
    half = len(token) // 2
    return [token.encode(), token[:half].encode(), token[half:].encode()]


def token_leaks(token: str, roots: list[Path], texts: list[str] = ()) -> list[str]:  # type: ignore[assignment]
    """Where the token (or half of it) occurs: every file under ``roots`` and every captured text."""
    needles = token_needles(token)
    found: list[str] = []
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            data = path.read_bytes()
            if any(n in data for n in needles):
                found.append(str(path))
    for i, text in enumerate(texts):
        if any(n.decode() in text for n in needles):
            found.append(f"captured output #{i}")
    return found
