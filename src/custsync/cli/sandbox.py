"""``custsync sandbox``: run, seed and load the local customer API (see docs/sandbox.md)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer

from custsync.cli._app import App, app, console, emit_json, friendly_errors
from custsync.cli._options import JsonOpt
from custsync.errors import ConfigError
from custsync.urls import is_loopback

sandbox_app = App(
    help="A local customer API server (SQLite) for rehearsals and tests: serve it, fill it, load a snapshot.",
    no_args_is_help=True,
)
app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("serve")
@friendly_errors
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (loopback unless --allow-remote)."),
    port: int = typer.Option(8080, "--port", min=0, max=65535, help="TCP port (0: any free port)."),
    db: Path | None = typer.Option(None, "--db", help="SQLite file (created when missing); default: in memory."),
    token: str | None = typer.Option(
        None,
        "--token",
        envvar="CUSTSYNC_SANDBOX_TOKEN",
        show_envvar=True,
        help="Bearer token clients must send (default: a new random one, printed at start).",
    ),
    rate_limit: str | None = typer.Option(None, "--rate-limit", help="e.g. 100/min: beyond it 429 + Retry-After."),
    latency_ms: float = typer.Option(0.0, "--latency-ms", help="Delay added to every request."),
    fail_rate: float = typer.Option(0.0, "--fail-rate", help="Share of requests answered 500/502/503 (0..1)."),
    fail_after_commit_rate: float = typer.Option(
        0.0, "--fail-after-commit-rate", help="Share of writes committed, then answered 500 or dropped (0..1)."
    ),
    drop_rate: float = typer.Option(0.0, "--drop-rate", help="Share of requests whose connection is just closed."),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the knobs' random failures (reproducible runs)."),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow binding a non-loopback interface."),
    json_output: JsonOpt = False,
) -> None:
    """Run the sandbox API until Ctrl+C. Prints its URL and token (with --json: one JSON line on stdout)."""
    import uvicorn

    from custsync.sandbox.app import create_app
    from custsync.sandbox.faults import Knobs, parse_rate_limit
    from custsync.sandbox.storage import Store
    from custsync.sandbox.testing import listening_socket, uvicorn_config

    if not allow_remote and not is_loopback(host):
        raise ConfigError(
            f"refusing to bind {host}: the sandbox accepts a fixed token and holds test data",
            hint="bind 127.0.0.1 (default), or pass --allow-remote if you really mean it",
        )
    try:
        knobs = Knobs(
            rate_limit_per_min=parse_rate_limit(rate_limit) if rate_limit else None,
            latency_ms=latency_ms,
            fail_rate=fail_rate,
            fail_after_commit_rate=fail_after_commit_rate,
            drop_rate=drop_rate,
            seed=seed,
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}", hint="choose another --port") from None
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{bound}"
    token = token or secrets.token_urlsafe(24)
    store = Store(db)
    counts = store.counts()
    from custsync.api import ENV_RATE

    rate = RateAdvice.of(knobs.rate_limit_per_min)
    if json_output:
        emit_json(
            {
                "url": url,
                "token": token,
                "db": str(db) if db else None,
                "knobs": knobs.describe(),
                "requests_per_minute": knobs.rate_limit_per_min,
                **counts,
            }
        )
    else:
        console.print(f"[bold]custsync sandbox[/] listening on [cyan]{url}[/]", highlight=False)
        console.print(f"  token:    {token}", highlight=False)
        console.print(f"  database: {db or 'in memory (gone when stopped)'} ({counts['customers']} customers)")
        if knobs.active:
            console.print(f"  knobs:    {knobs.describe()}", highlight=False)
        console.print(f"  rate:     {rate.allowed}", highlight=False)
        console.print(
            f"  use:      CUSTSYNC_API_URL={url} CUSTSYNC_API_TOKEN=<token above> {ENV_RATE}={rate.client:g}",
            highlight=False,
        )
        console.print("  stop:     Ctrl+C", highlight=False)
    server = uvicorn.Server(uvicorn_config(create_app(store, token, knobs), host=host, port=bound))
    try:
        server.run(sockets=[sock])
        interrupted = server.should_exit  # set by uvicorn's Ctrl+C handler
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl+C after its graceful shutdown; asyncio may swallow it
        interrupted = True
    finally:
        sock.close()
        store.close()
    if interrupted:
        console.print("sandbox stopped", highlight=False)
        raise typer.Exit(130)


@sandbox_app.command("seed")
@friendly_errors
def seed_command(
    db: Path = typer.Option(..., "--db", help="SQLite file to fill (created when missing)."),
    customers: int = typer.Option(..., "--customers", min=0, help="How many customers to generate."),
    seed: int | None = typer.Option(None, "--seed", help="Same seed, same customers."),
    json_output: JsonOpt = False,
) -> None:
    """Add generated customers (EU locales) with addresses and contact persons to a sandbox database."""
    from custsync.sandbox.seed import seed_store
    from custsync.sandbox.storage import Store

    store = Store(db)
    try:
        added = seed_store(store, customers, seed=seed)
        counts = store.counts()
    finally:
        store.close()
    if json_output:
        emit_json({"db": str(db), "added": added, "seed": seed, **counts})
    else:
        console.print(
            f"added {added} customers to {db}; it now holds {counts['customers']} customers, "
            f"{counts['addresses']} addresses, {counts['contacts']} contact persons",
            highlight=False,
        )


@sandbox_app.command("load")
@friendly_errors
def load_command(
    snapshot: Path = typer.Argument(..., help="Snapshot directory from `custsync export` (or the --out root)."),
    db: Path = typer.Option(..., "--db", help="SQLite file to load into (created when missing)."),
    replace: bool = typer.Option(False, "--replace", help="Empty the database first."),
    json_output: JsonOpt = False,
) -> None:
    """Load an exported snapshot into a sandbox database, to rehearse a sync against a copy of production."""
    from custsync.sandbox.load import load_snapshot
    from custsync.sandbox.storage import Store

    store = Store(db)
    try:
        result = load_snapshot(store, snapshot, replace=replace)
    finally:
        store.close()
    if json_output:
        emit_json({"db": str(db), **result})
    else:
        console.print(
            f"loaded {result['customers']} customers, {result['addresses']} addresses, "
            f"{result['contacts']} contact persons from {result['snapshot']} into {db}",
            highlight=False,
        )


UNLIMITED_CLIENT_RATE = 100_000
"""What to tell clients of a sandbox without a rate limit: fast, but still a finite, even pace."""


@dataclass(frozen=True)
class RateAdvice:
    """The request rate a sandbox allows, and the client rate that keeps a rehearsal just under it."""

    allowed: str
    client: float

    @classmethod
    def of(cls, limit_per_min: int | None) -> RateAdvice:
        if limit_per_min is None:
            return cls("no limit (run with --rate-limit N/min to imitate production)", UNLIMITED_CLIENT_RATE)
        client = max(1, int(limit_per_min * 0.9))  # a margin: the server counts in a sliding window
        return cls(f"at most {limit_per_min} requests/min, then 429 with Retry-After", client)


@dataclass(frozen=True)
class LocalSandbox:
    """A running local sandbox: where it listens and the token it accepts."""

    url: str
    token: str


@contextmanager
def local_sandbox(db: Path, *, snapshot: Path | None = None) -> Iterator[LocalSandbox]:
    """``serve`` (after ``load`` of ``snapshot`` when given) for the duration of a ``with`` block, on a free port
    of 127.0.0.1 with a fresh token: what the demo and a migration's rehearsal run against.

    The one door to :mod:`custsync.sandbox` for code outside these commands (tests pin that)."""
    from custsync.sandbox.load import load_snapshot
    from custsync.sandbox.testing import run_sandbox

    with run_sandbox(db) as server:
        if snapshot is not None:
            load_snapshot(server.store, snapshot)
        yield LocalSandbox(server.url, server.token)
