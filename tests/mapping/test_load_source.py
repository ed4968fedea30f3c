"""load_source: directories and files, the canonical default, Parquet snapshots, policies, the legacy sample."""

from __future__ import annotations

import contextlib
import importlib.util
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import time_machine

from custsync.errors import ConfigError, ValidationFailed
from custsync.model import ENTITIES
from custsync.source import load_source, parse_max_invalid

ROOT = Path(__file__).resolve().parents[2]
LEGACY_DIR = ROOT / "sample_data" / "legacy_erp"
LEGACY_MAPPING = ROOT / "mappings" / "legacy_erp.yaml"


def canonical_dir(tmp_path: Path, bad_email: bool = False) -> Path:
    email = "beta(at)x.de" if bad_email else "beta@x.de"
    (tmp_path / "customers.csv").write_text(
        f"id,createdAt,number,customerType,name,contact.email,financial.creditLimit\n"
        f"17,2026-01-01T00:00:00+00:00,K1,company,ACME,a@x.de,1000.5\n"
        f",,K2,company,Beta,{email},\n",
        encoding="utf-8",
    )
    (tmp_path / "contacts.csv").write_text("customerNumber,name\nK1,Max\nK2,Eva\n", encoding="utf-8")
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")  # not a source file: ignored
    return tmp_path


def test_a_directory_with_the_default_mapping_gives_canonical_dtypes(tmp_path: Path) -> None:
    load = load_source([canonical_dir(tmp_path)])
    customers = load.frames["customers"]
    assert list(customers["number"]) == ["K1", "K2"]
    assert customers["financial.creditLimit"].dtype == ENTITIES["customers"].dtypes["financial.creditLimit"]
    assert customers["financial.creditLimit"].iloc[0] == 1000.5
    assert customers["id"].isna().all()  # read-only columns are ignored on import
    assert customers["_row"].tolist() == [2, 3] and load.mapping_name == "canonical"
    assert "addresses" not in load.frames and load.counts["contacts"] == {"rows": 2, "invalid": 0}


def test_fail_policy_raises_with_the_failures(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as caught:
        load_source([canonical_dir(tmp_path, bad_email=True)])
    failures = caught.value.failures
    assert {("email", 3), ("customer_rejected", 3)} <= set(zip(failures["rule"], failures["row"], strict=True))
    assert "2 of 4 source rows invalid" in caught.value.message


def test_skip_policy_keeps_only_valid_rows(tmp_path: Path) -> None:
    load = load_source([canonical_dir(tmp_path, bad_email=True)], on_invalid="skip", max_invalid="50%")
    assert list(load.frames["customers"]["number"]) == ["K1"]
    assert list(load.frames["contacts"]["name"]) == ["Max"]
    assert load.rejected_rows == 2 and load.source_rows == 4
    with pytest.raises(ValidationFailed, match="more than --max-invalid 1 rows"):
        load_source([canonical_dir(tmp_path, bad_email=True)], on_invalid="skip", max_invalid=1)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [(None, None), ("", None), (3, ("count", 3.0)), ("10", ("count", 10.0)), ("5%", ("percent", 5.0))],
)
def test_parse_max_invalid(value: object, parsed: object) -> None:
    assert parse_max_invalid(value) == parsed  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["-1", "5 rows", "101%", "2.5", -3])
def test_parse_max_invalid_refuses_nonsense(value: object) -> None:
    with pytest.raises(ConfigError):
        parse_max_invalid(value)  # type: ignore[arg-type]


def test_a_parquet_snapshot_reads_back_unchanged(tmp_path: Path) -> None:
    entity = ENTITIES["customers"]
    frame = entity.conform(
        pd.DataFrame(
            {
                "id": ["5"],
                "number": ["K1"],
                "customerType": ["person"],
                "firstname": ["Anna"],
                "lastname": ["Weiß"],
                "birthdate": ["1980-05-17"],
                "financial.creditLimit": [1234.56],
                "financial.paymentTerms.days": [30],
                "shipping.deliveryBan": [True],
                "createdAt": ["2026-11-28T12:00:00.123456+00:00"],
            }
        ),
        keep_source=False,
    )
    pq.write_table(
        pa.Table.from_pandas(frame, schema=entity.arrow_schema, preserve_index=False), tmp_path / "customers.parquet"
    )
    load = load_source([tmp_path / "customers.parquet"])
    got = load.frames["customers"]
    writable = list(entity.writable_columns)
    pd.testing.assert_frame_equal(got[writable].reset_index(drop=True), frame[writable].reset_index(drop=True))
    assert got["_row"].tolist() == [1]


def test_legacy_sample_maps_to_the_expected_records() -> None:
    load = load_source([LEGACY_DIR / "kunden_export.csv"], LEGACY_MAPPING)
    customers = load.frames["customers"].set_index("number")
    person = customers.loc["K-10002"]
    assert (person["customerType"], person["firstname"], person["lastname"]) == ("person", "Rainer", "Davids")
    assert str(person["birthdate"]) == "1970-07-19" and person["salutation"] == "mr"
    assert person["financial.creditLimit"] == 1234.56 and person["shipping.freeShippingFrom"] == 250.0
    company = customers.loc["K-10001"]
    assert (company["customerType"], company["name"], company["salutation"]) == ("company", "Renner", "company")
    assert company["financial.paymentTerms.discountPercent"] == 3.0 and not company["shipping.deliveryBan"]
    addresses = load.frames["addresses"]
    first = addresses[addresses["customerNumber"] == "K-10001"]
    assert list(zip(first["type"], first["country"], strict=True)) == [
        ("masterdata", "DE"),
        ("billingaddress", "AT"),
        ("deliveryaddress", "NL"),
    ]
    contacts = load.frames["contacts"]
    assert contacts.loc[contacts["customerNumber"] == "K-10001", "name"].tolist() == ["Friedl Bolander"]
    multiline = contacts[contacts["comment"].str.contains("\n", na=False)]
    assert not multiline.empty  # quoted line breaks survive, and rows after them keep their line numbers
    assert set(load.frames["customers"]["_row"]) <= set(range(2, 60))


@pytest.mark.parametrize(
    "now",
    [None, datetime(2027, 6, 1, 0, 30, tzinfo=ZoneInfo("Pacific/Kiritimati"))],
    ids=["today", "2027-06-01-utc+14"],
)
def test_legacy_sample_is_reproducible(tmp_path: Path, now: datetime | None) -> None:
    spec = importlib.util.spec_from_file_location("generate_legacy", LEGACY_DIR / "generate.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    with time_machine.travel(now, tick=False) if now else contextlib.nullcontext():
        module.write(tmp_path / "k.csv", module.generate(50, 4711))
    assert (tmp_path / "k.csv").read_bytes() == (LEGACY_DIR / "kunden_export.csv").read_bytes()
