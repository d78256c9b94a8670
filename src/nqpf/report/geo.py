"""China's map: the one geometry and drawing routine behind every China map nqpf draws.

Every map — the HTML reports' interactive (ECharts) and static (SVG) maps, ``figures.china_map`` PNG/SVG and
the dashboard — takes its geometry from :func:`china_geometry` and its caption from :func:`caption`:

* **Provinces**: ECharts' ``map/json/china.json`` (npm ``echarts@4.9.0``, fetched and sha256-checked at setup
  by ``scripts/fetch_assets.py``; see ``nqpf.assets``) or a GeoJSON the user supplies
  (``properties.id``/``adcode`` = GB/T 2260 code).
* **南海诸岛 inset** (South China Sea Islands): the box that ECharts 4.9.0 adds to any map registered under
  the name ``"china"`` (``src/coord/geo/fix/nanhai.js`` of apache/echarts): twelve schematic polygons at about
  126–132 °E, 18.4–25 °N, in the lower right of the map — the frame (two polygons) and ten segments of the
  boundary dash line. The source gives no separate island symbols; the box is labelled 南海诸岛. The polygons
  are read at run time from the pinned ``echarts.min.js`` (they are not copied into this repository). The inset
  is added as one more feature (``properties.id = "nanhai"``) in the geometry's own encoding, so ECharts and
  matplotlib draw the same polygons. Maps are registered in ECharts under another name (``nqpf_china``), so
  ECharts does not add its own copy a second time.

The caption names the source and carries the standard-map note: the base map's 审图号 when the source gives
one (a user GeoJSON may declare it in a top-level ``"review_number"`` member, and its source in
``"source"``: a string or ``{"zh": ..., "en": ...}``); otherwise "示意图，不作为划界依据". ECharts' map data
carries no 审图号 (and its maintainers stopped shipping it with ECharts 5, apache/echarts#13565).

Without the inset no China map is drawn: the caller gets :class:`~nqpf.errors.DataError` (reports show a
"not available" box instead) — a China map without the South China Sea Islands is not publishable in China.
"""

from __future__ import annotations

import json
import re
import textwrap
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf.errors import DataError
from nqpf.i18n import t

INSET_ID = "nanhai"
INSET_NAME = "南海诸岛"          # ECharts' region name for the inset
ECHARTS_MAP_NAME = "nqpf_china"  # not "china": ECharts would add its own inset on top of ours
INFO_KEY = "nqpf_map"            # top-level member of a prepared geometry: where it comes from
PACKAGED = "echarts-4.9.0"
INK = "#4a4a4a"                  # frame and dash line of the inset
NO_DATA = "#d9d9d9"
LAND_EDGE = "#ffffff"
HIGHLIGHT = "#c0392b"


# ---------------------------------------------------------------------------------------------- ECharts encoding
def _decode_ring(coords: str, offsets: list[int], scale: float = 1024.0) -> np.ndarray:
    """ECharts 'UTF8Encoding' ring: pairs of chars, each ``ord(c) - 64`` zig-zag encoded, delta from offsets."""
    px, py = offsets
    out = np.empty((len(coords) // 2, 2))
    for k in range(0, len(coords) - 1, 2):
        x = ord(coords[k]) - 64
        y = ord(coords[k + 1]) - 64
        x = (x >> 1) ^ (-(x & 1))
        y = (y >> 1) ^ (-(y & 1))
        px += x
        py += y
        out[k // 2] = (px / scale, py / scale)
    return out


def _encode_ring(ring: list[list[float]], scale: float = 1024.0) -> tuple[str, list[int]]:
    """Inverse of :func:`_decode_ring` (coordinates rounded to ``1/scale`` degree): (string, offsets)."""
    q = [(round(x * scale), round(y * scale)) for x, y in ring]
    chars, (px, py) = [], q[0]
    for x, y in q:
        for d in (x - px, y - py):
            chars.append(chr((2 * d if d >= 0 else -2 * d - 1) + 64))
        px, py = x, y
    return "".join(chars), [q[0][0], q[0][1]]


def decode_geojson(gj: dict) -> dict:
    """Plain GeoJSON from ECharts' compressed format (returned unchanged when not compressed)."""
    if not gj.get("UTF8Encoding"):
        return gj
    scale = float(gj.get("UTF8Scale") or 1024)
    feats = []
    for f in gj["features"]:
        g = f["geometry"]
        offs = g.get("encodeOffsets")
        if g["type"] == "Polygon":
            coords = [_decode_ring(r, offs[i], scale).tolist() for i, r in enumerate(g["coordinates"])]
        elif g["type"] == "MultiPolygon":
            coords = [[_decode_ring(r, offs[j][i], scale).tolist() for i, r in enumerate(poly)]
                      for j, poly in enumerate(g["coordinates"])]
        else:
            coords = g["coordinates"]
        feats.append({"type": "Feature", "properties": f.get("properties", {}),
                      "geometry": {"type": g["type"], "coordinates": coords}})
    out = {k: v for k, v in gj.items() if k not in ("features", "UTF8Encoding", "UTF8Scale")}
    return {**out, "type": "FeatureCollection", "features": feats}


def feature_code(props: dict) -> str | None:
    for k in ("id", "adcode", "code", "unit"):
        if props.get(k) is not None:
            return str(props[k])
    return None


def is_inset(feature: dict) -> bool:
    p = feature.get("properties") or {}
    return p.get("id") == INSET_ID or p.get("name") == INSET_NAME


# ---------------------------------------------------------------------------------------------- the inset
_NANHAI = re.compile(r"""
    (?P<c>[\w$]+)=\[(?P<cx>-?[\d.]+),(?P<cy>-?[\d.]+)\],      # geoCoord = [126, 25]
    (?P<p>[\w$]+)=(?P<pts>\[\[\[[-\d.,\[\]]+\]\]\]),           # points = [[[x, y], ...], ...] (box units)
    .{0,200}?                                                   # the loop header
    (?P=p)\[[\w$]+\]\[[\w$]+\]\[0\]/=(?P<sx>-?[\d.]+),         # x /= 10.5
    (?P=p)\[[\w$]+\]\[[\w$]+\]\[1\]/=(?P<sy>-?[\d.]+),         # y /= -14
    (?P=p)\[[\w$]+\]\[[\w$]+\]\[0\]\+=(?P=c)\[0\],
    (?P=p)\[[\w$]+\]\[[\w$]+\]\[1\]\+=(?P=c)\[1\]
""", re.X)


@lru_cache(maxsize=1)
def nanhai_inset() -> dict | None:
    """The 南海诸岛 inset of ECharts 4.9.0 in degrees: ``polygons`` (rings), ``parts`` ('frame' or 'dash' per
    polygon), ``box`` (x0, y0, x1, y1) and ``label_at`` (where its label goes); None when ECharts is not installed."""
    from nqpf import assets

    js = assets.echarts_js()
    if js is None:
        return None
    for m in _NANHAI.finditer(js):
        if re.search('"' + INSET_NAME + r'",[\w$]+\(' + re.escape(m["p"]) + ",", js) is None:
            continue
        pts = json.loads(re.sub(r"(?<!\d)\.(?=\d)", "0.", m["pts"]))
        cx, cy, sx, sy = (float(m[k]) for k in ("cx", "cy", "sx", "sy"))
        rings = [[[x / sx + cx, y / sy + cy] for x, y in ring] for ring in pts]
        allp = np.vstack([np.asarray(r) for r in rings])
        (x0, y0), (x1, y1) = allp.min(axis=0).tolist(), allp.max(axis=0).tolist()
        box = (x0, y0, x1, y1)
        # the label hangs below the box (inside, it would cross the dash line)
        return {"polygons": rings, "parts": ["frame" if _on_outline(r, box) else "dash" for r in rings],
                "box": box, "label_at": ((x0 + x1) / 2, y0 - 0.03 * (y1 - y0))}
    raise DataError("the South China Sea Islands inset was not found in echarts.min.js; reinstall the assets "
                    "(python scripts/fetch_assets.py --force)")


def _on_outline(ring: list[list[float]], box: tuple[float, float, float, float]) -> bool:
    """A polygon that reaches the box's outline belongs to the frame; the others are dash segments."""
    a = np.asarray(ring)
    x0, y0, x1, y1 = box
    return bool(np.isclose(a[:, 0], x0).any() or np.isclose(a[:, 0], x1).any()
                or np.isclose(a[:, 1], y0).any() or np.isclose(a[:, 1], y1).any())


def _inset_feature(encoded: bool, scale: float) -> dict:
    ins = nanhai_inset()
    if ins is None:
        raise DataError("no South China Sea Islands inset (it comes with echarts@4.9.0): run `make setup`; "
                        "nqpf does not draw a China map without it")
    props = {"id": INSET_ID, "name": INSET_NAME, "cp": list(ins["label_at"]), "inset": True, "parts": ins["parts"]}
    if encoded:
        enc = [_encode_ring(r, scale) for r in ins["polygons"]]
        geom = {"type": "MultiPolygon", "coordinates": [[s] for s, _ in enc], "encodeOffsets": [[o] for _, o in enc]}
    else:
        geom = {"type": "MultiPolygon", "coordinates": [[r] for r in ins["polygons"]]}
    return {"type": "Feature", "properties": props, "geometry": geom}


# ---------------------------------------------------------------------------------------------- geometry
def load_geometry(path: str | Path | None = None) -> dict | None:
    """Province geometry with the inset: a user GeoJSON (``properties.id`` or ``properties.adcode`` = GB/T 2260
    code) or the ECharts map fetched at setup; None when neither is available."""
    if path is None:
        return china_geometry()
    gj = json.loads(Path(path).read_text(encoding="utf-8"))
    if gj.get("type") != "FeatureCollection":
        raise DataError(f"{path} is not a GeoJSON FeatureCollection")
    return china_geometry(gj)


def china_geometry(geometry: dict | None = None) -> dict | None:
    """The geometry every China map draws: ``geometry`` (a GeoJSON FeatureCollection; default: ECharts' map)
    plus the 南海诸岛 inset and a record of the source (``geometry[INFO_KEY]``). Idempotent. None when no
    geometry is installed or given; :class:`DataError` when the inset cannot be added."""
    from nqpf import assets

    if geometry is not None and INFO_KEY in geometry:
        return geometry
    if geometry is None or geometry is assets.china_map():
        return _packaged() if assets.china_map() is not None else None
    return _prepare(geometry, packaged=False)


@lru_cache(maxsize=1)
def _packaged() -> dict:
    from nqpf import assets

    return _prepare(assets.china_map(), packaged=True)


def _prepare(base: dict, *, packaged: bool) -> dict:
    feats = list(base.get("features") or [])
    added = not any(is_inset(f) for f in feats)
    if added:
        feats.append(_inset_feature(bool(base.get("UTF8Encoding")), float(base.get("UTF8Scale") or 1024)))
    src = base.get("source")
    info = {"base": PACKAGED if packaged else "user", "inset": PACKAGED if added else "geometry",
            "review_number": None if packaged else (str(base["review_number"]) if base.get("review_number") else None),
            "source": None if packaged or not src else (dict(src) if isinstance(src, dict) else str(src))}
    return {**{k: v for k, v in base.items() if k != "features"}, "features": feats, INFO_KEY: info}


def _source(info: dict, lang: str) -> str:
    if info["base"] == PACKAGED:
        return t("report.mapnote.src_echarts", lang)
    s = info.get("source")
    if isinstance(s, dict):
        s = s.get(lang) or s.get("en" if lang == "zh" else "zh")
    s = s or t("report.mapnote.src_user", lang)
    if info["inset"] == PACKAGED:
        s += ("；" if lang == "zh" else "; ") + t("report.mapnote.inset_echarts", lang)
    return s


def caption(gj: dict, lang: str) -> str:
    """The map's caption: its source and the standard-map note (the base map's 审图号 when the source gives
    one, else 示意图); sentences separated by newlines."""
    info = china_geometry(gj)[INFO_KEY]
    zh = lang == "zh"
    comma, stop = ("，", "。") if zh else ("; ", ".")
    first = t("report.mapnote.base", lang, source=_source(info, lang)) + comma
    if info.get("review_number"):
        return first + t("report.mapnote.review_no", lang, number=info["review_number"]) + stop
    return first + t("report.mapnote.no_review_no", lang) + stop + "\n" + t("report.mapnote.schematic", lang) + stop


def metadata(gj: dict, lang: str, fmt: str) -> dict | None:
    """Caption as file metadata (PNG text chunks, SVG Dublin Core) so that it travels with the figure."""
    cap = caption(gj, lang).replace("\n", " ")
    if fmt in ("png", "svg"):
        return {"Description": cap, "Source": _source(china_geometry(gj)[INFO_KEY], lang)}
    if fmt == "pdf":
        return {"Subject": cap}
    return None


def inset_label(lang: str) -> str:
    return t("report.mapnote.inset_label", lang)


# ---------------------------------------------------------------------------------------------- drawing: ECharts
def echarts_inset_items(lang: str) -> list[dict]:
    """ECharts map-series data items that style the inset (dark, labelled, no tooltip, no hover colour)."""
    label = {"show": True, "formatter": inset_label(lang), "fontSize": 9, "color": "#333", "verticalAlign": "top"}
    style = {"areaColor": INK, "borderColor": INK, "borderWidth": 0.3}
    return [{"name": INSET_NAME, "value": None, "inset": True, "itemStyle": style, "label": label,
             "emphasis": {"itemStyle": style, "label": label}, "tooltip": {"show": False}}]


def echarts_option(values: pd.Series, gj: dict, lang: str, *, title: str = "", legend: str = "",
                   highlight: str | None = None) -> dict:
    """ECharts option of a province choropleth on :func:`china_geometry` (registered as ``ECHARTS_MAP_NAME``);
    province names are taken from the geometry (properties.name by code)."""
    gj = china_geometry(gj)
    names = {feature_code(f["properties"]): f["properties"].get("name") for f in gj["features"] if not is_inset(f)}
    data = []
    for code, v in values.items():
        nm = names.get(str(code))
        if nm is not None:
            item: dict[str, Any] = {"name": nm, "value": None if not np.isfinite(v) else round(float(v), 4)}
            if highlight is not None and str(code) == str(highlight):
                item["itemStyle"] = {"borderColor": HIGHLIGHT, "borderWidth": 2.5}
                item["label"] = {"show": True, "color": HIGHLIGHT, "fontWeight": "bold"}
            data.append(item)
    finite = [d["value"] for d in data if d["value"] is not None]
    lo, hi = (min(finite), max(finite)) if finite else (0, 1)
    return {
        "animation": False,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "item"},
        "visualMap": {"min": lo, "max": hi if hi > lo else lo + 1, "left": 10, "bottom": 10, "calculable": True,
                      "precision": 3, "text": [legend, ""], "inRange": {"color": ["#ffffcc", "#41b6c4", "#0c2c84"]}},
        "series": [{"type": "map", "map": ECHARTS_MAP_NAME, "roam": False, "name": legend,
                    "data": data + echarts_inset_items(lang), "label": {"show": False},
                    "itemStyle": {"areaColor": "#e0e0e0", "borderColor": "#fff"}}],
    }


def dashboard_payload() -> bytes | None:
    """The dashboard's ``/api/geo/china`` body: the geometry (ECharts-encoded) with, under ``INFO_KEY``, the inset
    styling and the caption in both languages; None when no geometry is installed."""
    gj = china_geometry()
    if gj is None:
        return None
    info = {**gj[INFO_KEY], "map_name": ECHARTS_MAP_NAME,
            "inset_items": {lang: echarts_inset_items(lang) for lang in ("zh", "en")},
            "caption": {lang: caption(gj, lang) for lang in ("zh", "en")}}
    return json.dumps({**gj, INFO_KEY: info}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ---------------------------------------------------------------------------------------------- drawing: matplotlib
def _rings(geom: dict) -> list[np.ndarray]:
    polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
    return [np.asarray(p[0]) for p in polys if len(p) and len(p[0]) >= 3]


def draw(ax, gj: dict, colors: dict[str, Any], *, lang: str, highlight: str | None = None,
         gid_prefix: str = ""):
    """Draw the provinces (``colors``: code → colour; others grey) and the 南海诸岛 inset on ``ax``. The inset
    is its own axes (SVG group ``{gid_prefix}nanhai-inset`` with ``…-frame``, ``…-dashes`` and ``…-label``) at
    the inset's coordinates in ``ax``; returns it."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Polygon

    gj = decode_geojson(china_geometry(gj))
    patches, faces, edges, widths = [], [], [], []
    inset = None
    for f in gj["features"]:
        if is_inset(f):
            inset = f
            continue
        code = feature_code(f.get("properties", {}))
        col = colors.get(code, NO_DATA) if code is not None else NO_DATA
        hl = highlight is not None and code == str(highlight)
        for ring in _rings(f["geometry"]):
            patches.append(Polygon(ring, closed=True))
            faces.append(col)
            edges.append(HIGHLIGHT if hl else LAND_EDGE)
            widths.append(1.6 if hl else 0.4)
    pc = PatchCollection(patches, facecolor=faces, edgecolor=edges, linewidths=widths)
    pc.set_gid(f"{gid_prefix}provinces")
    ax.add_collection(pc)
    ax.autoscale_view()
    ax.set_aspect(1.2)
    ax.set_axis_off()
    if inset is None:  # only a geometry stripped on purpose (tests) lacks it: china_geometry always adds it
        return None
    rings = _rings(inset["geometry"])
    parts = (inset.get("properties") or {}).get("parts") or ["dash"] * len(rings)
    allp = np.vstack(rings)
    (x0, y0), (x1, y1) = allp.min(axis=0), allp.max(axis=0)
    ax.update_datalim([(x0, y0), (x1, y1)])
    ax.autoscale_view()
    iax = ax.inset_axes([x0, y0, x1 - x0, y1 - y0], transform=ax.transData)
    iax.set_gid(f"{gid_prefix}nanhai-inset")
    iax.set_xlim(x0, x1)
    iax.set_ylim(y0, y1)
    iax.set_aspect(1.2)
    iax.set_axis_off()
    iax.patch.set_alpha(0)
    for part, gid in (("frame", "nanhai-frame"), ("dash", "nanhai-dashes")):
        sel = [Polygon(r, closed=True) for r, p in zip(rings, parts, strict=False) if p == part]
        col = PatchCollection(sel, facecolor=INK, edgecolor=INK, linewidths=0.3, clip_on=False)
        col.set_gid(f"{gid_prefix}{gid}")
        iax.add_collection(col)
    cx, cy = (inset.get("properties") or {}).get("cp") or ((x0 + x1) / 2, (y0 + y1) / 2)
    iax.text(cx, cy, inset_label(lang), ha="center", va="top", fontsize=6, color="#333", clip_on=False,
             gid=f"{gid_prefix}nanhai-label")
    return iax


def add_caption(fig, gj: dict, lang: str, *, gid_prefix: str = "") -> None:
    """The caption under the figure (SVG group ``{gid_prefix}map-caption``), wrapped to the figure's width."""
    width = 58 if lang == "zh" else 118
    lines = [w for line in caption(gj, lang).split("\n") for w in textwrap.wrap(line, width)]
    fig.text(0.5, 0.005, "\n".join(lines), ha="center", va="bottom", fontsize=7, color="#555",
             gid=f"{gid_prefix}map-caption")
