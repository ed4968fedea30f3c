"""``custsync doctor``: GETs only, at most 15, and a capability table that tells each difference of a target."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from custsync.api import ApiSettings, AsyncCustomerApi
from custsync.cli import app
from custsync.cli._app import console
from custsync.doctor import MAX_CALLS, Capabilities, load_capabilities, probe, remember_refused_filter

pytestmark = pytest.mark.integration


def _probe(url: str, token: str, transport: httpx.AsyncBaseTransport | None = None) -> tuple[Capabilities, dict]:
    settings = ApiSettings(url=url, token=token, requests_per_minute=60_000, allow_insecure_http=True)

    async def run() -> tuple[Capabilities, dict]:
        async with AsyncCustomerApi(settings, transport=transport) as api:
            return await probe(api), api.stats.as_dict()

    return asyncio.run(run())


def test_doctor_on_the_sandbox_finds_the_default_capabilities_with_gets_only(sandbox_factory: Any) -> None:
    box = sandbox_factory(seed_customers=60, seed=3)
    caps, calls = _probe(box.url, box.token)
    assert caps.authenticated and caps.total_count
    assert caps.paging == "page-number" and caps.page_size == 50
    assert caps.filters == {
        "number equals": "supported",
        "number in": "supported",
        "id greaterThan": "supported",
        "updatedAt greaterThanOrEquals": "supported",
    }
    assert caps.updated_since_operator == "greaterThanOrEquals" and caps.incremental_listing
    assert caps.list_missing_fields == []
    assert (caps.groups_shape, caps.reference_shape, caps.country_shape) == ("ids", "text", "iso")
    assert calls["GET"] == calls["total"] == caps.calls <= MAX_CALLS


@pytest.mark.parametrize(
    ("knobs", "paging", "page_size"),
    [({}, "page-number", 50), ({"page_size_cap": 20}, "page-number", 20), ({"paging": "cursor"}, "cursor", 50)],
    ids=["default", "page-size-cap-20", "cursor-paging"],
)
def test_doctor_tells_each_paging_knob_of_the_sandbox(
    sandbox_factory: Any, knobs: dict[str, Any], paging: str, page_size: int
) -> None:
    box = sandbox_factory(seed_customers=60, seed=3, **knobs)
    caps, calls = _probe(box.url, box.token)
    assert (caps.paging, caps.page_size) == (paging, page_size)
    assert calls["GET"] == calls["total"] <= MAX_CALLS
    flagged = {check.name for check in caps.checks if not check.ok}
    assert ("page size" in flagged) == (page_size < 50)
    assert ("paging" in flagged) == (paging == "cursor")


def test_doctor_cli_prints_the_table_saves_it_and_json_matches(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = sandbox_factory(seed_customers=5, seed=3)
    monkeypatch.setenv("CUSTSYNC_API_URL", box.url)
    monkeypatch.setenv("CUSTSYNC_API_TOKEN", box.token)
    state = tmp_path / "deep" / "state"
    result = CliRunner().invoke(app, ["doctor", "--state-dir", str(state), "--requests-per-minute", "60000", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["saved"] == str(state / "capabilities.json")
    saved = load_capabilities(state, box.url)
    assert saved is not None and saved.to_json() == {k: v for k, v in payload.items() if k != "saved"}
    assert load_capabilities(state, "https://other.example") is None  # kept per target
    assert box.token not in (state / "capabilities.json").read_text()
    monkeypatch.setattr(console, "width", 200)
    table = CliRunner().invoke(app, ["doctor", "--state-dir", str(state), "--requests-per-minute", "60000"])
    assert table.exit_code == 0
    assert "filter updatedAt greaterThanOrEquals" in table.output and "single page" in table.output


def test_doctor_with_a_wrong_token_says_so_and_saves_nothing(
    sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUSTSYNC_API_URL", sandbox.url)
    monkeypatch.setenv("CUSTSYNC_API_TOKEN", "not-the-token")
    result = CliRunner().invoke(app, ["doctor", "--state-dir", str(tmp_path), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == "AuthError"  # one JSON object, the error
    assert not (tmp_path / "capabilities.json").exists()
    assert "not-the-token" not in result.output


# -- a target unlike the sandbox: pages capped at 20, filters spelt otherwise, one filter ignored ---------------


class OddTarget:
    """A fake target: 45 customers, 20 per page at most, groups as objects, ``paymentMethod`` as ``{id}``, country
    names, ``greaterThanOrEqual`` (the docs' spelling) instead of ``greaterThanOrEquals``, ``number in`` ignored,
    ``id`` not filterable, and rate-limit headers."""

    def __init__(self) -> None:
        self.customers = [
            {
                "id": str(i),
                "number": f"K{i:05d}",
                "name": f"Kunde {i}",
                "groups": [{"id": "7", "name": "Handel"}],
                "financial": {"paymentMethod": {"id": "3"}},
                "updatedAt": f"2026-01-01T00:00:{i:02d}+00:00",
                "links": {"self": f"/api/v2/customers/{i}", "addresses": f"/api/v2/customers/{i}/addresses"},
            }
            for i in range(1, 46)
        ]
        self.methods: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.methods.append(request.method)
        headers = {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "99"}
        path = urlsplit(str(request.url)).path
        if path.endswith("/addresses"):
            address = {"type": "masterdata", "country": "Deutschland"}
            return httpx.Response(200, json={"data": [address]}, headers=headers)
        if path.rstrip("/").split("/")[-1].isdigit():
            return httpx.Response(200, json={"data": self.customers[0]}, headers=headers)
        query = dict(parse_qsl(urlsplit(str(request.url)).query))
        items = self.customers
        if "filter[0][key]" in query:
            key, op = query["filter[0][key]"], query["filter[0][op]"]
            value = query.get("filter[0][value]")
            if key == "id" or op == "greaterThanOrEquals":
                return httpx.Response(400, json={"title": "invalid filter"}, headers=headers)
            if key == "number" and op == "equals":
                items = [c for c in items if c["number"] == value]
            elif key == "updatedAt" and op == "greaterThanOrEqual":
                items = [c for c in items if c["updatedAt"] >= value]
            # "number in" is ignored: every customer comes back
        size = min(int(query.get("page[size]", 20)), 20)
        number = int(query.get("page[number]", 1))
        page = items[(number - 1) * size : number * size]
        return httpx.Response(200, json={"data": page, "extra": {"totalCount": len(items)}}, headers=headers)


def test_doctor_reports_each_difference_of_an_odd_target() -> None:
    target = OddTarget()
    caps, _ = _probe("https://erp.example", "secret", httpx.MockTransport(target))
    assert set(target.methods) == {"GET"} and len(target.methods) <= MAX_CALLS
    assert caps.page_size == 20 and caps.paging == "page-number"
    assert caps.filters["number equals"] == "supported"
    assert caps.filters["number in"] == "ignored"
    assert caps.filters["id greaterThan"] == "refused"
    assert caps.filters["updatedAt greaterThanOrEquals"] == "refused"
    assert caps.updated_since_operator == "greaterThanOrEqual"
    assert (caps.groups_shape, caps.reference_shape, caps.country_shape) == ("objects", "object", "name")
    assert caps.rate_limit_headers == {"x-ratelimit-limit": "100", "x-ratelimit-remaining": "99"}
    flagged = {check.name for check in caps.checks if not check.ok}
    assert {"page size", "filter number in", "filter id greaterThan"} <= flagged


def test_a_filter_refused_during_a_run_is_remembered(tmp_path: Path) -> None:
    remember_refused_filter(tmp_path, "https://erp.example/", "greaterThanOrEquals")
    caps = load_capabilities(tmp_path, "https://erp.example/")
    assert caps is not None and not caps.incremental_listing
    assert caps.filters["updatedAt greaterThanOrEquals"] == "refused"


@pytest.mark.parametrize("verdict", ["supported", "refused", "ignored"])
def test_the_commands_list_customers_as_the_doctor_found_they_can(
    sandbox_factory: Any, tmp_path: Path, verdict: str
) -> None:
    """Where ``id greaterThan`` was refused or ignored, no keyset listing is even tried (export and pipeline)."""
    from custsync.api import CustomerApi
    from custsync.doctor import save_capabilities
    from custsync.export import ExportOptions, export_snapshot
    from custsync.pipeline import Connection
    from custsync.report.model import safe_url

    box = sandbox_factory(seed_customers=3, seed=1)
    state = tmp_path / "state"
    caps = Capabilities(api_url=safe_url(box.url), probed_at="2026-01-01T00:00:00+00:00", authenticated=True)
    caps.filters["id greaterThan"] = verdict
    save_capabilities(caps, state)
    settings = ApiSettings(url=box.url, token=box.token, requests_per_minute=60_000)
    expected = set() if verdict == "supported" else {"customers"}
    assert Connection(settings).open(state).keyset_refused == expected
    with CustomerApi(settings) as api:
        result = export_snapshot(api, ExportOptions(out=tmp_path / "out", state_dir=state))
        assert api.async_api.keyset_refused == expected
    assert result.rows["customers"] == 3
