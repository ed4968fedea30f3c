"""Connection settings: where the API is, how to authenticate, and how politely to call it.

The token is wrapped in :class:`Secret` as soon as it enters the program, so no repr, log line or exception
text built from the settings can show it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from custsync.errors import ConfigError
from custsync.urls import is_loopback

ENV_URL = "CUSTSYNC_API_URL"
ENV_TOKEN = "CUSTSYNC_API_TOKEN"
ENV_FULL_CREATE_BODY = "CUSTSYNC_FULL_CREATE_BODY"
_TRUE = frozenset({"1", "true", "yes", "on"})
ENV_RATE = "CUSTSYNC_REQUESTS_PER_MINUTE"
ENV_DEADLINE = "CUSTSYNC_API_DEADLINE"
"""Seconds one request may take in all (see :attr:`ApiSettings.deadline`)."""
"""The client's rate limit when ``--requests-per-minute`` is not given: a rehearsal on the sandbox runs at the
rate ``custsync sandbox serve`` prints instead of production's."""

PRODUCTION_REQUESTS_PER_MINUTE = 100
"""The documented limit of the production API (the vendor warns it may change)."""


class Secret:
    """A string that never shows itself: ``repr``/``str``/f-strings print ``**********``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __format__(self, spec: str) -> str:
        return "**********"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True)
class ApiSettings:
    """Everything the client needs; validated on construction.

    ``requests_per_minute`` defaults to the production API's documented 100/min; ``burst`` is how many requests
    may leave back to back before the limiter starts spacing them (1 = evenly spaced, the safest against a
    server that counts in short windows). Plain ``http://`` is accepted only for loopback hosts (the sandbox)
    unless ``allow_insecure_http`` says otherwise.
    """

    url: str
    token: Secret = field(repr=True)
    requests_per_minute: float = PRODUCTION_REQUESTS_PER_MINUTE
    burst: int = 1
    concurrency: int = 8
    timeout: float = 30.0
    """Seconds to wait for a connection, or for the next bytes of an answer (per phase, as httpx counts)."""
    deadline: float = 120.0
    """Seconds one attempt of a request may take in all (connect, send, headers and body): a server trickling
    one byte per second passes every read timeout and is cut off by this."""
    paging: Literal["auto", "page", "cursor"] = "auto"
    """How lists page: ``page[number]``, ``cursor[nextCursor]``, or ``auto`` (page numbers until an answer
    shows ``extra.cursor`` or refuses ``page[...]``; what is learnt holds for the client's lifetime)."""
    max_pages: int = 10_000
    """A hard ceiling on the pages one listing may read: a server sending full pages forever is stopped."""
    max_retries: int = 5
    retry_backoff: float = 0.5
    """First retry delay in seconds; doubles per attempt, with jitter, up to ``retry_backoff_max``."""
    retry_backoff_max: float = 30.0
    allow_insecure_http: bool = False
    verify_tls: bool = True
    full_create_body: bool = False
    """The target takes a customer's whole body in the create (one call). Off by default: the public spec's
    create body lacks financial, shipping, bank account, groups and document delivery, so they follow in a
    PATCH of the new customer (``CUSTSYNC_FULL_CREATE_BODY=1`` turns it on)."""

    def __post_init__(self) -> None:
        if isinstance(self.token, str):
            object.__setattr__(self, "token", Secret(self.token))
        object.__setattr__(self, "url", self.url.strip().rstrip("/"))
        _check_url(self.url, self.allow_insecure_http)
        if not self.token:
            raise ConfigError("the API token is empty", hint=f"set {ENV_TOKEN} or pass a token")
        if self.requests_per_minute <= 0:
            raise ConfigError(f"requests_per_minute must be positive, got {self.requests_per_minute}")
        for name in ("burst", "concurrency"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_retries < 0:
            raise ConfigError(f"max_retries must not be negative, got {self.max_retries}")
        if self.timeout <= 0:
            raise ConfigError(f"timeout must be positive, got {self.timeout}")
        if self.deadline <= 0:
            raise ConfigError(f"deadline must be positive, got {self.deadline}")
        if self.paging not in ("auto", "page", "cursor"):
            raise ConfigError(f"paging must be auto, page or cursor, got {self.paging!r}")
        if self.max_pages < 1:
            raise ConfigError(f"max_pages must be at least 1, got {self.max_pages}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> ApiSettings:
        """Read URL and token from ``CUSTSYNC_API_URL`` / ``CUSTSYNC_API_TOKEN``, the rate limit from
        ``CUSTSYNC_REQUESTS_PER_MINUTE`` (default: production's) and the deadline per request from
        ``CUSTSYNC_API_DEADLINE`` (seconds); keyword overrides win, ``None`` ones count as not given.

        The one way settings are made from what a user gave (the CLI's options, a flow's ``ApiTarget``), so a
        setting the environment can give reaches every entry point."""
        env = os.environ if env is None else env
        overrides = {name: value for name, value in overrides.items() if value is not None}
        if "requests_per_minute" not in overrides and env.get(ENV_RATE, "").strip():
            overrides["requests_per_minute"] = _rate_from_env(env[ENV_RATE])
        if "deadline" not in overrides and env.get(ENV_DEADLINE, "").strip():
            overrides["deadline"] = _deadline_from_env(env[ENV_DEADLINE])
        url = overrides.pop("url", None) or env.get(ENV_URL, "")
        token = overrides.pop("token", None) or env.get(ENV_TOKEN, "")
        if not url:
            raise ConfigError(f"no API URL: {ENV_URL} is not set", hint=f"export {ENV_URL}=https://…")
        if not token:
            raise ConfigError(f"no API token: {ENV_TOKEN} is not set", hint=f"export {ENV_TOKEN}=<personal token>")
        if "full_create_body" not in overrides and env.get(ENV_FULL_CREATE_BODY, "").strip().lower() in _TRUE:
            overrides["full_create_body"] = True
        return cls(url=str(url), token=token if isinstance(token, Secret) else Secret(str(token)), **overrides)  # type: ignore[arg-type]

    @property
    def origin(self) -> str:
        """``scheme://host:port`` — links are followed only within it, so the token never goes elsewhere."""
        return origin_of(self.url)


def _rate_from_env(text: str) -> float:
    try:
        rate = float(text.strip().removesuffix("/min"))
    except ValueError:
        rate = 0.0
    if not rate > 0 or rate == float("inf"):
        raise ConfigError(
            f"{ENV_RATE} must be a positive number of requests per minute, not {text!r}",
            hint=f"e.g. {ENV_RATE}=6000, or unset it for production's {PRODUCTION_REQUESTS_PER_MINUTE}/min",
        )
    return rate


def _deadline_from_env(text: str) -> float:
    try:
        seconds = float(text.strip().removesuffix("s"))
    except ValueError:
        seconds = 0.0
    if not seconds > 0 or seconds == float("inf"):
        raise ConfigError(
            f"{ENV_DEADLINE} must be a positive number of seconds, not {text!r}",
            hint=f"e.g. {ENV_DEADLINE}=300 for a slow line, or unset it for 120 s",
        )
    return seconds


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _check_url(url: str, allow_insecure_http: bool) -> None:
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise ConfigError("the API URL must not contain credentials", hint="pass the token separately")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"the API URL must be http(s)://host[:port], got {url!r}", hint=f"check {ENV_URL}")
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(parts.hostname):
        raise ConfigError(
            f"refusing plain http to {parts.hostname}: the token would travel unencrypted",
            hint="use https://, or allow_insecure_http=True if you really mean it",
        )
