"""Growth accounting: the Solow residual with time-varying factor shares and its Törnqvist form.

For unit *i* and consecutive years *t−1, t* (log differences, Δx = ln x_t − ln x_{t−1})::

    Δln A = Δln Y − (1 − s̄) Δln K − s̄ Δln L,      L = E · H · h  (persons × hours × human capital)

with the labour share ``s̄``:

* ``tornqvist``: s̄ = (s_{t−1} + s_t)/2 (Törnqvist index; Diewert 1976, exact for a translog technology) —
  the form Penn World Table uses for ``rtfpna`` with ``labsh``, capital services ``rkna`` and labour ``emp·avh·hc``
  (Feenstra, Inklaar & Timmer 2015, AER 105(10), section on TFP; PWT 10 user guide);
* ``solow``: s̄ = s_{t−1}, the discrete Solow (1957) residual with the share of the base year.

Constant returns are imposed (capital share = 1 − labour share). A constant share may be given instead of a
share column. ``tfp_index`` chains exp(Δln A) from 1 in each unit's first year.

Output (:attr:`GrowthResult.table`), one row per unit and later year of a pair: ``unit, period, dln_y, dln_k,
dln_l, s_l, contrib_k, contrib_l, contrib_emp, contrib_hours, contrib_hc, tfp_growth, tfp_index, note``;
identity ``dln_y = contrib_k + contrib_l + tfp_growth`` holds row by row. A pair with a missing input yields
NaN growth with the reason in ``note`` (never a silent NaN).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nqpf._util import package_versions
from nqpf.data.parse import period_column
from nqpf.errors import DataError, MethodError

METHODS = ("tornqvist", "solow")


@dataclass
class GrowthResult:
    """Growth-accounting result: tidy ``table`` and a ``manifest`` of settings."""

    table: pd.DataFrame
    manifest: dict = field(default_factory=dict)


def _as_wide(data: pd.DataFrame, unit: str, period: str, cols: list[str]) -> pd.DataFrame:
    """Accept a long panel (unit, period, indicator, value) or a wide table with ``unit``/``period`` columns."""
    if {"indicator", "value"} <= set(data.columns) and not set(cols) <= set(data.columns):
        missing = sorted(set(cols) - set(data["indicator"].astype(str)))
        if missing:
            raise DataError(
                f"growth accounting: indicator(s) {missing} not in the data; available: "
                f"{sorted(data['indicator'].astype(str).unique())[:30]} …"
            )
        sub = data[data["indicator"].isin(cols)]
        wide = sub.pivot_table(
            index=["unit", "period"], columns="indicator", values="value", aggfunc="first", dropna=False
        ).reset_index()
        wide.columns.name = None
        return wide.rename(columns={"unit": unit, "period": period})
    missing = [c for c in [unit, period, *cols] if c not in data.columns]
    if missing:
        raise DataError(f"growth accounting: column(s) {missing} not found; columns are {list(data.columns)}")
    return data[[unit, period, *cols]].copy()


_NUMERIC = (
    "dln_y",
    "dln_k",
    "dln_l",
    "s_l",
    "contrib_k",
    "contrib_emp",
    "contrib_hours",
    "contrib_hc",
    "contrib_l",
    "tfp_growth",
)
_COLUMNS = (
    "unit",
    "period",
    "dln_y",
    "dln_k",
    "dln_l",
    "s_l",
    "contrib_k",
    "contrib_l",
    "contrib_emp",
    "contrib_hours",
    "contrib_hc",
    "tfp_growth",
    "tfp_index",
    "note",
)


def _check_settings(method: str, share: str | None, labour_share: float | None) -> None:
    """Refuse an unknown method, both or neither of ``share``/``labour_share``, a share outside (0, 1)."""
    if method not in METHODS:
        raise MethodError(f"growth accounting: method {method!r} unknown; use one of {METHODS}")
    if (share is None) == (labour_share is None):
        raise MethodError(
            "growth accounting: give exactly one of share (a column such as labsh) or labour_share (a constant)"
        )
    if labour_share is not None and not 0 < labour_share < 1:
        raise MethodError(f"growth accounting: labour_share must lie in (0, 1), got {labour_share}")


def _validated(
    data: pd.DataFrame, unit: str, period: str, cols: list[str], share: str | None
) -> pd.DataFrame:
    """The wide table sorted by unit and period, numeric ``cols``; refuses repeated unit/period rows,
    non-positive values and a share outside (0, 1), naming the unit and period."""
    df = _as_wide(data, unit, period, cols)
    df[period] = period_column(df[period], column=period, context="growth accounting", units=df[unit])
    if df.duplicated([unit, period]).any():
        d = df[df.duplicated([unit, period], keep=False)].iloc[0]
        raise DataError(f"growth accounting: unit {d[unit]!r} has more than one row for period {d[period]}")
    for c in cols:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
        pos_required = c != share
        bad = df[(df[c] <= 0)] if pos_required else df[(df[c] <= 0) | (df[c] >= 1)]
        if len(bad):
            r = bad.iloc[0]
            need = "positive (logs are taken)" if pos_required else "a share in (0, 1)"
            raise DataError(
                f"growth accounting: unit {r[unit]!r}, period {r[period]}: {c} = {r[c]} must be {need} "
                f"({len(bad)} such row(s)); fix or drop those rows"
            )
    return df.sort_values([unit, period]).reset_index(drop=True)


def _contributions(
    df: pd.DataFrame, unit: str, period: str, factors: dict[str, str | None], s_l: pd.Series, method: str
) -> pd.DataFrame:
    """Log changes and factor contributions (module docstring); ``factors`` maps y, k, emp, hours, hc to
    columns (hours, hc may be None)."""
    lg = {c: np.log(df[c]) for c in factors.values() if c}
    d = {c: v - v.groupby(df[unit]).shift(1) for c, v in lg.items()}
    s_prev = s_l.groupby(df[unit]).shift(1)
    s_bar = (s_l + s_prev) / 2 if method == "tornqvist" else s_prev
    hours, hc = factors["hours"], factors["hc"]
    out = pd.DataFrame({"unit": df[unit].astype(str), "period": df[period]})
    out["dln_y"] = d[factors["y"]]
    out["dln_k"] = d[factors["k"]]
    comp = {"emp": d[factors["emp"]], "hours": d[hours] if hours else 0.0, "hc": d[hc] if hc else 0.0}
    out["dln_l"] = comp["emp"] + comp["hours"] + comp["hc"]
    out["s_l"] = s_bar
    out["contrib_k"] = (1 - s_bar) * out["dln_k"]
    out["contrib_emp"] = s_bar * comp["emp"]
    out["contrib_hours"] = s_bar * comp["hours"] if hours else 0.0
    out["contrib_hc"] = s_bar * comp["hc"] if hc else 0.0
    out["contrib_l"] = s_bar * out["dln_l"]
    out["tfp_growth"] = out["dln_y"] - out["contrib_k"] - out["contrib_l"]
    return out


def _notes(
    df: pd.DataFrame, unit: str, period: str, cols: list[str]
) -> tuple[np.ndarray, pd.Series, pd.Series, pd.Series]:
    """Per row: the note (first year, gap, missing inputs), whether it has a consecutive previous year, whether
    an input is missing in either year, and the previous period."""
    prev_period = df.groupby(unit, sort=False)[period].shift(1)
    consecutive = (df[period] - prev_period) == 1
    note = np.where(prev_period.isna(), "first year of unit", "")
    note = np.where(prev_period.notna() & ~consecutive, "gap in years: no growth computed", note)
    has_prev = prev_period.notna() & consecutive
    miss_now = df[cols].isna()
    miss_prev = miss_now.groupby(df[unit]).shift(1, fill_value=False)
    missing_any = (miss_now | miss_prev).any(axis=1) & has_prev
    names = np.array(cols)
    reasons = [
        ("missing " + ",".join(names[(miss_now.values[i] | miss_prev.values[i]).astype(bool)]))
        if missing_any.iloc[i]
        else ""
        for i in range(len(df))
    ]
    return np.where(missing_any, reasons, note), has_prev, missing_any, prev_period


def growth_accounting(
    data: pd.DataFrame,
    *,
    output: str,
    capital: str,
    labour: str,
    hc: str | None = None,
    hours: str | None = None,
    share: str | None = None,
    labour_share: float | None = None,
    method: str = "tornqvist",
    unit: str = "unit",
    period: str = "period",
) -> GrowthResult:
    """TFP growth by unit and year (formula in the module docstring).

    ``share`` names a labour-share column (e.g. PWT ``labsh``); else ``labour_share`` is a constant in (0, 1).
    """
    _check_settings(method, share, labour_share)
    cols = [output, capital, labour] + [c for c in (hc, hours, share) if c]
    df = _validated(data, unit, period, cols, share)
    s_l = df[share] if share else pd.Series(labour_share, index=df.index, dtype=float)
    factors = {"y": output, "k": capital, "emp": labour, "hc": hc, "hours": hours}
    out = _contributions(df, unit, period, factors, s_l, method)
    note, has_prev, missing_any, prev_period = _notes(df, unit, period, cols)
    out.loc[~has_prev | missing_any, list(_NUMERIC)] = np.nan
    out["note"] = note
    # Chained index from each unit's first year; breaks restart nothing (NaN growth propagates as NaN).
    first = ~has_prev & (prev_period.isna())
    gr = out["tfp_growth"].where(~first, 0.0)
    out["tfp_index"] = np.exp(gr.groupby(out["unit"]).cumsum(skipna=False))
    out = out[list(_COLUMNS)]
    manifest = {
        "method": method,
        "output": output,
        "capital": capital,
        "labour": labour,
        "hc": hc,
        "hours": hours,
        "share": share,
        "labour_share": labour_share,
        "returns_to_scale": "constant (capital share = 1 - labour share)",
        "growth": "log differences of consecutive years; period = later year",
        "rows": len(out),
        "units": int(out["unit"].nunique()),
        "versions": package_versions(),
    }
    return GrowthResult(table=out, manifest=manifest)


def compare_with_pwt(
    world: pd.DataFrame, countries: list[str], *, method: str = "tornqvist"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Our TFP growth on PWT inputs vs PWT's own ``rtfpna`` (Δln rtfpna), by country and year.

    Inputs as PWT builds ``rtfpna``: output ``rgdpna``, capital services ``rkna``, labour ``emp × avh × hc``
    (persons × hours × human capital), labour share ``labsh`` (Feenstra, Inklaar & Timmer 2015). With these
    inputs the Törnqvist residual reproduces Δln rtfpna to float32 precision for CHN/USA/DEU/JPN; without
    ``avh`` deviations reach 0.018. ``world`` is the long ``world`` panel.
    Returns (by-year table, summary by country: n, correlation, max |deviation|, mean growth of each).
    """
    need = ["rgdpna", "rkna", "emp", "avh", "hc", "labsh", "rtfpna"]
    sub = world[world["unit"].isin(countries) & world["indicator"].isin(need)]
    missing = sorted(set(countries) - set(sub["unit"]))
    if missing:
        raise DataError(
            f"compare_with_pwt: countries {missing} have no PWT data; use ISO-3 codes such as CHN"
        )
    res = growth_accounting(
        sub, output="rgdpna", capital="rkna", labour="emp", hc="hc", hours="avh", share="labsh", method=method
    )
    t = res.table[["unit", "period", "tfp_growth"]].copy()
    rt = sub[sub["indicator"] == "rtfpna"].sort_values(["unit", "period"])
    rt = rt.assign(pwt_tfp_growth=np.log(rt["value"]) - np.log(rt.groupby("unit")["value"].shift(1)))
    t = t.merge(rt[["unit", "period", "pwt_tfp_growth"]], on=["unit", "period"], how="left")
    t["deviation"] = t["tfp_growth"] - t["pwt_tfp_growth"]
    ok = t.dropna(subset=["tfp_growth", "pwt_tfp_growth"])
    rows = []
    for u, g in ok.groupby("unit"):
        rows.append(
            {
                "unit": u,
                "n_years": len(g),
                "first": int(g["period"].min()),
                "last": int(g["period"].max()),
                "correlation": float(np.corrcoef(g["tfp_growth"], g["pwt_tfp_growth"])[0, 1])
                if len(g) > 2
                else np.nan,
                "max_abs_deviation": float(g["deviation"].abs().max()),
                "mean_tfp_growth": float(g["tfp_growth"].mean()),
                "mean_pwt_tfp_growth": float(g["pwt_tfp_growth"].mean()),
            }
        )
    return t, pd.DataFrame(rows)


def ctfp_levels(world: pd.DataFrame, countries: list[str], years: tuple[int, int]) -> pd.DataFrame:
    """PWT ``ctfp`` (TFP level at current PPPs, USA = 1) for two years, change in %, and CHN relative to others.

    Columns: unit, ctfp_<a>, ctfp_<b>, change_pct, chn_relative_<b> (CHN's ctfp divided by the unit's).
    """
    a, b = years
    sub = world[(world["indicator"] == "ctfp") & world["unit"].isin(countries) & world["period"].isin([a, b])]
    w = sub.pivot(index="unit", columns="period", values="value").reindex(countries)
    for y in (a, b):
        if y not in w.columns:
            raise DataError(f"ctfp_levels: no ctfp for year {y}; PWT 10.01 covers 1950-2019")
    out = pd.DataFrame({"unit": w.index, f"ctfp_{a}": w[a].values, f"ctfp_{b}": w[b].values})
    out["change_pct"] = 100 * (out[f"ctfp_{b}"] / out[f"ctfp_{a}"] - 1)
    chn = w.loc["CHN", b] if "CHN" in w.index else np.nan
    out[f"chn_relative_{b}"] = chn / out[f"ctfp_{b}"]
    return out.reset_index(drop=True)
