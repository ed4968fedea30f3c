"""Settings validation, the secret token type, query encoding and Retry-After parsing."""

from __future__ import annotations

import datetime as dt

import pytest

from custsync.api import ApiSettings, Filter, Order, Secret, encode_query, parse_retry_after
from custsync.errors import ConfigError


def test_plain_http_is_refused_for_remote_hosts_but_allowed_for_loopback() -> None:
    with pytest.raises(ConfigError, match="refusing plain http"):
        ApiSettings("http://api.example.com", "t")
    for url in ("http://127.0.0.1:8000", "http://localhost:9", "http://[::1]:80"):
        assert ApiSettings(url, "t").url == url
    assert ApiSettings("http://api.example.com", "t", allow_insecure_http=True).url == "http://api.example.com"
    assert ApiSettings("https://api.example.com/", "t").url == "https://api.example.com"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "ftp://x"}, "must be http"),
        ({"url": "https://user:pw@x"}, "must not contain credentials"),
        ({"token": ""}, "token is empty"),
        ({"requests_per_minute": 0}, "requests_per_minute"),
        ({"concurrency": 0}, "concurrency"),
        ({"max_retries": -1}, "max_retries"),
    ],
)
def test_bad_settings_are_config_errors(kwargs: dict[str, object], message: str) -> None:
    args = {"url": "https://x", "token": "t", **kwargs}
    with pytest.raises(ConfigError, match=message) as info:
        ApiSettings(**args)  # type: ignore[arg-type]
    assert "pw" not in str(info.value)


def test_from_env_reads_url_and_token_and_requires_both() -> None:
    settings = ApiSettings.from_env({"CUSTSYNC_API_URL": "https://x", "CUSTSYNC_API_TOKEN": "abc"}, concurrency=2)
    assert settings.token.get_secret_value() == "abc"
    assert settings.concurrency == 2
    assert settings.requests_per_minute == 100
    with pytest.raises(ConfigError, match="CUSTSYNC_API_TOKEN"):
        ApiSettings.from_env({"CUSTSYNC_API_URL": "https://x"})
    with pytest.raises(ConfigError, match="CUSTSYNC_API_URL"):
        ApiSettings.from_env({"CUSTSYNC_API_TOKEN": "abc"})


def test_secret_never_shows_itself() -> None:
    settings = ApiSettings("https://x", "s3cr3t-value")
    for text in (repr(settings), str(settings), f"{settings.token}", str(settings.token), repr(settings.token)):
        assert "s3cr3t" not in text
    assert Secret("a") == Secret("a")
    assert not Secret("")


def test_filters_and_order_encode_as_bracketed_parameters() -> None:
    params = encode_query(
        [
            Filter("city", "equals", "Berlin"),
            Filter("number", "in", ["1", "2"]),
            Filter("updatedAt", "between", ("2026-01-01", "2026-02-01")),
            Filter("email", "is", None),
        ],
        [Order("name", "desc")],
        page_number=2,
        page_size=50,
    )
    assert params == [
        ("filter[0][key]", "city"),
        ("filter[0][op]", "equals"),
        ("filter[0][value]", "Berlin"),
        ("filter[1][key]", "number"),
        ("filter[1][op]", "in"),
        ("filter[1][value][]", "1"),
        ("filter[1][value][]", "2"),
        ("filter[2][key]", "updatedAt"),
        ("filter[2][op]", "between"),
        ("filter[2][from]", "2026-01-01"),
        ("filter[2][to]", "2026-02-01"),
        ("filter[3][key]", "email"),
        ("filter[3][op]", "is"),
        ("filter[3][value]", "null"),
        ("order[0][field]", "name"),
        ("order[0][dir]", "desc"),
        ("page[number]", "2"),
        ("page[size]", "50"),
    ]


def test_bad_filters_are_refused_before_any_call() -> None:
    with pytest.raises(ValueError, match="unknown filter operator"):
        Filter("city", "like", "x")
    with pytest.raises(ValueError, match="must be a list"):
        Filter("number", "in", "1,2")
    with pytest.raises(ValueError, match="pair"):
        Filter("updatedAt", "between", ("2026-01-01",))
    with pytest.raises(ValueError, match="asc"):
        Order("name", "up")  # type: ignore[arg-type]


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = dt.datetime(2026, 11, 28, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Sat, 28 Nov 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Sat, 28 Nov 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
