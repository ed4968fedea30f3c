"""Snapshots you can trust (issue 16): every tampered snapshot is refused with a message naming the problem —
read as a sync source (``custsync validate``/``plan`` go through the same reader) and as the base of an
incremental export."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from custsync.cli import app
from custsync.errors import InputError
from custsync.io import snapshot as snap
from custsync.source import read_source

INFO = snap.SnapshotInfo(api_url="http://127.0.0.1:1/")


@pytest.fixture
def exported(tmp_path, frames) -> tuple[Path, Path]:
    """``(OUT, OUT/<run id>)`` of one complete snapshot with Parquet and CSV files."""
    out = tmp_path / "out"
    return out, snap.write_snapshot(out, frames, INFO, formats=("parquet", "csv"))


def _manifest(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_text())


def _edit_manifest(path: Path, change: Callable[[dict], None]) -> None:
    data = _manifest(path)
    change(data)
    (path / "manifest.json").write_text(json.dumps(data))


def _point_first_file(target: str) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        data["files"][0]["file"] = target

    return change


def _relative_escape(out: Path, path: Path) -> str:
    outside = out.parent / "outside.parquet"
    shutil.copy(path / "customers.parquet", outside)
    return "../../outside.parquet"


def tamper_dotdot(out: Path, path: Path) -> str:
    _edit_manifest(path, _point_first_file(_relative_escape(out, path)))
    return "not inside the snapshot directory"


def tamper_absolute(out: Path, path: Path) -> str:
    outside = out.parent / "abs.parquet"
    shutil.copy(path / "customers.parquet", outside)
    _edit_manifest(path, _point_first_file(str(outside)))
    return "not inside the snapshot directory"


def tamper_symlinked_file(out: Path, path: Path) -> str:
    """The same bytes, so size and checksum still match: only the symlink gives it away."""
    outside = out.parent / "foreign.parquet"
    shutil.copy(path / "customers.parquet", outside)
    (path / "customers.parquet").unlink()
    (path / "customers.parquet").symlink_to(outside)
    return "is a symlink"


def tamper_symlinked_subdir(out: Path, path: Path) -> str:
    shutil.copytree(path / "csv", out.parent / "foreign-csv")
    shutil.rmtree(path / "csv")
    (path / "csv").symlink_to(out.parent / "foreign-csv")
    return "is a symlink"


def tamper_latest_symlink(out: Path, path: Path) -> str:
    foreign = out.parent / "foreign"
    shutil.copytree(path, foreign / path.name)
    (foreign / "LATEST").write_text(path.name + "\n")
    (out / "LATEST").unlink()
    (out / "LATEST").symlink_to(foreign / "LATEST")
    return "LATEST: is a symlink"


def tamper_latest_names_outside(out: Path, path: Path) -> str:
    (out / "LATEST").write_text("../foreign\n")
    return "not a snapshot of this directory"


def tamper_invalid_json(out: Path, path: Path) -> str:
    (path / "manifest.json").write_text('{"runId": "x", "files": [')
    return "unreadable manifest"


def tamper_no_run_id(out: Path, path: Path) -> str:
    _edit_manifest(path, lambda data: data.pop("runId"))
    return "incomplete manifest (no runId)"


def tamper_changed_bytes(out: Path, path: Path) -> str:
    with open(path / "csv" / "contacts.csv", "a", encoding="utf-8") as fh:
        fh.write("K1,Mallory,,,,,,,,,,,,,,,,,,,,,,,,,,\n")
    return "checksum does not match"


TAMPERINGS = [
    tamper_dotdot,
    tamper_absolute,
    tamper_symlinked_file,
    tamper_symlinked_subdir,
    tamper_latest_symlink,
    tamper_latest_names_outside,
    tamper_invalid_json,
    tamper_no_run_id,
    tamper_changed_bytes,
]


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda f: f.__name__.removeprefix("tamper_"))
def test_a_tampered_snapshot_is_refused_as_a_source(exported, tamper):
    out, path = exported
    problem = tamper(out, path)
    for given in (out, path):
        if "LATEST" in problem or "this directory" in problem:
            given = out  # a LATEST problem concerns the snapshots directory
        with pytest.raises(InputError) as caught:
            read_source([given], None)
        assert problem in caught.value.message, caught.value.message


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda f: f.__name__.removeprefix("tamper_"))
def test_validate_refuses_it_over_the_cli(exported, tamper):
    out, path = exported
    problem = tamper(out, path)
    given = out if "LATEST" in problem or "this directory" in problem else path
    result = CliRunner().invoke(app, ["validate", str(given), "--json"])
    assert result.exit_code == 2, result.output
    assert problem in json.loads(result.stdout)["message"]


def test_the_latest_link_pointing_outside_is_refused(exported):
    out, path = exported
    foreign = out.parent / "foreign"
    shutil.copytree(path, foreign)
    (out / "latest").unlink()
    (out / "latest").symlink_to(foreign)
    with pytest.raises(InputError, match="points outside its snapshots directory"):
        read_source([out / "latest"], None)
    (out / "latest").unlink()
    (out / "latest").symlink_to(path.name)
    assert read_source([out / "latest"], None).frames["customers"].shape[0] > 0


def test_another_tools_manifest_is_just_a_file_beside_the_data(tmp_path, frames):
    plain = tmp_path / "plain"
    plain.mkdir()
    frames["customers"][["number", "customerType", "name"]].to_csv(plain / "customers.csv", index=False)
    (plain / "manifest.json").write_text(json.dumps({"generator": "other-tool", "tables": ["customers"]}))
    load = read_source([plain], None)
    assert len(load.frames["customers"]) + load.counts["customers"]["invalid"] == len(frames["customers"])


def test_an_intact_snapshot_still_reads(exported, frames):
    out, path = exported
    sizes = {len(read_source([given], None).frames["customers"]) for given in (out, path, out / "latest")}
    assert len(sizes) == 1 and sizes.pop() > 0
    assert os.readlink(out / "latest") == path.name
