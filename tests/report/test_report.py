"""The run report: its markdown and HTML say what happened, escape data, and never carry a credential."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

from custsync.report import (
    PlanSummary,
    ResultSummary,
    RunReport,
    ValidationSummary,
    render_html,
    render_markdown,
    safe_url,
    write_html,
)


def test_safe_url_drops_userinfo_query_and_fragment() -> None:
    assert safe_url("https://user:s3cret@erp.example.com:8443/base?token=abc#f") == "https://erp.example.com:8443/base"
    assert safe_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert safe_url("http://[::1]:9000/x") == "http://[::1]:9000/x"


def test_report_never_holds_a_credential_from_the_url(full_report: RunReport) -> None:
    for text in (render_markdown(full_report), render_html(full_report), repr(full_report), str(full_report.to_dict())):
        assert "s3cret" not in text
        assert "token=abc" not in text


def test_markdown_has_every_section_with_the_numbers(full_report: RunReport) -> None:
    md = render_markdown(full_report)
    assert md.startswith("# custsync sync: needs attention")
    for heading in (
        "## Validation",
        "### Failures per rule",
        "### Rule failures (first 2 of 4)",
        "## Plan (upsert)",
        "### First changes",
        "## Results",
        "### Failures",
        "## API calls",
        "## Timings",
    ):
        assert heading in md, heading
    assert "| customers | 120 | 117 | 3 |" in md
    assert "| customers | 5 | 2 | 0 | 110 |" in md
    assert "| customers | update | 10042 | contact.email | a@old.de | a@new.de |" in md
    assert "| customers | update | 10077 | 400 | financial.vatId: This value is not valid. |" in md
    assert "| 14 | 15 | 3 | 1 | 33 |" in md


def test_markdown_escapes_values_from_the_data(full_report: RunReport) -> None:
    md = render_markdown(full_report)
    assert "<script>" not in md
    rejects_row = next(line for line in md.splitlines() if "contact.email | email" in line)
    # the pipe in the value is escaped, so the row keeps its nine cells (file .. message)
    assert len(re.findall(r"(?<!\\)\|", rejects_row)) == 10


def test_html_is_self_contained_and_escapes_data(full_report: RunReport) -> None:
    html = render_html(full_report)
    assert "<script" not in html.replace("&lt;script", "")
    assert "&lt;script&gt;alert(" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "no external resources"
    assert "<link" not in html
    assert "<style>" in html


def test_html_charts_are_valid_svg_with_one_bar_per_value(full_report: RunReport) -> None:
    html = render_html(full_report)
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == 2
    charts = {ET.fromstring(s).get("aria-label"): ET.fromstring(s) for s in svgs}
    assert set(charts) == {"Operations per entity", "Failures per rule"}
    ns = "{http://www.w3.org/2000/svg}"
    rule_bars = [r.findtext(f"{ns}title") for r in charts["Failures per rule"].iter(f"{ns}rect")]
    assert rule_bars == ["email: 2", "country: 1", "iban: 1"]
    op_titles = {r.findtext(f"{ns}title") for r in charts["Operations per entity"].iter(f"{ns}rect")} - {None}
    # after an apply the chart shows what was done and what failed
    assert {"customers create: 5", "customers update: 1", "customers failed: 1", "addresses delete: 1"} <= op_titles


def test_dry_run_and_empty_plan_say_so(full_report: RunReport) -> None:
    report = replace(
        full_report,
        validation=ValidationSummary(),
        plan=PlanSummary(mode="insert"),
        results=ResultSummary(dry_run=True),
    )
    md = render_markdown(report)
    assert "Nothing to do" in md
    assert "Dry run: no write was sent to the API." in md
    html = render_html(report)
    assert "<svg" not in html
    assert "Dry run" in html
    assert report.ok


def test_write_html_is_atomic_and_creates_the_directory(tmp_path, full_report: RunReport) -> None:
    path = write_html(full_report, tmp_path / "reports" / "run.html")
    assert path.read_text(encoding="utf-8") == render_html(full_report)
    assert [p.name for p in path.parent.iterdir()] == ["run.html"]


def test_to_dict_is_json_ready(full_report: RunReport) -> None:
    import json

    data = json.loads(json.dumps(full_report.to_dict()))
    assert data["plan"]["entities"][0] == {
        "entity": "customers",
        "create": 5,
        "update": 2,
        "delete": 0,
        "unchanged": 110,
    }
    assert data["ok"] is False
    assert data["api_url"] == "https://erp.example.com/base"


def test_both_renderings_open_with_the_same_facts(full_report: RunReport) -> None:
    facts = dict(full_report.facts())
    assert list(facts)[:4] == ["API", "Sources", "Mapping", "Mode"]
    assert facts["API"] == "https://erp.example.com/base" and facts["Mode"] == "upsert"
    md, html = render_markdown(full_report), render_html(full_report)
    for label in facts:
        assert f"- **{label}**: " in md
        assert f"<dt>{label}</dt>" in html
    assert "Dry run" not in facts
    dry = replace(full_report, results=replace(full_report.results, dry_run=True))
    assert dict(dry.facts())["Dry run"] == "yes: nothing was written"
