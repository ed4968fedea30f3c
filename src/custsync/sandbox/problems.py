"""RFC 7807 problem responses, shaped like the real API's (``application/problem+json``).

The 400 and 409 bodies follow the spec subset exactly (``type``/``title``/``violations`` or ``messages`` and no
other members, because the spec's schemas forbid extra members). Statuses the spec gives no body for (401, 404,
405, 406, 415, 429, 5xx) use the generic RFC 7807 form ``about:blank`` + ``title`` + ``status`` + ``detail``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

PROBLEM_BASE = "https://api.xentral.biz/problems/"
REQUEST_VALIDATION = PROBLEM_BASE + "request-validation"
GENERIC_VALIDATION = PROBLEM_BASE + "generic-validation"
CONFLICT = PROBLEM_BASE + "conflict"
MEDIA_TYPE = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class ProblemError(Exception):
    """Raised inside a handler to answer with a problem; the app turns it into a response."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(body.get("title", ""))
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> Response:
        return problem_response(self.status, self.body, self.headers)


def problem_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    content = json.dumps(body, separators=(",", ":")).encode()  # ASCII: echoes of bad input stay encodable
    return Response(content, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def http_problem(status: int, detail: str) -> dict[str, Any]:
    """A generic problem body for a plain HTTP status."""
    return {"type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status, "detail": detail}


def validation_failed(violations: dict[str, Any]) -> ProblemError:
    body = {"type": REQUEST_VALIDATION, "title": "Request payload validation failed.", "violations": violations}
    return ProblemError(400, body)


def query_invalid(messages: list[str]) -> ProblemError:
    body = {"type": GENERIC_VALIDATION, "title": "Request query validation failed.", "messages": messages}
    return ProblemError(400, body)


def conflict(message: str) -> ProblemError:
    return ProblemError(
        409, {"type": CONFLICT, "title": "Request conflicts with the current state.", "messages": [message]}
    )


def not_found(detail: str) -> ProblemError:
    return ProblemError(404, http_problem(404, detail))
