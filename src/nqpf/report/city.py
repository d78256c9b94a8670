"""City reports on a prefecture-city dataset (``cn_cities``, framework ``city-structure-green``): one city
(``unit``) or the cities of one province (``province``).

Numbers come from the library: ranks within the province and nationally from
:func:`nqpf.analysis.levels.ranks` (on the index scores rounded to the 4 decimals shown, so equal-looking scores
share a rank), the within/between-province decomposition of inequality among cities from
:func:`nqpf.analysis.inequality.within_between` (Theil T: T = Σ_j s_j T_j + Σ_j s_j ln(μ_j/μ), the province's
contribution to the within part is s_j T_j; Dagum Gini G = Gw + Gnb + Gt), the map from
:mod:`nqpf.report.geo_city`. What city data cannot measure (innovation, digital economy, human capital, total
factor productivity, the region typology and the action guide built on them) is stated as missing, not
substituted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf.errors import DataError, NQPFError
from nqpf.i18n import t
from nqpf.index.result import DISPLAY_DIGITS
from nqpf.report import MapBlock, Missing, ReportDoc, Section, Table, Text
from nqpf.report.common import _interval_of, _meta, _names
from nqpf.report.sections_reader import _reader_sections

__all__ = ["city_ranks", "city_report", "is_city_units", "province_decomposition", "province_report",
           "resolve_city", "resolve_province"]

_SUFFIXES = ("市", "地区", "盟", "自治州", "州")


def is_city_units(units: pd.DataFrame | None) -> bool:
    """True for a units table of sub-provincial units (a ``province`` column naming each unit's province)."""
    return units is not None and {"unit", "province"} <= set(units.columns)


def _bare(name: str) -> str:
    """A place name folded for matching: lower case, no spaces, without its administrative suffix."""
    s = str(name).strip().lower().replace(" ", "")
    for suf in _SUFFIXES:
        if s.endswith(suf) and len(s) > len(suf) + 1:
            return s[: -len(suf)]
    return s.removesuffix("city")


def resolve_city(name: object, units: pd.DataFrame, available=None, lang: str = "en") -> str:
    """The city code ``name`` means: a code, or a Chinese or English name with or without its suffix (南京, 南京市,
    Nanjing). Unknown or ambiguous → :class:`DataError` (in ``lang``) naming the closest cities and the ``--unit``
    flag."""
    s = str(name).strip()
    u = units.assign(unit=units["unit"].astype(str))
    if available is not None:
        u = u[u["unit"].isin({str(a) for a in available})]
    if s in set(u["unit"]):
        return s
    key = _bare(s)
    hits = sorted({c for c, zh, en in zip(u["unit"], u.get("name_zh", u["unit"]), u.get("name_en", u["unit"]),
                                          strict=True) if key in (_bare(zh), _bare(en))})
    if len(hits) == 1:
        return hits[0]
    import difflib

    labels = {f"{zh} ({c})": c for c, zh in zip(u["unit"], u.get("name_zh", u["unit"]), strict=True)}
    if hits:
        sep = "、" if lang == "zh" else ", "
        raise DataError(t("report.city.err.ambiguous", lang, name=s,
                          cities=sep.join(k for k, c in labels.items() if c in hits)))
    close = difflib.get_close_matches(s, list(labels), n=5, cutoff=0.2)
    raise DataError(t("report.city.err.unknown_city", lang, name=s,
                      closest=("、" if lang == "zh" else ", ").join(close) or "—"))


def resolve_province(name: object, units: pd.DataFrame, lang: str = "en") -> str:
    """The province code of ``name`` among the provinces of a city units table (江苏, 江苏省, Jiangsu, 320000);
    unknown → :class:`DataError` (in ``lang``) listing the provinces."""
    from nqpf.data.units import resolve_unit

    codes = sorted(set(units["province"].astype(str)))
    s = str(name).strip()
    if s in codes:
        return s
    zh = dict(zip(units["province"].astype(str), units.get("province_zh", units["province"]).astype(str), strict=True))
    en = dict(zip(units["province"].astype(str), units.get("province_en", units["province"]).astype(str), strict=True))
    for c in codes:
        if _bare(s).removesuffix("省") in (zh[c].removesuffix("省").lower(), en[c].lower()):
            return c
    try:
        return resolve_unit(s, codes)
    except NQPFError:
        names = zh if lang == "zh" else en
        raise DataError(t("report.city.err.unknown_province", lang, name=s,
                          provinces=("、" if lang == "zh" else ", ").join(names[c] for c in codes))) from None


def _province_names(units: pd.DataFrame, lang: str) -> dict[str, str]:
    """province code → province name in ``lang`` (from the city units table)."""
    col = "province_zh" if lang == "zh" else "province_en"
    if col not in units:
        return {}
    return dict(zip(units["province"].astype(str), units[col].astype(str), strict=True))


def city_ranks(res, units: pd.DataFrame, node: str | None = None) -> pd.DataFrame:
    """Ranks of every city within its province and nationally, per period, on ``node`` (default the index)
    rounded to the displayed precision (:func:`nqpf.analysis.levels.ranks`)."""
    from nqpf.analysis.levels import ranks

    sc = res.scores[res.scores["node"] == (node or res.framework.root)]
    sc = sc.assign(unit=sc["unit"].astype(str), period=sc["period"].astype(int),
                   shown=sc["score"].astype(float).round(DISPLAY_DIGITS))
    r = ranks(sc[["unit", "period", "shown"]], "shown", units, parent="province")
    return r.merge(sc[["unit", "period", "score"]], on=["unit", "period"], how="left")


def province_decomposition(res, units: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(``within_between`` of the index scores of all cities with provinces as groups, per period; the Theil T
    of each province's cities and its contribution ``s_j T_j`` to the within part: ``province, period, theil,
    contribution, share_of_within``)."""
    from nqpf.analysis.inequality import theil, within_between

    sc = res.scores[res.scores["node"] == res.framework.root]
    par = dict(zip(units["unit"].astype(str), units["province"].astype(str), strict=True))
    d = sc.assign(unit=sc["unit"].astype(str), period=sc["period"].astype(int))
    d = d.assign(province=d["unit"].map(par))[["unit", "period", "province", "score"]]
    wb = within_between(d, "score", "province", period="period", unit="unit")
    th = theil(d, "score", "province", period="period", measure="T", unit="unit")
    rows = []
    within = th[th["component"] == "within"].set_index("period")["value"]
    for comp, val, per in zip(th["component"], th["value"], th["period"], strict=True):
        if comp.startswith("within:"):
            rows.append({"province": comp[7:], "period": int(per), "theil": float(val)})
    prov = pd.DataFrame(rows)
    con = th[th["component"].str.startswith("contrib:")]
    con = pd.DataFrame({"province": con["component"].str[8:], "period": con["period"].astype(int),
                        "contribution": con["value"].astype(float)})
    prov = prov.merge(con, on=["province", "period"], how="left")
    prov["share_of_within"] = prov["contribution"] / prov["period"].map(within).astype(float)
    return wb, prov


# ---------------------------------------------------------------------------------------------------------
def _common(res, inp, year: int, lang: str, province: str):
    """(unit names, province names, all city ranks, the ranks of ``year``, the province's cities in rank order)."""
    names = _names(inp, lang, res)
    pnames = _province_names(inp.units, lang)
    rk = city_ranks(res, inp.units)
    cur = rk[rk["period"] == year]
    mine = cur[cur["parent"] == province].sort_values(["rank_in_parent", "unit"], kind="mergesort")
    return names, pnames, rk, cur, mine


def _gaps_section(lang: str) -> Section:
    """What the city data cannot measure, in plain words (the framework's documented gaps)."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("gaps", L("report.city.section.gaps"), intro=L("report.city.intro.gaps"))
    for key in ("innovation", "digital", "human", "tfp", "guide"):
        s.blocks.append(Missing(L(f"report.city.gap.{key}"), [L(f"report.city.gap.{key}.needs")],
                                L(f"report.city.gap.{key}.why")))
    return s


def _ranking_table(res, mine, names, lang, unc, highlight=None) -> Table:
    """The province's cities with their score, ranks in the province and nationally (and intervals)."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    cols = {"name": L("report.col.name"), "score": L("report.col.score"), "rank_in_parent": L("report.city.col.rank_p"),
            "rank_national": L("report.city.col.rank_n")}
    tab = pd.DataFrame({cols["name"]: mine["unit"].map(lambda u: names.get(u, u)).to_numpy(),
                        cols["score"]: mine["score"].to_numpy(),
                        cols["rank_in_parent"]: mine["rank_in_parent"].to_numpy(),
                        cols["rank_national"]: mine["rank_national"].to_numpy()})
    fm = {cols["score"]: "{:.4f}"}
    if unc is not None:
        u = unc[unc["period"].astype(int) == int(mine["period"].iloc[0])] if "period" in unc else unc
        m = mine[["unit"]].merge(u[["unit", "rank_p05", "rank_p95"]], on="unit", how="left")
        tab[L("report.col.rank_p05")] = m["rank_p05"].to_numpy()
        tab[L("report.col.rank_p95")] = m["rank_p95"].to_numpy()
        fm.update({L("report.col.rank_p05"): "{:.0f}", L("report.col.rank_p95"): "{:.0f}"})
    return Table(tab, caption="", sheet="ranking", formats=fm, highlight=highlight)


def _inequality_section(res, inp, year, lang, province, pnames) -> tuple[Section, dict]:
    """(the within/between-province decomposition section, the numbers its finding quotes)."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("inequality", L("report.city.section.inequality"), intro=L("report.city.intro.inequality"))
    info: dict = {}
    try:
        wb, prov = province_decomposition(res, inp.units)
    except NQPFError as exc:
        s.blocks.append(Missing(L("report.city.section.inequality"), [], str(exc)))
        return s, info
    w = wb[wb["period"].astype(int) <= year]
    th, gi = (w[w["measure"] == m].set_index("period") for m in ("T", "Gini"))
    per = th.index.astype(int)
    tab = pd.DataFrame({
        L("common.period"): per.to_numpy(), L("report.city.col.total"): th["total"].to_numpy(),
        L("report.city.col.within"): th["within"].to_numpy(), L("report.city.col.between"): th["between"].to_numpy(),
        L("report.city.col.share_within"): th["share_within"].to_numpy(),
        L("report.city.col.gini"): gi["total"].reindex(th.index).to_numpy(),
        L("report.city.col.gini_share_within"): gi["share_within"].reindex(th.index).to_numpy()})
    f4 = {c: "{:.4f}" for c in (L("report.city.col.total"), L("report.city.col.within"), L("report.city.col.between"),
                                L("report.city.col.gini"))}
    f4.update({L("report.city.col.share_within"): "{:.1%}", L("report.city.col.gini_share_within"): "{:.1%}"})
    s.blocks.append(Table(tab, caption=L("report.city.caption.within_between"), sheet="within_between", formats=f4))
    p = prov[(prov["province"] == province) & (prov["period"] <= year)].sort_values("period")
    pn = pnames.get(province, province)
    if len(p):
        s.blocks.append(Table(pd.DataFrame({
            L("common.period"): p["period"].to_numpy(), L("report.city.col.theil_p"): p["theil"].to_numpy(),
            L("report.city.col.contribution"): p["contribution"].to_numpy(),
            L("report.city.col.share_of_within"): p["share_of_within"].to_numpy()}),
            caption=L("report.city.caption.province_theil", province=pn), sheet="province_theil",
            formats={L("report.city.col.theil_p"): "{:.4f}", L("report.city.col.contribution"): "{:.4f}",
                     L("report.city.col.share_of_within"): "{:.1%}"}))
    cur = wb[(wb["period"].astype(int) == year) & (wb["measure"] == "T")]
    pc = p[p["period"] == year]
    if len(cur):
        c = cur.iloc[0]
        info = {"T": float(c["total"]), "sw": float(c["share_within"]), "sb": float(c["share_between"])}
        if len(pc):
            info.update(Tp=float(pc["theil"].iloc[0]), cp=float(pc["share_of_within"].iloc[0]))
        first = p.iloc[0] if len(p) else None
        if first is not None:
            info.update(y0=int(first["period"]), Tp0=float(first["theil"]))
    s.blocks.append(Text(L("report.city.note.inequality"), "note"))
    return s, info


def _map_section(mine_all: pd.DataFrame, year: int, lang: str, province: str, highlight: str | None,
                 pname: str) -> Section:
    """The province's city map of the index scores, or what the map needs."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("map", L("report.section.map"))
    from nqpf.report import geo_city

    if not geo_city.province_files_available():
        s.blocks.append(Missing(L("report.map"), [L("report.city.map_geometry")], L("report.city.map_howto")))
        return s
    vals = mine_all.set_index("unit")["score"].astype(float)
    s.blocks.append(MapBlock(vals, title=L("report.city.caption.map", province=pname, year=year),
                             legend=L("report.col.score"), highlight=highlight,
                             caption=L("report.city.caption.map_note")))
    return s


def _aggregation_section(inp, province: str, year: int, lang: str, pname: str) -> Section:
    """Σ city GDP against the provincial total of ``cn_provinces`` (:func:`nqpf.analysis.levels.aggregation_check`),
    reported as it is: city and provincial accounts differ and nothing is adjusted."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("aggregation", L("report.city.section.aggregation"), intro=L("report.city.intro.aggregation"))
    try:
        import nqpf.datasets as D
        from nqpf.analysis.levels import aggregation_check

        prov = D.load("cn_provinces").data
        ac = aggregation_check(inp.data, prov, "gdp_nominal", inp.units, parent="province", catalogue=inp.catalogue)
    except (ImportError, KeyError, NQPFError) as exc:
        s.blocks.append(Missing(L("report.city.section.aggregation"), [L("report.city.agg.needs")], str(exc)))
        return s
    ac = ac[(ac["province"] == province) & (ac["period"].astype(int) <= year)]
    if not len(ac):
        s.blocks.append(Missing(L("report.city.section.aggregation"), [L("report.city.agg.needs")],
                                L("report.city.agg.no_overlap", province=pname)))
        return s
    n_units = int((inp.units["province"].astype(str) == province).sum()
                  - (inp.units["unit"].astype(str) == province).sum())
    tab = pd.DataFrame({
        L("common.period"): ac["period"].astype(int).to_numpy(), L("report.city.agg.col.n"): ac["n_cities"].to_numpy(),
        L("report.city.agg.col.sum"): ac["city_sum"].to_numpy(), L("report.city.agg.col.total"): ac["province_total"].to_numpy(),
        L("report.city.agg.col.diff"): ac["diff"].to_numpy(), L("report.city.agg.col.ratio"): ac["ratio"].to_numpy()})
    s.blocks.append(Table(tab, caption=L("report.city.agg.caption", province=pname), sheet="aggregation",
                          formats={L("report.city.agg.col.sum"): "{:,.1f}", L("report.city.agg.col.total"): "{:,.1f}",
                                   L("report.city.agg.col.diff"): "{:+,.1f}", L("report.city.agg.col.ratio"): "{:.3f}"}))
    s.blocks.append(Text(L("report.city.agg.note", m=max(n_units, 1)), "note"))
    return s


def _finding_inequality(info: dict, pname: str, year: int, lang: str) -> str | None:
    """The summary sentence on inequality among cities and the province's part in it, or None."""
    if not info:
        return None
    out = t("report.city.summary.inequality", lang, year=year, T=f"{info['T']:.4f}", sw=f"{info['sw']:.1%}",
            sb=f"{info['sb']:.1%}")
    if "Tp" in info:
        out += t("report.city.summary.inequality_p", lang, province=pname, Tp=f"{info['Tp']:.4f}",
                 cp=f"{info['cp']:.1%}")
        if info.get("y0") is not None and info["y0"] < year:
            return out + t("report.city.summary.inequality_trend", lang, y0=info["y0"], Tp0=f"{info['Tp0']:.4f}")
    return out + ("。" if lang == "zh" else ".")


def _coverage_finding(res, inp, province: str, pname: str, lang: str) -> str:
    """How many of the province's cities the index covers."""
    in_index = set(res.scores["unit"].astype(str))
    allp = inp.units[inp.units["province"].astype(str) == province]
    allp = allp[allp["level"].astype(str) != "province"] if "level" in allp else allp
    have = sorted(u for u in allp["unit"].astype(str) if u in in_index)
    return t("report.city.summary.coverage", lang, province=pname, n=len(have), m=len(allp))


def _doc(res, inp, year, lang, title, unit_name=None) -> ReportDoc:
    """An empty city report with its title, subtitle and settings card."""
    fw = res.framework
    return ReportDoc(title=title, lang=lang, subtitle=t("report.subtitle", lang, framework=fw.label(fw.root, lang)),
                     meta=_meta(res, inp, year, lang, unit_name=unit_name))


def _dims_table(res, units_list: list[str], names, year, lang, rk_by_node: dict) -> pd.DataFrame:
    """Score and rank in the province of each city on each dimension (two-level header)."""
    fw = res.framework
    cols = {}
    for d in fw.children(fw.root):
        r = rk_by_node[d]
        r = r[r["period"] == year].set_index("unit")
        cols[(fw.label(d, lang), t("report.col.score", lang))] = [float(r["score"].get(u, np.nan)) for u in units_list]
        cols[(fw.label(d, lang), t("report.city.col.rank_p", lang))] = [
            int(r["rank_in_parent"][u]) if u in r.index else pd.NA for u in units_list]
    tab = pd.DataFrame({(t("report.col.name", lang), ""): [names.get(u, u) for u in units_list], **cols})
    tab.columns = pd.MultiIndex.from_tuples(tab.columns)
    return tab


def _close_summary(s: Section, res, inp, year: int, lang: str, province: str, pnames: dict) -> Section:
    """Add the inequality and coverage findings to the summary ``s``; return the inequality section they read."""
    pname = pnames.get(province, province)
    ineq, info = _inequality_section(res, inp, year, lang, province, pnames)
    fi = _finding_inequality(info, pname, year, lang)
    if fi:
        s.blocks.append(Text(fi, "finding"))
    s.blocks.append(Text(_coverage_finding(res, inp, province, pname, lang), "finding"))
    return ineq


def _province_ranking_section(res, mine, names, year: int, lang: str, unc, pname: str, highlight=None) -> Section:
    """The cities of the province ranked within it and nationally (with rank intervals, or what they need)."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("ranking", L("report.city.section.ranking", province=pname), intro=L("report.city.intro.ranking"))
    tb = _ranking_table(res, mine, names, lang, unc, highlight=highlight)
    tb.caption = L("report.city.caption.ranking", province=pname, year=year)
    s.blocks.append(tb)
    if unc is None:
        s.blocks.append(Missing(L("report.missing.uncertainty"), [L("report.needs.uncertainty")]))
    return s


def _closing_sections(res, inp, year: int, lang: str, province: str, pname: str, names, ineq: Section,
                      on_map: pd.DataFrame, highlight: str | None) -> list[Section]:
    """Inequality, the aggregation check, the province map, what city data cannot measure, the reader's sections."""
    return [ineq, _aggregation_section(inp, province, year, lang, pname),
            _map_section(on_map, year, lang, province, highlight, pname), _gaps_section(lang),
            *_reader_sections(res, inp, lang, names)]


def city_report(res, inp, unit: str, year: int, lang: str, unc=None) -> ReportDoc:
    """The report of one city: its rank within its province and nationally, its dimensions, the
    within/between-province decomposition with its province's contribution, the province map, the gaps."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    fw = res.framework
    par = dict(zip(inp.units["unit"].astype(str), inp.units["province"].astype(str), strict=True))
    province = par.get(unit)
    if province is None:
        raise DataError(L("report.city.err.no_province", unit=unit))
    names, pnames, rk, cur, mine = _common(res, inp, year, lang, province)
    name, pname = names.get(unit, unit), pnames.get(province, province)
    me = cur[cur["unit"] == unit]
    if not len(me):
        dropped = [str(u) for u in res.manifest.get("dropped_units") or []]
        why = L("report.city.dropped") if unit in dropped else ""
        raise DataError(L("report.city.err.not_in_index", unit=unit, name=name, year=year, why=why).strip())
    doc = _doc(res, inp, year, lang, L("report.city.title", name=name, year=year),
               unit_name=f"{name} ({unit})，{pname}" if lang == "zh" else f"{name} ({unit}), {pname}")
    rk_by_node = {d: city_ranks(res, inp.units, d) for d in fw.children(fw.root)}
    s = _city_summary(res, unit, name, pname, year, lang, unc, me.iloc[0], rk, rk_by_node)
    ineq = _close_summary(s, res, inp, year, lang, province, pnames)
    doc.sections.append(s)
    doc.sections.append(_province_ranking_section(res, mine, names, year, lang, unc, pname, highlight=name))
    doc.sections.append(_city_dimensions_section(res, unit, name, year, lang, province, par, rk, rk_by_node))
    doc.sections.extend(_closing_sections(res, inp, year, lang, province, pname, names, ineq,
                                          cur[cur["parent"] == province], unit))
    return doc


def _city_summary(res, unit: str, name: str, pname: str, year: int, lang: str, unc, m: pd.Series,
                  rk: pd.DataFrame, rk_by_node: dict) -> Section:
    """The city's findings: its ranks (with interval), its best and worst dimension, its change since the
    first period (``m``: its row of :func:`city_ranks` in ``year``)."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    fw = res.framework
    s = Section("summary", L("report.section.summary"), intro=L("report.intro.summary_regional"))
    iv = _interval_of(unc, unit, year)
    interval = "" if iv is None else L("report.summary.region_interval", lo=f"{iv[0]:.0f}", hi=f"{iv[1]:.0f}")
    s.blocks.append(Text(L("report.city.summary.rank", year=year, name=name, score=f"{m['score']:.4f}",
                           province=pname, rp=int(m["rank_in_parent"]), np=int(m["n_in_parent"]),
                           rn=int(m["rank_national"]), nn=int(m["n_national"]), interval=interval), "finding"))
    dr = [(d, rk_by_node[d][(rk_by_node[d]["period"] == year) & (rk_by_node[d]["unit"] == unit)]) for d in
          fw.children(fw.root)]
    dr = [(d, x.iloc[0]) for d, x in dr if len(x)]
    if len(dr) >= 2:
        dr.sort(key=lambda p: (int(p[1]["rank_in_parent"]), -float(p[1]["score"])))
        b, w = dr[0], dr[-1]
        s.blocks.append(Text(L("report.city.summary.dims", best=fw.label(b[0], lang), rb=int(b[1]["rank_in_parent"]),
                               worst=fw.label(w[0], lang), rw=int(w[1]["rank_in_parent"]),
                               np=int(m["n_in_parent"])), "finding"))
    y0 = int(rk["period"].min())
    first = rk[(rk["unit"] == unit) & (rk["period"] == y0)]
    if y0 < year and len(first):
        f = first.iloc[0]
        s.blocks.append(Text(L("report.city.summary.change", y0=y0, ds=f"{m['score'] - f['score']:+.4f}",
                               r0=int(f["rank_in_parent"]), r1=int(m["rank_in_parent"]), rn0=int(f["rank_national"]),
                               rn1=int(m["rank_national"])), "finding"))
    return s


def _city_dimensions_section(res, unit: str, name: str, year: int, lang: str, province: str, par: dict,
                             rk: pd.DataFrame, rk_by_node: dict) -> Section:
    """The city's index and dimension scores against its province's and the national mean, with its ranks."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    fw = res.framework
    s = Section("dimensions", L("report.section.dimensions"), intro=L("report.city.intro.dimensions"))
    sc = res.display_scores()
    sc = sc[sc["period"].astype(int) == year].assign(unit=lambda d: d["unit"].astype(str))
    rows = []
    for d in [fw.root, *fw.children(fw.root)]:
        x = sc[sc["node"] == d]
        mp = x[x["unit"].map(par) == province]["score"].mean()
        r = rk_by_node.get(d, rk)
        r = r[(r["period"] == year) & (r["unit"] == unit)]
        rows.append({L("report.col.dimension"): fw.label(d, lang),
                     L("report.col.score"): float(x[x["unit"] == unit]["score"].iloc[0]),
                     L("report.city.col.province_mean"): float(mp), L("report.col.national_mean"): float(x["score"].mean()),
                     L("report.city.col.rank_p"): int(r["rank_in_parent"].iloc[0]) if len(r) else pd.NA,
                     L("report.city.col.rank_n"): int(r["rank_national"].iloc[0]) if len(r) else pd.NA})
    s.blocks.append(Table(pd.DataFrame(rows), caption=L("report.city.caption.dimensions", name=name, year=year),
                          sheet="dimensions", formats={L("report.col.score"): "{:.4f}",
                                                        L("report.city.col.province_mean"): "{:.4f}",
                                                        L("report.col.national_mean"): "{:.4f}"}))
    return s


def province_report(res, inp, province: str, year: int, lang: str, unc=None) -> ReportDoc:
    """The report of the cities of one province: their ranking within the province and nationally, their
    dimensions, the province's inequality and its part in the national within-province component, the map."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    fw = res.framework
    names, pnames, rk, cur, mine = _common(res, inp, year, lang, province)
    pname = pnames.get(province, province)
    if not len(mine):
        raise DataError(L("report.city.err.no_city", province=province, name=pname, year=year))
    doc = _doc(res, inp, year, lang, L("report.city.province_title", province=pname, year=year), unit_name=pname)
    rk_by_node = {d: city_ranks(res, inp.units, d) for d in fw.children(fw.root)}
    s = _province_summary(province, pname, names, year, lang, rk, cur, mine)
    ineq = _close_summary(s, res, inp, year, lang, province, pnames)
    doc.sections.append(s)
    doc.sections.append(_province_ranking_section(res, mine, names, year, lang, unc, pname))
    s = Section("dimensions", L("report.section.dimensions"), intro=L("report.city.intro.dimensions_p"))
    s.blocks.append(Table(_dims_table(res, mine["unit"].tolist(), names, year, lang, rk_by_node),
                          caption=L("report.city.caption.dimensions_p", province=pname, year=year), sheet="dimensions"))
    doc.sections.append(s)
    doc.sections.extend(_closing_sections(res, inp, year, lang, province, pname, names, ineq, mine, None))
    return doc


def _province_summary(province: str, pname: str, names, year: int, lang: str, rk: pd.DataFrame, cur: pd.DataFrame,
                      mine: pd.DataFrame) -> Section:
    """The province's findings: its leading and last city, its mean against the national mean, its top riser."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("summary", L("report.section.summary"), intro=L("report.intro.summary_regional"))
    lead, last = mine.iloc[0], mine.iloc[-1]
    s.blocks.append(Text(L("report.city.summary.leader", year=year, province=pname, n=len(mine),
                           leader=names.get(lead["unit"], lead["unit"]), score=f"{lead['score']:.4f}",
                           rn=int(lead["rank_national"]), nn=int(lead["n_national"]),
                           last=names.get(last["unit"], last["unit"]), lscore=f"{last['score']:.4f}",
                           lrn=int(last["rank_national"])), "finding"))
    nat = float(cur["score"].mean())
    pm = float(mine["score"].mean())
    above = int((mine["score"] > nat).sum())
    s.blocks.append(Text(L("report.city.summary.mean", province=pname, pm=f"{pm:.4f}", nm=f"{nat:.4f}", above=above,
                           n=len(mine)), "finding"))
    y0 = int(rk["period"].min())
    if y0 < year:
        a = rk[(rk["period"] == y0) & (rk["parent"] == province)].set_index("unit")
        b = mine.set_index("unit")
        both = b.join(a, rsuffix="0", how="inner")
        if len(both):
            ds = (both["score"] - both["score0"]).sort_index()
            top = ds.sort_values(ascending=False, kind="mergesort").index[0]
            s.blocks.append(Text(L("report.city.summary.riser", y0=y0, year=year, name=names.get(top, top),
                                   ds=f"{ds[top]:+.4f}", r0=int(both.loc[top, "rank_in_parent0"]),
                                   r1=int(both.loc[top, "rank_in_parent"])), "finding"))
    return s


def city_geometry_for(province: str, year: int) -> dict | None:
    """The province's city geometry (no inset: it is not a map of China), or None when not installed."""
    from nqpf.report import geo_city

    if not geo_city.province_files_available():
        return None
    return geo_city.city_geometry(province, year=year)
