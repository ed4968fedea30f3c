"""Turn the pipeline's own results (validation, plan, apply, export) into the report's plain values.

The builders read only the public attributes of those results, so the report does not depend on how the
stages compute them, and a stage that did not run simply leaves its section out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from custsync.model import HOLD_BACK_RULES, failures_to_records, held_back_per_rule, preview
from custsync.report.model import (
    OPERATIONS,
    EntityPlan,
    EntityResult,
    EntityValidation,
    FieldChange,
    OperationFailure,
    PlannedChange,
    PlanSummary,
    Reject,
    ResultSummary,
    ValidationSummary,
)

MAX_REJECTS = 50
"""Rejects listed in the report itself; the rejects file and table artifact hold them all."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
MAX_CHANGES = 20
"""Planned operations shown field by field."""


def validation_summary(
    counts: Mapping[str, Any],
    failures: pd.DataFrame | None,
    *,
    max_rejects: int = MAX_REJECTS,
    warnings: Sequence[str] = (),
    source_rows: int | None = None,
    rejected_rows: int | None = None,
) -> ValidationSummary:
    """From per-entity counts (objects or dicts with ``rows`` and ``invalid``) and the failures table."""
    entities = tuple(
        EntityValidation(name, rows=_get_int(c, "rows"), invalid=_get_int(c, "invalid")) for name, c in counts.items()
    )
    records = reject_records(failures)
    rule_failures = [r for r in records if r["rule"] not in HOLD_BACK_RULES]
    per_rule: dict[str, int] = {}
    for record in rule_failures:
        rule = record["rule"] or "unknown"
        per_rule[rule] = per_rule.get(rule, 0) + 1
    held_back = held_back_per_rule(failures)
    hold_backs = [r for r in records if r["rule"] in HOLD_BACK_RULES]
    rejects = tuple(
        Reject(
            entity=r["entity"] or "",
            rule=r["rule"] or "unknown",
            file=r["file"],
            row=r["row"],
            column=r["column"],
            value=r["value"],
            message=r["message"],
            source_column=r["source_column"],
            group=r["group"],
            held_back=r["rule"] in HOLD_BACK_RULES,
        )
        for r in [*rule_failures, *hold_backs][:max_rejects]
    )
    return ValidationSummary(
        entities=entities,
        failures_per_rule=per_rule,
        rejects=rejects,
        rejects_total=len(records),
        warnings=tuple(warnings),
        held_back=held_back,
        source_rows=source_rows,
        rejected_rows=rejected_rows,
    )


def reject_records(failures: pd.DataFrame | None, *, limit: int | None = None) -> list[dict[str, Any]]:
    """The failures table as JSON-ready dicts with the standard columns (``row`` as int, values shortened)."""
    if failures is None or failures.empty:
        return []
    records = failures_to_records(failures if limit is None else failures.head(limit))
    for record in records:  # data from the source: an oversize field is not copied whole
        record["value"], record["message"] = preview(record["value"]), preview(record["message"])
    return records


def plan_summary(plan: Any, *, max_changes: int = MAX_CHANGES) -> PlanSummary:
    """From a :class:`custsync.reconcile.Plan`: counts per entity and operation, and the first changes.

    Updates come first (they are what people check), field by field as ``before -> after``; then creates and
    deletes by key.
    """
    entities = tuple(
        EntityPlan(
            e.entity,
            create=len(e.creates),
            update=len(e.updates),
            delete=len(e.deletes),
            unchanged=int(e.unchanged),
        )
        for e in plan.entities
    )
    changes: list[PlannedChange] = []
    for e in plan.entities:
        for u in e.updates:
            fields = tuple(
                FieldChange(name, _text(before), _text(after)) for name, (before, after) in u.changes.items()
            )
            changes.append(PlannedChange(e.entity, "update", readable_key(u.key), fields))
    for e in plan.entities:
        changes += [PlannedChange(e.entity, "create", readable_key(c.key)) for c in e.creates]
        changes += [PlannedChange(e.entity, "delete", readable_key(d.key)) for d in e.deletes]
    return PlanSummary(
        mode=str(plan.meta.mode),
        entities=entities,
        first_changes=tuple(changes[:max_changes]),
        refused=tuple(plan.refusals()),
    )


def result_summary(
    done: Mapping[str, Mapping[str, int]],
    failures: Iterable[OperationFailure] = (),
    *,
    dry_run: bool = False,
) -> ResultSummary:
    """From operations done per entity and operation, and the failed operations with the API's messages."""
    failures = tuple(failures)
    failed: dict[str, dict[str, int]] = {}
    for f in failures:
        per_op = failed.setdefault(f.entity, {})
        per_op[f.operation] = per_op.get(f.operation, 0) + 1
    names = list(done) + [n for n in failed if n not in done]
    entities = tuple(
        EntityResult(
            name,
            done={op: int(done.get(name, {}).get(op, 0)) for op in OPERATIONS},
            failed=failed.get(name, {}),
        )
        for name in names
    )
    return ResultSummary(entities=entities, failures=failures, dry_run=dry_run)


def apply_summary(report: Any) -> ResultSummary:
    """From a :class:`custsync.apply.ApplyReport`: done per entity and operation, failures with the API's words.

    A 400's ``violations`` (the payload's invalid fields with their messages) are spelled out after the message.
    """
    failures = [
        OperationFailure(f.entity, f.kind, readable_key(f.key), _failure_text(f.message, f.problem), f.status)
        for f in report.failures
    ]
    return result_summary(report.done, failures)


def calls_summary(*stats: Mapping[str, Any]) -> dict[str, int]:
    """The calls of several stages (:func:`custsync.api.call_counts` added up) as a report's flat table: calls per
    HTTP method, total, retries, 429s, and, when there were any, customer deletes by the route that did them."""
    from custsync.api import call_counts

    counts = call_counts(*stats)
    routes = counts.pop("customer_deletes", {})
    return {
        **counts,
        "retries": counts.get("retries", 0),
        "rate_limited": counts.get("rate_limited", 0),
        **{f"customer deletes ({route})": count for route, count in routes.items()},
    }


def readable_key(key: object) -> str:
    """A record key for people: control characters (the diff joins key parts with one) become ``/``."""
    return _CONTROL.sub("/", str(key))


def _failure_text(message: str, problem: Mapping[str, Any] | None) -> str:
    violations = _flatten((problem or {}).get("violations") or {})
    details = "; ".join(f"{path}: {text}" for path, text in violations if path not in message)
    return f"{message} ({details})" if details else message


def _flatten(tree: Any, prefix: str = "") -> list[tuple[str, str]]:
    """``{"contact": {"email": ["bad"]}}`` -> ``[("contact.email", "bad")]``."""
    if isinstance(tree, Mapping):
        out: list[tuple[str, str]] = []
        for key, value in tree.items():
            out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(tree, list) and all(isinstance(v, str) for v in tree):
        return [(prefix, " ".join(tree))]
    if isinstance(tree, list):
        return [pair for i, v in enumerate(tree) for pair in _flatten(v, f"{prefix}[{i}]")]
    return [(prefix, str(tree))]


def _get_int(obj: Any, name: str) -> int:
    value = obj.get(name, 0) if isinstance(obj, Mapping) else getattr(obj, name, 0)
    return int(value or 0)


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _text(value: object) -> str | None:
    if isinstance(value, list | tuple | dict):
        return preview(str(value))
    return None if _missing(value) else preview(value)
