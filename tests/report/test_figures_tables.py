"""Figures (CJK font, map geometry decoding), Excel safety, LaTeX/CSV tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from nqpf import assets
from nqpf.report import figures as F
from nqpf.report.excel import safe_text, sheet_name, tables_to_excel
from nqpf.report.tables import latex_escape, to_csv, to_latex


@pytest.mark.skipif(not assets.available(), reason="ECharts map not fetched (run make setup)")
def test_decoded_geometry_puts_provinces_where_they_are():
    gj = F.decode_geojson(assets.china_map())
    box = {}
    for f in gj["features"]:
        g = f["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        pts = np.vstack([np.asarray(p[0]) for p in polys])
        box[f["properties"]["id"]] = (pts[:, 0].min(), pts[:, 0].max(), pts[:, 1].min(), pts[:, 1].max())
    # Beijing lies within about 115.4–117.5 °E, 39.4–41.1 °N; Hainan island about 108.6–111.1 °E, 18.1–20.2 °N
    x0, x1, y0, y1 = box["110000"]
    assert 115.0 < x0 < x1 < 118.0 and 39.0 < y0 < y1 < 41.5
    x0, x1, y0, y1 = box["460000"]
    # ECharts' Hainan is the island alone; the South China Sea Islands are the inset added by nqpf.report.geo
    assert 108.0 < x0 and 18.0 < y0 < y1 < 20.5
    assert len(gj["features"]) == 34


def test_map_and_bar_figures(tmp_path):
    if not assets.available():
        pytest.skip("ECharts map not fetched (run make setup)")
    codes = [f["properties"]["id"] for f in assets.china_map()["features"]]
    v = pd.Series(np.arange(len(codes), dtype=float), index=codes)
    p = F.china_map(v, title="指数", legend="得分", lang="zh", path=tmp_path / "m.png")
    from PIL import Image

    img = np.asarray(Image.open(p).convert("L"), dtype=float)
    assert img.std() > 20
    svg = F.bar_ranking(pd.DataFrame({"n": ["北京", "上海"], "s": [0.9, 0.5], "lo": [0.8, 0.4], "hi": [1.0, 0.6]}),
                        label="n", value="s", lo="lo", hi="hi", lang="zh", fmt="svg")
    assert b"<svg" in svg


def test_cjk_font_detected_when_installed():
    import shutil

    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig not available")
    import subprocess

    has = bool(subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip())
    assert (F.cjk_font() is not None) == has, F.font_status()


def test_formula_injection_neutralised(tmp_path):
    assert safe_text("=1+1") == "'=1+1" and safe_text("@cmd") == "'@cmd" and safe_text("-x") == "'-x"
    assert safe_text("北京") == "北京"
    df = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "+a", "ok"], "v": [-1.5, 2.0, np.nan]})
    out = tables_to_excel({"t": df}, tmp_path / "t.xlsx")
    ws = load_workbook(out)["t"]
    assert ws["A4"].value == "'=HYPERLINK(\"http://x\")" and ws["A5"].value == "'+a"
    assert ws["B4"].value == -1.5                    # numbers keep their sign
    assert ws["B6"].value is None                    # NaN is an empty cell, not 'nan'
    assert ws["B4"].number_format == "0.0000"
    assert sheet_name("a/b:c*?", set()) == "a_b_c__"
    used = {"x"}
    assert sheet_name("X", used) == "X_2"


def test_latex_and_csv(tmp_path):
    df = pd.DataFrame([[1.23456, "R&D_50%"]], columns=pd.MultiIndex.from_tuples([("A", "x"), ("A", "y")]))
    tex = to_latex(df, caption="c & d", digits=2)
    assert r"\multicolumn{2}{c}{A}" in tex and "1.23" in tex and r"R\&D\_50\%" in tex and r"c \& d" in tex
    assert latex_escape("a_b") == r"a\_b"
    p = to_csv(df, tmp_path / "t.csv")
    raw = p.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"A / x" in raw


def test_line_and_radar_figures(tmp_path):
    df = pd.DataFrame({"period": [2019, 2020, 2021] * 2, "score": [0.1, 0.2, 0.3, 0.3, 0.2, 0.1],
                       "node": ["a"] * 3 + ["b"] * 3})
    p = F.line_trend(df, x="period", y="score", series="node", path=tmp_path / "l.svg")
    assert p.read_text(encoding="utf-8").count("<path") > 2
    prof = pd.DataFrame({"dim": ["劳动者", "劳动资料", "劳动对象"], "region": [0.2, 0.5, 0.4], "mean": [0.3, 0.3, 0.3]})
    assert b"<svg" in F.radar(prof, axis="dim", series=["region", "mean"], lang="zh", fmt="svg")
    with pytest.raises(Exception, match="three dimensions"):
        F.radar(prof.head(2), axis="dim", series=["region"])
