"""Publication-ready figures (PNG/SVG) with matplotlib: bar rankings, trends, radar profiles, the China map.

Chinese labels need a CJK font: :func:`cjk_font` looks for one among the installed fonts (Debian
``fonts-noto-cjk`` is installed by ``make browser-deps``) and, when none is found, figures fall back to
the default font and :func:`font_status` says so (Chinese glyphs would show as boxes).
The map geometry is ECharts' ``china.json`` (npm ``echarts@4.9.0``, fetched at setup; see
``nqpf.assets``) or a GeoJSON the user supplies; ECharts' compressed coordinates are decoded here.
"""

from __future__ import annotations

import io
import json
import warnings
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402

from nqpf._util import atomic_path  # noqa: E402
from nqpf.errors import DataError  # noqa: E402

CJK_CANDIDATES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "Source Han Sans SC",
                  "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei",
                  "PingFang SC", "Heiti SC", "AR PL UMing CN")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Name of an installed font family that renders Chinese, or None."""
    found = _match(font_manager.fontManager.ttflist)
    if found:
        return found
    # matplotlib's font cache may predate the font's installation: register CJK font files directly.
    for f in font_manager.findSystemFonts():
        low = Path(f).name.lower()
        if any(k in low for k in ("cjk", "wqy", "simhei", "sourcehan", "msyh", "pingfang")):
            try:
                font_manager.fontManager.addfont(f)
            except (OSError, RuntimeError, ValueError):
                continue
    return _match(font_manager.fontManager.ttflist)


def _match(entries) -> str | None:
    names = {f.name for f in entries}
    for c in CJK_CANDIDATES:
        if c in names:
            return c
    for n in sorted(names):
        if "CJK" in n or "Hei" in n or "Han Sans" in n:
            return n
    return None


def font_status() -> str:
    f = cjk_font()
    return f"CJK font: {f}" if f else ("no CJK font found: Chinese labels will not render; install fonts-noto-cjk "
                                       "(Debian) or any font with Chinese glyphs")


def _style(lang: str) -> dict:
    f = cjk_font()
    if f is None:
        if lang == "zh":
            warnings.warn(font_status(), stacklevel=3)
        return {"font.family": "sans-serif"}
    return {"font.family": "sans-serif", "font.sans-serif": [f, "DejaVu Sans"], "axes.unicode_minus": False}


# ---------------------------------------------------------------------------------------------- geometry
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


def decode_geojson(gj: dict) -> dict:
    """Plain GeoJSON from ECharts' compressed format (returned unchanged when not compressed)."""
    if not gj.get("UTF8Encoding"):
        return gj
    feats = []
    for f in gj["features"]:
        g = f["geometry"]
        offs = g.get("encodeOffsets")
        if g["type"] == "Polygon":
            coords = [_decode_ring(r, offs[i]).tolist() for i, r in enumerate(g["coordinates"])]
        elif g["type"] == "MultiPolygon":
            coords = [[_decode_ring(r, offs[j][i]).tolist() for i, r in enumerate(poly)]
                      for j, poly in enumerate(g["coordinates"])]
        else:
            coords = g["coordinates"]
        feats.append({"type": "Feature", "properties": f.get("properties", {}),
                      "geometry": {"type": g["type"], "coordinates": coords}})
    return {"type": "FeatureCollection", "features": feats}


def load_geometry(path: str | Path | None = None) -> dict | None:
    """Province geometry: a user GeoJSON (``properties.id`` or ``properties.adcode`` = GB/T 2260 code) or the
    ECharts map fetched at setup; None when neither is available."""
    if path is not None:
        gj = json.loads(Path(path).read_text(encoding="utf-8"))
        if gj.get("type") != "FeatureCollection":
            raise DataError(f"{path} is not a GeoJSON FeatureCollection")
        return gj
    from nqpf import assets

    return assets.china_map()


def feature_code(props: dict) -> str | None:
    for k in ("id", "adcode", "code", "unit"):
        if props.get(k) is not None:
            return str(props[k])
    return None


# ---------------------------------------------------------------------------------------------- figures
def _save(fig, path: str | Path | None, fmt: str | None = None) -> bytes | Path:
    if path is None:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt or "svg", bbox_inches="tight")
        plt.close(fig)
        return buf.getvalue()
    p = Path(path)
    with atomic_path(p) as tmp:
        fig.savefig(tmp, format=fmt or p.suffix.lstrip(".") or "png", dpi=200, bbox_inches="tight")
    plt.close(fig)
    return p


def bar_ranking(df: pd.DataFrame, *, label: str, value: str, lo: str | None = None, hi: str | None = None,
                title: str = "", xlabel: str = "", lang: str = "en", path: str | Path | None = None,
                fmt: str | None = None, highlight: str | None = None):
    """Horizontal bars sorted by ``value``; optional interval ``lo``-``hi`` drawn as error bars."""
    d = df.sort_values(value, ascending=True)
    with plt.rc_context(_style(lang)):
        fig, ax = plt.subplots(figsize=(6.5, max(3.0, 0.22 * len(d) + 1)))
        colors = ["#c0392b" if highlight is not None and lab == highlight else "#2c7fb8" for lab in d[label]]
        ax.barh(d[label].astype(str), d[value], color=colors)
        if lo and hi and d[lo].notna().any():
            ax.errorbar(d[value], np.arange(len(d)), xerr=[d[value] - d[lo], d[hi] - d[value]], fmt="none",
                        ecolor="#333", elinewidth=0.8, capsize=2)
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        return _save(fig, path, fmt)


def line_trend(df: pd.DataFrame, *, x: str, y: str, series: str, title: str = "", ylabel: str = "",
               lang: str = "en", path: str | Path | None = None, fmt: str | None = None):
    with plt.rc_context(_style(lang)):
        fig, ax = plt.subplots(figsize=(6.5, 3.6))
        for name, g in df.groupby(series, sort=False):
            ax.plot(g[x], g[y], marker="o", ms=3, label=str(name))
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        return _save(fig, path, fmt)


def china_map(values: pd.Series, *, title: str = "", legend: str = "", lang: str = "en",
              geometry: dict | None = None, path: str | Path | None = None, fmt: str | None = None,
              cmap: str = "YlGnBu"):
    """Choropleth of ``values`` (index = GB/T 2260 province code). Provinces without a value are grey."""
    gj = geometry if geometry is not None else load_geometry()
    if gj is None:
        raise DataError("no map geometry: run `make setup` (fetches echarts@4.9.0 from npm) or pass a GeoJSON "
                        "whose features carry properties.id = GB/T 2260 code")
    gj = decode_geojson(gj)
    vals = values.astype(float)
    vmin, vmax = np.nanmin(vals.values), np.nanmax(vals.values)
    norm = matplotlib.colors.Normalize(vmin=vmin, vmax=vmax if vmax > vmin else vmin + 1)
    cm = plt.get_cmap(cmap)
    with plt.rc_context(_style(lang)):
        fig, ax = plt.subplots(figsize=(7, 5.6))
        patches, colors = [], []
        for f in gj["features"]:
            code = feature_code(f.get("properties", {}))
            g = f["geometry"]
            polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
            v = vals.get(code, np.nan) if code is not None else np.nan
            col = cm(norm(v)) if np.isfinite(v) else (0.85, 0.85, 0.85, 1)
            for poly in polys:
                ring = np.asarray(poly[0])
                if len(ring) >= 3:
                    patches.append(Polygon(ring, closed=True))
                    colors.append(col)
        pc = PatchCollection(patches, facecolor=colors, edgecolor="white", linewidth=0.4)
        ax.add_collection(pc)
        ax.autoscale_view()
        ax.set_aspect(1.2)
        ax.set_axis_off()
        sm = matplotlib.cm.ScalarMappable(norm=norm, cmap=cm)
        fig.colorbar(sm, ax=ax, shrink=0.6, label=legend)
        ax.set_title(title)
        fig.tight_layout()
        return _save(fig, path, fmt)


def radar(profile: pd.DataFrame, *, axis: str, series: list[str], title: str = "", lang: str = "en",
          path: str | Path | None = None, fmt: str | None = None):
    """Radar of dimension scores: one polygon per column in ``series`` (e.g. region, national mean, peers)."""
    labels = profile[axis].astype(str).tolist()
    n = len(labels)
    if n < 3:
        raise DataError("a radar chart needs at least three dimensions")
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False).tolist()
    with plt.rc_context(_style(lang)):
        fig, ax = plt.subplots(figsize=(5.2, 5.2), subplot_kw={"polar": True})
        for s in series:
            v = profile[s].astype(float).tolist()
            ax.plot(ang + ang[:1], v + v[:1], label=s)
            ax.fill(ang + ang[:1], v + v[:1], alpha=0.1)
        ax.set_xticks(ang)
        ax.set_xticklabels(labels, fontsize=8)
        ax.set_title(title)
        ax.legend(fontsize=8, loc="lower right", bbox_to_anchor=(1.25, -0.05), frameon=False)
        fig.tight_layout()
        return _save(fig, path, fmt)
