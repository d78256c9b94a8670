"""City maps: geometry keyed by GB/T 2260 codes, the 南海诸岛 inset on every national map, province maps without
it, captions, atomic output.

Independent reference for the geometry: the yearbook land area of each city (``cn_cities`` ``land_area_km2``,
中国城市统计年鉴) against the area of its polygons (spherical-rectangle approximation, 1° = 111.32 km): the
median ratio is ≈ 1.00 and 97 % of 298 cities lie within 0.8–1.25 (2015).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import nqpf.datasets as ds
from nqpf.errors import DataError
from nqpf.report import geo as G
from nqpf.report import geo_city as gc

pytestmark = pytest.mark.skipif(
    not gc.province_files_available(), reason="echarts@4.9.0 province maps not installed (run make setup)"
)


def _area_km2(geom: dict) -> float:
    tot = 0.0
    for poly in gc._polygons(geom):
        for k, ring in enumerate(poly):
            a = np.asarray(ring)
            x, y = a[:, 0], a[:, 1]
            ar = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
            ar *= 111.32**2 * np.cos(np.deg2rad(y.mean()))
            tot += ar if k == 0 else -ar
    return tot


@pytest.fixture(scope="module")
def cc():
    return ds.load("cn_cities")


def test_national_geometry_codes_and_inset(cc):
    g = gc.city_geometry()
    insets = [f for f in g["features"] if G.is_inset(f)]
    assert len(insets) == 1 and g[G.INFO_KEY]["inset"] == G.PACKAGED
    codes = [G.feature_code(f["properties"]) for f in g["features"] if not G.is_inset(f)]
    assert len(codes) == len(set(codes))
    assert {"110000", "310000", "710000", "810000", "820000"} <= set(
        codes
    )  # municipalities, Taiwan, HK, Macao
    # every unit that exists today is on the map; the abolished ones and 伊犁地区 (data 2000 only) are not
    alive = cc.units[cc.units["abolished_from"] == ""]["unit"]
    missing = sorted(set(alive) - set(codes))
    assert missing == ["654100"], missing
    assert "341400" not in codes  # 巢湖: split in 2011, no polygon
    # the ECharts boundaries predate 2019: 莱芜 is still separate; for 2019 maps it joins 济南
    assert "371200" in codes
    g19 = gc.city_geometry(year=2019)
    assert "371200" not in {G.feature_code(f["properties"]) for f in g19["features"]}
    assert set(gc.ABSORBED) <= set(cc.units.loc[cc.units["abolished_from"] != "", "unit"])
    # ECharts' superseded codes of the same territory are re-coded (那曲 542400 -> 540600, 哈密 652200 -> 650500)
    assert {"540600", "650500"} <= set(codes) and {"542400", "652200"}.isdisjoint(codes)
    cap = G.caption(g, "zh")
    assert "开源可视化图表库 4.9.0 版" in cap and "南海诸岛" in cap and "示意图" in cap
    assert "ECharts" not in cap and "ECharts 4.9.0" in G.caption(g, "en")  # zh: no English; en names the source
    # no polygon of the main map lies south of the limit: the islands are shown by the inset
    for f in g["features"]:
        if not G.is_inset(f):
            assert all(max(p[1] for p in poly[0]) >= gc.SOUTH_LIMIT for poly in gc._polygons(f["geometry"]))


def test_polygon_areas_match_yearbook_land_area(cc):
    g = gc.city_geometry()
    area = pd.Series({G.feature_code(f["properties"]): _area_km2(f["geometry"])
                      for f in g["features"] if not G.is_inset(f)})  # fmt: skip
    land = cc.wide(["land_area_km2"]).xs(2015, level="period")["land_area_km2"].dropna()
    j = pd.concat([area, land], axis=1, keys=["map", "yb"]).dropna()
    ratio = j["map"] / j["yb"]
    assert len(j) >= 290
    assert ratio.median() == pytest.approx(1.0, abs=0.02)
    assert ratio.between(0.8, 1.25).mean() > 0.95
    assert ratio["320100"] == pytest.approx(1.0, abs=0.02)  # Nanjing 6,587 km²
    assert ratio["540500"] > 0.5  # 山南: polygon filed without id in xizang.json, joined by name
    # 济南 before/after absorbing 莱芜: yearbook 7,998 km² (2018) and 10,244 km² (2019)
    jn19 = next(
        f for f in gc.city_geometry(year=2019)["features"] if G.feature_code(f["properties"]) == "370100"
    )
    assert area["370100"] == pytest.approx(
        cc.wide(["land_area_km2"]).loc[("370100", 2018), "land_area_km2"], rel=0.03
    )
    assert _area_km2(jn19["geometry"]) == pytest.approx(
        cc.wide(["land_area_km2"]).loc[("370100", 2019), "land_area_km2"], rel=0.03
    )


def test_province_geometry_has_its_cities_only(cc):
    p = gc.city_geometry("320000")
    codes = sorted(G.feature_code(f["properties"]) for f in p["features"])
    js = sorted(cc.units[cc.units["group"] == "320000"]["unit"])
    assert codes == js and len(codes) == 13
    assert not any(G.is_inset(f) for f in p["features"])
    assert "南海诸岛" not in G.caption(p, "zh") and "示意图" in G.caption(p, "zh")
    with pytest.raises(DataError, match="unknown province code"):
        gc.city_geometry("990000")


def test_city_maps_written_atomically(tmp_path, cc):
    s = cc.wide(["gdp_per_capita"]).xs(2015, level="period")["gdp_per_capita"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing CJK fonts on some machines
        out = gc.city_map(s, tmp_path / "cities.svg", lang="en", title="GDP per capita 2015")
        gc.city_map(s, tmp_path / "js.png", province="320000", lang="zh")
    svg = (tmp_path / "cities.svg").read_text(encoding="utf-8")
    assert str(out).endswith("cities.svg")
    assert 'id="nanhai-inset"' in svg and "South China Sea Islands" in svg and "ECharts 4.9.0" in svg
    assert (tmp_path / "js.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*.tmp"))
    assert gc.not_on_map(pd.Series({"341400": 1.0, "320100": 2.0}), gc.city_geometry()) == ["341400"]


def test_echarts_option_names_match_geometry(cc):
    s = cc.wide(["gdp_per_capita"]).xs(2015, level="period")["gdp_per_capita"].dropna()
    opt, gj = gc.echarts_city_option(s, lang="zh")
    names = {f["properties"]["name"] for f in gj["features"]}
    data = opt["series"][0]["data"]
    assert any(d.get("name") == G.INSET_NAME for d in data)
    plain = [d for d in data if d.get("name") != G.INSET_NAME]
    assert len(plain) == len(s) and {d["name"] for d in plain} <= names


def test_city_geometry_never_changes_the_cached_boundaries():
    """city_geometry shares the cached coordinates (no deep copy, for speed): the merger of 莱芜 (year ≥ 2019)
    and the national map's removal of the far-south islands must replace geometries, never edit them."""
    import json

    before = json.dumps(gc._features(), sort_keys=True)
    national = gc.city_geometry(year=2022)
    gc.city_geometry("370000", year=2022)
    assert json.dumps(gc._features(), sort_keys=True) == before
    assert json.dumps(gc.city_geometry(year=2022), sort_keys=True) == json.dumps(national, sort_keys=True)
    codes = {f["properties"].get("id") for f in national["features"]}
    assert "371200" not in codes and "370100" in codes  # 莱芜 merged into 济南 from 2019
