"""The run report: what one sync, migration or export did, as plain typed values.

The report holds primitives only (str, int, float, dicts of them), never DataFrames or API clients, so a Prefect
task can return it, the CLI can dump it as JSON, and the markdown and HTML renderers need nothing else. The
builders in :mod:`custsync.report.build` turn the pipeline's own result objects into these values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from custsync.urls import safe_url

OPERATIONS: tuple[str, ...] = ("create", "update", "delete")
"""The write operations a plan can hold, in the order reports show them."""


@dataclass(frozen=True)
class EntityValidation:
    """How many source rows of one entity were read, and how many were rejected."""

    entity: str
    rows: int
    invalid: int

    @property
    def valid(self) -> int:
        return self.rows - self.invalid


@dataclass(frozen=True)
class Reject:
    """One rejected value, located the way the user sees the source file (row 2 = first data row)."""

    entity: str
    rule: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    message: str | None = None
    source_column: str | None = None
    """The source column(s) the canonical ``column`` came from (``AP2_Geburtstag``)."""
    group: str | None = None
    """The group of a wide row the record came from (``AP2``)."""
    held_back: bool = False
    """A hold-back: the record has no failure of its own and was held back because another record failed
    (``value`` is then its customer number, ``message`` says which record)."""


REJECT_COLUMNS = ("file", "row", "group", "source column", "entity", "column", "rule", "value", "message")
"""The columns of the rule failures table, in every rendering."""
HOLD_BACK_COLUMNS = ("file", "row", "group", "entity", "rule", "customer", "why")
"""The columns of the hold-backs table, in every rendering."""


@dataclass(frozen=True)
class ValidationSummary:
    entities: tuple[EntityValidation, ...] = ()
    failures_per_rule: dict[str, int] = field(default_factory=dict)
    rejects: tuple[Reject, ...] = ()
    """The first rejects, rule failures before hold-backs (the full list lives in the rejects file);
    ``rejects_total`` counts all of them."""
    rejects_total: int = 0
    warnings: tuple[str, ...] = ()
    """Things that reject nothing but deserve a look: source columns the mapping never reads."""
    held_back: dict[str, int] = field(default_factory=dict)
    """Records held back (no failure of their own) per hold-back rule; not in ``failures_per_rule``."""
    source_rows: int | None = None
    """Rows read from the source files; ``rows``/``invalid`` count records (a wide row makes several)."""
    rejected_rows: int | None = None
    """Source rows that were held back (every record of them)."""
    failing_records: int | None = None
    """Records with a failure of their own: with the held-back ones they make up the invalid records (set from
    them when not given)."""

    def __post_init__(self) -> None:
        if self.failing_records is None:
            object.__setattr__(self, "failing_records", self.invalid - sum(self.held_back.values()))

    @property
    def rows(self) -> int:
        return sum(e.rows for e in self.entities)

    @property
    def invalid(self) -> int:
        return sum(e.invalid for e in self.entities)

    @property
    def rule_failures(self) -> int:
        return sum(self.failures_per_rule.values())

    def source_rows_said(self) -> str | None:
        """``50 source rows read, 2 rejected (...)``; ``None`` when the source rows were not counted."""
        if self.source_rows is None:
            return None
        return (
            f"{self.source_rows} source rows read, {self.rejected_rows or 0} rejected (every record of them held back)."
        )

    def records_said(self) -> str:
        """How the invalid records split: the ones failing a rule and the ones held back with them."""
        held = sum(self.held_back.values())
        said = f"{self.invalid} of {self.rows} records invalid"
        if not self.invalid:
            return said + "."
        said += (
            f": {self.failing_records} with {self.rule_failures} rule failure{'s' if self.rule_failures != 1 else ''}"
        )
        if held:
            parts = ", ".join(f"{count} by {rule}" for rule, count in sorted(self.held_back.items()))
            said += f", {held} held back with them (no failure of their own: {parts})"
        return said + "."

    def rule_rejects(self) -> tuple[Reject, ...]:
        return tuple(r for r in self.rejects if not r.held_back)

    def hold_back_rejects(self) -> tuple[Reject, ...]:
        return tuple(r for r in self.rejects if r.held_back)

    def rule_failures_title(self) -> str:
        return "Rule failures" + _first(len(self.rule_rejects()), self.rule_failures)

    def hold_backs_title(self) -> str:
        return "Held back with them" + _first(len(self.hold_back_rejects()), sum(self.held_back.values()))


def _first(shown: int, total: int) -> str:
    return f" (first {shown} of {total})" if total > shown else f" ({total})"


@dataclass(frozen=True)
class EntityPlan:
    """Planned operations for one entity."""

    entity: str
    create: int = 0
    update: int = 0
    delete: int = 0
    unchanged: int = 0

    @property
    def writes(self) -> int:
        return self.create + self.update + self.delete

    def count(self, operation: str) -> int:
        return int(getattr(self, operation))


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class PlannedChange:
    """One planned operation with its changed fields (for creates: the fields it sets)."""

    entity: str
    operation: str
    key: str
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class PlanSummary:
    mode: str = "upsert"
    entities: tuple[EntityPlan, ...] = ()
    first_changes: tuple[PlannedChange, ...] = ()
    refused: tuple[str, ...] = ()
    """Why this plan must not be applied as it is (a mirror's deletes over their limit)."""

    @property
    def writes(self) -> int:
        return sum(e.writes for e in self.entities)


@dataclass(frozen=True)
class EntityResult:
    """What the apply did for one entity: operations done and failed, per operation."""

    entity: str
    done: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)

    @property
    def done_total(self) -> int:
        return sum(self.done.values())

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())


@dataclass(frozen=True)
class OperationFailure:
    """A write the API refused, with the API's own words."""

    entity: str
    operation: str
    key: str
    message: str
    status: int | None = None


@dataclass(frozen=True)
class ResultSummary:
    entities: tuple[EntityResult, ...] = ()
    failures: tuple[OperationFailure, ...] = ()
    dry_run: bool = False

    @property
    def failed(self) -> int:
        return sum(e.failed_total for e in self.entities)

    @property
    def done(self) -> int:
        return sum(e.done_total for e in self.entities)


@dataclass(frozen=True)
class ExportSummary:
    """Where an export wrote its snapshot and how many rows per entity."""

    path: str
    rows: dict[str, int] = field(default_factory=dict)
    incremental: bool = False


@dataclass(frozen=True)
class RunReport:
    """Everything a person wants to know about one run, and nothing secret.

    ``api_url`` is stored without user info, query or fragment, so a URL that carried a credential cannot leak
    it into a report (see :func:`safe_url`).
    """

    kind: str
    """``sync``, ``migration``, ``migration-rehearsal`` or ``export``."""
    api_url: str | None = None
    sources: tuple[str, ...] = ()
    mapping: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    validation: ValidationSummary | None = None
    plan: PlanSummary | None = None
    results: ResultSummary | None = None
    export: ExportSummary | None = None
    calls: dict[str, int] = field(default_factory=dict)
    """API calls spent, by HTTP method, plus ``total``."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage, in the order the stages ran."""
    run_id: str | None = None

    def __post_init__(self) -> None:
        if self.api_url is not None:
            object.__setattr__(self, "api_url", safe_url(self.api_url))

    @property
    def ok(self) -> bool:
        """True when nothing was rejected, the plan was not refused and no write failed."""
        invalid = self.validation.invalid if self.validation else 0
        failed = self.results.failed if self.results else 0
        refused = bool(self.plan.refused) if self.plan else False
        return invalid == 0 and failed == 0 and not refused

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def facts(self) -> list[tuple[str, str]]:
        """The head of every rendering: ``(label, value)`` for what is known about the run, in reading order."""
        items: list[tuple[str, str]] = []
        if self.api_url:
            items.append(("API", self.api_url))
        if self.sources:
            items.append(("Sources", ", ".join(self.sources)))
        if self.mapping:
            items.append(("Mapping", self.mapping))
        if self.plan is not None:
            items.append(("Mode", self.plan.mode))
        if self.results is not None and self.results.dry_run:
            items.append(("Dry run", "yes: nothing was written"))
        items.append(("Started", self.started_at.isoformat(timespec="seconds")))
        if self.duration is not None:
            items.append(("Duration", f"{self.duration:.1f} s"))
        if self.run_id:
            items.append(("Run", self.run_id))
        return items

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (datetimes as ISO 8601 strings)."""
        out = asdict(self)
        out["started_at"] = self.started_at.isoformat()
        out["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        out["ok"] = self.ok
        return out
