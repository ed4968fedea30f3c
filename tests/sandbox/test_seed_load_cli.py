"""Generated data, snapshot loading and the ``custsync sandbox`` commands."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from custsync.cli import app
from custsync.errors import InputError
from custsync.io.snapshot import CSV_DIALECTS, SnapshotInfo, write_snapshot
from custsync.sandbox import fields, resources
from custsync.sandbox.load import load_snapshot
from custsync.sandbox.seed import generate
from custsync.sandbox.storage import Store
from custsync.sandbox.testing import run_sandbox

from .helpers import client

runner = CliRunner()


def test_generated_customers_are_valid_deterministic_and_european() -> None:
    first, again, other = generate(150, seed=4), generate(150, seed=4), generate(150, seed=5)
    assert first == again and first != other
    countries = set()
    for customer, addresses, contacts in first:
        resources.customer_document(customer, None)
        assert [a["type"] for a in addresses].count("masterdata") == 1
        for address in addresses:
            resources.sub_document(fields.ADDRESS, address, None)
            countries.add(address["country"])
        for contact in contacts:
            resources.sub_document(fields.CONTACT, contact, None)
    assert "DE" in countries and len(countries) >= 4
    assert {c["customerType"] for c, _, _ in first} == {"person", "company"}


def test_seed_command_is_deterministic(tmp_path: Path) -> None:
    outputs = []
    for name in ("a.db", "b.db"):
        result = runner.invoke(
            app, ["sandbox", "seed", "--db", str(tmp_path / name), "--customers", "25", "--seed", "9", "--json"]
        )
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.stdout))
    assert outputs[0]["customers"] == 25 and outputs[0]["addresses"] == outputs[1]["addresses"]
    docs = []
    for name in ("a.db", "b.db"):
        store = Store(tmp_path / name)
        docs.append([row.doc for row in store.query("customers", [], [], "t.id", 50, 0)[1]])
        store.close()
    assert docs[0] == docs[1]


def _frames() -> dict[str, pd.DataFrame]:
    customers = pd.DataFrame(
        [
            {
                "id": "77",
                "number": "K-1",
                "customerType": "company",
                "name": "=Formel GmbH",
                "groups": "1,3",
                "contact.email": "info@formel.de",
                "financial.creditLimit": 1234.5,
                "shipping.deliveryBan": True,
                "bankAccount.sepaMandate.signedAt": "2024-03-01",
            },
            {
                "id": "78",
                "number": "K-2",
                "customerType": "person",
                "firstname": "Jörg",
                "lastname": "Weiß",
                "name": "Jörg Weiß",
                "financial.paymentTerms.days": 14,
            },
        ]
    )
    addresses = pd.DataFrame(
        [
            {
                "customerNumber": "K-1",
                "type": "masterdata",
                "street": "Allee 1",
                "zip": "01067",
                "city": "Dresden",
                "country": "DE",
            },
            {
                "customerNumber": "K-1",
                "type": "deliveryaddress",
                "city": "Graz",
                "country": "AT",
                "defaultDeliveryAddress": True,
                "matchKey": "lager",
            },
        ]
    )
    contacts = pd.DataFrame([{"customerNumber": "K-2", "name": "Eva Weiß", "type": "mrs", "marketingBan": False}])
    return {"customers": customers, "addresses": addresses, "contacts": contacts}


@pytest.mark.parametrize("layout", ["parquet", "csv-excel-de"])
def test_load_an_exported_snapshot_and_serve_it(tmp_path: Path, layout: str) -> None:
    out = tmp_path / "snapshots"
    if layout == "parquet":
        write_snapshot(out, _frames(), SnapshotInfo(api_url="https://erp.example"))
    else:
        write_snapshot(
            out,
            _frames(),
            SnapshotInfo(api_url="https://erp.example"),
            formats=("csv",),
            dialect=CSV_DIALECTS["excel-de"],
        )
    db = tmp_path / "rehearsal.db"
    result = runner.invoke(app, ["sandbox", "load", "--db", str(db), str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) | {"snapshot": None} == {
        "db": str(db),
        "snapshot": None,
        "customers": 2,
        "addresses": 2,
        "contacts": 1,
    }
    with run_sandbox(db) as server, client(server) as http:
        listed = http.get("/api/v2/customers").json()["data"]
        company, person = listed
        assert company["number"] == "K-1" and company["name"] == "=Formel GmbH" and company["id"] != "77"
        assert company["groups"] == ["1", "3"] and company["financial"]["creditLimit"] == 1234.5
        assert company["shipping"]["deliveryBan"] is True
        assert company["bankAccount"]["sepaMandate"]["signedAt"] == "2024-03-01"
        assert person["name"] == "Jörg Weiß" and person["financial"]["paymentTerms"]["days"] == 14
        addresses = http.get(company["links"]["addresses"]).json()["data"]
        assert {(a["type"], a["city"]) for a in addresses} == {("masterdata", "Dresden"), ("deliveryaddress", "Graz")}
        assert http.get(person["links"]["contactPersons"]).json()["data"][0]["name"] == "Eva Weiß"
    again = runner.invoke(app, ["sandbox", "load", "--db", str(db), str(out)])
    assert again.exit_code == 2 and "--replace" in again.output
    assert runner.invoke(app, ["sandbox", "load", "--db", str(db), str(out), "--replace"]).exit_code == 0


def test_load_reports_the_file_row_and_field_of_a_bad_row(tmp_path: Path) -> None:
    snapshot = tmp_path / "snap"
    snapshot.mkdir()
    table = pa.table({"number": ["1", "2"], "customerType": ["company", "robot"], "name": ["A", "B"]})
    pq.write_table(table, snapshot / "customers.parquet")
    store = Store(None)
    with pytest.raises(InputError) as info:
        load_snapshot(store, snapshot)
    assert "customers.parquet, row 2" in info.value.message and "customerType" in info.value.message
    assert store.counts()["customers"] == 0


def test_load_refuses_orphans_and_non_snapshots(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such directory"):
        load_snapshot(Store(None), tmp_path / "missing")
    with pytest.raises(InputError, match="neither a snapshot"):
        load_snapshot(Store(None), tmp_path)
    snapshot = tmp_path / "snap"
    snapshot.mkdir()
    pq.write_table(
        pa.table({"number": ["1"], "customerType": ["company"], "name": ["A"]}), snapshot / "customers.parquet"
    )
    pq.write_table(
        pa.table({"customerNumber": ["9"], "type": ["masterdata"], "country": ["DE"]}), snapshot / "addresses.parquet"
    )
    with pytest.raises(InputError, match="not in customers: 9"):
        load_snapshot(Store(None), snapshot)


def test_serve_refuses_a_non_loopback_host() -> None:
    result = runner.invoke(app, ["sandbox", "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refusing to bind 0.0.0.0" in result.output


def test_serve_rejects_bad_knob_values() -> None:
    result = runner.invoke(app, ["sandbox", "serve", "--rate-limit", "lots"])
    assert result.exit_code == 2 and "100/min" in result.output


@pytest.mark.integration
def test_serve_runs_until_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "served.db"
    command = [
        sys.executable,
        "-c",
        "from custsync.cli import main; main()",
        "sandbox",
        "serve",
        "--port",
        "0",
        "--db",
        str(db),
        "--token",
        "cli-test-token",
        "--json",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        text = ""
        deadline = time.monotonic() + 90
        info = None
        while info is None and time.monotonic() < deadline and process.poll() is None:
            text += process.stdout.readline()  # type: ignore[union-attr]
            try:
                info = json.loads(text)
            except ValueError:
                continue
        assert info is not None, process.stderr.read() if process.poll() is not None else "no start line"  # type: ignore[union-attr]
        assert info["token"] == "cli-test-token" and info["url"].startswith("http://127.0.0.1:")
        assert info["requests_per_minute"] is None  # no --rate-limit: the sandbox allows any rate
        headers = {"Authorization": "Bearer cli-test-token"}
        response = httpx.post(f"{info['url']}/api/v2/customers", headers=headers, json={"type": "company", "name": "A"})
        assert response.status_code == 201
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert process.returncode == 130  # stopped by Ctrl+C, after a graceful shutdown
    assert "sandbox stopped" in process.stderr.read()  # type: ignore[union-attr]
    store = Store(db)
    assert store.counts()["customers"] == 1
    store.close()


@pytest.mark.parametrize("port", ["99999", "-1"])
def test_serve_refuses_a_port_outside_the_tcp_range(port: str) -> None:
    result = runner.invoke(app, ["sandbox", "serve", "--port", port])
    assert result.exit_code == 2
    assert "--port" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
