"""Run one export: fetch the API's state (all of it, or what changed since the last snapshot) and write a snapshot.

Full:        customer list (filtered, 50 per page) + addresses and contacts of every customer.
Incremental: customers with ``updatedAt >=`` the last watermark + one id listing (deletions) + sub-resources of
             the changed customers and of this run's rolling share of the others, merged into the last snapshot.
The fetching is concurrent inside the client's limits (its concurrency and its shared rate gate).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from custsync.api import AsyncCustomerApi, CustomerApi, Filter, Order, calls_spent
from custsync.api.fetch import afetch_customers, afetch_ids, afetch_subresources
from custsync.codec import from_api
from custsync.defaults import DEFAULT_ROLLING_SHARE, DEFAULT_STATE_DIR
from custsync.doctor import adopt_capabilities, customers_updated_since
from custsync.errors import ConfigError, NotFoundError
from custsync.export import incremental as inc
from custsync.io import (
    Format,
    SnapshotInfo,
    csv_dialect,
    latest_snapshot,
    new_run_id,
    read_manifest,
    read_snapshot,
    write_snapshot,
)
from custsync.model import ENTITIES
from custsync.urls import safe_url


class ExportProgress(Protocol):
    """Where an export reports what it is doing (the CLI draws a progress bar; tests and flows pass None)."""

    def stage(self, description: str, total: int | None = None) -> None: ...

    def advance(self, done: int, total: int) -> None: ...


@dataclass(frozen=True)
class ExportOptions:
    out: Path
    formats: tuple[Format, ...] = ("parquet",)
    incremental: bool = False
    filters: tuple[Filter, ...] = ()
    rolling_share: int = DEFAULT_ROLLING_SHARE
    csv_dialect: str = "default"
    neutralise_formulas: bool = True
    state_dir: Path = DEFAULT_STATE_DIR
    """Where ``custsync doctor`` saved what the target can do; an incremental export reads (and amends) it."""

    def __post_init__(self) -> None:
        if self.rolling_share < 0:
            raise ConfigError(f"--rolling-share must be 0 (off) or more, got {self.rolling_share}")
        if not self.formats:
            raise ConfigError("no output format chosen", hint="use --format parquet, csv or both")
        csv_dialect(self.csv_dialect)  # fail before any call when the dialect is unknown


@dataclass
class ExportResult:
    """What the run did; ``to_json`` is the ``--json`` summary."""

    path: Path
    run_id: str
    mode: str
    rows: dict[str, int]
    calls: dict[str, Any]
    seconds: float
    changes: dict[str, int] = field(default_factory=dict)
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "snapshot": str(self.path),
            "run_id": self.run_id,
            "mode": self.mode,
            "rows": self.rows,
            "calls": self.calls,
            "seconds": round(self.seconds, 3),
        }
        if self.changes:
            out["changes"] = self.changes
        if self.note:
            out["note"] = self.note
        return out


def export_snapshot(api: CustomerApi, options: ExportOptions, progress: ExportProgress | None = None) -> ExportResult:
    """Blocking :func:`aexport_snapshot` for the CLI, scripts and tests."""
    return api.run(aexport_snapshot(api.async_api, options, progress))


async def aexport_snapshot(
    api: AsyncCustomerApi, options: ExportOptions, progress: ExportProgress | None = None
) -> ExportResult:
    """Fetch, merge (incremental) and write one snapshot into ``options.out``; return what it cost."""
    clock = time.perf_counter()
    started = dt.datetime.now(dt.UTC)
    before = api.stats.as_dict()
    adopt_capabilities(api, options.state_dir)
    previous = latest_snapshot(options.out) if options.incremental else None
    note = None
    if options.incremental and previous is None:
        note = "no previous snapshot in the output directory: made a full export"

    if previous is None:
        frames, info, changes = await _full(api, options, progress)
    else:
        frames, info, changes, inc_note = await _incremental(api, options, previous, progress)
        note = note or inc_note
    if changes.get("vanished"):
        gone = f"{changes['vanished']} customer(s) deleted while the export ran were left out"
        note = f"{note}; {gone}" if note else gone

    info.api_url = safe_url(api.settings.url)
    info.window_to = started.isoformat()
    info.filters = [_filter_json(f) for f in options.filters]
    info.calls = calls_spent(before, api.stats.as_dict())
    info.extra = {"changes": changes} if changes else {}
    if progress is not None:
        progress.stage("writing snapshot")
    run_id = new_run_id(started)
    try:
        path = await asyncio.to_thread(
            write_snapshot,
            options.out,
            frames,
            info,
            formats=options.formats,
            dialect=csv_dialect(options.csv_dialect),
            neutralise=options.neutralise_formulas,
            run_id=run_id,
        )
    except OSError as exc:
        raise ConfigError(
            f"{options.out}: cannot write the snapshot ({exc.strerror or exc})",
            hint="check that --out is a writable directory with free space",
        ) from None
    return ExportResult(
        path=path,
        run_id=run_id,
        mode=info.mode,
        rows={name: len(frame) for name, frame in frames.items()},
        calls=info.calls,
        seconds=time.perf_counter() - clock,
        changes=changes,
        note=note,
    )


async def _full(
    api: AsyncCustomerApi, options: ExportOptions, progress: ExportProgress | None
) -> tuple[dict[str, pd.DataFrame], SnapshotInfo, dict[str, int]]:
    if progress is not None:
        progress.stage("listing customers")
    customers = await afetch_customers(api, options.filters)
    vanished: set[str] = set()
    subs = await _subresources(api, customers, progress, vanished)
    customers = customers[~customers["id"].isin(vanished)]  # deleted meanwhile: not there for the whole export
    frames = {"customers": inc.canonical_order("customers", customers)}
    frames.update({name: inc.canonical_order(name, frame) for name, frame in subs.items()})
    counter = 0
    last = latest_snapshot(options.out)
    if last is not None:
        counter = read_manifest(last).info.run_counter + 1
    info = SnapshotInfo(api_url="", mode="full", watermark=inc.watermark(frames["customers"]), run_counter=counter)
    return frames, info, {"vanished": len(vanished)} if vanished else {}


async def _incremental(
    api: AsyncCustomerApi, options: ExportOptions, previous_path: Path, progress: ExportProgress | None
) -> tuple[dict[str, pd.DataFrame], SnapshotInfo, dict[str, int], str | None]:
    previous = await asyncio.to_thread(read_snapshot, previous_path)
    manifest = previous.manifest
    if manifest.info.api_url.rstrip("/") != safe_url(api.settings.url).rstrip("/"):
        raise ConfigError(
            f"the last snapshot {previous_path.name} in {options.out} is of another API ({manifest.info.api_url})",
            hint="use a separate --out directory per API, or run a full export",
        )
    wanted_filters = [_filter_json(f) for f in options.filters]
    if manifest.info.filters != wanted_filters:
        raise ConfigError(
            f"the last snapshot {previous_path.name} was made with other filters ({manifest.info.filters})",
            hint="use the same --filter options as the last export, or run a full export first",
        )
    mark = manifest.info.watermark
    if progress is not None:
        progress.stage("listing changed customers")
    fetched, note = await _changed_customers(api, options, mark)
    if progress is not None:
        progress.stage("listing customer ids")
    live = await _live_ids(api, options.filters)
    changes = inc.find_changes(previous.frames["customers"], fetched, live)
    stragglers, vanished = await _get_customers(api, sorted(changes.stragglers))
    fetched = pd.concat([fetched, stragglers], ignore_index=True) if len(stragglers) else fetched
    deleted = changes.deleted | vanished

    customers = inc.merge_customers(previous.frames["customers"], fetched, deleted)
    counter = manifest.info.run_counter + 1
    changed = (changes.changed | changes.stragglers) - vanished
    others = set(inc.id_list(customers["id"])) - changed
    rolling = inc.rolling_ids(others, counter, options.rolling_share)
    refreshed = changed | rolling
    gone: set[str] = set()
    subs = await _subresources(api, customers[customers["id"].isin(refreshed)], progress, gone)
    if gone:  # deleted while the export ran: as deleted as those the id listing no longer showed
        deleted = deleted | gone
        changed, refreshed = changed - gone, refreshed - gone
        customers = customers[~customers["id"].isin(gone)]
    frames = {"customers": customers, **inc.merge_subresources(previous.frames, customers, refreshed, deleted, subs)}
    info = SnapshotInfo(
        api_url="",
        mode="incremental",
        window_from=mark,
        watermark=inc.watermark(customers, mark),
        previous_run_id=manifest.run_id,
        run_counter=counter,
        rolling_share=options.rolling_share,
    )
    prev_ids = set(inc.id_list(previous.frames["customers"]["id"]))
    summary = {
        "changed": len(changed & prev_ids),
        "new": len(changed - prev_ids),
        "deleted": len(deleted & prev_ids),
        "rolling_refresh": len(rolling),
        "subresources_refreshed_for": len(refreshed),
        "stragglers": len(changes.stragglers),
    }
    if gone:
        summary["vanished"] = len(gone)
    return frames, info, summary, note


async def _changed_customers(
    api: AsyncCustomerApi, options: ExportOptions, mark: str | None
) -> tuple[pd.DataFrame, str | None]:
    """Customers with ``updatedAt`` at or after ``mark`` (:func:`custsync.doctor.customers_updated_since`); every
    customer when the target refuses the filter (the merge keeps only real changes), with a note saying so."""
    if not mark:
        return await afetch_customers(api, options.filters), None
    changed, refused = await customers_updated_since(api, mark, state_dir=options.state_dir, filters=options.filters)
    if changed is not None:
        return changed, None
    return await afetch_customers(api, options.filters), f"{refused}: listed every customer instead"


async def _subresources(
    api: AsyncCustomerApi, customers: pd.DataFrame, progress: ExportProgress | None, vanished: set[str]
) -> dict[str, pd.DataFrame]:
    if progress is not None:
        progress.stage("fetching addresses and contacts", len(customers))
    callback = progress.advance if progress is not None else None
    return await afetch_subresources(api, customers[["id", "number"]], progress=callback, vanished=vanished)


async def _live_ids(api: AsyncCustomerApi, filters: Sequence[Filter]) -> pd.DataFrame:
    """``id``, ``number``, ``updatedAt`` of every customer in scope: the shared id listing, or a filtered one."""
    if not filters:
        return await afetch_ids(api)
    columns = ["id", "number", "updatedAt"]
    rows = [{c: item.get(c) for c in columns} async for item in api.customers.list(filters, [Order("id", "asc")])]
    return ENTITIES["customers"].conform(pd.DataFrame.from_records(rows, columns=columns), keep_source=False)[columns]


async def _get_customers(api: AsyncCustomerApi, ids: Sequence[str]) -> tuple[pd.DataFrame, frozenset[str]]:
    """View customers one by one (the rare stragglers); ids answered with 404 are returned as vanished."""
    found: list[dict[str, Any]] = []
    vanished: set[str] = set()
    for customer_id in ids:
        try:
            found.append(await api.customers.get(customer_id))
        except NotFoundError:
            vanished.add(customer_id)
    return from_api(ENTITIES["customers"], found), frozenset(vanished)


def _filter_json(f: Filter) -> dict[str, Any]:
    value = list(f.value) if isinstance(f.value, list | tuple) else f.value
    return {"key": f.key, "op": f.op, "value": value}
