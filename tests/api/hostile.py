"""Small misbehaving servers for the adversarial tests: raw ASGI apps served on 127.0.0.1 by uvicorn.

Each answers every request the same wrong way (HTML, cut-off JSON, a list without ``data``, pages that never
end, a body trickled one byte at a time); :class:`TurningProxy` forwards to a real sandbox and starts answering
401 after a given number of requests, recording everything it saw.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

Scope = MutableMapping[str, Any]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


async def answer(send: Send, status: int, body: bytes, media: str = "application/json") -> None:
    headers = [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def fixed(status: int, body: bytes, media: str = "application/json"):
    """Every request gets the same answer."""

    async def app(scope: Scope, receive: Any, send: Send) -> None:
        if scope["type"] == "http":
            await answer(send, status, body, media)

    return app


def endless(*, honour_id_filter: bool, total: int | None = None):
    """Full pages of 50 for ever: new ids on every page (or the same 50 when ``honour_id_filter`` is off)."""

    async def app(scope: Scope, receive: Any, send: Send) -> None:
        if scope["type"] != "http":
            return
        query = dict(parse_qsl(scope["query_string"].decode()))
        start = 0
        if honour_id_filter:
            keys = [k for k, v in query.items() if k.endswith("[key]") and v == "id"]
            if keys:
                start = int(query[keys[0].replace("[key]", "[value]")])
            number = int(query.get("page[number]", "1"))
            start += (number - 1) * 50
        data = [{"id": str(start + i + 1), "number": str(10000 + start + i)} for i in range(50)]
        extra: dict[str, Any] = {"page": {"number": 1, "size": 50}}
        if total is not None:
            extra["totalCount"] = total
        await answer(send, 200, json.dumps({"data": data, "extra": extra}).encode())

    return app


def trickle(seconds_per_byte: float):
    """A valid list answer, sent one byte at a time."""
    body = json.dumps({"data": [], "extra": {"totalCount": 0, "page": {"number": 1, "size": 50}}}).encode()

    async def app(scope: Scope, receive: Any, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for i in range(len(body)):
            await asyncio.sleep(seconds_per_byte)
            await send({"type": "http.response.body", "body": body[i : i + 1], "more_body": i < len(body) - 1})

    return app


@dataclass
class Seen:
    method: str
    path: str
    status: int


@dataclass
class TurningProxy:
    """Forwards to ``upstream`` and answers 401 to every request after the first ``good`` ones."""

    upstream: str
    good: int
    seen: list[Seen] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope: Scope, receive: Any, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        with self._lock:
            turned = len(self.seen) >= self.good
            self.seen.append(Seen(scope["method"], scope["path"], 401 if turned else 0))
            index = len(self.seen) - 1
        if turned:
            await answer(send, 401, b'{"title": "Unauthorized", "status": 401}', "application/problem+json")
            return
        headers = {k.decode(): v.decode() for k, v in scope["headers"] if k.lower() not in (b"host", b"content-length")}
        url = self.upstream + scope["path"] + ("?" + scope["query_string"].decode() if scope["query_string"] else "")
        async with httpx.AsyncClient() as client:
            response = await client.request(scope["method"], url, headers=headers, content=body)
        with self._lock:
            self.seen[index].status = response.status_code
        dropped = ("content-length", "content-encoding", "transfer-encoding")
        passed = [(k.encode(), v.encode()) for k, v in response.headers.items() if k.lower() not in dropped]
        content = response.content
        passed.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": passed})
        await send({"type": "http.response.body", "body": content})

    def after_first_refusal(self) -> list[Seen]:
        """The requests that arrived after the first one answered 401."""
        first = next((i for i, s in enumerate(self.seen) if s.status == 401), len(self.seen))
        return self.seen[first + 1 :]
