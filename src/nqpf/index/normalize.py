"""Normalisation: raw indicator matrix ``X`` (rows = unit-periods, columns = indicators) → ``Z``.

Directions (+1/−1) are applied here, so that larger ``Z`` is always better downstream.

========================  ==============================================================================
method                    formula (column j; pooled over all rows unless ``groups`` is given)
========================  ==============================================================================
``minmax-global``         +1: (x − min)/(max − min);  −1: (max − x)/(max − min)  — the default
``minmax-period``         the same within each period (``groups`` = periods); years become incomparable
``zscore``                +1: (x − mean)/sd;  −1: −(x − mean)/sd  (sd with ddof=1)
``ratio``                 +1: x / ref;  −1: ref / x  (ref = base-year or reference-unit value; × ``scale``)
``rank``                  +1: (rank − 1)/(n − 1) with average ranks for ties (percentile in [0, 1]); −1 reversed
``vector``                +1: x / sqrt(Σ x²);  −1: reflected within the column's range, r' = max r + min r − r
                          (keeps |r − best| distances, so TOPSIS equals the textbook cost-criterion rule)
========================  ==============================================================================

``eps`` (``minmax_eps`` in build_index, default 0) is added to the min–max denominator, (x − min)/(max − min + ε),
as some published systems do (127ww: ε = 1e-9); with ε > 0 the best value maps to slightly below 1.

A constant column (max = min, sd = 0) cannot be rescaled; it gets the value 0 (min–max, z-score, rank) and a
warning, never NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf._util import warn
from nqpf.errors import MethodError

METHODS = ("minmax-global", "minmax-period", "zscore", "ratio", "rank", "vector")


def _dirs(directions, k: int) -> np.ndarray:
    d = np.ones(k) if directions is None else np.asarray(directions, dtype=float).reshape(-1)
    if d.shape[0] != k:
        raise MethodError(f"{d.shape[0]} directions given for {k} indicators")
    if not np.all(np.isin(d, (1.0, -1.0))):
        raise MethodError("directions must be +1 or -1")
    return d


def _group_index(groups, n: int) -> tuple[np.ndarray, int]:
    if groups is None:
        return np.zeros(n, dtype=np.intp), 1
    codes, uniq = pd.factorize(np.asarray(groups), sort=True)
    if codes.shape[0] != n:
        raise MethodError(f"groups has {codes.shape[0]} entries for {n} rows")
    return codes.astype(np.intp), len(uniq)


def _group_reduce(X: np.ndarray, g: np.ndarray, ng: int, fn) -> np.ndarray:
    """Per-group column statistic (ng × k) broadcast back to rows (n × k)."""
    if ng == 1:
        return np.broadcast_to(fn(X, axis=0), X.shape)
    out = np.empty((ng, X.shape[1]))
    for gi in range(ng):  # loops over groups (periods), not units
        out[gi] = fn(X[g == gi], axis=0)
    return out[g]


def _warn_constant(const: np.ndarray, names, what: str) -> None:
    if np.any(const):
        idx = np.flatnonzero(const)
        nm = [names[i] for i in idx] if names is not None else [f"column {i}" for i in idx]
        warn(f"{what}: indicator(s) {nm} are constant (no variation); normalised to 0", stacklevel=3)


def minmax(X: np.ndarray, directions=None, groups=None, *, names=None, eps: float = 0.0) -> np.ndarray:
    """Min–max to [0, 1]; pooled over all rows, or within each group (e.g. period) when ``groups`` given;
    denominator ``max − min + eps``.

    Computed in one pass as ``(x − base)·mult`` with base = min (+1) or max (−1) and mult = ±1/(max − min).
    """
    X = np.asarray(X, dtype=float)
    d = _dirs(directions, X.shape[1])
    g, ng = _group_index(groups, X.shape[0])
    has_nan = bool(np.isnan(X).any())
    # fmin/fmax reductions skip NaN and give NaN for an all-NaN column without a warning (no catch_warnings,
    # which is not thread-safe)
    fmin, fmax = (np.fmin.reduce, np.fmax.reduce) if has_nan else (np.min, np.max)
    if ng == 1:
        lo, hi = fmin(X, axis=0), fmax(X, axis=0)
    else:
        lo = np.stack([fmin(X[g == gi], axis=0) for gi in range(ng)])  # loops over periods, not units
        hi = np.stack([fmax(X[g == gi], axis=0) for gi in range(ng)])
    if not (np.isfinite(eps) and eps >= 0):
        raise MethodError(f"min-max: eps must be a finite number ≥ 0, got {eps!r}")
    rng = hi - lo
    const = ~(rng > 0)
    scale = np.where(const, 0.0, 1.0 / np.where(const, 1.0, rng + eps))  # constant column → 0, never NaN
    base = np.where(d > 0, lo, hi)
    mult = np.where(d > 0, scale, -scale)
    Z = (X - base) * mult if ng == 1 else (X - base[g]) * mult[g]
    _warn_constant(np.atleast_2d(const).any(axis=0), names, "min-max")
    return Z


def zscore(X: np.ndarray, directions=None, groups=None, *, names=None) -> np.ndarray:
    """z-scores (sd with ddof = 1), sign flipped for −1 indicators."""
    X = np.asarray(X, dtype=float)
    d = _dirs(directions, X.shape[1])
    g, ng = _group_index(groups, X.shape[0])
    mu = _group_reduce(X, g, ng, np.nanmean)
    sd = _group_reduce(X, g, ng, lambda a, axis: np.nanstd(a, axis=axis, ddof=1))
    const = ~(sd > 0)
    Z = d * (X - mu) / np.where(const, 1.0, sd)
    Z = np.where(const & ~np.isnan(X), 0.0, Z)
    _warn_constant(const.any(axis=0), names, "z-score")
    return Z


def ratio(X: np.ndarray, directions=None, ref=None, *, scale: float = 1.0, names=None) -> np.ndarray:
    """Ratio to a reference: +1 → scale·x/ref, −1 → scale·ref/x. ``ref`` is a row (k,) or a matrix (n × k)."""
    X = np.asarray(X, dtype=float)
    d = _dirs(directions, X.shape[1])
    if ref is None:
        raise MethodError("ratio normalisation needs a reference (base_year=… or ref_unit=…)")
    R = np.broadcast_to(np.asarray(ref, dtype=float), X.shape)
    bad_ref = (R == 0) | np.isnan(R)
    bad_x = (X == 0) & (d < 0)
    if np.any(bad_ref & ~np.isnan(X)) or np.any(bad_x):
        cols = np.flatnonzero((bad_ref & ~np.isnan(X)).any(axis=0) | bad_x.any(axis=0))
        nm = [names[i] for i in cols] if names is not None else list(cols)
        raise MethodError(
            f"ratio normalisation: reference value missing or zero (or zero in a −1 indicator) for {nm}; "
            "choose another base year / reference unit or another method"
        )
    return scale * np.where(d > 0, X / R, R / X)


def rank_pct(X: np.ndarray, directions=None, groups=None, *, names=None) -> np.ndarray:
    """Percentile ranks in [0, 1]: (average rank − 1)/(n − 1); invariant to monotone transforms."""
    from scipy.stats import rankdata

    X = np.asarray(X, dtype=float)
    d = _dirs(directions, X.shape[1])
    g, ng = _group_index(groups, X.shape[0])
    Z = np.full_like(X, np.nan)
    for gi in range(ng):
        m = g == gi
        S = X[m] * d
        r = rankdata(S, axis=0, method="average", nan_policy="omit")
        cnt = np.sum(~np.isnan(S), axis=0)
        den = np.where(cnt > 1, cnt - 1, 1)
        Z[m] = (r - 1) / den
    _warn_constant((np.nanmax(X, axis=0) == np.nanmin(X, axis=0)), names, "rank")
    return Z


def vector(X: np.ndarray, directions=None, groups=None, *, names=None) -> np.ndarray:
    """Vector normalisation r = x/‖x‖₂; −1 columns reflected within their range (r' = max + min − r)."""
    X = np.asarray(X, dtype=float)
    d = _dirs(directions, X.shape[1])
    g, ng = _group_index(groups, X.shape[0])
    nrm = np.sqrt(_group_reduce(X, g, ng, lambda a, axis: np.nansum(a * a, axis=axis)))
    if np.any(nrm == 0):
        raise MethodError("vector normalisation: an indicator is all zeros; drop it or use another method")
    R = X / nrm
    lo = _group_reduce(R, g, ng, np.nanmin)
    hi = _group_reduce(R, g, ng, np.nanmax)
    return np.where(d > 0, R, hi + lo - R)


def normalize_array(
    X: np.ndarray,
    directions=None,
    method: str = "minmax-global",
    *,
    periods=None,
    units=None,
    base_year=None,
    ref_unit=None,
    scale: float = 1.0,
    names=None,
    eps: float = 0.0,
) -> np.ndarray:
    """Dispatch on ``method`` (see module table). ``periods``/``units`` label the rows (needed for
    ``minmax-period``, ``ratio``); ``eps`` is the min–max denominator constant (other methods do not use it, so a
    framework's ``minmax_eps`` does not stop an alternative normalisation, e.g. in the uncertainty analysis)."""
    if method in ("minmax", "minmax-global"):
        return minmax(X, directions, names=names, eps=eps)
    if method == "minmax-period":
        if periods is None:
            raise MethodError("minmax-period needs the period of every row")
        warn(
            "minmax-period: min-max within each period makes scores of different years incomparable "
            "(a year's best is always 1); use minmax-global to compare over time",
            stacklevel=2,
        )
        return minmax(X, directions, groups=periods, names=names, eps=eps)
    if method == "zscore":
        return zscore(X, directions, names=names)
    if method in ("rank", "percentile"):
        return rank_pct(X, directions, names=names)
    if method == "vector":
        return vector(X, directions, names=names)
    if method == "ratio":
        X = np.asarray(X, dtype=float)
        if (base_year is None) == (ref_unit is None):
            raise MethodError(
                "ratio normalisation needs exactly one of base_year=YEAR (each unit against its own "
                "value in that year) or ref_unit=UNIT (every row against that unit in the same year)"
            )
        if base_year is not None:
            if periods is None or units is None:
                raise MethodError("ratio with base_year needs units and periods of the rows")
            key = pd.Series(
                np.arange(len(units)),
                index=pd.MultiIndex.from_arrays([np.asarray(units), np.asarray(periods)]),
            )
            try:
                base_rows = key.reindex(
                    pd.MultiIndex.from_arrays([np.asarray(units), np.full(len(units), int(base_year))])
                ).to_numpy()
            except Exception as exc:  # noqa: BLE001
                raise MethodError(f"ratio: cannot align base year {base_year}: {exc}") from None
            if np.any(np.isnan(base_rows)):
                raise MethodError(f"ratio: base year {base_year} is not in the data for every unit")
            ref = X[base_rows.astype(int)]
        else:
            if units is None or periods is None:
                raise MethodError("ratio with ref_unit needs units and periods of the rows")
            u = np.asarray(units).astype(str)
            if str(ref_unit) not in set(u):
                raise MethodError(f"ratio: reference unit {ref_unit!r} is not in the data")
            p = np.asarray(periods)
            refdf = pd.DataFrame(X[u == str(ref_unit)], index=p[u == str(ref_unit)])
            ref = refdf.reindex(p).to_numpy()
        return ratio(X, directions, ref, scale=scale, names=names)
    raise MethodError(f"unknown normalisation {method!r}; choose one of {METHODS}")


def normalize_frame(wide: pd.DataFrame, directions, method: str = "minmax-global", **params) -> pd.DataFrame:
    """DataFrame wrapper: ``wide`` indexed by (unit, period), one column per indicator; ``directions`` a
    mapping or sequence aligned with the columns. Returns the normalised frame (same shape)."""
    cols = list(wide.columns)
    d = [directions[c] for c in cols] if isinstance(directions, dict) else directions
    idx = wide.index
    units = idx.get_level_values("unit") if isinstance(idx, pd.MultiIndex) else None
    periods = idx.get_level_values("period") if isinstance(idx, pd.MultiIndex) else None
    Z = normalize_array(
        wide.to_numpy(dtype=float), d, method, periods=periods, units=units, names=cols, **params
    )
    return pd.DataFrame(Z, index=idx, columns=cols)
