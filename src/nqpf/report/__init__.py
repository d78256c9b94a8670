"""Reports: a small document model rendered to self-contained HTML (``html``), Excel (``excel``),
figures (``figures``) and tables (``tables``). ``build.build_report`` assembles national and regional
reports from a dataset, a framework and the analysis layers.

A :class:`ReportDoc` is a list of :class:`Section`; each section holds blocks — :class:`Text`,
:class:`Table`, :class:`Chart` (an ECharts option, with a static SVG fallback), :class:`MapBlock`
(province choropleth), :class:`Missing` (what a section needs and the data lacks) and :class:`Facts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class Text:
    text: str
    kind: str = "p"  # "p" | "note" | "warning"


@dataclass
class Facts:
    """Key–value pairs shown as a definition list."""

    items: list[tuple[str, str]]
    title: str = ""


@dataclass
class Table:
    df: pd.DataFrame
    caption: str = ""
    sheet: str | None = None           # sheet name in the workbook (default: section id + number)
    formats: dict[str, str] = field(default_factory=dict)   # column -> python format, e.g. "{:.3f}"
    highlight: Any = None              # first-column value of the row to highlight


@dataclass
class Chart:
    option: dict                       # ECharts option
    caption: str = ""
    height: int = 360
    fallback_svg: str | None = None    # used when ECharts is not available


@dataclass
class MapBlock:
    values: pd.Series                  # index: GB/T 2260 code, values: numbers (NaN = no data)
    title: str = ""
    legend: str = ""
    caption: str = ""
    highlight: str | None = None


@dataclass
class Missing:
    """A section (or part) that cannot be computed: what it needs and why it is missing."""

    what: str
    needs: list[str] = field(default_factory=list)
    reason: str = ""


@dataclass
class Section:
    id: str
    title: str
    blocks: list = field(default_factory=list)
    intro: str = ""


@dataclass
class ReportDoc:
    title: str
    lang: str
    sections: list[Section] = field(default_factory=list)
    subtitle: str = ""
    meta: list[tuple[str, str]] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)

    def tables(self) -> list[tuple[Section, Table]]:
        return [(s, b) for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def missing(self) -> list[tuple[Section, Missing]]:
        return [(s, b) for s in self.sections for b in s.blocks if isinstance(b, Missing)]


__all__ = ["Chart", "Facts", "MapBlock", "Missing", "ReportDoc", "Section", "Table", "Text"]


def __getattr__(name: str):
    """``nqpf.report.build_report`` without importing the analysis layers at package import."""
    if name == "build_report":
        from nqpf.report.build import build_report

        return build_report
    raise AttributeError(name)
