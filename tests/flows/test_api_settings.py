"""The flows make their API settings as the CLI does: one code path, so no setting reaches one and not the other."""

from __future__ import annotations

import dataclasses

import pytest
from flows.connection import ApiTarget

from custsync.api import ApiSettings
from custsync.cli._options import ClientOptions

TOKEN = "flow-settings-token-4711"
ENV = {
    "CUSTSYNC_API_URL": "https://erp.example",
    "CUSTSYNC_API_TOKEN": TOKEN,
    "CUSTSYNC_REQUESTS_PER_MINUTE": "600",
    "CUSTSYNC_API_DEADLINE": "300",
    "CUSTSYNC_FULL_CREATE_BODY": "1",
}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("environment")
def test_every_setting_the_environment_gives_reaches_the_flows_as_it_reaches_the_cli() -> None:
    settings = ApiTarget().settings()
    assert settings == ClientOptions().settings()
    assert (settings.requests_per_minute, settings.deadline, settings.full_create_body) == (600, 300, True)


@pytest.mark.usefixtures("environment")
def test_what_a_flow_parameter_or_an_option_gives_wins_alike() -> None:
    target = ApiTarget(url="https://other.example", requests_per_minute=50, concurrency=3, full_create_body=False)
    assert target.settings() == ApiSettings.from_env(
        url="https://other.example", requests_per_minute=50, concurrency=3, full_create_body=False
    )
    assert ApiTarget(requests_per_minute=50, concurrency=3).settings() == ClientOptions(50, 3).settings()


def test_a_flow_parameter_sets_nothing_the_client_settings_lack() -> None:
    where_to_find_the_token = {"token_secret", "token_env", "gcl_name"}
    settable = set(ApiTarget.model_fields) - where_to_find_the_token
    assert settable <= {f.name for f in dataclasses.fields(ApiSettings)}


@pytest.mark.usefixtures("environment")
def test_the_token_stays_out_of_the_parameters_and_every_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTSYNC_OTHER_TOKEN", "other-token-0815")
    target = ApiTarget(token_env="CUSTSYNC_OTHER_TOKEN")
    settings = target.settings()
    assert settings.token.get_secret_value() == "other-token-0815"
    for text in (repr(target), target.model_dump_json(), repr(settings), str(settings), repr(target.connection())):
        assert "other-token-0815" not in text and TOKEN not in text
