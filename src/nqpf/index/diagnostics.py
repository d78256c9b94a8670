"""Diagnostics that catch artefacts in a composite index (``diagnose(result)`` → :class:`Diagnostics`).

Checks (each row of ``Diagnostics.flags`` names the check, unit, period, indicator and the evidence):

``weight_concentration``  effective leaf weights ``w``: largest, top three, Herfindahl ``H = Σ w²`` and the
                          effective number of indicators ``1/H``; flagged when one leaf carries more than
                          ``max_leaf`` (15 %) or the top three more than ``max_top3`` (40 %) — limits raised to
                          1.5× the equal-weight level for small frameworks (fewer than 10 leaves).
``single_driver``         a unit's advantage over the period's average unit, ``g = Σ_l w_l (z_ul − z̄_l)``, split
                          into leaf parts ``d_l = w_l (z_ul − z̄_l)``; flagged when ``g > 0``, the largest part is
                          at least ``driver_share`` (50 %) of the positive parts, and setting that leaf to the
                          average unit's value would cost the unit ``rank_jump`` (5) places or more — one
                          indicator explains most of its rank.
``outlier``               robust z of a leaf value over all unit-periods, ``(x − median)/(1.4826·MAD)``, beyond
                          ``robust_z`` (5) (MAD = 0: mean absolute deviation × 1.2533 instead), on the values fed
                          to normalisation (after outlier treatment); ``value`` is that treated value.
``small_denominator``     a ratio leaf (``a / b``: its own formula or the dataset catalogue's) whose denominator
                          is below ``small_share`` (20 %) of the period's median denominator while the unit is in
                          the period's top five on that leaf — a tiny base, not a large numerator, may drive it.
``rank_jump``             the root rank moves by ``rank_jump`` (5) places or more between consecutive periods;
                          the detail names the three leaves whose parts ``d_l`` changed most in that direction.
``long_imputation``       a cell filled more than ``max_fill_years`` (2) from the nearest observed year of the
                          same unit and indicator, or for a unit never observed on that indicator.

The decomposition is exact for arithmetic aggregation with the ``leaves`` scope (the index is ``Σ w_l z_l``);
for other aggregations the parts are the same first-order shares and the detail says so.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

FLAG_COLUMNS = ["check", "unit", "period", "indicator", "value", "detail"]
DEFAULTS: dict[str, float] = {
    "max_leaf": 0.15,
    "max_top3": 0.40,
    "driver_share": 0.5,
    "robust_z": 5.0,
    "small_share": 0.2,
    "rank_jump": 5,
    "max_fill_years": 2,
}


@dataclass
class Diagnostics:
    """``concentration`` (dict), ``weights`` (leaf, effective_weight, largest first), ``drivers`` (unit, period,
    rank, score, advantage, top_indicator, top_share, rank_without_top), ``flags`` (check, unit, period, indicator, value,
    detail), ``settings`` (thresholds used)."""

    concentration: dict[str, Any]
    weights: pd.DataFrame
    drivers: pd.DataFrame
    flags: pd.DataFrame
    settings: dict[str, float] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Number of flags per check (every check listed, 0 when clean)."""
        c = self.flags["check"].value_counts()
        checks = ["weight_concentration", "single_driver", "outlier", "small_denominator", "rank_jump",
                  "long_imputation"]
        return {k: int(c.get(k, 0)) for k in checks}

    def messages(self) -> list[str]:
        """One line per check that found something (English; reports use the i18n catalogue)."""
        out = []
        cc = self.concentration
        if cc["flagged"]:
            out.append(
                f"weight concentration: largest leaf {cc['max_leaf']} carries {cc['max_weight']:.1%}, top three "
                f"{cc['top3_weight']:.1%} (Herfindahl {cc['herfindahl']:.3f}, {cc['effective_number']:.1f} "
                "effective indicators)"
            )
        for k, n in self.counts().items():
            if n and k != "weight_concentration":
                out.append(f"{k}: {n} flag(s)")
        return out


def concentration(leaf_weights: pd.Series, *, max_leaf: float = 0.15, max_top3: float = 0.40) -> dict[str, Any]:
    """Concentration of effective leaf weights (normalised to sum 1). With few leaves even equal weights
    exceed the limits, so they are raised to 1.5× the equal-weight level: ``max(max_leaf, 1.5/L)`` and
    ``max(max_top3, 1.5·min(3, L)/L)``."""
    w = leaf_weights.astype(float)
    w = w / w.sum()
    s = w.sort_values(ascending=False)
    L = len(w)
    h = float((w**2).sum())
    top3 = float(s.iloc[:3].sum())
    lim1 = max(max_leaf, 1.5 / L)
    lim3 = max(max_top3, 1.5 * min(3, L) / L)
    return {
        "max_leaf": str(s.index[0]),
        "max_weight": float(s.iloc[0]),
        "top3": [str(x) for x in s.index[:3]],
        "top3_weight": top3,
        "herfindahl": h,
        "effective_number": 1.0 / h,
        "flagged": bool(s.iloc[0] > lim1 + 1e-12 or (L > 3 and top3 > lim3 + 1e-12)),
        "limits": {"max_leaf": lim1, "max_top3": lim3},
    }


def robust_z(x: np.ndarray) -> np.ndarray:
    """Robust z per column: ``(x − median)/(1.4826·MAD)``; MAD = 0 → mean absolute deviation × 1.2533."""
    x = np.asarray(x, dtype=float)
    med = np.nanmedian(x, axis=0)
    dev = np.abs(x - med)
    mad = 1.4826 * np.nanmedian(dev, axis=0)
    alt = 1.2533 * np.nanmean(dev, axis=0)
    scale = np.where(mad > 0, mad, alt)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale > 0, (x - med) / np.where(scale > 0, scale, 1.0), 0.0)


def denominator_of(formula: str | None) -> str | None:
    """The series a ratio formula divides by (``"a / b * 100"`` → ``"b"``), else None."""
    if not formula:
        return None
    try:
        tree = ast.parse(str(formula), mode="eval")
    except SyntaxError:
        return None
    for sub in ast.walk(tree):
        if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Div) and isinstance(sub.right, ast.Name):
            return sub.right.id
    return None


def _leaf_formulas(res, catalogue: pd.DataFrame | None) -> dict[str, str]:
    fw = res.framework
    cat = {}
    if catalogue is not None and {"indicator", "formula"} <= set(catalogue.columns):
        cat = {str(r.indicator): str(r.formula) for r in catalogue.itertuples() if isinstance(r.formula, str)}
    out = {}
    for leaf in fw.leaves:
        node = fw.node(leaf)
        f = node.get("formula")
        if not f:
            f = cat.get(str(node.get("series") or leaf))
        if f:
            out[leaf] = str(f)
    return out


def _series_block(data, names: list[str], units, years) -> dict[str, np.ndarray]:
    """Values of raw series ``names`` on the result's unit × period grid (NaN where absent)."""
    if data is None or not names:
        return {}
    long = data.data if hasattr(data, "data") else data
    if not {"unit", "period", "indicator", "value"} <= set(getattr(long, "columns", [])):
        return {}
    sub = long[long["indicator"].astype(str).isin(names)]
    w = sub.pivot_table(index=["unit", "period"], columns="indicator", values="value", aggfunc="first")
    w.index = pd.MultiIndex.from_arrays(
        [w.index.get_level_values(0).astype(str), w.index.get_level_values(1).astype(int)]
    )
    grid = pd.MultiIndex.from_arrays([np.asarray(units).astype(str), np.asarray(years).astype(int)])
    w = w.reindex(grid)
    return {n: w[n].to_numpy(dtype=float) for n in names if n in w.columns}


def _concentration_flag(conc: dict) -> list[dict]:
    if not conc["flagged"]:
        return []
    return [
        {"check": "weight_concentration", "unit": "", "period": np.nan, "indicator": conc["max_leaf"],
         "value": conc["max_weight"],
         "detail": f"largest {conc['max_weight']:.3f} (limit {conc['limits']['max_leaf']:.3f}), top three "
                   f"{conc['top3_weight']:.3f} (limit {conc['limits']['max_top3']:.3f}): "
                   f"{', '.join(conc['top3'])}"}
    ]


def _drivers(res, ew: pd.Series, th: dict) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, list[dict]]:
    """(leaf parts D (U × T × L), root ranks (U × T), drivers table, single-driver flags)."""
    fw, leaves = res.framework, res.framework.leaves
    U, T, L = len(res.unit_labels), len(res.years), len(leaves)
    w = ew.to_numpy() / ew.sum()
    Z = res.Z.reshape(U, T, L)
    D = (Z - Z.mean(axis=0, keepdims=True)) * w  # leaf parts of each unit's advantage over the period's average
    gap = D.sum(axis=2)
    ci = res.node_ids.index(fw.root)
    score = res.S[:, ci].reshape(U, T)
    rank = res.ranks([fw.root])[:, 0].reshape(U, T)
    pos = np.where(D > 0, D, 0.0).sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(pos[..., None] > 0, D / pos[..., None], np.nan)
    top = np.argmax(D, axis=2)
    top_share = np.take_along_axis(share, top[..., None], axis=2)[..., 0]
    d_top = np.take_along_axis(D, top[..., None], axis=2)[..., 0]
    # counterfactual: the unit at the average unit's value on its top leaf, everyone else unchanged
    cf = score - d_top
    cf_rank = 1 + (score[None, :, :] > cf[:, None, :]).sum(axis=1) - (score > cf).astype(int)
    approx = "" if set(res._methods.values()) == {"arithmetic"} and res.settings.get("weight_scope") == "leaves" \
        else " (first-order shares: aggregation is not arithmetic over leaves)"
    drivers = pd.DataFrame(
        {
            "unit": np.repeat(res.unit_labels, T).astype(str),
            "period": np.tile(res.years, U),
            "rank": rank.reshape(-1).astype(int),
            "score": score.reshape(-1),
            "advantage": gap.reshape(-1),
            "top_indicator": np.asarray(leaves, dtype=object)[top.reshape(-1)],
            "top_share": top_share.reshape(-1),
            "rank_without_top": cf_rank.reshape(-1).astype(int),
        }
    )
    sel = (
        (drivers["advantage"] > 0)
        & (drivers["top_share"] >= th["driver_share"])
        & (drivers["rank_without_top"] - drivers["rank"] >= th["rank_jump"])
    )
    flags = [
        {"check": "single_driver", "unit": r.unit, "period": int(r.period), "indicator": r.top_indicator,
         "value": float(r.top_share),
         "detail": f"{r.top_share:.0%} of its gross advantage over the average unit; at the average value "
                   f"of {r.top_indicator} its rank would be {r.rank_without_top} instead of {r.rank}{approx}"}
        for r in drivers[sel].itertuples()
    ]
    return D, rank, drivers, flags


def outlier_raw_values(res) -> np.ndarray | None:
    """The leaf values before imputation and outlier treatment (rows × leaves), or None when not kept."""
    raw = getattr(res, "stages", {}).get("raw")
    return None if raw is None else np.asarray(raw, dtype=float).reshape(-1, len(res.framework.leaves))


def _outlier_flags(res, th: dict) -> list[dict]:
    """Robust-z outliers on the values fed to normalisation (after gap filling and outlier treatment):
    ``value`` is that treated value; the detail adds the raw value when the treatment changed it."""
    leaves = res.framework.leaves
    X = res.X.reshape(-1, len(leaves))
    RAW = outlier_raw_values(res)
    RZ = robust_z(X)
    uu, ll = np.nonzero(np.abs(RZ) > th["robust_z"])

    def detail(i: int, j: int) -> str:
        d = f"robust z = {RZ[i, j]:.1f} on the treated value"
        r = None if RAW is None else RAW[i, j]
        if r is not None and np.isfinite(r) and not np.isclose(r, X[i, j], rtol=1e-12, atol=0.0):
            d += f"; raw value {r:.6g}"
        return d

    return [
        {"check": "outlier", "unit": str(res.units[i]), "period": int(res.periods[i]), "indicator": leaves[j],
         "value": float(X[i, j]), "detail": detail(i, j)}
        for i, j in zip(uu, ll, strict=True)
    ]


def _default_data(res) -> Any:
    name = res.manifest.get("data")
    if isinstance(name, str):
        try:
            import nqpf.datasets as ds

            if name in ds.names():
                return ds.load(name)
        except Exception:  # noqa: BLE001 - diagnostics never fail on a missing optional input
            return None
    return None


def _denominator_flags(res, data: Any, th: dict) -> list[dict]:
    """Small denominators of ratio leaves among the top five units of the leaf."""
    leaves = res.framework.leaves
    U, T = len(res.unit_labels), len(res.years)
    Z = res.Z.reshape(U, T, len(leaves))
    formulas = _leaf_formulas(res, getattr(data, "indicators", None))
    dens = {leaf: denominator_of(f) for leaf, f in formulas.items()}
    dens = {k: v for k, v in dens.items() if v}
    block = _series_block(data, sorted(set(dens.values())), res.units, res.periods)
    flags: list[dict] = []
    for leaf, den in dens.items():
        if den not in block:
            continue
        j = leaves.index(leaf)
        b = block[den].reshape(U, T)
        med = np.nanmedian(b, axis=0, keepdims=True)
        lr = (-Z[:, :, j]).argsort(axis=0).argsort(axis=0) + 1  # rank of each unit on this leaf per period
        hit = (b < th["small_share"] * med) & (lr <= 5)
        for u, t in zip(*np.nonzero(hit), strict=True):
            flags.append(
                {"check": "small_denominator", "unit": str(res.unit_labels[u]), "period": int(res.years[t]),
                 "indicator": leaf, "value": float(b[u, t]),
                 "detail": f"{den} = {b[u, t]:.4g} is {b[u, t] / med[0, t]:.0%} of the period's median; "
                           f"rank {int(lr[u, t])} on {leaf}"}
            )
    return flags


def _jump_flags(res, D: np.ndarray, rank: np.ndarray, th: dict) -> list[dict]:
    """Rank jumps of the root between consecutive periods with the leaf parts that changed most."""
    if len(res.years) < 2:
        return []
    leaves, flags = res.framework.leaves, []
    dr = np.diff(rank, axis=1)
    dD = np.diff(D, axis=1)
    for u, t in zip(*np.nonzero(np.abs(dr) >= th["rank_jump"]), strict=True):
        up = dr[u, t] < 0  # rank number falls = the unit rises
        parts = dD[u, t] if up else -dD[u, t]
        idx = np.argsort(-parts)[:3]
        cause = ", ".join(f"{leaves[k]} ({dD[u, t, k]:+.3f})" for k in idx)
        flags.append(
            {"check": "rank_jump", "unit": str(res.unit_labels[u]), "period": int(res.years[t + 1]),
             "indicator": leaves[idx[0]], "value": float(dr[u, t]),
             "detail": f"rank {int(rank[u, t])} → {int(rank[u, t + 1])}; largest changes of its leaf parts: {cause}"}
        )
    return flags


def _imputation_flags(res, th: dict) -> list[dict]:
    """Cells filled more than ``max_fill_years`` from an observation (or never observed)."""
    log, flags = res.imputation_log, []
    if not len(log):
        return flags
    key = pd.MultiIndex.from_arrays([log["unit"].astype(str), log["indicator"].astype(str)])
    filled = set(zip(log["unit"].astype(str), log["period"].astype(int), log["indicator"].astype(str),
                     strict=True))
    years = res.years
    for (u, ind), grp in log.groupby(key):
        obs = [y for y in years if (u, int(y), ind) not in filled]
        for y, v in zip(grp["period"].astype(int), grp["value"], strict=True):
            dist = min((abs(int(y) - int(o)) for o in obs), default=None)
            if dist is None or dist > th["max_fill_years"]:
                flags.append(
                    {"check": "long_imputation", "unit": u, "period": int(y), "indicator": ind,
                     "value": float(v),
                     "detail": "never observed in the panel; filled by "
                               f"{grp['method'].iloc[0]}" if dist is None
                     else f"{dist} years from the nearest observation; filled by {grp['method'].iloc[0]}"}
                )
    return flags


def diagnose(res, data: Any = None, **thresholds: float) -> Diagnostics:
    """Run every check on an :class:`~nqpf.index.IndexResult` (module docstring). ``data`` (a Dataset or long
    frame; default: the embedded dataset the result was built from, if any) supplies ratio denominators."""
    bad = sorted(set(thresholds) - set(DEFAULTS))
    if bad:
        from nqpf.errors import MethodError

        raise MethodError(f"diagnose: unknown threshold(s) {bad}; known: {sorted(DEFAULTS)}")
    th = {**DEFAULTS, **thresholds}
    ew = res.weights.set_index("node")["effective_weight"].reindex(res.framework.leaves).astype(float)
    conc = concentration(ew, max_leaf=th["max_leaf"], max_top3=th["max_top3"])
    D, rank, drivers, driver_flags = _drivers(res, ew, th)
    flags = _concentration_flag(conc) + driver_flags + _outlier_flags(res, th)
    flags += _denominator_flags(res, _default_data(res) if data is None else data, th)
    flags += _jump_flags(res, D, rank, th) + _imputation_flags(res, th)
    fl = pd.DataFrame(flags, columns=FLAG_COLUMNS)
    wt = ew.sort_values(ascending=False).rename("effective_weight").rename_axis("indicator").reset_index()
    return Diagnostics(concentration=conc, weights=wt, drivers=drivers, flags=fl, settings=th)
