"""Tables for papers: CSV (UTF-8 with BOM so that Excel shows Chinese) and LaTeX (booktabs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nqpf._util import write_csv_atomic, write_text_atomic

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  # symbols pdfLaTeX's default fonts lack (or print wrongly, '<' → '¡' in OT1): math or ligatures
                  "<": r"\textless{}", ">": r"\textgreater{}", "–": "--", "—": "---", "−": r"$-$",
                  "×": r"$\times$", "²": r"$^{2}$", "β": r"$\beta$", "σ": r"$\sigma$", "λ": r"$\lambda$",
                  "≥": r"$\geq$", "≤": r"$\leq$"}


def latex_escape(s: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(s))


def to_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """CSV with a BOM (``utf-8-sig``); multi-level headers are flattened with ' / '."""
    out = df.copy()
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = [" / ".join(str(x) for x in c if x not in (None, "")) for c in out.columns]
    return write_csv_atomic(path, out, encoding="utf-8-sig")


def _cell(v, fmt: str | None, digits: int) -> str:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float | np.floating) and not np.isfinite(v)):
        return "--"
    if fmt and isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool):
        try:
            return latex_escape(fmt.format(v))
        except (ValueError, TypeError):
            pass
    if isinstance(v, float | np.floating):
        return f"{v:.{digits}f}"
    return latex_escape(v)


def to_latex(df: pd.DataFrame, *, caption: str = "", label: str = "", digits: int = 3,
             formats: dict[str, str] | None = None, notes: list[str] | None = None,
             notes_title: str = "Notes") -> str:
    """A booktabs ``tabular`` (no pandas Styler dependency); multi-level headers become \\multicolumn rows.

    ``formats``: column (last header level) → Python format ('{:.4f}', '{:.1%}'; '%' is escaped); other
    floats get ``digits`` decimals, missing values '--'. ``notes``: sentences set under the table in a
    ``\\footnotesize`` paragraph as wide as the table (``threeparttable``-free). Chinese text needs ``ctex``
    or ``xeCJK`` in the document preamble.
    """
    formats = formats or {}
    cols = df.columns
    nlev = cols.nlevels if isinstance(cols, pd.MultiIndex) else 1
    align = "".join("r" if pd.api.types.is_numeric_dtype(df[c]) else "l" for c in cols)
    lines = [r"\begin{table}[htbp]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{latex_escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    lines += [rf"\begin{{tabular}}{{{align}}}", r"\toprule"]
    for lvl in range(nlev):
        vals = [c[lvl] if isinstance(cols, pd.MultiIndex) else c for c in cols]
        cells, k = [], 0
        while k < len(vals):
            span = 1
            if lvl < nlev - 1:
                while k + span < len(vals) and vals[k + span] == vals[k]:
                    span += 1
            txt = latex_escape(vals[k])
            cells.append(rf"\multicolumn{{{span}}}{{c}}{{{txt}}}" if span > 1 else txt)
            k += span
        lines.append(" & ".join(cells) + r" \\")
    lines.append(r"\midrule")
    fm = [formats.get(c, formats.get(c[-1] if isinstance(c, tuple) else c)) for c in cols]
    for row in df.itertuples(index=False, name=None):
        lines.append(" & ".join(_cell(v, f, digits) for v, f in zip(row, fm, strict=True)) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if notes:
        body = " ".join(latex_escape(n) for n in notes)
        lines += [r"\par\smallskip", r"\begin{minipage}{\linewidth}\footnotesize",
                  rf"\textit{{{latex_escape(notes_title)}:}} {body}", r"\end{minipage}"]
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def write_latex(df: pd.DataFrame, path: str | Path, **kw) -> Path:
    return write_text_atomic(path, to_latex(df, **kw))
