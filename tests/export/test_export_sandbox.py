"""Exports of a real sandbox over HTTP: manifest truth, canonical schemas, incremental == full, call budget."""

from __future__ import annotations

import hashlib
import math

import pandas as pd
import pyarrow.parquet as pq
import pytest

from custsync.api import ApiSettings, CustomerApi, Filter
from custsync.api.fetch import fetch_customers, fetch_subresources
from custsync.errors import ConfigError
from custsync.export import ExportOptions, export_snapshot, read_snapshot, rolling_ids
from custsync.export.incremental import canonical_order
from custsync.io.snapshot import read_manifest
from custsync.model import ENTITIES

pytestmark = pytest.mark.integration


def _api(server, **overrides) -> CustomerApi:
    settings = dict(requests_per_minute=1_000_000, concurrency=16)
    settings.update(overrides)
    return CustomerApi(ApiSettings(url=server.url, token=server.token, **settings))


def _assert_manifest_matches_files(path, expected_rows):
    manifest = read_manifest(path)
    assert {(f.entity, f.format) for f in manifest.files} == {(e, fmt) for e in ENTITIES for fmt in ("parquet", "csv")}
    for entry in manifest.files:
        data = (path / entry.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry.sha256
        assert entry.rows == expected_rows[entry.entity]
        if entry.format == "parquet":
            assert pq.read_schema(path / entry.file).equals(ENTITIES[entry.entity].arrow_schema, check_metadata=True)
            assert pq.read_metadata(path / entry.file).num_rows == entry.rows
    return manifest


def _full_export_matches_api(sandbox_factory, tmp_path, customers: int) -> None:
    server = sandbox_factory(seed_customers=customers, seed=7)
    with _api(server) as api:
        result = export_snapshot(api, ExportOptions(out=tmp_path / "out", formats=("parquet", "csv")))
        direct = fetch_customers(api)
        sample = direct.sample(n=min(20, customers), random_state=1)
        subs = fetch_subresources(api, sample)

    assert result.rows["customers"] == customers
    manifest = _assert_manifest_matches_files(result.path, result.rows)
    assert manifest.info.api_url == server.url
    for file in (f for f in result.path.rglob("*") if f.is_file()):
        assert server.token.encode() not in file.read_bytes()
    assert manifest.info.mode == "full"
    pages = math.ceil(customers / 50)
    assert result.calls["GET"] == result.calls["total"] == pages + 2 * customers  # no page of sub-resources > 50
    assert manifest.info.calls == result.calls

    frames = read_snapshot(result.path).frames
    pd.testing.assert_frame_equal(frames["customers"], canonical_order("customers", direct))
    for name in ("addresses", "contacts"):
        exported = frames[name][frames[name]["customerNumber"].isin(sample["number"])].reset_index(drop=True)
        pd.testing.assert_frame_equal(exported, canonical_order(name, subs[name]))
        assert len(exported) > 0
    csv_frames = read_snapshot(result.path, prefer="csv").frames
    for name, frame in frames.items():
        # CSV cannot tell "" from missing; otherwise the neutralised CSV reads back to the same frames
        pd.testing.assert_frame_equal(
            csv_frames[name].mask(csv_frames[name].astype(object) == ""), frame.mask(frame.astype(object) == "")
        )


def test_full_export_of_200_customers(sandbox_factory, tmp_path):
    _full_export_matches_api(sandbox_factory, tmp_path, 200)


@pytest.mark.slow
def test_full_export_of_2000_customers(sandbox_factory, tmp_path):
    _full_export_matches_api(sandbox_factory, tmp_path, 2000)


def _change_world(api: CustomerApi) -> dict[str, list[str]]:
    """Change 10 customers (one of them only through an address), delete 2, add 3 with sub-resources."""
    customers = list(api.customers.list())
    ids = [c["id"] for c in customers]
    for n, cid in enumerate(ids[:9]):
        api.customers.update(cid, {"department": f"changed {n}", "contact": {"phone": f"-{n}"}})
    touched = ids[9]
    address = next(iter(api.addresses(touched).list()))
    api.addresses(touched).update(address["id"], {"street": "Neue Straße 5"})
    for cid in ids[10:12]:
        api.customers.delete(cid)
    new = []
    for n in range(3):
        cid = api.customers.create({"number": f"N-{n}", "type": "company", "name": f"=New {n}"})
        api.addresses(cid).create(
            {
                "type": "masterdata",
                "name": f"New {n}",
                "street": "Ring 1",
                "zip": "50667",
                "country": "DE",
                "city": "Köln",
            }
        )
        api.contacts(cid).create({"name": f"Kontakt {n}"})
        new.append(cid)
    return {"changed": [*ids[:9], touched], "deleted": ids[10:12], "new": new}


def test_incremental_equals_full_and_stays_in_budget(sandbox_factory, tmp_path):
    customers = 40
    server = sandbox_factory(seed_customers=customers, seed=3)
    out = tmp_path / "out"
    with _api(server) as api:
        first = export_snapshot(api, ExportOptions(out=out))
        world = _change_world(api)
        inc = export_snapshot(api, ExportOptions(out=out, incremental=True))
        full = export_snapshot(api, ExportOptions(out=tmp_path / "full"))

    assert inc.mode == "incremental"
    assert inc.changes["changed"] == 10  # the address change moved its customer's updatedAt
    assert inc.changes["new"] == 3
    assert inc.changes["deleted"] == 2
    inc_frames = read_snapshot(inc.path).frames
    full_frames = read_snapshot(full.path).frames
    for name in ENTITIES:
        pd.testing.assert_frame_equal(inc_frames[name], full_frames[name])

    # budget: pages of changed customers + 2 sub-resource calls per changed and rolling customer + one id listing
    manifest = read_manifest(inc.path)
    assert manifest.info.run_counter == read_manifest(first.path).info.run_counter + 1
    others = set(inc_frames["customers"]["id"]) - set(world["changed"]) - set(world["new"])
    rolling = rolling_ids(others, manifest.info.run_counter, 7)
    assert inc.changes["rolling_refresh"] == len(rolling)
    live = customers - 2 + 3
    budget = math.ceil(13 / 50) + 2 * (13 + len(rolling)) + math.ceil(live / 50)
    assert inc.calls["total"] <= budget
    assert inc.calls["total"] < full.calls["total"] / 2
    assert manifest.info.window_from == read_manifest(first.path).info.watermark


def test_incremental_without_changes_fetches_only_the_listings(sandbox_factory, tmp_path):
    server = sandbox_factory(seed_customers=30, seed=5)
    out = tmp_path / "out"
    with _api(server) as api:
        first = export_snapshot(api, ExportOptions(out=out))
        again = export_snapshot(api, ExportOptions(out=out, incremental=True, rolling_share=0))
    assert again.changes["changed"] == again.changes["new"] == again.changes["deleted"] == 0
    assert again.calls["total"] == 1 + 1  # the watermark page (its one tied customer) + the id listing (1 page)
    for name, frame in read_snapshot(first.path).frames.items():
        pd.testing.assert_frame_equal(read_snapshot(again.path).frames[name], frame)


def test_incremental_without_previous_snapshot_is_a_full_export(sandbox, tmp_path):
    with _api(sandbox) as api:
        api.customers.create({"number": "1", "type": "company", "name": "ACME"})
        result = export_snapshot(api, ExportOptions(out=tmp_path, incremental=True))
    assert result.mode == "full"
    assert result.note and "full export" in result.note
    assert result.rows == {"customers": 1, "addresses": 0, "contacts": 0}


class _Recorder:
    def __init__(self) -> None:
        self.stages: list[tuple[str, int | None]] = []
        self.last: tuple[int, int] | None = None

    def stage(self, description: str, total: int | None = None) -> None:
        self.stages.append((description, total))

    def advance(self, done: int, total: int) -> None:
        self.last = (done, total)


def test_filtered_export_reports_progress_and_refuses_a_filter_mismatch(sandbox, tmp_path):
    progress = _Recorder()
    with _api(sandbox) as api:
        for n in range(4):
            api.customers.create({"number": f"K{n}", "type": "company", "name": f"Firma {n}"})
        options = ExportOptions(out=tmp_path, filters=(Filter("number", "in", ["K1", "K3"]),))
        result = export_snapshot(api, options, progress)
        assert read_snapshot(result.path).frames["customers"]["number"].tolist() == ["K1", "K3"]
        assert progress.stages == [
            ("listing customers", None),
            ("fetching addresses and contacts", 2),
            ("writing snapshot", None),
        ]
        assert progress.last == (2, 2)
        with pytest.raises(ConfigError, match="other filters"):
            export_snapshot(api, ExportOptions(out=tmp_path, incremental=True))


def test_incremental_refuses_a_snapshot_of_another_api(sandbox_factory, tmp_path):
    first, second = sandbox_factory(seed_customers=2, seed=1), sandbox_factory(seed_customers=2, seed=2)
    with _api(first) as api:
        export_snapshot(api, ExportOptions(out=tmp_path))
    with _api(second) as api, pytest.raises(ConfigError, match="another API"):
        export_snapshot(api, ExportOptions(out=tmp_path, incremental=True))


def test_unwritable_out_is_a_clear_error(sandbox, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with _api(sandbox) as api, pytest.raises(ConfigError, match="cannot write the snapshot"):
        export_snapshot(api, ExportOptions(out=blocker))
