"""Safety helpers for the dashboard: formula-injection neutralisation and streaming size limits."""

from __future__ import annotations

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(v: object) -> object:
    """Prefix a text cell that a spreadsheet would read as a formula with an apostrophe (OWASP CSV injection)."""
    if isinstance(v, str) and v.startswith(FORMULA_PREFIXES):
        return "'" + v
    return v


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` whose text cells (and column names) cannot start a formula; numbers stay numbers."""
    out = df.copy()
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(neutralise_cell)
    return out


class TooLarge(Exception):
    """The request body exceeded the configured limit."""

    def __init__(self, limit: int):
        super().__init__(f"upload exceeds the limit of {limit} bytes")
        self.limit = limit
