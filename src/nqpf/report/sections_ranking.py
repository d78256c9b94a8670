"""The ranking, map, dimensions and diagnostics sections of the national report and the regional report's
ranking among its neighbours. Ranks are those of the scores as printed (4 decimals; issue 13 item 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf.errors import NQPFError
from nqpf.i18n import t
from nqpf.report import Chart, Facts, MapBlock, Missing, Section, Table, Text
from nqpf.report.charts import _bar_option, _interval_option
from nqpf.report.common import _dims, _group_labels, _join, _names, _node_labeller
from nqpf.report.intervals import _nominal_outside_blocks


def _ranking(res, inp, year, lang, unc) -> pd.DataFrame:
    """unit, name, group, score, rank (of the scores as printed) of ``year`` with rank_p05/rank_p95 when ``unc`` is
    given, best first."""
    names = _names(inp, lang, res)
    groups = _group_labels(inp, lang)
    ds = res.display_scores()  # ranks of the scores as shown (4 decimals): equal-looking scores share a rank
    sc = ds[ds["period"].astype(int) == year].assign(unit=lambda d: d["unit"].astype(str))
    root = res.framework.root
    r = sc[sc["node"] == root][["unit", "score", "rank"]].copy()
    r.insert(1, "name", r["unit"].map(lambda u: names.get(u, u)))
    r.insert(2, "group", r["unit"].map(lambda u: groups.get(u, "")))
    if unc is not None:
        u = unc[unc["period"].astype(int) == year] if "period" in unc else unc
        r = r.merge(u[["unit", "rank_p05", "rank_p95"]], on="unit", how="left")
    return r.sort_values("rank", kind="mergesort").reset_index(drop=True)


def _ranking_section(rk: pd.DataFrame, year: int, lang: str, unc, unc_result) -> Section:
    """The ranking table and bars of the year, the rank intervals (or what they need), ranks outside them."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    cols = {"unit": L("report.col.unit"), "name": L("report.col.name"), "group": L("report.col.group"),
            "score": L("report.col.score"), "rank": L("report.col.rank"), "rank_p05": L("report.col.rank_p05"),
            "rank_p95": L("report.col.rank_p95")}
    s = Section("ranking", L("report.section.ranking"), intro=L("report.intro.ranking"))
    s.blocks.append(Table(rk.rename(columns=cols), caption=L("report.caption.ranking", year=year), sheet="ranking",
                          formats={cols["score"]: "{:.4f}", cols["rank_p05"]: "{:.0f}", cols["rank_p95"]: "{:.0f}"}))
    s.blocks.append(Chart(_bar_option(rk["name"].tolist(), rk["score"].tolist(), L("report.caption.ranking", year=year)),
                          height=max(360, 18 * len(rk) + 80)))
    if unc is not None and rk["rank_p05"].notna().any():
        s.blocks.append(Chart(_interval_option(rk["name"].tolist(), rk["rank"].tolist(), rk["rank_p05"].tolist(),
                                               rk["rank_p95"].tolist(), L("report.caption.rank_interval")),
                              height=max(360, 18 * len(rk) + 80), caption=L("report.caption.rank_interval_note")))
    else:
        s.blocks.append(Missing(L("report.missing.uncertainty"), [L("report.needs.uncertainty")]))
    s.blocks.extend(_nominal_outside_blocks(unc_result, rk, year, lang))
    return s


def _map_section(values: pd.Series, year: int, lang: str, geo, highlight: str | None = None) -> Section:
    """The choropleth of the index scores of the year (``values`` by unit), or what the map needs."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("map", L("report.section.map"))
    from nqpf import assets

    if geo is None and assets.china_map() is None:
        s.blocks.append(Missing(L("report.map"), [L("report.map_geometry")], L("report.map_howto")))
    else:
        s.blocks.append(MapBlock(values, title=L("report.caption.map", year=year), legend=L("report.col.score"),
                                 highlight=highlight))
    return s


def _dimensions_section(res, rk: pd.DataFrame, year: int, lang: str, names: dict[str, str]) -> Section:
    """Score and rank of every unit on each dimension (a two-level header: dimension / score, rank)."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    fw = res.framework
    ds = res.display_scores()
    sc = ds[ds["period"].astype(int) == year].assign(unit=lambda d: d["unit"].astype(str))
    dims = _dims(res)
    w = sc[sc["node"].isin(dims)].pivot(index="unit", columns="node", values=["score", "rank"])
    tab = pd.DataFrame({(L("report.col.region"), ""): [names.get(u, u) for u in w.index]}, index=w.index)
    for d in dims:
        tab[(fw.label(d, lang), L("report.col.score"))] = w[("score", d)]
        tab[(fw.label(d, lang), L("report.col.rank"))] = w[("rank", d)].astype(int)
    tab = tab.loc[rk["unit"]]
    tab.columns = pd.MultiIndex.from_tuples(tab.columns)
    s = Section("dimensions", L("report.section.dimensions"), intro=L("report.intro.dimensions"))
    s.blocks.append(Table(tab.reset_index(drop=True), caption=L("report.caption.dimensions", year=year),
                          sheet="dimensions"))
    return s


def _regional_ranking_section(res, inp, unit, year, lang, unc, k: int = 3, names: dict | None = None,
                              rk: pd.DataFrame | None = None) -> Section:
    """The region among the ``k`` units ranked above and below it, with rank intervals when available."""
    L = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    s = Section("ranking", L("report.section.regional_ranking"), intro=L("report.intro.regional_ranking"))
    rk = _ranking(res, inp, year, lang, unc) if rk is None else rk
    if names is not None:
        rk = rk.assign(name=rk["unit"].map(lambda u: names.get(u, u)))
    pos = rk.index[rk["unit"] == unit]
    if not len(pos):
        return s
    i = int(pos[0])
    near = rk.iloc[max(0, i - k): i + k + 1]
    cols = {"name": L("report.col.name"), "score": L("report.col.score"), "rank": L("report.col.rank"),
            "rank_p05": L("report.col.rank_p05"), "rank_p95": L("report.col.rank_p95")}
    near = near[[c for c in cols if c in near.columns]]
    s.blocks.append(Table(near.rename(columns=cols).reset_index(drop=True),
                          caption=L("report.caption.regional_ranking", year=year, k=k), sheet="ranking",
                          highlight=rk.loc[i, "name"],
                          formats={cols["score"]: "{:.4f}", cols["rank_p05"]: "{:.0f}", cols["rank_p95"]: "{:.0f}"}))
    if unc is None or "rank_p05" not in rk or not rk["rank_p05"].notna().any():
        s.blocks.append(Missing(L("report.missing.uncertainty"), [L("report.needs.uncertainty")]))
    return s


DIAG_CHECKS = ("weight_concentration", "single_driver", "outlier", "small_denominator", "rank_jump",
               "long_imputation")


def _diagnostics_section(res, inp, year, lang, names) -> Section:
    """Effective-weight concentration and the diagnostic flags of the report year (``res.diagnostics``)."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    fw = res.framework
    nl = _node_labeller(fw, inp, lang)

    s = Section("diagnostics", L("report.section.diagnostics"), intro=L("report.intro.diagnostics"))
    try:
        dg = res.diagnostics
    except NQPFError as exc:
        s.blocks.append(Missing(L("report.section.diagnostics"), [], str(exc)))
        return s
    cc = dg.concentration
    pair = lambda a, b: L("report.diag.pair", label=a, value=b)  # noqa: E731
    s.blocks.append(Facts([
        (L("report.diag.max_leaf"), pair(nl(cc["max_leaf"]), f"{cc['max_weight']:.1%}")),
        (L("report.diag.top3"), pair(_join([nl(x) for x in cc["top3"]], lang), f"{cc['top3_weight']:.1%}")),
        (L("report.diag.herfindahl"), f"{cc['herfindahl']:.3f}"),
        (L("report.diag.effective_number"), f"{cc['effective_number']:.1f}"),
    ], title=L("report.diag.concentration")))
    s.blocks.append(Text(L("report.diag.conc_flagged" if cc["flagged"] else "report.diag.conc_ok",
                           leaf=nl(cc["max_leaf"]), w=f"{cc['max_weight']:.1%}",
                           lim=f"{cc['limits']['max_leaf']:.1%}", top3=f"{cc['top3_weight']:.1%}",
                           lim3=f"{cc['limits']['max_top3']:.1%}"),
                         "warning" if cc["flagged"] else "note"))
    fl = dg.flags
    per = pd.to_numeric(fl["period"], errors="coerce")
    fl = fl[(per == year) | per.isna()]
    if not len(fl):
        s.blocks.append(Text(L("report.diag.no_flags", year=year), "note"))
        return s
    counts = fl["check"].value_counts()
    parts = _join([L("report.diag.count_part", check=L(f"report.diag.check.{c}"), n=int(counts[c]))
                   for c in DIAG_CHECKS if counts.get(c, 0)], lang)
    s.blocks.append(Text(L("report.diag.flag_count", year=year, n=len(fl), parts=parts), "p"))
    order = {c: i for i, c in enumerate(DIAG_CHECKS)}
    fl = fl.assign(_o=fl["check"].map(order)).sort_values(["_o", "unit", "indicator"], kind="mergesort")
    tab = pd.DataFrame({
        L("report.diag.col.check"): [L(f"report.diag.check.{c}") if c in order else str(c) for c in fl["check"]],
        L("report.col.region"): [names.get(str(u), str(u)) if str(u) else "—" for u in fl["unit"]],
        L("report.col.indicator"): [nl(str(i)) if isinstance(i, str) and i else "—" for i in fl["indicator"]],
        L("report.col.value"): fl["value"].astype(float).to_numpy(),
    })
    raw = _outlier_raw(res, fl)
    if raw is not None:  # outliers are found on treated values (e.g. winsorised): show the raw value beside
        tab[L("report.diag.col.raw")] = raw
    if lang != "zh":  # the detail text is English: the Chinese report shows the translated columns only
        tab[L("report.diag.col.detail")] = fl["detail"].astype(str).to_numpy()
    s.blocks.append(Table(tab.reset_index(drop=True), caption=L("report.diag.caption_flags", year=year),
                          sheet="diagnostics"))
    s.blocks.append(Text(L("report.diag.note_value"), "note"))
    return s


def _outlier_raw(res, fl: pd.DataFrame) -> np.ndarray | None:
    """Raw (pre-treatment) values of the outlier rows of ``fl``, NaN elsewhere; None without outlier rows."""
    from nqpf.index.diagnostics import outlier_raw_values

    is_out = (fl["check"] == "outlier").to_numpy()
    RAW = outlier_raw_values(res)
    if RAW is None or not is_out.any():
        return None
    row = {(str(u), int(p)): i for i, (u, p) in enumerate(zip(res.units, res.periods, strict=True))}
    col = {leaf: j for j, leaf in enumerate(res.framework.leaves)}
    out = np.full(len(fl), np.nan)
    for k, (c, u, p, ind) in enumerate(zip(fl["check"], fl["unit"], fl["period"], fl["indicator"], strict=True)):
        if c == "outlier" and ind in col and (str(u), int(p)) in row:
            out[k] = RAW[row[(str(u), int(p))], col[ind]]
    return out
