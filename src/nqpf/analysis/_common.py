"""Shared helpers of the analysis layer: input checks, manifests and coefficient tables (internal)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import nqpf.index.result  # noqa: F401 - registers the DataFrame.nqpf accessor (summary, to_latex, plot)
from nqpf._protocol import manifest as _manifest
from nqpf._util import package_versions
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
    """The manifest of one analysis call: :func:`nqpf._protocol.manifest` of kind ``"analysis"`` with
    ``method`` and ``settings``, and the versions of the analysis libraries too."""
    return _manifest("analysis", method=method, settings=settings,
                     versions=package_versions(("statsmodels", "libpysal", "esda", "giddy")))


#: The columns of every coefficient table (one row per term), as in statsmodels' summary frames.
COEF_COLUMNS = ("estimate", "std_error", "t", "p_value")
#: Old names kept for one release (``coef``, ``se`` of ``beta_panel``/``beta_panel_sar``, ``se`` of
#: ``beta_cross_section``): columns holding the same values, removed in the next release.
LEGACY_COEF = {"coef": "estimate", "se": "std_error"}


def coef_table(estimate, std_error, **cols: object) -> pd.DataFrame:
    """A coefficient table: ``cols`` first (e.g. ``term``), then :data:`COEF_COLUMNS` with t = estimate /
    std_error and the given ``p_value``, then the :data:`LEGACY_COEF` aliases."""
    p_value = cols.pop("p_value")
    est, se = np.asarray(estimate, dtype="float64"), np.asarray(std_error, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    out = pd.DataFrame({**cols, "estimate": est, "std_error": se, "t": t, "p_value": p_value})
    for old, new in LEGACY_COEF.items():
        out[old] = out[new]
    return out


def log_panel(df: pd.DataFrame, value: str, unit: str, period: str) -> pd.DataFrame:
    """``u`` (unit as text), ``t`` (period), ``ly`` = ln ``value`` of a long table; DataError on repeated
    (unit, period) rows, MethodError naming the rows with a non-positive value (convergence and clubs)."""
    require_columns(df, [value, unit, period], what="convergence input")
    y = numeric_column(df, value, id_cols=[unit, period], what="convergence input")
    if (y <= 0).any():
        bad = df.loc[y <= 0, [unit, period]].astype(str).agg("/".join, axis=1).tolist()[:8]
        raise MethodError(f"convergence: needs positive values to take logs; non-positive at {bad}")
    x = pd.DataFrame({"u": df[unit].astype(str).to_numpy(), "t": df[period].to_numpy(), "ly": np.log(y)})
    if x.duplicated(["u", "t"]).any():
        raise DataError("convergence input: repeated (unit, period) rows")
    return x


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
