"""The HTML report renders in a real browser (headless Chromium), when one is installed.

Without /usr/bin/chromium this test is skipped; the manual check is described in docs/orchestration.md.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from custsync.report import RunReport, write_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine; see docs/orchestration.md")
def test_report_renders_in_headless_chromium(tmp_path: Path, full_report: RunReport) -> None:
    page = write_html(full_report, tmp_path / "report.html")
    dom = _chromium("--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    # the browser parsed the document: the charts became SVG elements and the data stayed text
    assert dom.stdout.count("<svg") == 2
    assert "Operations per entity" in dom.stdout
    assert "&lt;script&gt;alert(" in dom.stdout

    shot = tmp_path / "report.png"
    done = _chromium(f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000, "a rendered page with tables and charts, not a blank image"
