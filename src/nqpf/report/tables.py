"""Tables for papers: CSV (UTF-8 with BOM so that Excel shows Chinese) and LaTeX (booktabs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nqpf._util import write_csv_atomic, write_text_atomic

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(s: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(s))


def to_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """CSV with a BOM (``utf-8-sig``); multi-level headers are flattened with ' / '."""
    out = df.copy()
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = [" / ".join(str(x) for x in c if x not in (None, "")) for c in out.columns]
    return write_csv_atomic(path, out, encoding="utf-8-sig")


def to_latex(df: pd.DataFrame, *, caption: str = "", label: str = "", digits: int = 3) -> str:
    """A booktabs ``tabular`` (no pandas Styler dependency); multi-level headers become \\multicolumn rows.

    Chinese text needs ``ctex`` or ``xeCJK`` in the document preamble.
    """
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
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if isinstance(v, float | np.floating):
                cells.append("--" if not np.isfinite(v) else f"{v:.{digits}f}")
            else:
                cells.append(latex_escape(v))
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write_latex(df: pd.DataFrame, path: str | Path, **kw) -> Path:
    return write_text_atomic(path, to_latex(df, **kw))
