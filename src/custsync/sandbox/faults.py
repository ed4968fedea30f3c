"""Reliability knobs: rate limit, latency and the failures a real API shows now and then, all off by default.

They live in one raw ASGI layer outside the application, so the handlers stay plain. Each failure is decided
by a seeded random generator, so a test that sets ``seed`` sees the same sequence every run. ``/openapi.json``
is exempt from every knob.

- ``drop_rate``: close the connection without any response, before anything is read or written.
- ``rate_limit_per_min``: a sliding 60 s window; beyond it ``429`` with ``Retry-After`` (whole seconds).
- ``latency_ms``: every request waits this long (without blocking other requests).
- ``fail_rate``: answer ``500``, ``502`` or ``503`` before any write.
- ``fail_after_commit_rate``: a successful write (POST/PATCH/DELETE) is committed, then the client gets a ``500``
  or the connection is dropped (``fail_after_commit_mode``: ``mixed``, ``500`` or ``drop``) — the case that
  makes a naive retrying client create duplicates.

Two knobs change how lists page rather than inject faults (the list handler reads them): ``paging="cursor"``
pages every list by ``cursor[size]``/``cursor[nextCursor]`` as the spec's v1 customer list does (``page[...]``
is ignored, as any parameter the list does not declare), ``page_size_cap`` holds pages below the 50 a client may
ask for.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass
from typing import Any

from custsync.sandbox.problems import MEDIA_TYPE, http_problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

EXEMPT_PATHS = frozenset({"/openapi.json"})
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
AFTER_COMMIT_MODES = ("mixed", "500", "drop")
PAGING_STYLES = ("page", "cursor")


@dataclass(frozen=True)
class Knobs:
    """The fault knobs of one sandbox server."""

    rate_limit_per_min: int | None = None
    latency_ms: float = 0.0
    fail_rate: float = 0.0
    fail_after_commit_rate: float = 0.0
    fail_after_commit_mode: str = "mixed"
    drop_rate: float = 0.0
    seed: int | None = None
    groups_as_objects: bool = False
    """Response shape (not a fault, see :mod:`custsync.sandbox.shapes`): customer groups as ``{id, name}``."""
    references_as_objects: bool = False
    """Response shape: ``paymentMethod``/``shippingMethod`` as ``{"id": ...}``."""
    country_names: bool = False
    """Response shape: address and contact countries as German names ("Deutschland")."""
    paging: str = "page"
    """``page`` (``page[number]``/``page[size]``) or ``cursor`` (``cursor[size]``/``cursor[nextCursor]``)."""
    page_size_cap: int | None = None
    """Pages hold at most this many items, whatever ``page[size]`` asks for."""
    whole_second_stamps: bool = False
    """``createdAt``/``updatedAt`` to the whole second, as many ERPs store them: two writes in one second get
    the same stamp (by default stamps have microseconds and never tie)."""

    def __post_init__(self) -> None:
        for name in ("fail_rate", "fail_after_commit_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must not be negative, not {self.latency_ms}")
        if self.rate_limit_per_min is not None and self.rate_limit_per_min < 1:
            raise ValueError(f"rate_limit_per_min must be at least 1, not {self.rate_limit_per_min}")
        if self.fail_after_commit_mode not in AFTER_COMMIT_MODES:
            raise ValueError(f"fail_after_commit_mode must be one of {', '.join(AFTER_COMMIT_MODES)}")
        if self.paging not in PAGING_STYLES:
            raise ValueError(f"paging must be one of {', '.join(PAGING_STYLES)}, not {self.paging!r}")
        if self.page_size_cap is not None and self.page_size_cap < 1:
            raise ValueError(f"page_size_cap must be at least 1, not {self.page_size_cap}")

    @property
    def active(self) -> bool:
        return bool(
            self.rate_limit_per_min
            or self.latency_ms
            or self.fail_rate
            or self.fail_after_commit_rate
            or self.drop_rate
        )

    def describe(self) -> dict[str, Any]:
        defaults = {"fail_after_commit_mode", "paging"} if self.paging == "page" else {"fail_after_commit_mode"}
        return {k: v for k, v in asdict(self).items() if v not in (None, 0, 0.0) and k not in defaults}


def parse_rate_limit(text: str) -> int:
    """``"100/min"`` (or ``"100"``) -> 100 requests per minute."""
    value = text.strip().lower()
    for suffix in ("/min", "/minute", "/m"):
        if value.endswith(suffix):
            value = value[: -len(suffix)]
            break
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"rate limit must look like '100/min', not '{text}'")
    return int(value)


class SlidingWindow:
    """At most ``limit`` requests in any ``window`` seconds."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: deque[float] = deque()

    def acquire(self) -> float:
        """0 when the request may pass (and is counted), else the seconds until a slot frees up."""
        now = self._clock()
        while self._hits and self._hits[0] <= now - self.window:
            self._hits.popleft()
        if len(self._hits) < self.limit:
            self._hits.append(now)
            return 0.0
        return self._hits[0] + self.window - now


class FaultLayer:
    """Raw ASGI middleware applying :class:`Knobs` in front of the application."""

    def __init__(self, app: ASGIApp, knobs: Knobs) -> None:
        self.app = app
        self.knobs = knobs
        self.rng = random.Random(knobs.seed)
        self.window = SlidingWindow(knobs.rate_limit_per_min) if knobs.rate_limit_per_min else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        knobs = self.knobs
        if scope["type"] != "http" or not knobs.active or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        if knobs.drop_rate and self.rng.random() < knobs.drop_rate:
            await drop_connection(send)
            return
        if self.window is not None:
            wait = self.window.acquire()
            if wait > 0:
                retry = str(max(1, math.ceil(wait)))
                detail = f"More than {knobs.rate_limit_per_min} requests per minute; retry after {retry} s."
                await _send_problem(send, 429, detail, {"retry-after": retry})
                return
        if knobs.latency_ms:
            await asyncio.sleep(knobs.latency_ms / 1000)
        if knobs.fail_rate and self.rng.random() < knobs.fail_rate:
            status = self.rng.choice((500, 502, 503))
            await _send_problem(send, status, "Injected failure (sandbox fail_rate); nothing was written.")
            return
        after_commit = knobs.fail_after_commit_rate and scope["method"] in WRITE_METHODS
        if after_commit and self.rng.random() < knobs.fail_after_commit_rate:
            mode = knobs.fail_after_commit_mode
            if mode == "mixed":
                mode = self.rng.choice(("500", "drop"))
            await self.app(scope, receive, _after_commit(send, mode))
            return
        await self.app(scope, receive, send)


def _after_commit(send: Send, mode: str) -> Send:
    """Wrap ``send``: a 2xx answer (the write is committed by then) becomes a 500 or a dropped connection."""
    swallowing = False

    async def wrapped(message: Message) -> None:
        nonlocal swallowing
        if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
            swallowing = True
            if mode == "drop":
                await drop_connection(send)
            else:
                await _send_problem(send, 500, "Injected failure after commit (sandbox fail_after_commit_rate).")
            return
        if swallowing:
            return
        await send(message)

    return wrapped


async def drop_connection(send: Send) -> None:
    """Close the client connection without a response.

    ASGI has no "close without answering" message, so this reaches the transport of uvicorn's request cycle
    (``send`` is its bound method; the fault layer is the outermost app, so nothing wraps it). After the close
    the event loop is given a turn so uvicorn marks the cycle disconnected and stays quiet instead of logging
    "returned without starting response" and trying to write a 500 to a closed socket.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("the sandbox can only drop connections when served by uvicorn")
    transport.close()
    for _ in range(3):
        await asyncio.sleep(0)


async def _send_problem(send: Send, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps(http_problem(status, detail)).encode()
    raw = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
