"""Indicator frameworks as data (YAML trees): load, navigate, validate, compute leaf values."""

from nqpf.framework.core import (
    NODE_COLUMNS,
    Framework,
    builtin_names,
    list_frameworks,
    load_framework,
)
from nqpf.framework.formula import evaluate_formula, formula_names, parse_formula

__all__ = [
    "NODE_COLUMNS",
    "Framework",
    "builtin_names",
    "evaluate_formula",
    "formula_names",
    "list_frameworks",
    "load_framework",
    "parse_formula",
]
