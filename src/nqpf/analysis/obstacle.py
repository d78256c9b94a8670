"""Obstacle degree (障碍度模型): which indicators and dimensions hold a unit back.

For unit i (in period t) and indicator j with effective weight F_j (factor contribution) and normalised
value x'_ij ∈ [0, 1] (direction already applied), the deviation is I_ij = 1 − x'_ij and the obstacle degree
O_ij = F_j I_ij / Σ_j F_j I_ij (a share, Σ_j O_ij = 1). A dimension's obstacle degree is the sum of O_ij over
the indicators below it. A unit at the best value on every indicator (Σ F I = 0) has no obstacle: all O = 0,
and this is noted in the manifest (not a NaN).

:func:`relative_obstacle_degree` measures the deviation against a *reference frontier* instead of the ideal
value 1: for unit i with reference set R_i (its peers, or the units of its type; i itself included),
f_j = max_{k ∈ R_i} x'_kj and I_ij = f_j − x'_ij ≥ 0, O_ij = F_j I_ij / Σ_j F_j I_ij. It says what holds a unit
back relative to regions like it. With an ideal unit (x' = 1 everywhere) in R_i it equals the classic model.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from nqpf.analysis._common import manifest, require_columns
from nqpf.errors import MethodError, ValidationError

__all__ = ["obstacle_degree", "relative_obstacle_degree", "top_obstacles"]


def _ancestor_at_level(weights: pd.DataFrame, level: int) -> dict[str, str]:
    parent = dict(zip(weights["node"].astype(str), weights["parent"], strict=True))
    out = {}
    for node in parent:
        chain = [node]
        cur = node
        seen = set()
        while isinstance(parent.get(cur), str) and parent.get(cur) and cur not in seen:
            seen.add(cur)
            cur = parent[cur]
            chain.append(cur)
        chain = chain[::-1]  # root first (the root id ends the chain even if it has no row)
        out[node] = chain[level] if len(chain) > level else node
    return out


def obstacle_degree(normalized: pd.DataFrame, weights: pd.DataFrame, *, level: int = 1) -> pd.DataFrame:
    """Obstacle degrees per unit, period and indicator, and per dimension.

    ``normalized``: long ``unit, period, indicator, value`` in [0, 1] (an index result's ``.normalized``).
    ``weights``: ``node, parent, effective_weight`` (an index result's ``.weights``); indicators are the
    ``normalized`` indicators; the dimension of an indicator is its ancestor ``level`` steps below the root.
    Returns ``unit, period, level ('indicator'|'dimension'), node, deviation, obstacle, rank`` (rank 1 =
    largest obstacle within unit/period/level; deviation is NaN-free for indicators and the weighted mean
    deviation for dimensions).
    """
    require_columns(normalized, ["unit", "period", "indicator", "value"], what="normalized")
    require_columns(weights, ["node", "parent", "effective_weight"], what="weights")
    inds = sorted(normalized["indicator"].astype(str).unique())
    ew = weights.assign(node=weights["node"].astype(str)).set_index("node")["effective_weight"]
    missing = [i for i in inds if i not in ew.index]
    if missing:
        raise MethodError(f"obstacle: indicator(s) {missing} have no effective weight in the weights table")
    x = normalized.assign(indicator=normalized["indicator"].astype(str))
    v = pd.to_numeric(x["value"], errors="coerce")
    bad = v.isna() | (v < -1e-12) | (v > 1 + 1e-12)
    if bad.any():
        rows = x[bad].head(20)
        problems = [
            f"unit {r.unit}, period {r.period}, indicator {r.indicator}: {r.value!r}"
            for r in rows.itertuples()
        ]
        raise ValidationError(
            f"obstacle: {int(bad.sum())} normalised value(s) missing or outside [0, 1] (first: {problems[0]}); "
            "use min–max normalisation and impute gaps before the obstacle model",
            problems=problems,
        )
    x = x.assign(value=v.clip(0, 1))
    F = x["indicator"].map(ew).to_numpy(dtype="float64")
    if (F < 0).any():
        raise MethodError("obstacle: effective weights must be non-negative")
    x["deviation"] = 1 - x["value"]
    x["fi"] = F * x["deviation"]
    tot = x.groupby(["unit", "period"])["fi"].transform("sum")
    zero = tot <= 0
    x["obstacle"] = np.where(zero, 0.0, x["fi"] / tot.where(~zero, 1.0))
    man = manifest("obstacle", level=level)
    if zero.any():
        units = sorted(set(map(str, x.loc[zero, "unit"])))
        msg = f"obstacle: {len(units)} unit(s) at the best value on every indicator have obstacle 0: {units[:10]}"
        warnings.warn(msg, stacklevel=2)
        man["warnings"].append(msg)
    anc = _ancestor_at_level(weights, level)
    x["dimension"] = x["indicator"].map(lambda i: anc.get(i, i))
    ind = x[["unit", "period", "indicator", "deviation", "obstacle"]].rename(columns={"indicator": "node"})
    ind.insert(2, "level", "indicator")
    x["fw"] = F
    dim = x.groupby(["unit", "period", "dimension"], as_index=False).agg(
        obstacle=("obstacle", "sum"), fi=("fi", "sum"), fw=("fw", "sum")
    )
    dim["deviation"] = np.where(dim["fw"] > 0, dim["fi"] / dim["fw"].where(dim["fw"] > 0, 1.0), 0.0)
    dim = dim.rename(columns={"dimension": "node"})[["unit", "period", "node", "deviation", "obstacle"]]
    dim.insert(2, "level", "dimension")
    out = pd.concat([ind, dim], ignore_index=True)
    out["rank"] = (
        out.groupby(["unit", "period", "level"])["obstacle"].rank(ascending=False, method="first").astype(int)
    )
    out = out.sort_values(["unit", "period", "level", "rank"], kind="mergesort").reset_index(drop=True)
    out.attrs["manifest"] = man
    return out


def top_obstacles(obs: pd.DataFrame, k: int = 3, level: str = "indicator") -> pd.DataFrame:
    """The ``k`` largest obstacles per unit and period at ``level`` (from :func:`obstacle_degree`)."""
    if k < 1:
        raise MethodError("top_obstacles: k must be ≥ 1")
    sub = obs[(obs["level"] == level) & (obs["rank"] <= k)]
    return sub.sort_values(["unit", "period", "rank"]).reset_index(drop=True)


def relative_obstacle_degree(normalized: pd.DataFrame, weights: pd.DataFrame, reference, *,
                             level: int = 1) -> pd.DataFrame:
    """Obstacle degree against the frontier of a reference group (see the module docstring).

    ``normalized``: long ``unit, period, indicator, value`` in [0, 1]; ``weights``: ``node, parent,
    effective_weight``; ``reference``: either a list of units (the same reference group for every unit) or a
    mapping unit -> list of units (each unit's own group; units not in the mapping are left out). The unit
    itself is always part of its group, so I_ij ≥ 0. Returns ``unit, period, level, node, value, frontier,
    frontier_unit, deviation, obstacle, rank`` (indicator rows; dimension rows sum the obstacle degrees and
    carry the weighted mean deviation). A unit at the frontier on every indicator has obstacle 0 (noted).
    """
    require_columns(normalized, ["unit", "period", "indicator", "value"], what="normalized")
    require_columns(weights, ["node", "parent", "effective_weight"], what="weights")
    x = normalized.assign(unit=normalized["unit"].astype(str), indicator=normalized["indicator"].astype(str))
    v = pd.to_numeric(x["value"], errors="coerce")
    bad = v.isna() | (v < -1e-12) | (v > 1 + 1e-12)
    if bad.any():
        r = x[bad].iloc[0]
        raise ValidationError(f"relative obstacle: {int(bad.sum())} normalised value(s) missing or outside [0, 1] "
                              f"(first: unit {r.unit}, period {r.period}, indicator {r.indicator}); impute gaps and "
                              "use min–max normalisation first")
    x = x.assign(value=v.clip(0, 1))
    ew = weights.assign(node=weights["node"].astype(str)).set_index("node")["effective_weight"]
    missing = sorted(set(x["indicator"]) - set(ew.index))
    if missing:
        raise MethodError(f"relative obstacle: indicator(s) {missing} have no effective weight in the weights table")
    units = sorted(set(x["unit"]))
    if isinstance(reference, dict):
        groups = {str(u): sorted({str(r) for r in refs} | {str(u)}) for u, refs in reference.items()}
    else:
        ref = {str(r) for r in reference}
        groups = {u: sorted(ref | {u}) for u in units}
    unknown = sorted({r for g in groups.values() for r in g} - set(units))
    if unknown:
        raise MethodError(f"relative obstacle: reference unit(s) {unknown[:10]} have no normalised values; "
                          f"units with data: {units[:10]}…")
    anc = _ancestor_at_level(weights, level)
    rows = []
    man = manifest("relative_obstacle", level=level, reference="per-unit groups" if isinstance(reference, dict)
                   else sorted(str(r) for r in reference))
    at_frontier = []
    for period, xp in x.groupby("period", sort=True):
        w = xp.pivot(index="unit", columns="indicator", values="value")
        F = ew.reindex(w.columns).to_numpy(dtype="float64")
        for u, g in groups.items():
            if u not in w.index:
                continue
            sub = w.loc[[k for k in g if k in w.index]]
            front = sub.max(axis=0)
            arg = sub.idxmax(axis=0)
            dev = (front - w.loc[u]).clip(lower=0.0)
            fi = F * dev.to_numpy(dtype="float64")
            tot = fi.sum()
            ob = fi / tot if tot > 0 else np.zeros_like(fi)
            if tot <= 0:
                at_frontier.append(u)
            for j, ind in enumerate(w.columns):
                rows.append({"unit": u, "period": period, "level": "indicator", "node": ind,
                             "value": float(w.loc[u, ind]), "frontier": float(front[ind]),
                             "frontier_unit": str(arg[ind]), "deviation": float(dev[ind]), "obstacle": float(ob[j]),
                             "fw": float(F[j]), "fi": float(fi[j]), "dimension": anc.get(ind, ind)})
    if at_frontier:
        msg = f"relative obstacle: {len(set(at_frontier))} unit(s) at their group's frontier on every indicator: " \
              f"{sorted(set(at_frontier))[:10]}"
        warnings.warn(msg, stacklevel=2)
        man["warnings"].append(msg)
    ind = pd.DataFrame(rows)
    if ind.empty:
        raise MethodError("relative obstacle: no unit of the reference mapping has data")
    dim = ind.groupby(["unit", "period", "dimension"], as_index=False).agg(obstacle=("obstacle", "sum"),
                                                                          fi=("fi", "sum"), fw=("fw", "sum"))
    dim["deviation"] = np.where(dim["fw"] > 0, dim["fi"] / dim["fw"].where(dim["fw"] > 0, 1.0), 0.0)
    dim = dim.rename(columns={"dimension": "node"}).assign(level="dimension", value=np.nan, frontier=np.nan,
                                                           frontier_unit="")
    cols = ["unit", "period", "level", "node", "value", "frontier", "frontier_unit", "deviation", "obstacle"]
    out = pd.concat([ind[cols], dim[cols]], ignore_index=True)
    out["rank"] = out.groupby(["unit", "period", "level"])["obstacle"].rank(ascending=False, method="first").astype(int)
    out = out.sort_values(["unit", "period", "level", "rank"], kind="mergesort").reset_index(drop=True)
    out.attrs["manifest"] = man
    return out
