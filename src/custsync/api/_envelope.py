"""The strict reader of successful answers: every 2xx body is checked for the envelope the API promises.

A list answer is ``{"data": [{...}, ...], "extra": {"totalCount": n, "page": {...}}}`` (or ``"cursor": {...}``
instead of ``"page"``); a view answer is ``{"data": {...}}``. Anything else — an HTML page from a proxy, JSON cut
off mid-way, a list without ``data`` — is a :class:`~custsync.errors.ResponseError` naming the request. It is
never read as an empty list: an export would make an empty snapshot of it, a mirror would plan to create
everything again.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from custsync.errors import ResponseError

_SHOWN = 80
"""How many characters of an unreadable body an error quotes (enough to recognise a login page)."""

_HINT = (
    "the API answered with something that is not its JSON format; check CUSTSYNC_API_URL (a proxy or login page "
    "in between?) and try again — nothing was read from this answer"
)


@dataclass(frozen=True)
class ListAnswer:
    """One page of a list call, as read from a checked envelope."""

    items: list[dict[str, Any]]
    total: int | None
    """``extra.totalCount``; ``None`` when the server does not say."""
    next_cursor: str | None
    """``extra.cursor.nextCursor`` of a server that pages by cursor (empty or absent: no further page)."""
    by_cursor: bool
    """Whether the server pages by cursor (``extra.cursor``) rather than by page number."""
    page_size: int | None
    """The page size the server says it used (``extra.page.size`` or ``extra.cursor.size``), if it says."""
    server_time: dt.datetime | None = None
    """The server's clock when it answered (its ``Date`` header, to the second), if it sent a readable one."""


def read_json(response: httpx.Response, *, method: str, path: str, redact: str = "") -> Any:
    """The parsed JSON body, or a :class:`ResponseError` saying why it cannot be read.

    The start of an unreadable body is quoted in the error, with ``redact`` (the token) blanked out of it.
    """
    content = response.content
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content.strip():
        raise _error(response, method, path, "the answer has an empty body where JSON was expected")
    try:
        return json.loads(content)
    except UnicodeDecodeError:
        raise _error(response, method, path, "the answer is not UTF-8 text") from None
    except ValueError as exc:
        if media and media != "application/json" and not media.endswith("+json"):
            what = f"the answer is {media}, not JSON"
        elif isinstance(exc, json.JSONDecodeError) and exc.pos >= len(content.rstrip()) - 1:
            what = f"the JSON answer is cut off after {len(content)} bytes"
        else:
            what = f"the answer is not valid JSON ({exc})"
        raise _error(response, method, path, f"{what}: {_start(content, redact)}") from None


def read_list(response: httpx.Response, *, method: str = "GET", path: str, redact: str = "") -> ListAnswer:
    """A list answer's items and paging facts; the envelope ``{"data": [...], "extra": {...}}`` is required."""
    body = read_json(response, method=method, path=path, redact=redact)
    if not isinstance(body, dict):
        raise _error(response, method, path, f"the list answer is a JSON {_kind(body)}, not {{data, extra}}")
    if "data" not in body:
        raise _error(response, method, path, "the list answer has no 'data' member")
    data = body["data"]
    if not isinstance(data, list):
        raise _error(response, method, path, f"the list answer's 'data' is a {_kind(data)}, not a list")
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise _error(response, method, path, f"item {index} of the list answer is a {_kind(item)}, not an object")
    extra = body.get("extra")
    if not isinstance(extra, dict):
        what = "has no 'extra' member" if extra is None else f"has an 'extra' that is a {_kind(extra)}"
        raise _error(response, method, path, f"the list answer {what}")
    total = extra.get("totalCount")
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise _error(response, method, path, f"the list answer's extra.totalCount is {total!r}, not a count")
    cursor = extra.get("cursor")
    by_cursor = isinstance(cursor, dict)
    next_cursor = cursor.get("nextCursor") if by_cursor else None
    if next_cursor is not None and not isinstance(next_cursor, str):
        raise _error(response, method, path, f"the list answer's extra.cursor.nextCursor is {next_cursor!r}")
    paging = cursor if by_cursor else extra.get("page")
    size = paging.get("size") if isinstance(paging, dict) else None
    page_size = size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else None
    return ListAnswer(data, total, next_cursor or None, by_cursor, page_size, server_time(response))


def server_time(response: httpx.Response) -> dt.datetime | None:
    """The answer's ``Date`` header as an aware UTC time; ``None`` when absent or unreadable."""
    try:
        stamp = parsedate_to_datetime(response.headers.get("date", ""))
    except (TypeError, ValueError, IndexError):
        return None
    if stamp is None or stamp.tzinfo is None:
        return None
    return stamp.astimezone(dt.UTC)


def read_item(response: httpx.Response, *, method: str = "GET", path: str, redact: str = "") -> dict[str, Any]:
    """A view answer's resource; the envelope ``{"data": {...}}`` is required."""
    body = read_json(response, method=method, path=path, redact=redact)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise _error(response, method, path, "the answer is not {data: {...}}")
    return data


def _error(response: httpx.Response, method: str, path: str, what: str) -> ResponseError:
    return ResponseError(what, method=method, path=path, status=response.status_code, hint=_HINT)


def _start(content: bytes, redact: str) -> str:
    text = content[: _SHOWN + 4096].decode("utf-8", "replace")
    if redact:  # before cutting, so no part of the token can survive the cut
        text = text.replace(redact, "**********")
    text = " ".join(text.split())
    return repr(text[:_SHOWN] + ("…" if len(text) > _SHOWN else ""))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "list", str: "string", bool: "boolean"}.get(type(value), type(value).__name__)
