"""The setting that declares a target taking a customer's whole body at create: off by default, from the
environment for the CLI, a field of the Prefect connection block for the flows, asked of the remote by the planner."""

from __future__ import annotations

import asyncio

from custsync.api import ApiSettings, AsyncCustomerApi
from custsync.reconcile.api_remote import ApiRemote

ENV = {"CUSTSYNC_API_URL": "https://erp.example", "CUSTSYNC_API_TOKEN": "t"}


def test_off_by_default_and_on_from_the_environment() -> None:
    assert ApiSettings.from_env(ENV).full_create_body is False
    assert ApiSettings.from_env({**ENV, "CUSTSYNC_FULL_CREATE_BODY": "1"}).full_create_body is True
    assert ApiSettings.from_env({**ENV, "CUSTSYNC_FULL_CREATE_BODY": "0"}).full_create_body is False
    assert (
        ApiSettings.from_env({**ENV, "CUSTSYNC_FULL_CREATE_BODY": "1"}, full_create_body=False).full_create_body
        is False
    )


def test_the_remote_tells_the_planner() -> None:
    async def remote_says() -> bool:
        settings = ApiSettings.from_env({**ENV, "CUSTSYNC_FULL_CREATE_BODY": "yes"})
        async with AsyncCustomerApi(settings) as api:
            return ApiRemote(api).full_create_body

    assert asyncio.run(remote_says()) is True


def test_the_flow_api_target_passes_it_on(monkeypatch) -> None:
    from flows.connection import ApiTarget

    monkeypatch.setenv("CUSTSYNC_TEST_TOKEN", "t")
    target = ApiTarget(url="https://erp.example", token_env="CUSTSYNC_TEST_TOKEN", full_create_body=True)
    assert target.settings().full_create_body is True
    assert ApiTarget(url="https://erp.example", token_env="CUSTSYNC_TEST_TOKEN").settings().full_create_body is False
