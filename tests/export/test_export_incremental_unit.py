"""Incremental export arithmetic without an API: change detection, rolling share, merge."""

from __future__ import annotations

import pandas as pd

from custsync.export import incremental as inc
from custsync.model import ENTITIES


def _customers(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["id", "number", "updatedAt"]).assign(customerType="company")
    return ENTITIES["customers"].conform(frame, keep_source=False)


def _subs(name: str, rows: list[tuple[str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["id", "customerNumber"])
    if name == "addresses":
        frame = frame.assign(type="deliveryaddress", country="DE")
    else:
        frame = frame.assign(name=frame["id"])
    return ENTITIES[name].conform(frame, keep_source=False)


T0, T1, T2 = "2026-11-28T10:00:00+00:00", "2026-11-28T11:00:00+00:00", "2026-11-28T12:00:00+00:00"


def test_find_changes_dedupes_the_watermark_tie_and_finds_deletions_and_stragglers():
    previous = _customers([("1", "A", T0), ("2", "B", T1), ("3", "C", T1), ("4", "D", T0)])
    fetched = _customers([("2", "B", T1), ("3", "C", T2), ("5", "E", T2)])  # 2: same updatedAt (>= tie)
    live = _customers([("1", "A", T0), ("2", "B", T1), ("3", "C", T2), ("5", "E", T2), ("6", "F", T0)])
    changes = inc.find_changes(previous, fetched, live)
    assert changes.changed == {"3", "5"}
    assert changes.deleted == {"4"}
    assert changes.stragglers == {"6"}  # new, but older than the watermark: fetched one by one


def test_a_customer_deleted_between_the_updated_query_and_the_id_listing_is_deleted():
    """The race of issue 16: 2 (changed) and 7 (new) came back from the updatedAt query, then were deleted before
    the id listing reached them; neither may survive into the snapshot."""
    previous = _customers([("1", "A", T0), ("2", "B", T1)])
    fetched = _customers([("2", "B", T2), ("7", "G", T2)])
    live = _customers([("1", "A", T0)])
    changes = inc.find_changes(previous, fetched, live)
    assert changes.deleted == {"2", "7"} and changes.changed == set()
    merged = inc.merge_customers(previous, fetched, changes.deleted)
    assert list(merged["id"]) == ["1"]


def test_rolling_share_covers_everyone_once_in_share_runs():
    ids = [str(i) for i in range(1, 1001)]
    seen: list[str] = []
    for counter in range(7):
        picked = inc.rolling_ids(ids, counter, 7)
        assert 100 < len(picked) < 190  # roughly a seventh
        seen.extend(picked)
    assert sorted(seen) == sorted(ids)
    assert inc.rolling_ids(ids, 3, 7) == inc.rolling_ids(ids, 10, 7)  # deterministic per bucket
    assert inc.rolling_ids(ids, 3, 0) == set()
    assert inc.rolling_ids(ids, 3, 1) == set(ids)


def test_merge_replaces_changed_drops_deleted_and_renumbered():
    previous = {
        "customers": _customers([("1", "A", T0), ("2", "B", T0), ("3", "C", T0)]),
        "addresses": _subs("addresses", [("10", "A"), ("20", "B"), ("30", "C")]),
        "contacts": _subs("contacts", [("11", "A"), ("21", "B")]),
    }
    fetched = _customers([("2", "B2", T1), ("4", "D", T1)])  # 2 renumbered B -> B2; 4 new; 3 deleted
    customers = inc.merge_customers(previous["customers"], fetched, {"3"})
    assert customers["id"].tolist() == ["1", "2", "4"]
    assert customers["number"].tolist() == ["A", "B2", "D"]
    refreshed_subs = {
        "addresses": _subs("addresses", [("22", "B2"), ("40", "D")]),
        "contacts": _subs("contacts", []),
    }
    subs = inc.merge_subresources(previous, customers, {"2", "4"}, {"3"}, refreshed_subs)
    assert subs["addresses"][["id", "customerNumber"]].values.tolist() == [["10", "A"], ["22", "B2"], ["40", "D"]]
    assert subs["contacts"]["id"].tolist() == ["11"]


def test_watermark_keeps_microseconds():
    frame = _customers([("1", "A", "2026-11-28T10:00:00+00:00"), ("2", "B", "2026-11-28T09:00:00.5+00:00")])
    assert inc.watermark(frame) == "2026-11-28T10:00:00.000000+00:00"
    assert inc.watermark(frame.iloc[:0], "x") == "x"
