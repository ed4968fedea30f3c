"""A hostile world (issue 16): servers that answer 200 with HTML, cut-off JSON or no ``data``, pages without end,
a body trickled byte by byte, and a token refused in the middle of a run. Each ends within a bounded time with a
clear error (exit code 2 on the command line), no snapshot made LATEST, and nothing sent after the 401."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from tests.api import hostile
from typer.testing import CliRunner

from custsync.api import ApiSettings, AsyncCustomerApi, CustomerApi
from custsync.cli import app
from custsync.errors import AuthError, ListingError, ResponseError, TransportError
from custsync.export import ExportOptions, export_snapshot
from custsync.sandbox.testing import serve_in_thread

pytestmark = pytest.mark.integration

TOKEN = "hostile-token-0123456789"
FAST = ["--requests-per-minute", "1000000"]
REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data" / "legacy_erp" / "kunden_export.csv"
LEGACY = REPO / "mappings" / "legacy_erp.yaml"

NO_DATA = hostile.fixed(200, b'{"extra": {"totalCount": 0, "page": {"number": 1, "size": 50}}}')
HTML = hostile.fixed(200, b"<!DOCTYPE html><html><body>Please sign in</body></html>", "text/html")
CUT_OFF = hostile.fixed(200, b'{"data": [{"id": "1", "number": "10001", "name": "ACME"')
SAME_PAGE_FOREVER = hostile.endless(honour_id_filter=False)

CASES = {
    "no-data": (NO_DATA, ResponseError, "no 'data' member"),
    "html": (HTML, ResponseError, "text/html, not JSON"),
    "cut-off-json": (CUT_OFF, ResponseError, "cut off after"),
    "same-page-forever": (SAME_PAGE_FOREVER, ListingError, "repeats page 1"),
}


def _export_cli(url: str, out: Path, *extra: str):
    env = {"CUSTSYNC_API_URL": url, "CUSTSYNC_API_TOKEN": TOKEN}
    return CliRunner().invoke(app, ["export", "--out", str(out), *FAST, *extra], env=env)


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_list_answer_ends_the_export_with_exit_2_and_no_snapshot(tmp_path: Path, case: str) -> None:
    server, error, says = CASES[case]
    out = tmp_path / "snapshots"
    with serve_in_thread(server) as url:
        started = time.monotonic()
        plain = _export_cli(url, out)
        as_json = _export_cli(url, out, "--json")
        elapsed = time.monotonic() - started
    assert plain.exit_code == 2, plain.output
    assert "Traceback" not in plain.output and says in plain.output
    assert "GET /api/v2/customers" in plain.output
    assert as_json.exit_code == 2
    report = json.loads(as_json.stdout)  # exactly one JSON object on stdout
    assert report["error"] == error.__name__ and says in report["message"]
    assert not (out / "LATEST").exists()
    assert not any(out.glob("*/manifest.json")) if out.exists() else True
    assert elapsed < 30


@pytest.mark.parametrize("case", ["no-data", "html", "cut-off-json"])
def test_a_bad_view_or_list_answer_is_a_response_error_naming_the_request(case: str) -> None:
    server, _, says = CASES[case]
    with serve_in_thread(server) as url, CustomerApi(ApiSettings(url=url, token=TOKEN, max_retries=0)) as api:
        with pytest.raises(ResponseError, match=says) as listed:
            api.customers.list()
        assert listed.value.method == "GET" and listed.value.path == "/api/v2/customers"
        with pytest.raises(ResponseError) as viewed:
            api.customers.get("7")
        assert viewed.value.path == "/api/v2/customers/7"


def test_the_body_of_an_unreadable_answer_is_quoted_without_the_token() -> None:
    echo = hostile.fixed(200, f"<html>token {TOKEN} rejected</html>".encode(), "text/html")
    with (
        serve_in_thread(echo) as url,
        CustomerApi(ApiSettings(url=url, token=TOKEN, max_retries=0)) as api,
        pytest.raises(ResponseError) as caught,
    ):
        api.customers.list()
    assert "rejected" in str(caught.value) and TOKEN not in str(caught.value)


def test_pages_without_end_stop_at_the_ceiling() -> None:
    server = hostile.endless(honour_id_filter=True)
    settings = {"token": TOKEN, "max_pages": 20, "requests_per_minute": 1e6}
    with serve_in_thread(server) as url, CustomerApi(ApiSettings(url=url, **settings)) as api:
        started = time.monotonic()
        with pytest.raises(ListingError, match="still more after 20 pages"):
            api.customers.list()
        with pytest.raises(ListingError, match="still more after 20 pages"):
            list(api.customers.pages())
        assert api.stats.total == 40
    assert time.monotonic() - started < 20


def test_a_trickling_server_is_cut_off_at_the_deadline(tmp_path: Path) -> None:
    settings_of = lambda url: ApiSettings(url=url, token=TOKEN, deadline=1.0, retry_backoff=0.01)  # noqa: E731
    with serve_in_thread(hostile.trickle(seconds_per_byte=0.5)) as url, CustomerApi(settings_of(url)) as api:
        started = time.monotonic()
        with pytest.raises(TransportError, match="deadline of 1 s") as caught:
            export_snapshot(api, ExportOptions(out=tmp_path / "out"))
        elapsed = time.monotonic() - started
    assert caught.value.path == "/api/v2/customers"
    # two attempts of one second each (a request cut at its deadline is tried once more, not max_retries times),
    # not the ~40 s the body needs
    assert 1.9 <= elapsed < 6.0, elapsed
    assert not (tmp_path / "out" / "LATEST").exists()


def test_a_trickling_server_ends_the_export_command_with_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "snapshots"
    with serve_in_thread(hostile.trickle(seconds_per_byte=0.5)) as url:
        env = {"CUSTSYNC_API_URL": url, "CUSTSYNC_API_TOKEN": TOKEN, "CUSTSYNC_API_DEADLINE": "0.5"}
        started = time.monotonic()
        result = CliRunner().invoke(app, ["export", "--out", str(out), *FAST, "--json"], env=env)
        elapsed = time.monotonic() - started
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    assert report["error"] == "TransportError" and "deadline of 0.5 s" in report["message"]
    assert elapsed < 10, elapsed
    assert not (out / "LATEST").exists()


@pytest.mark.parametrize("value", ["soon", "0", "-1", "inf"])
def test_a_bad_deadline_in_the_environment_is_a_clear_error(value: str) -> None:
    from custsync.api import ENV_DEADLINE
    from custsync.errors import ConfigError

    base = {"CUSTSYNC_API_URL": "http://127.0.0.1:1", "CUSTSYNC_API_TOKEN": TOKEN}
    assert ApiSettings.from_env({**base, ENV_DEADLINE: "300"}).deadline == 300
    assert ApiSettings.from_env(base).deadline == 120
    with pytest.raises(ConfigError, match=f"CUSTSYNC_API_DEADLINE must be a positive number of seconds, not '{value}'"):
        ApiSettings.from_env({**base, ENV_DEADLINE: value})


def test_a_token_refused_mid_run_stops_the_sync_at_once(sandbox, tmp_path: Path) -> None:
    proxy = hostile.TurningProxy(upstream=sandbox.url, good=30)
    state = tmp_path / "state"
    with serve_in_thread(proxy) as url:
        env = {"CUSTSYNC_API_URL": url, "CUSTSYNC_API_TOKEN": sandbox.token}
        args = ["sync", str(SAMPLE), "--mapping", str(LEGACY), *FAST, "--state-dir", str(state), "--json"]
        result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    assert report["error"] == "AuthError" and report["status"] == 401
    after = proxy.after_first_refusal()
    # at most what was already on its way (8 slots) when the 401 arrived — not the 1,541 of issue 16
    assert len(after) < 16, f"{len(after)} requests after the first 401"
    assert all(s.status == 401 for s in after)

    # the journal and the API agree: a later run with a good token finishes the work and converges
    good = {"CUSTSYNC_API_URL": sandbox.url, "CUSTSYNC_API_TOKEN": sandbox.token}
    again = CliRunner().invoke(app, args, env=good)
    assert again.exit_code == 0, again.output
    third = json.loads(CliRunner().invoke(app, args, env=good).stdout)
    assert all(third[e]["create"] == third[e]["update"] == third[e]["delete"] == 0 for e in ("customers", "addresses"))
    with CustomerApi(ApiSettings(url=sandbox.url, token=sandbox.token, requests_per_minute=1e6)) as api:
        numbers = [c["number"] for c in api.customers.list()]
    assert len(numbers) == len(set(numbers)) == 50


def test_after_a_401_the_client_sends_nothing_more() -> None:
    refusing = hostile.fixed(401, b'{"title": "Unauthorized", "status": 401}', "application/problem+json")
    seen: list[str] = []

    async def counting(scope, receive, send):
        if scope["type"] == "http":
            seen.append(scope["path"])
        await refusing(scope, receive, send)

    async def main(url: str) -> None:
        async with AsyncCustomerApi(ApiSettings(url=url, token=TOKEN)) as api:
            with pytest.raises(AuthError, match="401"):
                await api.customers.all()
            with pytest.raises(AuthError, match="not sent: the API refused the token earlier"):
                await api.customers.update("1", {"name": "x"})
            with pytest.raises(AuthError, match="not sent"):
                await api.contacts("1").create({"name": "Anna"})

    with serve_in_thread(counting) as url:
        asyncio.run(main(url))
    assert seen == ["/api/v2/customers"]


@pytest.mark.parametrize("case", ["no-data", "html", "cut-off-json", "same-page-forever"])
def test_a_mirror_plan_on_a_bad_listing_fails_instead_of_planning_to_create_everything(tmp_path: Path, case) -> None:
    server, error, says = CASES[case]
    args = ["plan", str(SAMPLE), "--mapping", str(LEGACY), "--mode", "mirror", "--scope", "all", "--force"]
    with serve_in_thread(server) as url:
        env = {"CUSTSYNC_API_URL": url, "CUSTSYNC_API_TOKEN": TOKEN}
        result = CliRunner().invoke(app, [*args, *FAST, "--state-dir", str(tmp_path / "state"), "--json"], env=env)
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    assert report["error"] == error.__name__ and says in report["message"]


def test_a_token_refused_mid_export_leaves_no_snapshot(sandbox_factory, tmp_path: Path) -> None:
    server = sandbox_factory(seed_customers=30, seed=4)
    proxy = hostile.TurningProxy(upstream=server.url, good=12)
    out = tmp_path / "out"
    with serve_in_thread(proxy) as url:
        env = {"CUSTSYNC_API_URL": url, "CUSTSYNC_API_TOKEN": server.token}
        result = CliRunner().invoke(app, ["export", "--out", str(out), *FAST, "--json"], env=env)
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["error"] == "AuthError"
    assert len(proxy.after_first_refusal()) < 16
    assert not (out / "LATEST").exists()
