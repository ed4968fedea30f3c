"""The wire layer judges request bodies by the public spec (or the repo's schema where the spec has none)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custsync.wire import OPERATIONS, WireError, check_request, find_operation, request_violations, violation_tree
from custsync.wire._schemas import from_openapi, public_spec

SHARED_SPEC = Path(__file__).resolve().parents[3] / "shared" / "reference" / "xentral-customer-api.subset.openapi.json"
PERSON = {"type": "person", "firstname": "Max", "lastname": "Mustermann"}


def where(violations) -> set[tuple]:
    return {v.where for v in violations}


def test_a_create_with_customer_type_only_fails() -> None:
    found = request_violations("POST", "/api/v2/customers", {"customerType": "company", "name": "ACME"})
    assert where(found) == {("customerType",), ("type",)}
    with pytest.raises(WireError, match="customerType: This field was not expected"):
        check_request("POST", "/api/v2/customers", {"customerType": "company", "name": "ACME"})


def test_a_lead_without_status_fails_and_a_null_status_passes() -> None:
    assert where(request_violations("POST", "/api/v2/customers", {**PERSON, "lead": {"isLead": True}})) == {
        ("lead", "status")
    }
    assert request_violations("POST", "/api/v2/customers", {**PERSON, "lead": {"isLead": False, "status": None}}) == []


@pytest.mark.parametrize("member", ["financial", "shipping", "bankAccount", "groups", "documentDelivery"])
def test_create_refuses_members_outside_the_create_schema(member: str) -> None:
    assert where(request_violations("POST", "/api/v2/customers", {**PERSON, member: {}})) == {(member,)}


def test_create_needs_the_names_its_type_demands() -> None:
    assert where(request_violations("POST", "/api/v2/customers", {"type": "person", "firstname": "M"})) == {
        ("lastname",)
    }
    assert where(request_violations("POST", "/api/v2/customers", {"type": "company"})) == {("name",)}


def test_the_spec_examples_pass() -> None:
    for path, method in (("/api/v2/customers", "post"), ("/api/v1/customers/{id}/contactPerson", "post")):
        content = public_spec()["paths"][path][method]["requestBody"]["content"]["application/json"]
        examples = [e["value"] for e in content.get("examples", {}).values()]
        assert examples
        for example in examples:
            assert request_violations(method, path.replace("{id}", "7"), example) == []


def test_contact_patch_refuses_null_for_its_non_nullable_members() -> None:
    path = "/api/v1/customers/3/contactPerson/4"
    body = {"type": None, "name": None, "marketingBan": None, "sendBirthdayCard": None, "birthdayShowInCalendar": None}
    assert {v.where[0] for v in request_violations("PATCH", path, body)} == set(body)
    assert request_violations("PATCH", path, {"title": None, "contact": {"email": None}}) == []


def test_unversioned_link_paths_and_base_paths_are_matched() -> None:
    assert find_operation("PATCH", "/api/customers/3/contactPerson/4").id == "customer.contactPerson.update"
    assert find_operation("POST", "/base/api/customers/3/addresses").id == "address.create.v2"
    assert find_operation("POST", "https://x.example/api/v2/customers").id == "customer.create.v2"
    assert find_operation("GET", "/api/v2/customers/3/unknown") is None
    assert request_violations("GET", "/api/v2/customers/3/unknown")


def test_addresses_need_their_primary_data() -> None:
    found = request_violations("POST", "/api/v2/customers/3/addresses", {"type": "masterdata", "country": "DE"})
    assert where(found) == {("name",), ("street",), ("zip",), ("city",)}
    patch = request_violations("PATCH", "/api/v2/customers/3/addresses/9", {"street": None, "gln": None})
    assert where(patch) == {("street",)}


def test_customer_patch_takes_the_groups_the_create_lacks() -> None:
    body = {"financial": {"paymentTerms": {"days": 14}}, "groups": ["1"], "shipping": {"deliveryBan": None}}
    assert request_violations("PATCH", "/api/v2/customers/3", body) == []
    assert where(request_violations("PATCH", "/api/v2/customers/3", {"customerType": "person"})) == {("customerType",)}
    assert where(request_violations("PATCH", "/api/v2/customers/3", {"lead": {"status": "x"}})) == {("lead", "isLead")}


def test_bodiless_operations_take_no_body() -> None:
    assert request_violations("DELETE", "/api/v2/customers/3") == []
    assert request_violations("DELETE", "/api/v2/customers/3", {}) != []
    assert request_violations("POST", "/api/v2/customers") != []


def test_every_operation_compiles_and_names_its_source() -> None:
    for operation in OPERATIONS:
        assert operation.source
        if operation.schema is not None:
            json.dumps(operation.schema())


def test_violations_mirror_the_payload() -> None:
    found = request_violations("POST", "/api/v2/customers", {"type": "person", "lead": {"isLead": 1}, "x": 1})
    tree = violation_tree(found)
    assert set(tree) == {"firstname", "lastname", "lead", "x"}
    assert set(tree["lead"]) == {"isLead", "status"}


def test_nullable_becomes_a_null_type() -> None:
    converted = from_openapi({"type": "object", "properties": {"nullable": {"type": "string", "nullable": True}}})
    assert converted["properties"]["nullable"]["type"] == ["string", "null"]
    assert from_openapi({"type": "string", "enum": ["a"], "nullable": True})["enum"] == ["a", None]


@pytest.mark.skipif(not SHARED_SPEC.exists(), reason="the shared reference copy is not beside the repo")
def test_the_bundled_spec_is_the_public_one() -> None:
    assert public_spec() == json.loads(SHARED_SPEC.read_text(encoding="utf-8"))


@pytest.mark.parametrize("email", ["nope", "a@b", "@x", "a b@c.de", "a@b.de"])
def test_the_fast_path_never_changes_the_verdict(email: str) -> None:
    from custsync.wire._validate import _validator, find_operation

    path = "/api/v1/customers/1/contactPerson"
    body = {"name": "A", "contact": {"email": email}, "birthday": "2024-02-30" if email == "nope" else None}
    operation = find_operation("POST", path)
    slow = [e.message for e in _validator(operation.id).iter_errors(body)]
    assert bool(request_violations("POST", path, body)) == bool(slow)


def test_text_that_is_no_unicode_is_judged_not_a_crash() -> None:
    body = json.loads('{"type": "company", "name": "\\ud800", "\\udfff": 1}')  # lone surrogates, legal JSON
    assert where(request_violations("POST", "/api/v2/customers", body)) == {("\udfff",)}
