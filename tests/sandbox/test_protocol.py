"""Conventions every operation shares: Bearer auth, JSON bodies, problem documents, the OpenAPI document."""

from __future__ import annotations

import httpx
import jsonschema
import pytest

from custsync.sandbox.openapi import openapi_document
from custsync.wire._schemas import public_spec

from .helpers import client, to_json_schema

pytestmark = pytest.mark.integration

OPERATIONS = {
    ("post", "/api/v2/customers"),
    ("get", "/api/v2/customers"),
    ("get", "/api/v2/customers/{id}"),
    ("patch", "/api/v2/customers/{id}"),
    ("delete", "/api/v2/customers/{id}"),
    ("delete", "/api/v1/customers/{id}"),
    ("post", "/api/v2/customers/{customerId}/addresses"),
    ("get", "/api/v2/customers/{customerId}/addresses"),
    ("get", "/api/v2/customers/{customerId}/addresses/{id}"),
    ("patch", "/api/v2/customers/{customerId}/addresses/{id}"),
    ("delete", "/api/v2/customers/{customerId}/addresses/{id}"),
    ("post", "/api/v1/customers/{id}/contactPerson"),
    ("get", "/api/v1/customers/{id}/contactPerson"),
    ("get", "/api/v1/customers/{customerId}/contactPerson/{contactPersonId}"),
    ("patch", "/api/v1/customers/{customerId}/contactPerson/{contactPersonId}"),
    ("delete", "/api/v1/customers/{customerId}/contactPerson/{contactPersonId}"),
}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}],
)
def test_requests_without_the_right_token_are_401_problems(sandbox, headers) -> None:
    for method, path in (
        ("GET", "/api/v2/customers"),
        ("POST", "/api/v2/customers"),
        ("DELETE", "/api/v1/customers/1"),
    ):
        response = httpx.request(method, f"{sandbox.url}{path}", headers=headers, json={"name": "x"})
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["title"] == "Unauthorized"
        assert sandbox.token not in response.text
    assert sandbox.store.counts()["customers"] == 0


def test_lowercase_bearer_scheme_is_accepted(sandbox) -> None:
    response = httpx.get(f"{sandbox.url}/api/v2/customers", headers={"Authorization": f"bearer {sandbox.token}"})
    assert response.status_code == 200


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_non_json_bodies_are_415(sandbox, content_type) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    with client(sandbox) as http:
        cid = http.post("/api/v2/customers", json={"type": "company", "name": "A"}).headers["Location"]
        for response in (
            http.post("/api/v2/customers", content=b'{"type": "company", "name": "B"}', headers=headers),
            http.patch(cid, content=b'{"name": "C"}', headers=headers),
        ):
            assert response.status_code == 415
            assert response.headers["content-type"] == "application/problem+json"
        assert http.get(cid).json()["data"]["name"] == "A"


def test_json_with_charset_is_accepted(sandbox) -> None:
    with client(sandbox) as http:
        response = http.post(
            "/api/v2/customers",
            content='{"type": "company", "name": "Ä"}'.encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
    assert response.status_code == 201


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"null", b"[" * 100000])
def test_malformed_or_non_object_json_is_a_400_problem(sandbox, body) -> None:
    with client(sandbox) as http:
        response = http.post("/api/v2/customers", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == "https://api.xentral.biz/problems/request-validation"
    assert list(problem["violations"]) == ["_"]


def test_lone_surrogates_are_a_400_not_a_crash(sandbox) -> None:
    with client(sandbox) as http:
        response = http.post(
            "/api/v2/customers",
            content=b'{"type": "company", "name": "\\ud800", "\\udfff": 1}',
            headers={"Content-Type": "application/json"},
        )
        alone = http.post(
            "/api/v2/customers",
            content=b'{"type": "company", "name": "\\ud800"}',
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 400
    assert set(response.json()["violations"]) == {"\udfff"}  # the unknown member: the wire layer's finding
    assert alone.status_code == 400
    assert set(alone.json()["violations"]) == {"name"}


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        ("text/html", 406),
        ("application/xml, text/plain;q=0.5", 406),
        ("application/json", 200),
        ("application/problem+json", 200),
        ("text/html, */*;q=0.1", 200),
        ("application/*", 200),
    ],
)
def test_accept_header_that_rules_out_json_is_406(sandbox, accept, status) -> None:
    with client(sandbox) as http:
        response = http.get("/api/v2/customers", headers={"Accept": accept})
    assert response.status_code == status
    if status == 406:
        assert response.headers["content-type"] == "application/problem+json"


def test_wrong_method_is_a_405_problem(sandbox) -> None:
    with client(sandbox) as http:
        response = http.put("/api/v2/customers", json={})
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"


def test_unknown_path_is_a_404_problem(sandbox) -> None:
    with client(sandbox) as http:
        response = http.get("/api/v3/customers")
    assert response.status_code == 404
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No such resource.",
    }


def test_openapi_document_is_served_without_auth_and_covers_every_operation(sandbox) -> None:
    response = httpx.get(f"{sandbox.url}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.0")
    assert document["servers"] == [{"url": sandbox.url}]
    served = {(m, p) for p, item in document["paths"].items() for m in item}
    assert served >= OPERATIONS
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_every_schema_in_the_document_is_a_valid_json_schema() -> None:
    document = openapi_document()
    count = 0
    for item in document["paths"].values():
        for operation in item.values():
            bodies = [operation.get("requestBody", {})]
            bodies += list(operation["responses"].values())
            for body in bodies:
                for media in body.get("content", {}).values():
                    jsonschema.Draft7Validator.check_schema(to_json_schema(media["schema"]))
                    count += 1
            for parameter in operation.get("parameters", []):
                jsonschema.Draft7Validator.check_schema(to_json_schema(parameter["schema"]))
    assert count > 30


def test_spec_operations_keep_the_public_spec_text() -> None:
    document = openapi_document()
    create = document["paths"]["/api/v2/customers"]["post"]
    assert create["operationId"] == "customer.create.v2"
    schema = create["requestBody"]["content"]["application/json"]["schema"]
    spec = public_spec()["paths"]["/api/v2/customers"]["post"]["requestBody"]["content"]["application/json"]
    assert schema["properties"] == spec["schema"]["properties"]  # no member beyond the spec's
    assert schema["additionalProperties"] is False and schema["required"] == ["type"]
    contact = document["paths"]["/api/v1/customers/{customerId}/contactPerson/{contactPersonId}"]["get"]
    item = contact["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["data"]
    assert "links" in item["properties"]
    assert not {"createdAt", "updatedAt"} & set(item["properties"])  # the spec's item has no timestamps
