"""The import pipeline, assembled once: every entry point — the CLI commands, ``custsync report``, the Prefect flow
tasks and the Python API — runs these functions, so they read, plan, refuse and apply alike::

    loaded = load([Path("export/")], Path("mappings/legacy_erp.yaml"))   # read, map, validate: no API call
    check_policy(loaded, "skip", "5%")                                  # --on-invalid / --max-invalid
    connection = Connection(ApiSettings.from_env())
    plan_ = await plan(loaded.desired, connection, options=plan_options("upsert"), state_dir=Path(".custsync"))
    applied = await apply(plan_, connection, state_dir=Path(".custsync"))

:func:`sync` plans and applies on one client and one state store. A sync parses the mapping once, reads each
source file once (hashing it while it is parsed), and opens the state store once. Delete safety is part of
planning (:func:`custsync.reconcile.build_plan`): a mirror never deletes a customer validation held back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from custsync.errors import ConfigError, PlanError
from custsync.reconcile import Desired, Mode, Scope, SourceFile, check_mirror_options
from custsync.source import OnInvalid, SourceLoad, enforce_policy, read_source, resolve_mapping

if TYPE_CHECKING:  # the client and the apply side pull in httpx and SQLite: imported where they run
    import httpx

    from custsync.api import ApiSettings, AsyncCustomerApi
    from custsync.apply import ApplyReport, ProgressHook
    from custsync.mapping.spec import MappingSpec
    from custsync.reconcile import Plan, PlanOptions
    from custsync.state import StateStore

__all__ = [
    "Applied",
    "Connection",
    "Desired",
    "Loaded",
    "Progress",
    "SourceFile",
    "Synced",
    "apply",
    "check_policy",
    "desired_state",
    "load",
    "plan",
    "plan_options",
    "sync",
]

Progress = Callable[["Plan"], AbstractContextManager["ProgressHook | None"]]
"""Given the plan about to be applied, a context yielding the hook that counts finished operations."""


@dataclass(frozen=True)
class Loaded:
    """A source read, mapped and validated once: the validation's result and the desired state it yields."""

    validation: SourceLoad
    desired: Desired


@dataclass(frozen=True)
class Connection:
    """How to reach the API: client settings, and optionally the transport to send through (the flows' global
    rate limit). A factory, not an instance: every client gets a transport of its own."""

    settings: ApiSettings
    transport: Callable[[ApiSettings], httpx.AsyncBaseTransport] | None = None

    def open(self, state_dir: Path | None = None) -> AsyncCustomerApi:
        """A client; with ``state_dir``, one that already knows what ``custsync doctor`` found there."""
        from custsync.api import AsyncCustomerApi
        from custsync.doctor import adopt_capabilities

        transport = self.transport(self.settings) if self.transport is not None else None
        api = AsyncCustomerApi(self.settings, transport=transport)
        if state_dir is not None:
            adopt_capabilities(api, state_dir)
        return api


@dataclass(frozen=True)
class Applied:
    """What an apply did, and the API calls its client spent (planning included when it planned too)."""

    report: ApplyReport
    calls: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Synced:
    plan: Plan
    applied: Applied | None
    """``None`` for a dry run."""
    calls: dict[str, int] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------ source


def load(sources: Sequence[Path | str], mapping: Path | str | MappingSpec | None = None) -> Loaded:
    """Read, map and validate ``sources`` (the mapping parsed once), hashing each file as it is read."""
    spec = resolve_mapping(mapping)
    name = spec.name or (Path(mapping).stem if isinstance(mapping, Path | str) else None)
    validation = read_source(list(sources), spec, name=name)
    return Loaded(validation, desired_state(validation, spec))


def check_policy(
    loaded: Loaded, on_invalid: OnInvalid, max_invalid: str | int | None, *, strict_columns: bool = False
) -> None:
    """Raise :class:`~custsync.errors.ValidationFailed` when more rows are invalid than the policy allows, or
    (with ``strict_columns``) the source has columns the mapping never reads."""
    enforce_policy(loaded.validation, on_invalid, max_invalid, strict_columns=strict_columns)


def desired_state(validation: SourceLoad, spec: MappingSpec) -> Desired:
    """The valid frames with the columns the mapping fills, the files with their SHA-256, and the customers
    validation held back."""
    frames = dict(validation.frames)
    return Desired.of(
        frames,
        provided=provided_by(spec, frames),
        sources=[SourceFile(path, sha256) for path, sha256 in validation.files.items()],
        held_back=validation.held_back,
        unnumbered_rejects=validation.unnumbered_rejects,
        rejected_rows=validation.rejected_rows,
    )


def provided_by(spec: MappingSpec, entities: Iterable[str]) -> dict[str, list[str]]:
    """The columns a mapping with explicit fields fills, per entity; a pass-through (canonical layout) entity
    is left out: there the columns holding at least one value count as provided."""
    out: dict[str, list[str]] = {}
    for name in entities:
        entity = spec.entities.get(name)
        if entity is None or entity.passthrough:
            continue
        columns = set(entity.fields)
        for group in entity.expanded_groups():
            columns |= set(group.fields)
        out[name] = sorted(columns)
    return out


# ------------------------------------------------------------------------------------------------ options


def plan_options(
    mode: str = "upsert",
    scope: str | None = None,
    max_deletes: int | None = None,
    force: bool = False,
    full: bool = False,
    contact_key: str = "name",
) -> PlanOptions:
    """Plan options from their textual form (CLI options, flow parameters), refused before any read or call."""
    from custsync.reconcile import CONTACT_KEY_COLUMNS, PlanOptions

    try:
        parsed_mode = Mode(mode)
    except ValueError:
        raise ConfigError(f"unknown --mode {mode!r}", hint="choose upsert, insert, update or mirror") from None
    if max_deletes is not None and max_deletes < 0:
        raise ConfigError("--max-deletes must not be negative")
    parsed_scope = Scope.parse(scope) if scope else None
    check_mirror_options(parsed_mode, parsed_scope)
    if contact_key not in CONTACT_KEY_COLUMNS:
        raise ConfigError(f"unknown --contact-key {contact_key!r}", hint="choose name or email")
    return PlanOptions(
        mode=parsed_mode, scope=parsed_scope, max_deletes=max_deletes, force=force, full=full, contact_key=contact_key
    )


# ------------------------------------------------------------------------------------------------ API


async def plan(
    desired: Desired,
    connection: Connection,
    *,
    options: PlanOptions,
    state_dir: Path,
    refuse_over_limit: bool = True,
) -> Plan:
    """Fetch what the diff needs and compute the plan (no write). With ``refuse_over_limit`` off a plan over
    its delete limit comes back (``plan.refusals()`` says why) instead of being refused — for reports."""
    async with connection.open(state_dir) as api:
        with _state(api, state_dir) as state:
            return await _plan(desired, api, state, state_dir, options, refuse_over_limit)


async def apply(
    plan: Plan,
    connection: Connection,
    *,
    state_dir: Path,
    check_fresh: bool = False,
    progress: Progress | None = None,
) -> Applied:
    """Carry out ``plan`` (journaled, resumable); with ``check_fresh`` (a saved plan) refuse first when what it
    touches changed in the API since. A plan over its recorded delete limit is refused before any call."""
    _refuse(plan)
    async with connection.open(state_dir) as api:  # the state store of the plan's API is opened once the apply is done
        return await _apply(plan, api, state_dir, None, check_fresh=check_fresh, progress=progress)


async def sync(
    desired: Desired,
    connection: Connection,
    *,
    options: PlanOptions,
    state_dir: Path,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> Synced:
    """Plan and (unless ``dry_run``) apply on one client and one state store."""
    async with connection.open(state_dir) as api:
        with _state(api, state_dir) as state:
            planned = await _plan(desired, api, state, state_dir, options, True)
            if dry_run:
                return Synced(planned, None, api.stats.calls())
            applied = await _apply(planned, api, state_dir, state, check_fresh=False, progress=progress)
            return Synced(planned, applied, applied.calls)


def _refuse(plan: Plan) -> None:
    reasons = plan.refusals()
    if reasons:
        raise PlanError(reasons[0], hint="make the plan again with --max-deletes or --force if it really is meant")


def _state(api: AsyncCustomerApi, state_dir: Path) -> StateStore:
    from custsync.state import StateStore

    return StateStore.open(state_dir, api.settings.url.rstrip("/"))


async def _plan(
    desired: Desired,
    api: AsyncCustomerApi,
    state: StateStore,
    state_dir: Path,
    options: PlanOptions,
    refuse_over_limit: bool,
) -> Plan:
    from custsync.reconcile import ApiRemote, plan_sync

    remote = ApiRemote(api, state_dir=state_dir)  # the filter spellings custsync doctor found for this target
    return await plan_sync(desired, remote, options=options, state=state, refuse_over_limit=refuse_over_limit)


async def _apply(
    plan: Plan,
    api: AsyncCustomerApi,
    state_dir: Path,
    state: StateStore | None,
    *,
    check_fresh: bool,
    progress: Progress | None,
) -> Applied:
    from custsync.apply import apply_plan
    from custsync.reconcile import ApiRemote

    remote = ApiRemote(api)
    with progress(plan) if progress is not None else nullcontext(None) as advance:
        report = await apply_plan(
            plan,
            remote,
            state_dir=state_dir,
            state=state,
            check_fresh=check_fresh,
            progress=advance,
            concurrency=remote.concurrency,
        )
    return Applied(report, remote.calls())
