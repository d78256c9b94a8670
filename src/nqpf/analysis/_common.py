"""Shared helpers of the analysis layer: input checks and manifests (internal)."""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

import nqpf.index.result  # noqa: F401 - registers the DataFrame.nqpf accessor (summary, to_latex, plot)
from nqpf.errors import DataError, MethodError


def require_columns(df: pd.DataFrame, cols: list[str | None], *, what: str = "data") -> None:
    """Raise DataError naming the missing columns and the columns present."""
    missing = [c for c in cols if c is not None and c not in df.columns]
    if missing:
        raise DataError(f"{what}: missing column(s) {missing}; found {list(df.columns)}")


def numeric_column(
    df: pd.DataFrame, col: str, *, id_cols: list[str] | None = None, what: str = "data"
) -> np.ndarray:
    """Column ``col`` as float64; non-numbers and gaps raise DataError naming the rows/units."""
    vals = pd.to_numeric(df[col], errors="coerce")
    bad = vals.isna()
    if bad.any():
        ids = [c for c in (id_cols or []) if c in df.columns]
        rows = df.loc[bad, ids].astype(str).agg("/".join, axis=1).tolist() if ids else []
        first = df.index[bad][0]
        where = f"{ids} = {rows[:8]}" if rows else f"row(s) {list(df.index[bad][:8])}"
        raise DataError(
            f"{what}: column {col!r} has {int(bad.sum())} missing or non-numeric value(s) (first at row "
            f"{first}; {where}); fill or drop those rows (e.g. impute in the index) before this analysis"
        )
    return vals.to_numpy(dtype="float64")


def require_positive(y: np.ndarray, labels: np.ndarray | None, *, strict: bool, measure: str) -> None:
    """Raise MethodError when a measure needs positive (strict) or non-negative values."""
    bad = (y <= 0) if strict else (y < 0)
    if bad.any():
        who = list(np.asarray(labels)[bad][:8]) if labels is not None else list(np.flatnonzero(bad)[:8])
        need = "strictly positive" if strict else "non-negative"
        raise MethodError(
            f"{measure} needs {need} values; {int(bad.sum())} value(s) violate this (units {who}); "
            "use a positive-valued variable (e.g. an index score rescaled to (0, 1]) or another measure"
        )


def manifest(method: str, **settings: object) -> dict:
    """A small manifest of the settings of one analysis call."""
    from nqpf._util import package_versions

    return {
        "method": method,
        "settings": settings,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "versions": package_versions(("statsmodels", "libpysal", "esda", "giddy")),
        "warnings": [],
    }


def period_groups(df: pd.DataFrame, period: str | None):
    """Iterate ``(period_value, frame)``; one pseudo-period ``None`` when ``period`` is None."""
    if period is None:
        yield None, df
    else:
        yield from df.groupby(period, sort=True)


def check_min_size(n: int, need: int, *, what: str) -> None:
    if n < need:
        raise MethodError(f"{what}: needs at least {need} observations, got {n}")


#: Column names taken for the period when none is named (the CLI's rule for pooled panels).
PERIOD_LIKE = ("period", "year", "年份", "年度", "年")


def unit_period_keys(
    df: pd.DataFrame, unit: str | None = None, period: str | None = None, *, guess_period: bool = False
) -> tuple[list[str], list[str]] | None:
    """``(key columns, their labels)`` that must not repeat — one row per unit and period, like the index —
    or ``None`` when there is nothing to check.

    The unit column is ``unit``, else a column named ``unit``. Without ``period`` the table must be a
    cross-section (one row per unit), unless it has a period-like column (:data:`PERIOD_LIKE`): then it is a
    deliberately pooled panel (nothing to check) or, with ``guess_period``, that column is the period."""
    u = unit or ("unit" if "unit" in df.columns else None)
    if u is None or u not in df.columns:
        return None
    if period is None:
        found = next((c for c in PERIOD_LIKE if c in df.columns), None)
        if found is not None:
            if not guess_period:
                return None
            period = found
    keys = [u] + ([period] if period else [])
    return keys, ["unit", "period"][: len(keys)]
