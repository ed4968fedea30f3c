"""Each shared concept has exactly one definition in ``src`` and ``flows``: no copy of another remains.

The code is read with ``ast`` (docstrings and comments do not count). The sandbox is left out: it stands in
for the vendor's API and keeps its own notions on purpose.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SANDBOX = ROOT / "src" / "custsync" / "sandbox"
FILES = sorted(
    p
    for p in [*(ROOT / "src" / "custsync").rglob("*.py"), *(ROOT / "flows").rglob("*.py")]
    if not p.is_relative_to(SANDBOX)
)


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"


def _docstrings(tree: ast.AST) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for stmt in body:  # a docstring, or a string right after an assignment (an attribute's docstring)
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                    out.add(id(stmt.value))
    return out


def _scan() -> tuple[dict[object, list[str]], dict[str, list[str]], dict[str, list[str]]]:
    literals: dict[object, list[str]] = defaultdict(list)
    functions: dict[str, list[str]] = defaultdict(list)
    calls: dict[str, list[str]] = defaultdict(list)
    for path in FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                literals[node.value].append(_where(path, node))
            elif isinstance(node, ast.Tuple | ast.List | ast.Set) and node.elts:
                if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
                    literals[tuple(sorted(e.value for e in node.elts))].append(_where(path, node))  # type: ignore[attr-defined]
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                functions[node.name].append(_where(path, node))
            elif isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                calls[name].append(_where(path, node))
    return literals, functions, calls


LITERALS, DEFINITIONS, CALLS = _scan()


@pytest.mark.parametrize(
    ("concept", "literal", "owner"),
    [
        ("call-count methods", tuple(sorted(("GET", "POST", "PATCH", "DELETE"))), "src/custsync/api/_stats.py"),
        ("entity names", tuple(sorted(("customers", "addresses", "contacts"))), None),
        ("sub-entity names", tuple(sorted(("addresses", "contacts"))), None),
        (
            "address content identity",
            tuple(sorted(("name", "street", "zip", "city", "country"))),
            "src/custsync/model/addresses.py",
        ),
        ("the delivery address type", "deliveryaddress", "src/custsync/model/addresses.py"),
        ("the reports directory", "reports", "src/custsync/defaults.py"),
    ],
)
def test_a_literal_is_written_in_its_owner_only(concept: str, literal: object, owner: str | None) -> None:
    found = LITERALS.get(literal, [])
    if owner is None:  # derived from the model's declarations, never spelt out
        assert found == [], f"{concept} spelt out again: {found}"
    else:
        assert {place.rsplit(":", 1)[0] for place in found} == {owner}, f"{concept}: {found}"


@pytest.mark.parametrize(
    "name",
    [
        "call_counts",
        "calls_spent",
        "failures_frame",
        "is_loopback",
        "neutralise_formula",
        "readable_key",
        "safe_url",
        "AddressIdentity",
        "ApiSettings",
    ],
)
def test_defined_once(name: str) -> None:
    assert len(DEFINITIONS[name]) == 1, DEFINITIONS[name]


def test_api_settings_are_made_in_one_place() -> None:
    """The CLI and the flows both go through ``ApiSettings.from_env``; nothing else calls the constructor."""
    assert CALLS["ApiSettings"] == []


def test_exception_attributes_are_declared_not_patched_in() -> None:
    patched = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in FILES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "type: ignore" in line and any(a in line for a in (".not_sent", ".maybe_in_progress", ".final"))
    ]
    assert patched == []
