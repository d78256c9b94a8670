"""The structural and data checks behind :meth:`nqpf.framework.Framework.problems`.

Each check takes plain structures (ids, the parent map, node records) and returns a list of
:class:`~nqpf.errors.Problem`; none raises, so that a user sees every problem of a file at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from nqpf.errors import FrameworkError, Problem
from nqpf.framework.formula import formula_names


def empty(v: Any) -> bool:
    """True for None, NaN and the empty string (a YAML/spreadsheet cell left blank)."""
    if v is None:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    return isinstance(v, str) and v == ""


def series_available(data: Any) -> set[str]:
    """Series names present in ``data``: a Dataset, a long table (its ``indicator`` column), a wide table (its
    columns other than ``unit``/``period``) or any iterable of names."""
    if hasattr(data, "data") and isinstance(data.data, pd.DataFrame):
        data = data.data
    if isinstance(data, pd.DataFrame):
        if "indicator" in data.columns:
            return set(data["indicator"].astype(str).unique())
        return {str(c) for c in data.columns if c not in ("unit", "period")}
    return {str(x) for x in data}


def id_problems(ids: list[str]) -> list[Problem]:
    """Empty and repeated node ids."""
    probs: list[Problem] = []
    seen: set[str] = set()
    for nid in ids:
        if not nid:
            probs.append(Problem("error", "empty_id", "a node has an empty id; give every node an id"))
        elif nid in seen:
            probs.append(
                Problem("error", "duplicate_id", f"node id {nid!r} appears more than once; ids must be unique")
            )
        seen.add(nid)
    return probs


def tree_problems(ids: list[str], parent: Mapping[str, str]) -> list[Problem]:
    """Unknown parents, a missing or repeated root, a root without indicators, and cycles of parents."""
    idset = set(ids)
    probs = [
        Problem("error", "unknown_parent", f"node {nid!r} names parent {par!r}, which is not a node id")
        for nid, par in parent.items()
        if par and par not in idset
    ]
    roots = [n for n, p in parent.items() if not p]
    if len(ids) == 1:
        probs.append(Problem("error", "no_indicators", "the framework has a root but no indicators under it"))
    if len(roots) == 0:
        probs.append(Problem("error", "no_root", "no root node; exactly one node must have no parent"))
    elif len(roots) > 1:
        probs.append(
            Problem("error", "many_roots", f"{len(roots)} nodes have no parent {roots}; exactly one root is allowed")
        )
    return probs + cycle_problems(ids, parent)


def cycle_problems(ids: list[str], parent: Mapping[str, str]) -> list[Problem]:
    """One ``cycle`` problem per cycle of parents (found by following parents from each node)."""
    probs: list[Problem] = []
    in_cycle: set[str] = set()
    for start in ids:
        path, n = [], start
        while n and n in parent and n not in path:
            path.append(n)
            n = parent[n]
        if n and n in path:
            cyc = tuple(sorted(path[path.index(n):]))
            if not in_cycle.intersection(cyc):
                probs.append(Problem("error", "cycle", f"nodes {list(cyc)} form a cycle of parents"))
                in_cycle.update(cyc)
    return probs


def record_problems(records: Iterable[dict], is_leaf: Callable[[str], bool], default_dir: Any) -> list[Problem]:
    """Per node: a leaf's direction (required unless ``default_direction``; ±1) and formula; any node's weight."""
    probs: list[Problem] = []
    for rec in records:
        nid = rec["id"]
        if is_leaf(nid):
            probs.extend(_leaf_problems(rec, nid, default_dir))
        w = rec.get("weight")
        if not empty(w) and (not isinstance(w, int | float) or w < 0):
            probs.append(Problem("error", "bad_weight", f"node {nid!r}: weight {w!r} must be a number ≥ 0"))
    return probs


def _leaf_problems(rec: dict, nid: str, default_dir: Any) -> list[Problem]:
    probs: list[Problem] = []
    d = rec.get("direction")
    if empty(d) and default_dir is None:
        probs.append(Problem("error", "no_direction", f"indicator {nid!r} has no direction; add direction: 1 or -1",
                             indicator=nid))
    elif not empty(d) and d not in (1, -1):
        probs.append(Problem("error", "bad_direction", f"indicator {nid!r}: direction {d!r} must be 1 or -1",
                             indicator=nid))
    if rec.get("formula"):
        try:
            formula_names(rec["formula"], node=nid)
        except FrameworkError as exc:
            probs.append(Problem("error", "bad_formula", str(exc), indicator=nid))
    return probs


def series_problems(leaves: Iterable[str], series_of: Callable[[str], list[str]],
                    has_formula: Callable[[str], bool], data: Any) -> list[Problem]:
    """One ``missing_series`` problem per (leaf, series) the leaf reads that ``data`` does not hold; leaves
    whose formula cannot be parsed are skipped here (reported by :func:`record_problems`)."""
    available = series_available(data)
    probs: list[Problem] = []
    for leaf in leaves:
        try:
            names = series_of(leaf)
        except FrameworkError:
            continue
        what = "its formula uses" if has_formula(leaf) else "needs"
        probs.extend(
            Problem("error", "missing_series", f"{what} series {s!r}, which is not in the data", indicator=leaf,
                    extra={"series": s})
            for s in names
            if s not in available
        )
    return probs
