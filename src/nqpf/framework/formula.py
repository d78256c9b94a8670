"""Safe arithmetic formulas over data series, e.g. ``"rd_exp / gdp * 100"``.

A formula is parsed with :mod:`ast` and only names, numbers, unary ``+``/``-``, the binary operators
``+ - * / **`` and parentheses are allowed; anything else (calls, attributes, subscripts, comparisons …)
is refused. A series whose id is not a Python name, or the full header label of a column read from a
multi-row header, is written in quotes: ``'地方财政科学技术支出' / "科技投入 | 地方一般公共预算支出(亿元)"``
(in YAML, put the whole formula in the other kind of quotes). Evaluation is vectorised over numpy arrays (one
value per unit-period); division by zero gives NaN (a gap), never ``inf``.
"""

from __future__ import annotations

import ast
import difflib
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

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
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value.strip():
            continue  # a quoted series id or column label
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
        name = _name_of(sub)
        if name is not None and name not in seen:
            seen.append(name)
    return seen


def _name_of(n: ast.AST) -> str | None:
    """The series a node names: a bare name, or a quoted id/label (text constant, stripped)."""
    if isinstance(n, ast.Name):
        return n.id
    if isinstance(n, ast.Constant) and isinstance(n.value, str):
        return n.value.strip()
    return None


def _label_key(text: str) -> str:
    """Matching key of a label: NFKC (full width → ASCII), casefold, no spaces."""
    return "".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


def label_aliases(labels: Mapping[str, str]) -> dict[str, str]:
    """Names by which a series may be written → its id, from ``labels`` (id → full header label, e.g. ``meta
    ["indicator_labels"]`` of :func:`nqpf.data.io.load`): the label itself, the label without units of
    measure, and the label with any spacing (all keys are :func:`_label_key` normalised)."""
    from nqpf.data.io import split_uom

    out: dict[str, str] = {}
    for sid, lab in labels.items():
        parts = [p.strip() for p in str(lab).split("|")]
        bare = [split_uom(p)[0] for p in parts]
        for form in (lab, " | ".join(bare), "|".join(parts), "/".join(bare), "_".join(bare), sid):
            out.setdefault(_label_key(form), sid)
    return out


def resolve_name(name: str, available: Iterable[str], aliases: Mapping[str, str] | None = None) -> str | None:
    """The series id ``name`` refers to: itself when available, else the id whose label (or width/space
    variant) it is; ``None`` when nothing matches."""
    avail = set(available)
    if name in avail:
        return name
    key = _label_key(name)
    if aliases and key in aliases and aliases[key] in avail:
        return aliases[key]
    for a in avail:
        if _label_key(a) == key:
            return a
    return None


def rewrite_formula(formula: str, available: Iterable[str], aliases: Mapping[str, str] | None = None) -> str:
    """``formula`` with every quoted label (or spacing variant of an id) replaced by the id it means, quoted
    when the id is not a Python name; names that match nothing are left for the caller to report."""
    tree = parse_formula(formula)
    avail = list(available)

    hits: list[str] = []

    def _to(sid: str) -> ast.AST:
        hits.append(sid)
        return ast.Name(sid, ast.Load()) if sid.isidentifier() else ast.Constant(sid)

    class _Sub(ast.NodeTransformer):
        def visit_Constant(self, n: ast.Constant) -> ast.AST:
            if isinstance(n.value, str):
                sid = resolve_name(n.value.strip(), avail, aliases)
                if sid is not None and not (sid == n.value and not sid.isidentifier()):
                    return _to(sid)
            return n

        def visit_Name(self, n: ast.Name) -> ast.AST:
            sid = resolve_name(n.id, avail, aliases)
            return _to(sid) if sid is not None and sid != n.id else n

    out = _Sub().visit(tree)
    return ast.unparse(out) if hits else formula  # unchanged text (and framework hash) when nothing is renamed


def closest_names(name: str, available: Iterable[str], n: int = 8) -> list[str]:
    """The series of ``available`` closest to ``name`` first (difflib ratio on normalised text), then the
    rest in order — for the "series not in the data" message."""
    avail = sorted({str(a) for a in available})
    key = _label_key(name)
    ranked = sorted(avail, key=lambda a: (-difflib.SequenceMatcher(None, key, _label_key(a)).ratio(), a))
    return ranked[:n]


def evaluate_formula(formula: str, columns: Mapping[str, np.ndarray], *, node: str = "?") -> np.ndarray:
    """Evaluate ``formula`` with names bound to arrays in ``columns`` (element-wise)."""
    tree = parse_formula(formula, node=node)
    missing = [n for n in formula_names(formula, node=node) if n not in columns]
    if missing:
        near = closest_names(missing[0], columns)
        raise FrameworkError(
            f"node {node!r}: formula {formula!r} uses unknown series {missing}; the data have "
            f"{', '.join(near)}{' …' if len(columns) > len(near) else ''} (closest first)"
        )

    def ev(n: ast.AST) -> np.ndarray | float:
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant) and not isinstance(n.value, str):
            return float(n.value)
        name = _name_of(n)
        if name is not None:
            return np.asarray(columns[name], dtype=float)
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


def bind_to_data(fw: Any, data: Any, labels: Mapping[str, str] | None = None) -> Any:
    """The framework ``fw`` with every ``series:`` and formula name that is a column label of ``data`` (or a
    width/spacing variant of an id) replaced by the column's id, so that a YAML may name the columns of a
    multi-row header by their full header in quotes. ``labels``: id → label; default
    ``data.attrs["nqpf"]["meta"]["indicator_labels"]`` as set by :func:`nqpf.read`. Names that match nothing
    are left unchanged for the framework check to report (with the ids in the data, closest first)."""
    from nqpf.framework.core import _from_dict, _series_available, load_framework

    fw = load_framework(fw)
    if labels is None:
        meta = ((getattr(data, "attrs", None) or {}).get("nqpf") or {}).get("meta") or {}
        labels = meta.get("indicator_labels") or {}
    avail = sorted(_series_available(data))
    aliases = label_aliases(labels)
    spec = fw.to_dict()
    changed = False
    leaves = set(fw.leaves)
    for n in spec["nodes"]:
        if n["id"] not in leaves:
            continue
        if n.get("formula"):
            try:
                new = rewrite_formula(str(n["formula"]), avail, aliases)
            except FrameworkError:
                continue  # reported by the framework check
            if new != n["formula"]:
                n["formula"], changed = new, True
        else:
            s = str(n.get("series") or n["id"])
            sid = resolve_name(s, avail, aliases)
            if sid is not None and sid != s:
                n["series"], changed = sid, True
    return _from_dict(spec, source=fw.source) if changed else fw
