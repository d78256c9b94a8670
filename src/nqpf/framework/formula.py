"""Safe arithmetic formulas over data series, e.g. ``"rd_exp / gdp * 100"``.

A formula is parsed with :mod:`ast` and only names, numbers, unary ``+``/``-``, the binary operators
``+ - * / **`` and parentheses are allowed; anything else (calls, attributes, subscripts, comparisons …)
is refused. Evaluation is vectorised over numpy arrays (one value per unit-period); division by zero
gives NaN (a gap), never ``inf``.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

import numpy as np

from nqpf.errors import FrameworkError

_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_UNOPS = (ast.UAdd, ast.USub)


def parse_formula(formula: str, *, node: str = "?") -> ast.Expression:
    """Parse and check ``formula``; raise :class:`FrameworkError` naming ``node`` if not allowed."""
    try:
        tree = ast.parse(str(formula), mode="eval")
    except SyntaxError as exc:
        raise FrameworkError(
            f"node {node!r}: formula {formula!r} is not valid arithmetic ({exc.msg})"
        ) from None
    for sub in ast.walk(tree):
        if isinstance(sub, ast.Expression | ast.Name | ast.Load) or isinstance(sub, _BINOPS + _UNOPS):
            continue
        if isinstance(sub, ast.BinOp) and isinstance(sub.op, _BINOPS):
            continue
        if isinstance(sub, ast.UnaryOp) and isinstance(sub.op, _UNOPS):
            continue
        if (
            isinstance(sub, ast.Constant)
            and isinstance(sub.value, int | float)
            and not isinstance(sub.value, bool)
        ):
            continue
        raise FrameworkError(
            f"node {node!r}: formula {formula!r} uses {type(sub).__name__!s}, which is not allowed; "
            "use only series names, numbers, + - * / ** and parentheses"
        )
    return tree


def formula_names(formula: str, *, node: str = "?") -> list[str]:
    """Series names used by ``formula`` (in order of first use)."""
    tree = parse_formula(formula, node=node)
    seen: list[str] = []
    for sub in ast.walk(tree):
        if isinstance(sub, ast.Name) and sub.id not in seen:
            seen.append(sub.id)
    return seen


def evaluate_formula(formula: str, columns: Mapping[str, np.ndarray], *, node: str = "?") -> np.ndarray:
    """Evaluate ``formula`` with names bound to arrays in ``columns`` (element-wise)."""
    tree = parse_formula(formula, node=node)
    missing = [n for n in formula_names(formula, node=node) if n not in columns]
    if missing:
        raise FrameworkError(f"node {node!r}: formula {formula!r} uses unknown series {missing}")

    def ev(n: ast.AST) -> np.ndarray | float:
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant):
            return float(n.value)
        if isinstance(n, ast.Name):
            return np.asarray(columns[n.id], dtype=float)
        if isinstance(n, ast.UnaryOp):
            v = ev(n.operand)
            return -v if isinstance(n.op, ast.USub) else v
        if isinstance(n, ast.BinOp):
            a, b = ev(n.left), ev(n.right)
            op = n.op
            if isinstance(op, ast.Add):
                return a + b
            if isinstance(op, ast.Sub):
                return a - b
            if isinstance(op, ast.Mult):
                return a * b
            if isinstance(op, ast.Div):
                return a / b
            return a**b
        raise FrameworkError(f"node {node!r}: cannot evaluate {ast.dump(n)}")  # unreachable after parse

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.asarray(ev(tree), dtype=float)
    out = np.where(np.isfinite(out), out, np.nan)
    return out
