"""The process-wide rate gate: one leaky bucket per API shared by every request, plus a pause on 429.

The bucket (aiolimiter) keeps the client under ``requests_per_minute``. When the server still answers 429 —
its window differs from ours, another process shares the token, the limit changed — the gate closes for
everyone until ``Retry-After`` (or an exponential back-off when the header is missing) has passed, so one 429
never turns into a storm of them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import weakref
from email.utils import parsedate_to_datetime

from aiolimiter import AsyncLimiter

log = logging.getLogger("custsync.api")

MAX_PAUSE_SECONDS = 300.0
"""A ``Retry-After`` beyond this is treated as this; a sync should fail loudly rather than sleep for hours."""


class RateGate:
    """Spacing of requests (leaky bucket) and a shared pause after 429 answers."""

    def __init__(self, requests_per_minute: float, burst: int = 1) -> None:
        self.requests_per_minute = requests_per_minute
        self.interval = 60.0 / requests_per_minute
        self._limiter = AsyncLimiter(burst, burst * self.interval)
        self._paused_until = 0.0
        self._consecutive_429 = 0

    async def acquire(self) -> None:
        """Wait until a request may leave: the pause has passed and the bucket has room."""
        loop = asyncio.get_running_loop()
        while True:
            delay = self._paused_until - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            await self._limiter.acquire()
            if self._paused_until <= loop.time():
                return

    def on_rate_limited(self, retry_after: float | None) -> float:
        """Close the gate for everyone; returns the pause in seconds."""
        self._consecutive_429 += 1
        if retry_after is None:
            base = max(1.0, self.interval) * 2 ** (self._consecutive_429 - 1)
            pause = min(60.0, base) * random.uniform(1.0, 1.25)
        else:
            pause = min(MAX_PAUSE_SECONDS, max(retry_after, self.interval))
        now = asyncio.get_running_loop().time()
        self._paused_until = max(self._paused_until, now + pause)
        log.warning("rate limited (429): pausing all requests for %.1fs", pause)
        return pause

    def on_success(self) -> None:
        self._consecutive_429 = 0


_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, float, int], RateGate]] = (
    weakref.WeakKeyDictionary()
)


def shared_gate(origin: str, requests_per_minute: float, burst: int) -> RateGate:
    """The gate of this API origin in the running event loop: every client of the process shares it."""
    loop = asyncio.get_running_loop()
    gates = _GATES.setdefault(loop, {})
    key = (origin, float(requests_per_minute), burst)
    if key not in gates:
        gates[key] = RateGate(requests_per_minute, burst)
    return gates[key]


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """``Retry-After`` as seconds to wait: delta-seconds or an HTTP date; ``None`` when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())
