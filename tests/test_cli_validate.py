"""``custsync validate`` end to end through the CLI: exit codes, the table, --json, --rejects, policies."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from custsync.cli import app

ROOT = Path(__file__).resolve().parent.parent
LEGACY = ROOT / "sample_data" / "legacy_erp" / "kunden_export.csv"
LEGACY_MAPPING = ROOT / "mappings" / "legacy_erp.yaml"

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["validate", *args], env={"COLUMNS": "250"})  # no table wrapping
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def count_legacy() -> dict[str, int]:
    """Count customers, addresses and contact persons in the legacy file independently of custsync."""
    with LEGACY.open(encoding="cp1252", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    addresses = sum(
        1
        for row in rows
        for prefix in ("", "RE_", "LI1_", "LI2_")
        if any(row[f"{prefix}{c}"].strip() for c in ("Straße", "PLZ", "Ort"))
    )
    contacts = sum(1 for row in rows for n in (1, 2) if row[f"AP{n}_Nachname"].strip())
    return {"customers": len(rows), "addresses": addresses, "contacts": contacts}


def test_legacy_sample_is_valid_and_json_counts_match_the_file() -> None:
    code, out, _ = invoke(str(LEGACY), "--mapping", str(LEGACY_MAPPING), "--json")
    assert code == 0
    summary = json.loads(out)
    expected = count_legacy()
    for entity, rows in expected.items():
        assert summary[entity] == {"rows": rows, "valid": rows, "invalid": 0}
    assert summary["failures"] == []
    assert expected["customers"] == 50


def test_legacy_sample_human_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the documented command, from the repository root
    code, out, err = invoke("sample_data/legacy_erp/kunden_export.csv", "--mapping", "mappings/legacy_erp.yaml")
    assert code == 0 and out == ""
    assert "legacy_erp" in err and "valid: 50 source rows" in err


def write_invalid(tmp_path: Path) -> Path:
    (tmp_path / "customers.csv").write_text(
        "number,customerType,name,contact.email\n"
        "K1,company,ACME,info@acme.de\n"
        "K2,company,Beta,beta(at)example.de\n"
        "K3,company,Gamma,=cmd|'/c calc'!A1\n",
        encoding="utf-8",
    )
    (tmp_path / "addresses.csv").write_text(
        "customerNumber,type,name,street,zip,city,country\n"
        "K1,masterdata,ACME,Hauptstr. 1,10115,Berlin,DE\n"
        "K2,masterdata,Beta,Ring 2,80331,München,DE\n",
        encoding="utf-8",
    )
    return tmp_path


def test_failures_are_listed_and_exit_1(tmp_path: Path) -> None:
    code, out, err = invoke(str(write_invalid(tmp_path)))
    assert code == 1 and out == ""
    assert "email" in err and "beta(at)example.de" in err and "customer_rejected" in err
    assert "nothing will be written" in err


def test_json_lists_every_failure_with_file_and_row(tmp_path: Path) -> None:
    code, out, _ = invoke(str(write_invalid(tmp_path)), "--json")
    assert code == 1
    summary = json.loads(out)
    assert summary["customers"] == {"rows": 3, "valid": 1, "invalid": 2}
    assert summary["addresses"] == {"rows": 2, "valid": 1, "invalid": 1}
    assert summary["contacts"] == {"rows": 0, "valid": 0, "invalid": 0}
    found = {(Path(f["file"]).name, f["row"], f["rule"]) for f in summary["failures"]}
    assert {
        ("customers.csv", 3, "email"),
        ("customers.csv", 4, "email"),
        ("addresses.csv", 3, "customer_rejected"),
    } <= found
    values = {f["value"] for f in summary["failures"]}
    assert "=cmd|'/c calc'!A1" in values  # data passes through verbatim in JSON


def test_rejects_report_is_written(tmp_path: Path) -> None:
    report = tmp_path / "out" / "rejects.csv"
    code, _, err = invoke(str(write_invalid(tmp_path)), "--rejects", str(report))
    assert code == 1 and "rejects report written" in err
    with report.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["rule"] for r in rows} == {"email", "customer_rejected"}
    assert "'=cmd|'/c calc'!A1" in {r["value"] for r in rows}  # neutralised for spreadsheets


@pytest.mark.parametrize(
    ("limit", "code"),
    [(None, 0), ("3", 0), ("2", 1), ("60%", 0), ("50%", 1)],  # 3 of 5 source rows are invalid
)
def test_skip_policy_respects_max_invalid(tmp_path: Path, limit: str | None, code: int) -> None:
    args = [str(write_invalid(tmp_path)), "--on-invalid", "skip"]
    if limit is not None:
        args += ["--max-invalid", limit]
    got, _, err = invoke(*args)
    assert got == code, err


def test_bad_option_values_are_clear_errors(tmp_path: Path) -> None:
    code, _, err = invoke(str(write_invalid(tmp_path)), "--on-invalid", "skip", "--max-invalid", "lots")
    assert code == 2 and "--max-invalid" in err and "Traceback" not in err
    code, _, err = invoke(str(write_invalid(tmp_path)), "--on-invalid", "ignore")
    assert code == 2 and "--on-invalid" in err


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = invoke(str(tmp_path / "customers.csv"))
    assert code == 2 and "no such file" in err and "Traceback" not in err


def test_mapping_typo_is_a_clear_error_in_json(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("entities:\n  customers:\n    fields:\n      number: {colunm: Nr}\n", encoding="utf-8")
    (tmp_path / "k.csv").write_text("Nr\n1\n", encoding="utf-8")
    code, out, _ = invoke(str(tmp_path / "k.csv"), "--mapping", str(mapping), "--json")
    payload = json.loads(out)
    assert code == 2 and payload["error"] == "MappingError"
    assert ":4: unknown key 'colunm'" in payload["message"] and payload["hint"] == "did you mean 'column'?"


def test_a_misspelt_canonical_column_is_a_warning_with_a_suggestion(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text(
        "number,customerType,name,contact.emial\nK1,company,ACME,info@acme.de\n", encoding="utf-8"
    )
    code, out, err = invoke(str(tmp_path), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["failures"] == []
    (warning,) = summary["warnings"]
    assert "'contact.emial' is not a canonical column" in warning and "did you mean 'contact.email'?" in warning
    code, _, err = invoke(str(tmp_path))
    assert code == 0 and "warning:" in err and "contact.emial" in err
