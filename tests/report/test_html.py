"""HTML machinery on small frames: valid, self-contained, escaped, renders in headless Chromium."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from _report_helpers import check_html, screenshot

from nqpf import assets
from nqpf.report import Chart, Facts, MapBlock, Missing, ReportDoc, Section, Table, Text
from nqpf.report.html import render_html, table_view, write_html


def _doc(lang="en"):
    codes = [f["properties"]["id"] for f in assets.china_map()["features"]] if assets.available() else ["110000"]
    vals = pd.Series(np.linspace(0.1, 0.9, len(codes)), index=codes)
    mi = pd.DataFrame([[1, 0.5, 2, 0.25]], columns=pd.MultiIndex.from_tuples(
        [("Labour", "rank"), ("Labour", "score"), ("Data", "rank"), ("Data", "score")]))
    return ReportDoc(title="Test <report>", lang=lang, subtitle="sub", meta=[("Data", "x & y")], sections=[
        Section("a", "Tables", [Text("<script>alert(1)</script>"), Facts([("k", "v")]),
                                Table(pd.DataFrame({"unit": ["110000", "310000"], "score": [0.5, 0.25],
                                                    "rank": [1, 2]}), caption="cap", highlight="310000"),
                                Table(mi, caption="multi")]),
        Section("b", "Charts", [Chart({"xAxis": {"type": "category", "data": ["a", "b"]}, "yAxis": {},
                                       "series": [{"type": "bar", "data": [1, float("nan")]}]}),
                                MapBlock(vals, title="map", legend="score"),
                                Missing("convergence", ["three periods"], "only two")]),
    ])


def test_valid_escaped_and_self_contained(tmp_path):
    html = render_html(_doc())
    c = check_html(html)
    text = "".join(c.text)
    assert "<script>alert(1)</script>" in text            # shown as text (escaped), not executed
    assert "alert(1)" not in "".join(c.scripts)
    assert "Test <report>" in text
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html), "external resource referenced"
    assert "only two" in text and "three periods" in text  # Missing block says what is missing
    if assets.available():
        assert "registerMap" in html and html.count("echarts.init(") == 2
        opts = re.findall(r"c\.setOption\((\{.*?\})\);window", html)
        assert len(opts) == 2 and json.loads(opts[0])["series"][0]["data"] == [1, None]  # NaN -> null


def test_multilevel_header_spans():
    tv = table_view(Table(_doc().sections[0].blocks[3].df))
    assert [[(h["text"], h["span"]) for h in row] for row in tv["header"]] == [
        [("Labour", 2), ("Data", 2)], [("rank", 1), ("score", 1), ("rank", 1), ("score", 1)]]
    assert tv["rows"][0]["cells"][0]["text"] == "1"      # ints stay ints


def test_static_fallback_has_svg(tmp_path):
    html = render_html(_doc(), static=True)
    check_html(html)
    assert "echarts.init(" not in html
    if assets.available():
        assert "<svg" in html                               # the map drawn by matplotlib


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_renders_in_chromium(tmp_path, lang):
    p = write_html(_doc(lang), tmp_path / "r.html")
    img = screenshot(p, tmp_path / "r.png", height=1600)
    assert img.shape[0] >= 1000
    assert img.std() > 20, "screenshot is blank"
    # the map area (second section) is not uniform: the choropleth was drawn
    if assets.available():
        assert img[700:1400, 200:1000].std() > 10
