"""Conventions the whole source tree keeps, checked on its syntax tree (docs/architecture.md#where-to-change-what)."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "microshop"
SERVICE_MODULES = sorted([*SRC.rglob("service.py"), SRC / "products" / "orders" / "checkout.py"])


def calls_named(tree: ast.AST, methods: set[str], receiver: str) -> list[int]:
    """Line numbers of `<receiver>.<method>(...)` calls."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in methods
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == receiver
    ]


def test_nothing_commits_or_rolls_back_a_session_by_hand() -> None:
    """Requests commit in get_session, jobs with `sessionmaker.begin()`; the escape hatch is own_transaction."""
    found = {
        f"{path.relative_to(SRC)}:{line}"
        for path in SRC.rglob("*.py")
        if path != SRC / "common" / "db.py"
        for line in calls_named(ast.parse(path.read_text()), {"commit", "rollback"}, "session")
    }
    assert found == set()


def test_service_functions_take_keyword_arguments() -> None:
    """Past the one value a service function works on (usually the session), arguments are named."""
    assert SERVICE_MODULES and all(path.exists() for path in SERVICE_MODULES)
    positional = {
        f"{path.relative_to(SRC)}:{node.name}"
        for path in SERVICE_MODULES
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and not node.name.startswith("_")
        and len(node.args.posonlyargs + node.args.args) > 1
    }
    assert positional == set()
