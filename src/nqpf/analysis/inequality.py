"""Inequality: Gini with Dagum's (1997) subgroup decomposition, Theil T and L, coefficient of variation.

Dagum, C. (1997) "A new approach to the decomposition of the Gini income inequality ratio",
*Empirical Economics* 22(4), 515–531. With k groups of sizes n_j (weights W_j), means μ_j, p_j = W_j/W,
s_j = W_j μ_j / (W μ) and Δ_jh = Σ_i Σ_r w_i w_r |y_ji − y_hr| / (W_j W_h):

* G_jj = Δ_jj / (2 μ_j)           (within-group Gini of group j)
* G_jh = Δ_jh / (μ_j + μ_h)       (between-group Gini of groups j, h)
* D_jh = (μ_j − μ_h) / Δ_jh for μ_j ≥ μ_h  (relative economic affluence = (d_jh − p_jh)/(d_jh + p_jh))
* Gw  = Σ_j G_jj p_j s_j
* Gnb = Σ_{j<h} G_jh (p_j s_h + p_h s_j) D_jh
* Gt  = Σ_{j<h} G_jh (p_j s_h + p_h s_j) (1 − D_jh)
* G = Gw + Gnb + Gt exactly (the overall Gini of the pooled sample).

All mean absolute differences are computed by sorting (O(n log n) per pair of groups), never by n² pairs.
Unweighted by default (each unit counts once, as in most provincial studies); ``weight`` = population gives
the population-weighted Gini of a per-capita variable.

Groups with one member have G_jj = 0 (no within-group dispersion; documented, not an error). A group whose
values are all zero has G_jj = 0 (perfect equality). Values must be non-negative (Gini) or strictly
positive (Theil L); gaps raise :class:`nqpf.errors.DataError`.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from nqpf.analysis._common import (
    check_min_size,
    manifest,
    numeric_column,
    period_groups,
    require_columns,
    require_positive,
    unit_period_keys,
)
from nqpf.data.panel import check_unique
from nqpf.errors import MethodError

__all__ = ["gini", "mean_abs_diff", "dagum", "theil", "cv", "within_between"]


def _prep(y, w=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Sort ``y`` (with weights); return sorted y, cumulative weights, cumulative weighted (y − c), and the
    centre c (the median; centring keeps round-off proportional to the spread, so equal values give 0)."""
    y = np.asarray(y, dtype="float64")
    w = np.ones_like(y) if w is None else np.asarray(w, dtype="float64")
    order = np.argsort(y, kind="mergesort")
    ys, ws = y[order], w[order]
    c = float(ys[len(ys) // 2]) if len(ys) else 0.0
    return ys, np.concatenate([[0.0], np.cumsum(ws)]), np.concatenate([[0.0], np.cumsum(ws * (ys - c))]), c


def _sum_abs_diff(a, wa, b_sorted, b_cw, b_cwy, c) -> float:
    """Σ_i Σ_r wa_i wb_r |a_i − b_r| using the sorted ``b`` and its cumulative sums (O(n_a log n_b))."""
    idx = np.searchsorted(b_sorted, a, side="left")
    w_lo, wy_lo = b_cw[idx], b_cwy[idx]  # weight and weighted sum of b strictly below a_i
    w_hi, wy_hi = b_cw[-1] - w_lo, b_cwy[-1] - wy_lo
    ac = a - c
    per_a = ac * w_lo - wy_lo + wy_hi - ac * w_hi
    return float(np.dot(wa, np.maximum(per_a, 0.0)))


def mean_abs_diff(a, b=None, wa=None, wb=None) -> float:
    """Weighted mean absolute difference Σ Σ w_i w_r |a_i − b_r| / (Σw_a Σw_b) (b = a when omitted)."""
    a = np.asarray(a, dtype="float64")
    wa = np.ones_like(a) if wa is None else np.asarray(wa, dtype="float64")
    if b is None:
        b, wb = a, wa
    b = np.asarray(b, dtype="float64")
    wb = np.ones_like(b) if wb is None else np.asarray(wb, dtype="float64")
    return _sum_abs_diff(a, wa, *_prep(b, wb)) / (wa.sum() * wb.sum())


def gini(y, weights=None) -> float:
    """Gini ratio G = Δ / (2μ) with Δ the (weighted) mean absolute difference over all ordered pairs.

    Unweighted this is G = Σ_i Σ_j |y_i − y_j| / (2 n² μ) (the n² form used by Dagum 1997, not the
    n(n−1) "unbiased" form). Needs non-negative values with positive mean.
    """
    y = np.asarray(y, dtype="float64")
    if y.size == 0:
        raise MethodError("gini: no values")
    if np.isnan(y).any():
        raise MethodError("gini: values contain NaN; remove or fill gaps first")
    require_positive(y, None, strict=False, measure="Gini")
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype="float64")
    mu = np.dot(w, y) / w.sum()
    if mu == 0:
        return 0.0
    return mean_abs_diff(y, None, w, None) / (2 * mu)


def _dagum_one(y: np.ndarray, g: np.ndarray, w: np.ndarray, groups: list) -> list[tuple[str, float]]:
    W = w.sum()
    mu = np.dot(w, y) / W
    if mu <= 0:
        raise MethodError("Dagum decomposition: the overall mean is zero; inequality is undefined")
    parts = {}
    for grp in groups:
        m = g == grp
        yj, wj = y[m], w[m]
        parts[grp] = dict(y=yj, w=wj, pre=_prep(yj, wj), W=wj.sum(), mu=np.dot(wj, yj) / wj.sum())
    p = {k: v["W"] / W for k, v in parts.items()}
    s = {k: v["W"] * v["mu"] / (W * mu) for k, v in parts.items()}
    rows: list[tuple[str, float]] = []
    Gw = 0.0
    within = {}
    for grp in groups:
        v = parts[grp]
        d = _sum_abs_diff(v["y"], v["w"], *v["pre"]) / (v["W"] ** 2)
        gjj = 0.0 if v["mu"] == 0 else d / (2 * v["mu"])
        within[grp] = gjj
        Gw += gjj * p[grp] * s[grp]
    Gnb = Gt = 0.0
    between, djh = {}, {}
    for a, b in itertools.combinations(groups, 2):
        va, vb = parts[a], parts[b]
        delta = _sum_abs_diff(va["y"], va["w"], *vb["pre"]) / (va["W"] * vb["W"])
        den = va["mu"] + vb["mu"]
        gab = 0.0 if den == 0 else delta / den
        D = 0.0 if delta == 0 else abs(va["mu"] - vb["mu"]) / delta
        wgt = p[a] * s[b] + p[b] * s[a]
        Gnb += gab * wgt * D
        Gt += gab * wgt * (1 - D)
        between[(a, b)], djh[(a, b)] = gab, D
    G = mean_abs_diff(y, None, w, None) / (2 * mu)
    rows += [("G", G), ("Gw", Gw), ("Gnb", Gnb), ("Gt", Gt), ("Gb", Gnb + Gt)]
    if G > 0:
        rows += [("share:Gw", Gw / G), ("share:Gnb", Gnb / G), ("share:Gt", Gt / G)]
    else:
        rows += [("share:Gw", 0.0), ("share:Gnb", 0.0), ("share:Gt", 0.0)]
    rows += [(f"within:{k}", v) for k, v in within.items()]
    rows += [(f"between:{a}|{b}", v) for (a, b), v in between.items()]
    rows += [(f"D:{a}|{b}", v) for (a, b), v in djh.items()]
    rows += [(f"n:{k}", float(len(parts[k]["y"]))) for k in groups]
    rows += [(f"mean:{k}", float(parts[k]["mu"])) for k in groups]
    rows += [(f"p:{k}", p[k]) for k in groups]
    rows += [(f"s:{k}", s[k]) for k in groups]
    return rows


def dagum(
    df: pd.DataFrame,
    value: str,
    group: str,
    period: str | None = None,
    weight: str | None = None,
    *,
    unit: str | None = None,
) -> pd.DataFrame:
    """Dagum (1997) Gini decomposition per period.

    Returns a tidy DataFrame ``period, component, value``. Components: ``G``, ``Gw``, ``Gnb``, ``Gt``,
    ``Gb`` (= Gnb + Gt), ``share:Gw|Gnb|Gt`` (contribution shares of G), ``within:<g>`` (G_jj),
    ``between:<a>|<b>`` (G_jh; groups in sorted order), ``D:<a>|<b>`` (relative affluence D_jh in [0,1]),
    ``n:<g>``, ``mean:<g>``, ``p:<g>``, ``s:<g>``. ``period`` is NaN-free: without a period column it is
    the string ``"all"``. The manifest is in ``result.attrs["manifest"]``.

    A repeated ``unit``-``period`` row (``unit`` defaults to a column named ``unit``; without ``period`` a
    repeated unit, unless a ``period``/``year`` … column marks a pooled panel) raises
    :class:`~nqpf.errors.DataError` (:func:`nqpf.data.panel.check_unique`): it would count a unit twice.
    """
    require_columns(df, [value, group, period, weight, unit], what="dagum input")
    if keys := unit_period_keys(df, unit, period):  # a repeated unit-period row would count a unit twice
        check_unique(df, keys[0], name="dagum input", labels=keys[1])
    ids = [c for c in (unit, group, period) if c]
    y = numeric_column(df, value, id_cols=ids, what="dagum input")
    w = numeric_column(df, weight, id_cols=ids, what="dagum input") if weight else np.ones_like(y)
    if (w <= 0).any():
        raise MethodError(f"dagum: weights in column {weight!r} must be positive")
    labels = df[unit].astype(str).to_numpy() if unit else None
    require_positive(y, labels, strict=False, measure="Dagum Gini decomposition")
    gser = df[group]
    if gser.isna().any():
        raise MethodError(f"dagum: {int(gser.isna().sum())} row(s) have no group in column {group!r}")
    work = pd.DataFrame({"y": y, "w": w, "g": gser.astype(str).to_numpy()}, index=df.index)
    if period:
        work["p"] = df[period].to_numpy()
    out = []
    groups_all = sorted(work["g"].unique())
    for per, sub in period_groups(work, "p" if period else None):
        check_min_size(len(sub), 2, what=f"dagum (period {per})")
        groups = [g for g in groups_all if (sub["g"] == g).any()]
        rows = _dagum_one(sub["y"].to_numpy(), sub["g"].to_numpy(), sub["w"].to_numpy(), groups)
        pv = "all" if per is None else per
        out.extend((pv, c, v) for c, v in rows)
    res = pd.DataFrame(out, columns=["period", "component", "value"])
    res.attrs["manifest"] = manifest(
        "dagum1997", value=value, group=group, period=period, weight=weight, groups=groups_all
    )
    return res


def _theil_one(y, w, g, groups, measure):
    W = w.sum()
    mu = np.dot(w, y) / W
    rows = []
    tot_within = 0.0
    between = 0.0
    comp = {}
    for grp in groups:
        m = g == grp
        yj, wj = y[m], w[m]
        Wj = wj.sum()
        muj = np.dot(wj, yj) / Wj
        pj = Wj / W
        sj = Wj * muj / (W * mu)
        r = yj / muj
        if measure == "T":
            with np.errstate(divide="ignore", invalid="ignore"):
                tj = float(np.dot(wj, np.where(r > 0, r * np.log(r), 0.0)) / Wj)
            tot_within += sj * tj
            between += sj * np.log(muj / mu) if sj > 0 else 0.0
            comp[grp] = (tj, sj * tj)
        else:
            tj = float(np.dot(wj, np.log(1 / r)) / Wj)
            tot_within += pj * tj
            between += pj * np.log(mu / muj)
            comp[grp] = (tj, pj * tj)
    r = y / mu
    if measure == "T":
        with np.errstate(divide="ignore", invalid="ignore"):
            total = float(np.dot(w, np.where(r > 0, r * np.log(r), 0.0)) / W)
    else:
        total = float(np.dot(w, np.log(1 / r)) / W)
    rows += [("total", total), ("within", tot_within), ("between", between)]
    if total > 0:
        rows += [("share:within", tot_within / total), ("share:between", between / total)]
    else:
        rows += [("share:within", 0.0), ("share:between", 0.0)]
    rows += [(f"within:{k}", v[0]) for k, v in comp.items()]
    rows += [(f"contrib:{k}", v[1]) for k, v in comp.items()]
    return rows


def theil(
    df: pd.DataFrame,
    value: str,
    group: str | None = None,
    period: str | None = None,
    weight: str | None = None,
    *,
    measure: str = "T",
    unit: str | None = None,
) -> pd.DataFrame:
    """Theil index with between/within decomposition, per period.

    ``measure="T"`` (GE(1)): T = Σ (w_i/W)(y_i/μ) ln(y_i/μ) = Σ_j s_j T_j + Σ_j s_j ln(μ_j/μ).
    ``measure="L"`` (GE(0), mean log deviation): L = Σ (w_i/W) ln(μ/y_i) = Σ_j p_j L_j + Σ_j p_j ln(μ/μ_j).
    With ``weight`` = population and ``value`` = per-capita GDP, T is the familiar regional Theil
    Σ (Y_i/Y) ln[(Y_i/Y)/(P_i/P)] (GDP shares against population shares). T needs y ≥ 0 (0·ln 0 = 0);
    L needs y > 0. Returns ``period, measure, component, value`` with components ``total, within,
    between, share:within, share:between, within:<g>`` (T_j or L_j) and ``contrib:<g>``. Repeated
    unit-period rows are refused as in :func:`dagum`.

    Examples
    --------
    The decomposition agrees with PySAL's ``inequality.theil.TheilD`` (the peer; tested to 1e-10):

    >>> import numpy as np, pandas as pd
    >>> from inequality.theil import TheilD
    >>> d = pd.DataFrame({"y": [1.0, 2, 3, 4, 10, 12], "g": list("aabbcc")})
    >>> r = theil(d, "y", "g").set_index("component")["value"]
    >>> [round(float(r[k]), 6) for k in ("total", "between", "within")]
    [0.297025, 0.286631, 0.010394]
    >>> td = TheilD(d["y"].to_numpy(), d["g"].to_numpy())
    >>> [round(float(np.ravel(v)[0]), 6) for v in (td.T, td.bg, td.wg)]
    [0.297025, 0.286631, 0.010394]
    """
    if measure not in ("T", "L"):
        raise MethodError(f"theil: measure must be 'T' or 'L', got {measure!r}")
    require_columns(df, [value, group, period, weight, unit], what="theil input")
    if keys := unit_period_keys(df, unit, period):  # a repeated unit-period row would count a unit twice
        check_unique(df, keys[0], name="theil input", labels=keys[1])
    ids = [c for c in (unit, group, period) if c]
    y = numeric_column(df, value, id_cols=ids, what="theil input")
    w = numeric_column(df, weight, id_cols=ids, what="theil input") if weight else np.ones_like(y)
    labels = df[unit].astype(str).to_numpy() if unit else None
    require_positive(y, labels, strict=(measure == "L"), measure=f"Theil {measure}")
    g = df[group].astype(str).to_numpy() if group else np.array(["all"] * len(y))
    work = pd.DataFrame({"y": y, "w": w, "g": g}, index=df.index)
    if period:
        work["p"] = df[period].to_numpy()
    out = []
    for per, sub in period_groups(work, "p" if period else None):
        yy = sub["y"].to_numpy()
        groups = sorted(sub["g"].unique())
        if measure == "T":
            for grp in groups:
                if yy[sub["g"].to_numpy() == grp].sum() == 0:
                    raise MethodError(f"theil T: group {grp!r} (period {per}) has zero total; T undefined")
        rows = _theil_one(yy, sub["w"].to_numpy(), sub["g"].to_numpy(), groups, measure)
        pv = "all" if per is None else per
        out.extend((pv, measure, c, v) for c, v in rows)
    res = pd.DataFrame(out, columns=["period", "measure", "component", "value"])
    res.attrs["manifest"] = manifest(
        "theil", value=value, group=group, period=period, weight=weight, measure=measure
    )
    return res


def cv(df: pd.DataFrame, value: str, period: str | None = None, weight: str | None = None) -> pd.DataFrame:
    """Coefficient of variation σ/μ per period (population standard deviation, ddof = 0).

    With ``weight`` (population) this is Williamson's weighted CV sqrt(Σ (w_i/W)(y_i − μ_w)²)/μ_w.
    Returns ``period, cv, sd, mean, n``; the manifest in ``attrs["manifest"]``.
    """
    require_columns(df, [value, period, weight], what="cv input")
    y = numeric_column(df, value, what="cv input")
    w = numeric_column(df, weight, what="cv input") if weight else np.ones_like(y)
    work = pd.DataFrame({"y": y, "w": w}, index=df.index)
    if period:
        work["p"] = df[period].to_numpy()
    out = []
    for per, sub in period_groups(work, "p" if period else None):
        ww, yy = sub["w"].to_numpy(), sub["y"].to_numpy()
        mu = np.dot(ww, yy) / ww.sum()
        if mu == 0:
            raise MethodError(f"cv: mean is zero in period {per}; the coefficient of variation is undefined")
        sd = float(np.sqrt(np.dot(ww, (yy - mu) ** 2) / ww.sum()))
        out.append(("all" if per is None else per, sd / mu, sd, mu, len(yy)))
    res = pd.DataFrame(out, columns=["period", "cv", "sd", "mean", "n"])
    res.attrs["manifest"] = manifest("cv", value=value, period=period, weight=weight, ddof=0)
    return res


def within_between(
    df: pd.DataFrame,
    value: str,
    group: str,
    period: str | None = None,
    weight: str | None = None,
    *,
    unit: str | None = None,
) -> pd.DataFrame:
    """Two-level decomposition (e.g. cities within provinces): Theil T, Theil L and the Dagum Gini, each split
    into a within-group and a between-group part, one row per period and measure.

    Columns ``period, measure (T | L | Gini), total, within, between, share_within, share_between, n_groups,
    n_units`` (+ ``Gnb, Gt`` for the Gini: between = Gnb + Gt, Dagum 1997). By construction total = within +
    between for all three (Theil: Shorrocks 1980 additive decomposability; Dagum: G = Gw + Gnb + Gt). Groups
    with one member (a municipality among provinces) add no within part. Theil L (needs y > 0) is computed
    only when every value is positive; otherwise its rows are absent. Dagum's within part weights each group
    by p_j s_j (≈ 1/k for k groups), so its share is not comparable with the Theil within share. Gaps raise
    :class:`~nqpf.errors.DataError` as in :func:`theil`; drop missing rows first.
    """
    out = []
    strict_ok = bool((pd.to_numeric(df[value], errors="coerce") > 0).all()) if value in df.columns else False
    measures = ["T", "L"] if strict_ok else ["T"]
    ng = df.groupby(period)[group].nunique() if period else pd.Series({"all": df[group].nunique()})
    nu = df.groupby(period).size() if period else pd.Series({"all": len(df)})
    for m in measures:
        t = theil(df, value, group, period, weight, measure=m, unit=unit)
        for per, sub in t.groupby("period", sort=True):
            c = dict(zip(sub["component"], sub["value"], strict=True))
            out.append(
                dict(period=per, measure=m, total=c["total"], within=c["within"], between=c["between"],
                     share_within=c["share:within"], share_between=c["share:between"], Gnb=np.nan, Gt=np.nan)
            )  # fmt: skip
    d = dagum(df, value, group, period, weight, unit=unit)
    for per, sub in d.groupby("period", sort=True):
        c = dict(zip(sub["component"], sub["value"], strict=True))
        out.append(
            dict(period=per, measure="Gini", total=c["G"], within=c["Gw"], between=c["Gb"],
                 share_within=c["share:Gw"], share_between=c["share:Gnb"] + c["share:Gt"], Gnb=c["Gnb"],
                 Gt=c["Gt"])
        )  # fmt: skip
    res = pd.DataFrame(out)
    res["n_groups"] = res["period"].map(ng).astype("int64")
    res["n_units"] = res["period"].map(nu).astype("int64")
    res = res.sort_values(["period", "measure"], kind="mergesort").reset_index(drop=True)
    res.attrs["manifest"] = manifest(
        "within_between", value=value, group=group, period=period, weight=weight, measures=measures + ["Gini"]
    )
    return res
