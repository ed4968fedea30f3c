"""``custsync plan / apply / sync`` against the sandbox over HTTP: the acceptance of the reconcile issue."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from custsync.api import ApiSettings, CustomerApi
from custsync.cli import app
from custsync.state import STATE_FILE

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "legacy_erp" / "kunden_export.csv"
LEGACY = REPO / "mappings" / "legacy_erp.yaml"
FAST = ["--requests-per-minute", "100000"]


@pytest.fixture
def cli(sandbox, monkeypatch, tmp_path):
    monkeypatch.setenv("CUSTSYNC_API_URL", sandbox.url)
    monkeypatch.setenv("CUSTSYNC_API_TOKEN", sandbox.token)
    runner = CliRunner()
    state = tmp_path / "state"

    def run(*args: str, code: int = 0) -> dict:
        result = runner.invoke(app, [*args, *FAST, "--state-dir", str(state), "--json"])
        assert result.exit_code == code, result.output
        return json.loads(result.stdout)

    run.state = state
    return run


def api_for(sandbox) -> CustomerApi:
    return CustomerApi(ApiSettings(url=sandbox.url, token=sandbox.token, requests_per_minute=100000))


def ops(out: dict, entity: str) -> tuple[int, int, int]:
    return out[entity]["create"], out[entity]["update"], out[entity]["delete"]


def test_sample_data_twice_converges_with_list_calls_only(cli):
    first = cli("sync", str(SAMPLE), "--mapping", str(LEGACY))
    assert first["ok"] and ops(first, "customers") == (50, 0, 0)
    assert first["addresses"]["create"] > 50 and first["contacts"]["create"] > 0
    second = cli("sync", str(SAMPLE), "--mapping", str(LEGACY))
    for entity in ("customers", "addresses", "contacts"):
        assert ops(second, entity) == (0, 0, 0)
        assert second[entity]["unchanged"] == first[entity]["create"]
    assert second["calls"]["total"] == second["calls"]["GET"] == 1
    full = cli("plan", str(SAMPLE), "--mapping", str(LEGACY), "--full")
    assert all(ops(full, e) == (0, 0, 0) for e in ("customers", "addresses", "contacts"))


def write_canonical(directory: Path, customers: pd.DataFrame, addresses: pd.DataFrame, contacts: pd.DataFrame) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    customers.to_csv(directory / "customers.csv", index=False)
    addresses.to_csv(directory / "addresses.csv", index=False)
    contacts.to_csv(directory / "contacts.csv", index=False)
    return directory


def canonical_source(n: int = 8, prefix: str = "K") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    numbers = [f"{prefix}{i:03d}" for i in range(1, n + 1)]
    customers = pd.DataFrame(
        {
            "number": numbers,
            "customerType": "company",
            "name": [f"Firma {i} GmbH" for i in range(n)],
            "contact.email": [f"info{i}@firma.de" for i in range(n)],
            "contact.phone": [f"030 {i:05d}" for i in range(n)],
            "financial.creditLimit": [1000.5 + i for i in range(n)],
            "shipping.deliveryBan": False,
        }
    )
    addresses = pd.DataFrame(
        {
            "customerNumber": numbers * 2,
            "type": ["masterdata"] * n + ["deliveryaddress"] * n,
            "name": [f"Firma {i} GmbH" for i in range(n)] * 2,
            "street": [f"Hauptstr. {i}" for i in range(n)] + [f"Lagerweg {i}" for i in range(n)],
            "zip": "10115",
            "city": "Berlin",
            "country": "DE",
        }
    )
    contacts = pd.DataFrame(
        {"customerNumber": numbers, "name": [f"Anna Muster{i}" for i in range(n)], "position": "Einkauf"}
    )
    return customers, addresses, contacts


MIRROR = ["--mode", "mirror", "--scope", "number-prefix=K"]


def test_changes_plan_exactly_those_operations(cli, sandbox, tmp_path):
    customers, addresses, contacts = canonical_source()
    source = write_canonical(tmp_path / "v1", customers, addresses, contacts)
    assert cli("sync", str(source), *MIRROR)["ok"]

    customers.loc[0, ["contact.email", "contact.phone"]] = ["neu@firma.de", "030 99999"]
    customers.loc[1, "financial.creditLimit"] = 5000.0
    delivery = addresses.index[(addresses["type"] == "deliveryaddress") & (addresses["customerNumber"] == "K003")]
    addresses = addresses.drop(index=delivery)
    contacts = pd.concat([contacts, pd.DataFrame([{"customerNumber": "K004", "name": "Bernd Neu"}])])
    source = write_canonical(tmp_path / "v2", customers, addresses, contacts)
    plan_file = tmp_path / "plan.json"
    out = cli("plan", str(source), *MIRROR, "--out", str(plan_file))
    assert ops(out, "customers") == (0, 2, 0)
    assert ops(out, "addresses") == (0, 0, 1)
    assert ops(out, "contacts") == (1, 0, 0)
    plan = json.loads(plan_file.read_text())
    bodies = {u["key"]: u["body"] for u in plan["customers"]["updates"]}
    assert bodies == {
        "K001": {"contact": {"email": "neu@firma.de", "phone": "030 99999"}},
        "K002": {"financial": {"creditLimit": 5000.0}},
    }
    assert plan["addresses"]["deletes"][0]["customer_number"] == "K003"
    assert plan["meta"]["api_url"] == sandbox.url and sandbox.token not in plan_file.read_text()
    assert len(plan["meta"]["sources"]) == 3 and all(len(s["sha256"]) == 64 for s in plan["meta"]["sources"])

    applied = cli("apply", str(plan_file))
    assert applied["ok"] and applied["calls"]["PATCH"] == 2 and applied["calls"]["POST"] == 1
    assert applied["calls"]["DELETE"] == 1
    again = cli("apply", str(plan_file))  # the journal knows it is done: nothing is sent twice
    assert again["ok"] and again["calls"]["POST"] == again["calls"]["PATCH"] == again["calls"]["DELETE"] == 0
    after = cli("plan", str(source), *MIRROR, "--full")
    assert all(ops(after, e) == (0, 0, 0) for e in ("customers", "addresses", "contacts"))


def test_apply_refuses_a_stale_plan(cli, sandbox, tmp_path):
    customers, addresses, contacts = canonical_source(3)
    assert cli("sync", str(write_canonical(tmp_path / "v1", customers, addresses, contacts)))["ok"]
    customers.loc[0, "name"] = "Umbenannt GmbH"
    plan_file = tmp_path / "plan.json"
    cli("plan", str(write_canonical(tmp_path / "v2", customers, addresses, contacts)), "--out", str(plan_file))
    with api_for(sandbox) as api:
        found = api.customers.find_by_number("K001")
        api.customers.update(found["id"], {"contact": {"fax": "0000"}})
    refused = cli("apply", str(plan_file), code=2)
    assert refused["error"] == "PlanError" and "K001" in refused["message"]


def test_mirror_of_half_the_source_is_refused_and_forced_deletes_only_in_scope(cli, tmp_path):
    customers, addresses, contacts = canonical_source(8)
    assert cli("sync", str(write_canonical(tmp_path / "k", customers, addresses, contacts)))["ok"]
    others = canonical_source(3, prefix="X")
    assert cli("sync", str(write_canonical(tmp_path / "x", *others)))["ok"]

    keep = customers["number"].isin(["K001", "K002", "K003", "K004"])
    half = write_canonical(
        tmp_path / "half",
        customers[keep],
        addresses[addresses["customerNumber"].isin(customers["number"][keep])],
        contacts[contacts["customerNumber"].isin(customers["number"][keep])],
    )
    refused = cli("sync", str(half), *MIRROR, code=2)
    assert refused["error"] == "PlanError" and "delete 4 customers" in refused["message"]
    forced = cli("sync", str(half), *MIRROR, "--force")
    assert forced["ok"] and ops(forced, "customers") == (0, 0, 4)
    assert ops(forced, "addresses") == (0, 0, 0)
    kept = cli("plan", str(write_canonical(tmp_path / "x2", *others)), "--full")
    assert ops(kept, "customers") == (0, 0, 0) and kept["customers"]["unchanged"] == 3


def test_empty_source_in_mirror_mode_is_always_refused(cli, tmp_path):
    customers, addresses, contacts = canonical_source(2)
    empty = write_canonical(tmp_path / "empty", customers.iloc[0:0], addresses.iloc[0:0], contacts.iloc[0:0])
    out = cli("sync", str(empty), "--mode", "mirror", "--scope", "all", "--force", code=2)
    assert "empty" in out["message"]


def test_strict_mode_writes_nothing_when_a_row_is_invalid(cli, sandbox, tmp_path):
    customers, addresses, contacts = canonical_source(3)
    customers.loc[2, "contact.email"] = "not-an-email"
    out = cli("sync", str(write_canonical(tmp_path / "bad", customers, addresses, contacts)), code=1)
    assert out["error"] == "ValidationFailed"
    with api_for(sandbox) as api:
        assert list(api.customers.list()) == []
    assert not (cli.state / STATE_FILE).exists()


def test_mirror_refuses_a_source_with_skipped_rows(cli, sandbox, tmp_path):
    customers, addresses, contacts = canonical_source(4)
    customers.loc[3, "contact.email"] = "not-an-email"
    source = write_canonical(tmp_path / "bad", customers, addresses, contacts)
    skip = ["--on-invalid", "skip", "--max-invalid", "50%"]
    out = cli("sync", str(source), *MIRROR, *skip, code=2)
    assert "rejected" in out["message"]
    upsert = cli("sync", str(source), *skip)
    assert upsert["ok"] and upsert["customers"]["create"] == 3


def test_mirror_without_scope_is_refused_before_any_work(tmp_path):
    result = CliRunner().invoke(app, ["sync", str(tmp_path), "--mode", "mirror", "--json"], env={})
    assert result.exit_code == 2
    assert "scope" in json.loads(result.stdout)["message"]


def test_sync_writes_the_html_run_report(cli, sandbox, tmp_path):
    report = tmp_path / "reports" / "sync.html"
    out = cli("sync", str(SAMPLE), "--mapping", str(LEGACY), "--report", str(report))
    assert out["ok"]
    html = report.read_text(encoding="utf-8")
    assert "<svg" in html and "customers" in html and "K-10001" in html
    assert sandbox.token not in html


def test_contacts_keyed_by_email_are_renamed_in_place(cli, sandbox, tmp_path):
    customers, addresses, contacts = canonical_source(3)
    contacts["contact.email"] = [f"anna{i}@firma.de" for i in range(3)]
    assert cli("sync", str(write_canonical(tmp_path / "v1", customers, addresses, contacts)))["ok"]
    with api_for(sandbox) as api:
        customer_id = api.customers.find_by_number("K002")["id"]
        before = {c["name"]: c["id"] for c in api.contacts(customer_id).list()}

    contacts.loc[1, "name"] = "Anna Verheiratet"
    source = write_canonical(tmp_path / "v2", customers, addresses, contacts)
    assert ops(cli("plan", str(source)), "contacts") == (1, 0, 0)  # by name: a new person
    plan_file = tmp_path / "plan.json"
    planned = cli("plan", str(source), "--contact-key", "email", "--out", str(plan_file))
    assert ops(planned, "contacts") == (0, 1, 0) and ops(planned, "customers") == (0, 0, 0)
    plan = json.loads(plan_file.read_text())
    assert plan["meta"]["contact_key"] == "email"
    assert [u["body"] for u in plan["contacts"]["updates"]] == [{"name": "Anna Verheiratet"}]
    applied = cli("apply", str(plan_file))
    assert applied["ok"] and applied["calls"]["PATCH"] == 1 and applied["calls"]["POST"] == 0
    with api_for(sandbox) as api:
        after = {c["name"]: c["id"] for c in api.contacts(customer_id).list()}
    assert after == {"Anna Verheiratet": before["Anna Muster1"]}
    again = cli("sync", str(source), "--contact-key", "email", "--full")
    assert all(ops(again, e) == (0, 0, 0) for e in ("customers", "addresses", "contacts"))

    contacts.loc[2, "contact.email"] = None
    refused = cli(
        "sync", str(write_canonical(tmp_path / "v3", customers, addresses, contacts)), "--contact-key", "email", code=2
    )
    assert refused["error"] == "PlanError" and "K003" in refused["message"]
    assert "--contact-key name" in json.dumps(refused)
    assert cli("plan", str(source), "--contact-key", "phone", code=2)["error"] == "ConfigError"
