"""Tolerant paging over HTTP (issue 14 D4/D5): the sandbox pages by cursor or caps pages below 50, and the
client still reads every list completely — the 50 sample customers sync and re-sync to zero, exports complete."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from custsync.api import ApiSettings, CustomerApi
from custsync.cli import app
from custsync.errors import ListingError

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data" / "legacy_erp" / "kunden_export.csv"
LEGACY = REPO / "mappings" / "legacy_erp.yaml"
FAST = ["--requests-per-minute", "1000000"]

KNOBS = {
    "cursor": {"paging": "cursor"},
    "cap-20": {"page_size_cap": 20},
    "cursor-cap-7": {"paging": "cursor", "page_size_cap": 7},
}


def _api(server, **overrides) -> CustomerApi:
    return CustomerApi(ApiSettings(url=server.url, token=server.token, requests_per_minute=1e6, **overrides))


def _cli(server, *args: str) -> dict:
    env = {"CUSTSYNC_API_URL": server.url, "CUSTSYNC_API_TOKEN": server.token}
    result = CliRunner().invoke(app, [*args, *FAST, "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("knob", list(KNOBS))
def test_sample_customers_sync_resync_to_zero_and_export_completely(sandbox_factory, tmp_path, knob) -> None:
    server = sandbox_factory(**KNOBS[knob])
    state = ["--state-dir", str(tmp_path / "state")]
    first = _cli(server, "sync", str(SAMPLE), "--mapping", str(LEGACY), *state)
    assert first["ok"] and first["customers"]["create"] == 50
    again = _cli(server, "plan", str(SAMPLE), "--mapping", str(LEGACY), "--full", *state)
    for entity in ("customers", "addresses", "contacts"):
        assert again[entity]["create"] == again[entity]["update"] == again[entity]["delete"] == 0, entity
    exported = _cli(server, "export", "--out", str(tmp_path / "out"))
    assert exported["rows"]["customers"] == 50
    assert exported["rows"]["addresses"] == first["addresses"]["create"]
    assert exported["rows"]["contacts"] == first["contacts"]["create"]


@pytest.mark.parametrize("knob", list(KNOBS))
def test_every_listing_reads_all_items_once(sandbox_factory, knob) -> None:
    server = sandbox_factory(seed_customers=73, seed=5, **KNOBS[knob])
    with _api(server) as api:
        by_keyset = api.customers.list()
        by_pages = [item for page in api.customers.pages() for item in page.items]
        by_name = api.customers.list(order=[_order("name")])
    for items in (by_keyset, by_pages, by_name):
        ids = [c["id"] for c in items]
        assert len(ids) == len(set(ids)) == 73
    cap = KNOBS[knob].get("page_size_cap", 50)
    assert api.stats.as_dict()["GET"] <= 3 * (73 // cap + 2) + 2  # no runaway paging


def test_a_cursor_server_is_recognised_by_its_answer_and_remembered(sandbox_factory) -> None:
    server = sandbox_factory(seed_customers=12, seed=3, paging="cursor", page_size_cap=5)
    sent: list[httpx.URL] = []
    with _api(server) as api:
        api.async_api._http.event_hooks["request"].append(_record(sent))
        assert len(api.customers.list()) == 12
        assert api.async_api.paging_styles == {"customers": "cursor"}
        assert len(api.customers.list()) == 12
    assert len(sent) == 6  # 5 + 5 + 2 twice: keyset requests, each a first page
    assert "page[number]" in sent[0].params and all("page[number]" not in url.params for url in sent[1:])


def test_configured_cursor_paging_sends_no_page_numbers(sandbox_factory) -> None:
    server = sandbox_factory(seed_customers=12, seed=3, paging="cursor", page_size_cap=5)
    sent: list[httpx.URL] = []

    with _api(server, paging="cursor") as api:
        api.async_api._http.event_hooks["request"].append(_record(sent))
        assert len([i for p in api.customers.pages() for i in p.items]) == 12
    assert all("page[number]" not in url.params for url in sent)
    assert [url.params.get("cursor[nextCursor]") for url in sent] == [None, _b64(5), _b64(10)]


def test_the_sandbox_knobs_page_as_announced(sandbox_factory) -> None:
    server = sandbox_factory(seed_customers=12, seed=3, paging="cursor", page_size_cap=5)
    with httpx.Client(base_url=server.url, headers=server.headers) as http:
        first = http.get("/api/v2/customers", params={"cursor[size]": "50"}).json()
        assert len(first["data"]) == 5 and first["extra"] == {
            "totalCount": 12,
            "cursor": {"nextCursor": _b64(5), "size": 5},
        }
        last = http.get("/api/v2/customers", params={"cursor[size]": "50", "cursor[nextCursor]": _b64(10)}).json()
        assert len(last["data"]) == 2 and last["extra"]["cursor"]["nextCursor"] == ""
        numbered = http.get("/api/v2/customers", params={"page[number]": "2", "page[size]": "50"}).json()
        assert numbered["data"] == first["data"]  # page[...] means nothing to a cursor list
        forged = http.get("/api/v2/customers", params={"cursor[nextCursor]": "not a cursor"})
        assert forged.status_code == 400 and "not a cursor this server gave out" in forged.text
    plain = sandbox_factory(seed_customers=3, seed=3)
    with httpx.Client(base_url=plain.url, headers=plain.headers) as http:
        answer = http.get("/api/v2/customers", params={"cursor[size]": "1"}).json()
        assert len(answer["data"]) == 3 and "cursor" not in answer["extra"]


def test_a_short_page_is_not_the_end_while_total_count_says_more(sandbox_factory) -> None:
    server = sandbox_factory(seed_customers=45, seed=3, page_size_cap=20)
    with _api(server) as api:
        pages = list(api.customers.pages())
    assert [len(p.items) for p in pages] == [20, 20, 5]
    assert [p.number for p in pages] == [1, 2, 3]


def test_endless_pages_and_repeated_pages_are_errors() -> None:
    from tests.api import hostile

    from custsync.sandbox.testing import serve_in_thread

    server = hostile.endless(honour_id_filter=False, total=10_000)
    with serve_in_thread(server) as url, CustomerApi(ApiSettings(url=url, token="t" * 20)) as api:
        with pytest.raises(ListingError, match="repeats page 1"):
            list(api.customers.pages())
        with pytest.raises(ListingError, match="repeats page 1"):
            api.customers.list()


def _order(field: str):
    from custsync.api import Order

    return Order(field)


def _b64(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode()


def _record(sent: list[httpx.URL]):
    async def hook(request: httpx.Request) -> None:
        sent.append(request.url)

    return hook
