"""The run report: one typed value per run, rendered as markdown (Prefect artifact) and as self-contained HTML."""

from custsync.report.html import render_html, report_filename, write_html
from custsync.report.markdown import render_markdown
from custsync.report.model import (
    OPERATIONS,
    EntityPlan,
    EntityResult,
    EntityValidation,
    ExportSummary,
    FieldChange,
    OperationFailure,
    PlannedChange,
    PlanSummary,
    Reject,
    ResultSummary,
    RunReport,
    ValidationSummary,
)
from custsync.urls import safe_url

__all__ = [
    "OPERATIONS",
    "EntityPlan",
    "EntityResult",
    "EntityValidation",
    "ExportSummary",
    "FieldChange",
    "OperationFailure",
    "PlanSummary",
    "PlannedChange",
    "Reject",
    "ResultSummary",
    "RunReport",
    "ValidationSummary",
    "render_html",
    "render_markdown",
    "report_filename",
    "safe_url",
    "write_html",
]
