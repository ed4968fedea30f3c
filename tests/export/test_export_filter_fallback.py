"""An incremental export on a target that refuses the ``updatedAt`` filter lists fully, says so and remembers it.

The spelling comes from what ``custsync doctor`` saved in the state directory; the sandbox (as strict as the
spec) answers 400 to the docs' spelling ``greaterThanOrEqual``, which is how the runtime refusal is tested.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.export.test_export_sandbox import _api, _change_world

from custsync.doctor import load_capabilities
from custsync.export import ExportOptions, export_snapshot, read_snapshot
from custsync.model import ENTITIES

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("operator", "note"),
    [
        ("greaterThanOrEquals", None),
        ("greaterThan", None),
        (None, "refuses updatedAt filters"),
        ("greaterThanOrEqual", "answered 400 to the filter updatedAt greaterThanOrEqual"),
    ],
    ids=["own-spelling", "strict-v1-operator", "known-refused", "refused-now"],
)
def test_incremental_export_is_right_whatever_the_target_does_with_the_filter(
    sandbox_factory: Any, doctor_found: Any, tmp_path: Path, operator: str | None, note: str | None
) -> None:
    server = sandbox_factory(seed_customers=30, seed=5)
    state, out = tmp_path / "state", tmp_path / "out"
    doctor_found(state, server.url, operator)
    with _api(server) as api:
        export_snapshot(api, ExportOptions(out=out, state_dir=state))
        _change_world(api)
        incremental = export_snapshot(api, ExportOptions(out=out, incremental=True, state_dir=state))
        full = export_snapshot(api, ExportOptions(out=tmp_path / "full", state_dir=state))

    assert incremental.mode == "incremental"
    assert (incremental.changes["changed"], incremental.changes["new"], incremental.changes["deleted"]) == (10, 3, 2)
    if note is None:
        assert incremental.note is None
    else:
        assert note in (incremental.note or "")
    got, expected = read_snapshot(incremental.path).frames, read_snapshot(full.path).frames
    for name in ENTITIES:
        pd.testing.assert_frame_equal(got[name], expected[name])
    if operator == "greaterThanOrEqual":  # refused once, then remembered: the next run does not ask again
        assert incremental.calls["by_status"].get("400") == 1
        remembered = load_capabilities(state, server.url)
        assert remembered is not None and remembered.updated_since_operator is None
        assert remembered.filters["updatedAt greaterThanOrEqual"] == "refused"
        with _api(server) as api:
            again = export_snapshot(api, ExportOptions(out=out, incremental=True, state_dir=state))
        assert "refuses updatedAt filters" in (again.note or "")
        assert "400" not in again.calls.get("by_status", {})
