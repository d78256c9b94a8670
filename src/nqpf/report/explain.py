"""National-report sections that explain the index: Theil, kernel densities, spatial autocorrelation and
LISA clusters, Markov dynamics, digital–real coupling, obstacles, forecasts, and the sensitivity audit.

Each section runs one method of :mod:`nqpf.analysis` (or :mod:`nqpf.uncertainty`) on the index result and
says what is missing instead of failing when the data cannot support it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf import _util
from nqpf.errors import NQPFError
from nqpf.i18n import t
from nqpf.report import Chart, Facts, Missing, Section, Table, Text


def _L(lang: str):
    return lambda k, **kw: t(k, lang, **kw)


def _index_frame(res) -> pd.DataFrame:
    root = res.framework.root
    sc = res.scores[res.scores["node"] == root]
    return sc.assign(unit=sc["unit"].astype(str), period=sc["period"].astype(int))[["unit", "period", "score"]]


def _line(x, series: dict[str, list], title: str) -> dict:
    return {
        "title": {"text": title, "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 24},
        "grid": {"left": 60, "right": 20, "top": 60, "bottom": 40},
        "xAxis": {"type": "category", "data": [str(v) for v in x]},
        "yAxis": {"type": "value", "scale": True},
        "series": [{"type": "line", "name": k, "data": [None if not np.isfinite(v) else float(v) for v in vals],
                    "showSymbol": False} for k, vals in series.items()],
    }


def explain_sections(res, inp, year: int, lang: str, names: dict[str, str], groups: dict[str, str] | None,
                     uncertainty=None) -> list[Section]:
    """All explanation sections of the national report, in reading order."""
    out = []
    for build in (_theil, _density, _spatial, _markov, _coupling, _obstacles, _forecast):
        with _util.quiet_notes(), _util.ignore_warnings():
            try:
                out.append(build(res, inp, year, lang, names, groups))
            except NQPFError as exc:  # the method refused this data: say why, keep the report
                key = build.__name__.lstrip("_")
                s = Section(key, t(f"explain.section.{key}", lang))
                s.blocks.append(Missing(t(f"explain.section.{key}", lang), [], str(exc)))
                out.append(s)
    if uncertainty is not None and hasattr(uncertainty, "sensitivity"):
        out.append(_sensitivity(uncertainty, lang, res))
    return out


def _theil(res, inp, year, lang, names, groups) -> Section:
    from nqpf.analysis import theil

    L = _L(lang)
    s = Section("theil", L("explain.section.theil"), intro=L("explain.intro.theil"))
    if not groups:
        s.blocks.append(Missing(L("explain.section.theil"), [L("explain.needs.groups")]))
        return s
    df = _index_frame(res)
    df = df.assign(group=df["unit"].map(groups)).dropna(subset=["group"])
    th = theil(df, "score", "group", period="period")
    piv = th[th["measure"] == "T"].pivot(index="period", columns="component", values="value")
    piv = piv[["total", "between", "within"]].assign(share_between=lambda d: d["between"] / d["total"])
    piv = piv.reset_index()
    lab = {"period": L("common.period"), "total": L("explain.col.theil_total"), "between": L("explain.col.between"),
           "within": L("explain.col.within"), "share_between": L("explain.col.share_between")}
    s.blocks.append(Table(piv.rename(columns=lab), caption=L("explain.caption.theil"), sheet="theil",
                          formats={v: "{:.4f}" for k, v in lab.items() if k != "period"}, highlight=year))
    return s


def _density(res, inp, year, lang, names, groups) -> Section:
    from nqpf.analysis import kde_over_time

    L = _L(lang)
    s = Section("density", L("explain.section.density"), intro=L("explain.intro.density"))
    df = _index_frame(res)
    kd = kde_over_time(df, "score", period="period", grid_size=120)
    years = sorted(kd["period"].unique())
    shown = sorted(set(years[:: max(1, len(years) // 4)]) | {years[-1]})
    grid = kd[kd["period"] == shown[0]]["x"].round(4).tolist()
    series = {str(y): kd[kd["period"] == y]["density"].tolist() for y in shown}
    s.blocks.append(Chart(_line(grid, series, L("explain.caption.density")), height=320))
    bw = kd.attrs.get("manifest", {}).get("bandwidth_rule") or kd.attrs.get("manifest", {}).get("bw", "silverman")
    s.blocks.append(Text(L("explain.note.density", rule=_bw_label(bw, lang)), "note"))
    return s


def _bw_label(bw, lang: str) -> str:
    """The bandwidth rule in the reader's language (a number is a fixed bandwidth)."""
    if isinstance(bw, int | float) and not isinstance(bw, bool):
        return t("explain.bw.fixed", lang, value=f"{float(bw):.4g}")
    key = f"explain.bw.{bw}"
    from nqpf.i18n import catalogue

    return t(key, lang) if key in catalogue() else str(bw)


def _spatial(res, inp, year, lang, names, groups) -> Section:
    from nqpf.analysis import contiguity_weights, lisa, moran

    L = _L(lang)
    s = Section("spatial", L("explain.section.spatial"), intro=L("explain.intro.spatial"))
    df = _index_frame(res)
    units = sorted(df["unit"].unique())
    try:
        w = contiguity_weights(units)
    except NQPFError as exc:
        s.blocks.append(Missing(L("explain.section.spatial"), [L("explain.needs.provinces")], str(exc)))
        return s
    mo = moran(df, "score", w)
    lab = {"period": L("common.period"), "I": L("explain.col.moran_i"), "EI": L("explain.col.moran_ei"),
           "z_sim": L("explain.col.z"), "p_sim": L("explain.col.p_perm")}
    s.blocks.append(Table(mo[list(lab)].rename(columns=lab), caption=L("explain.caption.moran"), sheet="moran",
                          formats={lab["I"]: "{:.4f}", lab["EI"]: "{:.4f}", lab["z_sim"]: "{:.2f}",
                                   lab["p_sim"]: "{:.3f}"},
                          highlight=year))
    li = lisa(df[df["period"] == year], "score", w)
    sig = li[li["cluster"] != "ns"].assign(name=lambda d: d["unit"].map(lambda u: names.get(u, u)),
                                           cluster=lambda d: d["cluster"].map(lambda c: L(f"analysis.lisa.{c}")))
    if len(sig):
        li_i, li_p = L("explain.col.local_i"), L("explain.col.p")
        t_ = sig[["unit", "name", "cluster", "Ii", "p_sim"]].rename(columns={
            "unit": L("report.col.unit"), "name": L("report.col.name"), "cluster": L("explain.col.cluster"),
            "Ii": li_i, "p_sim": li_p})
        s.blocks.append(Table(t_, caption=L("explain.caption.lisa", year=year), sheet="lisa",
                              formats={li_i: "{:.3f}", li_p: "{:.3f}"}))
    else:
        s.blocks.append(Text(L("explain.note.lisa_none", year=year), "note"))
    s.blocks.append(Text(L("explain.note.hainan"), "note"))
    return s


def _markov(res, inp, year, lang, names, groups) -> Section:
    from nqpf.analysis import markov

    L = _L(lang)
    s = Section("markov", L("explain.section.markov"), intro=L("explain.intro.markov"))
    mk = markov(_index_frame(res), "score", k=4)
    tr = mk[mk["kind"] == "transition"].copy()
    tr["from_class"] = tr["from_class"].astype(int)
    tr["to_class"] = tr["to_class"].astype(int)
    mat = tr.pivot(index="from_class", columns="to_class", values="value")
    counts = tr.groupby("from_class")["count"].sum()
    ss = mk[mk["kind"] == "steady_state"].set_index(mk[mk["kind"] == "steady_state"]["to_class"].astype(int))["value"]
    ks = [int(k) for k in mat.index.union(mat.columns)]
    kmin, kmax = min(ks), max(ks)

    def cls(k: int) -> str:  # 第1组（低）… 第4组（高） / Q1 (low) … Q4 (high)
        key = "low" if k == kmin else ("high" if k == kmax else "")
        return L("explain.col.markov_class" + (f"_{key}" if key else ""), i=int(k))

    tab = pd.DataFrame({L("explain.col.from_class"): [cls(i) for i in mat.index]})
    to_cols = []
    for j in mat.columns:
        to_cols.append(L("explain.col.markov_to", cls=cls(j)))
        tab[to_cols[-1]] = mat[j].to_numpy()
    tab[L("explain.col.obs")] = counts.reindex(mat.index).to_numpy().astype(int)
    tab[L("explain.col.steady_state")] = ss.reindex(mat.index).to_numpy()
    s.blocks.append(Table(tab, caption=L("explain.caption.markov"), sheet="markov",
                          formats={c: "{:.3f}" for c in [*to_cols, L("explain.col.steady_state")]}))
    return s


def _coupling(res, inp, year, lang, names, groups) -> Section:
    from nqpf.analysis import coupling_from_index

    L = _L(lang)
    s = Section("coupling", L("explain.section.coupling"), intro=L("explain.intro.coupling"))
    cc = coupling_from_index(res, lang=lang)
    systems = [c for c in cc.columns if c not in ("unit", "period", "C", "T", "D", "grade_level", "grade")]
    cur = cc[cc["period"] == year].sort_values("D", ascending=False)
    grades = cur["grade"]
    fw = res.framework
    tab = pd.DataFrame({L("report.col.name"): cur["unit"].map(lambda u: names.get(u, u)).to_numpy()})
    for sys_ in systems:
        tab[fw.label(sys_, lang)] = cur[sys_].to_numpy()
    for k in ("C", "T", "D"):
        tab[L(f"explain.col.coupling_{k.lower()}")] = cur[k].to_numpy()
    tab[L("explain.col.grade")] = grades.to_numpy()
    s.blocks.append(Table(tab, caption=L("explain.caption.coupling", year=year), sheet="coupling",
                          formats={c: "{:.3f}" for c in tab.columns[1:-1]}))
    mean_d = cc.groupby("period")["D"].mean()
    s.blocks.append(Chart(_line(mean_d.index.tolist(), {L("explain.col.coupling_d"): mean_d.tolist()},
                                L("explain.caption.coupling_trend")), height=280))
    s.blocks.append(Text(L("explain.note.coupling"), "note"))
    return s


def _obstacles(res, inp, year, lang, names, groups) -> Section:
    from nqpf.analysis import obstacle_degree

    L = _L(lang)
    s = Section("obstacles", L("explain.section.obstacles"), intro=L("explain.intro.obstacles"))
    obs = obstacle_degree(res.normalized, res.weights)
    cur = obs[obs["period"].astype(int) == year]
    fw = res.framework
    dim = cur[cur["level"] == "dimension"].groupby("node")["obstacle"].mean().sort_values(ascending=False)
    tab = pd.DataFrame({L("explain.col.dimension"): [fw.label(n, lang) for n in dim.index],
                        L("explain.col.mean_obstacle"): dim.to_numpy()})
    s.blocks.append(Table(tab, caption=L("explain.caption.obstacle_dims", year=year), sheet="obstacle_dims",
                          formats={L("explain.col.mean_obstacle"): "{:.3f}"}))
    ind = cur[(cur["level"] == "indicator") & (cur["rank"] <= 3)]
    freq = ind.groupby("node").size().sort_values(ascending=False).head(8)
    tab2 = pd.DataFrame({L("common.indicator"): [fw.label(n, lang) for n in freq.index],
                         L("explain.col.top3_count"): freq.to_numpy()})
    s.blocks.append(Table(tab2, caption=L("explain.caption.obstacle_inds", year=year), sheet="obstacle_inds"))
    return s


def _forecast(res, inp, year, lang, names, groups) -> Section:
    from nqpf.analysis import forecast

    L = _L(lang)
    s = Section("forecast", L("explain.section.forecast"), intro=L("explain.intro.forecast"))
    df = _index_frame(res)
    mean = df[df["period"] <= year].groupby("period")["score"].mean()
    fc = forecast(mean.to_numpy(), mean.index.to_numpy(), steps=3)
    d = fc.attrs["diagnostics"]
    s.blocks.append(Facts([
        (L("explain.col.gm_ab"), f"{d['a']:.4f}, {d['b']:.4f}"),
        (L("explain.col.posterior_ratio"), f"{d['C']:.3f}"),
        (L("explain.col.small_error_p"), f"{d['P']:.3f}"),
        (L("explain.col.grade"), L(f"analysis.gm.grade.{d['grade']}")),
        (L("explain.col.gm_mape"), f"{d['gm11_mape']:.2f} / {d['holt_mape']:.2f}"),
    ], title=L("explain.caption.forecast")))
    x = fc["period"].astype(int).tolist()
    s.blocks.append(Chart(_line(x, {L("explain.col.actual"): fc["actual"].tolist(),
                                    L("explain.series.gm11"): fc["gm11"].tolist(),
                                    L("explain.series.holt"): fc["holt"].tolist()}, L("explain.caption.forecast")),
                          height=300))
    s.blocks.append(Text(L("explain.note.forecast"), "note"))
    return s


def _sensitivity(unc, lang: str, res=None) -> Section:
    from nqpf.i18n import catalogue

    L = _L(lang)
    s = Section("sensitivity", L("explain.section.sensitivity"), intro=L("explain.intro.sensitivity"))
    sens = unc.sensitivity.copy()
    lab = {"factor": L("uncertainty.factor"), "first_order": L("uncertainty.first_order"),
           "first_order_ci_low": L("explain.col.first_ci_low"), "first_order_ci_high": L("explain.col.first_ci_high"),
           "total_order": L("uncertainty.total_order"), "total_order_ci_low": L("explain.col.total_ci_low"),
           "total_order_ci_high": L("explain.col.total_ci_high")}
    sens["factor"] = [L(f"uncertainty.factor.{f}") if f"uncertainty.factor.{f}" in catalogue() else str(f)
                      for f in sens["factor"]]
    s.blocks.append(Table(sens[list(lab)].rename(columns=lab), caption=L("explain.caption.sensitivity"),
                          sheet="sensitivity", formats={v: "{:.3f}" for k, v in lab.items() if k != "factor"}))
    loo = getattr(unc, "leave_one_out", None)
    if loo is not None and len(loo):
        fw = getattr(res, "framework", None)
        ll = {"indicator": L("common.indicator"), "weight_nominal": L("explain.col.weight_nominal"),
              "mean_abs_rank_shift": L("explain.col.mean_abs_shift"),
              "max_abs_rank_shift": L("explain.col.max_abs_shift"), "share_changed": L("explain.col.share_changed")}
        top = loo.head(10).copy()
        if fw is not None:
            top["indicator"] = [fw.label(x, lang) if x in fw.ids else str(x) for x in top["indicator"]]
        top = top.rename(columns=ll)
        s.blocks.append(Table(top, caption=L("explain.caption.leave_one_out"), sheet="leave_one_out",
                              formats={c: "{:.3f}" for c in top.columns if top[c].dtype.kind == "f"}))
    notes = unc.manifest.get("notes") if isinstance(unc.manifest, dict) else None
    if notes and lang != "zh":  # the Monte Carlo's notes are English; the Chinese edition keeps them in the manifest
        s.blocks.append(Text("; ".join(map(str, notes)), "note"))
    return s
