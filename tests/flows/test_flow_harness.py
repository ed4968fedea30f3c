"""The Prefect harness runs flows offline, and the quiet defaults hold."""

from __future__ import annotations

import os

from flows.quiet import QUIET_ENV, quiet_prefect
from prefect import flow, task


def test_quiet_defaults_never_override_the_environment() -> None:
    env = {"DO_NOT_TRACK": "0"}
    applied = quiet_prefect(env)
    assert env["DO_NOT_TRACK"] == "0"
    assert "DO_NOT_TRACK" not in applied
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert set(env) == set(QUIET_ENV)


def test_prefect_runs_against_the_harness_not_a_remote_server(prefect_harness: float) -> None:
    from prefect.settings import PREFECT_API_URL

    @task
    def double(x: int) -> int:
        return 2 * x

    @flow
    def tiny(x: int) -> int:
        return double(x)

    assert tiny(21) == 42
    url = PREFECT_API_URL.value()
    assert url.startswith("http://127.0.0.1:"), url
    assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"


def test_tasks_retry_only_errors_that_may_pass() -> None:
    from flows.tasks import transient
    from prefect.states import Failed

    from custsync.errors import ConfigError, PlanError, RequestValidationError, ServerError, TransportError

    for passing in (ServerError("503"), TransportError("connection reset")):
        assert transient(None, None, Failed(data=passing))
    for lasting in (
        PlanError("too many deletes"),
        ConfigError("no token"),
        RequestValidationError("bad"),
        ValueError(),
    ):
        assert not transient(None, None, Failed(data=lasting))
