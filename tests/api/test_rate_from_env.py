"""Fast rehearsals: the client reads its rate limit from ``CUSTSYNC_REQUESTS_PER_MINUTE``, the command line
wins over it, and ``custsync sandbox serve`` says which rate it allows and which to use."""

from __future__ import annotations

import pytest

from custsync.api import ENV_RATE, PRODUCTION_REQUESTS_PER_MINUTE, ApiSettings
from custsync.cli.sandbox import UNLIMITED_CLIENT_RATE, RateAdvice
from custsync.cli.sync import ClientOptions
from custsync.errors import ConfigError

BASE = {"CUSTSYNC_API_URL": "http://127.0.0.1:8080", "CUSTSYNC_API_TOKEN": "abc"}


def test_rate_comes_from_the_environment_else_production() -> None:
    assert ENV_RATE == "CUSTSYNC_REQUESTS_PER_MINUTE"
    assert ApiSettings.from_env(BASE).requests_per_minute == PRODUCTION_REQUESTS_PER_MINUTE
    assert ApiSettings.from_env({**BASE, ENV_RATE: "6000"}).requests_per_minute == 6000
    assert ApiSettings.from_env({**BASE, ENV_RATE: " 540/min "}).requests_per_minute == 540
    assert ApiSettings.from_env({**BASE, ENV_RATE: ""}).requests_per_minute == PRODUCTION_REQUESTS_PER_MINUTE


def test_an_explicit_rate_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ApiSettings.from_env({**BASE, ENV_RATE: "6000"}, requests_per_minute=50).requests_per_minute == 50
    for name, value in {**BASE, ENV_RATE: "6000"}.items():
        monkeypatch.setenv(name, value)
    assert ClientOptions(None, None).settings().requests_per_minute == 6000  # what plan, sync, export use
    assert ClientOptions(120, None).settings().requests_per_minute == 120  # --requests-per-minute


@pytest.mark.parametrize("value", ["fast", "0", "-5", "inf", "nan"])
def test_a_bad_rate_is_a_clear_error_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ApiSettings.from_env({**BASE, ENV_RATE: value})
    assert f"CUSTSYNC_REQUESTS_PER_MINUTE must be a positive number of requests per minute, not {value!r}" in str(
        caught.value
    )


def test_sandbox_serve_advice_stays_under_its_limit() -> None:
    limited = RateAdvice.of(600)
    assert limited.allowed.startswith("at most 600 requests/min") and limited.client == 540
    assert RateAdvice.of(1).client == 1
    free = RateAdvice.of(None)
    assert free.allowed.startswith("no limit") and free.client == UNLIMITED_CLIENT_RATE
