"""``custsync doctor`` against the sandbox with each response-shape knob on: it reports the shape, with GETs only."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from custsync.api import ApiSettings, AsyncCustomerApi
from custsync.doctor import MAX_CALLS, probe

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("knob", "attribute", "shape"),
    [
        ("groups_as_objects", "groups_shape", "objects"),
        ("references_as_objects", "reference_shape", "object"),
        ("country_names", "country_shape", "name"),
    ],
)
def test_doctor_reports_each_shape_knob(sandbox_factory: Any, knob: str, attribute: str, shape: str) -> None:
    box = sandbox_factory(seed_customers=20, seed=3, **{knob: True})
    settings = ApiSettings(url=box.url, token=box.token, requests_per_minute=60_000)

    async def run():
        async with AsyncCustomerApi(settings) as api:
            return await probe(api), api.stats.as_dict()

    caps, calls = asyncio.run(run())
    assert getattr(caps, attribute) == shape
    assert calls["GET"] == calls["total"] <= MAX_CALLS
