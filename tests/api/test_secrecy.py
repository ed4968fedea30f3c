"""The token never appears in a log record, an exception text or a repr — whatever goes wrong."""

from __future__ import annotations

import asyncio
import logging
import pickle

import httpx
import pytest
from tests.api.fake_api import BASE, TOKEN, FakeApi, Fault

from custsync.api import ApiSettings, AsyncCustomerApi, CustomerApi
from custsync.errors import ApiError


def _everything_that_goes_wrong(api: AsyncCustomerApi, fake: FakeApi) -> list[BaseException]:
    caught: list[BaseException] = []

    async def main() -> None:
        calls = [
            ((), api.customers.get("404")),
            ((), api.customers.create({"number": "1", "type": "company"})),  # 400
            ([Fault("500", "GET")] * 3, api.customers.all()),  # 500s until the retries run out
            ([Fault("commit_then_drop", "POST")], api.customers.create({"type": "company", "name": "X"})),
            ((), api.addresses("404").all()),
        ]
        for faults, call in calls:
            fake.fail(*faults)
            try:
                await call
            except ApiError as exc:
                caught.append(exc)

    asyncio.run(main())
    return caught


def test_token_is_in_no_log_record_exception_or_repr(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeApi()
    settings = ApiSettings(BASE, TOKEN, requests_per_minute=60_000, retry_backoff=0.001, max_retries=2)
    api = AsyncCustomerApi(settings, transport=fake.transport())
    errors = _everything_that_goes_wrong(api, fake)

    assert len(errors) == 5
    assert caplog.records, "the client logs its requests at DEBUG"
    texts = [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records]
    for exc in errors:
        assert isinstance(exc, ApiError)
        texts += [str(exc), repr(exc), str(exc.to_dict()), str(exc.hint), repr(exc.__cause__), repr(exc.__context__)]
    texts += [repr(api), repr(settings), str(settings), repr(api.customers), repr(api.stats), str(api.stats.as_dict())]
    with CustomerApi(settings, transport=fake.transport()) as sync_api:
        texts += [repr(sync_api), repr(sync_api.customers)]
    leaks = [t for t in texts if TOKEN in t or TOKEN[4:12] in t]
    assert not leaks
    assert all(fake.requests[0].headers["Authorization"] == r.headers["Authorization"] for r in fake.requests)
    with pytest.raises(TypeError):
        pickle.dumps(settings)


def test_token_not_in_transport_error_from_a_real_socket(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = ApiSettings("http://127.0.0.1:9", TOKEN, max_retries=1, retry_backoff=0.001, timeout=2)

    async def main() -> ApiError:
        async with AsyncCustomerApi(settings) as api:
            try:
                await api.customers.all()
            except ApiError as exc:
                return exc
        raise AssertionError("port 9 answered")

    exc = asyncio.run(main())
    assert exc.status is None
    for text in [str(exc), repr(exc), *(r.getMessage() for r in caplog.records)]:
        assert TOKEN not in text
    assert isinstance(httpx.ConnectError("x"), httpx.TransportError)
