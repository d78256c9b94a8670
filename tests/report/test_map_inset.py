"""Every China map nqpf draws has the 南海诸岛 inset and the map caption (source + standard-map note).

Map kinds: ``figures.china_map`` PNG and SVG, the HTML report's interactive (ECharts) and static (SVG) maps,
and the dashboard's ``/api/geo/china`` (the same geometry; its browser rendering is in tests/web). There is
no Excel-embedded or city-level map. The inset comes from ECharts 4.9.0 (``src/coord/geo/fix/nanhai.js`` of
apache/echarts: a frame and ten dash segments in a box at 126–132 °E, 18.35–25 °N).
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from _report_helpers import check_html

from nqpf import assets
from nqpf.errors import DataError
from nqpf.report import MapBlock, ReportDoc, Section
from nqpf.report import figures as F
from nqpf.report import geo as G
from nqpf.report.html import render_html

pytestmark = pytest.mark.skipif(not assets.available(), reason="ECharts and its map not fetched (run make setup)")

SVG = "{http://www.w3.org/2000/svg}"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _values() -> pd.Series:
    codes = [f["properties"]["id"] for f in assets.china_map()["features"]]
    return pd.Series(np.linspace(0.1, 0.9, len(codes)), index=codes)


def _without_inset(gj: dict) -> dict:
    """A prepared geometry with the inset stripped — what the maps looked like before (must fail the checks)."""
    return {**gj, "features": [f for f in gj["features"] if not G.is_inset(f)]}


# ---------------------------------------------------------------------------------------------- geometry
def test_inset_is_echarts_box_in_the_lower_right():
    ins = G.nanhai_inset()
    assert ins["parts"].count("frame") == 2 and ins["parts"].count("dash") == 10
    x0, y0, x1, y1 = ins["box"]
    # ECharts: geoCoord [126, 25], box 64 × 93.1 units, x / 10.5, y / -14 (nanhai.js)
    assert (x0, y1) == pytest.approx((126.0, 25.0)) and x1 == pytest.approx(126 + 64 / 10.5)
    assert y0 == pytest.approx(25 - 93.1 / 14)
    prov = G.decode_geojson(assets.china_map())
    pts = np.vstack([np.asarray(p[0]) for f in prov["features"] for p in
                     ([f["geometry"]["coordinates"]] if f["geometry"]["type"] == "Polygon" else f["geometry"]["coordinates"])])
    # east of Taiwan (incl. its eastern islets, < 125 °E), within the map's extent, at its southern edge
    assert x0 > 125 and x1 < pts[:, 0].max() and y0 - pts[:, 1].min() < 0.5


def test_every_geometry_gets_the_inset_once():
    gj = G.china_geometry()
    assert sum(G.is_inset(f) for f in gj["features"]) == 1 and len(gj["features"]) == 35
    assert G.china_geometry(gj) is gj and G.china_geometry(assets.china_map()) is gj
    assert len(assets.china_map()["features"]) == 34             # the asset itself is not modified
    # the inset is stored in the geometry's own (ECharts) encoding and decodes to the source polygons
    inset = next(f for f in G.decode_geojson(gj)["features"] if G.is_inset(f))
    for ring, src in zip(inset["geometry"]["coordinates"], G.nanhai_inset()["polygons"], strict=True):
        assert np.abs(np.asarray(ring[0]) - np.asarray(src)).max() < 1e-3
    # a user's plain GeoJSON gets a plain inset; one with its own 南海诸岛 feature keeps it and gets no second
    user = G.decode_geojson(assets.china_map())
    ug = G.china_geometry(user)
    assert sum(G.is_inset(f) for f in ug["features"]) == 1 and not ug.get("UTF8Encoding")
    own = {**user, "features": user["features"] + [{"type": "Feature", "properties": {"name": "南海诸岛"},
                                                     "geometry": inset["geometry"]}]}
    og = G.china_geometry(own)
    assert sum(G.is_inset(f) for f in og["features"]) == 1 and og[G.INFO_KEY]["inset"] == "geometry"


def test_caption_names_source_and_note_without_inventing_a_review_number():
    gj = G.china_geometry()
    zh, en = G.caption(gj, "zh"), G.caption(gj, "en")
    assert zh == ("底图：开源可视化图表库 4.9.0 版随附的省级边界数据及南海诸岛附图（库名与出处见英文版），源数据未标注审图号。\n"
                  "示意图，不作为划界依据。")
    assert en == ("Base map: province boundaries and South China Sea Islands inset shipped with the open-source "
                  "charting library ECharts 4.9.0; the source gives no map review number.\n"
                  "Schematic map, not a basis for delimiting boundaries.")
    # Chinese: no English words (the library's name is in the English edition); English: no Chinese characters
    assert not re.findall(r"[A-Za-z]+", zh)
    assert not CJK.search(en)
    assert "GS" not in zh + en                                  # no 审图号 is made up
    # a user geometry that declares its source and 审图号 gets them, and no 示意图 note
    user = {**G.decode_geojson(assets.china_map()), "review_number": "GS(2099)0000号",
            "source": {"zh": "某标准地图", "en": "a standard map"}}
    uz, ue = G.caption(G.china_geometry(user), "zh"), G.caption(G.china_geometry(user), "en")
    assert uz == "底图：某标准地图；南海诸岛附图取自开源可视化图表库 4.9.0 版（库名与出处见英文版），底图审图号：GS(2099)0000号。"
    assert ue.startswith("Base map: a standard map; South China Sea Islands inset from") and "GS(2099)0000号" in ue
    assert "示意图" not in uz
    bare = G.caption(G.china_geometry(G.decode_geojson(assets.china_map())), "zh")
    assert bare.startswith("底图：用户提供的边界数据；南海诸岛附图") and bare.endswith("示意图，不作为划界依据。")


# ---------------------------------------------------------------------------------------------- PNG and SVG
def _inset_pixels(fig) -> np.ndarray:
    """RGB pixels of the inset's box (located by the shared routine's own coordinates) of a drawn figure."""
    fig.canvas.draw()
    ax = fig.axes[0]
    x0, y0, x1, y1 = G.nanhai_inset()["box"]
    (px0, py0), (px1, py1) = ax.transData.transform([(x0, y0), (x1, y1)])
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float)
    h = img.shape[0]
    return img[int(h - py1):int(h - py0) + 1, int(px0):int(px1) + 1]


def _has_inset(pixels: np.ndarray) -> bool:
    dark = (pixels.mean(axis=2) < 128).mean()       # the frame and dashes are dark ink on white sea
    return bool(pixels.size and dark > 0.03)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_png_has_inset_pixels_and_caption(tmp_path, lang):
    import matplotlib.pyplot as plt
    from PIL import Image

    gj = G.china_geometry()
    with plt.rc_context(F._style(lang)):
        fig = F.map_figure(_values(), lang=lang, geometry=gj)
        box = _inset_pixels(fig)
        assert box.shape[0] > 20 and box.shape[1] > 15 and _has_inset(box)
        plt.close(fig)
        blank = F.map_figure(_values(), lang=lang, geometry=_without_inset(gj))
        assert not _has_inset(_inset_pixels(blank)), "the inset check does not tell a map without the inset apart"
        plt.close(blank)
    # the file: same pixels through china_map, caption in the PNG's text chunks
    p = F.china_map(_values(), title="t", legend="s", lang=lang, path=tmp_path / "m.png")
    im = Image.open(p)
    assert im.text["Description"] == G.caption(gj, lang).replace("\n", " ")
    with_inset = np.asarray(im.convert("L"), dtype=float)
    q = F.china_map(_values(), title="t", legend="s", lang=lang, geometry=_without_inset(gj), path=tmp_path / "b.png")
    without = np.asarray(Image.open(q).convert("L"), dtype=float)
    assert with_inset.shape == without.shape
    diff = np.argwhere(np.abs(with_inset - without) > 60)
    h, w = with_inset.shape
    assert len(diff) > 200 and (diff[:, 0] > h * 0.45).all() and (diff[:, 1] > w * 0.5).all()  # lower right only


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_svg_has_inset_group_and_caption(lang):
    svg = F.china_map(_values(), lang=lang, fmt="svg")
    root = ET.fromstring(svg)
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id")}
    inset = groups["nanhai-inset"]
    inner = {g.get("id") for g in inset.iter(f"{SVG}g")}
    assert {"nanhai-frame", "nanhai-dashes", "nanhai-label"} <= inner
    dashes = [e for e in groups["nanhai-dashes"].iter() if e.tag in (f"{SVG}path", f"{SVG}use")]
    assert len(dashes) >= 10                                     # the ten dash segments
    assert "map-caption" in groups and "provinces" in groups
    desc = "".join(e.text or "" for e in root.iter("{http://purl.org/dc/elements/1.1/}description"))
    assert desc == G.caption(G.china_geometry(), lang).replace("\n", " ")
    blank = F.china_map(_values(), lang=lang, fmt="svg", geometry=_without_inset(G.china_geometry()))
    assert b'id="nanhai-inset"' not in blank


# ---------------------------------------------------------------------------------------------- HTML reports
def _doc(lang: str) -> ReportDoc:
    return ReportDoc(title="map", lang=lang, sections=[
        Section("map", "Map", [MapBlock(_values(), title="m", legend="score", highlight="440000")])])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_interactive_html_map_has_inset_and_caption(lang):
    html = render_html(_doc(lang))
    c = check_html(html)
    # the geometry registered is the shared one, under a name for which ECharts adds no inset of its own
    m = re.search(r'echarts\.registerMap\("(\w+)", (\{.*?\})\);</script>', html, re.S)
    assert m and m.group(1) == G.ECHARTS_MAP_NAME != "china"
    geo = json.loads(m.group(2))
    assert sum(G.is_inset(f) for f in geo["features"]) == 1
    opt = json.loads(re.search(r"c\.setOption\((\{.*?\})\);window", html).group(1))
    items = [d for d in opt["series"][0]["data"] if d.get("inset")]
    assert len(items) == 1 and items[0]["name"] == G.INSET_NAME
    assert items[0]["label"]["formatter"] == ("南海诸岛" if lang == "zh" else "South China Sea Islands")
    assert 'data-map="china"' in html
    text = "".join(c.text)
    for line in G.caption(geo, lang).split("\n"):
        assert line in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_static_html_map_has_inset_group_and_caption(lang):
    html = render_html(_doc(lang), static=True)
    c = check_html(html)
    assert "echarts.init(" not in html
    for gid in ("chart1-nanhai-inset", "chart1-nanhai-dashes", "chart1-nanhai-frame", "chart1-nanhai-label"):
        assert f'id="{gid}"' in html
    text = "".join(c.text)
    assert all(line in text for line in G.caption(G.china_geometry(), lang).split("\n"))
    assert 'id="chart1-note"' in html


def test_no_inset_means_no_map(monkeypatch):
    """Without the inset (ECharts missing or changed), maps are refused, not drawn without it."""
    monkeypatch.setattr(G, "nanhai_inset", lambda: None)
    user = G.decode_geojson(assets.china_map())
    with pytest.raises(DataError, match="South China Sea"):
        F.china_map(_values(), geometry=user, fmt="svg")
    for lang in ("zh", "en"):
        html = render_html(_doc(lang), geometry=user)
        check_html(html)
        assert f'registerMap("{G.ECHARTS_MAP_NAME}"' not in html and 'data-map="china"' not in html
        assert ("南海诸岛" if lang == "zh" else "South China Sea Islands") in html


def test_dashboard_serves_the_same_geometry():
    from nqpf.web.app import _geo_bytes

    body = json.loads(_geo_bytes())
    gj = G.china_geometry()
    assert body["features"] == json.loads(json.dumps(gj["features"], ensure_ascii=False))
    info = body[G.INFO_KEY]
    assert info["map_name"] == G.ECHARTS_MAP_NAME
    assert info["caption"] == {lang: G.caption(gj, lang) for lang in ("zh", "en")}
    assert info["inset_items"]["zh"][0]["name"] == G.INSET_NAME


def test_png_without_path_is_bytes():
    png = F.china_map(_values(), fmt="png")
    from PIL import Image

    assert Image.open(io.BytesIO(png)).text["Description"].startswith("Base map:")
