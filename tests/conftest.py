"""Test-wide setup: Prefect runs quiet and offline; the sandbox fixtures start real servers on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path
from typing import NamedTuple

import pytest

_ROOT = Path(__file__).resolve().parent.parent
# Outside the checkout and not created here: the product creates it (``import flows``), and the checkout stays as
# clean as a fresh clone, so that `make demo` after `make test` (as in CI) still starts from nothing.
os.environ.setdefault("PREFECT_HOME", str(Path(tempfile.gettempdir()) / f"custsync-tests-{os.getpid()}" / "prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY", "false")
os.environ.setdefault("PREFECT_SERVER_UI_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

REPO_ROOT = _ROOT


class PlantedLegacy(NamedTuple):
    path: Path
    birthday_line: int
    email_line: int

    @property
    def birthday_reject(self) -> list[str]:
        """How every report shows the planted birthday, from the row on: row, group, source column, entity,
        column, rule, value, message."""
        return [
            str(self.birthday_line),
            "AP2",
            "AP2_Geburtstag",
            "contacts",
            "birthday",
            "date_format",
            "31.02.1970",
            "not a date in the format %d.%m.%Y",
        ]


@pytest.fixture
def planted_legacy(tmp_path: Path) -> PlantedLegacy:
    """The legacy sample (sample_data/legacy_erp) with a bad birthday in the second contact person (AP2) of one
    row and a bad e-mail in another's: the file, and the two rows' line numbers (header = 1)."""
    with (_ROOT / "sample_data" / "legacy_erp" / "kunden_export.csv").open(encoding="cp1252", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    header = rows[0]
    with_two = [i for i, row in enumerate(rows[1:], start=1) if row[header.index("AP2_Vorname")]]
    birthday_row, email_row = with_two[0], with_two[1]
    rows[birthday_row][header.index("AP2_Geburtstag")] = "31.02.1970"
    rows[email_row][header.index("AP2_E-Mail")] = "kein.at.zeichen"
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    path = tmp_path / "kunden.csv"
    path.write_bytes(out.getvalue().encode("cp1252"))
    return PlantedLegacy(path, birthday_row + 1, email_row + 1)


# -- the sandbox fixtures: a real customer API server on 127.0.0.1 ------------------------------------------------


def assert_client_sent_what_the_spec_accepts(server, request: pytest.FixtureRequest) -> None:
    """Fail the test when custsync's client sent a body the wire layer refuses (the sandbox answered 400 too,
    but a test expecting failures could otherwise let it pass). Tests that send invalid bodies on purpose say
    so with ``@pytest.mark.invalid_bodies``."""
    if server.client_violations and request.node.get_closest_marker("invalid_bodies") is None:
        pytest.fail(
            "custsync sent request bodies the API's schema refuses:\n" + "\n".join(server.client_violations[:10]),
            pytrace=False,
        )


@pytest.fixture
def sandbox(tmp_path: Path, request: pytest.FixtureRequest):
    """A fresh, empty sandbox server (file database in tmp_path) with ``.url``, ``.token``, ``.db_path``.

    Every body custsync's client sends it is judged by the public spec (custsync.wire); a violation fails the test.
    """
    from custsync.sandbox.testing import run_sandbox

    with run_sandbox(tmp_path / "sandbox.db") as server:
        yield server
    assert_client_sent_what_the_spec_accepts(server, request)


@pytest.fixture
def sandbox_factory(tmp_path: Path, request: pytest.FixtureRequest):
    """Start sandboxes with knobs: ``sandbox_factory(rate_limit_per_min=100, fail_rate=0.2, seed=1, ...)``.

    Accepts every :class:`custsync.sandbox.Knobs` field plus ``seed_customers``, ``db_path`` and ``token``.
    All servers started by one test stop when it ends; as with ``sandbox``, a body of custsync's client that
    the API's schema refuses fails the test.
    """
    from contextlib import ExitStack

    from custsync.sandbox.testing import run_sandbox

    servers = []
    with ExitStack() as stack:
        started = 0

        def start(*, db_path: Path | str | None = None, token: str | None = None, **knobs):
            nonlocal started
            started += 1
            path = db_path or tmp_path / f"sandbox-{started}.db"
            server = stack.enter_context(run_sandbox(path, token, **knobs))
            servers.append(server)
            return server

        yield start
    for server in servers:
        assert_client_sent_what_the_spec_accepts(server, request)


@pytest.fixture
def doctor_found():
    """``doctor_found(state_dir, api_url, operator)`` saves what ``custsync doctor`` would have found about the
    target's ``updatedAt`` filter (``None``: it refuses every spelling)."""
    from custsync.doctor import Capabilities, save_capabilities
    from custsync.urls import safe_url

    def save(state: Path, url: str, operator: str | None) -> None:
        caps = Capabilities(api_url=safe_url(url), probed_at="2026-01-01T00:00:00+00:00", authenticated=True)
        caps.updated_since_operator = operator
        save_capabilities(caps, state)

    return save
