"""Which customers a plan lists: all of them, or — on a nightly run — only what can have changed.

A full listing costs one call per 50 customers: 2,000 calls for 100,000 customers, every night. With a state
store that remembers the last run, far fewer calls tell the same:

1. one page of size 1: the ``totalCount`` of customers;
2. the customers with ``updatedAt`` at or after the watermark (every outside edit and create since the last
   listing — and custsync's own writes of the last run, which came after it);
3. the source customers that are new or whose desired row changed since it was last applied, by
   ``number in [...]`` (one call per 50).

Every other source customer is known unchanged on both sides: its desired row is the one last applied, and the
API did not touch it since. A delete leaves no ``updatedAt`` behind, so the census must add up: the customers
known from earlier listings and writes, plus the new ones seen now, must be exactly ``totalCount``. When they
are not (something was deleted outside), when the target refuses the ``updatedAt`` filter or does not report
``totalCount``, the run lists every customer, and says why.

Incremental listing is off for mirror mode (it must see every customer to find what the source dropped), with
``--full``, and without a state store that has seen a complete listing of this API.

It pays off from a few pages on: while the API holds at most :data:`SMALL` customers, a full listing costs no
more than the census and the changed customers, and is what runs.

The watermark is the greatest ``updatedAt`` a listing returned, but no later than a second before the server's
clock when the listing began (its first answer's ``Date``): a record changed while a long listing runs may have
been read before its change, and a later stamp on a later page must not hide it. A server without a ``Date``
header gets the greatest stamp moved back by as long as the listing took, measured here. custsync's own writes
come after the listing, so their stamps never move the watermark past a change someone else made meanwhile.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from custsync.api import PAGE_SIZE
from custsync.errors import RequestValidationError
from custsync.model import CUSTOMERS
from custsync.reconcile.build import PlanOptions, compared_columns
from custsync.reconcile.fingerprint import customer_fingerprints
from custsync.reconcile.keys import customer_numbers
from custsync.reconcile.modes import Mode
from custsync.reconcile.plan import Listing
from custsync.reconcile.remote import Listed, Remote
from custsync.reconcile.values import as_set, member
from custsync.state import StateStore

SMALL = 2 * PAGE_SIZE
"""Up to this many customers, a full listing (at most two calls) is as cheap as an incremental one."""


@dataclass
class CustomerView:
    """The customers a plan compares against."""

    api: pd.DataFrame
    """The customers fetched (canonical frame): all of them, or those that can have changed."""
    known: pd.DataFrame
    """``number``, ``id``, ``updated_at`` (Int64 µs) of the source customers known unchanged without a fetch."""
    listing: Listing
    settled_before: pd.Timestamp | None
    """Fetched stamps from here on may be shared by a later change: not to be remembered as seen."""


async def list_customers(
    desired: Mapping[str, pd.DataFrame | None],
    fingerprints: pd.Series | None,
    remote: Remote,
    state: StateStore | None,
    options: PlanOptions,
    *,
    number_prefix: str | None = None,
) -> CustomerView:
    """List what the plan needs to compare, incrementally where that is safe (see the module docstring).

    ``fingerprints`` are those of the desired customer rows (:func:`desired_fingerprints`), ``None`` when the
    source has no customers file."""
    reason = _why_full(options, state, number_prefix)
    if reason is None:
        assert state is not None
        view, reason = await _incremental(desired, fingerprints, remote, state)
        if view is not None:
            return view
    return await _full(remote, reason, number_prefix)


def _why_full(options: PlanOptions, state: StateStore | None, number_prefix: str | None) -> str | None:
    if state is None:
        return "no state store"
    if options.mode is Mode.MIRROR:
        return "mirror mode compares every customer"
    if options.full:
        return "--full"
    if number_prefix is not None or state.watermark() is None:
        return "no complete listing of this API in the state store yet"
    if len(state.listed_ids()) <= SMALL:
        return f"the API holds at most {SMALL} customers: listing them all costs no more"
    return None


async def _full(remote: Remote, reason: str, number_prefix: str | None) -> CustomerView:
    started = time.monotonic()
    listed = await remote.list_customers(number_prefix=number_prefix)
    took = dt.timedelta(seconds=time.monotonic() - started)
    customers, complete = listed.customers, number_prefix is None
    return CustomerView(
        api=customers,
        settled_before=listed.settled_before(took),
        known=_empty_known(),
        listing=Listing(
            strategy="full",
            reason=reason,
            ids=_ids(customers),
            complete=complete,
            watermark=watermark(listed, took) if complete else None,
            counts={"listed": len(customers)},
        ),
    )


async def _incremental(
    desired: Mapping[str, pd.DataFrame | None],
    fingerprints: pd.Series | None,
    remote: Remote,
    state: StateStore,
) -> tuple[CustomerView | None, str]:
    """The incremental view, or ``None`` and why the run must list every customer instead."""
    total = await remote.count_customers()
    if total is None:
        return None, "the target does not report totalCount, so a customer deleted outside could not be noticed"
    mark = state.watermark()
    assert mark is not None
    started = time.monotonic()
    since = await remote.customers_since(mark)
    took = dt.timedelta(seconds=time.monotonic() - started)
    if isinstance(since, str):
        return None, since
    changed = since.customers
    remembered = state.customers().drop_duplicates("number").set_index("number")
    numbers = pd.Series(_source_numbers(desired), dtype="string")
    seen = remembered.reindex(numbers.to_numpy())
    changed_numbers = as_set(customer_numbers(changed["number"]))
    settled = seen["id"].notna().to_numpy(dtype=bool) & ~member(seen["id"], as_set(changed["id"].astype("string")))
    if fingerprints is not None:  # a customer row in the source must be the one last applied
        wanted = fingerprints.reindex(numbers.to_numpy())
        same = wanted.eq(seen["customer_hash"]).fillna(False).to_numpy(dtype=bool)
        settled = settled & (same | wanted.isna().to_numpy())
    lookup = sorted(set(numbers[~settled]) - changed_numbers)
    try:
        found = (await remote.customers_where("number", lookup)).customers if lookup else CUSTOMERS.empty()
    except RequestValidationError as exc:
        return None, f"the target refused the lookup by number in [...] ({exc.message})"
    known_ids = state.listed_ids() | set(_ids(changed)) | set(_ids(found))
    if total != len(known_ids):
        if total < len(known_ids):
            why = f"{len(known_ids) - total} customer(s) were deleted outside custsync since the last run"
        else:
            why = f"the API holds {total - len(known_ids)} customer(s) more than custsync knows of"
        return None, f"{why} (totalCount {total}, {len(known_ids)} known)"
    fetched = pd.concat([changed, found], ignore_index=True) if len(found) else changed
    fetched = fetched.drop_duplicates("id", keep="last").reset_index(drop=True)
    unchanged = seen[settled & ~member(numbers, as_set(customer_numbers(fetched["number"])))]
    known = pd.DataFrame(
        {"number": unchanged.index.astype("string"), "id": unchanged["id"], "updated_at": unchanged["updated_at"]}
    ).reset_index(drop=True)
    listing = Listing(
        strategy="incremental",
        ids=_ids(fetched),
        watermark=max(mark, watermark(since, took)),
        counts={"changed": len(changed), "looked_up": len(lookup), "known_unchanged": len(known), "total": total},
    )
    return CustomerView(api=fetched, known=known, listing=listing, settled_before=since.settled_before(took)), ""


def watermark(listed: Listed, took: dt.timedelta) -> str:
    """Where the next listing starts after ``listed`` (which took ``took``), as ISO 8601 UTC with microseconds:
    the greatest ``updatedAt`` it returned, but no later than its settled stamps reach
    (:meth:`~custsync.reconcile.Listed.began_at_latest`). After an empty listing: the server's clock less the
    overlap, or the start of time."""
    stamps = listed.customers["updatedAt"]
    latest = pd.to_datetime(stamps, utc=True).max() if len(stamps) else pd.NaT
    cap = listed.began_at_latest(took)
    if cap is None:
        return EPOCH
    mark = cap if pd.isna(latest) else min(pd.Timestamp(latest), cap)
    return mark.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


EPOCH = "1970-01-01T00:00:00.000000+00:00"


def desired_fingerprints(
    desired: Mapping[str, pd.DataFrame | None], provided: Mapping[str, tuple[str, ...]]
) -> pd.Series | None:
    """The fingerprint of each desired customer row over its compared columns (``None`` without customers)."""
    frame = desired.get("customers")
    if frame is None:
        return None
    frame = CUSTOMERS.conform(frame) if set(CUSTOMERS.columns) - set(frame.columns) else frame
    return customer_fingerprints(frame, compared_columns(CUSTOMERS, tuple(provided["customers"])))


def _source_numbers(desired: Mapping[str, pd.DataFrame | None]) -> list[str]:
    parts = [
        customer_numbers(frame["number" if name == "customers" else "customerNumber"])
        for name, frame in desired.items()
        if frame is not None and len(frame)
    ]
    return sorted(as_set(pd.concat(parts))) if parts else []


def _ids(customers: pd.DataFrame) -> list[str]:
    return sorted(as_set(customers["id"].astype("string")))


def _empty_known() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "number": pd.Series([], dtype="string"),
            "id": pd.Series([], dtype="string"),
            "updated_at": pd.Series([], dtype="Int64"),
        }
    )
