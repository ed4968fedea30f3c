"""The committed sample data: the valid set has no failure, the invalid set exactly the planted ones."""

from __future__ import annotations

import contextlib
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import time_machine
from sample_sets import SAMPLE, expected_failures, read_csv_set, read_parquet_set

from custsync.model import ENTITIES, ValidationResult, validate_frames


@pytest.fixture(scope="module")
def from_csv() -> ValidationResult:
    return validate_frames(read_csv_set(SAMPLE / "canonical"))


def test_valid_csv_set_has_no_failure(from_csv: ValidationResult) -> None:
    result = from_csv
    assert result.ok, result.failures.to_string()
    assert result.counts["customers"].rows == 50
    kinds = set(result.valid["customers"]["customerType"])
    assert kinds == {"person", "company"}
    assert set(result.valid["addresses"]["type"]) == {"masterdata", "billingaddress", "deliveryaddress"}
    assert len(set(result.valid["addresses"]["country"])) >= 5  # German and other EU data
    assert len(result.valid["contacts"]) > 0


def test_parquet_set_has_no_failure_and_equals_the_csv_set(from_csv: ValidationResult) -> None:
    from_parquet = validate_frames(read_parquet_set(SAMPLE / "canonical_parquet"))
    assert from_parquet.ok, from_parquet.failures.to_string()
    for name, entity in ENTITIES.items():
        pd.testing.assert_frame_equal(
            from_parquet.valid[name].reset_index(drop=True),
            entity.conform(from_csv.valid[name], keep_source=False).reset_index(drop=True),
        )


def test_parquet_files_carry_the_canonical_arrow_schema() -> None:
    for name, entity in ENTITIES.items():
        schema = pq.read_schema(SAMPLE / "canonical_parquet" / f"{name}.parquet")
        assert schema.remove_metadata().equals(entity.arrow_schema.remove_metadata())


def test_invalid_set_yields_exactly_the_planted_failures() -> None:
    expected = expected_failures()
    assert len(expected) >= 15
    result = validate_frames(read_csv_set(SAMPLE / "invalid"))
    f = result.failures
    got = set(zip(f["file"], f["row"].astype(int), f["column"], f["rule"], strict=True))
    assert got == expected
    assert len(f) == len(expected)


def test_invalid_set_plants_one_failure_per_check() -> None:
    rules = {rule for *_, rule in expected_failures()}
    assert {
        "email",
        "iban",
        "bic",
        "country",
        "required_for_person",
        "required_for_company",
        "unique",
        "date",
        "non_negative",
        "one_masterdata_per_customer",
        "unknown_customer",
        "enum",
        "customer_rejected",
    } <= rules


def test_csv_conform_parquet_round_trip(from_csv: ValidationResult, tmp_path: Path) -> None:
    for name, entity in ENTITIES.items():
        conformed = entity.conform(from_csv.valid[name], keep_source=False)
        table = pa.Table.from_pandas(conformed, schema=entity.arrow_schema, preserve_index=False)
        pq.write_table(table, tmp_path / f"{name}.parquet")
        back = entity.conform(pq.read_table(tmp_path / f"{name}.parquet").to_pandas(), keep_source=False)
        pd.testing.assert_frame_equal(back, conformed.reset_index(drop=True))


TRAVELS = [
    None,
    datetime(2027, 6, 1, 0, 30, tzinfo=ZoneInfo("Pacific/Kiritimati")),
    datetime(2031, 2, 28, 23, 30, tzinfo=ZoneInfo("America/Adak")),
]
"""The real clock, and clocks moved years ahead in the first and the last time zone of the day."""


@pytest.mark.slow
@pytest.mark.parametrize("now", TRAVELS, ids=["today", "2027-06-01-utc+14", "2031-02-28-utc-10"])
def test_generator_reproduces_the_committed_files(tmp_path: Path, now: datetime | None) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("sample_generate", SAMPLE / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    try:
        spec.loader.exec_module(module)
        with time_machine.travel(now, tick=False) if now else contextlib.nullcontext():
            module.main(["--out", str(tmp_path)])
    finally:
        del sys.modules[spec.name]
    for relative in ("canonical/customers.csv", "canonical/addresses.csv", "canonical/contacts.csv"):
        assert (tmp_path / relative).read_bytes() == (SAMPLE / relative).read_bytes(), relative
    for relative in ("invalid/customers.csv", "invalid/addresses.csv", "invalid/contacts.csv", "invalid/EXPECTED.md"):
        assert (tmp_path / relative).read_bytes() == (SAMPLE / relative).read_bytes(), relative


def test_docs_describe_every_canonical_column() -> None:
    text = (SAMPLE.parent / "docs" / "model.md").read_text(encoding="utf-8")
    missing = [f"{name}.{c}" for name, e in ENTITIES.items() for c in e.columns if f"`{c}`" not in text]
    assert not missing
