"""Paper-ready tables, LaTeX, Excel and the standard figures of every result object.

The renderers of the results protocol (:mod:`nqpf._protocol`): the result classes — ``IndexResult``,
``SFAResult``, ``UncertaintyResult`` — and the tidy DataFrames of ``dea``, ``malmquist``, ``sigma``,
``beta_cross_section``, ``beta_panel``, ``dagum``, ``kde_over_time`` (through the ``DataFrame.nqpf``
accessor) reach these functions by name, :data:`nqpf._protocol.RENDERERS`, looked up when a method is
called; the lower layers hold no import of the report layer.

``result_kind`` tells what a result is (its ``kind``, or the columns of a tidy table); ``summary`` gives
the table a paper shows (:mod:`.results_summary`), ``latex`` a booktabs table with notes, ``excel`` a workbook
(table + notes sheet), ``plot`` the standard figure(s) of that kind (:data:`PLOTS`, :mod:`.results_figures`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nqpf._protocol import result_kind
from nqpf.i18n import t
from nqpf.report.results_figures import PLOTS, plot
from nqpf.report.results_summary import summary

__all__ = ["PLOTS", "excel", "latex", "plot", "result_kind", "summary"]


# ------------------------------------------------------------------------------------------ LaTeX / Excel
def latex(obj: Any, path: str | Path | None = None, *, lang: str = "en", caption: str | None = None,
          label: str = "", notes: list[str] | None = None, digits: int = 4, **kw) -> str:
    """Booktabs LaTeX of :func:`summary` (its formats and notes; ``notes`` are added after them; floats without
    a format get ``digits`` decimals); written atomically to ``path`` when given. Returns the LaTeX text."""
    from nqpf.report.tables import to_latex, write_text_atomic

    tab = summary(obj, lang=lang, **kw)
    tex = to_latex(tab, caption=tab.attrs.get("caption", "") if caption is None else caption, label=label, digits=digits,
                   formats=tab.attrs.get("formats", {}), notes=[*tab.attrs.get("notes", []), *(notes or [])],
                   notes_title=t("report.res.notes", lang))
    if path is not None:
        write_text_atomic(path, tex)
    return tex


def excel(obj: Any, path: str | Path, *, lang: str = "en", **kw) -> Path:
    """A workbook of :func:`summary`: the table (number formats from the table's formats, frozen header) and
    its caption and notes above it; written atomically."""
    from nqpf.report import ReportDoc, Section, Table, Text
    from nqpf.report.excel import write_excel

    tab = summary(obj, lang=lang, **kw)
    cap = tab.attrs.get("caption", "")
    sec = Section("summary", cap or "summary", blocks=[Text(n) for n in tab.attrs.get("notes", [])])
    doc = ReportDoc(title=cap or result_kind(obj), lang=lang, sections=[sec])
    doc.sections.append(Section("table", cap, blocks=[Table(tab, caption=cap, sheet=result_kind(obj)[:31],
                                                            formats=tab.attrs.get("formats", {}))]))
    return write_excel(doc, path)
