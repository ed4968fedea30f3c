"""List filters, ordering and pagination of the three collections (one read-only server for the module)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from custsync.sandbox import query
from custsync.sandbox.testing import SandboxServer, run_sandbox

from .helpers import PRIMARY, assert_valid, client, create_customer, spec_response_validator

pytestmark = pytest.mark.integration

CUSTOMERS = [
    {
        "number": "A1",
        "type": "person",
        "firstname": "Anna",
        "lastname": "Schmidt",
        "groups": ["1", "2"],
        "contact": {"email": "anna@example.de", "phone": "+49 30 1"},
        "financial": {"creditLimit": 1000.0, "vatId": None},
        "shipping": {"deliveryBan": True},
        "birthdate": "1980-05-01",
        "master": {"street": "Hauptstr. 1", "zip": "10115", "city": "Berlin", "country": "DE"},
    },
    {
        "number": "A2",
        "type": "company",
        "name": "Müller GmbH",
        "groups": ["2"],
        "contact": {"email": "info@mueller.de"},
        "financial": {"creditLimit": 5000.0, "vatId": "DE123"},
        "master": {"street": "Ring 5", "zip": "80331", "city": "München", "country": "DE"},
    },
    {
        "number": "B1",
        "type": "company",
        "name": "Wiener Kaffee 100%_AG",
        "contact": {"email": "office@kaffee.at"},
        "financial": {"creditLimit": 250.5},
        "master": {"street": "Gasse 2", "zip": "1010", "city": "Wien", "country": "AT"},
    },
    {
        "number": "C1",
        "type": "person",
        "firstname": "Zoë",
        "lastname": "Dupont",
        "contact": {"email": None},
        "master": None,
    },
]


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with run_sandbox() as running, client(running) as http:
        for spec in CUSTOMERS:
            body = {k: v for k, v in spec.items() if k != "master"}
            cid = create_customer(http, body).headers["Location"].rsplit("/", 1)[-1]
            if spec["master"]:
                master = {"type": "masterdata", **PRIMARY, **spec["master"]}
                assert http.post(f"/api/v2/customers/{cid}/addresses", json=master).status_code == 201
                http.post(
                    f"/api/v2/customers/{cid}/addresses",
                    json={"type": "deliveryaddress", **PRIMARY, "country": "FR", "city": "Paris"},
                )
            for name, kind in (("Erika Muster", "mrs"), ("Hans Meier", "mr")):
                http.post(
                    f"/api/v1/customers/{cid}/contactPerson",
                    json={
                        "name": name,
                        "type": kind,
                        "contact": {"email": f"{name[0]}@{spec['number']}.de"},
                        "marketingBan": kind == "mr",
                        "groups": ["7"] if kind == "mr" else [],
                    },
                )
        yield running


def numbers(server: SandboxServer, params: Any) -> list[str]:
    with client(server) as http:
        response = http.get("/api/v2/customers", params=params)
    assert response.status_code == 200, response.text
    return [c["number"] for c in response.json()["data"]]


def f(key: str, op: str, value: Any = None, **extra: str) -> list[tuple[str, str]]:
    params = [("filter[0][key]", key), ("filter[0][op]", op)]
    if isinstance(value, list):
        params += [("filter[0][value][]", v) for v in value]
    elif value is not None:
        params.append(("filter[0][value]", value))
    params += [(f"filter[0][{k}]", v) for k, v in extra.items()]
    return params


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (f("number", "equals", "A1"), ["A1"]),
        (f("search", "contains", "mueller"), ["A2"]),
        (f("search", "contains", "b1"), ["B1"]),
        (f("number", "notEquals", "A1"), ["A2", "B1", "C1"]),
        (f("number", "in", ["A1", "B1"]), ["A1", "B1"]),
        (f("number", "notIn", ["A1", "B1"]), ["A2", "C1"]),
        (f("number", "startsWith", "A"), ["A1", "A2"]),
        (f("name", "contains", "üller"), ["A2"]),
        (f("name", "contains", "100%_"), ["B1"]),
        (f("name", "notContains", "GmbH"), ["A1", "B1", "C1"]),
        (f("name", "endsWith", "Dupont"), ["C1"]),
        (f("name", "equals", "Anna Schmidt"), ["A1"]),
        (f("firstname", "equals", "Zoë"), ["C1"]),
        (f("lastname", "in", ["Schmidt", "Dupont"]), ["A1", "C1"]),
        (f("customerType", "equals", "company"), ["A2", "B1"]),
        (f("email", "endsWith", ".de"), ["A1", "A2"]),
        (f("email", "is", "null"), ["C1"]),
        (f("email", "is", "notNull"), ["A1", "A2", "B1"]),
        (f("phone", "startsWith", "+49"), ["A1"]),
        (f("city", "equals", "Berlin"), ["A1"]),
        (f("city", "equals", "Paris"), []),  # delivery addresses do not count, only masterdata
        (f("country", "equals", "AT"), ["B1"]),
        (f("zip", "startsWith", "8"), ["A2"]),
        (f("street", "contains", "str"), ["A1"]),
        (f("creditLimit", "greaterThan", "999"), ["A1", "A2"]),
        (f("creditLimit", "lessThanOrEquals", "1000"), ["A1", "B1"]),
        (f("creditLimit", "between", None, **{"from": "200", "to": "1000"}), ["A1", "B1"]),
        (f("vatId", "equals", "DE123"), ["A2"]),
        (f("vatNumber", "equals", "DE123"), ["A2"]),
        (f("group", "equals", "2"), ["A1", "A2"]),
        (f("group", "in", ["1", "9"]), ["A1"]),
        (f("group", "notEquals", "2"), ["B1", "C1"]),
        (f("deliveryBan", "equals", "true"), ["A1"]),
        (f("birthdate", "lessThan", "1990-01-01"), ["A1"]),
        (f("id", "greaterThanOrEquals", "3"), ["B1", "C1"]),
        (f("createdAt", "greaterThan", "2000-01-01T00:00:00Z"), ["A1", "A2", "B1", "C1"]),
        (f("updatedAt", "lessThan", "2000-01-01T00:00:00+00:00"), []),
    ],
)
def test_customer_filters(server, params, expected) -> None:
    assert numbers(server, params) == expected


def test_customer_filters_are_more_than_twenty_and_and_combined(server) -> None:
    assert len(query.CUSTOMER_KEYS) > 20 and len(query.CONTACT_KEYS) > 20
    params = [
        *f("customerType", "equals", "company"),
        ("filter[1][key]", "country"),
        ("filter[1][op]", "equals"),
        ("filter[1][value]", "DE"),
    ]
    assert numbers(server, params) == ["A2"]


def test_updated_at_filter_supports_incremental_reads(server) -> None:
    with client(server) as http:
        rows = http.get("/api/v2/customers", params={"order[0][field]": "updatedAt"}).json()["data"]
    stamps = [r["updatedAt"] for r in rows]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert numbers(server, f("updatedAt", "greaterThan", stamps[1])) == sorted(r["number"] for r in rows[2:])
    assert numbers(server, f("updatedAt", "greaterThanOrEquals", stamps[1])) == sorted(r["number"] for r in rows[1:])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([("order[0][field]", "number"), ("order[0][dir]", "desc")], ["C1", "B1", "A2", "A1"]),
        (
            [
                ("order[0][field]", "customerType"),
                ("order[0][dir]", "asc"),
                ("order[1][field]", "number"),
                ("order[1][dir]", "desc"),
            ],
            ["B1", "A2", "C1", "A1"],
        ),
        ([("order[0][field]", "creditLimit"), ("order[0][dir]", "asc")], ["C1", "B1", "A1", "A2"]),
        ([("order[0][field]", "city")], ["C1", "A1", "A2", "B1"]),
    ],
)
def test_customer_ordering(server, params, expected) -> None:
    assert numbers(server, params) == expected


def test_pagination(server) -> None:
    with client(server) as http:
        pages = [http.get("/api/v2/customers", params={"page[number]": n, "page[size]": 3}).json() for n in (1, 2, 3)]
    assert [[c["number"] for c in p["data"]] for p in pages] == [["A1", "A2", "B1"], ["C1"], []]
    assert pages[1]["extra"] == {"totalCount": 4, "page": {"number": 2, "size": 3}}


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        (f("colour", "equals", "red"), "unknown filter key 'colour'"),
        (f("name", "like", "x"), "unknown operator 'like'"),
        (f("deliveryBan", "contains", "t"), "operator 'contains' cannot be used with key 'deliveryBan'"),
        (f("creditLimit", "greaterThan", "lots"), "'lots' is not a number"),
        (f("updatedAt", "greaterThan", "yesterday"), "not an ISO 8601 timestamp"),
        (f("name", "between", None, **{"from": "a"}), "'between' needs"),
        (f("name", "is", "maybe"), "'is' takes"),
        ([("filter[0][key]", "name")], "needs both 'key' and 'op'"),
        ([("filter[0][value]", "x")], "needs both 'key' and 'op'"),
        ([("filter", "name")], "Malformed query parameter 'filter'"),
        ([("order[0][field]", "secret")], "unknown order field 'secret'"),
        ([("order[0][field]", "name"), ("order[0][dir]", "up")], "dir must be 'asc' or 'desc'"),
        ([("page[size]", "51")], "page[size] must be an integer between 1 and 50"),
        ([("page[size]", "0")], "page[size] must be an integer between 1 and 50"),
        ([("page[number]", "x")], "page[number] must be an integer at least 1"),
    ],
)
def test_bad_query_is_a_400_problem_naming_the_parameter(server, params, fragment) -> None:
    with client(server) as http:
        response = http.get("/api/v2/customers", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert_valid(spec_response_validator("/api/v1/customers/{id}/contactPerson", "get", "400"), problem)
    assert any(fragment in message for message in problem["messages"]), problem


def _contacts(server: SandboxServer, params: Any, customer: str = "1") -> list[str]:
    with client(server) as http:
        response = http.get(f"/api/v1/customers/{customer}/contactPerson", params=params)
    assert response.status_code == 200, response.text
    return [c["name"] for c in response.json()["data"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (f("type", "equals", "mrs"), ["Erika Muster"]),
        (f("name", "startsWith", "Hans"), ["Hans Meier"]),
        (f("email", "equals", "E@A1.de"), ["Erika Muster"]),
        (f("marketingBan", "equals", "true"), ["Hans Meier"]),
        (f("group", "equals", "7"), ["Hans Meier"]),
        (f("country", "is", "null"), ["Erika Muster", "Hans Meier"]),
        ([("order[0][field]", "name"), ("order[0][dir]", "desc")], ["Hans Meier", "Erika Muster"]),
        ([("order[0][field]", "customerId")], ["Erika Muster", "Hans Meier"]),
    ],
)
def test_contact_filters(server, params, expected) -> None:
    assert _contacts(server, params) == expected


def test_contact_filter_keys_cover_the_spec_enum() -> None:
    spec_keys = {
        "type",
        "name",
        "title",
        "birthday",
        "birthdayShowInCalendar",
        "sendBirthdayCard",
        "marketingBan",
        "department",
        "subDepartment",
        "position",
        "street",
        "additionalStreet",
        "zip",
        "city",
        "state",
        "country",
        "phone",
        "fax",
        "mobile",
        "salutation",
        "email",
        "group",
    }
    assert spec_keys <= set(query.CONTACT_KEYS)


def test_address_type_filter_and_unknown_key(server) -> None:
    with client(server) as http:
        listed = http.get("/api/v2/customers/1/addresses", params=f("type", "equals", "masterdata")).json()
        assert [a["city"] for a in listed["data"]] == ["Berlin"]
        listed = http.get("/api/customers/1/addresses", params=f("type", "in", ["masterdata", "deliveryaddress"]))
        assert listed.json()["extra"]["totalCount"] == 2
        bad = http.get("/api/v2/customers/1/addresses", params=f("colour", "equals", "x"))
        assert bad.status_code == 400


def test_list_requires_an_existing_customer(server) -> None:
    with client(server) as http:
        assert http.get("/api/v1/customers/999/contactPerson").status_code == 404


def test_query_parse_unit() -> None:
    parsed = query.parse(f("number", "in", ["a", "b"]), query.CUSTOMER_KEYS)
    assert parsed.where == ["t.number IN (?, ?)"] and parsed.params == ["a", "b"]
    assert parsed.order == "t.id ASC" and (parsed.page, parsed.size, parsed.offset) == (1, 10, 0)
    with pytest.raises(Exception) as info:
        query.parse([("page[size]", "100")], query.CUSTOMER_KEYS)
    assert info.value.status == 400  # type: ignore[attr-defined]
