"""prefect.yaml: every deployment's entrypoint loads, its parameters validate against the flow, its cron parses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from flows.connection import ApiTarget
from prefect.client.schemas.schedules import CronSchedule
from prefect.flows import load_flow_from_entrypoint

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENTS = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]


def test_the_nightly_sync_and_export_are_deployed() -> None:
    assert {d["name"] for d in DEPLOYMENTS} == {"nightly-sync", "nightly-export"}


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=lambda d: d["name"])
def test_deployment_matches_its_flow(deployment: dict) -> None:
    path, _, name = deployment["entrypoint"].partition(":")
    flow = load_flow_from_entrypoint(f"{ROOT / path}:{name}")
    validated = flow.validate_parameters(deployment["parameters"])
    api = validated["api"]
    assert isinstance(api, ApiTarget)
    assert api.token_secret and api.gcl_name, "token from a Secret block; requests share the global limit"
    assert "token" not in {k.lower() for k in deployment["parameters"]}
    for schedule in deployment["schedules"]:
        CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])
