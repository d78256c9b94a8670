"""Issue 13 item 3: the Chinese national report (cn_provinces, nqpf-core, the CLI's defaults) holds no English
fragments anywhere — every section's text, table headers and cells, and the texts of the embedded chart
options (titles, legends, series and axis names) — beyond a short, explicit allow-list; the English report keeps
its English labels; the outlier diagnostics show the treated and the raw value with a note that says so; the
dashboard's report download uses the page's cached rank intervals."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from test_summary_diagnostics import sections_text

from nqpf.i18n import t
from nqpf.report import Table
from nqpf.report.build import build_report
from nqpf.report.html import render_html

YEAR = 2023
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")  # Latin words of two letters or more
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# Everything a Chinese reader may see in Latin letters, each with its reason. Matched as substrings and
# removed before the scan (the dataset's own Chinese indicator names are removed as whole labels first).
ALLOW = {
    "GM(1,1)": "the grey model's name, written so in Chinese journals (灰色预测 GM(1,1))",
    "R&D": "NBS's Chinese statistics write 研究与试验发展 as R&D (e.g. R&D经费支出)",
    "GDP": "NBS's Chinese statistics write 国内生产总值 as GDP (e.g. 人均GDP)",
}
# label texts the dataset catalogue gives in Chinese (name_zh) and the framework's zh labels are removed as
# whole strings: they are the data's official names (e.g. 单位GDP二氧化碳排放(EDGAR) names its source, EDGAR)


class _Cells(HTMLParser):
    """Texts of <th> cells and of the first <td> of each body row (row labels) in the report sections."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.th: list[str] = []
        self.first_td: list[str] = []
        self._cur: list[str] | None = None
        self._col = 0

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._col = 0
        if tag in ("th", "td"):
            self._col += 1
            self._cur = []
            self._kind = tag

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cur is not None:
            txt = "".join(self._cur).strip()
            if tag == "th":
                self.th.append(txt)
            elif self._col == 1:
                self.first_td.append(txt)
            self._cur = None

    def handle_data(self, data):
        if self._cur is not None:
            self._cur.append(data)


CHART_TEXT_KEYS = {"text", "subtext", "name", "data", "caption"}


def chart_texts(html: str) -> list[str]:
    """Strings shown by the embedded ECharts options (titles, legends, series, category axes, region names)."""
    out: list[str] = []

    def walk(x, key=None):
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, k)
        elif isinstance(x, list):
            for v in x:
                walk(v, key)
        elif isinstance(x, str) and key in CHART_TEXT_KEYS:
            out.append(x)
        elif isinstance(x, str) and key == "formatter":  # a template: its {a}/{b}/{c} placeholders are not text
            out.append(re.sub(r"\{[^{}]*\}", "", x))

    opts = re.findall(r'getElementById\("[^"]+"\),null,\{renderer:"canvas"\}\);c\.setOption\((\{.*?\})\);'
                      r"window\.addEventListener", html)  # the template's chart script (report.html.j2)
    assert opts, "no chart option found in the report"
    for o in opts:
        walk(json.loads(o))
    return out


def strip_allowed(text: str, labels: list[str]) -> str:
    for lab in labels:
        text = text.replace(lab, " ")
    for tok in ALLOW:
        text = text.replace(tok, " ")
    return text


def latin_fragments(text: str, labels: list[str]) -> list[str]:
    return sorted(set(LATIN_WORD.findall(strip_allowed(text, labels))))


def _labels(cn, res) -> list[str]:
    fw = res.framework
    labs = set(cn.indicators["name_zh"].astype(str)) | {fw.label(n, "zh") for n in fw.ids}
    return sorted((x for x in labs if LATIN_WORD.search(x)), key=len, reverse=True)


@pytest.fixture(scope="module")
def docs(cn, quiet):
    out = {}
    for lang in ("zh", "en"):
        doc = build_report(dataset="cn_provinces", framework="nqpf-core", year=YEAR, lang=lang,
                           uncertainty_samples=16)
        out[lang] = (doc, render_html(doc))
    return out


@pytest.fixture(scope="module")
def res(cn, quiet, docs):
    from nqpf.index import build_index

    return build_index(cn.data, "nqpf-core", **docs["zh"][0].manifest["index_options"])  # the report's index


def test_scanner_catches_the_fragments_seen_on_the_screenshots():
    """The scan fails on each fragment of the report before the fix (a test that cannot fail is a defect)."""
    for frag in ["σ (ln)", "CV", "截面 OLS，稳健标准误", "se 0.0022", "带宽规则：silverman。", "Moran's I",
                 "p (999 perm.)", "HH", "LL", "HL", "等级 good", "MAPE GM(1,1) / Holt (%)", "LISA",
                 "typology.yaml", "seed 002 §5", "Malmquist-Luenberger", "Oh 2010", "CEADs"]:
        assert latin_fragments(frag, []), frag
    for ok in ["灰色预测 GM(1,1)", "R&D经费支出", "人均GDP", "p 值（999次置换）", "莫兰指数 I", "z 值"]:
        assert not latin_fragments(ok, []), ok
    assert _bare_latin("→ Q1") and _bare_latin("C") and _bare_latin("n") and not _bare_latin("2023")


def _bare_latin(cell: str) -> bool:
    """A header or row label with Latin letters and no Chinese character (e.g. "C", "→ Q1", "n")."""
    return bool(re.search(r"[A-Za-z]", cell)) and not CJK.search(cell)


def test_every_zh_section_has_no_latin_words(docs, cn, res):
    doc, html = docs["zh"]
    labels = _labels(cn, res)
    text = sections_text(html)
    assert set(text) >= {s.id for s in doc.sections}, "a section is not rendered"
    bad = {sid: latin_fragments(body, labels) for sid, body in text.items()}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, bad


class _PageText(HTMLParser):
    """Visible text outside the <section> elements: title, contents list, footer."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skip = self.sec = 0
        self.out: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")
        self.sec += tag == "section"

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style")
        self.sec -= tag == "section"

    def handle_data(self, data):
        if not self.skip and not self.sec:
            self.out.append(data)


def test_zh_page_text_outside_the_sections(docs, cn, res):
    p = _PageText()
    p.feed(docs["zh"][1])
    text = " ".join(p.out).replace("由 nqpf ", "由 ")  # the footer names the software that made the file
    assert "要点摘要" in text and not latin_fragments(text, _labels(cn, res)), latin_fragments(text, [])


def test_zh_sensitivity_section_with_an_uncertainty_result(cn, res, quiet):
    """The sensitivity section appears when an UncertaintyResult is given (library use): factors, columns and
    leave-one-out indicators are labelled in Chinese, not with raw ids (treat, first_order, rd_expenditure)."""
    from nqpf.uncertainty.montecarlo import FACTORS, run_uncertainty

    opts = {k: v for k, v in res.manifest.get("settings", {}).items() if k == "impute" and isinstance(v, str)}
    unc = run_uncertainty(cn.data, "nqpf-core", samples=16, seed=0, vary=[f for f in FACTORS if f != "impute"],
                          backend="sequential", **opts)
    doc = build_report(dataset="cn_provinces", framework="nqpf-core", year=YEAR, lang="zh", uncertainty=unc)
    text = sections_text(render_html(doc))
    body = text["sensitivity"]
    assert not latin_fragments(body, _labels(cn, res)), latin_fragments(body, _labels(cn, res))
    assert "赋权方法" in body and "一阶指数" in body and "平均绝对排名变化" in body
    assert not any(leaf in body for leaf in res.framework.leaves)


def test_zh_chart_texts_have_no_latin_words(docs, cn, res):
    _, html = docs["zh"]
    labels = _labels(cn, res)
    texts = chart_texts(html)
    assert any("灰色预测 GM(1,1)" == x for x in texts) and any("霍尔特指数平滑" == x for x in texts)
    bad = sorted({x for x in texts if latin_fragments(x, labels)})
    assert not bad, bad


def test_zh_table_headers_and_row_labels_are_chinese(docs, cn, res):
    """Single Latin letters slip through the word scan: C/T/D, Q1..Q4, n as headers or row labels."""
    _, html = docs["zh"]
    labels = _labels(cn, res)
    p = _Cells()
    p.feed(html)
    assert len(p.th) > 50 and len(p.first_td) > 100
    bad = sorted({c for c in p.th + p.first_td if _bare_latin(strip_allowed(c, labels))})
    assert not bad, bad


def test_zh_explain_labels_are_the_catalogues_terms(docs):
    doc, html = docs["zh"]
    text = sections_text(html)
    assert "对数标准差" in text["convergence"] and "变异系数" in text["convergence"]
    assert "截面普通最小二乘" in text["convergence"] and "标准误" in text["convergence"]
    assert "西尔弗曼经验法则" in text["density"]
    assert "莫兰指数 I" in text["spatial"] and "p 值（999次置换）" in text["spatial"]
    lisa = next(b for s in doc.sections if s.id == "spatial" for b in s.blocks
                if isinstance(b, Table) and b.sheet == "lisa")
    assert set(lisa.df["集聚类型"]) <= {"高-高集聚", "低-低集聚", "高-低异常", "低-高异常"}
    assert "第1组（低）" in text["markov"] and "→ 第4组（高）" in text["markov"]
    for lab in ("耦合度", "综合发展指数", "耦合协调度"):
        assert lab in text["coupling"]
    assert "发展系数 a、灰色作用量 b" in text["forecast"] and "平均绝对百分比误差" in text["forecast"]
    assert re.search(r"等级\s+[一二三四]级（(好|合格|勉强合格|不合格)）", text["forecast"])


def test_en_report_keeps_english_labels(docs):
    doc, html = docs["en"]
    text = sections_text(html)
    assert not CJK.search(" ".join(text[s] for s in ("convergence", "density", "spatial", "markov", "coupling",
                                                        "forecast")))
    assert "Moran's I" in text["spatial"] and "p (999 perm.)" in text["spatial"]
    assert "High-High" in text["spatial"] or "Low-Low" in text["spatial"]
    assert "Silverman's rule of thumb" in text["density"]
    assert "Q1 (low)" in text["markov"] and "MAPE GM(1,1) / Holt (%)" in text["forecast"]
    assert re.search(r"Grade\s+Grade [1-4] \(", text["forecast"])


def test_outlier_rows_show_the_treated_and_the_raw_value(docs, cn, res):
    """Outliers are found on the values fed to normalisation (after winsorising): the table shows that value
    and the raw one; for Jiangsu and Guangdong 2023 R&D expenditure the raw values are the data's own."""
    doc, html = docs["zh"]
    tab = next(b for s in doc.sections if s.id == "diagnostics" for b in s.blocks
               if isinstance(b, Table) and b.sheet == "diagnostics").df
    out = tab[tab["检查项"] == "异常值"]
    names = dict(zip(cn.units["unit"].astype(str), cn.units["name_zh"].astype(str), strict=True))
    leaf = "rd_expenditure"
    lab = res.framework.label(leaf, "zh")
    d = cn.data.assign(unit=cn.data["unit"].astype(str))
    d = d[(d["period"].astype(int) == YEAR) & (d["indicator"] == leaf)].set_index("unit")["value"]
    j = res.framework.leaves.index(leaf)
    X = res.X.reshape(-1, len(res.framework.leaves))
    for code in ("320000", "440000"):
        row = out[(out["地区"] == names[code]) & (out["指标"] == lab)]
        assert len(row) == 1, (code, out)
        raw = float(d.loc[code])  # the dataset's own value (4212.3 and 4802.6 in cn_provinces)
        i = int(np.flatnonzero((res.units == code) & (res.periods == YEAR))[0])
        assert row["原始值"].iloc[0] == pytest.approx(raw, rel=1e-12)
        assert row["数值"].iloc[0] == pytest.approx(float(X[i, j]), rel=1e-12)  # the winsorised value
        assert row["数值"].iloc[0] < raw  # winsorising lowered it: the two columns differ
    text = sections_text(html)["diagnostics"]
    assert "异常值为指标原值" not in text and "原始值" in text and "缩尾" in text
    en = sections_text(docs["en"][1])["diagnostics"]
    assert "Raw value" in en and "after outlier treatment" in en


def test_dashboard_report_uses_the_pages_cached_rank_intervals(tmp_path, quiet, monkeypatch):
    """report_bytes passes the dashboard's cached intervals: a sentinel table in the cache reaches the report."""
    import nqpf.report as R
    from nqpf.web import views
    from nqpf.web.app import Dashboard, RunRequest

    dash = Dashboard(tmp_path, max_upload_bytes=1_000_000, max_rows=100_000, max_cols=200)
    rid = dash.compute(RunRequest(periods="2020-2022")).id
    run = dash.run(rid)
    root = run["scores"]
    sc = root[(root["period"].astype(int) == 2022)]
    units = sorted(sc["unit"].astype(str).unique())
    sentinel = pd.DataFrame({"unit": units, "period": 2022, "rank_p05": 1.0, "rank_p95": float(len(units))})
    dash.put(("intervals", rid), sentinel)
    seen = {}
    real = R.build_report

    def spy(**kw):
        seen.update(kw)
        return real(**kw)

    monkeypatch.setattr(R, "build_report", spy)
    body, media = views.report_bytes(dash, rid, "report.html", 2022, "zh")
    assert media.startswith("text/html") and body
    assert seen["uncertainty"] is sentinel
    doc = real(**{**seen, "out": None})
    rk = next(b for s in doc.sections if s.id == "ranking" for b in s.blocks if isinstance(b, Table)).df
    assert set(rk[t("report.col.rank_p05", "zh")]) == {1.0}
    assert set(rk[t("report.col.rank_p95", "zh")]) == {float(len(units))}


def test_dashboard_report_without_intervals_when_the_pages_monte_carlo_refuses(tmp_path, quiet, monkeypatch):
    """The page shows no band when its Monte Carlo refuses the data: the report then has none either (no other
    Monte Carlo with other intervals) and still downloads."""
    import nqpf.report as R
    from nqpf.errors import DataError
    from nqpf.web import views
    from nqpf.web.app import Dashboard, RunRequest

    dash = Dashboard(tmp_path, max_upload_bytes=1_000_000, max_rows=100_000, max_cols=200)
    rid = dash.compute(RunRequest(periods="2021-2022")).id

    def refuse(dash_, run_id):
        raise DataError("uncertainty analysis: weights of the kept indicators are all 0")

    monkeypatch.setattr(views, "rank_intervals", refuse)
    seen = {}
    real = R.build_report
    monkeypatch.setattr(R, "build_report", lambda **kw: (seen.update(kw), real(**kw))[1])
    body, _ = views.report_bytes(dash, rid, "report.html", 2022, "en")
    assert body and seen["uncertainty"] is None and seen["uncertainty_samples"] == 0
    assert t("report.missing.uncertainty", "en") in body.decode("utf-8")
