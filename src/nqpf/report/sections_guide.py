"""The regional report's guide sections (:mod:`nqpf.guide.action`): the sources' diagnosed obstacles, the
action guide (its summary, the ranked paths with their triggers and peers, the paths not advised), strengths
to build on with cases and facts, and the targets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf.i18n import t
from nqpf.report import Facts, Missing, Section, Table, Text
from nqpf.report.common import _concept_label, _join, _path_titles


def _diagnosis_blocks(guide, lang) -> list:
    """The obstacles the sources diagnose, their share and evidence in the unit's data, or []."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    d = guide.diagnosis
    if d is None or not len(d):
        return []
    d = d[d["measurable"]]
    tab = pd.DataFrame({
        L("report.diag_src.col.obstacle"): d["label"].to_numpy(),
        L("report.diag_src.col.citation"): [c or "—" for c in d["citation"]],
        L("report.diag_src.col.share"): d["share"].astype(float).to_numpy(),
        L("report.diag_src.col.below"): d["n_below_peers"].astype(int).to_numpy(),
        L("report.diag_src.col.shown"): [L("report.yes") if x else L("report.no") for x in d["shown"]],
        L("report.diag_src.col.evidence"): [e or "—" for e in d["evidence"]]})
    return [Table(tab, caption=L("report.caption.diagnosis"), sheet="diagnosis",
                  formats={L("report.diag_src.col.share"): "{:.1%}"}),
            Text(L("report.diag_src.note"), "note")]


def _action_section(guide, guide_error, lang, names, nl) -> Section:
    """The action guide: its summary lines, the table of ranked paths, each path's blocks, the paths not advised."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("action", L("report.section.action"), intro=L("guide.not_causal"))
    if guide is None:
        s.blocks.append(Missing(L("report.section.action"), [], guide_error or ""))
        return s
    titles = _path_titles(lang)
    lines = guide.summary_lines(3, names=names)
    if lines:
        s.blocks.append(Text(L("report.caption.guide_summary"), "note"))
        s.blocks.extend(Text(x, "finding") for x in lines)
    if not guide.recommendations:
        s.blocks.append(Text(L("report.note.no_recommendation"), "note"))
    s.blocks.extend(_paths_table(guide, lang, nl, titles))
    for k, r in enumerate(guide.recommendations[:6]):
        s.blocks.extend(_recommendation_blocks(k, r, lang, names, nl, titles))
    s.blocks.extend(_not_advised_blocks(guide, lang, titles))
    return s


def _paths_table(guide, lang, nl, titles: dict[str, str]) -> list:
    """The ranked paths (with the indicators that trigger them and the paths that cover them), or []."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    gt = guide.table()
    if not len(gt):
        return []
    gt["triggers"] = [_join([nl(i) for i in r.triggers["indicator"]], lang) for r in guide.recommendations]
    if any(r.covered_by for r in guide.recommendations):  # why a higher score can sit lower in the order
        gt["covered_by"] = [_join([titles.get(p, p) for p in r.covered_by], lang) or "—"
                            for r in guide.recommendations]
    gt = gt.drop(columns=["path"])
    out: list = [Table(gt.rename(columns={"rank": L("report.col.rank"), "title": L("report.col.path"),
                                          "citation": L("report.col.citation"), "score": L("report.col.evidence_score"),
                                          "evidence": L("report.col.evidence"), "type_factor": L("report.col.type_factor"),
                                          "triggers": L("report.col.triggers"), "why": L("report.col.why"),
                                          "covered_by": L("report.col.covered_by")}),
                       caption=L("report.caption.action"), sheet="action")]
    if "covered_by" in gt:
        out.append(Text(L("report.note.covered_order", pct=f"{float(guide.manifest.get('covered_factor', np.nan)):.0%}"),
                        "note"))
    return out


def _recommendation_blocks(k: int, r, lang, names, nl, titles: dict[str, str]) -> list:
    """The ``k``-th path: title, summary, why, cautions, its trigger indicators and its peers' trajectories."""
    L = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    out: list = [Text(f"{k + 1}. {r.title} — {r.citation}", "p"), Text(r.summary, "note"), Text(r.why, "p")]
    if r.covered_by:
        out.append(Text(L("report.note.covered_by", items=_join([titles.get(p, p) for p in r.covered_by], lang)),
                        "note"))
    if r.cautions:
        out.append(Text(L("report.note.cautions", items=("；" if lang == "zh" else "; ").join(r.cautions)), "warning"))
    if not len(r.triggers):  # recommended on a documented fact alone: no indicator table to show
        return out
    trg = r.triggers.assign(indicator=r.triggers["indicator"].map(nl),
                            concept=r.triggers["concept"].map(lambda c: _concept_label(c, lang)),
                            reason=r.triggers["reason"].map(lambda x: L(f"report.reason.{x.replace('+', '_')}")))
    out.append(Table(trg.rename(columns={"indicator": L("report.col.indicator"), "concept": L("report.col.concept"),
                                         "value": L("report.col.normalised"), "peer_mean": L("report.col.peer_mean"),
                                         "gap": L("report.col.gap"), "obstacle": L("report.col.obstacle"),
                                         "reason": L("report.col.reason")}),
                     caption=L("report.caption.triggers"), sheet=f"action_{k + 1}_triggers",
                     formats={L("report.col.obstacle"): "{:.1%}"}))
    if not len(r.peer_trajectories):
        out.append(Text(L("report.note.no_trajectory"), "note"))
        return out
    pt = r.peer_trajectories.assign(indicator=r.peer_trajectories["indicator"].map(nl),
                                    peer_name=r.peer_trajectories["peer"].map(lambda u: names.get(u, u)))
    pt = pt.drop(columns=[c for c in ("peer",) if c in pt.columns])
    out.append(Table(pt.rename(columns={
        "indicator": L("report.col.indicator"), "peer_name": L("report.col.peer"),
        "start_year": L("report.col.start_year"), "start_value": L("report.col.start_value"),
        "end_year": L("report.col.end_year"), "end_value": L("report.col.end_value"),
        "gain": L("report.col.gain"), "co_movers": L("report.col.co_movers")}),
        caption=L("report.caption.trajectories"), sheet=f"action_{k + 1}_peers"))
    return out


def _not_advised_blocks(guide, lang, titles: dict[str, str]) -> list:
    """Paths not advised (and why), paths that cannot be assessed (concepts without indicators), not triggered."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    out: list = []
    if guide.not_applicable:
        na = pd.DataFrame({
            L("report.na.col.path"): [n["title"] for n in guide.not_applicable],
            L("report.na.col.concept"): [n["concept_label"] for n in guide.not_applicable],
            L("report.na.col.percentile"): [float(n["percentile"]) for n in guide.not_applicable],
            L("report.na.col.max_pct"): [float(n["max_pct"]) for n in guide.not_applicable],
            L("report.na.col.reason"): [n["reason"] for n in guide.not_applicable],
            L("report.na.col.citation"): [n["citation"] for n in guide.not_applicable]})
        out.append(Table(na, caption=L("report.caption.not_advised"), sheet="not_advised",
                         formats={L("report.na.col.percentile"): "{:.2f}", L("report.na.col.max_pct"): "{:.2f}"}))
    if guide.not_assessable:
        out.append(Missing(L("report.caption.not_assessable"), [
            f"{titles.get(a['path_id'], a['path_id'])}{'：' if lang == 'zh' else ': '}"
            f"{_join([_concept_label(c, lang) for c in a['concepts_without_indicators']], lang)}"
            for a in guide.not_assessable]))
    if guide.not_triggered:
        out.append(Text(L("report.note.not_triggered", items=_join([titles.get(p, p) for p in guide.not_triggered],
                                                                   lang)), "note"))
    return out


def _strengths_cases_section(guide, lang, names) -> Section:
    """Strengths to build on, the documented cases of related regions and the facts the guide relies on."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("strengths_cases", L("report.section.strengths_cases"), intro=L("report.intro.strengths_cases"))
    st = guide.strengths
    if st is not None and len(st):
        s.blocks.append(Table(pd.DataFrame({
            L("report.col.indicator"): st["label"].to_numpy(), L("report.col.normalised"): st["value"].to_numpy(),
            L("report.col.peer_mean"): st["peer_mean"].to_numpy(), L("report.col.gap"): st["gap"].to_numpy()}),
            caption=L("report.caption.strengths_build"), sheet="build_on",
            formats={L("report.col.gap"): "{:+.4f}"}))
    else:
        s.blocks.append(Text(L("report.strengths_build.none"), "note"))
    cs = guide.cases
    if cs is not None and len(cs):
        def regions(u: str) -> str:
            return _join([names.get(x.strip(), x.strip()) for x in str(u).split(",") if x.strip()], lang)

        s.blocks.append(Table(pd.DataFrame({
            L("report.case.col.title"): cs["title"].to_numpy(),
            L("report.case.col.relation"): [L(f"report.case.relation.{r}") for r in cs["relation"]],
            L("report.case.col.industry"): cs["industry"].to_numpy(),
            L("report.case.col.regions"): [regions(u) for u in cs["units"]],
            L("report.case.col.mechanism"): cs["mechanism"].to_numpy(),
            L("report.case.col.citation"): cs["citation"].to_numpy()}),
            caption=L("report.caption.cases"), sheet="cases"))
    else:
        s.blocks.append(Text(L("report.case.none"), "note"))
    if guide.facts:
        s.blocks.append(Facts([(f["label"], f["citation"]) for f in guide.facts], title=L("report.caption.facts")))
    else:
        s.blocks.append(Text(L("report.facts.none"), "note"))
    return s


def _targets_section(guide, lang) -> Section:
    """The unit's distance to the documented national and regional targets and the pace needed."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("targets", L("report.section.targets"), intro=L("report.intro.targets"))
    tg = guide.targets
    if tg is None or not len(tg):
        s.blocks.append(Text(L("report.target.none"), "note"))
        return s
    src = [L("report.target.source.data") if c == "data" else c for c in tg["current_source"]]
    tab = pd.DataFrame({
        L("report.target.col.label"): tg["label"].to_numpy(),
        L("report.target.col.level"): [L("report.target.level." + ("national" if v == "national" else "region"))
                                       for v in tg["level"]],
        L("report.target.col.uom"): [u or "—" for u in tg["unit_of_measure"]],
        L("report.target.col.current"): tg["current"].astype(float).to_numpy(),
        L("report.target.col.current_year"): tg["current_year"].to_numpy(),
        L("report.target.col.current_source"): src,
        L("report.target.col.target"): tg["target"].astype(float).to_numpy(),
        L("report.target.col.target_year"): tg["target_year"].to_numpy(),
        L("report.target.col.distance"): tg["distance"].astype(float).to_numpy(),
        L("report.target.col.pace"): tg["pace_linear"].astype(float).to_numpy(),
        L("report.target.col.met"): [L("report.yes") if m else L("report.no") for m in tg["met"]],
        L("report.target.col.citation"): tg["citation"].to_numpy()})
    s.blocks.append(Table(tab, caption=L("report.caption.targets"), sheet="targets",
                          formats={L("report.target.col.current"): "{:.1f}", L("report.target.col.target"): "{:.1f}",
                                   L("report.target.col.distance"): "{:.1f}", L("report.target.col.pace"): "{:.2f}"}))
    return s
