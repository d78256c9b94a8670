"""The stages of :func:`~nqpf.index.build_index`: grid → impute → treat → normalise → weight → aggregate → rank.

Each stage is a function of its inputs that returns new arrays (inputs are never modified) and writes its
notes and records to the :class:`~nqpf.index.log.Log` passed in; there is no process-global state. Blocks are
numpy arrays: rows = unit-periods (unit-major, periods ascending, the full grid), columns = leaves (or nodes,
in ``Framework.ids`` order, for scores and ranks). The first stage, :func:`nqpf.index.pipeline.grid` (reading
the input and laying it out on the unit × period grid), lives with the input handling in the pipeline module;
it returns the :class:`Grid` the later stages take.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.errors import DataError, FrameworkError, MethodError
from nqpf.framework import Framework
from nqpf.index import aggregate as agg
from nqpf.index import impute as imp
from nqpf.index import normalize as nrm
from nqpf.index import treat as trt
from nqpf.index import weights as wts
from nqpf.index.diagnostics import concentration
from nqpf.index.log import Log
from nqpf.index.registry import parse_weights as _parse_weights

MIN_UNITS = 3


# --------------------------------------------------------------------------------------------------------
# grid
# --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Grid:
    """The grid stage's output: the leaf matrix ``X0`` (rows × leaves, NaN = absent) of ``units`` × ``years``."""

    framework: Framework
    units: np.ndarray
    years: np.ndarray
    leaves: list[str]
    X0: np.ndarray
    input_hash: str
    info: dict  # where the data came from (dataset / source) and a Dataset's unit groups
    periods: Any  # the periods asked for, resolved (argument, the framework's span, or None = all)
    selection: list[int] | None  # the years they select (None = all)
    periods_source: str  # argument / framework / all


# --------------------------------------------------------------------------------------------------------
# impute
# --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Imputed:
    """The impute stage's output over the ``units`` kept: ``raw`` and ``X`` (imputed), both rows × leaves."""

    units: np.ndarray
    raw: np.ndarray
    X: np.ndarray
    table: pd.DataFrame  # one row per imputed cell (nqpf.index.impute.imputation_log)
    dropped: list[str] = field(default_factory=list)


def _drop_incomplete(g: Grid, A, B, table, method: str, min_units: int, log: Log):
    bad_u = np.isnan(B).any(axis=(1, 2))
    dropped = [str(u) for u in g.units[bad_u]]
    log.warn(
        f"{len(dropped)} unit(s) dropped because gaps remain after impute={method!r} "
        f"(drop_incomplete_units): {dropped[:20]}{' …' if len(dropped) > 20 else ''}",
        stacklevel=4,
    )
    keep_u = ~bad_u
    A, B, units = A[keep_u], B[keep_u], g.units[keep_u]
    if len(table):
        table = table[table["unit"].isin(set(units))].reset_index(drop=True)
    if len(units) < min_units:
        raise MethodError(
            f"only {len(units)} unit(s) left after dropping incomplete units; a composite index needs at "
            f"least {min_units}; impute more (e.g. 'linear-carry+group-mean') or shorten the periods"
        )
    return A, B, units, table, dropped


def impute(g: Grid, method: str, opt: dict, log: Log) -> Imputed:
    """Fill gaps with ``method`` (``a+b`` chains methods, applied in order; ``impute_limit`` years for carry,
    ``groups`` for group-mean); with ``drop_incomplete_units`` units still incomplete are dropped and named.
    Gaps that remain are refused with the list of cells."""
    with log.stage("impute"):
        U, T, L = len(g.units), len(g.years), len(g.leaves)
        A = g.X0.reshape(U, T, L)
        groups = opt.get("groups", g.info.get("groups"))
        codes = None
        if "group-mean" in method and groups is not None:
            codes = pd.factorize(pd.Series(g.units).map(dict(groups)).fillna("__none__"))[0]
        lim = opt.get("impute_limit", 2)
        lim = None if lim is None or (isinstance(lim, float) and np.isinf(lim)) else int(lim)
        B, tables = A, []
        for step in str(method).split("+"):
            step = step.strip()
            B_next = imp.impute_array(B, g.years, step, limit=lim, group_codes=codes)
            tables.append(imp.imputation_log(B, B_next, g.units, g.years, g.leaves, step))
            B = B_next
        table = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
        units, dropped = g.units, []
        if np.isnan(B).any() and opt.get("drop_incomplete_units"):
            min_units = int(opt.get("min_units", MIN_UNITS))
            A, B, units, table, dropped = _drop_incomplete(g, A, B, table, method, min_units, log)
        if np.isnan(B).any():
            hint = (
                "choose impute='linear', 'carry', 'linear-carry', 'group-mean' or a chain such as "
                "'linear-carry+group-mean', or drop_incomplete_units=True"
                if method in ("none", "refuse")
                else "chain methods (e.g. 'linear-carry+group-mean'), raise impute_limit, or pass "
                "drop_incomplete_units=True to drop (and list) the units concerned"
            )
            raise DataError(
                f"missing values remain after impute={method!r}: "
                f"{imp.gap_report(B, units, g.years, g.leaves)}; {hint}"
            )
        log.record("impute", method=method, imputed_cells=int(len(table)), dropped_units=dropped)
    n = len(units) * T
    return Imputed(units, A.reshape(n, L), B.reshape(n, L), table, dropped)


# --------------------------------------------------------------------------------------------------------
# treat, normalise
# --------------------------------------------------------------------------------------------------------
def treat(X: np.ndarray, method: str, leaves: list[str], opt: dict, log: Log) -> tuple[np.ndarray, list]:
    """Outlier treatment (:func:`nqpf.index.treat.treat_array`); returns (treated X, treatment log)."""
    with log.stage("treat"):
        q = opt.get("winsorize_q", (0.01, 0.99))
        Y, tlog = trt.treat_array(X, method, names=leaves, q_low=q[0], q_high=q[1],
                                  winmax=int(opt.get("winmax", 5)), columns=opt.get("treat_columns"))
        log.record("treat", method=method, columns_treated=len(tlog))
    return Y, tlog


def normalise(X: np.ndarray, fw: Framework, units, years, method: str, opt: dict, log: Log) -> np.ndarray:
    """Normalisation with the framework's directions (:func:`nqpf.index.normalize.normalize_array`)."""
    with log.stage("normalise"):
        leaves = fw.leaves
        dirs = np.array([fw.direction(x) for x in leaves], dtype=float)
        T = len(years)
        Z = nrm.normalize_array(
            X,
            dirs,
            method,
            periods=np.tile(years, len(units)),
            units=np.repeat(units, T) if method == "ratio" else None,
            base_year=opt.get("base_year"),
            ref_unit=opt.get("ref_unit"),
            scale=float(opt.get("ratio_scale", 1.0)),
            names=leaves,
            eps=float(opt.get("minmax_eps", 0.0)),
        )
        log.record("normalise", method=method)
    return Z


# --------------------------------------------------------------------------------------------------------
# weights on the framework tree
# --------------------------------------------------------------------------------------------------------
def within_parent_subjective(
    fw: Framework, method: str, *, ahp: dict | None, force: bool, max_cr: float, records: dict
) -> dict[str, float]:
    """Within-parent weights of every non-root node for ``fixed`` / ``ahp`` / ``equal``."""
    out: dict[str, float] = {}
    for p in fw.internal:
        kids = fw.children(p)
        if method == "equal":
            w = np.full(len(kids), 1.0 / len(kids))
        elif method == "fixed":
            raw = [fw.node(k).get("weight") for k in kids]
            given = [r for r in raw if r is not None and not (isinstance(r, float) and np.isnan(r))]
            if not given:
                w = np.full(len(kids), 1.0 / len(kids))
            elif len(given) < len(kids):
                miss = [
                    k
                    for k, r in zip(kids, raw, strict=True)
                    if r is None or (isinstance(r, float) and np.isnan(r))
                ]
                raise FrameworkError(
                    f"fixed weights: node(s) {miss} under {p!r} have no weight while their siblings do; "
                    "give every child of a node a weight, or none (equal)"
                )
            else:
                w = np.asarray(given, dtype=float)
                if w.sum() <= 0:
                    raise FrameworkError(f"fixed weights under {p!r} sum to 0")
                w = w / w.sum()
        elif method == "ahp":
            spec = (ahp or {}).get(p)
            if spec is not None:
                order, A = (
                    (kids, np.asarray(spec, dtype=float))
                    if not isinstance(spec, dict)
                    else (list(spec["children"]), np.asarray(spec["matrix"], dtype=float))
                )
            else:
                got = fw.ahp_matrix(p)
                if got is None:
                    if len(kids) == 1:
                        out[kids[0]] = 1.0
                        continue
                    raise FrameworkError(
                        f"AHP weights: node {p!r} has no pairwise matrix; add 'ahp:' to it in the "
                        "framework or pass ahp={node: matrix}"
                    )
                order, A = got
            wv, info = wts.ahp_weights(A, force=force, max_cr=max_cr, node=p)
            records[p] = {**info, "children": order, "weights": wv.tolist()}
            pos = {k: i for i, k in enumerate(order)}
            w = np.array([wv[pos[k]] for k in kids])
        else:
            raise MethodError(f"unknown subjective weighting {method!r}")
        for k, v in zip(kids, w, strict=True):
            out[k] = float(v)
    return out


def path_products(fw: Framework, within: dict[str, float]) -> dict[str, float]:
    eff = {fw.root: 1.0}
    for nid in fw.ids:
        if nid == fw.root:
            continue
        v = within.get(nid, 0.0)
        for a in fw.ancestors(nid)[:-1]:
            v *= within.get(a, 0.0)
        eff[nid] = v
    return eff


def objective(Z: np.ndarray, obj: str, names, *, shift: float, combine: str, alpha: float) -> np.ndarray:
    """Objective weights of the columns of ``Z``; ``'a+b'`` combines two methods as ``α·w_a + (1 − α)·w_b``
    (``combine='linear'``, α = ``alpha``, 0.5 = their mean, e.g. the 127ww entropy–CRITIC mean) or
    ``w_a·w_b / Σ`` (``'multiplicative'``)."""
    k = Z.shape[1]
    ws = [
        np.full(k, 1.0 / k) if o == "equal" else wts.objective_weights(Z, o, names=names, entropy_shift=shift)
        for o in obj.split("+")
    ]
    return ws[0] if len(ws) == 1 else wts.combine_weights(ws[0], ws[1], method=combine, alpha=alpha)


def method_for(node: str, level: int, aggregate: str | dict) -> str:
    if isinstance(aggregate, str):
        m = aggregate
    else:
        m = aggregate.get(
            node, aggregate.get(level, aggregate.get(str(level), aggregate.get("default", "arithmetic")))
        )
    if m not in agg.METHODS:
        raise MethodError(f"unknown aggregation {m!r} for node {node!r}; choose one of {agg.METHODS}")
    return m


# --------------------------------------------------------------------------------------------------------
# weight
# --------------------------------------------------------------------------------------------------------
@dataclass
class WeightPlan:
    """The weight stage's output. ``scope='leaves'``: ``w_leaf`` (one weight per leaf), ``within`` and
    ``effective`` are final. ``scope='parent'``: ``subjective`` holds the within-parent subjective weights (or
    None) and the objective part is computed at each parent from its children's scores during aggregation
    (:meth:`at_parent`), since those scores exist only then."""

    scope: str
    subj: str | None
    obj: str | None
    shift: float
    combine: str
    alpha: float
    ahp: dict = field(default_factory=dict)
    subjective: dict | None = None
    w_leaf: np.ndarray | None = None
    within: dict = field(default_factory=dict)
    effective: dict = field(default_factory=dict)

    def at_parent(self, C: np.ndarray, kids: list[str]) -> np.ndarray:
        """Weights of ``kids`` (columns of ``C``, their scores) under one parent (``parent`` scope)."""
        obj, comb, alpha = self.obj, self.combine, self.alpha
        if obj is not None:
            w_o = (
                np.full(len(kids), 1.0 / len(kids))
                if obj == "equal" or len(kids) == 1
                else objective(C, obj, kids, shift=self.shift, combine=comb, alpha=alpha)
            )
        if self.subjective is None:
            return w_o
        w_s = np.array([self.subjective[k] for k in kids])
        return w_s / w_s.sum() if obj is None else wts.combine_weights(w_s, w_o, method=comb, alpha=alpha)


def _subjective(fw: Framework, subj: str, opt: dict, records: dict) -> dict[str, float]:
    return within_parent_subjective(fw, subj, ahp=opt.get("ahp"), force=bool(opt.get("ahp_force", False)),
                                    max_cr=float(opt.get("max_cr", 0.1)), records=records)


def _leaf_weights(Z: np.ndarray, fw: Framework, plan: WeightPlan, opt: dict) -> np.ndarray:
    leaves, kw = fw.leaves, {"shift": plan.shift, "combine": plan.combine, "alpha": plan.alpha}
    if plan.obj is not None and plan.subj is None:
        return objective(Z, plan.obj, leaves, **kw)
    eff = path_products(fw, _subjective(fw, plan.subj, opt, plan.ahp))
    w_s = np.array([eff[x] for x in leaves])
    if plan.obj is None:
        return w_s / w_s.sum()
    w_o = objective(Z, plan.obj, leaves, **kw)  # one method
    return wts.combine_weights(w_s, w_o, method=plan.combine, alpha=plan.alpha)


def weight(Z: np.ndarray, fw: Framework, method: str, scope: str, opt: dict, log: Log) -> WeightPlan:
    """Weights (module docstring of :mod:`nqpf.index.pipeline`): ``leaves`` scope — over all leaves jointly,
    a node's effective weight is the sum of its leaves' and its within-parent weight ``W_n / W_parent``;
    ``parent`` scope — subjective weights now, objective ones at each parent while aggregating."""
    with log.stage("weight"):
        subj, obj = _parse_weights(method)
        plan = WeightPlan(scope, subj, obj, float(opt.get("entropy_shift", 0.0)), opt.get("combine", "linear"),
                          float(opt.get("alpha", 0.5)))
        if scope != "leaves":
            if subj is not None:
                plan.subjective = _subjective(fw, subj, opt, plan.ahp)
            return plan
        w_leaf = _leaf_weights(Z, fw, plan, opt)
        leaves = fw.leaves
        leaf_pos = {n: i for i, n in enumerate(leaves)}
        W = {x: float(w_leaf[leaf_pos[x]]) for x in leaves}
        for n in fw.internal:
            W[n] = float(sum(W[x] for x in fw.leaves_of(n)))
        W[fw.root] = 1.0  # Σ of all leaf weights (= 1 up to rounding)
        for n in fw.ids:
            p = fw.parent(n)
            plan.within[n] = 1.0 if p is None else (W[n] / W[p] if W[p] > 0 else 0.0)
        plan.w_leaf, plan.effective = w_leaf, W
    return plan


# --------------------------------------------------------------------------------------------------------
# aggregate
# --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Aggregated:
    """The aggregate stage's output: scores ``S`` (rows × nodes in ``fw.ids`` order) and the final weights."""

    S: np.ndarray
    within: dict
    effective: dict
    methods: dict
    geo_zero_rows: int
    concentration: dict


def _agg_params(opt: dict) -> dict:
    return {"zero_rule": opt.get("zero_rule", "shift"), "delta": float(opt.get("delta", 0.01)),
            "rho": float(opt.get("rho", 0.5))}


def _by_leaves(Z, fw: Framework, plan: WeightPlan, aggregate, S, col, opt) -> tuple[dict, int]:
    leaf_pos = {n: i for i, n in enumerate(fw.leaves)}
    methods, geo = {}, 0
    for n in fw.internal:
        m = method_for(n, int(fw.node(n)["level"]), aggregate)
        methods[n] = m
        lv = fw.leaves_of(n)
        idx = [leaf_pos[x] for x in lv]
        wv = plan.w_leaf[idx]
        if wv.sum() <= 0:
            raise MethodError(
                f"node {n!r}: all its indicators {lv} have weight 0, so it cannot be scored; "
                "they have no variation — check the data or use fixed/equal weights"
            )
        if m == "geometric":
            geo += int((Z[:, idx][:, wv > 0] == 0).any(axis=1).sum())
        S[:, col[n]] = agg.aggregate_array(Z[:, idx], wv, m, **_agg_params(opt))
    return methods, geo


def _by_parents(fw: Framework, plan: WeightPlan, aggregate, S, col, opt) -> tuple[dict, dict, int]:
    methods, within, geo = {}, {}, 0
    for n in fw.internal:
        kids = fw.children(n)
        C = S[:, [col[k] for k in kids]]
        w = plan.at_parent(C, kids)
        for k, v in zip(kids, w, strict=True):
            within[k] = float(v)
        m = method_for(n, int(fw.node(n)["level"]), aggregate)
        methods[n] = m
        if m == "geometric":
            geo += int((C[:, w > 0] == 0).any(axis=1).sum())
        S[:, col[n]] = agg.aggregate_array(C, w, m, **_agg_params(opt))
    within[fw.root] = 1.0
    return methods, within, geo


def aggregate(Z: np.ndarray, fw: Framework, plan: WeightPlan, method: str | dict, opt: dict, log: Log
              ) -> Aggregated:
    """Scores of every node: leaves are their normalised values, an internal node aggregates its leaves
    (``leaves`` scope) or its children (``parent`` scope, bottom-up) with ``method`` (one name, or a mapping
    node / level / ``default`` → name). Warns when the effective leaf weights are concentrated
    (:func:`nqpf.index.diagnostics.concentration`)."""
    with log.stage("aggregate"):
        col = {n: i for i, n in enumerate(fw.ids)}
        S = np.empty((Z.shape[0], len(fw.ids)))
        for j, n in enumerate(fw.leaves):
            S[:, col[n]] = Z[:, j]
        if plan.scope == "leaves":
            methods, geo = _by_leaves(Z, fw, plan, method, S, col, opt)
            within, effective = dict(plan.within), dict(plan.effective)
        else:
            methods, within, geo = _by_parents(fw, plan, method, S, col, opt)
            effective = path_products(fw, within)
        log.record("aggregate", methods=methods, geometric_zero_rows=geo)
    with log.stage("weight"):
        conc = check_concentration(fw, effective, log)
    return Aggregated(S, within, effective, methods, geo, conc)


def check_concentration(fw: Framework, effective: dict, log: Log) -> dict:
    """Concentration of the effective leaf weights; warned when flagged (recorded under ``weight``)."""
    conc = concentration(pd.Series({x: effective[x] for x in fw.leaves}))
    if conc["flagged"]:
        log.warn(
            f"weight concentration: {conc['max_leaf']!r} carries {conc['max_weight']:.1%} of the index "
            f"(limit {conc['limits']['max_leaf']:.1%}) and the top three {conc['top3_weight']:.1%} (limit "
            f"{conc['limits']['max_top3']:.1%}): {conc['top3']}; see result.diagnostics",
            stacklevel=4,
        )
    log.record("weight", concentration=conc)
    return conc


# --------------------------------------------------------------------------------------------------------
# rank
# --------------------------------------------------------------------------------------------------------
def rank_within_periods(S: np.ndarray, U: int, T: int) -> np.ndarray:
    """Competition ranks ("min" method: ties share the best rank; 1 = highest score) of every column of ``S``
    (rows = unit-major unit-periods) among the units of each period. Vectorised: one contiguous argsort.
    Scores that agree to 12 significant digits count as ties (the same rule as the uncertainty kernel)."""
    N = S.shape[1]
    # scores equal to 12 significant digits (relative to the column's largest |score|) are ties, so that
    # algebraically equal scores are not split by last-bit rounding of different summation orders
    scale = np.nanmax(np.abs(S), axis=0) if S.size else np.ones(N)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    key = np.rint(S * (1e12 / scale))
    V = np.ascontiguousarray((-key).reshape(U, T * N).T)  # (T·N) × U
    order = np.argsort(V, axis=1)
    sv = np.take_along_axis(V, order, axis=1)
    new = np.ones(sv.shape, dtype=bool)
    new[:, 1:] = sv[:, 1:] != sv[:, :-1]
    start = np.maximum.accumulate(np.where(new, np.arange(U), 0), axis=1)
    ranks = np.empty(V.shape, dtype="int64")
    np.put_along_axis(ranks, order, start + 1, axis=1)
    return ranks.T.reshape(U * T, N)


def rank_columns(fw: Framework, rank_nodes) -> list[int]:
    """Columns (positions in ``fw.ids``) ranked at build time: ``"all"``, ``"index"`` (the root) or node ids."""
    if isinstance(rank_nodes, str) and rank_nodes in ("all", "index"):
        return list(range(len(fw.ids))) if rank_nodes == "all" else [fw.ids.index(fw.root)]
    nodes = [rank_nodes] if isinstance(rank_nodes, str) else list(rank_nodes)
    unknown = [n for n in nodes if n not in fw.ids]
    if unknown:
        raise MethodError(
            f"rank_nodes: node(s) {unknown} are not in framework {fw.name!r}; give 'all', 'index' or node ids "
            f"such as {fw.ids[:5]}"
        )
    return sorted({fw.ids.index(n) for n in nodes})


def rank(S: np.ndarray, fw: Framework, n_units: int, n_periods: int, rank_nodes, log: Log
         ) -> np.ndarray | dict[int, np.ndarray]:
    """Competition ranks per node and period (:func:`nqpf.index.grid.rank_within_periods`). ``rank_nodes='all'``
    returns the full rows × nodes block; otherwise ``{column: ranks}`` for the columns asked for (the result
    ranks the others on first access)."""
    with log.stage("rank"):
        cols = rank_columns(fw, rank_nodes)
        log.record("rank", nodes=[fw.ids[c] for c in cols])
        if len(cols) == S.shape[1]:
            return rank_within_periods(S, n_units, n_periods)
        R = rank_within_periods(S[:, cols], n_units, n_periods)
    return {c: R[:, i] for i, c in enumerate(cols)}
