"""Contact-person operations (v1) over HTTP, validated against the public spec subset.

The spec's contact items forbid extra members; our responses add ``createdAt``, ``updatedAt`` and ``links``
(documented in docs/sandbox.md), so they are validated against the spec with exactly those three allowed.
"""

from __future__ import annotations

import httpx
import pytest

from .helpers import assert_valid, client, spec_request_validator, spec_response_validator

pytestmark = pytest.mark.integration

COLLECTION = "/api/v1/customers/{id}/contactPerson"
SINGLE = "/api/v1/customers/{customerId}/contactPerson/{contactPersonId}"
FULL = {
    "type": "mrs",
    "name": "Kathleen Minority",
    "title": "Prof. Dr. Dr.",
    "birthday": "2001-02-02",
    "birthdayShowInCalendar": False,
    "sendBirthdayCard": True,
    "marketingBan": False,
    "department": "Finance",
    "subDepartment": "Controlling",
    "position": "Head of Controlling",
    "address": {
        "street": "11W 53rd St",
        "additionalStreet": "6. Floor",
        "zip": "10019",
        "city": "New York",
        "state": "NY",
        "country": "US",
    },
    "contact": {
        "phone": "+1 917 55512345",
        "fax": "+1 917 55512345-1",
        "mobile": "+1 800 55554321",
        "salutation": "Dear Mrs. Minority",
        "email": "k.m@ny.tld",
    },
    "groups": ["1", "23", "34"],
    "comment": "internal",
    "others": "other things",
}


def customer(http: httpx.Client) -> str:
    response = http.post("/api/v2/customers", json={"type": "company", "name": "ACME"})
    return response.headers["Location"].rsplit("/", 1)[-1]


def test_contact_person_operations_match_the_spec(sandbox) -> None:
    spec_request_validator(COLLECTION, "post").validate(FULL)
    with client(sandbox) as http:
        cid = customer(http)
        created = http.post(f"/api/v1/customers/{cid}/contactPerson", json=FULL)
        assert created.status_code == 201 and created.content == b""
        location = created.headers["Location"]
        pid = location.rsplit("/", 1)[-1]
        assert location == f"{sandbox.url}/api/v1/customers/{cid}/contactPerson/{pid}"

        view = http.get(location)
        assert view.status_code == 200
        assert_valid(spec_response_validator(SINGLE, "get", "200", contact_extras=True), view.json())
        shown = view.json()["data"]
        assert {k: shown[k] for k in FULL} == FULL
        assert shown["customer"] == {"id": cid}
        assert shown["links"] == {"self": location, "customer": f"{sandbox.url}/api/v2/customers/{cid}"}

        listed = http.get(f"/api/v1/customers/{cid}/contactPerson")
        assert listed.status_code == 200
        assert_valid(spec_response_validator(COLLECTION, "get", "200", contact_extras=True), listed.json())
        assert listed.json()["extra"] == {"totalCount": 1, "page": {"number": 1, "size": 10}}

        patch = {"position": "CFO", "address": {"city": "Boston"}, "groups": []}
        spec_request_validator(SINGLE, "patch").validate(patch)
        assert http.patch(location, json=patch).status_code == 204
        shown = http.get(location).json()["data"]
        assert shown["position"] == "CFO" and shown["address"]["city"] == "Boston"
        assert shown["address"]["street"] == "11W 53rd St" and shown["groups"] == []

        deleted = http.delete(location)
        assert deleted.status_code == 204 and deleted.content == b""
        assert http.get(location).status_code == 404


def test_minimal_contact_lists_with_null_type(sandbox) -> None:
    with client(sandbox) as http:
        cid = customer(http)
        http.post(f"/api/v1/customers/{cid}/contactPerson", json={"name": "Anna"})
        listed = http.get(f"/api/customers/{cid}/contactPerson").json()
    assert_valid(spec_response_validator(COLLECTION, "get", "200", contact_extras=True), listed)
    assert listed["data"][0]["type"] is None


@pytest.mark.parametrize(
    ("body", "violations"),
    [
        ({}, {"name": ["This field is missing."]}),
        ({"name": "  "}, {"name": ["This value should not be blank."]}),
        (
            {"name": "A", "type": "dr"},
            {"type": ["The value you selected is not a valid choice (company, mr, mrs, other)."]},
        ),
        (
            {"name": "A", "contact": {"email": "x"}},
            {"contact": {"email": ["This value is not a valid email address."]}},
        ),
        ({"name": "A", "address": {"planet": "Mars"}}, {"address": {"planet": ["This field was not expected."]}}),
        ({"name": "A", "birthday": "01.02.2001"}, {"birthday": ["This value is not a valid date (YYYY-MM-DD)."]}),
    ],
)
def test_invalid_contact_is_a_400_matching_the_spec(sandbox, body, violations) -> None:
    with client(sandbox) as http:
        cid = customer(http)
        response = http.post(f"/api/v1/customers/{cid}/contactPerson", json=body)
    assert response.status_code == 400
    assert_valid(spec_response_validator(COLLECTION, "post", "400"), response.json())
    assert response.json()["violations"] == violations


def test_contact_of_missing_customer_or_missing_contact_is_404(sandbox) -> None:
    with client(sandbox) as http:
        cid = customer(http)
        assert http.post("/api/v1/customers/999/contactPerson", json={"name": "A"}).status_code == 404
        assert http.get(f"/api/v1/customers/{cid}/contactPerson/999").status_code == 404
        assert http.patch(f"/api/v1/customers/{cid}/contactPerson/999", json={"name": "B"}).status_code == 404
        assert http.delete(f"/api/v1/customers/{cid}/contactPerson/999").status_code == 404
