"""Call accounting: what a run spent against the API's budget, so every command can report it.

:class:`CallStats` counts; :func:`call_counts` is the one conversion of its readings into what the plan file,
the CLI's JSON, the flows and the reports show, :func:`calls_spent` the one difference of two readings.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

METHODS = ("GET", "POST", "PATCH", "DELETE")
EVENTS = ("retries", "rate_limited")
"""Counted besides the calls: re-sent requests and 429 answers (both already counted as calls)."""


class CallStats:
    """Counts every HTTP request sent (retries included: each one costs rate budget).

    ``retries`` counts re-sent requests, ``rate_limited`` the 429 answers, ``recovered_creates`` the POSTs whose
    outcome was uncertain and that a lookup found already created (so they were not sent again).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_method: Counter[str] = Counter()
        self.by_resource: dict[str, Counter[str]] = {}
        self.by_status: Counter[str] = Counter()
        self.retries = 0
        self.rate_limited = 0
        self.recovered_creates = 0
        self.customer_deletes: Counter[str] = Counter()
        """Customer deletes by the route that did them: ``v2``, ``v1`` or ``gone`` (confirmed by a GET)."""

    def record(self, method: str, resource: str, status: int | str) -> None:
        """One request that got an answer (``status`` an int) or none (``status`` e.g. ``"ConnectError"``)."""
        with self._lock:
            self.by_method[method] += 1
            self.by_resource.setdefault(resource, Counter())[method] += 1
            self.by_status[str(status)] += 1
            if status == 429:
                self.rate_limited += 1

    def record_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def record_recovered_create(self) -> None:
        with self._lock:
            self.recovered_creates += 1

    def record_customer_delete(self, route: str) -> None:
        with self._lock:
            self.customer_deletes[route] += 1

    @property
    def total(self) -> int:
        return sum(self.by_method.values())

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = {m: self.by_method.get(m, 0) for m in METHODS}
            out["total"] = sum(self.by_method.values())
            out["retries"] = self.retries
            out["rate_limited"] = self.rate_limited
            out["recovered_creates"] = self.recovered_creates
            out["by_resource"] = {name: dict(counts) for name, counts in sorted(self.by_resource.items())}
            out["by_status"] = dict(sorted(self.by_status.items()))
            if self.customer_deletes:
                out["customer_deletes"] = dict(sorted(self.customer_deletes.items()))
            return out

    def calls(self) -> dict[str, Any]:
        """The calls so far as :func:`call_counts` gives them."""
        return call_counts(self.as_dict())

    def __repr__(self) -> str:
        return f"CallStats(total={self.total}, retries={self.retries}, rate_limited={self.rate_limited})"


def call_counts(*readings: Mapping[str, Any]) -> dict[str, Any]:
    """Calls per method and ``total``, plus ``retries``, ``rate_limited`` and ``customer_deletes`` (by route:
    ``v2``, ``v1``, ``gone``) when there were any, added up over ``readings`` (:meth:`CallStats.as_dict` or
    this function's own results, e.g. of the plan and of the apply)."""
    out: dict[str, Any] = dict.fromkeys(METHODS, 0)
    events = dict.fromkeys(EVENTS, 0)
    routes: Counter[str] = Counter()
    for reading in readings:
        for name in METHODS:
            out[name] += _count(reading.get(name))
        for name in EVENTS:
            events[name] += _count(reading.get(name))
        for route, count in (reading.get("customer_deletes") or {}).items():
            routes[route] += _count(count)
    out["total"] = sum(out.values())
    out.update({name: count for name, count in events.items() if count})
    if routes:
        out["customer_deletes"] = dict(sorted(routes.items()))
    return out


def calls_spent(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The difference of two :meth:`CallStats.as_dict` readings (the client may have been used before)."""
    out: dict[str, Any] = {}
    for key, value in after.items():
        if isinstance(value, int):
            out[key] = value - int(before.get(key, 0))
        elif isinstance(value, dict):
            out[key] = {k: v for k, v in calls_spent(before.get(key) or {}, value).items() if v}
    return out


def calls_text(calls: Mapping[str, Any]) -> str:
    """``12 (GET 3, POST 4, PATCH 2, DELETE 3)`` for people, from :func:`call_counts`' form."""
    counts = call_counts(calls)
    return f"{counts['total']} ({', '.join(f'{m} {counts[m]}' for m in METHODS)})"


def _count(value: object) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0
