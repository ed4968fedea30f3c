"""HTTP answers and transport failures -> the one exception tree of :mod:`custsync.errors`.

Errors carry method, path (never the query, never headers), status, the record key and the problem body.
The httpx exception is not chained: it holds the request, and the request holds the token.
"""

from __future__ import annotations

from typing import Any

import httpx

from custsync.errors import (
    ApiError,
    AuthError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    RequestValidationError,
    ServerError,
    TransportError,
)

NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
"""Failures where the request provably never reached the server: even a POST may simply be sent again."""

_BY_STATUS: dict[int, type[ApiError]] = {
    400: RequestValidationError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    409: ConflictError,
    422: RequestValidationError,
    429: RateLimitedError,
}

_HINTS: dict[type[ApiError], str] = {
    AuthError: "check CUSTSYNC_API_TOKEN: it is missing, wrong, or lacks the rights for this call",
    RateLimitedError: "the API kept answering 429; lower requests_per_minute or try again later",
    ServerError: "the API kept failing; try again later — a rerun resumes without duplicates",
    TransportError: "the API could not be reached; check CUSTSYNC_API_URL and the network",
    RequestValidationError: "fix the fields named in the violations",
}


def error_from_response(response: httpx.Response, *, method: str, path: str, key: str | None) -> ApiError:
    """The exception for a non-2xx answer, with the RFC 7807 problem body when there is one."""
    status = response.status_code
    problem = _problem(response)
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    title = str(problem.get("title") or problem.get("detail") or response.reason_phrase or "error")
    messages = problem.get("messages")
    if isinstance(messages, list) and messages:
        title += ": " + "; ".join(str(m) for m in messages)
    if cls is RequestValidationError and problem.get("violations"):
        title += ": " + _summarise(problem["violations"])
    return cls(
        f"{status} {title}", method=method, path=path, status=status, key=key, problem=problem, hint=_HINTS.get(cls)
    )


def error_from_transport(exc: httpx.TransportError, *, method: str, path: str, key: str | None) -> TransportError:
    """The exception for a request that got no answer; ``not_sent`` says whether it provably never left."""
    err = TransportError(
        f"no answer ({type(exc).__name__})", method=method, path=path, key=key, hint=_HINTS[TransportError]
    )
    err.not_sent = isinstance(exc, NOT_SENT)
    err.maybe_in_progress = isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout)
    return err


def error_from_deadline(deadline: float, *, method: str, path: str, key: str | None) -> TransportError:
    """The exception for an answer that did not complete within the total deadline (a trickling server)."""
    err = TransportError(
        f"no complete answer within the deadline of {deadline:g} s",
        method=method,
        path=path,
        key=key,
        hint="the server answers too slowly; check the network, or raise the client's deadline",
    )
    err.maybe_in_progress = True
    err.past_deadline = True
    return err


def is_retryable(exc: BaseException) -> bool:
    """5xx, 429 and transport failures are worth another try; every other answer is final."""
    if isinstance(exc, ApiError) and exc.final:
        return False
    return isinstance(exc, ServerError | RateLimitedError | TransportError)


def was_not_sent(exc: BaseException) -> bool:
    return isinstance(exc, ApiError) and exc.not_sent


def may_still_run(exc: BaseException) -> bool:
    """A timeout while waiting for the answer: the server may still be working on the request."""
    return isinstance(exc, TransportError) and exc.maybe_in_progress


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return {"detail": text[:500]} if text else {}
    return body if isinstance(body, dict) else {"detail": body}


def _summarise(violations: Any, prefix: str = "") -> str:
    """``{"contact": {"email": ["not valid"]}}`` -> ``contact.email: not valid``."""
    if isinstance(violations, dict):
        parts = [_summarise(v, f"{prefix}{k}.") for k, v in violations.items()]
        return "; ".join(p for p in parts if p)
    if isinstance(violations, list) and all(isinstance(v, str) for v in violations):
        return f"{prefix.rstrip('.')}: {', '.join(violations)}"
    if isinstance(violations, list):
        return "; ".join(_summarise(v, f"{prefix}{i}.") for i, v in enumerate(violations))
    return f"{prefix.rstrip('.')}: {violations}"
