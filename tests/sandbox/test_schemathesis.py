"""Property-based run of every operation in the sandbox's /openapi.json: no input may cause a 5xx.

Generated from the document the server serves (fetched over HTTP), with the failure knobs off. The run is
bounded (a handful of examples per operation) so it stays within the default test budget; ``make reliability``
style soaks are not needed for this property.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from custsync.sandbox.openapi import openapi_document
from custsync.sandbox.testing import SandboxServer, run_sandbox

pytestmark = pytest.mark.integration

MAX_EXAMPLES = int(os.environ.get("CUSTSYNC_FUZZ_EXAMPLES", "5"))
"""Examples per operation; raise it for a longer hunt, e.g. CUSTSYNC_FUZZ_EXAMPLES=200 pytest tests/sandbox."""


@pytest.fixture(scope="module")
def fuzzed_sandbox() -> Iterator[SandboxServer]:
    with run_sandbox(seed_customers=3, seed=11) as server:
        yield server


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    """One keep-alive session for all generated calls (a new connection per call doubles the run time)."""
    with requests.Session() as shared:
        yield shared


schema = schemathesis.openapi.from_dict(openapi_document())
# The coverage phase enumerates hundreds of boundary cases per operation (minutes in total); the examples and
# the bounded fuzzing phase keep the run under a minute and still reach every operation and parameter.
schema.config.phases.coverage.enabled = False
schema.config.phases.stateful.enabled = False
"""The document /openapi.json serves (built by the same function; test_served_document_is_the_fuzzed_one)."""


def test_served_document_is_the_fuzzed_one(fuzzed_sandbox: SandboxServer) -> None:
    served = httpx.get(f"{fuzzed_sandbox.url}/openapi.json").json()
    assert served.pop("servers") == [{"url": fuzzed_sandbox.url}]
    assert served == openapi_document()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,  # no .hypothesis directory in the work tree
    suppress_health_check=list(HealthCheck),
)
def test_no_input_causes_a_server_error(case, fuzzed_sandbox: SandboxServer, session: requests.Session) -> None:
    headers = {"Authorization": f"Bearer {fuzzed_sandbox.token}"}
    case.call_and_validate(
        base_url=fuzzed_sandbox.url, session=session, headers=headers, checks=[not_a_server_error], timeout=10
    )
