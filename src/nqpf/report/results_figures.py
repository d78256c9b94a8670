"""The standard figures of every result kind (:func:`plot`, :data:`PLOTS`; :mod:`nqpf.report.results` is
the public entry point), drawn by :mod:`nqpf.report.figures` from the tables of :mod:`.results_summary`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf._protocol import result_kind
from nqpf.errors import DataError, MethodError
from nqpf.report.results_summary import (
    _L,
    _dea_summary,
    _index_summary,
    _intervals_summary,
    _malmquist_summary,
    _names,
)

# the standard figures of each kind; the first is the default of ``plot``
PLOTS: dict[str, tuple[str, ...]] = {
    "index": ("ranking", "trend", "radar", "map"),
    "uncertainty": ("intervals",),
    "dea": ("ranking",),
    "malmquist": ("trend", "ranking"),
    "sfa": ("ranking",),
    "sigma": ("trend",),
    "dagum": ("contributions", "trend"),
    "kde": ("density",),
}


# ---------------------------------------------------------------------------------------------- figures
def plot(obj: Any, kind: str | None = None, *, lang: str = "en", path: str | Path | None = None,
         fmt: str | None = None, **kw):
    """The standard figure ``kind`` of ``obj`` (:data:`PLOTS`; default the first of its kind) via
    :mod:`nqpf.report.figures`: PNG/SVG at ``path`` (format from the suffix), or the bytes of ``fmt`` (SVG by
    default) when ``path`` is None. Keywords by figure: ranking — ``period``, ``uncertainty``, ``top``;
    trend — ``units`` (default: the three first and last); radar — ``unit`` (required), ``period``; map —
    ``period``; density — ``periods``."""
    rk = result_kind(obj)
    if rk == "rank_intervals":
        rk = "uncertainty"
    kinds = PLOTS.get(rk)
    if not kinds:
        raise MethodError(f"no standard figure for a {rk} result; figures exist for {sorted(PLOTS)}")
    kind = kinds[0] if kind is None else kind
    if kind not in kinds:
        raise DataError(f"plot kind {kind!r} does not exist for a {rk} result; choose one of {list(kinds)}")
    L = _L(lang)
    return _PLOTTERS[(rk, kind)](obj, L, lang, path=path, fmt=fmt, **kw)


def _save_args(path, fmt):
    return {"path": path, "fmt": fmt}


def _index_ranking(res, L, lang, *, path=None, fmt=None, period=None, uncertainty=None, top=None,
                   unit_names=None):
    from nqpf.report import figures as F

    tab = _index_summary(res, L, lang, period=period, uncertainty=uncertainty, unit_names=unit_names, top=top)
    name = L("report.col.name") if L("report.col.name") in tab else L("report.col.unit")
    lo, hi, sc = L("report.col.rank_p05"), L("report.col.rank_p95"), L("report.col.score")
    if lo in tab:  # rank intervals on the rank axis (1 at the top)
        return F.rank_intervals(tab, label=name, rank=L("report.col.rank"), lo=lo, hi=hi,
                                title=tab.attrs["caption"], xlabel=L("report.col.rank"), lang=lang,
                                **_save_args(path, fmt))
    return F.bar_ranking(tab, label=name, value=sc, title=tab.attrs["caption"], xlabel=sc, lang=lang,
                         **_save_args(path, fmt))


def _default_units(panel: pd.DataFrame, value: str, k: int = 3) -> list[str]:
    last = panel[panel["period"] == panel["period"].max()].sort_values(value, ascending=False, kind="mergesort")
    u = last["unit"].astype(str).tolist()
    return u[:k] + [x for x in u[-k:] if x not in u[:k]]


def _index_trend(res, L, lang, *, path=None, fmt=None, units=None, unit_names=None):
    from nqpf.report import figures as F

    sc = res.index_scores().assign(unit=lambda d: d["unit"].astype(str))
    units = [str(u) for u in units] if units is not None else _default_units(sc, "score")
    bad = sorted(set(units) - set(sc["unit"]))
    if bad:
        raise DataError(f"unit(s) {bad} are not in the result")
    names = _names(sc["unit"], lang, unit_names)
    d = sc[sc["unit"].isin(units)].assign(series=lambda x: x["unit"].map(lambda u: names.get(u, u)))
    d = d.sort_values(["unit", "period"])
    fw = res.framework
    return F.line_trend(d, x="period", y="score", series="series", title=fw.label(fw.root, lang),
                        ylabel=L("report.col.score"), lang=lang, **_save_args(path, fmt))


def _index_radar(res, L, lang, *, path=None, fmt=None, unit=None, period=None, unit_names=None):
    from nqpf.report import figures as F

    if unit is None:
        raise DataError("a radar figure needs unit=… (the unit to profile against the mean of all units)")
    fw = res.framework
    per = int(res.years.max()) if period is None else int(period)
    st = res.score_table()
    if (str(unit), per) not in st.index:
        raise DataError(f"unit {unit!r} in period {per} is not in the result")
    dims = fw.children(fw.root)
    cur = st.xs(per, level="period")
    names = _names(cur.index, lang, unit_names)
    prof = pd.DataFrame({"axis": [fw.label(d, lang) for d in dims],
                         names.get(str(unit), str(unit)): cur.loc[str(unit), dims].to_numpy(float),
                         L("report.col.national_mean"): cur[dims].mean().to_numpy(float)})
    return F.radar(prof, axis="axis", series=list(prof.columns[1:]), title=L("report.res.radar_title", year=per),
                   lang=lang, **_save_args(path, fmt))


def _index_map(res, L, lang, *, path=None, fmt=None, period=None):
    from nqpf.report import figures as F

    per = int(res.years.max()) if period is None else int(period)
    sc = res.index_scores()
    v = sc[sc["period"] == per].assign(unit=lambda d: d["unit"].astype(str)).set_index("unit")["score"]
    return F.china_map(v, title=L("report.caption.map", year=per), legend=L("report.col.score"), lang=lang,
                       **_save_args(path, fmt))


def _unc_intervals(obj, L, lang, *, path=None, fmt=None, period=None, unit_names=None):
    from nqpf.report import figures as F

    tab = _intervals_summary(obj, L, lang, period=period, unit_names=unit_names)
    name = L("report.col.name") if L("report.col.name") in tab else L("report.col.unit")
    return F.rank_intervals(tab, label=name, rank=L("report.unc.col.nominal"), lo=L("report.col.rank_p05"),
                            hi=L("report.col.rank_p95"), title=tab.attrs["caption"], xlabel=L("report.col.rank"),
                            lang=lang, **_save_args(path, fmt))


def _dea_ranking(df, L, lang, *, path=None, fmt=None, period=None, unit_names=None):
    from nqpf.report import figures as F

    d = df
    if "period" in df:
        per = df["period"].max() if period is None else period
        d = df[df["period"] == per]
    tab = _dea_summary(d, L, lang, unit_names=unit_names)
    name = L("report.col.name") if L("report.col.name") in tab else L("report.col.unit")
    return F.bar_ranking(tab, label=name, value=L("report.col.efficiency"), title=tab.attrs["caption"],
                         xlabel=L("report.col.efficiency"), lang=lang, **_save_args(path, fmt))


def _malm_trend(df, L, lang, *, path=None, fmt=None, units=None, unit_names=None):
    from nqpf.report import figures as F

    d = df.assign(unit=df["unit"].astype(str)).dropna(subset=["cum_tfpch"])
    units = [str(u) for u in units] if units is not None else _default_units(d, "cum_tfpch")
    names = _names(d["unit"], lang, unit_names)
    d = d[d["unit"].isin(units)].assign(series=lambda x: x["unit"].map(lambda u: names.get(u, u)))
    return F.line_trend(d.sort_values(["unit", "period"]), x="period", y="cum_tfpch", series="series",
                        title=L("report.res.caption_cum"), ylabel=L("report.res.cum_tfpch"), lang=lang,
                        **_save_args(path, fmt))


def _malm_ranking(df, L, lang, *, path=None, fmt=None, unit_names=None):
    from nqpf.report import figures as F

    tab = _malmquist_summary(df, L, lang, unit_names=unit_names).iloc[:-1]  # without the all-units row
    name = L("report.col.name") if L("report.col.name") in tab else L("report.col.unit")
    return F.bar_ranking(tab, label=name, value=L("report.res.tfpch"), title=tab.attrs["caption"],
                         xlabel=L("report.res.tfpch"), lang=lang, **_save_args(path, fmt))


def _sfa_ranking(res, L, lang, *, path=None, fmt=None, unit_names=None):
    from nqpf.report import figures as F

    e = res.efficiencies.assign(unit=res.efficiencies["unit"].astype(str)).groupby("unit")["efficiency_bc"].mean()
    names = _names(e.index, lang, unit_names)
    tab = pd.DataFrame({"name": [names.get(u, u) for u in e.index], "eff": e.to_numpy(float)})
    return F.bar_ranking(tab, label="name", value="eff", title=L("report.res.caption_sfa_eff"),
                         xlabel=L("report.col.efficiency"), lang=lang, **_save_args(path, fmt))


def _sigma_trend(df, L, lang, *, path=None, fmt=None):
    from nqpf.report import figures as F

    long = pd.concat([pd.DataFrame({"period": df["period"], "v": df["sigma_log"], "s": "σ (ln)"}),
                      pd.DataFrame({"period": df["period"], "v": df["cv"], "s": "CV"})], ignore_index=True)
    return F.line_trend(long, x="period", y="v", series="s", title=L("report.caption.sigma"), lang=lang,
                        **_save_args(path, fmt))


def _dagum_lines(df, L, lang, comps, title, ylabel, path, fmt):
    from nqpf.report import figures as F

    lab = {"G": L("report.col.gini"), "Gw": L("report.col.gw"), "Gnb": L("report.col.gnb"),
           "Gt": L("report.col.gt"), "share:Gw": L("report.col.share_gw"),
           "share:Gnb": L("report.col.share_gnb"), "share:Gt": L("report.col.share_gt")}
    d = df[df["component"].isin(comps)].assign(series=lambda x: x["component"].map(lab))
    d = d.assign(_o=d["component"].map({c: i for i, c in enumerate(comps)})).sort_values(["_o", "period"])
    return F.line_trend(d, x="period", y="value", series="series", title=title, ylabel=ylabel, lang=lang,
                        **_save_args(path, fmt))


def _dagum_contrib(df, L, lang, *, path=None, fmt=None):
    return _dagum_lines(df, L, lang, ["share:Gw", "share:Gnb", "share:Gt"], L("report.res.caption_dagum_share"),
                        L("report.res.share"), path, fmt)


def _dagum_trend(df, L, lang, *, path=None, fmt=None):
    return _dagum_lines(df, L, lang, ["G", "Gw", "Gnb", "Gt"], L("report.caption.dagum"), L("report.col.gini"),
                        path, fmt)


def _kde_density(df, L, lang, *, path=None, fmt=None, periods=None):
    from nqpf.report import figures as F

    pers = sorted(df["period"].unique())
    if periods is None:  # at most five periods, evenly spread and always the first and the last
        k = min(5, len(pers))
        periods = [pers[int(round(i))] for i in np.linspace(0, len(pers) - 1, k)]
    d = df[df["period"].isin(periods)].assign(series=lambda x: x["period"].astype(str))
    return F.line_trend(d, x="x", y="density", series="series", title=L("report.res.caption_kde"),
                        ylabel=L("report.res.density"), lang=lang, marker=None, **_save_args(path, fmt))


_PLOTTERS = {("index", "ranking"): _index_ranking, ("index", "trend"): _index_trend,
             ("index", "radar"): _index_radar, ("index", "map"): _index_map,
             ("uncertainty", "intervals"): _unc_intervals, ("dea", "ranking"): _dea_ranking,
             ("malmquist", "trend"): _malm_trend, ("malmquist", "ranking"): _malm_ranking,
             ("sfa", "ranking"): _sfa_ranking, ("sigma", "trend"): _sigma_trend,
             ("dagum", "contributions"): _dagum_contrib, ("dagum", "trend"): _dagum_trend,
             ("kde", "density"): _kde_density}
