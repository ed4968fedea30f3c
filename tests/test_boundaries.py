"""Package boundaries and public names, pinned by reading the source (ast: no import, well under a second).

- ``custsync.reconcile``, ``custsync.apply`` and ``custsync.io`` are used through their ``__init__`` only;
- the ``custsync`` package never imports the repository's top-level ``flows/`` (it is not installed with it);
- only the sandbox itself and its commands (``custsync.cli.sandbox``) import ``custsync.sandbox``;
- each package's ``__all__`` is exactly the names pinned here: a change of public names is a deliberate edit.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "custsync"
FLOWS = ROOT / "flows"

BEHIND_INIT = ("custsync.reconcile", "custsync.apply", "custsync.io")
SANDBOX = "custsync.sandbox"
SANDBOX_DOOR = "custsync.cli.sandbox"

PUBLIC_NAMES: dict[str, set[str]] = {
    "custsync.api": {
        "ADDRESSES_SPEC",
        "Addresses",
        "ApiSettings",
        "AsyncCustomerApi",
        "CONTACTS_SPEC",
        "CUSTOMERS_SPEC",
        "CallStats",
        "Contacts",
        "CustomerApi",
        "Customers",
        "ENV_DEADLINE",
        "ENV_RATE",
        "ENV_TOKEN",
        "ENV_URL",
        "Filter",
        "OPERATORS",
        "OPERATOR_SPELLINGS",
        "Order",
        "PAGE_SIZE",
        "PRODUCTION_REQUESTS_PER_MINUTE",
        "Page",
        "RateGate",
        "Resource",
        "ResourceSpec",
        "Secret",
        "SlotTransport",
        "SubResource",
        "SyncResource",
        "call_counts",
        "calls_spent",
        "calls_text",
        "encode_query",
        "parse_retry_after",
    },
    "custsync.apply": {"ApplyReport", "Executor", "Failure", "Journal", "ProgressHook", "apply_plan"},
    "custsync.cli": {"COMMAND_MODULES", "app", "main"},
    "custsync.codec": {
        "customer_request",
        "from_api",
        "split_customer_create",
        "to_api",
    },
    "custsync.export": {
        "CSV_DIALECTS",
        "DEFAULT_ROLLING_SHARE",
        "ExportOptions",
        "ExportProgress",
        "ExportResult",
        "FORMATS",
        "Manifest",
        "Snapshot",
        "aexport_snapshot",
        "export_snapshot",
        "latest_snapshot",
        "list_snapshots",
        "read_snapshot",
        "rolling_ids",
        "verify_snapshot",
    },
    "custsync.io": {
        "CSV_DIALECTS",
        "FORMATS",
        "Format",
        "LATEST_FILE",
        "LATEST_LINK",
        "MANIFEST_NAME",
        "Manifest",
        "ROW",
        "RawTable",
        "ReadOptions",
        "Snapshot",
        "SnapshotInfo",
        "atomic_write_bytes",
        "atomic_write_text",
        "csv_dialect",
        "latest_snapshot",
        "list_snapshots",
        "new_run_id",
        "read_manifest",
        "read_snapshot",
        "read_table",
        "staged_directory",
        "verify_snapshot",
        "write_rejects",
        "write_snapshot",
    },
    "custsync.mapping": {
        "CANONICAL_YAML",
        "EntitySpec",
        "FieldSpec",
        "MappingSpec",
        "default_mapping",
        "load_mapping",
        "parse_mapping",
    },
    "custsync.model": {
        "ADDRESSES",
        "ADDRESS_IDENTITY",
        "ADDRESS_TYPES",
        "AddressIdentity",
        "AddressSchema",
        "CONTACTS",
        "CONTACT_TYPES",
        "CUSTOMERS",
        "CUSTOMER_TYPES",
        "ContactSchema",
        "CustomerSchema",
        "ENTITIES",
        "ENTITY_NAMES",
        "Entity",
        "EntityCounts",
        "FAILURE_COLUMNS",
        "HEADER_RULES",
        "HOLD_BACK_RULES",
        "READ_ONLY_COLUMNS",
        "SALUTATIONS",
        "SOURCE_COLUMNS",
        "SOURCE_FILE",
        "SOURCE_ROW",
        "SUB_ENTITY_NAMES",
        "ValidationResult",
        "concat_failures",
        "failures_frame",
        "failures_to_records",
        "held_back_per_rule",
        "is_hold_back",
        "preview",
        "validate_frames",
    },
    "custsync.reconcile": {
        "ApiRemote",
        "CONTACT_KEY_COLUMNS",
        "Create",
        "Current",
        "Delete",
        "DeletePolicy",
        "Desired",
        "EntityDiff",
        "EntityPlan",
        "Listed",
        "Listing",
        "Mode",
        "Plan",
        "PlanMeta",
        "PlanOptions",
        "Remote",
        "SYNCED_COLUMNS",
        "Scope",
        "SourceFile",
        "Update",
        "address_keys",
        "build_plan",
        "check_mirror_options",
        "compared_columns",
        "contact_keys",
        "customer_numbers",
        "delete_limit",
        "diff_entity",
        "epoch_us",
        "inferred_columns",
        "key_bases",
        "member",
        "normalise_column",
        "normalise_frame",
        "plain",
        "plan_sync",
        "record_digests",
    },
    "custsync.report": {
        "EntityPlan",
        "EntityResult",
        "EntityValidation",
        "ExportSummary",
        "FieldChange",
        "OPERATIONS",
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
    },
    "custsync.sandbox": {"Knobs", "SandboxServer", "Store", "create_app", "run_sandbox"},
    "custsync.pipeline": {
        "Applied",
        "Connection",
        "Desired",
        "Loaded",
        "Progress",
        "SourceFile",
        "Synced",
        "apply",
        "check_policy",
        "desired_state",
        "load",
        "plan",
        "plan_options",
        "sync",
    },
    "custsync.wire": {
        "NO_BODY",
        "OPERATIONS",
        "Operation",
        "Violation",
        "WireError",
        "body_schema",
        "check_request",
        "create_body_members",
        "find_operation",
        "non_nullable_members",
        "request_violations",
        "violation_tree",
    },
}


def _module_name(path: Path) -> str:
    base = SRC if path.is_relative_to(SRC) else ROOT
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> Iterator[tuple[str, Path]]:
    for path in sorted([*PACKAGE.rglob("*.py"), *FLOWS.rglob("*.py")]):
        yield _module_name(path), path


def _is_module(dotted: str) -> bool:
    base = SRC if dotted.split(".")[0] == "custsync" else ROOT
    path = base.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (functions and ``TYPE_CHECKING`` blocks included);
    ``from package import module`` counts as importing that module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names if _is_module(f"{node.module}.{a.name}")}
    return found


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


IMPORTS = {name: _imports(path) for name, path in _sources()}


@pytest.mark.parametrize("package", BEHIND_INIT)
def test_internals_stay_behind_their_init(package: str) -> None:
    wrong = sorted(
        f"{importer} imports {imported}"
        for importer, imported_set in IMPORTS.items()
        if not _inside(importer, package)
        for imported in imported_set
        if imported.startswith(package + ".")
    )
    assert wrong == [], f"import these names from {package} itself"


def test_custsync_never_imports_the_flows() -> None:
    wrong = sorted(
        f"{importer} imports {imported}"
        for importer, imported_set in IMPORTS.items()
        if _inside(importer, "custsync")
        for imported in imported_set
        if _inside(imported, "flows")
    )
    assert wrong == []


def test_only_the_sandbox_commands_import_the_sandbox() -> None:
    wrong = sorted(
        f"{importer} imports {imported}"
        for importer, imported_set in IMPORTS.items()
        if not _inside(importer, SANDBOX) and importer != SANDBOX_DOOR
        for imported in imported_set
        if _inside(imported, SANDBOX)
    )
    assert wrong == [], f"reach the sandbox through {SANDBOX_DOOR}"


def _declared_all(path: Path) -> set[str] | None:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return None


@pytest.mark.parametrize("module", sorted(PUBLIC_NAMES))
def test_public_names_are_pinned(module: str) -> None:
    path = PACKAGE.joinpath(*module.split(".")[1:])
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    assert _declared_all(path) == PUBLIC_NAMES[module]


def test_every_package_with_public_names_is_pinned() -> None:
    declared = {_module_name(p) for p in PACKAGE.rglob("__init__.py") if _declared_all(p) is not None}
    assert declared <= set(PUBLIC_NAMES)


def test_the_rules_see_a_violation() -> None:
    """The scanner itself: a ``from package import module`` and a function-level import are both found."""
    assert "custsync.reconcile.plan" in IMPORTS["custsync.reconcile.build"]
    assert "custsync.sandbox.testing" in IMPORTS[SANDBOX_DOOR]


def test_the_model_does_not_import_io() -> None:
    """The failures table lives in the model, so io (snapshots of the model's entities) depends on the model,
    never the other way round: no import cycle."""
    assert (
        sorted(
            f"{importer} imports {imported}"
            for importer, imported_set in IMPORTS.items()
            if _inside(importer, "custsync.model")
            for imported in imported_set
            if _inside(imported, "custsync.io")
        )
        == []
    )
