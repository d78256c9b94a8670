"""Self-contained HTML report: every script, style, datum and the map geometry are inline, so the file
works offline. Charts use ECharts 4.9.0 (npm, fetched at setup; ``nqpf.assets``); when it is not
available each chart falls back to a static SVG drawn with matplotlib (``figures``)."""

from __future__ import annotations

import html as _html
import json
import math
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from nqpf._util import write_text_atomic
from nqpf.errors import DataError
from nqpf.i18n import t
from nqpf.report import Chart, Facts, MapBlock, Missing, ReportDoc, Table, Text
from nqpf.report import figures as F
from nqpf.report import geo as G


def _json(obj) -> str:
    """JSON safe to place inside a <script> element."""
    s = json.dumps(obj, ensure_ascii=False, default=_default, allow_nan=False)
    return s.replace("</", "<\\/").replace("<!--", "<\\!--")


def _default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def clean(obj):
    """Replace NaN/inf by None recursively (JSON has no NaN)."""
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return None if not math.isfinite(float(obj)) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def fmt_cell(v, fmt: str | None = None) -> str:
    if v is pd.NA or v is pd.NaT:
        return "—"
    if v is None or (isinstance(v, float | np.floating) and not np.isfinite(v)):
        return "—"
    if isinstance(v, list | tuple):
        return ", ".join(map(str, v))
    if fmt:
        try:
            return fmt.format(v)
        except (ValueError, TypeError):
            return str(v)
    if isinstance(v, float | np.floating):
        a = abs(float(v))
        return f"{v:.4f}" if a < 10 else (f"{v:.2f}" if a < 1e5 else f"{v:,.0f}")
    return str(v)


def table_view(tb: Table) -> dict:
    df = tb.df
    cols = df.columns
    header: list[list[dict]] = []
    if isinstance(cols, pd.MultiIndex):
        for lvl in range(cols.nlevels):
            row: list[dict] = []
            vals = [c[lvl] for c in cols]
            k = 0
            while k < len(vals):
                span = 1
                while k + span < len(vals) and vals[k + span] == vals[k] and (
                        lvl == 0 or all(cols[k + span][j] == cols[k][j] for j in range(lvl))):
                    span += 1
                row.append({"text": "" if vals[k] is None else str(vals[k]), "span": span, "cls": ""})
                k += span
            header.append(row)
    else:
        header.append([{"text": str(c), "span": 1, "cls": ""} for c in cols])
    rows = []
    columns = [df.iloc[:, j].tolist() for j in range(df.shape[1])]  # keeps ints as ints (iterrows would not)
    for i in range(len(df)):
        cells = []
        for j, c in enumerate(cols):
            v = columns[j][i]
            is_txt = isinstance(v, str) or isinstance(v, list | tuple)
            cells.append({"text": fmt_cell(v, tb.formats.get(c if not isinstance(c, tuple) else c[-1])),
                          "cls": "txt" if is_txt else ""})
        first = columns[0][i] if columns else None
        hl = tb.highlight is not None and first == tb.highlight
        rows.append({"cells": cells, "hl": bool(hl)})
    return {"kind": "table", "caption": tb.caption, "header": header, "rows": rows}


def map_option(mb: MapBlock, geo: dict, lang: str) -> dict:
    """ECharts option of a map block (the shared China map of :mod:`nqpf.report.geo`, inset included)."""
    return clean(G.echarts_option(mb.values, geo, lang, title=mb.title, legend=mb.legend, highlight=mb.highlight))


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("nqpf.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("nqpf")
    except Exception:  # noqa: BLE001 - metadata missing in a source checkout
        return "dev"


def render_html(doc: ReportDoc, *, static: bool = False, geometry: dict | None = None) -> str:
    """Render ``doc`` to one self-contained HTML string.

    ``static=True`` draws SVG figures even when ECharts is available (smaller file, print-friendly).
    ``geometry``: a GeoJSON for the map (default: the ECharts China map fetched at setup); every map gets the
    南海诸岛 inset and its caption (:mod:`nqpf.report.geo`).
    """
    from nqpf import assets

    lang = doc.lang
    js = None if static else assets.echarts_js()
    try:
        geo, no_map = G.china_geometry(geometry), t("report.map_howto", lang)
    except DataError:  # the geometry is there but the South China Sea Islands inset is not: draw no map
        geo, no_map = None, t("report.map_no_inset", lang)
    has_map = any(isinstance(b, MapBlock) for s in doc.sections for b in s.blocks)
    sections = []
    n = 0
    for sec in doc.sections:
        blocks = []
        for b in sec.blocks:
            if isinstance(b, Text):
                blocks.append({"kind": "text", "text": b.text, "cls": b.kind})
            elif isinstance(b, Facts):
                blocks.append({"kind": "facts", "pairs": b.items, "title": b.title})
            elif isinstance(b, Table):
                blocks.append(table_view(b))
            elif isinstance(b, Missing):
                blocks.append({"kind": "missing", "what": b.what, "needs": b.needs, "reason": b.reason})
            elif isinstance(b, Chart):
                n += 1
                svg = b.fallback_svg
                blocks.append({"kind": "chart", "id": f"chart{n}", "height": b.height, "caption": b.caption,
                               "interactive": js is not None, "option_json": _json(clean(b.option)),
                               "svg": svg, "map": False, "note": None})
            elif isinstance(b, MapBlock):
                n += 1
                if geo is None:
                    blocks.append({"kind": "missing", "what": b.title or t("report.map", lang),
                                   "needs": [t("report.map_geometry", lang)], "reason": no_map})
                    continue
                block = {"kind": "chart", "id": f"chart{n}", "height": 520, "caption": b.caption, "map": True,
                         "note": G.caption(geo, lang).split("\n")}
                if js is not None:
                    block.update(interactive=True, option_json=_json(map_option(b, geo, lang)), svg=None)
                else:  # the caption is the HTML note below the figure, not drawn twice
                    svg = F.china_map(b.values, title=b.title, legend=b.legend, lang=lang, geometry=geo, fmt="svg",
                                      highlight=b.highlight, gid_prefix=f"chart{n}-", caption=False)
                    block.update(interactive=False, option_json="{}", svg=_svg_text(svg))
                blocks.append(block)
            else:
                raise TypeError(f"unknown report block {type(b).__name__}")
        sections.append({"id": sec.id, "title": sec.title, "intro": sec.intro, "blocks": blocks})
    labels = {k: t(f"report.{k}", lang) for k in ("about", "missing", "needs", "chart_unavailable")}
    labels["footer"] = t("report.footer", lang, version=_version())
    labels.update({"colon": "：", "comma": "、", "stop": "。"} if lang == "zh" else {"colon": ": ", "comma": ", ",
                                                                                     "stop": ". "})
    tpl = _env().get_template("report.html.j2")
    return tpl.render(doc=doc, sections=sections, L=labels, html_lang="zh-CN" if lang == "zh" else "en",
                      version=_version(), echarts_js=js,
                      geo_json=_json(geo) if (js is not None and has_map and geo is not None) else None)


def _svg_text(svg: bytes | str) -> str:
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    k = text.find("<svg")
    return text[k:] if k >= 0 else _html.escape(text)


def write_html(doc: ReportDoc, path: str | Path, **kw) -> Path:
    """Render and write atomically."""
    return write_text_atomic(path, render_html(doc, **kw))
