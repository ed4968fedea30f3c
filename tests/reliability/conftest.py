"""The reliability suite's sizes: a quick version in every ``make test``, the full soak with ``--reliability-full``.

``make reliability`` runs ``pytest tests/reliability -m reliability --reliability-full``. Random choices (kill
moments, fault sequences) come from one seed per test, printed in every failure message; set
``CUSTSYNC_RELIABILITY_SEED`` to replay a failed run.
"""

from __future__ import annotations

import os
import random
import secrets
from dataclasses import dataclass

import pytest

FULL_TIMEOUT_SECONDS = 3600


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reliability-full",
        action="store_true",
        default=False,
        help="run the reliability suite at full size (2,000 customers under faults, 10 SIGKILLs); minutes, not seconds",
    )


@dataclass(frozen=True)
class Profile:
    """How big each reliability test is."""

    name: str
    fault_customers: int
    fault_rate_limit: int
    """The sandbox's --rate-limit per minute for the fault test (the client is set to the same)."""
    changed_share: float
    kills: int
    kill_customers: int
    kill_new_per_round: int


QUICK = Profile("quick", fault_customers=100, fault_rate_limit=12000, changed_share=0.1, kills=2,
                kill_customers=30, kill_new_per_round=10)  # fmt: skip
FULL = Profile("full", fault_customers=2000, fault_rate_limit=1200, changed_share=0.05, kills=10,
               kill_customers=200, kill_new_per_round=40)  # fmt: skip


def _full(config: pytest.Config) -> bool:
    return bool(config.getoption("--reliability-full", default=False))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _full(config):
        return
    for item in items:
        if item.get_closest_marker("reliability") is not None:
            item.add_marker(pytest.mark.timeout(FULL_TIMEOUT_SECONDS))


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    return FULL if _full(pytestconfig) else QUICK


@pytest.fixture
def seed() -> int:
    """This test's random seed (from ``CUSTSYNC_RELIABILITY_SEED`` to replay a run)."""
    return int(os.environ.get("CUSTSYNC_RELIABILITY_SEED") or random.SystemRandom().randrange(1, 2**31))


@pytest.fixture
def token() -> str:
    """A distinctive random API token: searched for afterwards in every byte the runs wrote."""
    return f"rel-{secrets.token_hex(20)}"
