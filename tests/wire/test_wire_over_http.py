"""In the test suite every body custsync's client sends the sandbox is judged by the wire layer: the sandbox
answers 400 as the public spec would, and the fixture fails the test (see tests/conftest.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from custsync.api import ApiSettings, CustomerApi
from custsync.errors import RequestValidationError

pytestmark = pytest.mark.integration


def api(server: Any) -> CustomerApi:
    return CustomerApi(ApiSettings(url=server.url, token=server.token, requests_per_minute=10_000, max_retries=0))


@pytest.mark.invalid_bodies
@pytest.mark.parametrize(
    "body",
    [
        {"number": "K1", "customerType": "company", "name": "ACME"},
        {"number": "K1", "type": "company", "name": "ACME", "lead": {"isLead": True}},
    ],
)
def test_a_body_the_spec_refuses_is_a_400_and_recorded_against_the_client(sandbox: Any, body: dict) -> None:
    with api(sandbox) as client, pytest.raises(RequestValidationError):
        client.customers.create(body)
    assert len(sandbox.client_violations) == 1
    assert "/api/v2/customers" in sandbox.client_violations[0]


def test_bodies_of_other_clients_are_refused_but_not_held_against_custsync(sandbox: Any) -> None:
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    response = httpx.post(f"{sandbox.url}/api/v2/customers", json={"customerType": "company"}, headers=headers)
    assert response.status_code == 400
    assert sandbox.client_violations == []


def test_the_fixture_check_fails_a_test_whose_client_sent_a_refused_body(request: pytest.FixtureRequest) -> None:
    # tests/conftest.py, where the sandbox fixtures run this check at teardown (loaded by path: several
    # directories have a conftest module)
    spec = importlib.util.spec_from_file_location("root_conftest", Path(__file__).resolve().parents[1] / "conftest.py")
    assert spec is not None and spec.loader is not None
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)

    server = SimpleNamespace(client_violations=["POST /api/v2/customers: type: This field is missing."])
    with pytest.raises(pytest.fail.Exception, match="type: This field is missing"):
        conftest.assert_client_sent_what_the_spec_accepts(server, request)
