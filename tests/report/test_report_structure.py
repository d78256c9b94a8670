"""Indicator system, methods, data sources and limitations of the national report (issue 13 item 2): the
sections exist in both languages, the indicator table has one row per leaf with effective weights summing to
100 %, the Chinese sections carry no English fragments, the methods name the settings' catalogue labels and
the limitations give the imputed-cell count of the result."""

from __future__ import annotations

import pytest
from _report_helpers import FIXTURE_FRAMEWORK
from openpyxl import load_workbook
from test_summary_diagnostics import ASCII_WORD, english_fragments, sections_text

from nqpf.i18n import catalogue
from nqpf.index import build_index
from nqpf.report.build import _setting_label, build_report, late_series, source_citations
from nqpf.report.html import render_html

OPTS = {"impute": "group-mean", "periods": "2016-2021"}
YEAR = 2021
NEW = ("indicators", "methods", "sources", "limits")


@pytest.fixture(scope="module")
def res(cn, quiet):
    return build_index(cn.data, str(FIXTURE_FRAMEWORK), **OPTS)


@pytest.fixture(scope="module")
def reports(cn, quiet, tmp_path_factory):
    out = {}
    for lang in ("zh", "en"):
        path = tmp_path_factory.mktemp(lang) / "national.xlsx"
        doc = build_report(dataset="cn_provinces", framework=str(FIXTURE_FRAMEWORK), year=YEAR, lang=lang,
                           index_options=OPTS, fmt="xlsx", out=path)
        out[lang] = (doc, sections_text(render_html(doc)), path)
    return out


def _section(doc, sid):
    return next(s for s in doc.sections if s.id == sid)


def _table(doc, sid):
    return next(b for b in _section(doc, sid).blocks if hasattr(b, "df")).df


def _texts(doc, sid):
    return [b.text for b in _section(doc, sid).blocks if hasattr(b, "text")]


def _msg(key, lang):
    return catalogue()[key][lang]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sections_exist(reports, lang):
    doc, text, _ = reports[lang]
    ids = [s.id for s in doc.sections]
    for sid in NEW:
        assert sid in ids and sid in text and text[sid].strip()
        assert _section(doc, sid).title == _msg(f"report.section.{sid}", lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_indicator_table_one_row_per_leaf_and_weights_sum_to_100(reports, res, cn, lang):
    doc, _, path = reports[lang]
    fw = res.framework
    tab = _table(doc, "indicators")
    assert len(tab) == len(fw.leaves)
    assert tab[_msg("report.col.indicator", lang)].tolist() == [fw.label(x, lang) for x in fw.leaves]
    w = tab[_msg("report.ind.col.weight", lang)]
    assert abs(100 * w.sum() - 100) <= 0.1
    ew = res.weights.set_index("node")["effective_weight"]
    assert w.round(12).tolist() == ew.loc[fw.leaves].round(12).tolist()
    # dimension = the level-1 ancestor, direction in words, unit of measure from the dataset catalogue
    dims = set(fw.children(fw.root))
    want_dim = [fw.label(next(a for a in fw.ancestors(x) if a in dims), lang) for x in fw.leaves]
    assert tab[_msg("report.ind.col.dimension", lang)].tolist() == want_dim
    pos, neg = _msg("report.ind.direction.pos", lang), _msg("report.ind.direction.neg", lang)
    assert tab[_msg("report.ind.col.direction", lang)].tolist() == [pos if fw.direction(x) > 0 else neg
                                                                     for x in fw.leaves]
    uom = cn.indicators.set_index("indicator")["unit_of_measure"]
    assert tab[_msg("report.ind.col.uom", lang)].tolist() == [uom[x] for x in fw.leaves]
    src = tab[_msg("report.ind.col.source", lang)]
    if lang == "en":
        assert src.tolist() == [cn.indicators.set_index("indicator")["source"][x] for x in fw.leaves]
    else:  # the catalogue's citations are English: the Chinese table points to the sources section
        assert all(s.startswith("见数据来源表") for s in src)
    # the workbook has the sheet, one row per leaf below the title and header
    ws = load_workbook(path)["indicators"]
    assert ws.cell(row=3, column=1).value == _msg("report.ind.col.dimension", lang)
    assert [ws.cell(row=4 + i, column=2).value for i in range(len(fw.leaves))] == [fw.label(x, lang)
                                                                                 for x in fw.leaves]


def test_zh_sections_have_no_english_fragments(reports, res):
    doc, text, _ = reports["zh"]
    fw = res.framework
    for sid in NEW:
        assert not english_fragments(text[sid], fw), (sid, english_fragments(text[sid], fw)[:10])
        assert not [k for k in catalogue() if k in text[sid]]
        assert not any(leaf in text[sid] for leaf in fw.leaves)
        for v in res.manifest["settings"].values():  # no raw settings strings
            if isinstance(v, str) and "-" in v:
                assert v not in text[sid]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_methods_sentences_name_the_settings(reports, res, lang):
    doc, _, path = reports[lang]
    st = res.manifest["settings"]
    texts = _texts(doc, "methods")
    steps = ("impute", "treat", "normalize", "weights", "aggregate")
    for step in steps:
        assert sum(_setting_label(step, st[step], lang) in x for x in texts) >= 1, step
    assert any(_setting_label("weight_scope", st["weight_scope"], lang) in x for x in texts)
    treat = next(x for x in texts if _setting_label("treat", st["treat"], lang) in x)
    weights = next(x for x in texts if _setting_label("weights", st["weights"], lang) in x)
    src = res.manifest["settings_source"]
    assert _msg(f"report.methods.origin.{src['treat']}", lang) in treat
    assert _msg(f"report.methods.origin.{src['weights']}", lang) in weights
    assert _msg(f"report.methods.origin.{src['impute']}", lang) in texts[0]  # 'argument': chosen here
    # the workbook's about sheet carries the sentences
    cells = [c.value for row in load_workbook(path)["about"].iter_rows() for c in row if c.value]
    assert treat in cells and weights in cells


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_limits_match_the_result(reports, res, cn, lang):
    doc, text, _ = reports[lang]
    s = text["limits"]
    n = len(res.imputation_log)
    assert n > 0
    imputed = _texts(doc, "limits")[0]  # the count of imputed cells, as the catalogue sentence says it
    assert imputed.startswith(_msg("report.limits.imputed", lang).split("{items}")[0].format(n=n))
    for ind in set(res.imputation_log["indicator"]):
        assert res.framework.label(ind, lang) in imputed
    counts = res.diagnostics.counts()
    assert str(sum(counts.values())) in s
    for c, k in counts.items():
        if k:
            assert _msg("report.diag.count_part", lang).format(check=_msg(f"report.diag.check.{c}", lang), n=k) in s
    late = late_series(res, cn)
    assert ("tech_market_turnover_gdp", [("540000", 2017)]) in late
    names = dict(zip(cn.units["unit"].astype(str), cn.units[f"name_{lang}"].astype(str), strict=True))
    assert names["540000"] in s and "2017" in s
    assert _msg("report.limits.relative", lang) in s and _msg("report.limits.vintage", lang) in s


def test_relative_sentence_follows_the_normalisation(cn, quiet):
    doc = build_report(dataset="cn_provinces", framework=str(FIXTURE_FRAMEWORK), year=YEAR, lang="zh",
                       index_options={"impute": "group-mean", "periods": "2016-2021", "normalize": "rank"})
    assert _msg("report.limits.relative_other", "zh").split("“")[0] in " ".join(_texts(doc, "limits"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sources_list_distinct_citations(reports, res, cn, lang):
    doc, text, _ = reports[lang]
    fw = res.framework
    cat = cn.indicators.set_index("indicator")["source"]
    cites: list[str] = []
    for x in fw.leaves:
        cites.extend(c for c in source_citations(cat[x]) if c not in cites)
    tab = _table(doc, "sources")
    assert len(tab) == len(cites)
    sep = "、" if lang == "zh" else "; "
    supplied = tab[_msg("report.src.col.indicators", lang)].tolist()
    for c, row in zip(cites, supplied, strict=True):
        assert row.split(sep) == [fw.label(x, lang) for x in fw.leaves if c in source_citations(cat[x])]
    if lang == "en":
        assert tab[_msg("report.src.col.citation", lang)].tolist() == cites
        assert "docs/datasets.md" in text["sources"]
    else:  # English citations are not translated: a sentence points to the English edition
        assert _msg("report.src.col.citation", lang) not in tab.columns
        assert _msg("report.src.see_en", lang) in text["sources"]


def test_method_labels_in_chinese_carry_no_english():
    # the catalogue's Chinese skew/kurtosis label (shared by reports, CLI and dashboard) names no package
    zh = _setting_label("treat", "skewkurt", "zh")
    assert zh and not ASCII_WORD.findall(zh)


def test_source_citations_split():
    s = "Derived by nqpf from a, b. Sources: A yearbook (2020) | B panel; see PROVENANCE | A yearbook (2020)"
    assert source_citations(s) == ["A yearbook (2020)", "B panel; see PROVENANCE"]
    assert source_citations("国家统计局") == ["国家统计局"]
    assert source_citations("") == []
