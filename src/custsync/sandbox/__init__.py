"""A local customer API server (ASGI + SQLite) for tests, demos and migration rehearsals.

The pipeline never imports this package; it talks to the sandbox over HTTP like to the real API.

    from custsync.sandbox import run_sandbox
    with run_sandbox(seed_customers=100, seed=1) as server:
        ...  # server.url, server.token, server.db_path
"""

from __future__ import annotations

from custsync.sandbox.app import create_app
from custsync.sandbox.faults import Knobs
from custsync.sandbox.storage import Store
from custsync.sandbox.testing import SandboxServer, run_sandbox

__all__ = ["Knobs", "SandboxServer", "Store", "create_app", "run_sandbox"]
