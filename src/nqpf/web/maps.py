"""The dashboard's maps: the one China map every nqpf map draws (:mod:`nqpf.report.geo`) at province level,
and the prefecture-level map of :mod:`nqpf.report.geo_city` (both with the 南海诸岛 inset), as JSON bodies
encoded once per server."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from nqpf.errors import DataError

if TYPE_CHECKING:
    from nqpf.web.service import Dashboard

CITY_MAP_NAME = "nqpf_china_city"  # a second ECharts map name: both levels stay registered in the page
CITY_DIGITS = 3  # decimals of the city map's lon/lat (≈ 100 m; the raw geometry is 17 MB, this ≈ 9 MB)


def _geo_bytes() -> bytes | None:
    """The province map (provinces, 南海诸岛 inset, caption): ``nqpf.report.geo``. No map (404) rather than
    one without the South China Sea Islands."""
    from nqpf.report import geo

    try:
        return geo.dashboard_payload()
    except DataError:
        return None


def _round_ring(ring: list) -> list:
    """A ring with coordinates rounded to :data:`CITY_DIGITS` and repeated points dropped (kept unrounded
    when fewer than four points would remain)."""
    out: list[list[float]] = []
    for x, y in ring:
        p = [round(x, CITY_DIGITS), round(y, CITY_DIGITS)]
        if not out or p != out[-1]:
            out.append(p)
    return out if len(out) >= 4 else ring


def _rounded(geometry: dict) -> dict:
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    coords = [[_round_ring(r) for r in poly] for poly in polys]
    return {"type": geometry["type"], "coordinates": coords if geometry["type"] == "MultiPolygon" else coords[0]}


def _city_geo_bytes() -> bytes | None:
    """The prefecture-level map of all China (:func:`nqpf.report.geo_city.city_geometry`, with the inset),
    with, under ``nqpf_map``, its ECharts map name, the inset's styled items and the caption (zh/en), as
    :func:`nqpf.report.geo.dashboard_payload` gives them for the province map. The inset is not rounded."""
    from nqpf.report import geo as G
    from nqpf.report import geo_city

    try:
        gj = geo_city.city_geometry()
    except DataError:
        return None
    feats = [f if G.is_inset(f) or not f.get("geometry") else {**f, "geometry": _rounded(f["geometry"])}
             for f in gj["features"]]
    info: dict[str, Any] = {**gj[G.INFO_KEY], "map_name": CITY_MAP_NAME,
                            "inset_items": {lang: G.echarts_inset_items(lang) for lang in ("zh", "en")},
                            "caption": {lang: G.caption(gj, lang) for lang in ("zh", "en")}}
    body = {**gj, "features": feats, G.INFO_KEY: info}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def geo_bytes(dash: Dashboard, level: str) -> bytes | None:
    """The map JSON of ``level`` (province / city), built once per server; None when not installed."""
    key = ("geo",) if level == "province" else ("geo", level)
    body = dash.cached(key, _geo_bytes if level == "province" else _city_geo_bytes)
    if body is None:
        dash.forget(key)
    return body
