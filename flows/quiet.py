"""Prefect, quiet and offline: the settings custsync runs it with unless the environment says otherwise.

Prefect reads these from the environment, so they must be set before :mod:`prefect` is imported (the
Makefile and the test suite set them too). Each one is only a default: a deployment on a real Prefect
server keeps whatever its environment sets.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

QUIET_ENV: dict[str, str] = {
    # no usage analytics from the (ephemeral) server, no SDK telemetry, no "do you want to..." notices
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
    # the embedded server serves the API only
    "PREFECT_SERVER_UI_ENABLED": "false",
    # a cold start on a small machine migrates a fresh database first: 20 s (the default) is too tight
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    # uvicorn and the server's services log only problems
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
}


def quiet_prefect(env: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Set every :data:`QUIET_ENV` default that ``env`` (default: ``os.environ``) does not set; return them."""
    env = os.environ if env is None else env
    applied = {}
    for name, value in QUIET_ENV.items():
        if name not in env:
            env[name] = value
            applied[name] = value
    return applied
