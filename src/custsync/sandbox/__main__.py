"""``python -m custsync.sandbox``: start a sandbox server fast, for scripts and tests that need one in its own process.

Unlike ``custsync sandbox serve`` this imports only the sandbox (about 0.3 s instead of the whole CLI), binds
loopback only, and prints one JSON line ``{"url": ..., "pid": ...}`` on stdout once the socket accepts
connections. The token is taken from ``--token`` or ``CUSTSYNC_SANDBOX_TOKEN`` and never printed. Stops on
SIGINT/SIGTERM. :func:`custsync.sandbox.testing.spawn_sandbox` wraps it.

    python -m custsync.sandbox --token T [--db PATH] [--port 0] [--seed-customers N] [--knobs '{"fail_rate": 0.1}']
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from custsync.sandbox.testing import LOOPBACK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m custsync.sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--token", default=os.environ.get("CUSTSYNC_SANDBOX_TOKEN"), help="Bearer token")
    parser.add_argument("--db", default=None, help="SQLite file (default: in memory)")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--seed-customers", type=int, default=0, help="generate this many customers first")
    parser.add_argument("--knobs", default="{}", help="JSON object of Knobs fields")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("a token is required (--token or CUSTSYNC_SANDBOX_TOKEN)")
    try:
        knob_values = json.loads(args.knobs)
        if not isinstance(knob_values, dict):
            raise ValueError("--knobs must be a JSON object")
        from custsync.sandbox.faults import Knobs

        knobs = Knobs(**knob_values)
    except (ValueError, TypeError) as exc:
        parser.error(f"bad --knobs: {exc}")

    import uvicorn

    from custsync.sandbox.app import create_app
    from custsync.sandbox.storage import Store
    from custsync.sandbox.testing import listening_socket, uvicorn_config

    store = Store(args.db, whole_seconds=knobs.whole_second_stamps)
    if args.seed_customers:
        from custsync.sandbox.seed import seed_store

        seed_store(store, args.seed_customers, seed=knobs.seed)
    sock = listening_socket(LOOPBACK, args.port)
    port = sock.getsockname()[1]
    sys.stdout.write(json.dumps({"url": f"http://{LOOPBACK}:{port}", "pid": os.getpid()}) + "\n")
    sys.stdout.flush()
    try:
        uvicorn.Server(uvicorn_config(create_app(store, args.token, knobs))).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
