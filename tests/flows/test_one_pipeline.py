"""The CLI, the flow tasks and the Python API run one pipeline: the same source and options give the same plan,
and a mirror never plans the delete of a customer validation held back — whichever entry point runs it."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from flows.connection import ApiTarget
from flows.tasks import load_task, plan_task
from prefect import flow
from typer.testing import CliRunner

from custsync import pipeline
from custsync.api import ApiSettings
from custsync.cli import app
from custsync.errors import PlanError
from custsync.reconcile import Plan

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = ROOT / "sample_data" / "canonical"
LEGACY = ROOT / "sample_data" / "legacy_erp"
LEGACY_MAPPING = ROOT / "mappings" / "legacy_erp.yaml"
RATE = 100_000

Options = dict[str, object]
EntryPoint = Callable[..., Plan]


def _cli_args(options: Options) -> list[str]:
    args = ["--mode", str(options.get("mode", "upsert"))]
    if options.get("scope"):
        args += ["--scope", str(options["scope"])]
    if options.get("force"):
        args.append("--force")
    if options.get("contact_key"):
        args += ["--contact-key", str(options["contact_key"])]
    return args


def plan_by_cli(sandbox, sources: list[Path], mapping: Path | None, options: Options, work: Path) -> Plan:
    out = work / "plan.json"
    args = ["plan", *map(str, sources), *_cli_args(options), "--out", str(out), "--state-dir", str(work / "state")]
    args += ["--requests-per-minute", str(RATE), "--json"]
    if mapping is not None:
        args += ["--mapping", str(mapping)]
    if options.get("on_invalid"):
        args += ["--on-invalid", str(options["on_invalid"]), "--max-invalid", str(options["max_invalid"])]
    env = {"CUSTSYNC_API_URL": sandbox.url, "CUSTSYNC_API_TOKEN": sandbox.token}
    result = CliRunner().invoke(app, args, env=env)
    if result.exit_code == 2:
        raise PlanError(result.stdout)
    assert result.exit_code == 0, result.output
    return Plan.load(out)


def _parsed(options: Options):
    return pipeline.plan_options(
        str(options.get("mode", "upsert")),
        options.get("scope"),  # type: ignore[arg-type]
        None,
        bool(options.get("force", False)),
        False,
        str(options.get("contact_key", "name")),
    )


@flow(name="one-pipeline-plan", persist_result=False)
def _plan_with_tasks(
    sources: list[Path], mapping: Path | None, options: Options, target: ApiTarget, state_dir: Path
) -> Plan:
    loaded = load_task(sources, mapping)
    if options.get("on_invalid"):
        pipeline.check_policy(loaded, options["on_invalid"], options["max_invalid"])  # type: ignore[arg-type]
    return plan_task(loaded.desired, target, _parsed(options), state_dir)


def plan_by_flow_tasks(sandbox, sources: list[Path], mapping: Path | None, options: Options, work: Path) -> Plan:
    target = ApiTarget(url=sandbox.url, token_env="CUSTSYNC_ONE_PIPELINE_TOKEN", requests_per_minute=RATE)
    return _plan_with_tasks(sources, mapping, options, target, work / "state")


def plan_by_python_api(sandbox, sources: list[Path], mapping: Path | None, options: Options, work: Path) -> Plan:
    loaded = pipeline.load(sources, mapping)
    if options.get("on_invalid"):
        pipeline.check_policy(loaded, options["on_invalid"], options["max_invalid"])  # type: ignore[arg-type]
    connection = pipeline.Connection(ApiSettings(url=sandbox.url, token=sandbox.token, requests_per_minute=RATE))
    return asyncio.run(pipeline.plan(loaded.desired, connection, options=_parsed(options), state_dir=work / "state"))


ENTRY_POINTS: dict[str, EntryPoint] = {
    "cli": plan_by_cli,
    "flow-tasks": plan_by_flow_tasks,
    "python-api": plan_by_python_api,
}


@pytest.fixture
def entry(prefect_harness, sandbox, monkeypatch, tmp_path) -> Callable[..., Plan]:
    """``entry(name, sources, mapping, **options)``: the plan entry point ``name`` makes, in a state dir of its own."""
    monkeypatch.setenv("CUSTSYNC_ONE_PIPELINE_TOKEN", sandbox.token)

    def run(name: str, sources: list[Path], mapping: Path | None = None, **options: object) -> Plan:
        work = tmp_path / f"{name}-{len(list(tmp_path.glob(name + '-*')))}"
        work.mkdir()
        return ENTRY_POINTS[name](sandbox, sources, mapping, options, work)

    return run


def _synced_sample(sandbox, tmp_path: Path) -> None:
    """Put the canonical sample into the sandbox through the pipeline, as a first sync would."""
    loaded = pipeline.load([CANONICAL])
    connection = pipeline.Connection(ApiSettings(url=sandbox.url, token=sandbox.token, requests_per_minute=RATE))
    synced = asyncio.run(
        pipeline.sync(loaded.desired, connection, options=pipeline.plan_options(), state_dir=tmp_path / "seed-state")
    )
    assert synced.applied is not None and synced.applied.report.ok


def _edited_copy(tmp_path: Path, edit: Callable[[dict[str, pd.DataFrame]], None]) -> Path:
    """A copy of the canonical sample with ``edit`` applied to its frames (read as text, written back as text)."""
    target = tmp_path / "source"
    shutil.copytree(CANONICAL, target)
    frames = {name: pd.read_csv(target / f"{name}.csv", dtype=str, keep_default_na=False) for name in _FILES}
    edit(frames)
    for name, frame in frames.items():
        frame.to_csv(target / f"{name}.csv", index=False)
    return target


_FILES = ("customers", "addresses", "contacts")


def _changed_and_one_gone(frames: dict[str, pd.DataFrame]) -> None:
    customers = frames["customers"]
    customers.loc[customers["number"] == "K10001", "contact.phone"] = "+49 30 1234567"
    gone = "K10050"
    for name, column in (("customers", "number"), ("addresses", "customerNumber"), ("contacts", "customerNumber")):
        frames[name] = frames[name][frames[name][column] != gone]


def _fixed(plan: Plan) -> str:
    """The plan's id with its creation time fixed: the one field that differs between two runs of anything."""
    plan.meta.created_at = "fixed"
    return plan.plan_id()


@pytest.mark.parametrize(
    ("case", "options"),
    [
        ("legacy-first-sync", {}),
        ("canonical-mirror", {"mode": "mirror", "scope": "all", "contact_key": "email"}),
    ],
)
def test_every_entry_point_makes_the_same_plan(entry, sandbox, tmp_path, case: str, options: Options) -> None:
    if case == "legacy-first-sync":
        sources, mapping = [LEGACY / "kunden_export.csv"], LEGACY_MAPPING
    else:
        _synced_sample(sandbox, tmp_path)
        sources, mapping = [_edited_copy(tmp_path, _changed_and_one_gone)], None

    plans = {name: entry(name, sources, mapping, **options) for name in ENTRY_POINTS}

    first = plans["cli"]
    assert first.operations > 0
    if case == "canonical-mirror":
        assert [d.key for d in first.customers.deletes] == ["K10050"]
        assert first.meta.deletes["entities"]["customers"] == {"planned": 1, "in_scope": 50, "limit": 3}
    assert all(len(s["sha256"]) == 64 for s in first.meta.sources) and first.meta.sources
    assert {name: _fixed(plan) for name, plan in plans.items()} == dict.fromkeys(ENTRY_POINTS, _fixed(first))


def _one_customer_and_one_address_rejected(frames: dict[str, pd.DataFrame]) -> None:
    customers, addresses = frames["customers"], frames["addresses"]
    customers.loc[customers["number"] == "K10002", "customerType"] = "corporation"
    delivery = (addresses["customerNumber"] == "K10003") & (addresses["matchKey"] == "K10003-L2")
    addresses.loc[delivery, "country"] = "Germany"


SKIP = {"mode": "mirror", "scope": "all", "on_invalid": "skip", "max_invalid": "10%"}


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_mirror_with_skipped_rows_never_deletes_what_validation_held_back(entry, sandbox, tmp_path, name) -> None:
    _synced_sample(sandbox, tmp_path)
    source = _edited_copy(tmp_path, _one_customer_and_one_address_rejected)

    with pytest.raises(PlanError, match="rejected"):  # refused unless forced, before any write
        entry(name, [source], **SKIP)
    plan = entry(name, [source], **SKIP, force=True)

    assert plan.customers.deletes == [] and plan.addresses.deletes == [] and plan.contacts.deletes == []
    assert plan.meta.deletes["held_back"] >= 2 and plan.meta.deletes["rejected_rows"] >= 2
    assert plan.meta.deletes["force"] is True
