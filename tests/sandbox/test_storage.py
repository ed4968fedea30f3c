"""Storage: data survives a restart with a file database, and concurrent writers stay consistent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from custsync.sandbox.storage import Store
from custsync.sandbox.testing import run_sandbox

from .helpers import PRIMARY, client

pytestmark = pytest.mark.integration


def test_data_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "rehearsal.db"
    with run_sandbox(db, token="first") as server, client(server) as http:
        location = http.post("/api/v2/customers", json={"type": "company", "name": "Bleibt AG"}).headers["Location"]
        http.post(f"{location}/addresses", json={"type": "masterdata", **PRIMARY, "country": "DE", "city": "Köln"})
        gone = http.post("/api/v2/customers", json={"type": "company", "name": "Weg"}).headers["Location"]
        assert http.delete(gone).status_code == 204
        before = http.get(location).json()["data"]
    with run_sandbox(db, token="second") as server, client(server) as http:
        after = http.get(location.replace(location.split("/api")[0], server.url)).json()["data"]
        assert {k: v for k, v in after.items() if k != "links"} == {k: v for k, v in before.items() if k != "links"}
        addresses = http.get(after["links"]["addresses"]).json()
        assert addresses["data"][0]["city"] == "Köln"
        # ids and numbers are not reused after the delete, nor after the restart
        new = http.post("/api/v2/customers", json={"type": "company", "name": "Neu"}).headers["Location"]
        shown = http.get(new).json()["data"]
    assert int(shown["id"]) == 3
    assert shown["number"] == "10002"
    assert shown["updatedAt"] > before["updatedAt"]


def test_in_memory_store_keeps_nothing() -> None:
    with run_sandbox() as server, client(server) as http:
        assert server.db_path is None
        assert http.post("/api/v2/customers", json={"type": "company", "name": "A"}).status_code == 201
    with run_sandbox() as server, client(server) as http:
        assert http.get("/api/v2/customers").json()["extra"]["totalCount"] == 0


def _parallel(server, bodies: list[tuple[str, dict]], workers: int = 8) -> list[httpx.Response]:
    def send(item: tuple[str, dict]) -> httpx.Response:
        path, body = item
        with client(server) as http:
            return http.post(path, json=body)

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(send, bodies))


def test_parallel_creates_with_unique_numbers_all_succeed_once(sandbox) -> None:
    bodies = [("/api/v2/customers", {"type": "company", "name": f"C{i}", "number": f"N{i}"}) for i in range(80)]
    responses = _parallel(sandbox, bodies)
    assert [r.status_code for r in responses] == [201] * 80
    ids = {r.headers["Location"] for r in responses}
    assert len(ids) == 80
    with client(sandbox) as http:
        listed = [
            c["number"]
            for p in (1, 2)
            for c in http.get("/api/v2/customers", params={"page[size]": 50, "page[number]": p}).json()["data"]
        ]
    assert sorted(listed) == sorted(f"N{i}" for i in range(80))


def test_parallel_creates_without_number_get_distinct_numbers(sandbox) -> None:
    responses = _parallel(sandbox, [("/api/v2/customers", {"type": "company", "name": "X"})] * 40)
    assert {r.status_code for r in responses} == {201}
    with client(sandbox) as http:
        numbers = [http.get(r.headers["Location"]).json()["data"]["number"] for r in responses]
    assert sorted(numbers) == [str(n) for n in range(10000, 10040)]


def test_parallel_duplicates_and_masterdata_races_yield_exactly_one_winner(sandbox) -> None:
    responses = _parallel(sandbox, [("/api/v2/customers", {"type": "company", "name": "D", "number": "SAME"})] * 12)
    assert sorted(r.status_code for r in responses) == [201] + [409] * 11
    cid = next(r for r in responses if r.status_code == 201).headers["Location"].rsplit("/", 1)[-1]
    master = (f"/api/v2/customers/{cid}/addresses", {"type": "masterdata", **PRIMARY, "country": "DE"})
    responses = _parallel(sandbox, [master] * 12)
    assert sorted(r.status_code for r in responses) == [201] + [409] * 11


def test_store_timestamps_strictly_increase(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    stamps = [store.now() for _ in range(1000)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 1000
    store.close()


def test_a_list_sorted_by_name_reads_the_name_index_instead_of_sorting_every_customer() -> None:
    from custsync.sandbox.query import CUSTOMER_KEYS, parse

    store = Store()
    query = parse([("order[0][field]", "name"), ("order[0][dir]", "asc")], CUSTOMER_KEYS)
    plan = store._conn.execute(f"EXPLAIN QUERY PLAN SELECT t.id FROM customers t ORDER BY {query.order}").fetchall()
    details = " ".join(row[-1] for row in plan)
    assert "USING INDEX customers_name" in details and "TEMP B-TREE" not in details
