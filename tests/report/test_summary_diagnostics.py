"""Executive summary, index diagnostics and nominal ranks outside their intervals (issue 13 item 2, issue 12
items 3-4): the sections exist, their numbers equal values computed here from the index result, the Chinese
text carries no English fragments or raw ids, and the nominal-outside sentence follows the uncertainty manifest."""

from __future__ import annotations

import copy
import dataclasses
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from _report_helpers import FIXTURE_FRAMEWORK, check_html
from openpyxl import load_workbook

from nqpf.framework import load_framework
from nqpf.i18n import catalogue
from nqpf.index import build_index
from nqpf.report.build import build_report
from nqpf.report.html import render_html

OPTS = {"impute": "group-mean", "periods": "2016-2021"}
YEAR = 2021
ASCII_WORD = re.compile(r"[A-Za-z]+")


class SectionText(HTMLParser):
    """Visible text of each <section id=...> (scripts and styles excluded)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cur: str | None = None
        self.depth = 0
        self.skip = 0
        self.text: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        if tag == "section":
            if self.cur is None:
                self.cur = dict(attrs).get("id")
                self.text.setdefault(self.cur, [])
                self.depth = 0
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        if tag == "section" and self.cur is not None:
            self.depth -= 1
            if self.depth == 0:
                self.cur = None

    def handle_data(self, data):
        if self.cur is not None and not self.skip:
            self.text[self.cur].append(data)


def sections_text(html: str) -> dict[str, str]:
    check_html(html)
    p = SectionText()
    p.feed(html)
    return {k: " ".join(v) for k, v in p.text.items()}


def english_fragments(text: str, fw) -> list[str]:
    """ASCII words left once the framework's own Chinese labels (e.g. 每万人R&D人员, 人均GDP) are removed."""
    for n in sorted(fw.ids, key=lambda n: -len(fw.label(n, "zh"))):
        text = text.replace(fw.label(n, "zh"), "")
    return ASCII_WORD.findall(text)


@pytest.fixture(scope="module")
def res(cn, quiet):
    return build_index(cn.data, str(FIXTURE_FRAMEWORK), **OPTS)


@pytest.fixture(scope="module")
def unc(cn, quiet):
    from nqpf.uncertainty.montecarlo import FACTORS, run_uncertainty

    return run_uncertainty(cn.data, str(FIXTURE_FRAMEWORK), samples=16, seed=0, unit_sensitivity=False,
                           vary=[f for f in FACTORS if f != "impute"], backend="sequential", **OPTS)


@pytest.fixture(scope="module")
def reports(cn, quiet, unc):
    out = {}
    for lang in ("zh", "en"):
        doc = build_report(dataset="cn_provinces", framework=str(FIXTURE_FRAMEWORK), year=YEAR, lang=lang,
                           index_options=OPTS, uncertainty=unc)
        out[lang] = (doc, sections_text(render_html(doc)))
    return out


def _names(cn, lang):
    return dict(zip(cn.units["unit"].astype(str), cn.units[f"name_{lang}"].astype(str), strict=True))


def _root(res):
    sc = res.scores[res.scores["node"] == res.framework.root]
    return sc.assign(unit=sc["unit"].astype(str), period=sc["period"].astype(int))


def test_sections_exist_with_ids_and_summary_comes_first(reports):
    for lang in ("zh", "en"):
        doc, text = reports[lang]
        assert doc.sections[0].id == "summary"
        assert "summary" in text and "diagnostics" in text
        html = render_html(doc)
        assert html.index('id="summary"') < html.index('id="meta"') < html.index('id="ranking"')
        n = sum(1 for b in doc.sections[0].blocks if getattr(b, "kind", "") == "finding")
        assert 3 <= n <= 5


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_national_findings_equal_independent_values(reports, res, cn, unc, lang):
    _, text = reports[lang]
    s = text["summary"]
    names = _names(cn, lang)
    sc = _root(res)
    cur = sc[sc["period"] == YEAR].sort_values("rank")
    lead, last = cur.iloc[0], cur.iloc[-1]
    assert names[lead["unit"]] in s and f"{lead['score']:.4f}" in s
    assert names[last["unit"]] in s and f"{last['score']:.4f}" in s
    # the leader's rank interval from the uncertainty result
    ri = unc.rank_intervals[(unc.rank_intervals["unit"].astype(str) == lead["unit"])
                            & (unc.rank_intervals["period"] == YEAR)].iloc[0]
    assert f"{ri['rank_p05']:.0f}" in s
    # fastest riser by rank since the first year, largest score gain
    y0 = int(sc["period"].min())
    a = sc[sc["period"] == y0].set_index("unit")
    b = cur.set_index("unit")
    gain = (a["rank"] - b["rank"]).sort_index()
    top = gain[gain == gain.max()].index
    riser = max(top, key=lambda u: (b.loc[u, "score"] - a.loc[u, "score"]))
    assert names[riser] in s and str(int(a.loc[riser, "rank"])) in s and str(int(b.loc[riser, "rank"])) in s
    ds = (b["score"] - a["score"]).sort_index()
    assert names[ds.idxmax()] in s and f"{ds.max():+.4f}" in s
    # disparity: coefficient of variation of the scores, first vs report year
    cv = lambda x: float(np.std(x) / np.mean(x))  # noqa: E731
    assert f"{cv(a['score']):.3f}" in s and f"{cv(b['score']):.3f}" in s
    # binding obstacle: indicator with the largest mean obstacle degree in the year
    from nqpf.analysis import obstacle_degree

    ob = obstacle_degree(res.normalized, res.weights)
    ob = ob[(ob["period"].astype(int) == YEAR) & (ob["level"] == "indicator")].groupby("node")["obstacle"].mean()
    assert res.framework.label(ob.idxmax(), lang) in s and f"{ob.max():.1%}" in s


def test_zh_sections_have_no_english_fragments(reports, res):
    doc, text = reports["zh"]
    fw = res.framework
    for sec in ("summary", "diagnostics"):
        assert not english_fragments(text[sec], fw), (sec, english_fragments(text[sec], fw)[:10])
    # the ranking section's new sentences (nominal ranks outside their interval) too
    ranking = next(s for s in doc.sections if s.id == "ranking")
    texts = " ".join(b.text for b in ranking.blocks if hasattr(b, "text") and getattr(b, "kind", "") != "p")
    assert texts and not english_fragments(texts, fw)
    # and no untranslated catalogue keys, no English detail text, no raw leaf ids
    for sec in ("summary", "diagnostics"):
        assert not [k for k in catalogue() if k in text[sec]]
        assert "robust z" not in text[sec]
        assert not any(leaf in text[sec] for leaf in fw.leaves)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_diagnostics_section_matches_result(reports, res, cn, lang):
    doc, text = reports[lang]
    s = text["diagnostics"]
    dg = res.diagnostics
    cc = dg.concentration
    assert res.framework.label(cc["max_leaf"], lang) in s
    assert f"{cc['max_weight']:.1%}" in s and f"{cc['top3_weight']:.1%}" in s and f"{cc['herfindahl']:.3f}" in s
    per = pd.to_numeric(dg.flags["period"], errors="coerce")
    expected = dg.flags[(per == YEAR) | per.isna()]
    sec = next(x for x in doc.sections if x.id == "diagnostics")
    tab = next(b for b in sec.blocks if getattr(b, "sheet", None) == "diagnostics").df
    assert len(tab) == len(expected)
    detail = catalogue()["report.diag.col.detail"][lang]
    assert (detail in tab.columns) == (lang == "en")
    check = catalogue()["report.diag.check.outlier"][lang]
    n_out = int((expected["check"] == "outlier").sum())
    assert int((tab[catalogue()["report.diag.col.check"][lang]] == check).sum()) == n_out
    names = _names(cn, lang)
    for u in expected["unit"]:
        if u:
            assert names[str(u)] in s


def test_no_flags_sentence(cn, quiet, monkeypatch):
    import nqpf.index.diagnostics as D

    real = D.diagnose

    def clean(res, *a, **kw):
        d = real(res, *a, **kw)
        return dataclasses.replace(d, flags=d.flags.iloc[0:0])

    monkeypatch.setattr(D, "diagnose", clean)
    doc = build_report(dataset="cn_provinces", framework=str(FIXTURE_FRAMEWORK), year=YEAR, lang="en",
                       index_options=OPTS)
    text = sections_text(render_html(doc))["diagnostics"]
    assert f"No diagnostic flags in {YEAR}." in text


def test_nominal_outside_sentence_follows_the_manifest(reports, unc, cn, quiet):
    no = unc.manifest["nominal_outside"]
    cases = [c for c in no["cases"] if c["period"] == YEAR]
    assert no["count"] > 0 and cases, "the fixture setup should yield a nominal rank outside its interval"
    for lang in ("zh", "en"):
        names = _names(cn, lang)
        s = reports[lang][1]["ranking"]
        assert f"{no['count']}" in s and f"{no['of']}" in s
        for c in cases:
            assert names[c["unit"]] in s and str(c["rank_nominal"]) in s
        assert catalogue()["report.unc.outside_why"][lang][:20] in s
    # none outside: no sentence; a constructed case: listed by name
    quiet_unc = copy.copy(unc)
    quiet_unc.manifest = {**unc.manifest, "nominal_outside": {**no, "count": 0, "cases": []}}
    doc = build_report(dataset="cn_provinces", framework=str(FIXTURE_FRAMEWORK), year=YEAR, lang="zh",
                       index_options=OPTS, uncertainty=quiet_unc)
    assert catalogue()["report.unc.outside_why"]["zh"][:20] not in sections_text(render_html(doc))["ranking"]
    made = copy.copy(unc)
    made.manifest = {**unc.manifest, "nominal_outside": {"count": 1, "of": 186, "why": no["why"], "cases": [
        {"unit": "110000", "period": YEAR, "rank_nominal": 1, "rank_p05": 2.0, "rank_p95": 4.0,
         "nominal_percentile": 0.01}]}}
    doc = build_report(dataset="cn_provinces", framework=str(FIXTURE_FRAMEWORK), year=YEAR, lang="zh",
                       index_options=OPTS, uncertainty=made)
    s = sections_text(render_html(doc))["ranking"]
    assert f"{YEAR} 年有 1 个地区的名义排名落在其 5%–95% 排名区间之外：北京（名义第 1 位，区间 2–4）" in s


def test_regional_summary(cn, quiet, res, unc, tmp_path):
    out = tmp_path / "anhui.xlsx"
    doc = build_report(dataset="cn_provinces", framework=str(FIXTURE_FRAMEWORK), year=YEAR, unit="340000",
                       lang="zh", index_options=OPTS, uncertainty=unc, fmt="xlsx", out=out)
    text = sections_text(render_html(doc))
    s = text["summary"]
    sc = _root(res)
    me = sc[(sc["unit"] == "340000") & (sc["period"] == YEAR)].iloc[0]
    prev = sc[(sc["unit"] == "340000") & (sc["period"] == YEAR - 1)].iloc[0]
    assert f"{me['score']:.4f}" in s and f"第 {int(me['rank'])} 位" in s and "31 个地区" in s
    ri = unc.rank_intervals[(unc.rank_intervals["unit"].astype(str) == "340000")
                            & (unc.rank_intervals["period"] == YEAR)].iloc[0]
    assert f"第 {ri['rank_p05']:.0f}–{ri['rank_p95']:.0f} 位" in s
    fw = load_framework(str(FIXTURE_FRAMEWORK))
    d = res.scores[(res.scores["unit"].astype(str) == "340000") & (res.scores["period"] == YEAR)
                   & res.scores["node"].isin(fw.children(fw.root))].sort_values(["rank", "score"],
                                                                               ascending=[True, False])
    assert f"最强的维度为{fw.label(d.iloc[0]['node'], 'zh')}" in s and f"最弱的维度为{fw.label(d.iloc[-1]['node'], 'zh')}" in s
    assert f"{me['score'] - prev['score']:+.4f}" in s and f"由第 {int(prev['rank'])} 位变为第 {int(me['rank'])} 位" in s
    assert not english_fragments(s, fw)
    # the workbook's about sheet carries the findings
    cells = [c.value for row in load_workbook(out)["about"].iter_rows() for c in row if c.value]
    assert any(isinstance(v, str) and f"{me['score']:.4f}" in v for v in cells)
