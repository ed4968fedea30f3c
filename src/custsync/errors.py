"""Every error custsync raises on purpose, in one tree.

    CustsyncError                 base: a message for people and a hint saying what to do next
    ├── ConfigError               bad settings: missing URL or token, refused plain http, bad option values
    ├── InputError                a source file cannot be read as a table (missing, empty, undecodable, ragged)
    ├── MappingError              a mapping file is invalid (names file, line and key; suggests the nearest name)
    ├── ValidationFailed          rows failed validation and the policy says stop (carries the rejects)
    ├── PlanError                 a plan cannot be made or applied (stale plan, delete threshold, empty mirror)
    ├── StateLockedError          another run is using the state directory (names its pid and start time)
    └── ApiError                  the customer API answered with an error or not at all
        ├── AuthError             401 / 403
        ├── NotFoundError         404
        ├── RequestValidationError 400 with RFC 7807 ``violations``
        ├── ConflictError         409 (for example a customer number that already exists)
        ├── RateLimitedError      429 that outlived the retries
        ├── ServerError           5xx that outlived the retries
        ├── TransportError        timeouts, refused or dropped connections that outlived the retries
        ├── ResponseError         a 2xx answer custsync cannot read (HTML, cut-off JSON, no ``data``/``extra``)
        └── ListingError          a listing custsync cannot vouch for (repeated pages, no end, counts that disagree)

API errors carry the HTTP method, the path and the record key they concerned — never the token, never headers.
"""

from __future__ import annotations

from typing import Any


class CustsyncError(Exception):
    """Base of all custsync errors. ``hint`` tells the user what to do next."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, Any]:
        return {"error": type(self).__name__, "message": self.message, "hint": self.hint}


class ConfigError(CustsyncError):
    """Settings are missing or unsafe."""


class InputError(CustsyncError):
    """A source file cannot be read as a table."""

    def __init__(self, message: str, *, path: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.path = path


class MissingColumnsError(InputError):
    """Columns that must be read are not in a source file's header."""

    def __init__(
        self, message: str, *, path: str, missing: list[str], header: list[str], hint: str | None = None
    ) -> None:
        super().__init__(message, path=path, hint=hint)
        self.missing, self.header = missing, header


class MappingError(CustsyncError):
    """A mapping file is invalid."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        location = ":".join(str(p) for p in (path, line) if p is not None)
        super().__init__(f"{location}: {message}" if location else message, hint=hint)
        self.path, self.line, self.key = path, line, key


class ValidationFailed(CustsyncError):
    """Rows failed validation and the ``--on-invalid`` policy says to stop before any write."""

    exit_code = 1

    def __init__(self, message: str, *, failures: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.failures = failures


class PlanError(CustsyncError):
    """A plan cannot be made or applied safely."""


class StateLockedError(CustsyncError):
    """Another run holds the state directory: one run at a time, or the two would plan the same creates."""


class ApiError(CustsyncError):
    """The customer API answered with an error, or not at all."""

    final: bool = False
    """True when no retry may repeat the request (a create whose outcome is unknown): set by the client."""
    not_sent: bool = False
    """The request provably never left (no connection made, or refused before sending): repeating it is safe."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        key: str | None = None,
        problem: dict[str, Any] | None = None,
        hint: str | None = None,
    ) -> None:
        where = " ".join(p for p in (method, path) if p)
        text = f"{where}: {message}" if where else message
        if key:
            text += f" (record {key})"
        super().__init__(text, hint=hint)
        self.method, self.path, self.status, self.key = method, path, status, key
        self.problem = problem or {}

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.update(method=self.method, path=self.path, status=self.status, key=self.key, problem=self.problem)
        return out


class AuthError(ApiError):
    """401/403: the token is missing, wrong or lacks rights."""


class NotFoundError(ApiError):
    """404: the resource does not exist or is not visible to the token."""


class RequestValidationError(ApiError):
    """400: the API rejected the payload; ``violations`` mirrors the payload with messages per field."""

    @property
    def violations(self) -> dict[str, Any]:
        return dict(self.problem.get("violations") or {})


class ConflictError(ApiError):
    """409: for example a customer number that already exists."""


class RateLimitedError(ApiError):
    """429 answers outlived the retries."""


class ServerError(ApiError):
    """5xx answers outlived the retries."""


class TransportError(ApiError):
    """No usable answer: timeout, refused or dropped connection, after the retries."""

    maybe_in_progress: bool = False
    """A timeout while waiting for the answer: the server may still be working on the request."""
    past_deadline: bool = False
    """No complete answer within the client's total deadline (a trickling server): tried once more, no more."""


class ResponseError(ApiError):
    """A 2xx answer whose body is not what the API promises: not JSON, cut off, or without its envelope.

    Never retried and never read as "empty": a proxy's login page or a half-sent list must stop the run.
    """


class ListingError(ApiError):
    """A list call could not be read to its end with confidence: a page repeated, no end in sight, or the
    ids seen disagree with ``totalCount``. Nothing built on such a listing (export, mirror) may succeed."""
