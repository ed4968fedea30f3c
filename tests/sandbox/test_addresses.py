"""Address operations (v2, and the unversioned form the customer's links use) over HTTP."""

from __future__ import annotations

import httpx
import pytest

from .helpers import PRIMARY, assert_valid, client, served_response_validator, spec_response_validator

pytestmark = pytest.mark.integration

MASTER = {
    "type": "masterdata",
    "name": "Müller GmbH",
    "street": "Hauptstr. 1",
    "zip": "10115",
    "city": "Berlin",
    "country": "DE",
}


def customer(http: httpx.Client, number: str = "1") -> str:
    response = http.post("/api/v2/customers", json={"type": "company", "name": "Müller GmbH", "number": number})
    return response.headers["Location"].rsplit("/", 1)[-1]


@pytest.mark.parametrize("prefix", ["/api/v2/customers", "/api/customers"])
def test_address_crud(sandbox, prefix) -> None:
    with client(sandbox) as http:
        cid = customer(http)
        created = http.post(f"{prefix}/{cid}/addresses", json=MASTER)
        assert created.status_code == 201 and created.content == b""
        location = created.headers["Location"]
        assert location.startswith(f"{sandbox.url}/api/v2/customers/{cid}/addresses/")
        aid = location.rsplit("/", 1)[-1]
        view = http.get(f"{prefix}/{cid}/addresses/{aid}")
        assert view.status_code == 200
        assert_valid(
            served_response_validator("/api/v2/customers/{id}", "get", "200"),
            http.get(f"/api/v2/customers/{cid}").json(),
        )
        assert_valid(
            served_response_validator("/api/v2/customers/{customerId}/addresses/{id}", "get", "200"), view.json()
        )
        shown = view.json()["data"]
        assert shown | MASTER == shown
        assert shown["customer"] == {"id": cid}
        assert shown["addressSupplement"] is None and shown["defaultDeliveryAddress"] is None
        assert shown["links"] == {"self": location, "customer": f"{sandbox.url}/api/v2/customers/{cid}"}
        patched = http.patch(f"{prefix}/{cid}/addresses/{aid}", json={"city": "Potsdam", "department": None})
        assert patched.status_code == 204
        shown = http.get(location).json()["data"]
        assert (shown["city"], shown["zip"], shown["street"]) == ("Potsdam", "10115", "Hauptstr. 1")
        refused = http.patch(f"{prefix}/{cid}/addresses/{aid}", json={"zip": None})
        assert refused.status_code == 400 and refused.json()["violations"] == {
            "zip": ["This value should not be null."]
        }
        listed = http.get(f"{prefix}/{cid}/addresses")
        assert_valid(served_response_validator("/api/v2/customers/{customerId}/addresses", "get", "200"), listed.json())
        assert [a["id"] for a in listed.json()["data"]] == [aid]
        assert http.delete(f"{prefix}/{cid}/addresses/{aid}").status_code == 204
        assert http.get(location).status_code == 404
        assert http.delete(f"{prefix}/{cid}/addresses/{aid}").status_code == 404


def test_one_masterdata_and_one_billing_address_but_many_delivery_addresses(sandbox) -> None:
    with client(sandbox) as http:
        cid = customer(http)
        base = f"/api/v2/customers/{cid}/addresses"
        assert http.post(base, json=MASTER).status_code == 201
        second = http.post(base, json={**MASTER, "street": "Nebenstr. 2"})
        assert second.status_code == 409
        assert second.json()["type"] == "https://api.xentral.biz/problems/conflict"
        assert_valid(spec_response_validator("/api/v2/customers", "post", "400"), second.json())
        billing = {"type": "billingaddress", **PRIMARY, "country": "AT"}
        assert http.post(base, json=billing).status_code == 201
        assert http.post(base, json=billing).status_code == 409
        for street in ("A", "B", "C"):
            delivery = {"type": "deliveryaddress", **PRIMARY, "country": "DE", "street": street}
            assert http.post(base, json=delivery).status_code == 201
        delivery = http.get(
            base, params={"filter[0][key]": "type", "filter[0][op]": "equals", "filter[0][value]": "deliveryaddress"}
        ).json()
        assert delivery["extra"]["totalCount"] == 3
        # turning a delivery address into a second masterdata address is the same conflict
        first_delivery = delivery["data"][0]["id"]
        assert http.patch(f"{base}/{first_delivery}", json={"type": "masterdata"}).status_code == 409
        # another customer may have its own masterdata address
        other = customer(http, "2")
        assert http.post(f"/api/v2/customers/{other}/addresses", json=MASTER).status_code == 201


@pytest.mark.parametrize(
    ("body", "violations"),
    [
        ({**PRIMARY, "country": "DE"}, {"type": ["This field is missing."]}),
        ({**PRIMARY, "type": "masterdata"}, {"country": ["This field is missing."]}),
        (
            {"type": "masterdata", "country": "DE"},
            {k: ["This field is missing."] for k in ("city", "name", "street", "zip")},
        ),
        (
            {**PRIMARY, "type": "shipping", "country": "DE"},
            {"type": ["The value you selected is not a valid choice (masterdata, billingaddress, deliveryaddress)."]},
        ),
        ({**MASTER, "country": "Germany"}, {"country": ["This value is not valid."]}),
        (
            {**MASTER, "country": "XX"},
            {"country": ["This value is not a valid ISO 3166-1 alpha-2 country code."]},
        ),
        ({**MASTER, "street": ""}, {"street": ["This value should not be blank."]}),
        (
            {**MASTER, "defaultDeliveryAddress": "yes"},
            {"defaultDeliveryAddress": ["This value should be of type boolean."]},
        ),
    ],
)
def test_invalid_address_is_a_400(sandbox, body, violations) -> None:
    with client(sandbox) as http:
        cid = customer(http)
        response = http.post(f"/api/v2/customers/{cid}/addresses", json=body)
    assert response.status_code == 400
    assert response.json()["violations"] == violations


def test_addresses_of_another_customer_or_of_a_missing_customer_are_404(sandbox) -> None:
    with client(sandbox) as http:
        first, second = customer(http, "1"), customer(http, "2")
        location = http.post(f"/api/v2/customers/{first}/addresses", json=MASTER).headers["Location"]
        aid = location.rsplit("/", 1)[-1]
        assert http.get(f"/api/v2/customers/{second}/addresses/{aid}").status_code == 404
        assert http.patch(f"/api/v2/customers/{second}/addresses/{aid}", json={"city": "X"}).status_code == 404
        assert http.delete(f"/api/v2/customers/{second}/addresses/{aid}").status_code == 404
        assert http.post("/api/v2/customers/999/addresses", json=MASTER).status_code == 404
        assert http.get("/api/v2/customers/999/addresses").status_code == 404


def test_sub_resource_writes_touch_the_customer_updated_at(sandbox) -> None:
    with client(sandbox) as http:
        cid = customer(http)
        before = http.get(f"/api/v2/customers/{cid}").json()["data"]["updatedAt"]
        http.post(f"/api/v2/customers/{cid}/addresses", json=MASTER)
        after = http.get(f"/api/v2/customers/{cid}").json()["data"]["updatedAt"]
    assert after > before
