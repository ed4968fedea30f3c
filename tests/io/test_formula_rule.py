"""One formula-neutralising rule for every CSV custsync writes for spreadsheets (snapshots, rejects report)."""

from __future__ import annotations

import pytest

from custsync.io.rejects import neutralise
from custsync.io.snapshot import neutralise_formula


@pytest.mark.parametrize("text", ["=1+1", "'=1+1", "+49 30 1234", "-5", "@SUM(A1)", "\tx", "Müller", "'quoted"])
def test_the_rejects_report_neutralises_as_snapshots_do(text: str) -> None:
    assert neutralise(text) == neutralise_formula(text)


def test_the_rule_is_reversible_for_text_that_already_starts_with_an_apostrophe() -> None:
    assert neutralise("'=1+1") == "''=1+1"
