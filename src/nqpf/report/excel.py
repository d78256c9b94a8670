"""Excel workbook of a report: one sheet per table, multi-level headers (merged cells), frozen panes,
number formats, and text cells that start with = + - @ neutralised against formula injection."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from nqpf._util import FORMULA_PREFIXES, atomic_path
from nqpf.report import ReportDoc, Table, Text

INJECTION_PREFIXES = FORMULA_PREFIXES  # the one list of formula-starting characters (nqpf._util)
_BAD_SHEET = re.compile(r"[\[\]\*\?/\\:]")


def safe_text(v: str) -> str:
    """Prefix a text cell that a spreadsheet would read as a formula with an apostrophe-like quote.

    A leading ``'`` is the conventional neutraliser (OWASP CSV-injection guidance); the cell stays text.
    Numbers are never passed here, so negative numbers keep their sign.
    """
    return "'" + v if v.startswith(INJECTION_PREFIXES) else v


def sheet_name(name: str, used: set[str]) -> str:
    base = _BAD_SHEET.sub("_", name).strip("'")[:31] or "Sheet"
    out, k = base, 2
    while out.lower() in {u.lower() for u in used}:
        suffix = f"_{k}"
        out = base[: 31 - len(suffix)] + suffix
        k += 1
    used.add(out)
    return out


_PY_FMT = re.compile(r"^\{:(?P<plus>\+)?(?P<comma>,)?\.(?P<d>\d+)(?P<kind>[f%])\}$")
_RANK_WORDS = ("rank", "排名", "位次", "名次")


def _keep(v: str) -> str:
    return v


_safe = safe_text


def text_width(v: str) -> int:
    """Display width of a text in a spreadsheet column: CJK (and other wide) characters count double."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in v)


def excel_format(py: str | None) -> str | None:
    """The Excel number format of a Python format used in reports: '{:.4f}' → '0.0000', '{:.1%}' → '0.0%',
    '{:,.0f}' → '#,##0', '{:+.3f}' → '+0.000;-0.000;0.000'; None when it has no direct equivalent."""
    m = _PY_FMT.match(py or "")
    if not m:
        return None
    d = int(m["d"])
    body = ("#,##0" if m["comma"] else "0") + ("." + "0" * d if d else "")
    if m["kind"] == "%":
        body += "%"
    return f"+{body};-{body};{body}" if m["plus"] else body


def _number_format(col: str, s: pd.Series) -> str | None:
    """A column's number format from its dtype and header: integers '0'; ranks (a header naming a rank, such
    as 'Rank 5 %') '0' or '0.0' when some are fractional quantiles — never a percentage; shares '0.0%'."""
    if not pd.api.types.is_numeric_dtype(s):
        return None
    if pd.api.types.is_integer_dtype(s) or pd.api.types.is_bool_dtype(s):
        return "0"
    low = str(col).lower()
    if any(k in low for k in _RANK_WORDS):
        v = s.replace([np.inf, -np.inf], np.nan).dropna().astype(float)
        return "0" if np.allclose(v, np.round(v)) else "0.0"
    if any(k in low for k in ("share", "percent", "%", "占比", "贡献率", "比重")):
        return "0.0%"
    v = s.abs().replace([np.inf], np.nan).dropna()
    if len(v) and v.max() >= 1000:
        return "#,##0.0"
    return "0.0000"


def write_table(ws, df: pd.DataFrame, *, title: str = "", formats: dict | None = None, freeze_cols: int = 1,
                widths: dict | None = None) -> None:
    """Write ``df`` on ``ws`` with its (possibly multi-level) header, frozen below the header and right of the
    first ``freeze_cols`` columns. ``formats``: column (its last header level) → an Excel number format or a
    Python format of :class:`nqpf.report.Table` ('{:.4f}', '{:.1%}'); other numeric columns get one from their
    dtype and header (:func:`_number_format`). ``widths``: column → width (default from header and text)."""
    formats = formats or {}
    widths = widths or {}
    safe_text = _keep if df.attrs.get("raw_text") else _safe  # raw_text: the caller asked for cells as they are
    r0 = 1
    if title:
        ws.cell(row=1, column=1, value=safe_text(title)).font = Font(bold=True, size=12)
        r0 = 3
    cols = df.columns
    nlev = cols.nlevels if isinstance(cols, pd.MultiIndex) else 1
    head_fill = PatternFill("solid", fgColor="EEF3F8")
    for lvl in range(nlev):
        r = r0 + lvl
        vals = [c[lvl] if isinstance(cols, pd.MultiIndex) else c for c in cols]
        k = 0
        while k < len(vals):
            span = 1
            if lvl < nlev - 1:
                while k + span < len(vals) and vals[k + span] == vals[k] and (
                        lvl == 0 or all(cols[k + span][j] == cols[k][j] for j in range(lvl))):
                    span += 1
            cell = ws.cell(row=r, column=k + 1, value=safe_text(str(vals[k])) if vals[k] is not None else None)
            cell.font = Font(bold=True)
            cell.fill = head_fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            if span > 1:
                ws.merge_cells(start_row=r, start_column=k + 1, end_row=r, end_column=k + span)
            k += span
    first = r0 + nlev
    for j, c in enumerate(cols):
        s = df[c]
        key = c[-1] if isinstance(c, tuple) else c
        given = formats.get(c, formats.get(key))
        fmt = (excel_format(given) or (given if given and "{" not in given else None)) if given else None
        fmt = fmt or _number_format(key, s)
        width = max(8, min(60, text_width(str(key)) + 4))
        for i, v in enumerate(s.tolist()):
            if isinstance(v, list | tuple):
                v = ", ".join(map(str, v))
            if v is pd.NA or v is pd.NaT or (isinstance(v, float) and not np.isfinite(v)):
                v = None
            elif isinstance(v, np.integer):
                v = int(v)
            elif isinstance(v, np.floating):
                v = float(v)
            elif isinstance(v, str):
                v = safe_text(v)
                width = max(width, min(60, text_width(v) + 2))
            elif v is not None and not isinstance(v, int | float | bool):
                v = safe_text(str(v))
            cell = ws.cell(row=first + i, column=j + 1, value=v)
            if fmt and isinstance(v, int | float):
                cell.number_format = fmt
        ws.column_dimensions[get_column_letter(j + 1)].width = widths.get(c, widths.get(key, width))
    ws.freeze_panes = ws.cell(row=first, column=freeze_cols + 1)


def write_excel(doc: ReportDoc, path: str | Path) -> Path:
    """One sheet per table of ``doc`` (named by ``Table.sheet`` or section), plus an 'about' sheet."""
    wb = Workbook()
    about = wb.active
    about.title = "about"
    used = {"about"}
    about.cell(row=1, column=1, value=safe_text(doc.title)).font = Font(bold=True, size=13)
    r = 3
    for k, v in doc.meta:
        about.cell(row=r, column=1, value=safe_text(str(k)))
        about.cell(row=r, column=2, value=safe_text(str(v)))
        r += 1
    for sec in doc.sections:  # the summary's findings, the methods and the limitations, one per row
        if sec.id not in ("summary", "methods", "limits"):
            continue
        r += 1
        about.cell(row=r, column=1, value=safe_text(sec.title)).font = Font(bold=True)
        for b in sec.blocks:
            if isinstance(b, Text):
                r += 1
                about.cell(row=r, column=1, value="•")
                about.cell(row=r, column=2, value=safe_text(b.text))
        r += 2
    for sec, miss in doc.missing():
        about.cell(row=r, column=1, value=safe_text(sec.title))
        about.cell(row=r, column=2, value=safe_text(f"{miss.what}: {', '.join(miss.needs)} {miss.reason}".strip()))
        r += 1
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 90
    counts: dict[str, int] = {}
    for sec, tb in doc.tables():
        counts[sec.id] = counts.get(sec.id, 0) + 1
        name = tb.sheet or (sec.id if counts[sec.id] == 1 else f"{sec.id}_{counts[sec.id]}")
        ws = wb.create_sheet(sheet_name(name, used))
        write_table(ws, tb.df, title=tb.caption or sec.title, formats=tb.formats)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)


def tables_to_excel(tables: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Convenience: a workbook from named DataFrames."""
    doc = ReportDoc(title="nqpf", lang="en")
    from nqpf.report import Section

    for name, df in tables.items():
        doc.sections.append(Section(id=name, title=name, blocks=[Table(df, sheet=name)]))
    return write_excel(doc, path)
