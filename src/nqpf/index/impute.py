"""Missing data on a balanced grid ``A`` of shape (units, periods, indicators), periods sorted ascending.

``none``/``refuse``  any gap is an error listing the indicators and how many cells miss.
``linear``           linear interpolation within a unit over time between the nearest observed years (interior
                     gaps only; no extrapolation).
``carry``            nearest observed year of the same unit, at most ``limit`` years away (default 2; ties take
                     the earlier year).
``linear-carry``     ``linear`` inside, then ``carry`` at the ends.
``group-mean``       mean of the unit's group (``groups``: unit → group; default all units) in the same period.
``mean``             the indicator's mean over every observed unit-period (pandas ``fillna(df.mean())``; the
                     last step of e.g. the 127ww replication, ``linear-carry+mean``; it ignores time and place,
                     so it is a fallback for units without any observation, never a default).

``carry`` takes ``limit`` years (``None`` = no limit: the first/last observed value is carried to the panel's
ends, as pandas ``interpolate(limit_direction="both")`` does).

Every imputed cell is logged (unit, period, indicator, method, value). Gaps still open after imputation are an
error (build_index) — never silently dropped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf.errors import DataError, MethodError

METHODS = ("none", "refuse", "linear", "carry", "linear-carry", "group-mean", "mean")


def _prev_next(valid: np.ndarray, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the previous and next valid period along axis 1 (−1 / T when none)."""
    T = valid.shape[1]
    idx = np.arange(T).reshape(1, T, 1)
    prev = np.maximum.accumulate(np.where(valid, idx, -1), axis=1)
    nxt = np.flip(np.minimum.accumulate(np.flip(np.where(valid, idx, T), axis=1), axis=1), axis=1)
    return prev, nxt


def interpolate_linear(A: np.ndarray, years) -> np.ndarray:
    """Interior linear interpolation along time (axis 1); vectorised."""
    A = np.asarray(A, dtype=float)
    yrs = np.asarray(years, dtype=float)
    T = A.shape[1]
    valid = ~np.isnan(A)
    prev, nxt = _prev_next(valid, yrs)
    ok = (~valid) & (prev >= 0) & (nxt < T)
    pc, nc = np.clip(prev, 0, T - 1), np.clip(nxt, 0, T - 1)
    yp, yn = yrs[pc], yrs[nc]
    ap = np.take_along_axis(A, pc, axis=1)
    an = np.take_along_axis(A, nc, axis=1)
    y = yrs.reshape(1, T, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        interp = ap + (an - ap) * (y - yp) / (yn - yp)
    return np.where(ok, interp, A)


def carry_nearest(A: np.ndarray, years, limit: int | None = 2) -> np.ndarray:
    """Fill with the nearest observed year of the same unit within ``limit`` years (earlier year on ties;
    ``limit=None``: any distance)."""
    A = np.asarray(A, dtype=float)
    limit = np.inf if limit is None else limit
    yrs = np.asarray(years, dtype=float)
    T = A.shape[1]
    valid = ~np.isnan(A)
    prev, nxt = _prev_next(valid, yrs)
    y = yrs.reshape(1, T, 1)
    pc, nc = np.clip(prev, 0, T - 1), np.clip(nxt, 0, T - 1)
    dp = np.where(prev >= 0, y - yrs[pc], np.inf)
    dn = np.where(nxt < T, yrs[nc] - y, np.inf)
    use_prev = dp <= dn
    dist = np.where(use_prev, dp, dn)
    val = np.where(use_prev, np.take_along_axis(A, pc, axis=1), np.take_along_axis(A, nc, axis=1))
    fill = (~valid) & (dist <= limit)
    return np.where(fill, val, A)


def group_mean(A: np.ndarray, group_codes) -> np.ndarray:
    """Fill with the mean of the unit's group in the same period and indicator."""
    A = np.asarray(A, dtype=float)
    g = np.asarray(group_codes)
    out = A.copy()
    for gi in np.unique(g):  # loops over groups (a handful), not units
        m = g == gi
        with np.errstate(invalid="ignore"):
            cnt = (~np.isnan(A[m])).sum(axis=0)
            mu = np.where(cnt > 0, np.nansum(A[m], axis=0) / np.maximum(cnt, 1), np.nan)
        block = out[m]
        out[m] = np.where(np.isnan(block), mu[None, :, :], block)
    return out


def pooled_mean(A: np.ndarray) -> np.ndarray:
    """Fill with the indicator's mean over all observed unit-periods (axis 2 = indicators)."""
    A = np.asarray(A, dtype=float)
    miss = np.isnan(A)
    cnt = (~miss).sum(axis=(0, 1))
    mu = np.where(cnt > 0, np.where(miss, 0.0, A).sum(axis=(0, 1)) / np.maximum(cnt, 1), np.nan)
    return np.where(miss, mu[None, None, :], A)


def impute_array(
    A: np.ndarray, years, method: str = "none", *, limit: int | None = 2, group_codes=None
) -> np.ndarray:
    """Dispatch (module docstring). ``none``/``refuse`` return ``A`` unchanged (the caller checks gaps)."""
    if method in ("none", "refuse"):
        return np.asarray(A, dtype=float)
    if method == "linear":
        return interpolate_linear(A, years)
    if method == "carry":
        return carry_nearest(A, years, limit)
    if method == "linear-carry":
        return carry_nearest(interpolate_linear(A, years), years, limit)
    if method == "group-mean":
        codes = np.zeros(np.asarray(A).shape[0], dtype=int) if group_codes is None else group_codes
        return group_mean(A, codes)
    if method == "mean":
        return pooled_mean(A)
    raise MethodError(f"unknown imputation {method!r}; choose one of {METHODS}")


def imputation_log(
    before: np.ndarray, after: np.ndarray, units, years, indicators, method: str
) -> pd.DataFrame:
    """One row per imputed cell: unit, period, indicator, method, value."""
    filled = np.isnan(before) & ~np.isnan(after)
    u, t, k = np.nonzero(filled)
    return pd.DataFrame(
        {
            "unit": np.asarray(units, dtype=object)[u],
            "period": np.asarray(years, dtype="int64")[t],
            "indicator": np.asarray(indicators, dtype=object)[k],
            "method": method,
            "value": after[u, t, k],
        }
    )


def gap_report(A: np.ndarray, units, years, indicators) -> str:
    """Human summary of remaining gaps by indicator (first units named)."""
    miss = np.isnan(A)
    parts = []
    for k in np.flatnonzero(miss.any(axis=(0, 1))):
        uu = np.flatnonzero(miss[:, :, k].any(axis=1))
        first = [f"{units[i]}" for i in uu[:3]]
        cells = int(miss[:, :, k].sum())
        parts.append(f"{indicators[k]!r}: {cells} cell(s), e.g. unit(s) {first}")
    return "; ".join(parts)


def impute_frame(wide: pd.DataFrame, method: str = "linear", **params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """DataFrame wrapper: ``wide`` indexed by (unit, period); returns (imputed wide, log)."""
    if not (isinstance(wide.index, pd.MultiIndex) and list(wide.index.names) == ["unit", "period"]):
        raise DataError("impute: wide data must be indexed by (unit, period)")
    units = wide.index.get_level_values("unit").unique().sort_values()
    years = np.sort(wide.index.get_level_values("period").unique().to_numpy())
    full = wide.reindex(pd.MultiIndex.from_product([units, years], names=["unit", "period"]))
    A = full.to_numpy(dtype=float).reshape(len(units), len(years), full.shape[1])
    gmap = params.pop("groups", None)
    codes = None
    if gmap is not None:
        codes = pd.factorize(pd.Series(units).map(dict(gmap)).fillna("__none__"))[0]
    B = impute_array(A, years, method, group_codes=codes, **params)
    log = imputation_log(A, B, units, years, list(full.columns), method)
    return pd.DataFrame(B.reshape(-1, full.shape[1]), index=full.index, columns=full.columns), log
