"""Start a real sandbox server on a free loopback port, in-process, for tests, benchmarks and demos.

``run_sandbox()`` runs uvicorn in a background thread on a socket bound to ``127.0.0.1:0`` (the OS picks the
port, so parallel test runs never race for one), waits until it accepts connections (~50 ms) and shuts it
down on exit. The pytest fixtures ``sandbox`` and ``sandbox_factory`` in ``tests/conftest.py`` wrap it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from custsync.sandbox.app import create_app
from custsync.sandbox.faults import ASGIApp, Knobs
from custsync.sandbox.storage import Store

LOOPBACK = "127.0.0.1"
_KNOB_NAMES = frozenset(Knobs.__dataclass_fields__)


@dataclass(frozen=True)
class SandboxServer:
    """A running sandbox: where it is, how to authenticate, where its data lives (None: in memory)."""

    url: str
    token: str = field(repr=False)
    db_path: Path | None
    knobs: Knobs
    store: Store | None = field(default=None, repr=False, compare=False)
    """The live store of an in-thread server (None for one spawned in its own process)."""
    client_violations: list[str] = field(default_factory=list, repr=False, compare=False)
    """Request bodies of custsync's own client that the wire layer refused (in-thread servers only); the test
    fixtures fail a test that leaves any here."""

    @property
    def headers(self) -> dict[str, str]:
        """Request headers for a client of this server."""
        return {"Authorization": f"Bearer {self.token}"}


def uvicorn_config(app: ASGIApp, *, host: str = LOOPBACK, port: int = 0) -> uvicorn.Config:
    """The one uvicorn setup the sandbox uses (quiet: no access log; no proxy header rewriting)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=2,
    )


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket for uvicorn.

    ``TCP_NODELAY`` (inherited by accepted connections on Linux) matters: uvicorn writes the response head and
    body separately, and with Nagle's algorithm the body waits for the client's delayed ACK — 40 ms per request.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # connections made before uvicorn starts wait in the backlog instead of being refused
    except OSError:
        sock.close()
        raise
    return sock


class _ThreadServer(uvicorn.Server):
    """uvicorn's server with a stop that takes effect at once (its own loop polls ``should_exit`` every 0.1 s,
    which would add ~0.2 s to every test)."""

    _loop: asyncio.AbstractEventLoop | None = None
    _stopped: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        counter = 0
        while not await self.on_tick(counter) and not self._stopped.is_set():
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), 0.1)

    def stop(self) -> None:
        self.should_exit = True
        if self._loop is not None and self._stopped is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._stopped.set)


@contextmanager
def serve_in_thread(app: ASGIApp) -> Iterator[str]:
    """Serve any ASGI app on a free loopback port in a thread; yields its base URL."""
    sock = listening_socket(LOOPBACK, 0)
    port = sock.getsockname()[1]
    server = _ThreadServer(uvicorn_config(app, port=port))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"sandbox-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.005)
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.stop()
        thread.join(timeout=10)
        sock.close()


@contextmanager
def run_sandbox(
    db_path: str | Path | None = None,
    token: str | None = None,
    *,
    seed_customers: int = 0,
    **knobs: Any,
) -> Iterator[SandboxServer]:
    """Run a sandbox server for the duration of the ``with`` block.

    ``knobs`` are the fields of :class:`Knobs` (``rate_limit_per_min``, ``latency_ms``, ``fail_rate``,
    ``fail_after_commit_rate``, ``fail_after_commit_mode``, ``drop_rate``, ``seed``); ``seed_customers`` fills
    the store with that many generated customers first (deterministic with ``seed``).
    """
    unknown = set(knobs) - _KNOB_NAMES
    if unknown:
        raise TypeError(f"unknown sandbox knob(s): {', '.join(sorted(unknown))}")
    settings = Knobs(**knobs)
    store = Store(db_path, whole_seconds=settings.whole_second_stamps)
    try:
        if seed_customers:
            from custsync.sandbox.seed import seed_store

            seed_store(store, seed_customers, seed=settings.seed)
        token = token or secrets.token_urlsafe(24)
        refused: list[str] = []
        with serve_in_thread(create_app(store, token, settings, client_violations=refused)) as url:
            yield SandboxServer(url, token, Path(db_path) if db_path else None, settings, store, refused)
    finally:
        store.close()


@contextmanager
def spawn_sandbox(
    db_path: str | Path | None = None,
    token: str | None = None,
    *,
    seed_customers: int = 0,
    startup_timeout: float = 60.0,
    **knobs: Any,
) -> Iterator[SandboxServer]:
    """Like :func:`run_sandbox`, but the server runs in its own process (``python -m custsync.sandbox``).

    Use it when the client under test is CPU-bound, e.g. in benchmarks, so that client and server do not share
    one interpreter lock. ``.store`` is None; open the database file yourself to inspect it.
    """
    settings = Knobs(**knobs)  # validate here, with a clear error in the caller's process
    token = token or secrets.token_urlsafe(24)
    command = [
        sys.executable,
        "-m",
        "custsync.sandbox",
        "--knobs",
        json.dumps({k: getattr(settings, k) for k in knobs}),
    ]
    if db_path:
        command += ["--db", str(db_path)]
    if seed_customers:
        command += ["--seed-customers", str(seed_customers)]
    env = {**os.environ, "CUSTSYNC_SANDBOX_TOKEN": token}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, text=True)
    try:
        line = _first_line(process, startup_timeout)
        yield SandboxServer(json.loads(line)["url"], token, Path(db_path) if db_path else None, settings)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The server's start line, or a clear error if it died or took too long."""
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(process.stdout.readline() if process.stdout else ""))
    reader.start()
    reader.join(timeout)
    if not found or not found[0].strip():
        process.kill()
        raise RuntimeError(f"the sandbox process did not start within {timeout:g} s (exit code {process.poll()})")
    return found[0]
