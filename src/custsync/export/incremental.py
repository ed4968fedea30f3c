"""Incremental export as pure frame arithmetic: what changed, what to refresh, and the merged snapshot.

An incremental run knows the previous snapshot and three things it fetched: the customers whose ``updatedAt`` is
at or after the previous watermark (``greaterThanOrEquals``, so a record that shares the watermark's timestamp is
never missed), the live id listing (``id``, ``number``, ``updatedAt`` of every customer in scope), and the
sub-resources of the changed customers and of those :func:`rolling_ids` picks. Everything here is
deterministic and does no I/O, so the merge can be tested without an API.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from custsync.model import ENTITIES, SUB_ENTITY_NAMES


def id_list(values: Iterable[object]) -> list[str]:
    return [str(v) for v in values if pd.notna(v)]


def rolling_bucket(customer_id: str, share: int) -> int:
    """A stable bucket in ``range(share)`` for an id (CRC32, identical across processes and machines)."""
    return zlib.crc32(customer_id.encode("utf-8")) % share


def rolling_ids(ids: Iterable[str], run_counter: int, share: int) -> set[str]:
    """The ids whose bucket is this run's: ``crc32(id) % share == run_counter % share``.

    Consecutive run counters walk through every bucket, so ``share`` consecutive runs together refresh every
    customer once. ``share == 1`` refreshes everyone every run; ``share == 0`` turns the rolling refresh off.
    """
    if share <= 0:
        return set()
    if share == 1:
        return set(ids)
    bucket = run_counter % share
    return {i for i in ids if rolling_bucket(i, share) == bucket}


def watermark(customers: pd.DataFrame, previous: str | None = None) -> str | None:
    """The greatest ``updatedAt`` in ``customers`` as the API spells it, always with microseconds (or ``previous``)."""
    latest = customers["updatedAt"].max() if len(customers) else pd.NaT
    if pd.isna(latest):
        return previous
    return pd.Timestamp(latest).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


@dataclass(frozen=True)
class ChangeSet:
    """What an incremental run found, by customer id."""

    changed: frozenset[str]
    """Customers new since, or with a different ``updatedAt`` than, the previous snapshot."""
    deleted: frozenset[str]
    """In the previous snapshot, gone from the live id listing (and not returned as changed)."""
    stragglers: frozenset[str]
    """Live customers that look new or changed by the id listing but the watermark query did not return
    (clock skew, a widened filter): fetched one by one so nothing is silently stale."""


def find_changes(previous: pd.DataFrame, fetched: pd.DataFrame, live: pd.DataFrame) -> ChangeSet:
    """Compare the previous customers, the customers fetched since the watermark and the live id listing.

    A fetched customer whose ``updatedAt`` equals its previous one is a duplicate of the ``>=`` query, not a change.
    The id listing comes after the ``updatedAt`` query: a customer the query returned but the listing no longer
    holds was deleted in between, and counts as deleted like any other customer missing from the listing.
    """
    prev = _updated_by_id(previous)
    got = _updated_by_id(fetched)
    now = _updated_by_id(live)
    deleted = (set(prev) | set(got)) - set(now)
    changed = {i for i, ts in got.items() if prev.get(i, _MISSING) != ts} - deleted
    stragglers = {i for i, ts in now.items() if i not in got and prev.get(i, _MISSING) != ts}
    return ChangeSet(frozenset(changed), frozenset(deleted), frozenset(stragglers))


_MISSING = object()


def _updated_by_id(frame: pd.DataFrame) -> dict[str, object]:
    rows = frame[frame["id"].notna()]
    return dict(zip(rows["id"].astype(str), rows["updatedAt"], strict=True))


def merge_customers(previous: pd.DataFrame, fetched: pd.DataFrame, deleted: Iterable[str]) -> pd.DataFrame:
    """The previous customers minus the deleted ones, with every fetched row replacing the old row of its id."""
    deleted = set(deleted)
    fetched = fetched[~fetched["id"].astype("string").isin(deleted)]
    gone = set(id_list(fetched["id"])) | deleted
    merged = pd.concat([previous[~previous["id"].isin(gone)], fetched], ignore_index=True)
    return canonical_order("customers", merged.drop_duplicates(subset="id", keep="last"))


def merge_subresources(
    previous: dict[str, pd.DataFrame],
    customers: pd.DataFrame,
    refreshed: set[str],
    deleted: Iterable[str],
    fetched: dict[str, pd.DataFrame],
) -> dict[str, pd.DataFrame]:
    """Addresses and contacts: the previous rows, minus those of refreshed and deleted customers, plus ``fetched``.

    Old rows are matched by the customer's old and new number, so a renumbered customer leaves nothing behind.
    """
    prev_customers = previous["customers"]
    touched = refreshed | set(deleted)
    drop = set(prev_customers.loc[prev_customers["id"].isin(touched), "number"].dropna())
    drop |= set(customers.loc[customers["id"].isin(refreshed), "number"].dropna())
    out: dict[str, pd.DataFrame] = {}
    for name in SUB_ENTITY_NAMES:
        old = previous[name]
        parts = [old[~old["customerNumber"].isin(drop)]]
        fresh = fetched.get(name)
        if fresh is not None and len(fresh):
            parts.append(fresh)
        out[name] = canonical_order(name, pd.concat(parts, ignore_index=True))
    return out


def canonical_order(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """One row order for every snapshot, full or incremental: customers by id; sub-resources by customer, id."""
    frame = ENTITIES[name].conform(frame, keep_source=False)
    numeric_id = pd.to_numeric(frame["id"], errors="coerce")
    order = frame.assign(_id=numeric_id)
    by = ["_id", "id"] if name == "customers" else ["customerNumber", "_id", "id"]
    return order.sort_values(by, kind="stable", na_position="last").drop(columns="_id").reset_index(drop=True)
