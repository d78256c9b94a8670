"""ECharts options of the report's charts (bars, rank intervals, lines)."""

from __future__ import annotations

import numpy as np


def _bar_option(labels, values, title, lo=None, hi=None, highlight=None) -> dict:
    """Horizontal bars of ``values`` by ``labels`` (top first); ``highlight`` in red."""
    data = [{"value": None if not np.isfinite(v) else round(float(v), 4),
             "itemStyle": {"color": "#c0392b" if highlight is not None and lab == highlight else "#2c7fb8"}}
            for lab, v in zip(labels, values, strict=True)]
    return {"animation": False, "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
            "tooltip": {"trigger": "axis"}, "grid": {"left": 90, "right": 30, "top": 40, "bottom": 30},
            "xAxis": {"type": "value"}, "yAxis": {"type": "category", "data": list(labels)[::-1]},
            "series": [{"type": "bar", "data": data[::-1]}]}


def _interval_option(labels, nominal, lo, hi, title) -> dict:
    """Rank intervals as floating bars (transparent base + interval) with the nominal rank as points."""
    base = [None if not np.isfinite(a) else float(a) for a in lo]
    span = [None if not (np.isfinite(a) and np.isfinite(b)) else float(b - a) for a, b in zip(lo, hi, strict=True)]
    return {"animation": False, "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
            "tooltip": {"trigger": "axis"}, "grid": {"left": 90, "right": 30, "top": 40, "bottom": 30},
            "xAxis": {"type": "value", "inverse": False, "min": 1},
            "yAxis": {"type": "category", "data": list(labels)[::-1]},
            "series": [{"type": "bar", "stack": "r", "data": base[::-1], "itemStyle": {"color": "transparent"}},
                       {"type": "bar", "stack": "r", "data": span[::-1], "itemStyle": {"color": "#9ecae1"}},
                       {"type": "scatter", "data": [float(v) for v in nominal][::-1], "symbolSize": 7,
                        "itemStyle": {"color": "#08519c"}}]}


def _line_option(x, series: dict[str, list], title: str, ytitle: str = "") -> dict:
    """Lines of ``series`` (name → values) over ``x``; non-finite values are gaps."""
    return {"animation": False, "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
            "tooltip": {"trigger": "axis"}, "legend": {"top": 24, "type": "scroll"},
            "grid": {"left": 60, "right": 30, "top": 64, "bottom": 30},
            "xAxis": {"type": "category", "data": [str(v) for v in x]}, "yAxis": {"type": "value", "name": ytitle},
            "series": [{"type": "line", "name": k, "data": [None if v is None or not np.isfinite(v) else round(float(v), 4)
                                                             for v in vals]} for k, vals in series.items()]}
