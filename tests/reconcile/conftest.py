"""Fixtures of the reconcile tests."""

from __future__ import annotations

import pytest

from .fakes import FakeRemote


@pytest.fixture
def remote() -> FakeRemote:
    return FakeRemote()
