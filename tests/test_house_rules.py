"""The house rules a reader relies on, checked so they keep holding: emulator modules stay under
600 lines and function bodies in src/ under 60, apart from declarative literals (a body that is
one data literal) and typer commands (whose signatures are option declarations)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "powerbridge"
MAX_EMULATOR_MODULE_LINES = 600
MAX_FUNCTION_BODY_LINES = 60


def _modules(root: Path) -> list[Path]:
    return sorted(root.rglob("*.py"))


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and len(body) > 1:
        first = body[1]  # the docstring is documentation, not code
    end = node.end_lineno or first.lineno
    return end - first.lineno + 1


def _is_declarative(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A body that only returns one literal (a table, a schema) reads as data."""
    code = [
        s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    return (
        len(code) == 1
        and isinstance(code[0], ast.Return)
        and isinstance(code[0].value, ast.Dict | ast.List | ast.Tuple)
    )


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or _is_declarative(node):
            continue
        lines = _body_lines(node)
        if lines > MAX_FUNCTION_BODY_LINES:
            found.append(
                f"{path.relative_to(SRC.parent)}:{node.lineno} {node.name} ({lines} lines)"
            )
    return found


def test_emulator_modules_stay_small() -> None:
    big = [
        f"{path.relative_to(SRC.parent)} ({count} lines)"
        for path in _modules(SRC / "emulator")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_EMULATOR_MODULE_LINES
    ]
    assert not big, "split these by responsibility: " + ", ".join(big)


def test_function_bodies_fit_on_a_screen() -> None:
    long = [entry for path in _modules(SRC) for entry in _long_functions(path)]
    assert not long, "shorten these functions: " + ", ".join(long)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f():\n" + "    x = 1\n" * 61, ["f"]),
        ("def f():\n    '''doc'''\n" + "    x = 1\n" * 60, []),
        ("def f():\n    return {\n" + "        'k': 1,\n" * 80 + "    }\n", []),
    ],
)
def test_the_rule_counts_code_lines(source: str, expected: list[str]) -> None:
    tree = ast.parse(source)
    names = [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and not _is_declarative(node)
        and _body_lines(node) > MAX_FUNCTION_BODY_LINES
    ]
    assert names == expected
