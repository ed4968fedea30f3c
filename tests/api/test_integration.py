"""The client against the real sandbox over HTTP on 127.0.0.1: CRUD, paging, filters, links, faults, secrecy."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import pytest

from custsync.api import ApiSettings, AsyncCustomerApi, CustomerApi, Filter, Order
from custsync.api.fetch import fetch_customers, fetch_subresources
from custsync.errors import ApiError, AuthError, NotFoundError, RequestValidationError

pytestmark = pytest.mark.integration


def fast(server: Any, **overrides: Any) -> ApiSettings:
    """Settings for a local sandbox: no client-side throttling unless a test asks for it."""
    values: dict[str, Any] = {"requests_per_minute": 60_000, "retry_backoff": 0.02, "retry_backoff_max": 0.2}
    values.update(overrides)
    return ApiSettings(server.url, server.token, **values)


PRIMARY = {"name": "ACME", "street": "Hauptstr. 1", "zip": "10115", "city": "Berlin"}
"""An address's primary data besides its country: required (the seed)."""


def company(number: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"number": number, "type": "company", "name": name, **extra}


def test_full_crud_of_customers_addresses_and_contacts(sandbox: Any) -> None:
    with CustomerApi(fast(sandbox)) as api:
        cid = api.customers.create(company("10001", "ACME", contact={"email": "info@acme.example"}))
        customer = api.customers.get(cid)
        assert (customer["number"], customer["contact"]["email"]) == ("10001", "info@acme.example")

        api.customers.update(customer, {"contact": {"phone": "+49 30 1"}})
        customer = api.customers.get(cid)
        assert customer["contact"] == {**customer["contact"], "phone": "+49 30 1", "email": "info@acme.example"}

        addresses = api.addresses(customer)
        aid = addresses.create({"type": "masterdata", "name": "ACME", "street": "Hauptstr. 1", "zip": "10115",
                                "city": "Berlin", "country": "DE"})  # fmt: skip
        dock = {"type": "deliveryaddress", "name": "Dock", "street": "Kai 1", "zip": "20457", "city": "Hamburg"}
        did = addresses.create({**dock, "country": "DE"})
        addresses.update(did, {"city": "Bremen"})
        assert addresses.get(did)["city"] == "Bremen"
        assert sorted(a["id"] for a in addresses.list()) == sorted([aid, did])
        addresses.delete(addresses.get(did))
        assert [a["id"] for a in addresses.list()] == [aid]

        contacts = api.contacts(customer)
        kid = contacts.create({"name": "Ann Example", "contact": {"email": "ann@acme.example"}})
        contacts.update(kid, {"position": "CFO"})
        contact = contacts.get(kid)
        assert (contact["position"], contact["contact"]["email"]) == ("CFO", "ann@acme.example")
        contacts.delete(kid)
        assert contacts.list() == []

        api.customers.delete(cid)
        with pytest.raises(NotFoundError) as info:
            api.customers.get(cid, key="10001")
        assert (info.value.status, info.value.key, info.value.path) == (404, "10001", f"/api/v2/customers/{cid}")
        stats = api.stats.as_dict()
        assert stats["POST"] == 4 and stats["DELETE"] == 3 and stats["PATCH"] == 3
        assert set(stats["by_resource"]) == {"customers", "addresses", "contacts"}


def test_links_of_the_customer_are_followed(sandbox: Any) -> None:
    with CustomerApi(fast(sandbox)) as api:
        customer = api.customers.get(api.customers.create(company("L1", "Linked")))
        links = customer["links"]
        assert api.async_api.addresses(customer).collection_url == links["addresses"]
        assert api.async_api.contacts(customer).collection_url == links["contactPersons"]
        seed_spelling = {"links": {"address": links["addresses"], "contactPerson": links["contactPersons"]}}
        aid = api.addresses(seed_spelling).create({"type": "billingaddress", **PRIMARY, "name": "B", "country": "AT"})
        api.contacts(seed_spelling).create({"name": "Bo"})
        address = api.addresses(customer.get("id")).get(aid)  # the template URL reaches the same record
        assert address["links"]["self"].endswith(f"/api/v2/customers/{customer['id']}/addresses/{aid}")
        assert api.addresses(customer).get(address)["country"] == "AT"  # by its links.self
        assert [c["name"] for c in api.contacts(customer).list()] == ["Bo"]


def test_pagination_streams_more_than_three_pages(sandbox: Any) -> None:
    async def create_many(count: int) -> None:
        async with AsyncCustomerApi(fast(sandbox, concurrency=8)) as api:
            await asyncio.gather(*(api.customers.create(company(f"P{i:03d}", f"Paged {i}")) for i in range(count)))

    asyncio.run(create_many(153))
    with CustomerApi(fast(sandbox)) as api:
        pages = list(api.customers.pages(order=[Order("number", "asc")]))
        assert [len(page.items) for page in pages] == [50, 50, 50, 3]
        assert [page.total for page in pages] == [153] * 4
        assert api.stats.as_dict()["GET"] == 4
        numbers = [c["number"] for page in pages for c in page.items]
        assert numbers == [f"P{i:03d}" for i in range(153)]


OPERATOR_CASES = [
    (Filter("number", "equals", "F2"), {"F2"}),
    (Filter("number", "notEquals", "F2"), {"F1", "F3", "F4", "F5"}),
    (Filter("number", "in", ["F1", "F4"]), {"F1", "F4"}),
    (Filter("number", "notIn", ["F1", "F4"]), {"F2", "F3", "F5"}),
    (Filter("name", "contains", "ph"), {"F1", "F2"}),
    (Filter("name", "notContains", "ph"), {"F3", "F4", "F5"}),
    (Filter("name", "startsWith", "Al"), {"F1"}),
    (Filter("name", "endsWith", "a"), {"F1", "F2", "F4"}),
    (Filter("creditLimit", "greaterThan", 300), {"F4", "F5"}),
    (Filter("creditLimit", "lessThan", 300), {"F1", "F2"}),
    (Filter("creditLimit", "greaterThanOrEquals", 300), {"F3", "F4", "F5"}),
    (Filter("creditLimit", "lessThanOrEquals", 300), {"F1", "F2", "F3"}),
    (Filter("creditLimit", "between", (200, 400)), {"F2", "F3", "F4"}),
    (Filter("email", "is", None), {"F5"}),
    (Filter("email", "is", "notNull"), {"F1", "F2", "F3", "F4"}),
]


def test_every_filter_operator(sandbox: Any) -> None:
    names = ["Alpha", "Sophia", "Gamma Ltd", "Delta", "Epsilon GmbH"]
    with CustomerApi(fast(sandbox)) as api:
        for i, name in enumerate(names, start=1):
            email = {"email": f"f{i}@example.com"} if i < 5 else {}
            cid = api.customers.create(company(f"F{i}", name, contact=email))
            api.customers.update(cid, {"financial": {"creditLimit": 100.0 * i}})  # not a member of the create body
        for flt, expected in OPERATOR_CASES:
            got = {c["number"] for c in api.customers.list([flt])}
            assert got == expected, flt
        combined = api.customers.list([Filter("name", "contains", "a"), Filter("creditLimit", "lessThan", 250)])
        assert {c["number"] for c in combined} == {"F1", "F2"}
        ordered = api.customers.list(order=[Order("name", "desc")])
        assert [c["name"] for c in ordered] == sorted(names, reverse=True)
        with pytest.raises(RequestValidationError, match="unknown filter key"):
            api.customers.list([Filter("shoeSize", "equals", "42")])


def test_fetch_gives_canonical_frames_of_the_sandbox(sandbox: Any) -> None:
    with CustomerApi(fast(sandbox)) as api:
        for n in ("A1", "A2"):
            customer = api.customers.get(api.customers.create(company(n, f"Co {n}")))
            api.addresses(customer).create({"type": "masterdata", **PRIMARY, "name": f"Co {n}", "country": "DE"})
            api.contacts(customer).create({"name": f"Person {n}"})
        customers = fetch_customers(api)
        assert customers["number"].tolist() == ["A1", "A2"]
        frames = fetch_subresources(api, customers)
        assert frames["addresses"]["customerNumber"].tolist() == ["A1", "A2"]
        assert frames["contacts"]["name"].tolist() == ["Person A1", "Person A2"]


@pytest.mark.invalid_bodies
def test_token_never_in_logs_errors_or_reprs_over_http(sandbox: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with CustomerApi(fast(sandbox)) as api:
        cid = api.customers.create(company("S1", "Secret Test"))
        for call in (
            lambda: api.customers.get("999999"),
            lambda: api.customers.create(company("S1", "dup")),
            lambda: api.customers.update(cid, {"type": "robot"}),
            lambda: api.addresses(cid).create({"type": "nowhere"}),
        ):
            with pytest.raises(ApiError) as info:
                call()
            texts += [str(info.value), repr(info.value), str(info.value.to_dict())]
        texts += [repr(api), repr(api.settings), repr(api.customers)]
    with CustomerApi(ApiSettings(sandbox.url, "wrong-token", max_retries=0)) as bad, pytest.raises(AuthError) as info:
        bad.customers.list()
    texts += [str(info.value), repr(info.value)]
    texts += [record.getMessage() for record in caplog.records]
    assert any("POST /api/v2/customers" in t for t in texts)
    assert not [t for t in texts if sandbox.token in t]


# -- faults: no duplicates, whatever the server does -----------------------------------------------------------


def _write_everything(settings: ApiSettings, count: int) -> dict[str, Any]:
    async def one(api: AsyncCustomerApi, i: int) -> None:
        number = f"R{i:05d}"
        cid = await api.customers.create(company(number, f"Reliable {i}"))
        customer = {"id": cid, "number": number}
        await api.addresses(customer).create(
            {"type": "masterdata", **PRIMARY, "name": f"Reliable {i}", "country": "DE"}
        )
        await api.addresses(customer).create(
            {
                "type": "deliveryaddress",
                "name": "Dock",
                "street": f"Quay {i}",
                "zip": "24103",
                "city": "Kiel",
                "country": "DE",
            }
        )
        await api.contacts(customer).create({"name": f"Contact {i}"})
        await api.customers.update(cid, {"department": "Ops"}, key=number)
        temporary = await api.contacts(customer).create({"name": f"Temporary {i}"})
        await api.contacts(customer).delete(temporary)

    async def main() -> dict[str, Any]:
        async with AsyncCustomerApi(settings) as api:
            await asyncio.gather(*(one(api, i) for i in range(count)))
            return api.stats.as_dict()

    return asyncio.run(main())


def _assert_exactly(server: Any, count: int) -> None:
    """Read back through a client (GETs retry safely under the same faults) and compare with what was meant."""
    with CustomerApi(fast(server, max_retries=15)) as api:
        customers = fetch_customers(api)
        assert sorted(customers["number"]) == [f"R{i:05d}" for i in range(count)]
        assert set(customers["department"]) == {"Ops"}
        frames = fetch_subresources(api, customers)
    addresses, contacts = frames["addresses"], frames["contacts"]
    assert len(addresses) == 2 * count
    assert not addresses.duplicated(["customerNumber", "type"]).any()
    assert sorted(contacts["name"]) == sorted(f"Contact {i}" for i in range(count))
    assert not contacts.duplicated(["customerNumber"]).any()


def _fault_run(sandbox_factory: Any, count: int, seed: int) -> dict[str, Any]:
    server = sandbox_factory(fail_rate=0.2, fail_after_commit_rate=0.1, drop_rate=0.05, seed=seed)
    stats = _write_everything(fast(server, max_retries=15, concurrency=8), count)
    _assert_exactly(server, count)
    return stats


def test_faulty_server_ends_with_exactly_the_expected_records(sandbox_factory: Any) -> None:
    stats = _fault_run(sandbox_factory, 60, seed=11)
    assert stats["retries"] > 0 and stats["recovered_creates"] > 0  # the faults really happened


@pytest.mark.reliability
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_faulty_server_500_customers_no_duplicates(sandbox_factory: Any, request: pytest.FixtureRequest) -> None:
    if not (
        request.config.getoption("--reliability-full", default=False) or os.environ.get("CUSTSYNC_RELIABILITY_FULL")
    ):
        pytest.skip("full soak: run `make reliability` (or set CUSTSYNC_RELIABILITY_FULL=1)")
    stats = _fault_run(sandbox_factory, 500, seed=5)
    assert stats["recovered_creates"] > 0
