"""Domar-weighted aggregation of industry TFP growth and the ICT-producing industries' share (CIP 4.0).

Domar (1961) / Hulten (1978): aggregate (value-added) TFP growth equals the sum of industry gross-output TFP
growth weighted by Domar weights, d_j = P_j Y_j / Σ_k P_k V_k (industry gross output over aggregate value
added), two-period averaged in discrete time::

    Δln A = Σ_j d̄_j · Δln A_j^{GO},       d̄_j = ½ (d_{j,t} + d_{j,t−1}),   Σ_j d̄_j > 1.

Jorgenson, Ho & Stiroh (2005, *Information Technology and the American Growth Resurgence*, ch. 8) add
reallocation terms (of value added, capital and labour across industries) to reach the aggregate-production-
possibility-frontier TFP; CIP's ``TOTAL`` row of ``tfp_va`` is that aggregate, so ``TOTAL − Domar sum`` is the
reallocation effect (reported, not hidden).

The ICT-producing share is ``Σ_{j∈ICT} d̄_j Δln A_j / Σ_j d̄_j Δln A_j``; by period it is the ratio of the
cumulated contributions (sums of log points), not an average of yearly ratios, because yearly ratios explode
when aggregate TFP growth is near zero.

Input: the long ``cn_industries`` panel (units CIP01..CIP37, TOTAL; indicators go_nominal, va_nominal, tfp_go,
tfp_va) or any panel with those indicators.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nqpf._util import package_versions
from nqpf.errors import DataError, MethodError

ICT_CORE = ("CIP21", "CIP30")
ICT_PARTIAL = ("CIP22",)
DEFAULT_PERIODS = (
    (1988, 1991),
    (1992, 2001),
    (2002, 2007),
    (2008, 2012),
    (2013, 2017),
    (2012, 2012),
    (1988, 2017),
)
THEORY_2012_SHARE = (
    33.2  # seed 003 §4.1 (CAICT figure; digital economy's contribution to TFP growth, 2012, %)
)


@dataclass
class DomarResult:
    """``industries``: unit, period, domar_weight, tfp_go, contribution; ``aggregate``: period, domar_tfp,
    total_tfp_va (CIP's own aggregate), reallocation, sum_domar_weights; ``manifest``."""

    industries: pd.DataFrame
    aggregate: pd.DataFrame
    manifest: dict = field(default_factory=dict)


def _wide(data: pd.DataFrame, needed: list[str]) -> pd.DataFrame:
    missing = sorted(set(needed) - set(data["indicator"].astype(str)))
    if missing:
        raise DataError(
            f"Domar aggregation: indicator(s) {missing} missing; load the cn_industries dataset "
            "(nqpf.datasets.load('cn_industries')) or provide them"
        )
    w = data[data["indicator"].isin(needed)].pivot_table(
        index=["unit", "period"], columns="indicator", values="value", dropna=False
    )
    w.columns.name = None
    return w


def domar_weights(data: pd.DataFrame, *, total: str = "TOTAL") -> pd.DataFrame:
    """Two-period-average Domar weights by industry and year (formula in the module docstring)."""
    w = _wide(data, ["go_nominal", "va_nominal"])
    if total not in w.index.get_level_values(0):
        raise DataError(f"Domar weights: no total-economy unit {total!r}; aggregate value added is needed")
    agg_va = w.xs(total, level=0)["va_nominal"]
    go = w.drop(index=total, level=0)["go_nominal"]
    if (go <= 0).any():
        bad = go[go <= 0].index[0]
        raise DataError(f"Domar weights: unit {bad[0]!r}, period {bad[1]}: gross output must be positive")
    ratio = go / agg_va.reindex(go.index.get_level_values(1)).values
    d = (ratio + ratio.groupby(level=0).shift(1)) / 2
    return d.rename("domar_weight").reset_index()


def domar_aggregate(data: pd.DataFrame, *, tfp: str = "tfp_go", total: str = "TOTAL") -> DomarResult:
    """Industry contributions d̄_j Δln A_j and their sum by year, with CIP's aggregate and the gap."""
    dw = domar_weights(data, total=total)
    w = _wide(data, [tfp, "tfp_va"])
    ind = dw.merge(w[tfp].rename("tfp_go").reset_index(), on=["unit", "period"], how="left")
    ind["contribution"] = ind["domar_weight"] * ind["tfp_go"]
    valid = ind.dropna(subset=["contribution"])
    agg = (
        valid.groupby("period")
        .agg(
            domar_tfp=("contribution", "sum"),
            sum_domar_weights=("domar_weight", "sum"),
            n_industries=("unit", "nunique"),
        )
        .reset_index()
    )
    tot = w.xs(total, level=0)["tfp_va"].rename("total_tfp_va").reset_index()
    agg = agg.merge(tot, on="period", how="left")
    agg["reallocation"] = agg["total_tfp_va"] - agg["domar_tfp"]
    manifest = {
        "tfp": tfp,
        "weights": "two-period average Domar weights (GO_j / aggregate VA)",
        "total_unit": total,
        "versions": package_versions(),
    }
    return DomarResult(industries=ind, aggregate=agg, manifest=manifest)


def ict_share(
    data: pd.DataFrame,
    *,
    ict: tuple[str, ...] = ICT_CORE,
    periods: tuple[tuple[int, int], ...] = DEFAULT_PERIODS,
    total: str = "TOTAL",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ICT-producing industries' contribution to aggregate TFP growth, by year and by period.

    Returns (by_year, by_period). by_year: period, ict_contribution, domar_tfp, total_tfp_va, share_domar_pct
    (ICT / Domar sum), share_total_pct (ICT / CIP aggregate), unstable (|denominator| < 0.005, i.e. half a
    log point, where ratios are not meaningful). by_period: start, end, years, ict_cum, domar_cum, total_cum,
    share_domar_pct, share_total_pct, interpretable (both cumulated aggregates > 0.005).
    """
    res = domar_aggregate(data, total=total)
    known = set(res.industries["unit"])
    unknown = [u for u in ict if u not in known]
    if unknown:
        raise MethodError(f"ICT share: industries {unknown} not in the data (known e.g. {sorted(known)[:5]})")
    ictc = (
        res.industries[res.industries["unit"].isin(ict)]
        .groupby("period")["contribution"]
        .sum(min_count=1)
        .rename("ict_contribution")
        .reset_index()
    )
    by_year = ictc.merge(res.aggregate[["period", "domar_tfp", "total_tfp_va"]], on="period")
    by_year["share_domar_pct"] = 100 * by_year["ict_contribution"] / by_year["domar_tfp"]
    by_year["share_total_pct"] = 100 * by_year["ict_contribution"] / by_year["total_tfp_va"]
    by_year["unstable"] = (by_year["domar_tfp"].abs() < 0.005) | (by_year["total_tfp_va"].abs() < 0.005)
    rows = []
    for a, b in periods:
        g = by_year[(by_year["period"] >= a) & (by_year["period"] <= b)]
        if g.empty:
            continue
        ic, dc, tc = g["ict_contribution"].sum(), g["domar_tfp"].sum(), g["total_tfp_va"].sum()
        rows.append(
            {
                "start": a,
                "end": b,
                "years": len(g),
                "ict_cum": ic,
                "domar_cum": dc,
                "total_cum": tc,
                "share_domar_pct": 100 * ic / dc if dc != 0 else np.nan,
                "share_total_pct": 100 * ic / tc if tc != 0 else np.nan,
                # a share of a negative or near-zero aggregate is not a share
                "interpretable": bool(dc > 0.005 and tc > 0.005),
            }
        )
    return by_year, pd.DataFrame(rows)
