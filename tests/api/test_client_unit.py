"""The client against an in-memory API (httpx.MockTransport): paging, links, errors, retries, no duplicates."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from tests.api.fake_api import BASE, TOKEN, FakeApi, Fault

from custsync.api import ApiSettings, AsyncCustomerApi, CustomerApi, Filter
from custsync.errors import (
    AuthError,
    ConfigError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    RequestValidationError,
    ServerError,
    TransportError,
)

T = TypeVar("T")


def settings(**overrides: Any) -> ApiSettings:
    values: dict[str, Any] = {
        "url": BASE,
        "token": TOKEN,
        "requests_per_minute": 60_000,
        "retry_backoff": 0.001,
        "retry_backoff_max": 0.01,
    }
    values.update(overrides)
    return ApiSettings(**values)


def run(
    fake: FakeApi, body: Callable[[AsyncCustomerApi], Awaitable[T]], **overrides: Any
) -> tuple[T, AsyncCustomerApi]:
    async def main() -> tuple[T, AsyncCustomerApi]:
        async with AsyncCustomerApi(settings(**overrides), transport=fake.transport()) as api:
            return await body(api), api

    return asyncio.run(main())


def test_list_paginates_with_pages_of_50_and_streams_lazily() -> None:
    fake = FakeApi()
    fake.seed_customers(120)

    async def body(api: AsyncCustomerApi) -> list[int]:
        sizes = []
        async for page in api.customers.pages():
            sizes.append(len(page.items))
            if page.number == 1:
                assert len(fake.requests) == 1, "the second page is fetched only when asked for"
        return sizes

    sizes, api = run(fake, body)
    assert sizes == [50, 50, 20]
    assert [r.url.params["page[size]"] for r in fake.requests] == ["50"] * 3
    assert [r.url.params["page[number]"] for r in fake.requests] == ["1", "2", "3"]
    assert api.stats.as_dict()["GET"] == 3


def test_exact_multiple_of_page_size_costs_no_extra_call() -> None:
    fake = FakeApi()
    fake.seed_customers(100)
    items, api = run(fake, lambda api: api.customers.all())
    assert len(items) == 100
    assert api.stats.total == 2


def test_sub_resources_follow_the_customers_links() -> None:
    fake = FakeApi()

    async def body(api: AsyncCustomerApi) -> tuple[str, str]:
        cid = await api.customers.create({"number": "10001", "type": "company", "name": "ACME"})
        customer = await api.customers.get(cid)
        aid = await api.addresses(customer).create({"type": "masterdata", "name": "ACME", "country": "DE"})
        seed_style = {"id": cid, "links": {"address": customer["links"]["addresses"]}}
        assert [a["id"] for a in await api.addresses(seed_style).all()] == [aid]
        kid = await api.contacts(customer).create({"name": "Ann"})
        return aid, kid

    (aid, kid), _ = run(fake, body)
    paths = [r.url.path for r in fake.requests]
    assert "/api/customers/1/addresses" in paths  # the unversioned link, not the template
    assert "/api/customers/1/contactPerson" in paths
    assert "/api/v2/customers/1/addresses" not in paths
    assert fake.records["addresses"][aid]["customer"] == {"id": "1"}
    assert fake.records["contacts"][kid]["name"] == "Ann"


def test_templates_are_used_when_only_an_id_is_given() -> None:
    fake = FakeApi()
    fake.seed_customers(1)
    run(fake, lambda api: api.contacts("1").all())
    run(fake, lambda api: api.addresses(1).all())
    assert [r.url.path for r in fake.requests] == ["/api/v1/customers/1/contactPerson", "/api/v2/customers/1/addresses"]


def test_links_to_another_host_are_refused() -> None:
    fake = FakeApi()
    evil = {"id": "1", "links": {"addresses": "https://evil.example/api/customers/1/addresses"}}
    with pytest.raises(ConfigError, match="another host"):
        run(fake, lambda api: api.addresses(evil).all())
    assert fake.requests == []


def test_update_sends_only_the_given_fields_and_nothing_when_empty() -> None:
    fake = FakeApi()
    fake.seed_customers(1)

    async def body(api: AsyncCustomerApi) -> None:
        await api.customers.update("1", {"contact": {"email": "a@b.de"}})
        await api.customers.update("1", {})

    _, api = run(fake, body)
    assert [(r.method, r.content) for r in fake.requests] == [("PATCH", b'{"contact":{"email":"a@b.de"}}')]
    assert api.stats.as_dict()["PATCH"] == 1


def test_crud_round_trip_and_delete() -> None:
    fake = FakeApi()

    async def body(api: AsyncCustomerApi) -> dict[str, Any]:
        cid = await api.customers.create({"number": "7", "type": "company", "name": "X"})
        found = await api.customers.find_by_number("7")
        assert found is not None and found["id"] == cid
        await api.customers.delete(found)  # by its links.self
        assert await api.customers.find_by_number("7") is None
        return api.stats.as_dict()

    stats, _ = run(fake, body)
    assert fake.all("customers") == []
    assert (stats["POST"], stats["GET"], stats["DELETE"], stats["total"]) == (1, 2, 1, 4)
    assert stats["by_resource"]["customers"] == {"POST": 1, "GET": 2, "DELETE": 1}


@pytest.mark.parametrize(
    ("call", "error", "status"),
    [
        (lambda api: api.customers.get("999", key="C999"), NotFoundError, 404),
        (lambda api: api.customers.create({"number": "C1", "type": "company"}), RequestValidationError, 400),
    ],
)
def test_answers_map_to_the_error_tree_with_method_path_and_key(call: Any, error: type, status: int) -> None:
    with pytest.raises(error) as info:
        run(FakeApi(), call)
    exc = info.value
    assert exc.status == status
    assert exc.key in ("C999", "C1")
    assert exc.path.startswith("/api/v2/customers")
    assert exc.method in ("GET", "POST")
    if isinstance(exc, RequestValidationError):
        assert exc.violations == {"name": ["This value is required."]}
        assert "name: This value is required." in str(exc)


def test_conflict_and_auth_errors() -> None:
    fake = FakeApi()
    fake.seed_customers(1)
    with pytest.raises(ConflictError, match="exists"):
        run(fake, lambda api: api.customers.create({"number": "C0000", "type": "company", "name": "X"}))
    with pytest.raises(AuthError) as info:
        run(fake, lambda api: api.customers.all(), token="wrong")
    assert "CUSTSYNC_API_TOKEN" in (info.value.hint or "")


def test_get_is_retried_on_5xx_and_transport_errors_then_gives_up() -> None:
    fake = FakeApi()
    fake.seed_customers(1)
    fake.fail(Fault("500", "GET"), Fault("commit_then_drop", "GET"))
    items, api = run(fake, lambda api: api.customers.all())
    assert len(items) == 1
    assert api.stats.retries == 2
    assert api.stats.as_dict()["by_status"] == {"200": 1, "500": 1, "RemoteProtocolError": 1}

    fake.fail(*[Fault("500", "GET") for _ in range(3)])
    with pytest.raises(ServerError) as info:
        run(fake, lambda api: api.customers.all(), max_retries=2)
    assert info.value.status == 500


def test_429_pauses_every_request_for_retry_after() -> None:
    fake = FakeApi()
    fake.seed_customers(1)
    fake.fail(Fault("429", "GET", headers={"Retry-After": "1"}))

    async def body(api: AsyncCustomerApi) -> float:
        started = time.monotonic()
        await asyncio.gather(api.customers.get("1"), api.customers.get("1"), api.customers.get("1"))
        return time.monotonic() - started

    elapsed, api = run(fake, body, concurrency=1)
    assert elapsed >= 0.95
    assert api.stats.rate_limited == 1
    assert api.stats.as_dict()["GET"] == 4


def test_429_outliving_the_retries_is_rate_limited_error() -> None:
    fake = FakeApi()
    fake.fail(*[Fault("429", "GET", headers={"Retry-After": "0"}) for _ in range(2)])
    with pytest.raises(RateLimitedError):
        run(fake, lambda api: api.customers.all(), max_retries=1)


def test_limiter_spaces_requests_to_the_configured_rate() -> None:
    fake = FakeApi()
    fake.seed_customers(1)

    async def body(api: AsyncCustomerApi) -> float:
        started = time.monotonic()
        await asyncio.gather(*(api.customers.get("1") for _ in range(6)))
        return time.monotonic() - started

    elapsed, _ = run(fake, body, requests_per_minute=600)
    assert elapsed >= 0.45  # 6 requests at 10/s: the first leaves at once, five wait 0.1 s each


# -- creates never duplicate ---------------------------------------------------------------------------------


def test_customer_create_committed_then_500_is_found_by_number_not_sent_again() -> None:
    fake = FakeApi()
    fake.fail(Fault("commit_then_500", "POST"))
    cid, api = run(fake, lambda api: api.customers.create({"number": "N1", "type": "company", "name": "X"}))
    assert [c["id"] for c in fake.all("customers")] == [cid]
    assert api.stats.recovered_creates == 1
    assert api.stats.as_dict()["POST"] == 1


def test_customer_create_that_failed_before_commit_is_sent_again_after_checking() -> None:
    fake = FakeApi()
    fake.fail(Fault("500", "POST"), Fault("429", "POST", headers={"Retry-After": "0"}))
    cid, api = run(fake, lambda api: api.customers.create({"number": "N1", "type": "company", "name": "X"}))
    assert [c["id"] for c in fake.all("customers")] == [cid]
    stats = api.stats.as_dict()
    assert (stats["POST"], stats["GET"], stats["recovered_creates"]) == (3, 2, 0)


def test_not_sent_post_is_retried_without_a_lookup() -> None:
    fake = FakeApi()
    fake.fail(Fault("connect_error", "POST"))
    _, api = run(fake, lambda api: api.customers.create({"number": "N1", "type": "company", "name": "X"}))
    assert len(fake.all("customers")) == 1
    assert api.stats.as_dict()["GET"] == 0


def test_conflict_after_an_uncertain_post_resolves_to_the_existing_record() -> None:
    fake = FakeApi()
    fake.seed_customers(1)
    # the first POST commits and fails; the lookup happens to miss (a racing reader); the re-POST gets 409
    fake.fail(Fault("commit_then_500", "POST"))
    body = {"number": "N1", "type": "company", "name": "X"}

    async def scenario(api: AsyncCustomerApi) -> str:
        real = api.customers.find_by_number
        misses = iter([True])

        async def flaky_lookup(number: str) -> Any:
            return None if next(misses, False) else await real(number)

        api.customers.find_by_number = flaky_lookup  # type: ignore[method-assign]
        return await api.customers.create(body)

    cid, api = run(fake, scenario)
    assert [c["id"] for c in fake.all("customers") if c["number"] == "N1"] == [cid]
    assert api.stats.recovered_creates == 1


def test_customer_without_number_is_not_blindly_retried() -> None:
    fake = FakeApi()
    fake.fail(Fault("commit_then_500", "POST"))
    with pytest.raises(ServerError) as info:
        run(fake, lambda api: api.customers.create({"type": "company", "name": "X"}))
    assert "may or may not have taken effect" in str(info.value)
    assert "no number" in str(info.value)
    assert len(fake.all("customers")) == 1
    assert [r.method for r in fake.requests] == ["POST"]


@pytest.mark.parametrize("kind", ["commit_then_500", "commit_then_drop"])
def test_sub_resource_create_is_matched_by_key_fields_after_an_uncertain_post(kind: str) -> None:
    fake = FakeApi()
    fake.seed_customers(1)
    fake.fail(Fault(kind, "POST", "/addresses"), Fault(kind, "POST", "/contactPerson"))

    async def body(api: AsyncCustomerApi) -> tuple[str, str]:
        customer = await api.customers.get("1")
        aid = await api.addresses(customer).create(
            {"type": "deliveryaddress", "name": "Dock 1", "street": "A 1", "zip": "1", "city": "B", "country": "DE"}
        )
        kid = await api.contacts(customer).create({"name": "Ann"}, match=lambda item: item["name"] == "Ann")
        return aid, kid

    (aid, kid), api = run(fake, body)
    assert [a["id"] for a in fake.all("addresses")] == [aid]
    assert [c["id"] for c in fake.all("contacts")] == [kid]
    assert api.stats.recovered_creates == 2


def test_transport_error_outliving_retries_is_transport_error() -> None:
    fake = FakeApi()
    fake.fail(*[Fault("connect_error", "GET") for _ in range(2)])
    with pytest.raises(TransportError) as info:
        run(fake, lambda api: api.customers.all(), max_retries=1)
    assert info.value.__cause__ is None  # the httpx error holds the request, which holds the token


def test_sync_facade_lists_creates_and_counts() -> None:
    fake = FakeApi()
    fake.seed_customers(60)
    with CustomerApi(settings(), transport=fake.transport()) as api:
        assert len(api.customers.list([Filter("customerType", "equals", "company")])) == 60
        assert [len(p.items) for p in api.customers.pages()] == [50, 10]
        cid = api.customers.create({"number": "N", "type": "company", "name": "X"})
        assert api.customers.get(cid)["number"] == "N"
        assert api.addresses(cid).create({"type": "masterdata", "name": "X", "country": "DE"})
        assert api.stats.as_dict()["total"] == 7


def test_delete_that_took_effect_before_failing_is_done_not_404() -> None:
    fake = FakeApi()
    fake.seed_customers(2)
    fake.fail(Fault("commit_then_500", "DELETE"))
    _, api = run(fake, lambda api: api.customers.delete("1"))
    assert [c["id"] for c in fake.all("customers")] == ["2"]
    assert api.stats.as_dict()["DELETE"] == 2
    route, api = run(fake, lambda api: api.customers.delete("1"))  # a plain 404 counts once a GET confirms it
    assert route == "gone" and api.stats.as_dict()["GET"] == 1
    with pytest.raises(NotFoundError):
        run(fake, lambda api: api.addresses("2").delete("99"))  # for a sub-resource a plain 404 stays an error


def test_create_out_of_retries_still_finds_a_record_the_last_attempt_made() -> None:
    fake = FakeApi()
    fake.fail(Fault("500", "POST"), Fault("commit_then_500", "POST"))
    body = {"number": "N1", "type": "company", "name": "X"}
    cid, api = run(fake, lambda api: api.customers.create(body), max_retries=1)
    assert [c["id"] for c in fake.all("customers")] == [cid]
    assert api.stats.recovered_creates == 1

    fake.fail(Fault("500", "POST"), Fault("500", "POST"))
    with pytest.raises(ServerError):
        run(fake, lambda api: api.customers.create({**body, "number": "N2"}), max_retries=1)
    assert [c["number"] for c in fake.all("customers")] == ["N1"]


def test_clients_of_one_process_share_one_rate_gate() -> None:
    fake = FakeApi()
    fake.seed_customers(1)

    async def main() -> float:
        one = AsyncCustomerApi(settings(requests_per_minute=600), transport=fake.transport())
        two = AsyncCustomerApi(settings(requests_per_minute=600), transport=fake.transport())
        started = time.monotonic()
        await asyncio.gather(*(client.customers.get("1") for client in (one, two) for _ in range(3)))
        elapsed = time.monotonic() - started
        await one.aclose()
        await two.aclose()
        return elapsed

    assert asyncio.run(main()) >= 0.45  # six requests at 10/s between them, not three each in parallel


def test_429_without_retry_after_backs_off_exponentially_for_everyone() -> None:
    from custsync.api import RateGate

    async def main() -> list[float]:
        gate = RateGate(requests_per_minute=600)
        pauses = [gate.on_rate_limited(None) for _ in range(3)]
        gate.on_success()
        pauses.append(gate.on_rate_limited(None))
        pauses.append(gate.on_rate_limited(2.5))
        return pauses

    first, second, third, after_success, told = asyncio.run(main())
    assert 1.0 <= first <= 1.25 and 2.0 <= second <= 2.5 and 4.0 <= third <= 5.0
    assert 1.0 <= after_success <= 1.25
    assert told == 2.5


def test_a_timed_out_post_gets_a_timeouts_time_before_the_lookup() -> None:
    fake = FakeApi()
    fake.seed_customers(1)
    fake.fail(Fault("commit_then_timeout", "POST"))

    async def body(api: AsyncCustomerApi) -> tuple[str, float]:
        started = time.monotonic()
        kid = await api.contacts("1").create({"name": "Ann"})
        return kid, time.monotonic() - started

    (kid, elapsed), api = run(fake, body, timeout=0.3)
    assert [c["id"] for c in fake.all("contacts")] == [kid]
    assert elapsed >= 0.3
    assert api.stats.recovered_creates == 1


def test_bad_page_size_and_malformed_list_answers_are_clear_errors() -> None:
    import httpx

    from custsync.errors import ApiError

    with pytest.raises(ValueError, match="page_size"):
        run(FakeApi(), lambda api: api.customers.all(page_size=100))

    async def main() -> None:
        transport = httpx.MockTransport(lambda request: httpx.Response(200, json=["not", "an", "envelope"]))
        async with AsyncCustomerApi(settings(), transport=transport) as api:
            await api.customers.all()

    with pytest.raises(ApiError, match=r"the list answer is a JSON list, not \{data, extra\}"):
        asyncio.run(main())
