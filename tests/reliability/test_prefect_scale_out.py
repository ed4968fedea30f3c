"""Prefect scale-out end to end: two workers, two concurrent sync runs, one rate-limited API, one shared budget.

The test starts what an operator would: a Prefect server (offline, quiet, its database under the test's
directory), a ``process`` work pool, a global concurrency limit used as a rate limit (``prefect gcl create``),
two ``prefect worker start`` processes taking one run each, and a deployment of ``flows/sync.py:sync_flow``.
Two flow runs then sync two different sources into ONE sandbox limited to ``LIMIT`` requests per minute. Each
run's client alone is allowed the whole ``LIMIT`` (together twice the budget): only the shared limit keeps
the two under it.

Just before the runs start, another consumer of the same API spends the sandbox's whole minute, so the runs'
first requests are answered 429 and must wait and retry.

Checked from the sandbox's own request log (every request that reached it, 429s included): in every sliding
60 s window (the sandbox's window) the two runs sent at most ``LIMIT`` plus 5%; once the other consumer's minute
was over, the API never had to refuse them (without the shared limit it does: the clients' own 429 back-off
keeps the rate near the limit too, but only by being refused); every 429 was retried until answered and both
runs completed; both converged (the API holds exactly both sources, and a new plan of each is empty); the
token appears in no file under the test's directory (Prefect's database and logs included).
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from .support import Cli, Source, differences, generate, planned_operations, token_leaks

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 120
"""The sandbox's requests per minute (the API's budget); small, so the test takes minutes, not hours."""
SHARED_RATE = LIMIT * 0.95 / 60
"""The global limit's slot decay per second: a little under the API's budget, as prefect.yaml's 96 of 100."""
SHARED_BURST = 2
TOLERANCE = 0.05
CUSTOMERS_PER_RUN = 25
GCL = "custsync-scale-out"
POOL = "custsync-scale-out"
WINDOW = 60.0
STARTUP_SECONDS = 180
RUNS_TIMEOUT_SECONDS = 1500


# -- the sandbox, with a log of every request that reached it ---------------------------------------------------


@dataclass(frozen=True)
class Request:
    arrived: float
    method: str
    path: str
    status: int


class RequestLog:
    """Outermost ASGI layer: notes each HTTP request's arrival time and the status it was answered with."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app
        self.requests: list[Request] = []

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived, status = time.monotonic(), 0

        async def noted(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noted)
        finally:
            self.requests.append(Request(arrived, scope["method"], scope["path"], status))


@dataclass
class Sandbox:
    url: str
    token: str
    db_path: Path
    log: RequestLog
    refused_bodies: list[str]


@contextmanager
def logged_sandbox(db_path: Path, token: str) -> Iterator[Sandbox]:
    from custsync.sandbox import Knobs, Store, create_app
    from custsync.sandbox.testing import serve_in_thread

    store = Store(db_path)
    refused: list[str] = []
    log = RequestLog(create_app(store, token, Knobs(rate_limit_per_min=LIMIT), client_violations=refused))
    try:
        with serve_in_thread(log) as url:
            yield Sandbox(url, token, db_path, log, refused)
    finally:
        store.close()


def busiest_window(times: list[float], window: float = WINDOW) -> int:
    """The most requests in any ``window`` seconds (a sliding window starting at each request)."""
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - window:
            start += 1
        most = max(most, end - start + 1)
    return most


# -- Prefect: a server, a work pool, a global limit, two workers ----------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prefect_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a Prefect process of this test: none of the test run's own Prefect settings, its own
    home under the test's directory, quiet and offline (the product's defaults, :mod:`flows.quiet`)."""
    from flows.quiet import quiet_prefect

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_API_BLOCKS_REGISTER_ON_START="false", **extra)
    quiet_prefect(env)
    return env


@dataclass
class Stack:
    api_url: str
    work: Path
    processes: list[tuple[str, subprocess.Popen[bytes], Path]]

    def env(self, name: str, **extra: str) -> dict[str, str]:
        return prefect_env(self.work / name / "home", PREFECT_API_URL=self.api_url, **extra)

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = self.work / name / "output.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "prefect", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=ROOT,
                start_new_session=True,  # its own process group: stopped with the flow runs it started
            )
        self.processes.append((name, process, log))
        return process

    def cli(self, *args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "prefect", *args],
            env=self.env("cli"),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=STARTUP_SECONDS,
        )
        assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"

    def output(self, name: str) -> str:
        return next(log for n, _, log in self.processes if n == name).read_text(errors="replace")

    def stop(self) -> None:
        for _, process, _ in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process, _ in reversed(self.processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def prefect_stack(work: Path) -> Iterator[Stack]:
    port = _free_port()
    stack = Stack(f"http://127.0.0.1:{port}/api", work, [])
    try:
        server = stack.start(
            "server",
            ["server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui", "--analytics-off"],
            stack.env("server"),
        )
        _wait_healthy(stack, server)
        yield stack
    finally:
        stack.stop()


def _wait_healthy(stack: Stack, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the Prefect server stopped:\n{stack.output('server')[-3000:]}"
        try:
            if httpx.get(f"{stack.api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the Prefect server did not answer within {STARTUP_SECONDS} s")


def deploy_sync_flow(api_url: str) -> Any:
    """A deployment of the sync flow that the process workers run from this checkout."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name("custsync-sync")
        return client.create_deployment(
            flow_id=flow_id,
            name="scale-out",
            work_pool_name=POOL,
            entrypoint="flows/sync.py:sync_flow",
            path=str(ROOT),
            pull_steps=[{"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}],
            job_variables={"working_dir": str(ROOT)},
        )


def start_runs(api_url: str, deployment_id: Any, parameters: list[dict[str, Any]]) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        return [
            client.create_flow_run_from_deployment(deployment_id, parameters=p, name=f"scale-out-{i}").id
            for i, p in enumerate(parameters, start=1)
        ]


def wait_for_runs(api_url: str, run_ids: list[Any], stack: Stack) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    deadline = time.monotonic() + RUNS_TIMEOUT_SECONDS
    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        while True:
            runs = [client.read_flow_run(i) for i in run_ids]
            if all(r.state is not None and r.state.is_final() for r in runs):
                return runs
            for name, process, _ in stack.processes:
                assert process.poll() is None, f"{name} stopped:\n{stack.output(name)[-3000:]}"
            assert time.monotonic() < deadline, f"runs not finished: {[r.state_name for r in runs]}"
            time.sleep(2)


# -- the test -----------------------------------------------------------------------------------------------


def _full(request: pytest.FixtureRequest) -> bool:
    return bool(
        request.config.getoption("--reliability-full", default=False) or os.environ.get("CUSTSYNC_RELIABILITY_FULL")
    )


def test_two_workers_share_one_rate_limit_and_both_runs_converge(
    request: pytest.FixtureRequest, tmp_path: Path, token: str, seed: int
) -> None:
    if not _full(request):
        pytest.skip("takes minutes (a Prefect server, two workers): run `make reliability`")
    rng = random.Random(seed)
    sources = [generate(CUSTOMERS_PER_RUN, rng), generate(CUSTOMERS_PER_RUN, rng, start=10_000)]
    directories = [source.write(tmp_path / f"source-{i}") for i, source in enumerate(sources, start=1)]
    states = [tmp_path / f"state-{i}" for i in (1, 2)]

    with logged_sandbox(tmp_path / "sandbox.db", token) as box, prefect_stack(tmp_path / "prefect") as stack:
        stack.cli("work-pool", "create", POOL, "--type", "process")
        stack.cli("gcl", "create", GCL, "--limit", str(SHARED_BURST), "--slot-decay-per-second", str(SHARED_RATE))
        deployment = deploy_sync_flow(stack.api_url)
        worker_env = stack.env("workers", CUSTSYNC_API_TOKEN=token, PREFECT_WORKER_QUERY_SECONDS="1")
        worker_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), worker_env.get("PYTHONPATH")]))
        for name in ("worker-1", "worker-2"):
            stack.start(name, ["worker", "start", "--pool", POOL, "--name", name, "--limit", "1"], worker_env)

        api = {"url": box.url, "requests_per_minute": LIMIT, "concurrency": 4, "gcl_name": GCL}
        parameters = [
            {"sources": [str(d)], "mode": "upsert", "api": api, "state_dir": str(s), "report_dir": str(s / "reports")}
            for d, s in zip(directories, states, strict=True)
        ]
        _spend_the_minute(box)
        started = time.monotonic()
        run_ids = start_runs(stack.api_url, deployment, parameters)
        runs = wait_for_runs(stack.api_url, run_ids, stack)

        context = f"(seed {seed}; runs: {[(r.name, r.state_name) for r in runs]})"
        assert [r.state_name for r in runs] == ["Completed", "Completed"], context + _tails(stack)
        (a_start, a_end), (b_start, b_end) = [(r.start_time, r.end_time) for r in runs]
        assert a_start < b_end and b_start < a_end, f"the runs did not overlap {context}"
        ran_by = {
            worker: [r.name for r in runs if f"Flow run '{r.name}' submitted to infrastructure" in stack.output(worker)]
            for worker in ("worker-1", "worker-2")
        }
        assert sorted(map(len, ran_by.values())) == [1, 1], f"each worker ran one flow run: {ran_by}"
        sent = [r for r in box.log.requests if r.arrived >= started]
        window_free = max(r.arrived for r in box.log.requests if r.arrived < started) + WINDOW
        busiest = busiest_window([r.arrived for r in sent])
        limited = [r for r in sent if r.status == 429]
        own = [r for r in limited if r.arrived > window_free]  # not the other consumer's minute: the runs' own
        span = max(r.arrived for r in sent) - min(r.arrived for r in sent)
        sys.stderr.write(
            f"\n[scale-out: {len(sent)} requests in {span:.0f} s ({len(sent) / span * 60:.0f}/min on average), "
            f"busiest 60 s window {busiest} (limit {LIMIT}, +5% = {LIMIT * (1 + TOLERANCE):.0f}), "
            f"{len(limited)} answered 429 ({len(own)} after the other consumer's minute), seed {seed}]\n"
        )
        assert busiest <= LIMIT * (1 + TOLERANCE), f"{busiest} requests in 60 s, limit {LIMIT} {context}"
        assert limited, "the runs met no 429 (the other consumer's minute should have made them wait)"
        assert own == [], f"the shared limit let the runs overrun the API: {own[:5]} {context}"
        for refused in limited:  # each 429 was retried until the API answered it
            assert any(
                r.method == refused.method
                and r.path == refused.path
                and r.arrived > refused.arrived
                and r.status != 429
                for r in sent
            ), f"{refused} was never answered after the 429"
        assert box.refused_bodies == []

        both = Source(*(pd.concat([getattr(s, t) for s in sources], ignore_index=True) for t in _TABLES))
        assert differences(both, box.db_path) == [], context
        cli = Cli(tmp_path, box.url, token)
        for directory, state in zip(directories, states, strict=True):
            again = cli.run(
                "plan", str(directory), "--state-dir", str(state), "--requests-per-minute", str(LIMIT), "--json"
            )
            assert again.code == 0, again.tail
            assert set(planned_operations(again).values()) == {(0, 0, 0)}, context
    assert token_leaks(token, [tmp_path], [r.stdout + r.stderr for r in cli.runs]) == []


_TABLES = ("customers", "addresses", "contacts")


def _spend_the_minute(box: Sandbox) -> None:
    """Another consumer of the same API uses up the sandbox's whole minute."""
    with httpx.Client(base_url=box.url, headers={"Authorization": f"Bearer {box.token}"}, timeout=30) as other:
        for _ in range(LIMIT):
            assert other.get("/api/v2/customers", params={"page[size]": 1}).status_code == 200
        assert other.get("/api/v2/customers").status_code == 429


def _tails(stack: Stack) -> str:
    return "".join(f"\n--- {name}\n{stack.output(name)[-4000:]}" for name, _, _ in stack.processes)
