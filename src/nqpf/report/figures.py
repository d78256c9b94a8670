"""Publication-ready figures (PNG/SVG) with matplotlib: bar rankings, trends, radar profiles, the China map.

Chinese labels need a CJK font: :func:`cjk_font` looks for one among the installed fonts (Debian
``fonts-noto-cjk`` is installed by ``make browser-deps``) and, when none is found, figures fall back to
the default font and :func:`font_status` says so (Chinese glyphs would show as boxes).
The China map's geometry, its 南海诸岛 inset, caption and drawing are shared with every other map in
:mod:`nqpf.report.geo` (``load_geometry``, ``decode_geojson`` and ``feature_code`` are re-exported here).
"""

from __future__ import annotations

import io
import warnings
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from nqpf._util import atomic_path  # noqa: E402
from nqpf.errors import DataError  # noqa: E402
from nqpf.report import geo as G  # noqa: E402
from nqpf.report.geo import decode_geojson, feature_code, load_geometry  # noqa: E402,F401 - public names

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


# ---------------------------------------------------------------------------------------------- figures
def _save(fig, path: str | Path | None, fmt: str | None = None, metadata=None) -> bytes | Path:
    """``metadata``: None or a function of the output format giving the file's metadata."""
    if path is None:
        fmt = fmt or "svg"
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, bbox_inches="tight", metadata=metadata(fmt) if metadata else None)
        plt.close(fig)
        return buf.getvalue()
    p = Path(path)
    fmt = fmt or p.suffix.lstrip(".").lower() or "png"
    with atomic_path(p) as tmp:
        fig.savefig(tmp, format=fmt, dpi=200, bbox_inches="tight", metadata=metadata(fmt) if metadata else None)
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


def rank_intervals(df: pd.DataFrame, *, label: str, rank: str, lo: str, hi: str, title: str = "",
                   xlabel: str = "", lang: str = "en", path: str | Path | None = None, fmt: str | None = None):
    """Rank intervals: one row per unit (best nominal rank on top), a bar from ``lo`` to ``hi`` (e.g. the 5–95 %
    rank quantiles) and a point at the nominal ``rank``."""
    d = df.sort_values(rank, ascending=False, kind="mergesort").reset_index(drop=True)
    y = np.arange(len(d))
    with plt.rc_context(_style(lang)):
        fig, ax = plt.subplots(figsize=(6.5, max(3.0, 0.22 * len(d) + 1)))
        a, b = d[lo].astype(float).to_numpy(), d[hi].astype(float).to_numpy()
        ax.barh(y, b - a, left=a, height=0.6, color="#9ecae1")
        ax.plot(d[rank].astype(float), y, "o", color="#08519c", ms=4)
        top = np.nanmax(np.concatenate([b, d[rank].astype(float).to_numpy()])) if len(d) else 1.0
        ax.set_xlim(0.5, top + 0.5)  # ranks 1 … n fully visible
        ax.set_yticks(y)
        ax.set_yticklabels(d[label].astype(str))
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        return _save(fig, path, fmt)


def line_trend(df: pd.DataFrame, *, x: str, y: str, series: str, title: str = "", ylabel: str = "",
               lang: str = "en", path: str | Path | None = None, fmt: str | None = None,
               marker: str | None = "o"):
    """One line per ``series`` value (in order of appearance); ``marker=None`` for dense curves (densities)."""
    with plt.rc_context(_style(lang)):
        fig, ax = plt.subplots(figsize=(6.5, 3.6))
        for name, g in df.groupby(series, sort=False):
            ax.plot(g[x], g[y], marker=marker, ms=3, label=str(name))
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        return _save(fig, path, fmt)


def china_map(values: pd.Series, *, title: str = "", legend: str = "", lang: str = "en",
              geometry: dict | None = None, path: str | Path | None = None, fmt: str | None = None,
              cmap: str = "YlGnBu", highlight: str | None = None, gid_prefix: str = "", caption: bool = True):
    """Choropleth of ``values`` (index = GB/T 2260 province code) with the 南海诸岛 inset and the map's caption
    (drawn under the map unless ``caption=False``, when the caller shows it, and always stored as PNG/SVG
    metadata). Provinces without a value are grey; ``highlight``: a code outlined in red; ``gid_prefix``: for
    the SVG group ids when several maps share one HTML page."""
    fig = map_figure(values, title=title, legend=legend, lang=lang, geometry=geometry, cmap=cmap,
                     highlight=highlight, gid_prefix=gid_prefix, caption=caption)
    gj = G.china_geometry(geometry)
    with plt.rc_context(_style(lang)):  # fonts are looked up when the figure is drawn
        return _save(fig, path, fmt, metadata=lambda f: G.metadata(gj, lang, f))


def map_figure(values: pd.Series, *, title: str = "", legend: str = "", lang: str = "en",
               geometry: dict | None = None, cmap: str = "YlGnBu", highlight: str | None = None,
               gid_prefix: str = "", caption: bool = True):
    """The matplotlib figure behind :func:`china_map` (drawn by :func:`nqpf.report.geo.draw`); draw or save it
    under ``plt.rc_context(_style(lang))`` so that Chinese text finds its font."""
    gj = G.china_geometry(geometry)
    if gj is None:
        raise DataError("no map geometry: run `make setup` (fetches echarts@4.9.0 from npm) or pass a GeoJSON "
                        "whose features carry properties.id = GB/T 2260 code")
    vals = values.astype(float)
    finite = vals[np.isfinite(vals.values)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    norm = matplotlib.colors.Normalize(vmin=vmin, vmax=vmax if vmax > vmin else vmin + 1)
    cm = plt.get_cmap(cmap)
    colors = {str(k): cm(norm(v)) for k, v in finite.items()}
    with plt.rc_context(_style(lang)):
        fig, ax = plt.subplots(figsize=(7, 5.2))
        G.draw(ax, gj, colors, lang=lang, highlight=highlight, gid_prefix=gid_prefix)
        sm = matplotlib.cm.ScalarMappable(norm=norm, cmap=cm)
        fig.colorbar(sm, ax=ax, shrink=0.6, label=legend)
        ax.set_title(title)
        fig.tight_layout(rect=(0, 0.07 if caption else 0, 1, 1))
        if caption:
            G.add_caption(fig, gj, lang, gid_prefix=gid_prefix)
    return fig


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
