"""The regional report has the national report's director-ready structure (issue 13 item 2) and shows the guide's
new parts (issue 16): key findings computed from the results, the ranking with rank intervals, the indicator
system, methods, data sources and limitations; the guide in brief, the sources' diagnosed obstacles, strengths,
cases, documented facts, distance to targets with the required annual pace and the paths not advised. Every number
checked here is recomputed from the library (or from a textbook identity); the Chinese report carries no English
fragments, raw ids or settings strings."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from test_summary_diagnostics import ASCII_WORD, sections_text

from nqpf.errors import DataError
from nqpf.guide.action import action_guide
from nqpf.guide.knowledge import default_knowledge
from nqpf.guide.profile import build_profile
from nqpf.guide.typology import classify
from nqpf.i18n import catalogue
from nqpf.index import build_index
from nqpf.report import Missing, Table
from nqpf.report.build import build_report
from nqpf.report.html import render_html

FW = "nqpf-core"
YEAR = 2021
UNC = 16  # Monte Carlo base samples (the estimators' minimum): one run shared by the module's reports
UNITS = ("340000", "620000")  # Anhui (has its own case), Gansu (a national computing hub)
NEW = ("summary", "ranking", "indicators", "methods", "sources", "limits", "strengths_cases", "targets")


def _msg(key, lang):
    return catalogue()[key][lang]


@pytest.fixture(scope="module")
def res(cn, quiet):
    return build_index(cn.data, FW, impute="linear-carry")


@pytest.fixture(scope="module")
def unc(cn, quiet):
    from nqpf.uncertainty.montecarlo import FACTORS, run_uncertainty

    return run_uncertainty(cn.data, FW, samples=UNC, seed=1, unit_sensitivity=False, impute="linear-carry",
                           vary=[f for f in FACTORS if f != "impute"], backend="sequential")


@pytest.fixture(scope="module")
def reports(cn, quiet, unc):
    out = {}
    for unit in UNITS:
        for lang in ("zh", "en"):
            doc = build_report(dataset="cn_provinces", framework=FW, year=YEAR, unit=unit, lang=lang,
                               uncertainty=unc)
            out[unit, lang] = (doc, sections_text(render_html(doc)))
    return out


@pytest.fixture(scope="module")
def guides(cn, res, quiet):
    """The guide recomputed here from the library, as a reader of the API would."""
    fw = res.framework
    series = {n: (fw.node(n).get("series") or n) for n in fw.leaves}
    lab = dict(zip(cn.indicators["indicator"], cn.indicators["name_zh"], strict=True))
    out = {}
    for unit in UNITS:
        for lang in ("zh", "en"):
            prof = build_profile(res, unit, YEAR, units=cn.units, data=cn.data, lang=lang)
            labels = {i: (fw.label(i, lang) if i in fw.ids else
                          (lab.get(i, i) if lang == "zh" else
                           dict(zip(cn.indicators["indicator"], cn.indicators["name_en"], strict=True)).get(i, i)))
                      for i in set(cn.data["indicator"].astype(str))}
            g = action_guide(prof, classify(cn.data, unit, YEAR), cn.data, catalogue=cn.indicators, lang=lang,
                             directions_override={series[n]: fw.direction(n) for n in fw.leaves}, labels=labels,
                             leaf_series=series)
            out[unit, lang] = (prof, g)
    return out


def _section(doc, sid):
    return next(s for s in doc.sections if s.id == sid)


def _tables(doc, sid):
    return {b.sheet: b.df for b in _section(doc, sid).blocks if isinstance(b, Table)}


def _names(cn, lang):
    return dict(zip(cn.units["unit"].astype(str), cn.units[f"name_{lang}"].astype(str), strict=True))


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("unit", UNITS)
def test_sections_in_the_director_order(reports, unit, lang):
    doc, text = reports[unit, lang]
    ids = [s.id for s in doc.sections]
    assert ids[0] == "summary" and ids[1] == "ranking"
    assert ids[-4:] == ["indicators", "methods", "sources", "limits"]
    for sid in NEW + ("action", "obstacles"):
        assert sid in ids and text[sid].strip(), sid
    for sid in ("indicators", "methods", "sources", "limits"):
        assert _section(doc, sid).title == _msg(f"report.section.{sid}", lang)
    findings = [b for b in doc.sections[0].blocks if getattr(b, "kind", "") == "finding"]
    assert 3 <= len(findings) <= 5


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("unit", UNITS)
def test_findings_equal_values_recomputed(reports, guides, res, cn, unit, lang):
    doc, text = reports[unit, lang]
    s = text["summary"]
    prof, g = guides[unit, lang]
    ds = res.display_scores()
    root = ds[(ds["node"] == res.framework.root) & (ds["period"] == YEAR)].set_index("unit")
    assert f"{root.loc[unit, 'score']:.4f}" in s and str(int(root.loc[unit, "rank"])) in s
    # binding obstacle relative to the peers' frontier: the largest indicator obstacle of the profile
    ro = prof.relative_obstacles
    top = ro[ro["level"] == "indicator"].sort_values("obstacle", ascending=False).iloc[0]
    fw = res.framework
    lab = fw.label(top["node"], lang) if top["node"] in fw.ids else top["node"]
    assert lab in s and f"{top['obstacle']:.1%}" in s
    shown = g.diagnosis[g.diagnosis["shown"] & (g.diagnosis["id"] != "unmapped")]
    if len(shown):
        assert shown["label"].iloc[0] in s and f"{shown['share'].iloc[0]:.1%}" in s
    assert g.recommendations[0].title in s


@pytest.mark.parametrize("unit", UNITS)
def test_ranking_shows_neighbours_with_their_intervals(reports, res, cn, unit):
    doc, _ = reports[unit, "en"]
    tab = _tables(doc, "ranking")["ranking"]
    ds = res.display_scores()
    cur = ds[(ds["node"] == res.framework.root) & (ds["period"] == YEAR)].sort_values(["rank", "unit"],
                                                                                      kind="mergesort")
    order = cur["unit"].astype(str).tolist()
    i = order.index(unit)
    want = order[max(0, i - 3): i + 4]
    names = _names(cn, "en")
    assert tab[_msg("report.col.name", "en")].tolist() == [names[u] for u in want]
    lo = tab[_msg("report.col.rank_p05", "en")]
    hi = tab[_msg("report.col.rank_p95", "en")]
    assert lo.notna().all() and (lo <= hi).all()
    assert not any(isinstance(b, Missing) for b in _section(doc, "ranking").blocks)


def test_ranking_without_uncertainty_says_what_is_missing(cn, quiet):
    doc = build_report(dataset="cn_provinces", framework=FW, year=YEAR, unit="620000", lang="zh", uncertainty_samples=0)
    miss = [b for b in _section(doc, "ranking").blocks if isinstance(b, Missing)]
    assert miss and not ASCII_WORD.findall(" ".join(miss[0].needs))
    assert doc.manifest["uncertainty"] == {"given": False, "samples": 0, "seed": None}


def test_rank_intervals_by_default_seeded_and_recorded(cn, quiet):
    """Issue 13 item 4: without an uncertainty argument the report runs the Monte Carlo with the default base
    sample size and seed, shows the 5-95 % band of every unit, and records both in its manifest; the same seed
    gives the same intervals (a second run), another seed is recorded as given."""
    from nqpf.report.build import DEFAULT_SEED, DEFAULT_UNCERTAINTY_SAMPLES
    from nqpf.uncertainty.montecarlo import FACTORS, run_uncertainty

    doc = build_report(dataset="cn_provinces", framework=FW, year=YEAR, unit="620000", lang="zh")
    sec = _section(doc, "ranking")
    assert not any(isinstance(b, Missing) for b in sec.blocks)
    assert doc.manifest["uncertainty"] == {"given": False, "samples": DEFAULT_UNCERTAINTY_SAMPLES,
                                           "seed": DEFAULT_SEED}
    note = _msg("report.note.mc_design", "zh").format(n=DEFAULT_UNCERTAINTY_SAMPLES, seed=DEFAULT_SEED)
    assert any(getattr(b, "text", None) == note for b in sec.blocks)
    tab = _tables(doc, "ranking")["ranking"]
    ref = run_uncertainty(cn.data, FW, samples=DEFAULT_UNCERTAINTY_SAMPLES, seed=DEFAULT_SEED,
                          unit_sensitivity=False, impute="linear-carry", vary=[f for f in FACTORS if f != "impute"],
                          backend="sequential").rank_intervals
    ref = ref[ref["period"].astype(int) == YEAR]
    ref = ref.set_index(ref["unit"].astype(str))
    name = dict(zip(cn.units["unit"].astype(str), cn.units["name_zh"].astype(str), strict=True))
    by_name = {name[u]: u for u in ref.index}
    got = tab.set_index(_msg("report.col.name", "zh"))
    assert len(got) == 7  # the unit and its three neighbours on either side
    for nm, row in got.iterrows():
        u = by_name[nm]
        assert row[_msg("report.col.rank_p05", "zh")] == pytest.approx(ref.loc[u, "rank_p05"])
        assert row[_msg("report.col.rank_p95", "zh")] == pytest.approx(ref.loc[u, "rank_p95"])
    other = build_report(dataset="cn_provinces", framework=FW, year=YEAR, unit="620000", lang="en", seed=7,
                         uncertainty_samples=16)
    assert other.manifest["uncertainty"] == {"given": False, "samples": 16, "seed": 7}
    with pytest.raises(DataError, match="--uncertainty 5"):
        build_report(dataset="cn_provinces", framework=FW, year=YEAR, unit="620000", lang="en", uncertainty_samples=5)


def test_default_intervals_do_not_stop_a_report_the_monte_carlo_cannot_vary(cn, quiet):
    """Weights set within parents (weight_scope 'parent') are outside what the Monte Carlo varies: by default the
    report is written without intervals (saying so, the reason in the manifest); asked for, it is an error."""
    kw = dict(dataset="cn_provinces", framework=FW, year=YEAR, unit="620000",
              index_options={"impute": "linear-carry", "weight_scope": "parent"})
    doc = build_report(lang="zh", **kw)
    assert any(isinstance(b, Missing) for b in _section(doc, "ranking").blocks)
    assert doc.manifest["uncertainty"]["samples"] == 0 and "weight_scope" in doc.manifest["uncertainty"]["failed"]
    with pytest.raises(DataError, match="蒙特卡洛只能改变末级指标的权重"):
        build_report(lang="zh", uncertainty_samples=16, **kw)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("unit", UNITS)
def test_guide_parts_shown(reports, guides, cn, unit, lang):
    doc, text = reports[unit, lang]
    prof, g = guides[unit, lang]
    act = text["action"]
    for line in g.summary_lines(3, names=_names(cn, lang)):
        assert line in act
    tabs = _tables(doc, "obstacles")
    d = g.diagnosis[g.diagnosis["measurable"]]
    dt = tabs["diagnosis"]
    assert dt[_msg("report.diag_src.col.obstacle", lang)].tolist() == d["label"].tolist()
    assert np.allclose(dt[_msg("report.diag_src.col.share", lang)].to_numpy(float), d["share"].to_numpy(float))
    sc = _tables(doc, "strengths_cases")
    if len(g.strengths):
        st = sc["build_on"]
        assert st[_msg("report.col.indicator", lang)].tolist() == g.strengths["label"].tolist()
        assert np.allclose(st[_msg("report.col.gap", lang)], g.strengths["value"] - g.strengths["peer_mean"])
    if len(g.cases):
        assert sc["cases"][_msg("report.case.col.title", lang)].tolist() == g.cases["title"].tolist()
    for f in g.facts:
        assert f["label"] in text["strengths_cases"]
    act_tab = _tables(doc, "action")["action"]
    col = _msg("report.col.covered_by", lang)
    if any(r.covered_by for r in g.recommendations):  # the order is explained where it departs from the score
        titles = {p.id: p.title[lang] for p in default_knowledge().paths}
        sep = "、" if lang == "zh" else ", "
        assert act_tab[col].tolist() == [sep.join(titles[p] for p in r.covered_by) or "—" for r in g.recommendations]
    else:
        assert col not in act_tab
    assert act_tab[_msg("report.col.path", lang)].tolist() == [r.title for r in g.recommendations]
    if g.not_applicable:
        na = _tables(doc, "action")["not_advised"]
        assert na[_msg("report.na.col.path", lang)].tolist() == [n["title"] for n in g.not_applicable]


def test_anhui_shows_its_own_case(guides, reports):
    _, g = guides["340000", "zh"]
    own = g.cases[g.cases["relation"] == "own"]
    assert len(own), "Anhui's quantum case (seed 004 §5) should be its own"
    tab = _tables(reports["340000", "zh"][0], "strengths_cases")["cases"]
    rel = dict(zip(tab[_msg("report.case.col.title", "zh")], tab[_msg("report.case.col.relation", "zh")], strict=True))
    assert all(rel[x] == _msg("report.case.relation.own", "zh") for x in own["title"])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_targets_distance_and_pace_follow_the_identity(reports, lang):
    """distance = target − current; linear pace = distance / (target year − current year), 0 when met."""
    doc, _ = reports["620000", lang]
    tab = _tables(doc, "targets").get("targets")
    assert tab is not None and len(tab)
    c = lambda k: tab[_msg(f"report.target.col.{k}", lang)].astype(float).to_numpy()  # noqa: E731
    d = c("target") - c("current")
    assert np.allclose(c("distance"), d)
    n = c("target_year") - c("current_year")
    assert np.allclose(c("pace"), np.where(d <= 0, 0.0, d / n))


def test_regional_indicator_table_is_the_national_one(reports, res, cn, quiet):
    nat = build_report(dataset="cn_provinces", framework=FW, year=YEAR, lang="en")
    a = _tables(nat, "indicators")["indicators"]
    b = _tables(reports["620000", "en"][0], "indicators")["indicators"]
    pd.testing.assert_frame_equal(a, b)
    assert len(b) == len(res.framework.leaves)


def _strip_labels(text: str, fw, cn) -> str:
    """Remove the labels a Chinese report may show as they are: the framework's and the dataset catalogue's Chinese
    names (e.g. 单位GDP二氧化碳排放(EDGAR)), and the acronyms GDP and R&D of Chinese official statistics."""
    labels = [fw.label(n, "zh") for n in fw.ids] + cn.indicators["name_zh"].astype(str).tolist()
    for lab in sorted(set(labels), key=len, reverse=True):
        text = text.replace(lab, "")
    return text.replace("R&D", "").replace("GDP", "")


@pytest.mark.parametrize("unit", UNITS)
def test_zh_report_has_no_english_fragments_raw_ids_or_settings(reports, res, cn, unit):
    doc, text = reports[unit, "zh"]
    fw = res.framework
    path_ids = [p.id for p in default_knowledge().paths]
    settings = [v for v in res.manifest["settings"].values() if isinstance(v, str) and "-" in v]
    for sid, body in text.items():  # every section, the TFP section and the map caption included
        left = ASCII_WORD.findall(_strip_labels(body, fw, cn))
        assert not left, (sid, sorted(set(left))[:15])
    body = " ".join(v for k, v in text.items())
    assert not [k for k in catalogue() if k in body]
    assert not any(re.search(rf"(?<![A-Za-z_]){re.escape(p)}(?![A-Za-z_])", body) for p in path_ids if "_" in p)
    assert not any(leaf in body for leaf in fw.leaves if "_" in leaf)
    assert not any(v in body for v in settings)
    for raw in ("seed 0", ".yaml", "--", "nqpf uncertainty"):
        assert raw not in body, raw


def test_regional_trend_ends_at_the_report_year(reports):
    doc, _ = reports["620000", "en"]
    prof = _section(doc, "profile")
    charts = [b for b in prof.blocks if hasattr(b, "option") and b.option.get("xAxis", {}).get("type") == "category"]
    assert charts and max(int(x) for x in charts[-1].option["xAxis"]["data"]) == YEAR

