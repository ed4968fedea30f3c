"""custsync.urls: the one place that decides how a URL is shown and what counts as this machine."""

from __future__ import annotations

import pytest

from custsync.urls import is_loopback, safe_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:s3cret@erp.example.com:8443/base?token=abc#f", "https://erp.example.com:8443/base"),
        ("http://[::1]:9000/api?key=x", "http://[::1]:9000/api"),
        ("http://[2001:db8::5]/v1", "http://[2001:db8::5]/v1"),
    ],
)
def test_safe_url_drops_credentials_and_keeps_ipv6_brackets(url: str, shown: str) -> None:
    assert safe_url(url) == shown


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.0.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("example.com", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback
