"""``build_index``: data + framework → impute → treat → normalise → weight → aggregate → :class:`IndexResult`.

Work is done on numpy blocks: rows = unit-periods (unit-major, periods ascending, a full grid), columns =
leaves. Weight scope:

* ``leaves`` (default, common practice): weights over all leaves jointly; a node's score is the aggregate of
  its leaves with their weights renormalised inside the node (arithmetic: ``Σ w_l z_l / Σ w_l``, so the index
  is ``Σ w_l z_l``); a node's effective weight is the sum of its leaves'.
* ``parent``: bottom-up, at each parent the weights are computed from its children's scores (leaves: their
  normalised values), and the children aggregated; effective weight = product of weights along the path.

Subjective weights (``fixed``, ``ahp``) are always within a parent; their effective leaf weight is the
product along the path (identical in both scopes). ``equal`` means 1/L over all leaves with the ``leaves``
scope and 1/(number of children) at each parent with the ``parent`` scope. Combinations are written
``"fixed+entropy"``, ``"ahp+critic"`` (subjective+objective; ``combine="linear"|"multiplicative"``,
``alpha`` = subjective share, default 0.5).
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf._util import collect_notes, package_versions, warn
from nqpf.errors import DataError, FrameworkError, MethodError
from nqpf.framework import Framework, load_framework
from nqpf.index import aggregate as agg
from nqpf.index import impute as imp
from nqpf.index import normalize as nrm
from nqpf.index import treat as trt
from nqpf.index import weights as wts
from nqpf.index.result import IndexResult

WEIGHT_METHODS = ("equal", "fixed", "ahp", "entropy", "critic", "cv", "pca")
MIN_UNITS = 3


@functools.lru_cache(maxsize=1)
def _versions() -> dict:
    return package_versions()


# --------------------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------------------
def parse_periods(periods) -> list[int] | None:
    """``"2012-2022"`` / ``(2012, 2022)`` → inclusive range; a list → those years; None → all. A range written
    backwards or an empty selection is refused (:func:`nqpf.data.parse.check_period_range`)."""
    if periods is None:
        return None
    from nqpf.data.parse import check_period_range

    check_period_range(periods)
    if isinstance(periods, str):
        s = periods.strip()
        if "-" in s[1:]:
            a, b = s.split("-", 1) if not s.startswith("-") else (s, "")
            try:
                lo, hi = int(a), int(b)
            except ValueError:
                raise DataError(
                    f"periods {periods!r}: use a range like 2012-2022 or a list of years"
                ) from None
            return list(range(lo, hi + 1))
        try:
            return [int(x) for x in s.replace(";", ",").split(",") if x.strip()]
        except ValueError:
            raise DataError(f"periods {periods!r}: use a range like 2012-2022 or a list of years") from None
    if isinstance(periods, tuple) and len(periods) == 2:
        return list(range(int(periods[0]), int(periods[1]) + 1))
    return [int(p) for p in periods]


def _resolve_data(data: Any, units: str = "none") -> tuple[pd.DataFrame | None, pd.DataFrame | None, dict]:
    """Return (long, wide, info) — exactly one of long/wide set. Wide is indexed by (unit, period).

    A file path is read with ``nqpf.read`` (``units``: "province" maps names to GB/T 2260 codes, "none"
    keeps ids), a dataset name with ``nqpf.datasets.load``."""
    info: dict = {}
    if isinstance(data, str | Path) and not isinstance(data, pd.DataFrame):
        p = Path(str(data))
        if p.exists():
            info["source"] = str(p)
            try:
                from nqpf.data.io import read  # written in parallel; optional
            except ImportError:
                read = None
            if read is not None:
                df = read(p, units=units)
            else:
                df = pd.read_csv(p) if p.suffix.lower() in (".csv", ".txt") else pd.read_excel(p)
            data = df
        else:
            import nqpf.datasets as ds

            info["dataset"] = str(data)
            data = ds.load(str(data))
    if hasattr(data, "data") and isinstance(data.data, pd.DataFrame):
        units = getattr(data, "units", None)
        if isinstance(units, pd.DataFrame) and "group" in units.columns:
            info["groups"] = dict(zip(units["unit"].astype(str), units["group"], strict=False))
        info.setdefault("dataset", getattr(data, "name", None))
        data = data.data
    if not isinstance(data, pd.DataFrame):
        raise DataError(
            f"data must be a DataFrame, a Dataset, a dataset name or a file path; got {type(data).__name__}"
        )
    if {"indicator", "value"}.issubset(data.columns):
        return data, None, info
    w = data
    if isinstance(w.index, pd.MultiIndex) and list(w.index.names) == ["unit", "period"]:
        w = w.reset_index()
    elif not {"unit", "period"}.issubset(w.columns):
        raise DataError(
            "data: a long table needs columns unit, period, indicator, value; a wide table needs "
            f"columns unit, period and one column per indicator (found {list(data.columns)[:8]})"
        )
    w = w.rename(columns={c: str(c) for c in w.columns})
    return None, w, info


def _grid(
    long: pd.DataFrame | None, wide: pd.DataFrame | None, needed: list[str], periods: list[int] | None
) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """(units sorted, years sorted, series, block) where block[u*T + t, j] is series j of unit u in year t
    over the full unit × period grid (NaN where absent). Vectorised; bad rows fall back to
    :func:`nqpf.data.panel.check_long` for its detailed message."""
    if long is not None:
        from nqpf.data.panel import LONG_COLUMNS, check_long

        miss = [c for c in LONG_COLUMNS if c not in long.columns]
        if miss:
            check_long(long)  # raises with the contract's message
        icode, icats = pd.factorize(long["indicator"])
        jall = pd.Index(needed).get_indexer(pd.Index(icats).astype(str))[icode]  # −1 = not needed
        keep = jall >= 0
        per = pd.to_numeric(long["period"], errors="coerce").to_numpy(dtype=float)
        val = pd.to_numeric(long["value"], errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(per) | (per != np.round(per)) | (np.isnan(val) & long["value"].notna().to_numpy())
        if bad[keep].any():
            check_long(long[keep])  # raises naming the first bad row
        if periods is not None:
            keep &= np.isin(per, periods)
        ucode, units = pd.factorize(long["unit"].astype(str)[keep], sort=True)
        per, val, jcode = per[keep].astype("int64"), val[keep], jall[keep]
        tcode, years = pd.factorize(per, sort=True)
        series = list(needed)  # a series with no rows in the periods stays all-NaN (reported by name later)
        T, J = len(years), len(series)
        flat = (ucode * T + tcode) * max(J, 1) + jcode
        if len(flat) and np.bincount(flat, minlength=len(units) * T * max(J, 1)).max() > 1:
            check_long(long[keep])  # raises naming the duplicate
        block = np.full((len(units) * T, J), np.nan)
        block.reshape(-1)[flat] = val
    else:
        per = pd.to_numeric(wide["period"], errors="coerce").to_numpy(dtype=float)
        if np.isnan(per).any() or (per != np.round(per)).any():
            r = int(np.flatnonzero(np.isnan(per) | (per != np.round(per)))[0])
            raise DataError(
                f"data: row {r}: period {wide['period'].iloc[r]!r} is not a year; periods must be whole "
                "years such as 2020"
            )
        keep = np.isin(per, periods) if periods is not None else np.ones(len(per), bool)
        series = [c for c in needed if c in wide.columns]
        vals = np.empty((int(keep.sum()), len(series)))
        for j, c in enumerate(series):
            col = wide[c]
            if not pd.api.types.is_numeric_dtype(col):
                conv = pd.to_numeric(col, errors="coerce")
                bad = conv.isna() & col.notna()
                if bad.any():
                    r = int(np.flatnonzero(bad.to_numpy())[0])
                    raise DataError(
                        f"data: row {r}, column {c!r}: value {col.iloc[r]!r} is not a number; clean it "
                        "or read the file with nqpf.read"
                    )
                col = conv
            vals[:, j] = col.to_numpy(dtype=float)[keep]
        ucode, units = pd.factorize(wide["unit"].astype(str)[keep], sort=True)
        tcode, years = pd.factorize(per[keep].astype("int64"), sort=True)
        flat = ucode * len(years) + tcode
        if len(flat) and np.bincount(flat, minlength=len(units) * len(years)).max() > 1:
            dup = int(np.flatnonzero(np.bincount(flat) > 1)[0])
            raise DataError(
                f"data: duplicate rows for unit {units[dup // len(years)]!r}, period "
                f"{years[dup % len(years)]}; keep one row per unit and period"
            )
        block = np.full((len(units) * len(years), len(series)), np.nan)
        block[flat] = vals
    if block.size == 0 or not len(units):
        raise DataError(
            f"no data for the framework's series {needed[:10]} in periods "
            f"{'all' if periods is None else f'{min(periods)}-{max(periods)}'}"
        )
    return np.asarray(units, dtype=object).astype(str), np.asarray(years, dtype="int64"), series, block


def _periods_setting(pers: list[int] | None, source: str):
    """The periods as an argument that regenerates them: ``"lo-hi"`` for a contiguous range (``parse_periods``
    reads it back as the range, where a two-element list would mean two years), ``"all"`` when all periods
    were asked for (``None`` would re-apply the framework's span), else the explicit list."""
    if pers is None:
        return "all" if source == "all" else None
    lo, hi = int(min(pers)), int(max(pers))
    if lo != hi and sorted(pers) == list(range(lo, hi + 1)):
        return f"{lo}-{hi}"
    return [int(p) for p in pers]


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


# --------------------------------------------------------------------------------------------------------
# weights on the tree
# --------------------------------------------------------------------------------------------------------
def _within_parent_subjective(
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


def _path_products(fw: Framework, within: dict[str, float]) -> dict[str, float]:
    eff = {fw.root: 1.0}
    for nid in fw.ids:
        if nid == fw.root:
            continue
        v = within.get(nid, 0.0)
        for a in fw.ancestors(nid)[:-1]:
            v *= within.get(a, 0.0)
        eff[nid] = v
    return eff


def _parse_weights(weights: str) -> tuple[str | None, str | None]:
    """'entropy' → (None, 'entropy'); 'ahp' → ('ahp', None); 'fixed+critic' → ('fixed', 'critic');
    'entropy+critic' → (None, 'entropy+critic') (two objective methods, combined)."""
    parts = [p.strip() for p in str(weights).split("+")]
    for p in parts:
        if p not in WEIGHT_METHODS:
            raise MethodError(
                f"unknown weighting {p!r}; choose from {WEIGHT_METHODS} or 'subjective+objective' "
                "such as 'ahp+entropy', or two objective methods such as 'entropy+critic'"
            )
    if len(parts) == 1:
        p = parts[0]
        return (p, None) if p in ("fixed", "ahp") else (None, p)
    if len(parts) == 2 and parts[0] in wts.SUBJECTIVE and parts[1] in wts.OBJECTIVE:
        return parts[0], parts[1]
    if len(parts) == 2 and parts[0] in wts.OBJECTIVE and parts[1] in wts.OBJECTIVE and parts[0] != parts[1]:
        return None, f"{parts[0]}+{parts[1]}"
    raise MethodError(
        f"weight combination {weights!r}: write subjective+objective (e.g. 'ahp+entropy') or two different "
        "objective methods (e.g. 'entropy+critic')"
    )


def _objective(Z: np.ndarray, obj: str, names, *, shift: float, combine: str, alpha: float) -> np.ndarray:
    """Objective weights of the columns of ``Z``; ``'a+b'`` combines two methods as ``α·w_a + (1 − α)·w_b``
    (``combine='linear'``, α = ``alpha``, 0.5 = their mean, e.g. the 127ww entropy–CRITIC mean) or
    ``w_a·w_b / Σ`` (``'multiplicative'``)."""
    k = Z.shape[1]
    ws = [
        np.full(k, 1.0 / k) if o == "equal" else wts.objective_weights(Z, o, names=names, entropy_shift=shift)
        for o in obj.split("+")
    ]
    return ws[0] if len(ws) == 1 else wts.combine_weights(ws[0], ws[1], method=combine, alpha=alpha)


def _method_for(node: str, level: int, aggregate: str | dict) -> str:
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
# the pipeline
# --------------------------------------------------------------------------------------------------------
ENGINE_DEFAULTS: dict[str, Any] = {
    "impute": "none",
    "treat": "none",
    "normalize": "minmax-global",
    "weights": "entropy",
    "weight_scope": "leaves",
    "aggregate": "arithmetic",
}
OPTIONS = (
    "impute_limit",
    "groups",
    "winsorize_q",
    "winmax",
    "treat_columns",
    "base_year",
    "ref_unit",
    "ratio_scale",
    "entropy_shift",
    "minmax_eps",
    "ahp",
    "ahp_force",
    "max_cr",
    "combine",
    "alpha",
    "zero_rule",
    "delta",
    "rho",
    "min_units",
    "units",
    "drop_incomplete_units",
)


def framework_method(fw: Framework) -> dict[str, Any]:
    """The framework's declared method (its YAML ``method:`` block), checked: step names from
    :data:`ENGINE_DEFAULTS` and options from :data:`OPTIONS`. A published system carries its own method this way;
    ``build_index`` uses it wherever the call leaves a step or option unset."""
    m = fw.meta.get("method") or {}
    if not isinstance(m, dict):
        raise FrameworkError(f"framework {fw.name!r}: 'method' must be a mapping such as {{weights: entropy}}")
    bad = sorted(set(m) - set(ENGINE_DEFAULTS) - set(OPTIONS))
    if bad:
        raise FrameworkError(
            f"framework {fw.name!r}: unknown key(s) {bad} in 'method'; allowed: "
            f"{sorted(ENGINE_DEFAULTS)} and options {sorted(OPTIONS)}"
        )
    return dict(m)


def resolve_method(fw: Any, **given: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The one rule for settings, used by ``build_index``, the uncertainty analysis, the reports and the
    dashboard: a step (``impute`` … ``aggregate``) or option given as None or not at all takes the framework's
    declared ``method:`` value, else the engine default. Returns (steps, options, source of each setting:
    argument / framework / default). ``fw``: anything :func:`~nqpf.framework.load_framework` accepts."""
    declared = framework_method(load_framework(fw))
    steps: dict[str, Any] = {}
    source: dict[str, str] = {}
    for k, default in ENGINE_DEFAULTS.items():
        v = given.get(k)
        if v is not None:
            steps[k], source[k] = v, "argument"
        elif k in declared:
            steps[k], source[k] = declared[k], "framework"
        else:
            steps[k], source[k] = default, "default"
    options = {k: v for k, v in given.items() if k not in ENGINE_DEFAULTS}
    for k in options:
        source[k] = "argument"
    for k, v in declared.items():
        if k in OPTIONS and k not in options:
            options[k] = v
            source[k] = "framework"
    return steps, options, source


def build_index(
    data: Any,
    framework: Any,
    *,
    impute: str | None = None,
    treat: str | None = None,
    normalize: str | None = None,
    weights: str | None = None,
    weight_scope: str | None = None,
    aggregate: str | dict | None = None,
    periods=None,
    **options: Any,
) -> IndexResult:
    """Build a composite index (see module docstring and ``docs/index/``).

    A step or option left unset (None) takes the framework's declared ``method:`` value if it has one (published
    systems carry theirs), else the engine default (:data:`ENGINE_DEFAULTS`: impute none, treat none, normalize
    minmax-global, weights entropy, scope leaves, aggregate arithmetic). ``manifest["settings"]`` holds the
    resolved values and ``manifest["settings_source"]`` where each came from (argument / framework / default).

    Options: ``impute_limit`` (carry, years, 2; None = no limit), ``groups`` (unit → group for group-mean; a
    Dataset's ``units.group`` by default), ``winsorize_q`` ((0.01, 0.99)), ``winmax`` (5), ``treat_columns``,
    ``base_year`` / ``ref_unit`` / ``ratio_scale`` (ratio normalisation), ``entropy_shift`` (0), ``minmax_eps``
    (0: min–max denominator constant), ``ahp`` ({node: matrix}), ``ahp_force`` (False), ``max_cr`` (0.1),
    ``combine`` ('linear'), ``alpha`` (0.5), ``zero_rule`` ('shift'), ``delta`` (0.01), ``rho`` (0.5),
    ``min_units`` (3), ``drop_incomplete_units`` (False: units with gaps left after imputation are dropped,
    warned about and listed in ``manifest["dropped_units"]``), ``units`` (reading a file: "province" or "none";
    default "province" when the framework's ``dataset`` is cn_provinces, else "none").
    """
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise MethodError(f"build_index: unknown option(s) {unknown}; known: {sorted(OPTIONS)}")
    fw = load_framework(framework)
    steps, options, source = resolve_method(
        fw,
        impute=impute,
        treat=treat,
        normalize=normalize,
        weights=weights,
        weight_scope=weight_scope,
        aggregate=aggregate,
        **options,
    )
    if steps["weight_scope"] not in ("leaves", "parent"):
        raise MethodError(f"weight_scope must be 'leaves' or 'parent', got {steps['weight_scope']!r}")

    with collect_notes() as caught:  # per thread/context: concurrent builds never mix their notes
        res = _build(
            data,
            fw,
            steps["impute"],
            steps["treat"],
            steps["normalize"],
            steps["weights"],
            steps["weight_scope"],
            steps["aggregate"],
            periods,
            options,
        )
    res.manifest["warnings"] = caught
    res.manifest["settings_source"] = source
    return res


def _build(
    data, framework, impute, treat, normalize, weights, weight_scope, aggregate, periods, opt
) -> IndexResult:
    fw = load_framework(framework)
    fw.validate()
    periods_source = "argument"
    if periods is None and isinstance(fw.meta.get("periods"), list | tuple) and len(fw.meta["periods"]) == 2:
        periods = tuple(fw.meta["periods"])  # the framework's declared span (first, last year)
        periods_source = "framework"
    elif isinstance(periods, str) and periods.strip().lower() == "all":
        periods, periods_source = None, "all"
    pers = parse_periods(periods)
    units_mode = opt.get("units") or ("province" if fw.meta.get("dataset") == "cn_provinces" else "none")
    long, wide, info = _resolve_data(data, units_mode)
    available = set(long["indicator"].astype(str).unique()) if long is not None else set(wide.columns)
    fw.validate(sorted(available))
    leaves = fw.leaves
    needed: list[str] = []
    for leaf in leaves:
        for s in fw.series_of(leaf):
            if s not in needed:
                needed.append(s)
    units, years, series, block = _grid(long, wide, needed, pers)
    h = hashlib.blake2b(digest_size=32)
    for part in (
        np.ascontiguousarray(block).tobytes(),
        "|".join(units).encode(),
        years.tobytes(),
        "|".join(series).encode(),
    ):
        h.update(part)
    input_hash = h.hexdigest()
    min_units = int(opt.get("min_units", MIN_UNITS))
    if len(units) < min_units:
        raise MethodError(
            f"only {len(units)} unit(s) {list(units)} in the data; a composite index needs at least "
            f"{min_units} units to normalise and weight"
        )
    X0 = fw.leaf_matrix(block, series)
    allmiss = [c for c, m in zip(leaves, np.isnan(X0).all(axis=0), strict=True) if m]
    if allmiss:
        raise DataError(
            f"indicator(s) {allmiss} have no data at all in the chosen periods; drop them from the "
            "framework, change periods, or supply the series"
        )
    U, T, L = len(units), len(years), len(leaves)
    A = X0.reshape(U, T, L)

    # 1. missing data (methods may be chained with '+', applied in order) ---------------------------------
    groups = opt.get("groups", info.get("groups"))
    codes = None
    if "group-mean" in impute and groups is not None:
        codes = pd.factorize(pd.Series(units).map(dict(groups)).fillna("__none__"))[0]
    B = A
    logs = []
    lim = opt.get("impute_limit", 2)
    lim = None if lim is None or (isinstance(lim, float) and np.isinf(lim)) else int(lim)
    for step in str(impute).split("+"):
        step = step.strip()
        B_next = imp.impute_array(B, years, step, limit=lim, group_codes=codes)
        logs.append(imp.imputation_log(B, B_next, units, years, leaves, step))
        B = B_next
    log = pd.concat(logs, ignore_index=True) if len(logs) > 1 else logs[0]
    dropped: list[str] = []
    if np.isnan(B).any() and opt.get("drop_incomplete_units"):
        bad_u = np.isnan(B).any(axis=(1, 2))
        dropped = [str(u) for u in units[bad_u]]
        warn(
            f"{len(dropped)} unit(s) dropped because gaps remain after impute={impute!r} "
            f"(drop_incomplete_units): {dropped[:20]}{' …' if len(dropped) > 20 else ''}",
            stacklevel=2,
        )
        keep_u = ~bad_u
        A, B, units = A[keep_u], B[keep_u], units[keep_u]
        if len(log):
            log = log[log["unit"].isin(set(units))].reset_index(drop=True)
        U = len(units)
        if U < min_units:
            raise MethodError(
                f"only {U} unit(s) left after dropping incomplete units; a composite index needs at "
                f"least {min_units}; impute more (e.g. 'linear-carry+group-mean') or shorten the periods"
            )
    if np.isnan(B).any():
        hint = (
            "choose impute='linear', 'carry', 'linear-carry', 'group-mean' or a chain such as "
            "'linear-carry+group-mean', or drop_incomplete_units=True"
            if impute in ("none", "refuse")
            else "chain methods (e.g. 'linear-carry+group-mean'), raise impute_limit, or pass "
            "drop_incomplete_units=True to drop (and list) the units concerned"
        )
        raise DataError(
            f"missing values remain after impute={impute!r}: {imp.gap_report(B, units, years, leaves)}; {hint}"
        )
    X = B.reshape(U * T, L)

    # 2. outliers ---------------------------------------------------------------------------------------
    q = opt.get("winsorize_q", (0.01, 0.99))
    X, treat_log = trt.treat_array(
        X,
        treat,
        names=leaves,
        q_low=q[0],
        q_high=q[1],
        winmax=int(opt.get("winmax", 5)),
        columns=opt.get("treat_columns"),
    )

    # 3. normalisation ----------------------------------------------------------------------------------
    dirs = np.array([fw.direction(x) for x in leaves], dtype=float)
    row_periods = np.tile(years, U)
    row_units = np.repeat(units, T) if normalize == "ratio" else None
    Z = nrm.normalize_array(
        X,
        dirs,
        normalize,
        periods=row_periods,
        units=row_units,
        base_year=opt.get("base_year"),
        ref_unit=opt.get("ref_unit"),
        scale=float(opt.get("ratio_scale", 1.0)),
        names=leaves,
        eps=float(opt.get("minmax_eps", 0.0)),
    )

    # 4–5. weights and aggregation ------------------------------------------------------------------------
    subj, obj = _parse_weights(weights)
    ahp_records: dict = {}
    node_ids = fw.ids
    col = {n: i for i, n in enumerate(node_ids)}
    leaf_pos = {n: i for i, n in enumerate(leaves)}
    S = np.empty((U * T, len(node_ids)))
    for n in leaves:
        S[:, col[n]] = Z[:, leaf_pos[n]]
    agg_params = {
        "zero_rule": opt.get("zero_rule", "shift"),
        "delta": float(opt.get("delta", 0.01)),
        "rho": float(opt.get("rho", 0.5)),
    }
    methods_used: dict[str, str] = {}
    within: dict[str, float] = {}
    ent_shift = float(opt.get("entropy_shift", 0.0))
    combine, alpha = opt.get("combine", "linear"), float(opt.get("alpha", 0.5))
    geo_zero_rows = 0

    if weight_scope == "leaves":
        # leaf weights jointly
        if obj is not None and subj is None:
            w_leaf = _objective(Z, obj, leaves, shift=ent_shift, combine=combine, alpha=alpha)
        else:
            sw = _within_parent_subjective(
                fw,
                subj,
                ahp=opt.get("ahp"),
                force=bool(opt.get("ahp_force", False)),
                max_cr=float(opt.get("max_cr", 0.1)),
                records=ahp_records,
            )
            eff = _path_products(fw, sw)
            w_s = np.array([eff[x] for x in leaves])
            if obj is None:
                w_leaf = w_s / w_s.sum()
            else:
                w_o = _objective(Z, obj, leaves, shift=ent_shift, combine=combine, alpha=alpha)  # one method
                w_leaf = wts.combine_weights(w_s, w_o, method=combine, alpha=alpha)
        W = {x: float(w_leaf[leaf_pos[x]]) for x in leaves}
        for n in fw.internal:
            W[n] = float(sum(W[x] for x in fw.leaves_of(n)))
        W[fw.root] = 1.0  # Σ of all leaf weights (= 1 up to rounding)
        for n in node_ids:
            p = fw.parent(n)
            within[n] = 1.0 if p is None else (W[n] / W[p] if W[p] > 0 else 0.0)
        for n in fw.internal:
            m = _method_for(n, int(fw.node(n)["level"]), aggregate)
            methods_used[n] = m
            lv = fw.leaves_of(n)
            idx = [leaf_pos[x] for x in lv]
            wv = w_leaf[idx]
            if wv.sum() <= 0:
                raise MethodError(
                    f"node {n!r}: all its indicators {lv} have weight 0, so it cannot be scored; "
                    "they have no variation — check the data or use fixed/equal weights"
                )
            if m == "geometric":
                geo_zero_rows += int((Z[:, idx][:, wv > 0] == 0).any(axis=1).sum())
            S[:, col[n]] = agg.aggregate_array(Z[:, idx], wv, m, **agg_params)
        effective = W
    else:
        sw = None
        if subj is not None:
            sw = _within_parent_subjective(
                fw,
                subj,
                ahp=opt.get("ahp"),
                force=bool(opt.get("ahp_force", False)),
                max_cr=float(opt.get("max_cr", 0.1)),
                records=ahp_records,
            )
        for n in fw.internal:
            kids = fw.children(n)
            C = S[:, [col[k] for k in kids]]
            if obj is not None:
                w_o = (
                    np.full(len(kids), 1.0 / len(kids))
                    if obj == "equal" or len(kids) == 1
                    else _objective(C, obj, kids, shift=ent_shift, combine=combine, alpha=alpha)
                )
            if sw is not None:
                w_s = np.array([sw[k] for k in kids])
                w = (
                    w_s / w_s.sum()
                    if obj is None
                    else wts.combine_weights(w_s, w_o, method=combine, alpha=alpha)
                )
            else:
                w = w_o
            for k, v in zip(kids, w, strict=True):
                within[k] = float(v)
            m = _method_for(n, int(fw.node(n)["level"]), aggregate)
            methods_used[n] = m
            if m == "geometric":
                geo_zero_rows += int((C[:, w > 0] == 0).any(axis=1).sum())
            S[:, col[n]] = agg.aggregate_array(C, w, m, **agg_params)
        within[fw.root] = 1.0
        effective = _path_products(fw, within)

    # effective-weight concentration: warned at build time (the other diagnostics are computed on demand) ----
    from nqpf.index.diagnostics import concentration as _concentration

    conc = _concentration(pd.Series({x: effective[x] for x in leaves}))
    if conc["flagged"]:
        warn(
            f"weight concentration: {conc['max_leaf']!r} carries {conc['max_weight']:.1%} of the index "
            f"(limit {conc['limits']['max_leaf']:.1%}) and the top three {conc['top3_weight']:.1%} (limit "
            f"{conc['limits']['max_top3']:.1%}): {conc['top3']}; see result.diagnostics",
            stacklevel=2,
        )

    # ranks per node and period (1 = best; ties share the best rank) -----------------------------------------
    R = rank_within_periods(S, U, T)

    # tables ---------------------------------------------------------------------------------------------
    parents = [fw.parent(n) or "" for n in node_ids]
    wtab = pd.DataFrame(
        {
            "node": node_ids,
            "parent": parents,
            "weight": [within[n] for n in node_ids],
            "effective_weight": [effective[n] for n in node_ids],
        }
    )

    settings = {
        "impute": impute,
        "treat": treat,
        "normalize": normalize,
        "weights": weights,
        "weight_scope": weight_scope,
        "aggregate": aggregate,
        "periods": _periods_setting(pers, periods_source),
        **{k: v for k, v in opt.items() if k != "groups"},
    }
    if "groups" in opt:
        settings["groups"] = "given"
    manifest = {
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "framework": fw.name,
        "framework_source": fw.source,
        "framework_hash": fw.hash,
        "data": info.get("dataset") or info.get("source") or "DataFrame",
        "input_hash": input_hash,
        "input_hash_algorithm": "blake2b-256 of the unit × period × series block, unit ids, years, series names; "
        "result_hash: blake2b-256 of the score block (rows × nodes)",
        "units": int(U),
        "periods": [int(y) for y in years],
        "indicators": leaves,
        "settings": settings,
        "defaults": {
            "impute_limit": 2,
            "winsorize_q": [0.01, 0.99],
            "winmax": 5,
            "entropy_shift": 0.0,
            "minmax_eps": 0.0,
            "max_cr": 0.1,
            "combine": "linear",
            "alpha": 0.5,
            "zero_rule": "shift",
            "delta": 0.01,
            "rho": 0.5,
        },
        "aggregation_by_node": methods_used,
        "zero_rule": (
            f"geometric: {opt.get('zero_rule', 'shift')} (delta {opt.get('delta', 0.01)}); "
            f"{geo_zero_rows} row-node block(s) had a zero input"
        )
        if "geometric" in methods_used.values()
        else None,
        "treatment_log": treat_log,
        "ahp": ahp_records,
        "imputation_log": log.to_dict("records") if len(log) else [],
        "imputed_cells": int(len(log)),
        "dropped_units": dropped,
        "weight_concentration": {k: conc[k] for k in ("max_leaf", "max_weight", "top3_weight", "herfindahl",
                                                      "effective_number", "flagged", "limits")},
        "periods_source": periods_source,
        "versions": dict(_versions()),
        "warnings": [],
        "result_hash": hashlib.blake2b(np.ascontiguousarray(S).tobytes(), digest_size=32).hexdigest(),
    }
    return IndexResult(
        framework=fw,
        weights=wtab,
        manifest=manifest,
        imputation_log=log,
        settings={
            "framework": fw,
            "impute": impute,
            "treat": treat,
            "normalize": normalize,
            "weights": weights,
            "weight_scope": weight_scope,
            "aggregate": aggregate,
            "periods": periods,
            **opt,
        },
        unit_labels=units,
        years=years,
        node_ids=node_ids,
        Z=Z,
        S=S,
        R=R,
        X=X,
        within=within,
        methods=methods_used,
    )
