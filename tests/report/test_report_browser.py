"""The HTML report renders in a real browser: headless Chromium, driven through chromedriver by Selenium.

The report of a real validation (the legacy sample with a bad birthday planted in the second contact person of
one row) together with a plan and its results is opened in the browser, which reads back what it rendered: the
rule failures table with its message column and the planted birthday's group and source column, the held-back
table, both charts drawn as SVG, the plan table. A screenshot (under the test's tmp dir) must not be blank.

Chromium and chromedriver are Debian's ``chromium`` and ``chromium-driver`` packages, which ``.ci/run`` installs.
Where they are missing the test is skipped, saying so — but where a browser is required (``CI`` set, or
``CUSTSYNC_REQUIRE_BROWSER=1`` as ``.ci/run`` exports) it fails instead. The browser starts offline and quiet:
no first-run, background networking, component updates or sync, and a fresh profile.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageStat
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from custsync.report import RunReport, write_html
from custsync.report.build import validation_summary
from custsync.report.model import HOLD_BACK_COLUMNS, REJECT_COLUMNS
from custsync.source import read_source

LEGACY_MAPPING = Path(__file__).resolve().parents[2] / "mappings" / "legacy_erp.yaml"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
REQUIRED = bool(os.environ.get("CI")) or os.environ.get("CUSTSYNC_REQUIRE_BROWSER") == "1"
"""CI installs the browser (.ci/run), so there a missing one is a failure, not a skip."""
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1000,1400",
)
HOSTILE = "<script>alert('x')</script>"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if path is None]
    if missing:
        reason = (
            f"{' and '.join(missing)} not installed, so the HTML report is not checked in a browser: "
            "apt-get install chromium chromium-driver (.ci/run does)"
        )
        if REQUIRED:
            pytest.fail(f"{reason}; a browser is required here (CI or CUSTSYNC_REQUIRE_BROWSER=1)")
        pytest.skip(reason)
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    service = Service(executable_path=CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)  # a driver path given: no Selenium Manager
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _table_after(browser: WebDriver, heading: str) -> WebElement:
    """The first table after the heading that starts with ``heading``."""
    return browser.find_element(By.XPATH, f"//*[starts-with(normalize-space(.), '{heading}')]/following::table[1]")


def _rows(table: WebElement) -> list[list[str]]:
    return [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in table.find_elements(By.TAG_NAME, "tr")
    ]


def test_report_renders_in_headless_chromium(
    browser: WebDriver, tmp_path: Path, full_report: RunReport, planted_legacy: Any
) -> None:
    path, birthday_line, _ = planted_legacy
    load = read_source([path], LEGACY_MAPPING)
    validation = validation_summary(
        load.counts,
        load.failures,
        warnings=[*load.warnings, HOSTILE],
        source_rows=load.source_rows,
        rejected_rows=load.rejected_rows,
    )
    page = write_html(replace(full_report, validation=validation), tmp_path / "report.html")
    browser.get(page.as_uri())

    # the rule failures: every column, the message included, and the planted birthday in the source's terms
    failing = _table_after(browser, "Rule failures")
    assert [th.text for th in failing.find_elements(By.TAG_NAME, "th")] == list(REJECT_COLUMNS)
    (birthday,) = [row for row in _rows(failing) if "AP2_Geburtstag" in row]
    assert birthday[1:] == planted_legacy.birthday_reject
    assert failing.is_displayed() and failing.size["width"] > 500
    page_right = browser.execute_script("return document.body.getBoundingClientRect().right")
    message = failing.find_elements(By.XPATH, ".//tr[td]/td[last()]")[0]
    assert message.text and message.rect["x"] + message.rect["width"] <= page_right + 1, "the message is cut off"
    # the hold-backs apart, each with its record's group
    held = _table_after(browser, "Held back with them")
    assert [th.text for th in held.find_elements(By.TAG_NAME, "th")] == list(HOLD_BACK_COLUMNS)
    assert held.rect["x"] + held.rect["width"] <= page_right + 1
    held_rows = [row for row in _rows(held) if row]
    assert len(held_rows) == 10 and {"row_rejected"} == {row[4] for row in held_rows}
    assert [row[2] for row in held_rows if row[1] == str(birthday_line) and row[3] == "contacts"] == ["AP1"]
    # the charts: failures per rule and operations per entity, drawn with bars of real size
    charts = browser.find_elements(By.TAG_NAME, "svg")
    assert len(charts) == 2
    for chart in charts:
        assert chart.is_displayed() and chart.size["width"] > 200 and chart.size["height"] > 40
        bars = [r for r in chart.find_elements(By.TAG_NAME, "rect") if r.size["width"] > 0 and r.size["height"] > 0]
        assert bars, chart.get_attribute("outerHTML")[:300]
    assert "Operations per entity" in browser.page_source and "date_format" in charts[0].text
    # the plan
    plan = _table_after(browser, "Plan")
    assert ["customers", "5", "2", "0", "110"] in _rows(plan) and plan.is_displayed()
    # data is text: the hostile warning shows as written and runs nothing
    assert HOSTILE in browser.find_element(By.TAG_NAME, "body").text
    assert browser.find_elements(By.TAG_NAME, "script") == []

    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1000, min(int(height) + 200, 6000))
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    with Image.open(shot) as image:
        grey = image.convert("L")
        assert grey.width >= 900 and grey.height > 1400
        variance = ImageStat.Stat(grey).var[0]
        colours = len(image.convert("RGB").getcolors(maxcolors=1 << 20) or ())
    assert variance > 200, f"a blank page (pixel variance {variance:.0f})"
    assert colours > 50, f"a page of {colours} colours is not a rendered report"
