"""Call accounting: what a run spent against the API's budget, so every command can report it."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

METHODS = ("GET", "POST", "PATCH", "DELETE")


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

    def __repr__(self) -> str:
        return f"CallStats(total={self.total}, retries={self.retries}, rate_limited={self.rate_limited})"
