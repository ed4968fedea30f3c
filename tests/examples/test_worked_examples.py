"""The worked examples — a web shop export and a German accounting export — end to end.

Each sample is generated from a fixed seed (and regenerates byte for byte on any date), maps without a single
reject and without ``split`` tricks, lists the source columns its mapping never reads, syncs into the sandbox,
re-syncs to zero operations, and round-trips: an export of what was written plans zero operations and holds
the source's values.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from typer.testing import CliRunner

from custsync.cli import app
from custsync.export import read_snapshot
from custsync.source import read_source

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--requests-per-minute", "1000000", "--concurrency", "16"]


@dataclass(frozen=True)
class Example:
    name: str
    sample: Path
    mapping: Path
    rows: int
    seed: int
    records: dict[str, int]
    unread: list[str]


WEBSHOP = Example(
    "webshop",
    ROOT / "sample_data" / "webshop" / "customers_export.csv",
    ROOT / "mappings" / "webshop.yaml",
    rows=60,
    seed=2024,
    records={"customers": 60, "addresses": 84},
    unread=["Accepts Email Marketing", "Tags", "Note"],
)
ACCOUNTING = Example(
    "accounting_de",
    ROOT / "sample_data" / "accounting_de" / "debitoren.csv",
    ROOT / "mappings" / "accounting_de.yaml",
    rows=80,
    seed=1970,
    records={"customers": 80, "addresses": 150, "contacts": 84},
    unread=["Notiz", "Werbung erlaubt"],
)
EXAMPLES = [WEBSHOP, ACCOUNTING]


def generator(example: Example):
    spec = importlib.util.spec_from_file_location(f"generate_{example.name}", example.sample.parent / "generate.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
@pytest.mark.parametrize(
    "now",
    [None, datetime(2031, 2, 28, 23, 30, tzinfo=ZoneInfo("Pacific/Kiritimati"))],
    ids=["today", "2031-utc+14"],
)
def test_sample_regenerates_byte_for_byte(example: Example, now: datetime | None, tmp_path: Path) -> None:
    module = generator(example)
    with time_machine.travel(now, tick=False) if now else contextlib.nullcontext():
        module.write(tmp_path / example.sample.name, module.generate(example.rows, example.seed))
    assert (tmp_path / example.sample.name).read_bytes() == example.sample.read_bytes()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_maps_without_rejects_and_lists_unread_columns(example: Example) -> None:
    load = read_source([example.sample], example.mapping)
    assert load.failures.empty, load.failures.head(10).to_string()
    assert {entity: len(frame) for entity, frame in load.frames.items()} == example.records
    assert load.unread_columns == {str(example.sample): example.unread}
    (warning,) = load.warnings
    assert all(column in warning for column in example.unread)
    assert "split" not in example.mapping.read_text(encoding="utf-8")


def test_webshop_values_come_out_clean() -> None:
    load = read_source([WEBSHOP.sample], WEBSHOP.mapping)
    customers = load.frames["customers"].set_index("number")
    assert not customers.index.str.startswith("#").any()
    persons = customers[customers["customerType"] == "person"]
    assert (persons["name"] == persons["firstname"] + " " + persons["lastname"]).all()
    phones = customers["contact.phone"].dropna()
    assert not phones.str.contains(r"\(0\)|^00|-", regex=True).any()
    addresses = load.frames["addresses"]
    assert not addresses["zip"].str.startswith("'").any()
    assert addresses["zip"].str.startswith("0").any()  # the apostrophe kept the leading zero, and it is gone


def test_accounting_values_come_out_clean() -> None:
    load = read_source([ACCOUNTING.sample], ACCOUNTING.mapping)
    customers = load.frames["customers"].set_index("number")
    assert customers.index.str.fullmatch(r"7\d{9}").all()  # with and without the apostrophe
    raw = ACCOUNTING.sample.read_bytes().decode("cp1252")
    assert "'7000000001;" in raw and "\r\n7000000" in raw  # both spellings are in the sample
    limits = customers["financial.creditLimit"].dropna()
    assert set(limits.astype(float)) <= {500.0, 1500.0, 5000.0, 12500.0, 250000.0} and len(limits) > 10
    assert set(customers["financial.paymentTerms.days"].dropna().astype(int)) == {1, 14, 30, 60}
    assert set(customers["financial.paymentTerms.discountPercent"].dropna().astype(float)) == {1.5, 2.0, 3.0}
    with_bank = customers[customers["bankAccount.iban"].notna()]
    assert with_bank["bankAccount.accountHolder"].notna().all()
    persons = with_bank[with_bank["customerType"] == "person"]
    assert persons["bankAccount.accountHolder"].str.upper().eq(persons["name"].str.upper()).all()
    assert customers.loc[customers["bankAccount.iban"].isna(), "bankAccount.accountHolder"].isna().all()
    addresses = load.frames["addresses"]
    assert set(addresses["type"]) == {"masterdata", "billingaddress", "deliveryaddress"}
    assert set(addresses["country"]) <= {"DE", "AT", "CH", "NL", "FR"} and "AT" in set(addresses["country"])


def _cli(server, *args: str) -> dict:
    result = CliRunner().invoke(
        app, [*args, *FAST, "--json"], env={"CUSTSYNC_API_URL": server.url, "CUSTSYNC_API_TOKEN": server.token}
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _ops(out: dict, entity: str) -> tuple[int, int, int]:
    return out[entity]["create"], out[entity]["update"], out[entity]["delete"]


@pytest.mark.integration
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_sync_resync_and_round_trip(example: Example, sandbox, tmp_path: Path) -> None:
    state = ["--state-dir", str(tmp_path / "state")]
    source = [str(example.sample), "--mapping", str(example.mapping)]
    first = _cli(sandbox, "sync", *source, *state)
    assert first["ok"] and first["failures"] == []
    for entity, count in example.records.items():
        assert _ops(first, entity) == (count, 0, 0), entity
    assert any(all(column in w for column in example.unread) for w in first["warnings"])

    again = _cli(sandbox, "sync", *source, *state)
    for entity in ("customers", "addresses", "contacts"):
        assert _ops(again, entity) == (0, 0, 0), entity

    exported = _cli(sandbox, "export", "--out", str(tmp_path / "out"))
    back = _cli(sandbox, "plan", exported["snapshot"], "--full", *state)
    for entity in ("customers", "addresses", "contacts"):
        assert _ops(back, entity) == (0, 0, 0), entity
    assert back["warnings"] == []

    frames = read_snapshot(exported["snapshot"]).frames
    mapped = read_source([example.sample], example.mapping).frames
    for entity, columns in TEXT_COLUMNS.items():
        if entity not in mapped:
            assert frames[entity].empty
            continue
        assert _rows(frames[entity], columns) == _rows(mapped[entity], columns), entity


TEXT_COLUMNS = {
    "customers": ["number", "customerType", "name", "contact.email", "contact.phone"],
    "addresses": ["customerNumber", "type", "name", "street", "zip", "city", "country"],
    "contacts": ["customerNumber", "name", "contact.email", "birthday"],
}


def _rows(frame, columns: list[str]) -> list[tuple[str, ...]]:
    """The frame's values in ``columns`` as sorted text tuples (missing as empty text)."""
    text = frame[columns].astype("string").fillna("")
    return sorted(tuple(row) for row in text.itertuples(index=False))
