"""Benchmark: requests per second of the sandbox for list, view and create, against a bare ASGI hello-world.

The server runs in its own process (the same uvicorn setup the sandbox always uses: one worker, no access log),
so the load generator does not share its interpreter. The load generator is a minimal keep-alive HTTP/1.1
client on raw asyncio streams with several connections, cheap enough that the server is what is measured.
The baseline, measured in the same run on the same setup, is an ASGI app that answers "hello" — the ceiling
of uvicorn on this machine; ``ratio`` is each operation's rate divided by it. ``cpu ms/req`` is the server
process's CPU time per request, which stays comparable when other work shares the machine.

- view:   GET /api/v2/customers/{id} of a random seeded customer
- list:   GET /api/v2/customers?page[size]=50&page[number]=n (full pages, as an export reads them)
- create: POST /api/v2/customers with a unique number (201 + Location)

    .venv/bin/python benchmarks/bench_sandbox.py [--customers 2000] [--seconds 3] [--connections 8] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

TOKEN = "bench-token"
_NUMBERS = itertools.count()
"""Customer numbers of created customers, unique across warm-up and measured runs."""


# ------------------------------------------------------------------------------------------------- server side
async def _hello(scope, receive, send):  # type: ignore[no-untyped-def]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


def _serve(kind: str, db: str) -> None:
    """Child process: serve the sandbox (or hello) on a free port, print the port, run until killed."""
    import uvicorn

    from custsync.sandbox.app import create_app
    from custsync.sandbox.storage import Store
    from custsync.sandbox.testing import listening_socket, uvicorn_config

    app = _hello if kind == "hello" else create_app(Store(db), TOKEN)
    sock = listening_socket("127.0.0.1", 0)
    print(sock.getsockname()[1], flush=True)
    uvicorn.Server(uvicorn_config(app)).run(sockets=[sock])


class Server:
    def __init__(self, kind: str, db: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind, "--db", str(db)], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())

    def cpu_seconds(self) -> float | None:
        """User + system CPU time the server process has used so far (Linux /proc; None elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


# ------------------------------------------------------------------------------------------------- client side
class Connection:
    """One keep-alive HTTP/1.1 connection: send a request, read exactly one response."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def request(self, method: str, path: str, body: bytes = b"") -> int:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        header = await self.reader.readuntil(b"\r\n\r\n")
        status = int(header[9:12])
        length = 0
        chunked = False
        for line in header.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
            elif name.lower() == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


@dataclass
class Result:
    operation: str
    requests: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    server_cpu_ms: float | None = None
    """Server CPU time per request: unlike req/s, it does not depend on what else the machine is running."""
    ratio: float = 0.0


async def _load(port: int, operation: str, seconds: float, connections: int, customers: int) -> Result:
    rng = random.Random(1)
    pages = max(1, customers // 50)

    def next_request() -> tuple[str, str, bytes, int]:
        if operation == "hello":
            return "GET", "/", b"", 200
        if operation == "view":
            return "GET", f"/api/v2/customers/{rng.randint(1, customers)}", b"", 200
        if operation == "list":
            return "GET", f"/api/v2/customers?page[size]=50&page[number]={rng.randint(1, pages)}", b"", 200
        body = {
            "type": "company",
            "name": "Bench GmbH",
            "number": f"B-{next(_NUMBERS)}",
            "contact": {"email": "bench@example.de"},
        }
        return "POST", "/api/v2/customers", json.dumps(body).encode(), 201

    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        conn = await Connection.open(port)
        try:
            while time.perf_counter() < deadline:
                method, path, body, expected = next_request()
                start = time.perf_counter()
                status = await conn.request(method, path, body)
                latencies.append(time.perf_counter() - start)
                if status != expected:
                    raise RuntimeError(f"{operation}: {method} {path} answered {status}")
        finally:
            conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies)
    return Result(
        operation=operation,
        requests=len(latencies),
        seconds=round(elapsed, 3),
        per_second=round(len(latencies) / elapsed, 1),
        p50_ms=round(statistics.median(ordered) * 1000, 2),
        p99_ms=round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
    )


def run(customers: int, seconds: float, connections: int) -> list[Result]:
    from custsync.sandbox.seed import seed_store
    from custsync.sandbox.storage import Store

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        store = Store(db)
        seed_store(store, customers, seed=1)
        store.close()
        results = []
        for kind, operations in (("hello", ["hello"]), ("sandbox", ["view", "list", "create"])):
            server = Server(kind, db)
            try:
                for operation in operations:
                    asyncio.run(_load(server.port, operation, 0.3, connections, customers))  # warm-up
                    before = server.cpu_seconds()
                    result = asyncio.run(_load(server.port, operation, seconds, connections, customers))
                    after = server.cpu_seconds()
                    if before is not None and after is not None and result.requests:
                        result.server_cpu_ms = round((after - before) * 1000 / result.requests, 3)
                    results.append(result)
            finally:
                server.stop()
    baseline = results[0].per_second
    for result in results:
        result.ratio = round(result.per_second / baseline, 3)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=2000, help="seeded customers (view/list targets)")
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per operation")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--serve", choices=["hello", "sandbox"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.db)
        return
    results = run(args.customers, args.seconds, args.connections)
    if args.json:
        payload = {
            "benchmark": "sandbox",
            "customers": args.customers,
            "connections": args.connections,
            "results": [asdict(r) for r in results],
        }
        print(json.dumps(payload, indent=2))
        return
    print(f"sandbox throughput ({args.connections} connections, {args.customers} seeded customers)")
    print(f"{'operation':<10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs hello':>10}{'cpu ms/req':>12}")
    for r in results:
        cpu = f"{r.server_cpu_ms:.2f}" if r.server_cpu_ms is not None else "n/a"
        print(f"{r.operation:<10}{r.per_second:>10.1f}{r.p50_ms:>10.2f}{r.p99_ms:>10.2f}{r.ratio:>10.2f}{cpu:>12}")


if __name__ == "__main__":
    main()
