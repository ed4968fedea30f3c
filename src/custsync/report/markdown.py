"""The run report as markdown: what the Prefect UI shows as the run's artifact, and what a terminal can print."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from custsync.report.model import HOLD_BACK_COLUMNS, OPERATIONS, REJECT_COLUMNS, RunReport

MAX_CELL = 80


def render_markdown(report: RunReport) -> str:
    """The whole report: header, validation, plan, results, export, calls and timings."""
    lines: list[str] = [f"# custsync {report.kind}: {'ok' if report.ok else 'needs attention'}", ""]
    lines += _header(report)
    if report.validation is not None:
        lines += _validation(report)
    if report.plan is not None:
        lines += _plan(report)
    if report.results is not None:
        lines += _results(report)
    if report.export is not None:
        lines += _export(report)
    if report.calls or report.timings:
        lines += _costs(report)
    return "\n".join(lines).rstrip() + "\n"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """A GitHub-style markdown table; cells are escaped and shortened to stay one line."""
    out = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return [*out, ""]


def cell(value: object) -> str:
    """One table cell: no pipes, no newlines, no raw HTML, at most ``MAX_CELL`` characters."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "…"
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _text(value: str) -> str:
    """Running text: one line, no raw HTML, not shortened."""
    return " ".join(value.split()).replace("\\", "\\\\").replace("<", "&lt;").replace(">", "&gt;")


def _header(report: RunReport) -> list[str]:
    return [f"- **{name}**: {cell(value)}" for name, value in report.facts()] + [""]


def _validation(report: RunReport) -> list[str]:
    v = report.validation
    assert v is not None
    lines = ["## Validation", ""]
    said = v.source_rows_said()
    if said is not None:
        lines += [said, ""]
    rows = [(e.entity, e.rows, e.valid, e.invalid) for e in v.entities]
    lines += table(("entity", "records", "valid", "invalid"), [*rows, ("all", v.rows, v.rows - v.invalid, v.invalid)])
    lines += [v.records_said(), ""]
    lines += [f"**Warning:** {_text(warning)}" for warning in v.warnings] + ([""] if v.warnings else [])
    if v.failures_per_rule:
        lines += ["### Failures per rule", ""]
        ordered = sorted(v.failures_per_rule.items(), key=lambda kv: (-kv[1], kv[0]))
        lines += table(("rule", "failures"), ordered)
    failing, held = v.rule_rejects(), v.hold_back_rejects()
    if failing:
        lines += [f"### {v.rule_failures_title()}", ""]
        cells = (
            (r.file, r.row, r.group, r.source_column, r.entity, r.column, r.rule, r.value, r.message) for r in failing
        )
        lines += table(REJECT_COLUMNS, cells)
    if held:
        lines += [f"### {v.hold_backs_title()}", ""]
        lines += table(
            HOLD_BACK_COLUMNS, ((r.file, r.row, r.group, r.entity, r.rule, r.value, r.message) for r in held)
        )
    return lines


def _plan(report: RunReport) -> list[str]:
    p = report.plan
    assert p is not None
    lines = [f"## Plan ({p.mode})", ""]
    lines += table(
        ("entity", *OPERATIONS, "unchanged"),
        ((e.entity, *(e.count(op) for op in OPERATIONS), e.unchanged) for e in p.entities),
    )
    lines += [f"**Refused:** {reason}" for reason in p.refused] + ([""] if p.refused else [])
    if p.first_changes:
        lines += ["### First changes", ""]
        rows = []
        for change in p.first_changes:
            if not change.fields:
                rows.append((change.entity, change.operation, change.key, "", "", ""))
            for f in change.fields:
                rows.append((change.entity, change.operation, change.key, f.field, f.before, f.after))
        lines += table(("entity", "operation", "key", "field", "before", "after"), rows)
    elif p.writes == 0:
        lines += ["Nothing to do: the API already holds the source's data.", ""]
    return lines


def _results(report: RunReport) -> list[str]:
    r = report.results
    assert r is not None
    lines = ["## Results", ""]
    if r.dry_run:
        return [*lines, "Dry run: no write was sent to the API.", ""]
    lines += table(
        ("entity", *(f"{op} done" for op in OPERATIONS), "failed"),
        ((e.entity, *(e.done.get(op, 0) for op in OPERATIONS), e.failed_total) for e in r.entities),
    )
    if r.failures:
        lines += ["### Failures", ""]
        lines += table(
            ("entity", "operation", "key", "status", "API message"),
            ((f.entity, f.operation, f.key, f.status, f.message) for f in r.failures),
        )
    return lines


def _export(report: RunReport) -> list[str]:
    e = report.export
    assert e is not None
    lines = ["## Snapshot", "", f"{'Incremental' if e.incremental else 'Full'} snapshot in `{e.path}`", ""]
    lines += table(("entity", "rows"), e.rows.items())
    return lines


def _costs(report: RunReport) -> list[str]:
    lines: list[str] = []
    if report.calls:
        lines += ["## API calls", ""]
        lines += table(tuple(report.calls), [tuple(report.calls.values())])
    if report.timings:
        lines += ["## Timings", ""]
        lines += table(("stage", "seconds"), ((k, f"{v:.2f}") for k, v in report.timings.items()))
    return lines
