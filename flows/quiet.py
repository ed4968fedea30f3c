"""Prefect, quiet and offline: the settings custsync runs it with unless the environment says otherwise.

Prefect reads these from the environment, so they must be set before :mod:`prefect` is imported (the
Makefile and the test suite set them too). Each one is only a default: a deployment on a real Prefect
server keeps whatever its environment sets.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from custsync.errors import ConfigError

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
    """Set every :data:`QUIET_ENV` default that ``env`` (default: ``os.environ``) does not set; return them.

    Also creates Prefect's home directory (:func:`prepare_prefect_home`), which Prefect needs before it starts.
    """
    env = os.environ if env is None else env
    applied = {}
    for name, value in QUIET_ENV.items():
        if name not in env:
            env[name] = value
            applied[name] = value
    prepare_prefect_home(env)
    return applied


def prepare_prefect_home(env: Mapping[str, str] | None = None) -> Path:
    """Create Prefect's home directory, parents included, and check that it is writable; return it.

    Prefect creates only the last level of ``PREFECT_HOME`` and, when that fails, retries opening its database
    for minutes. A fresh clone has no ``.custsync/``, so custsync creates the whole path itself and refuses
    an unusable one at once, naming it.
    """
    env = os.environ if env is None else env
    home = Path(env.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / f".custsync-write-check-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"cannot use {home} as Prefect's home directory: {exc.strerror or exc}",
            hint="set PREFECT_HOME to a directory you can write to (the Makefile uses .custsync/prefect)",
        ) from None
    return home
