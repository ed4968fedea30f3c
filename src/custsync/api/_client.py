"""The async client: one connection per request slot, one rate gate, bounded concurrency, retries, accounting.

Every request goes through :meth:`AsyncCustomerApi.send` (GET, PATCH, DELETE, and POSTs that provably never
left) or :meth:`AsyncCustomerApi.create` (POST that checks before it repeats itself). Resources build URLs and
bodies; this module decides when and how often a request may go out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from custsync.api._envelope import ListAnswer, read_item, read_list
from custsync.api._errors import (
    error_from_deadline,
    error_from_response,
    error_from_transport,
    is_retryable,
    may_still_run,
    was_not_sent,
)
from custsync.api._gate import RateGate, parse_retry_after, shared_gate
from custsync.api._resources import Addresses, Contacts, Customers, Ref
from custsync.api._settings import ApiSettings, origin_of
from custsync.api._stats import CallStats
from custsync.api._transport import SlotTransport
from custsync.errors import ApiError, AuthError, ConfigError, ConflictError, NotFoundError, RateLimitedError

log = logging.getLogger("custsync.api")

USER_AGENT = "custsync/0.1 (+https://github.com/custsync/custsync)"

FindExisting = Callable[[], Awaitable[str | None]]
"""Looks up whether an uncertain create took effect; returns the id it got, or ``None``."""


class AsyncCustomerApi:
    """The customer API, async. Use as ``async with AsyncCustomerApi(settings) as api: ...``.

    Resources: ``api.customers``, ``api.addresses(customer)``, ``api.contacts(customer)`` where ``customer`` is a
    customer resource (its ``links`` are followed) or an id. ``api.stats`` counts what was spent.
    """

    def __init__(self, settings: ApiSettings | None = None, *, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings or ApiSettings.from_env()
        self.stats = CallStats()
        self._origin = self.settings.origin
        self._gate: RateGate | None = None
        self._http = httpx.AsyncClient(
            base_url=self.settings.url,
            headers={
                "Authorization": f"Bearer {self.settings.token.get_secret_value()}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            timeout=self.settings.timeout,
            follow_redirects=False,
            transport=transport or SlotTransport(self.settings.concurrency, verify=self.settings.verify_tls),
        )
        self._slots = asyncio.Semaphore(self.settings.concurrency)
        self._refused: AuthError | None = None
        self.paging_styles: dict[str, str] = {}
        """What each kind of list was found to page by (``page`` or ``cursor``), learnt from its answers."""
        self.keyset_refused: set[str] = set()
        """Kinds of list whose server refused or ignored ``id greaterThan`` (listed by page numbers instead)."""
        self.customers = Customers(self)

    def addresses(self, customer: Ref) -> Addresses:
        """The addresses of ``customer`` (a customer resource with ``links``, or its id)."""
        return Addresses(self, customer)

    def contacts(self, customer: Ref) -> Contacts:
        """The contact persons of ``customer`` (a customer resource with ``links``, or its id)."""
        return Contacts(self, customer)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncCustomerApi:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncCustomerApi(url={self.settings.url!r}, requests_per_minute={self.settings.requests_per_minute})"

    # -- URLs ------------------------------------------------------------------------------------------------

    def follow(self, link: str) -> str:
        """A link from a response, checked to stay on the API's origin so the token is never sent elsewhere."""
        if link.startswith("/"):
            return link
        if origin_of(link) != self._origin:
            raise ConfigError(
                f"refusing to follow a link to another host: {httpx.URL(link).host}",
                hint="the API returned a link outside CUSTSYNC_API_URL; the token is only sent to that host",
            )
        return link

    # -- reading answers -------------------------------------------------------------------------------------

    def read_list(self, response: httpx.Response) -> ListAnswer:
        """A list answer, its envelope checked (see :mod:`custsync.api._envelope`)."""
        return read_list(response, path=response.request.url.path, redact=self._token())

    def read_item(self, response: httpx.Response) -> dict[str, Any]:
        """A view answer's ``data``, its envelope checked."""
        return read_item(response, path=response.request.url.path, redact=self._token())

    @property
    def refused(self) -> AuthError | None:
        """The 401/403 that stopped this client, if one did: after it, no request is sent any more."""
        return self._refused

    def _token(self) -> str:
        return self.settings.token.get_secret_value()

    # -- sending ---------------------------------------------------------------------------------------------

    async def send(
        self,
        method: str,
        url: str,
        *,
        resource: str,
        params: Any = None,
        json: Any = None,
        key: str | None = None,
    ) -> httpx.Response:
        """Send with retries: GET/PATCH/DELETE on 5xx, 429 and transport errors; POST only if it never left."""
        retryable = is_retryable if method != "POST" else _retryable_post
        async for attempt in self._retrying(_once_past_deadline(retryable)):
            with attempt:
                return await self._send_once(method, url, resource=resource, params=params, json=json, key=key)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def create(
        self,
        url: str,
        body: Mapping[str, Any],
        *,
        resource: str,
        key: str | None,
        find_existing: FindExisting | None,
        why_unchecked: str = "",
    ) -> str:
        """POST ``body`` and return the new id, never creating it twice.

        A POST that failed without a usable answer (5xx, 429, timeout, dropped connection) may have been
        executed. Before sending it again, ``find_existing`` looks for it; if found, its id is returned. Without
        a way to look (``find_existing`` is None), the error is raised at once, saying the outcome is unknown.
        """
        uncertain = False
        settle = 0.0
        try:
            async for attempt in self._retrying(is_retryable):
                with attempt:
                    if uncertain and find_existing is not None:
                        await asyncio.sleep(settle)
                        settle = 0.0
                        found = await find_existing()
                        if found is not None:
                            return self._recovered(url, key, found)
                    try:
                        response = await self._send_once(
                            "POST", url, resource=resource, params=None, json=body, key=key
                        )
                    except ConflictError:
                        if uncertain and find_existing is not None and (found := await find_existing()) is not None:
                            return self._recovered(url, key, found)
                        raise
                    except ApiError as exc:
                        if is_retryable(exc) and not was_not_sent(exc):
                            uncertain = True
                            # a timed-out POST may still be running: give it a timeout's time to finish first
                            settle = self.settings.timeout if may_still_run(exc) else 0.0
                            if find_existing is None:
                                _mark_outcome_unknown(exc, why_unchecked)
                        raise
                    return _id_from_created(response, url=url, key=key)
        except ApiError:
            # out of retries: the last attempt may still have taken effect — one last look settles it
            if uncertain and find_existing is not None and (found := await find_existing()) is not None:
                return self._recovered(url, key, found)
            raise
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def delete(self, url: str, *, resource: str, key: str | None, trust_404: bool = True) -> None:
        """DELETE with retries; a 404 after an attempt that may have taken effect means it did.

        With ``trust_404=False`` every 404 is raised, for a caller that confirms the record is gone itself.
        """
        uncertain = False
        async for attempt in self._retrying(is_retryable):
            with attempt:
                try:
                    await self._send_once("DELETE", url, resource=resource, params=None, json=None, key=key)
                except NotFoundError:
                    if not (uncertain and trust_404):
                        raise
                    log.info("DELETE %s for %s: already gone after an uncertain attempt", _path(url), key)
                except ApiError as exc:
                    if is_retryable(exc) and not was_not_sent(exc):
                        uncertain = True
                    raise
                return

    def _recovered(self, url: str, key: str | None, found: str) -> str:
        self.stats.record_recovered_create()
        log.warning("POST %s for %s had failed but took effect (id %s); not sent again", _path(url), key, found)
        return found

    async def _send_once(
        self, method: str, url: str, *, resource: str, params: Any, json: Any, key: str | None
    ) -> httpx.Response:
        async with self._slots:
            self._check_not_refused(method, url, key)
            gate = self._rate_gate()
            await gate.acquire()
            self._check_not_refused(method, url, key)
            request = self._http.build_request(method, url, params=params, json=json)
            path = request.url.path
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self.settings.deadline):  # connect + send + headers + whole body
                    response = await self._http.send(request)
            except httpx.TransportError as exc:
                self.stats.record(method, resource, type(exc).__name__)
                log.info("%s %s: no answer (%s)", method, path, type(exc).__name__)
                raise error_from_transport(exc, method=method, path=path, key=key) from None
            except TimeoutError:
                self.stats.record(method, resource, "Deadline")
                log.info("%s %s: no complete answer within %.0f s", method, path, self.settings.deadline)
                raise error_from_deadline(self.settings.deadline, method=method, path=path, key=key) from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.stats.record(method, resource, response.status_code)
        log.debug("%s %s -> %d in %.0f ms", method, path, response.status_code, elapsed_ms)
        if response.status_code == 429:
            gate.on_rate_limited(parse_retry_after(response.headers.get("Retry-After")))
        else:
            gate.on_success()
        if response.is_success:
            return response
        error = error_from_response(response, method=method, path=path, key=key)
        if isinstance(error, AuthError) and self._refused is None:
            self._refused = error
            log.error("%s %s: %s — no further request is sent", method, path, error.message)
        raise error

    def _check_not_refused(self, method: str, url: str, key: str | None) -> None:
        """After a 401/403 the token is bad or lacks rights: every further request would fail the same way
        (and spend the rate limit), so none is sent."""
        if self._refused is not None:
            first = self._refused
            error = AuthError(
                f"not sent: the API refused the token earlier ({first.status} on {first.method} {first.path})",
                method=method,
                path=_path(url),
                status=first.status,
                key=key,
                hint=first.hint,
            )
            error.not_sent = True
            raise error

    def _rate_gate(self) -> RateGate:
        if self._gate is None:
            self._gate = shared_gate(self._origin, self.settings.requests_per_minute, self.settings.burst)
        return self._gate

    def _retrying(self, retryable: Callable[[BaseException], bool]) -> AsyncRetrying:
        first, cap = self.settings.retry_backoff, self.settings.retry_backoff_max
        backoff = wait_exponential(multiplier=first, max=cap) + wait_random(0, first)  # doubling, plus jitter

        def wait(state: RetryCallState) -> float:
            # after a 429 the shared gate already holds every request back for Retry-After
            exc = state.outcome.exception() if state.outcome else None
            return 0.0 if isinstance(exc, RateLimitedError) else backoff(state)

        def before_sleep(state: RetryCallState) -> None:
            self.stats.record_retry()
            exc = state.outcome.exception() if state.outcome else None
            log.info("retrying after %s (attempt %d)", exc, state.attempt_number + 1)

        return AsyncRetrying(
            stop=stop_after_attempt(self.settings.max_retries + 1),
            wait=wait,
            retry=retry_if_exception(retryable),
            before_sleep=before_sleep,
            reraise=True,
        )


def _once_past_deadline(retryable: Callable[[BaseException], bool]) -> Callable[[BaseException], bool]:
    """``retryable``, except that a request cut off at its deadline is tried once more, not ``max_retries``
    times: a server that trickled through a whole deadline twice will not do better a third time."""
    cut = 0

    def check(exc: BaseException) -> bool:
        nonlocal cut
        if getattr(exc, "past_deadline", False):
            cut += 1
            if cut > 1:
                return False
        return retryable(exc)

    return check


def _retryable_post(exc: BaseException) -> bool:
    return is_retryable(exc) and was_not_sent(exc)


def _mark_outcome_unknown(exc: ApiError, why: str) -> None:
    exc.final = True
    note = "the create may or may not have taken effect and was not retried"
    exc.message = f"{exc.message} — {note}" + (f" ({why})" if why else "")
    exc.args = (exc.message,)
    exc.hint = "look for the record in the API before creating it again" + (f"; {why}" if why else "")


def _id_from_created(response: httpx.Response, *, url: str, key: str | None) -> str:
    location = response.headers.get("Location")
    if location:
        return httpx.URL(location).path.rstrip("/").rsplit("/", 1)[-1]
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("id") is not None:
        return str(body["id"])
    raise ApiError(
        f"{response.status_code} without a Location header: the new id is unknown",
        method="POST",
        path=_path(url),
        status=response.status_code,
        key=key,
    )


def _path(url: str) -> str:
    return httpx.URL(url).path
