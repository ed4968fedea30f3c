"""The snapshot directory: files, manifest, checksums, CSV dialects, formula neutralisation, round trips."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from custsync.errors import ConfigError, InputError
from custsync.io import snapshot as snap
from custsync.model import ENTITIES, ENTITY_NAMES

INFO = snap.SnapshotInfo(api_url="http://127.0.0.1:1/", window_to="2026-11-28T12:00:00+00:00")


def _csv_rows(path: Path, dialect: snap.CsvDialect) -> list[dict[str, str]]:
    with open(path, encoding=dialect.encoding, newline="") as fh:
        return list(csv.DictReader(fh, delimiter=dialect.delimiter))


def _blank_to_na(frame: pd.DataFrame) -> pd.DataFrame:
    """CSV cannot tell an empty string from a missing value; compare modulo that."""
    return frame.mask(frame.astype("object") == "")


def test_writes_complete_snapshot_with_matching_manifest(tmp_path, frames):
    path = snap.write_snapshot(tmp_path, frames, INFO, formats=("parquet", "csv"))

    assert snap.is_run_id(path.name)
    files = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
    assert files == sorted(
        [f"{e}.parquet" for e in ENTITY_NAMES] + [f"csv/{e}.csv" for e in ENTITY_NAMES] + ["manifest.json"]
    )
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["runId"] == path.name
    assert manifest["api"] == {"baseUrl": "http://127.0.0.1:1/"}
    assert manifest["mode"] == "full"
    for entry in manifest["files"]:
        data = (path / entry["file"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data)
        assert entry["rows"] == len(frames[entry["entity"]])
        assert entry["schema"] == {f.name: str(f.type) for f in ENTITIES[entry["entity"]].arrow_schema}
        if entry["format"] == "parquet":
            schema = pq.read_schema(path / entry["file"])
            assert schema.equals(ENTITIES[entry["entity"]].arrow_schema, check_metadata=True)
            assert pq.read_metadata(path / entry["file"]).num_rows == entry["rows"]
        else:
            assert len(_csv_rows(path / entry["file"], snap.CSV_DIALECTS["default"])) == entry["rows"]
    assert (tmp_path / "LATEST").read_text().strip() == path.name
    assert os.readlink(tmp_path / "latest") == path.name
    assert snap.latest_snapshot(tmp_path) == path


def test_parquet_round_trip_is_exact(tmp_path, frames):
    path = snap.write_snapshot(tmp_path, frames, INFO)
    back = snap.read_snapshot(path).frames
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(back[name], frame.reset_index(drop=True))


@pytest.mark.parametrize("dialect", ["default", "excel-de"])
@pytest.mark.parametrize("neutralise", [True, False])
def test_csv_round_trip(tmp_path, frames, dialect, neutralise):
    path = snap.write_snapshot(
        tmp_path, frames, INFO, formats=("csv",), dialect=snap.csv_dialect(dialect), neutralise=neutralise
    )
    back = snap.read_snapshot(path).frames
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(_blank_to_na(back[name]), _blank_to_na(frame.reset_index(drop=True)))


def test_formula_neutralisation_touches_only_text(tmp_path, frames):
    path = snap.write_snapshot(tmp_path, frames, INFO, formats=("csv",))
    rows = _csv_rows(path / "customers.csv", snap.CSV_DIALECTS["default"])
    assert [r["number"] for r in rows] == ["10001", "10002", '\'=HYPERLINK("x")']
    assert [r["contact.phone"] for r in rows] == ["'+49 30 123456", "", "'-5"]
    assert [r["contact.email"] for r in rows] == ["a@b.de", "'@mention", "line1\nline2"]
    assert [r["department"] for r in rows] == ["'\tTab", "'\rCR", "plain"]
    assert [r["name"] for r in rows][2] == "''=already quoted"  # reversible: one ' is stripped on read
    assert [r["financial.creditLimit"] for r in rows] == ["1234.5", "-5.0", ""]  # numbers stay numbers
    assert _csv_rows(path / "addresses.csv", snap.CSV_DIALECTS["default"])[1]["street"] == "'=1+1"
    manifest = snap.read_manifest(path)
    assert all(f.csv and f.csv["neutralisedFormulas"] for f in manifest.files)


def test_no_neutralisation_writes_values_verbatim(tmp_path, frames):
    path = snap.write_snapshot(tmp_path, frames, INFO, formats=("csv",), neutralise=False)
    rows = _csv_rows(path / "customers.csv", snap.CSV_DIALECTS["default"])
    assert rows[2]["number"] == '=HYPERLINK("x")'
    assert rows[0]["contact.phone"] == "+49 30 123456"


def test_excel_de_dialect(tmp_path, frames):
    dialect = snap.csv_dialect("excel-de")
    path = snap.write_snapshot(tmp_path, frames, INFO, formats=("csv",), dialect=dialect)
    raw = (path / "customers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid;createdAt;updatedAt;number;")
    assert b"\r\n" in raw
    rows = _csv_rows(path / "customers.csv", dialect)
    assert [r["financial.creditLimit"] for r in rows] == ["1234,5", "-5,0", ""]
    assert [r["financial.paymentTerms.discountPercent"] for r in rows] == ["2,0", "", "0,5"]
    assert rows[0]["name"] == 'Müller; Söhne, "GmbH"'
    assert rows[1]["birthdate"] == "1980-02-29"
    assert rows[0]["createdAt"] == "2026-11-28T12:00:00.123456+00:00"
    assert rows[0]["shipping.deliveryBan"] == "true"


def test_default_dialect_is_plain_utf8_comma(tmp_path, frames):
    path = snap.write_snapshot(tmp_path, frames, INFO, formats=("csv",))
    raw = (path / "customers.csv").read_bytes()
    assert raw.startswith(b"id,createdAt,updatedAt,number,")
    assert "Jörg Weiß".encode() in raw


def test_unknown_dialect_is_a_config_error():
    with pytest.raises(ConfigError, match="excel-fr") as exc:
        snap.csv_dialect("excel-fr")
    assert exc.value.hint and "excel-de" in exc.value.hint


def test_neutralise_is_reversible_on_tricky_values():
    values = pd.Series(["=a", "'=a", "''+b", "'plain", "plain", "-", "", None, "'"], dtype="string")
    once = snap.neutralise_formulas(values)
    assert once.tolist()[:6] == ["'=a", "''=a", "'''+b", "'plain", "plain", "'-"]
    pd.testing.assert_series_equal(snap.unneutralise_formulas(once), values)


def test_run_ids_sort_by_time():
    t0 = dt.datetime(2026, 11, 28, 9, 0, 0, 1, tzinfo=dt.UTC)
    ids = [snap.new_run_id(t0 + dt.timedelta(microseconds=i * 999_999)) for i in range(50)]
    assert ids == sorted(ids)
    assert all(snap.is_run_id(i) for i in ids)


def test_verify_detects_a_changed_file(tmp_path, frames):
    path = snap.write_snapshot(tmp_path, frames, INFO, formats=("csv",))
    with open(path / "contacts.csv", "a", encoding="utf-8") as fh:
        fh.write("tampered\n")
    with pytest.raises(InputError, match=r"contacts\.csv: checksum"):
        snap.read_snapshot(path)


def test_reading_a_directory_without_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="not a complete snapshot"):
        snap.read_snapshot(tmp_path)


def test_latest_falls_back_to_newest_complete_snapshot(tmp_path, frames):
    first = snap.write_snapshot(tmp_path, frames, INFO)
    second = snap.write_snapshot(tmp_path, frames, INFO)
    assert snap.list_snapshots(tmp_path) == [first, second]
    (tmp_path / "LATEST").unlink()
    assert snap.latest_snapshot(tmp_path) == second


def test_a_bad_csv_cell_is_named_by_file_line_and_column(tmp_path, frames):
    path = snap.write_snapshot(tmp_path, frames, INFO, formats=("csv",))
    text = (path / "customers.csv").read_text(encoding="utf-8").replace("1234.5", "12x4.5")
    (path / "customers.csv").write_text(text, encoding="utf-8", newline="")
    with pytest.raises(InputError, match=r"customers\.csv:2: column financial\.creditLimit: '12x4\.5'"):
        snap.read_snapshot(path, verify=False)


def test_latest_never_moves_backwards(tmp_path, frames):
    later = snap.write_snapshot(tmp_path, frames, INFO, run_id="20261128T120000.000000Z-bbbbbb")
    earlier = snap.write_snapshot(tmp_path, frames, INFO, run_id="20261128T110000.000000Z-aaaaaa")
    assert snap.latest_snapshot(tmp_path) == later
    assert snap.list_snapshots(tmp_path) == [earlier, later]
