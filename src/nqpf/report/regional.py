"""The regional report of one unit: summary, ranking among its neighbours, profile, peers, obstacles, the action
guide and its parts, TFP, typology, the map and the reader's sections (:func:`nqpf.guide.profile.build_profile`,
:func:`nqpf.guide.action.action_guide`, :func:`nqpf.guide.typology.classify`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf.errors import NQPFError
from nqpf.i18n import t
from nqpf.report import Chart, Facts, Missing, ReportDoc, Section, Table, Text
from nqpf.report.charts import _line_option
from nqpf.report.common import _group_labels, _ind_label, _join, _meta, _names, _node_labeller
from nqpf.report.sections_analysis import _tfp_section, _typology_section
from nqpf.report.sections_guide import (
    _action_section,
    _diagnosis_blocks,
    _strengths_cases_section,
    _targets_section,
)
from nqpf.report.sections_ranking import _map_section, _regional_ranking_section
from nqpf.report.sections_reader import _reader_sections
from nqpf.report.summary import _display_profile_ranks, _summary_regional


def _regional(res, inp, unit, year, lang, unc, geo) -> ReportDoc:
    """The regional report of ``unit`` in ``year`` (``unc``: rank-interval table or None; ``geo``: geometry)."""
    from nqpf.guide.profile import build_profile

    fw = res.framework
    names = _names(inp, lang, res)
    nl = _node_labeller(fw, inp, lang)
    prof = build_profile(res, unit, year, units=inp.units, data=inp.data, uncertainty=unc, lang=lang)
    _display_profile_ranks(prof, res, unit, year)
    name = names.get(unit, unit)
    doc = ReportDoc(title=t("report.regional.title", lang, name=name, year=year), lang=lang,
                    subtitle=t("report.subtitle", lang, framework=fw.label(fw.root, lang)),
                    meta=_meta(res, inp, year, lang, unit_name=f"{name} ({unit})"))
    # typology and guide first: the summary draws on them
    typ, miss, placement = _placement(inp, unit, year)
    guide, guide_error = _guide(res, inp, prof, placement, lang, nl)
    doc.sections.append(_summary_regional(res, unit, name, year, lang, unc, nl, prof=prof, guide=guide))
    doc.sections.append(_regional_ranking_section(res, inp, unit, year, lang, unc))
    doc.sections.append(_profile_section(prof, inp, unit, name, year, lang, nl))
    doc.sections.append(_peers_section(prof, inp, lang, nl))
    doc.sections.append(_obstacles_section(prof, guide, lang, nl))
    # the action guide (its summary, the ranked paths, paths not advised) and its other parts
    doc.sections.append(_action_section(guide, guide_error, lang, names, nl))
    if guide is not None:
        doc.sections.append(_strengths_cases_section(guide, lang, names))
        doc.sections.append(_targets_section(guide, lang))
    doc.sections.append(_tfp_section(inp, year, lang, names, unit=unit))
    doc.sections.append(_regional_typology_section(inp, typ, miss, placement, lang))
    sc = res.scores[(res.scores["period"].astype(int) == year) & (res.scores["node"] == fw.root)]
    doc.sections.append(_map_section(sc.assign(unit=sc["unit"].astype(str)).set_index("unit")["score"], year, lang,
                                     geo, highlight=unit))
    doc.sections.extend(_reader_sections(res, inp, lang, names))
    return doc


def _placement(inp, unit: str, year: int):
    """(typology, its indicators missing from the data, the unit's placement or None when all are missing)."""
    from nqpf.guide.typology import check_typology_data, classify, load_typology

    typ = load_typology()
    miss = check_typology_data(inp.data, typ)
    placement = None if len(miss) == len(typ.indicators()) else classify(inp.data, unit, year, typ)
    return typ, miss, placement


def _guide(res, inp, prof, placement, lang: str, nl):
    """(the action guide of the profile, None) or (None, why it could not be made)."""
    from nqpf.guide.action import action_guide

    fw = res.framework
    series = {n: (fw.node(n).get("series") if isinstance(fw.node(n).get("series"), str) and fw.node(n).get("series")
                  else n) for n in fw.leaves}
    try:
        return action_guide(prof, placement, inp.data, catalogue=inp.catalogue, lang=lang,
                            directions_override={series[n]: fw.direction(n) for n in fw.leaves},
                            labels={i: nl(i) for i in set(inp.data["indicator"].astype(str))},
                            leaf_series=series), None
    except NQPFError as exc:
        return None, str(exc)


def _profile_section(prof, inp, unit: str, name: str, year: int, lang: str, nl) -> Section:
    """Key facts of the unit, its scores by node against national, group and peer means, radar and trend."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("profile", L("report.section.profile"), intro=L("report.intro.profile_plain"))
    r0 = prof.scores.iloc[0]
    facts = [(L("report.col.score"), f"{r0['score']:.4f}"),
             (L("report.col.rank"), f"{int(r0['rank'])} / {int(r0['n_units'])}"
              + ("" if not np.isfinite(r0["rank_p05"]) else f"  [{r0['rank_p05']:.0f}–{r0['rank_p95']:.0f}]")),
             (L("report.col.national_mean"), f"{r0['national_mean']:.4f}"),
             (L("report.col.group_mean") + (f" ({_group_labels(inp, lang).get(unit, prof.group)})" if prof.group else ""),
              "—" if not np.isfinite(r0["group_mean"]) else f"{r0['group_mean']:.4f}"),
             (L("report.col.peer_mean"), f"{r0['peer_mean']:.4f}"),
             (L("report.col.change"), "—" if not np.isfinite(r0["change"]) else f"{r0['change']:+.4f}"),
             (L("report.col.slope"), "—" if not np.isfinite(r0["slope"]) else f"{r0['slope']:+.4f}")]
    s.blocks.append(Facts(facts))
    st = prof.scores.copy()
    st["node"] = st["node"].map(nl)
    st = st.drop(columns=["level"]).rename(columns={
        "node": L("report.col.dimension"), "score": L("report.col.score"), "rank": L("report.col.rank"),
        "n_units": L("report.col.n_units"), "change": L("report.col.change"), "slope": L("report.col.slope"),
        "national_mean": L("report.col.national_mean"), "group_mean": L("report.col.group_mean"),
        "peer_mean": L("report.col.peer_mean"), "rank_p05": L("report.col.rank_p05"),
        "rank_p95": L("report.col.rank_p95")})
    s.blocks.append(Table(st, caption=L("report.caption.profile", name=name, year=year), sheet="profile",
                          formats={L("report.col.rank_p05"): "{:.0f}", L("report.col.rank_p95"): "{:.0f}",
                                   L("report.col.change"): "{:+.4f}", L("report.col.slope"): "{:+.4f}"}))
    dims = prof.scores[prof.scores["level"] == 1]
    if len(dims) >= 3:
        s.blocks.append(_radar(dims, name, lang, nl))
    tr = prof.trend
    tr = tr[tr["period"].astype(int) <= year]  # the report's year is the end of the trend
    piv = tr.pivot(index="period", columns="node", values="score")
    s.blocks.append(Chart(_line_option(piv.index.tolist(), {nl(c): piv[c].tolist() for c in piv.columns},
                                       L("report.caption.trend", name=name)), height=340))
    return s


def _radar(dims: pd.DataFrame, name: str, lang: str, nl) -> Chart:
    """The unit's dimension scores against the national and the peer means (radar, scale 0–1)."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    ind_max = [{"name": nl(n), "max": 1} for n in dims["node"]]
    return Chart({"animation": False, "legend": {"bottom": 0},
                  "title": {"text": L("report.caption.radar"), "left": "center", "textStyle": {"fontSize": 14}},
                  "tooltip": {}, "radar": {"indicator": ind_max, "radius": "62%"},
                  "series": [{"type": "radar", "data": [
                      {"name": name, "value": [round(float(v), 4) for v in dims["score"]]},
                      {"name": L("report.col.national_mean"), "value": [round(float(v), 4) for v in dims["national_mean"]]},
                      {"name": L("report.col.peer_mean"), "value": [round(float(v), 4) for v in dims["peer_mean"]]}]}]},
                 height=420)


def _peers_section(prof, inp, lang: str, nl) -> Section:
    """The unit's nearest peers and its strongest and weakest indicators against them."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("peers", L("report.section.peers"), intro=L("report.intro.peers"))
    gl = _group_labels(inp, lang)
    pe = prof.peers.assign(group=prof.peers["unit"].map(lambda u: gl.get(u, ""))).rename(columns={
        "unit": L("report.col.unit"), "name": L("report.col.name"), "group": L("report.col.group"),
        "distance": L("report.col.distance")})
    s.blocks.append(Table(pe, caption=L("report.caption.peers"), sheet="peers"))
    for key, df in (("strengths", prof.strengths), ("weaknesses", prof.weaknesses)):
        x = df.assign(indicator=df["indicator"].map(nl), dimension=df["dimension"].map(nl)).rename(columns={
            "indicator": L("report.col.indicator"), "dimension": L("report.col.dimension"),
            "value": L("report.col.normalised"), "national_mean": L("report.col.national_mean"),
            "peer_mean": L("report.col.peer_mean"), "gap_peers": L("report.col.gap"), "rank": L("report.col.rank")})
        s.blocks.append(Table(x, caption=L(f"report.caption.{key}"), sheet=key))
    return s


def _obstacle_table(ob: pd.DataFrame, key: str, lang: str, nl) -> Table:
    """Obstacle degrees of the dimensions and the 5 largest indicators (caption and sheet ``key``)."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    ob = ob[(ob["level"] == "dimension") | (ob["rank"] <= 5)].copy()
    ob["node"] = ob["node"].map(nl)
    ob["level"] = ob["level"].map(lambda v: L(f"report.level.{v}"))
    return Table(ob.rename(columns={"node": L("report.col.indicator"), "level": L("report.col.level"),
                                    "obstacle": L("report.col.obstacle"), "deviation": L("report.col.deviation"),
                                    "rank": L("report.col.rank")}),
                 caption=L(f"report.caption.{key}"), sheet=key, formats={L("report.col.obstacle"): "{:.1%}"})


def _obstacles_section(prof, guide, lang: str, nl) -> Section:
    """Obstacle degrees (absolute and relative to the peers' frontier), the sources' diagnosed obstacles, what
    is missing, and the coupling of the digital and real systems."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("obstacles", L("report.section.obstacles"), intro=L("report.intro.obstacles"))
    if prof.obstacles is not None:
        s.blocks.append(_obstacle_table(prof.obstacles, "obstacles", lang, nl))
    rel = getattr(prof, "relative_obstacles", None)
    if rel is not None and len(rel):
        rel = rel[[c for c in ("node", "level", "obstacle", "deviation", "rank") if c in rel.columns]]
        s.blocks.append(_obstacle_table(rel, "obstacles_relative", lang, nl))
    if guide is not None:
        s.blocks.extend(_diagnosis_blocks(guide, lang))
    for m in prof.missing:
        if m["section"] in ("obstacles", "coupling"):
            s.blocks.append(Missing(L(f"report.missing.{m['section']}"), m["needs"], m["reason"]))
    if prof.coupling:
        c = prof.coupling
        s.blocks.append(Facts([(L("report.col.systems"), " × ".join(nl(x) for x in c["systems"])),
                               (L("report.coupling.U"), _join([f"{u:.3f}" for u in c["U"]], lang)),
                               (L("report.coupling.C"), f"{c['C']:.3f}"), (L("report.coupling.T"), f"{c['T']:.3f}"),
                               (L("report.coupling.D"), f"{c['D']:.3f} ({c['grade']})"),
                               (L("report.coupling.D_mean"), f"{c['D_national_mean']:.3f}")],
                              title=L("report.caption.coupling")))
    return s


def _regional_typology_section(inp, typ, miss: list, placement, lang: str) -> Section:
    """The unit's digital–real and data-economy types with the rules that place it and its measures."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = _typology_section("report.section.typology", lang)
    lab = _ind_label(inp, lang)
    if placement is None:
        s.blocks.append(Missing(L("report.section.typology"), [lab(m) for m in miss]))
        return s
    de = [typ.type_label(x, lang) for x in placement.data_economy]
    s.blocks.append(Facts([(L("report.col.type_dr"), typ.type_label(placement.digital_real, lang)),
                           (L("report.col.type_de"), _join(de, lang) if de else L("report.none"))]))
    rows = []
    for e in placement.evidence:
        for c in e["conditions"]:
            right = c["right"] if not isinstance(c["right"], str) else typ.scores[c["right"]]["label"][lang]
            rows.append({L("report.col.type"): typ.type_label(e["type"], lang),
                         L("report.col.rule"): f"{typ.scores[c['left']]['label'][lang]} {c['op']} {right}"
                         + (f" + {c['offset']:.2f}" if c["offset"] else ""),
                         L("report.col.value"): c["left_value"], L("report.col.threshold"): c["threshold"],
                         L("report.col.holds"): L("report.yes") if c["holds"] else L("report.no")})
    s.blocks.append(Table(pd.DataFrame(rows), caption=L("report.caption.typology_evidence"), sheet="typology_rules"))
    mt = placement.measures.assign(
        score=placement.measures["score"].map(lambda x: typ.scores[x]["label"][lang]),
        measure=placement.measures["measure"].map(lambda x: typ.measures[x]["label"][lang]))
    s.blocks.append(Table(mt.rename(columns={"score": L("report.col.score_name"), "measure": L("report.col.measure"),
                                             "raw": L("report.col.value"), "percentile": L("report.col.percentile"),
                                             "n_units": L("report.col.n_units")}),
                          caption=L("report.caption.typology_measures"), sheet="typology_measures"))
    if miss:
        s.blocks.append(Text(L("report.note.typology_missing", items=_join([lab(m) for m in miss], lang)), "warning"))
    s.blocks.append(Text(L("report.note.typology"), "note"))
    return s
