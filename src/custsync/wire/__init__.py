"""The wire layer: every request body custsync sends is judged by the public spec, or by the repo's own schema
for the operations the spec does not describe.

    from custsync.wire import check_request
    check_request("POST", "/api/v2/customers", body)   # raises WireError naming each violation

The sandbox judges what it receives with the same code (and answers 400), so a test whose client sends what the
production API would refuse fails. See docs/api-client.md ("The wire layer").
"""

from __future__ import annotations

from typing import Any

from custsync.errors import CustsyncError
from custsync.wire._schemas import create_body_members, non_nullable_members
from custsync.wire._validate import (
    NO_BODY,
    OPERATIONS,
    Operation,
    Violation,
    body_schema,
    find_operation,
    request_violations,
)


class WireError(CustsyncError):
    """A request body the target API would not accept (found before sending it)."""

    def __init__(self, method: str, path: str, violations: list[Violation]) -> None:
        self.violations = violations
        listed = "; ".join(str(v) for v in violations[:5]) + (" ..." if len(violations) > 5 else "")
        super().__init__(f"{method} {path}: the body breaks the API's schema: {listed}")


def check_request(method: str, path: str, body: Any = NO_BODY) -> None:
    """Raise :class:`WireError` when the body is not what the operation accepts."""
    violations = request_violations(method, path, body)
    if violations:
        raise WireError(method.upper(), path, violations)


def violation_tree(violations: list[Violation]) -> dict[str, Any]:
    """Violations as the API reports them: the payload's shape, each invalid member replaced by its messages."""
    tree: dict[str, Any] = {}
    for violation in violations:
        parts = [str(p) for p in violation.where] or ["_"]
        node = tree
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):  # a member with messages of its own and of its members
                child = node[part] = {"_": child}
            node = child
        leaf = node.setdefault(parts[-1], [])
        if isinstance(leaf, dict):
            leaf = leaf.setdefault("_", [])
        leaf.append(violation.message)
    return tree


__all__ = [
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
]
