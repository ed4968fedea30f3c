"""The run report as one self-contained HTML file: inline CSS, inline SVG charts, no script, no network.

A file people can attach to a ticket or open from a CI artifact; every value from the data is escaped.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC
from html import escape
from pathlib import Path

from custsync.report.chart import Series, bars, stacked_bars
from custsync.report.model import HOLD_BACK_COLUMNS, OPERATIONS, REJECT_COLUMNS, RunReport

OPERATION_SERIES = (
    Series("create", "#2e7d32"),
    Series("update", "#1565c0"),
    Series("delete", "#c62828"),
    Series("failed", "#f9a825"),
)
RULE_COLOUR = "#8e24aa"

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2327;margin:2rem auto;
max-width:960px;padding:0 1rem;background:#fff}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;border-bottom:1px solid #dde;padding-bottom:.2rem;
margin-top:2rem}h3{font-size:1rem;margin-top:1.2rem}
.status{display:inline-block;padding:.1rem .6rem;border-radius:1rem;font-weight:600;font-size:.85rem}
.ok{background:#e3f4e5;color:#1b5e20}.attention{background:#fdecea;color:#b71c1c}
table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #dde;padding:.25rem .6rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
.rejects td:first-child,.rejects td:nth-last-child(2){overflow-wrap:anywhere}
th{background:#f4f6f8}td.n{text-align:right;font-variant-numeric:tabular-nums}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}
.chart text{font:12px system-ui,sans-serif;fill:#1d2327}.chart .value{fill:#555}
code{background:#f4f6f8;padding:0 .2rem}.muted{color:#666}
"""


def render_html(report: RunReport) -> str:
    """The whole report as an HTML document."""
    status = "ok" if report.ok else "attention"
    title = f"custsync {report.kind} report"
    body = [
        f'<h1>{escape(title)} <span class="status {status}">{"ok" if report.ok else "needs attention"}</span></h1>',
        _header(report),
    ]
    if report.validation is not None:
        body.append(_validation(report))
    if report.plan is not None:
        body.append(_plan(report))
    if report.results is not None:
        body.append(_results(report))
    if report.export is not None:
        body.append(_export(report))
    body.append(_costs(report))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_html(report: RunReport, path: str | Path) -> Path:
    """Write the report atomically (a reader never sees half a file) and return its path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(render_html(report))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def report_filename(report: RunReport) -> str:
    """``<kind>-<UTC start, to the second>.html``: sorts by time, and never collides between kinds."""
    return f"{report.kind}-{report.started_at.astimezone(UTC):%Y%m%dT%H%M%SZ}.html"


def operations_chart(report: RunReport) -> str:
    """Stacked bars of writes per entity: what was done and what failed after an apply, else what is planned."""
    rows: dict[str, dict[str, int]]
    if report.results is not None and not report.results.dry_run and report.results.entities:
        rows = {
            e.entity: {**{op: e.done.get(op, 0) for op in OPERATIONS}, "failed": e.failed_total}
            for e in report.results.entities
        }
    elif report.plan is not None:
        rows = {e.entity: {op: e.count(op) for op in OPERATIONS} for e in report.plan.entities}
    else:
        return ""
    if not any(sum(c.values()) for c in rows.values()):
        return ""
    return stacked_bars(rows, OPERATION_SERIES, title="Operations per entity")


def rules_chart(report: RunReport) -> str:
    if report.validation is None or not report.validation.failures_per_rule:
        return ""
    return bars(report.validation.failures_per_rule, colour=RULE_COLOUR, title="Failures per rule")


def _header(report: RunReport) -> str:
    return "<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in report.facts()) + "</dl>"


def _validation(report: RunReport) -> str:
    v = report.validation
    assert v is not None
    out = ["<h2>Validation</h2>"]
    said = v.source_rows_said()
    if said is not None:
        out.append(f"<p>{escape(said)}</p>")
    rows = [(e.entity, e.rows, e.valid, e.invalid) for e in v.entities]
    out.append(
        _table(("entity", "records", "valid", "invalid"), [*rows, ("all", v.rows, v.rows - v.invalid, v.invalid)])
    )
    out.append(f"<p>{escape(v.records_said())}</p>")
    out += [f"<p class='attention'><strong>Warning:</strong> {escape(warning)}</p>" for warning in v.warnings]
    if v.failures_per_rule:
        out.append("<h3>Failures per rule</h3>")
        out.append(rules_chart(report))
    failing, held = v.rule_rejects(), v.hold_back_rejects()
    if failing:
        out.append(f"<h3>{escape(v.rule_failures_title())}</h3>")
        cells = (
            (r.file, r.row, r.group, r.source_column, r.entity, r.column, r.rule, r.value, r.message) for r in failing
        )
        out.append(_table(REJECT_COLUMNS, cells, cls="rejects"))
    if held:
        out.append(f"<h3>{escape(v.hold_backs_title())}</h3>")
        out.append(
            _table(
                HOLD_BACK_COLUMNS,
                ((r.file, r.row, r.group, r.entity, r.rule, r.value, r.message) for r in held),
                cls="rejects",
            )
        )
    return "\n".join(out)


def _plan(report: RunReport) -> str:
    p = report.plan
    assert p is not None
    out = [f"<h2>Plan <span class='muted'>({escape(p.mode)})</span></h2>"]
    out.append(
        _table(
            ("entity", *OPERATIONS, "unchanged"),
            ((e.entity, *(e.count(op) for op in OPERATIONS), e.unchanged) for e in p.entities),
        )
    )
    out += [f"<p class='attention'><strong>Refused:</strong> {escape(reason)}</p>" for reason in p.refused]
    applied = report.results is not None and not report.results.dry_run
    if not applied:
        out.append(operations_chart(report))
    if p.first_changes:
        out.append("<h3>First changes</h3>")
        rows = []
        for change in p.first_changes:
            if not change.fields:
                rows.append((change.entity, change.operation, change.key, None, None, None))
            rows += [(change.entity, change.operation, change.key, f.field, f.before, f.after) for f in change.fields]
        out.append(_table(("entity", "operation", "key", "field", "before", "after"), rows))
    elif p.writes == 0:
        out.append("<p>Nothing to do: the API already holds the source's data.</p>")
    return "\n".join(out)


def _results(report: RunReport) -> str:
    r = report.results
    assert r is not None
    out = ["<h2>Results</h2>"]
    if r.dry_run:
        out.append("<p>Dry run: no write was sent to the API.</p>")
        return "\n".join(out)
    out.append(
        _table(
            ("entity", *(f"{op} done" for op in OPERATIONS), "failed"),
            ((e.entity, *(e.done.get(op, 0) for op in OPERATIONS), e.failed_total) for e in r.entities),
        )
    )
    out.append(operations_chart(report))
    if r.failures:
        out.append("<h3>Failures</h3>")
        out.append(
            _table(
                ("entity", "operation", "key", "status", "API message"),
                ((f.entity, f.operation, f.key, f.status, f.message) for f in r.failures),
            )
        )
    return "\n".join(out)


def _export(report: RunReport) -> str:
    e = report.export
    assert e is not None
    kind = "Incremental" if e.incremental else "Full"
    return f"<h2>Snapshot</h2><p>{kind} snapshot in <code>{escape(e.path)}</code></p>" + _table(
        ("entity", "rows"), e.rows.items()
    )


def _costs(report: RunReport) -> str:
    out = []
    if report.calls:
        out.append("<h2>API calls</h2>")
        out.append(_table(tuple(report.calls), [tuple(report.calls.values())]))
    if report.timings:
        out.append("<h2>Timings</h2>")
        out.append(_table(("stage", "seconds"), ((k, f"{v:.2f}") for k, v in report.timings.items())))
    return "\n".join(out)


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], cls: str | None = None) -> str:
    """A table; ``cls="rejects"`` lets its first column (a file path) and its value column break anywhere, so
    the message column stays on the page."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_td(v) for v in row) + "</tr>" for row in rows)
    attribute = f' class="{cls}"' if cls else ""
    return f"<table{attribute}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _td(value: object) -> str:
    if value is None:
        return "<td></td>"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<td class="n">{value}</td>'
    return f"<td>{escape(str(value))}</td>"
