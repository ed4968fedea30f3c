"""Customer operations (v2, and the v1 delete) over HTTP, checked against the spec subset where it covers them."""

from __future__ import annotations

import re

import httpx
import pytest

from .helpers import (
    PRIMARY,
    assert_valid,
    client,
    create_customer,
    served_response_validator,
    spec_request_validator,
    spec_response_validator,
)

pytestmark = pytest.mark.integration

PERSON = {"type": "person", "firstname": "Max", "lastname": "Mustermann", "number": "C700001"}
COMPANY = {"type": "company", "name": "General Cosmic Company"}
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")


def create(http: httpx.Client, body: dict) -> str:
    response = create_customer(http, body)
    assert response.status_code == 201, response.text
    return response.headers["Location"].rsplit("/", 1)[-1]


def test_create_answers_201_with_location_and_empty_body(sandbox) -> None:
    spec_request_validator("/api/v2/customers", "post").validate(PERSON)
    with client(sandbox) as http:
        response = http.post("/api/v2/customers", json=PERSON)
        assert response.status_code == 201
        assert response.content == b""
        location = response.headers["Location"]
        assert re.fullmatch(rf"{re.escape(sandbox.url)}/api/v2/customers/\d+", location)
        assert http.get(location).status_code == 200


def test_view_shows_every_field_with_null_for_unset(sandbox) -> None:
    with client(sandbox) as http:
        cid = create(http, PERSON)
        response = http.get(f"/api/v2/customers/{cid}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_valid(served_response_validator("/api/v2/customers/{id}", "get", "200"), body)
    customer = body["data"]
    assert customer["id"] == cid
    assert customer["customerType"] == "person"
    assert customer["name"] == "Max Mustermann"
    assert customer["number"] == "C700001"
    assert customer["title"] is None
    assert customer["groups"] == []
    assert customer["bankAccount"] == {
        "accountHolder": None,
        "bankName": None,
        "iban": None,
        "bic": None,
        "sepaMandate": {"reference": None, "signedAt": None},
    }
    assert STAMP.match(customer["createdAt"]) and customer["createdAt"] == customer["updatedAt"]
    assert customer["links"] == {
        "self": f"{sandbox.url}/api/v2/customers/{cid}",
        "addresses": f"{sandbox.url}/api/customers/{cid}/addresses",
        "contactPersons": f"{sandbox.url}/api/customers/{cid}/contactPerson",
    }


def test_every_link_resolves(sandbox) -> None:
    with client(sandbox) as http:
        cid = create(http, COMPANY)
        http.post(f"/api/v2/customers/{cid}/addresses", json={"type": "masterdata", **PRIMARY, "country": "DE"})
        http.post(f"/api/v1/customers/{cid}/contactPerson", json={"name": "Anna"})
        links = http.get(f"/api/v2/customers/{cid}").json()["data"]["links"]
        for url in links.values():
            assert http.get(url).status_code == 200, url
        for collection in (links["addresses"], links["contactPersons"]):
            item = http.get(collection).json()["data"][0]
            for url in item["links"].values():
                assert http.get(url).status_code == 200, url


def test_full_customer_round_trips(sandbox) -> None:
    full = {
        "type": "company",
        "name": "Müller & Söhne GmbH",
        "number": "K-1",
        "salutation": "company",
        "project": {"id": "4"},
        "groups": ["1", "23"],
        "contact": {"phone": "+49 30 1", "mobile": None, "fax": None, "email": "info@mueller.de", "website": None},
        "bankAccount": {
            "accountHolder": "Müller",
            "bankName": "Sparkasse",
            "iban": "DE89370400440532013000",
            "bic": "COBADEFFXXX",
            "sepaMandate": {"reference": "M-1", "signedAt": "2024-01-02"},
        },
        "financial": {
            "vatId": "DE123456789",
            "taxNumber": "12/345/67890",
            "paymentMethod": "invoice",
            "paymentTerms": {"days": 30, "discountDays": 10, "discountPercent": 2.5},
            "creditLimit": 5000.5,
            "currency": "EUR",
        },
        "shipping": {"freeShippingFrom": 100.0, "shippingMethod": "DHL", "deliveryBan": False},
        "documentDelivery": {"invoiceEmail": "rechnung@mueller.de"},
        "lead": {"isLead": True, "status": "new"},
    }
    with client(sandbox) as http:
        cid = create(http, full)
        shown = http.get(f"/api/v2/customers/{cid}").json()["data"]
    for group in ("contact", "bankAccount", "financial", "shipping", "lead"):
        assert shown[group] == full[group]
    assert shown["documentDelivery"]["invoiceEmail"] == "rechnung@mueller.de"
    assert shown["documentDelivery"]["offerEmail"] is None
    assert shown["groups"] == ["1", "23"] and shown["project"] == {"id": "4"}


def test_missing_number_is_taken_from_the_number_range(sandbox) -> None:
    with client(sandbox) as http:
        create(http, {**COMPANY, "number": "10001"})
        numbers = [http.get(f"/api/v2/customers/{create(http, COMPANY)}").json()["data"]["number"] for _ in range(3)]
    assert numbers == ["10000", "10002", "10003"]


def test_duplicate_number_is_a_409_conflict_on_create_and_patch(sandbox) -> None:
    with client(sandbox) as http:
        create(http, PERSON)
        other = create(http, COMPANY)
        response = http.post("/api/v2/customers", json={**COMPANY, "number": "C700001"})
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "https://api.xentral.biz/problems/conflict"
        assert "C700001" in response.json()["messages"][0]
        assert_valid(spec_response_validator("/api/v2/customers", "post", "400"), response.json())
        patched = http.patch(f"/api/v2/customers/{other}", json={"number": "C700001"})
        assert patched.status_code == 409


@pytest.mark.parametrize(
    ("body", "violations"),
    [
        ({"type": "person", "firstname": "Max"}, {"lastname": ["This field is missing."]}),
        ({"type": "person", "firstname": "Max", "lastname": " "}, {"lastname": ["This value should not be blank."]}),
        ({"type": "company"}, {"name": ["This field is missing."]}),
        ({"name": "X"}, {"type": ["This field is missing."]}),
        (
            {"customerType": "company", "name": "X"},
            {"customerType": ["This field was not expected."], "type": ["This field is missing."]},
        ),
        ({**COMPANY, "lead": {"isLead": True}}, {"lead": {"status": ["This field is missing."]}}),
        ({"type": None, "name": "X"}, {"type": ["This value should not be null."]}),
        ({"type": "robot", "name": "X"}, {"type": ["The value you selected is not a valid choice (person, company)."]}),
        (
            {**COMPANY, "contact": {"email": "nope"}},
            {"contact": {"email": ["This value is not a valid email address."]}},
        ),
        ({**COMPANY, "birthdate": "2024-02-30"}, {"birthdate": ["This value is not a valid date (YYYY-MM-DD)."]}),
        (
            {**COMPANY, "salutation": "sir"},
            {"salutation": ["The value you selected is not a valid choice (mr, mrs, company, other)."]},
        ),
        ({**COMPANY, "financial": {"paymentTerms": {"days": 30}}}, {"financial": ["This field was not expected."]}),
        ({**COMPANY, "groups": ["1"]}, {"groups": ["This field was not expected."]}),
        ({**COMPANY, "colour": "red"}, {"colour": ["This field was not expected."]}),
        ({**COMPANY, "number": ""}, {"number": ["This value should not be blank."]}),
    ],
)
def test_invalid_create_is_a_400_whose_violations_mirror_the_payload(sandbox, body, violations) -> None:
    with client(sandbox) as http:
        response = http.post("/api/v2/customers", json=body)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert_valid(spec_response_validator("/api/v2/customers", "post", "400"), problem)
    assert problem["type"] == "https://api.xentral.biz/problems/request-validation"
    assert problem["violations"] == violations


@pytest.mark.parametrize(
    ("body", "violations"),
    [
        (
            {"financial": {"paymentTerms": {"days": "30"}}},
            {"financial": {"paymentTerms": {"days": ["This value should be of type integer."]}}},
        ),
        ({"groups": [1]}, {"groups": {"0": ["This value should be of type string."]}}),
        ({"customerType": "person"}, {"customerType": ["This field was not expected."]}),
        ({"lead": {"isLead": None, "status": None}}, {"lead": {"isLead": ["This value should not be null."]}}),
        ({"id": "1", "createdAt": "2026-01-01"}, {k: ["This field was not expected."] for k in ("createdAt", "id")}),
    ],
)
def test_invalid_patch_is_a_400(sandbox, body, violations) -> None:
    with client(sandbox) as http:
        cid = create(http, COMPANY)
        response = http.patch(f"/api/v2/customers/{cid}", json=body)
    assert response.status_code == 400
    assert response.json()["violations"] == violations


def test_spec_fields_the_sandbox_does_not_keep_are_accepted(sandbox) -> None:
    body = {
        **PERSON,
        "contact": {"email": "max@company.tpl", "additionalData": [{"key": "skype", "value": "max12345"}]},
        "backOfficeContact": {"id": "57"},
        "distributionContact": {"id": "45"},
    }
    spec_request_validator("/api/v2/customers", "post").validate(body)
    with client(sandbox) as http:
        assert http.post("/api/v2/customers", json=body).status_code == 201


def test_patch_is_a_partial_deep_merge_and_null_clears(sandbox) -> None:
    with client(sandbox) as http:
        cid = create(http, {**PERSON, "contact": {"email": "max@x.de", "phone": "1"}, "title": "Dr."})
        before = http.get(f"/api/v2/customers/{cid}").json()["data"]
        response = http.patch(f"/api/v2/customers/{cid}", json={"contact": {"phone": "2"}, "title": None})
        assert response.status_code == 204 and response.content == b""
        after = http.get(f"/api/v2/customers/{cid}").json()["data"]
    assert after["contact"]["phone"] == "2"
    assert after["contact"]["email"] == "max@x.de"
    assert after["title"] is None
    assert after["firstname"] == "Max"
    assert after["createdAt"] == before["createdAt"]
    assert after["updatedAt"] > before["updatedAt"]


def test_patch_of_a_person_name_part_rederives_name(sandbox) -> None:
    with client(sandbox) as http:
        cid = create(http, PERSON)
        http.patch(f"/api/v2/customers/{cid}", json={"lastname": "Meier"})
        assert http.get(f"/api/v2/customers/{cid}").json()["data"]["name"] == "Max Meier"
        response = http.patch(f"/api/v2/customers/{cid}", json={"firstname": None})
        assert response.status_code == 400
        assert response.json()["violations"] == {"firstname": ["This value should not be null."]}
        response = http.patch(f"/api/v2/customers/{cid}", json={"firstname": " "})
        assert response.status_code == 400
        assert response.json()["violations"] == {"firstname": ["This value should not be blank."]}


@pytest.mark.parametrize("path", ["/api/v2/customers/{id}", "/api/v1/customers/{id}"])
def test_delete_removes_the_customer_with_its_addresses_and_contacts(sandbox, path) -> None:
    with client(sandbox) as http:
        cid = create(http, COMPANY)
        keep = create(http, {**COMPANY, "number": "KEEP"})
        for owner in (cid, keep):
            http.post(f"/api/v2/customers/{owner}/addresses", json={"type": "masterdata", **PRIMARY, "country": "DE"})
            http.post(f"/api/v1/customers/{owner}/contactPerson", json={"name": "Anna"})
        response = http.delete(path.format(id=cid))
        assert response.status_code == 204 and response.content == b""
        assert http.get(f"/api/v2/customers/{cid}").status_code == 404
        assert http.get(f"/api/v2/customers/{cid}/addresses").status_code == 404
        assert http.delete(path.format(id=cid)).status_code == 404
    assert sandbox.store.counts() == {"customers": 1, "addresses": 1, "contacts": 1}


def test_unknown_customer_is_a_404_problem(sandbox) -> None:
    with client(sandbox) as http:
        for response in (
            http.get("/api/v2/customers/999"),
            http.patch("/api/v2/customers/999", json={"name": "x"}),
            http.delete("/api/v2/customers/999"),
            http.get("/api/v2/customers/99999999999999999999999"),
            http.get("/api/v2/customers/abc"),
        ):
            assert response.status_code == 404
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["status"] == 404
