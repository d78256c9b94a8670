"""City (prefecture-level) maps under the rules of :mod:`nqpf.report.geo`.

Geometry: the province maps ``map/json/province/*.json`` of npm ``echarts@4.9.0`` (Apache-2.0; the same pinned,
sha256-checked tarball that gives the province map, extracted by ``scripts/fetch_assets.py`` into
``nqpf/_assets/province/``; licence ``_assets/LICENSE-echarts.txt``, source note ``_assets/SOURCE.txt``). Each
feature carries ``id`` = GB/T 2260 code. Codes that ECharts keeps from before a conversion of the same territory
(那曲地区 542400, 哈密 652200) are re-coded with the ``former_codes`` of the ``cn_cities`` units. The four
municipalities, Taiwan, Hong Kong and Macao are drawn with their province-level polygons from ``china.json``.

* :func:`city_geometry` ``()`` — all of China at prefecture level, **with the 南海诸岛 inset** (added by
  :func:`nqpf.report.geo.china_geometry`; without it no national map is drawn).
* :func:`city_geometry` ``(province)`` — the cities of one province (no inset: it is not a map of China).
* :func:`city_map` — a choropleth PNG/SVG/PDF (drawn by :func:`nqpf.report.figures.china_map`, caption with
  the source and 示意图 note, written atomically); :func:`echarts_city_option` — the ECharts option.

The ECharts boundaries are those of about 2016-2018: 巢湖 (abolished 2011) has no polygon; 莱芜 (merged into
济南 in 2019) has one, merged into 济南's when a map is drawn for ``year`` >= 2019. :func:`not_on_map` lists the
codes of a series that cannot be drawn.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from nqpf.errors import DataError
from nqpf.i18n import t
from nqpf.report import geo as G

__all__ = ["city_geometry", "city_map", "echarts_city_option", "not_on_map", "province_files_available"]

MUNICIPALITIES = ("110000", "120000", "310000", "500000")
WHOLE = MUNICIPALITIES + ("710000", "810000", "820000")  # drawn as one polygon from china.json
#: unit absorbed as a whole by another: code -> (successor, first year of the merged unit)
ABSORBED = {"371200": ("370100", 2019)}  # 莱芜 merged into 济南 (see the cn_cities units, admin_change_en)
_SKIP_FILES = ("beijing", "tianjin", "shanghai", "chongqing", "taiwan", "xianggang", "aomen")


def _province_dir() -> Path:
    from nqpf import assets

    return assets.ASSET_DIR / "province"


def province_files_available() -> bool:
    d = _province_dir()
    return d.is_dir() and any(d.glob("*.json"))


def _recode() -> dict[str, str]:
    """Superseded code of the same territory → current code, from the ``cn_cities`` units table."""
    import nqpf.datasets as ds

    if "cn_cities" not in ds.names():
        return {}
    u = ds.load("cn_cities").units
    out = {}
    for code, former in zip(u["unit"], u.get("former_codes", pd.Series([""] * len(u))), strict=True):
        for old in filter(None, str(former or "").split(",")):
            out[old] = str(code)
    return out


@lru_cache(maxsize=1)
def _features() -> tuple[dict, ...]:
    """Plain-coordinate features of all prefectures (+ municipalities, Taiwan, HK, Macao as whole units)."""
    from nqpf import assets

    china = assets.china_map()
    if china is None or not province_files_available():
        raise DataError(t("geo_city.missing", "en") + " / " + t("geo_city.missing", "zh"))
    recode = _recode()
    feats: list[dict] = []
    for p in sorted(_province_dir().glob("*.json")):
        if p.stem in _SKIP_FILES:
            continue
        raw = json.loads(p.read_text(encoding="utf-8"))
        gj = G.decode_geojson(raw)
        pairs = [(r.get("id") or G.feature_code(f.get("properties") or {}), f)  # ECharts: code in feature.id
                 for r, f in zip(raw["features"], gj["features"], strict=True)]
        by_name = {(f.get("properties") or {}).get("name"): c for c, f in pairs if c is not None}
        merged: dict[str, dict] = {}
        for code, f in pairs:  # a polygon filed without id under a coded name (山南 in xizang.json) joins it
            code = code if code is not None else by_name.get((f.get("properties") or {}).get("name"))
            if code is None:
                continue
            code = recode.get(code, code)
            polys = _polygons(f["geometry"])
            if code in merged:
                merged[code]["geometry"]["coordinates"].extend(polys)
                continue
            props = {**(f.get("properties") or {}), "id": code, "province": code[:2] + "0000"}
            merged[code] = {"type": "Feature", "properties": props,
                            "geometry": {"type": "MultiPolygon", "coordinates": polys}}
        feats.extend(merged.values())
    for f in G.decode_geojson(china)["features"]:
        code = G.feature_code(f.get("properties") or {})
        if code in WHOLE:
            props = {**(f.get("properties") or {}), "id": code, "province": code}
            feats.append({"type": "Feature", "properties": props, "geometry": f["geometry"]})
    ids = [f["properties"]["id"] for f in feats]
    dup = sorted({c for c in ids if ids.count(c) > 1})
    if dup:
        raise DataError(f"city geometry: code(s) {dup} appear twice; reinstall the assets")
    return tuple(feats)


SOUTH_LIMIT = 18.0  # °N: the province map (china.json) ends at Hainan's south coast (≈ 18.15 °N)


def _drop_far_south(feature: dict) -> None:
    """Remove the polygons of a feature that lie wholly south of :data:`SOUTH_LIMIT` (三沙's islands on a
    national map, where the 南海诸岛 inset represents them); the feature stays (its other parts are kept)."""
    polys = _polygons(feature["geometry"])
    keep = [p for p in polys if max(pt[1] for pt in p[0]) >= SOUTH_LIMIT]
    if len(keep) != len(polys) and keep:
        feature["geometry"] = {"type": "MultiPolygon", "coordinates": keep}


def _polygons(geom: dict) -> list:
    """Non-empty polygons of a Polygon/MultiPolygon geometry, as a MultiPolygon coordinate list."""
    polys = [geom["coordinates"]] if geom["type"] == "Polygon" else list(geom["coordinates"])
    return [p for p in polys if p and len(p[0]) >= 3]


def _source() -> dict[str, str]:
    return {lang: t("geo_city.source", lang) for lang in ("zh", "en")}


def _merge_absorbed(feats: list[dict], year: int) -> list[dict]:
    """Boundaries of ``year``: a unit wholly absorbed by ``year`` (:data:`ABSORBED`) joins its successor."""
    by = {f["properties"]["id"]: f for f in feats}
    for old, (new, y) in ABSORBED.items():
        if year >= y and old in by and new in by:
            by[new]["geometry"] = {"type": "MultiPolygon", "coordinates": _polygons(by[new]["geometry"])
                                   + _polygons(by[old]["geometry"])}  # fmt: skip
            feats = [f for f in feats if f["properties"]["id"] != old]
    return feats


def city_geometry(province: str | None = None, *, year: int | None = None) -> dict:
    """GeoJSON FeatureCollection (plain lon/lat) of prefecture-level units, ``properties.id`` = GB/T 2260 code.

    ``province=None``: all of China with the 南海诸岛 inset; ``province="320000"``: the units of that
    province only (no inset). The ECharts 4.9.0 boundaries predate the 2019 merger of 莱芜 into 济南; with
    ``year`` >= 2019 莱芜's polygon is merged into 济南's (:data:`ABSORBED`). 巢湖 (abolished 2011, split
    between three cities) cannot be redrawn and is absent. Raises :class:`~nqpf.errors.DataError` when the
    assets are not installed or the province code is unknown."""
    # shallow copies: the steps below replace a feature's geometry, never edit coordinates in place, so the
    # cached coordinate lists are shared read-only (a deep copy of 371 features took seconds)
    feats = [{**f, "properties": dict(f["properties"])} for f in _features()]
    if year is not None:
        feats = _merge_absorbed(feats, int(year))
    base = {"type": "FeatureCollection", "features": feats, "source": _source()}
    if province is None:  # islands south of the main map are shown by the inset, as on the province map
        for f in base["features"]:
            _drop_far_south(f)
        return G.china_geometry(base)
    code = str(province)
    sub = [f for f in feats if f["properties"]["province"] == code]
    if not sub:
        raise DataError(t("geo_city.unknown_province", "en", code=code))
    info = {"base": "user", "inset": "none", "review_number": None, "source": _source()}
    return {"type": "FeatureCollection", "features": sub, "source": _source(), G.INFO_KEY: info}


def not_on_map(values: pd.Series, geometry: dict) -> list[str]:
    """Codes in ``values`` (index) that have no polygon in ``geometry`` (sorted)."""
    have = {G.feature_code(f.get("properties") or {}) for f in geometry["features"] if not G.is_inset(f)}
    return sorted(str(c) for c in values.index if str(c) not in have)


def city_map(values: pd.Series, path: str | Path | None = None, *, province: str | None = None,
             year: int | None = None, lang: str = "zh", title: str = "", legend: str = "", fmt: str | None = None,
             highlight: str | None = None, cmap: str = "YlGnBu") -> Any:
    """Choropleth of ``values`` (index = city code) for all of China (with the inset) or one province; units
    without a value are grey. Written atomically to ``path`` (format from the suffix or ``fmt``) with the
    caption under the map and in the file's metadata; returns what :func:`nqpf.report.figures.china_map`
    returns (the figure bytes when ``path`` is None)."""
    from nqpf.report import figures

    gj = city_geometry(province, year=year)
    vals = values.copy()
    vals.index = vals.index.astype(str)
    if province is not None:  # the colour scale spans the province's own units
        vals = vals[~vals.index.isin(not_on_map(vals, gj))]
    return figures.china_map(vals, title=title, legend=legend, lang=lang, geometry=gj, path=path, fmt=fmt,
                             cmap=cmap, highlight=highlight)


def echarts_city_option(values: pd.Series, *, province: str | None = None, year: int | None = None,
                        lang: str = "zh", title: str = "", legend: str = "") -> tuple[dict, dict]:
    """``(option, geometry)``: the ECharts option of a city choropleth and the geometry to register under
    :data:`nqpf.report.geo.ECHARTS_MAP_NAME` (the inset is part of the national geometry)."""
    gj = city_geometry(province, year=year)
    vals = values.copy()
    vals.index = vals.index.astype(str)
    return G.echarts_option(vals, gj, lang, title=title, legend=legend), gj
