"""Outlier treatment of raw indicator columns (pooled over all unit-periods).

``none``        no change.
``winsorize``   clip each column to its ``[q_low, q_high]`` quantiles (default 0.01, 0.99; linear quantiles).
``skewkurt``    COINr's two-stage rule (Becker et al., COINr ``Treat()``): a column fails when
                |skew| ≥ 2 **and** kurtosis ≥ 3.5 (sample skewness and excess kurtosis, bias-corrected); a failing
                column is winsorised one point at a time on the side of its skew (at most ``winmax`` = 5 points,
                each clipped to the next value inward) until it passes; if still failing, the *original* column
                is log-transformed ``ln(x − min + 0.01·(max − min))`` (COINr ``log_CT``).
``log``         ``ln(x − min + 0.01·(max − min))`` for every column (or the ``columns`` given).

Returns the treated matrix and a list of per-column records (what was done, how many points).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf.errors import MethodError

METHODS = ("none", "winsorize", "skewkurt", "log")


def skew_kurt(x: np.ndarray) -> tuple[float, float]:
    """Bias-corrected sample skewness G1 and excess kurtosis G2 (as ``scipy.stats.skew/kurtosis(bias=False)``):
    G1 = g1·√(n(n−1))/(n−2), G2 = ((n+1)·g2 + 6)·(n−1)/((n−2)(n−3)), g1 = m3/m2^1.5, g2 = m4/m2² − 3."""
    x = x[~np.isnan(x)]
    n = x.size
    if n < 4 or np.ptp(x) == 0:
        return 0.0, 0.0
    d = x - x.mean()
    d2 = d * d
    m2, m3, m4 = d2.mean(), (d2 * d).mean(), (d2 * d2).mean()
    g1, g2 = m3 / m2**1.5, m4 / m2**2 - 3.0
    G1 = g1 * np.sqrt(n * (n - 1)) / (n - 2)
    G2 = ((n + 1) * g2 + 6.0) * (n - 1) / ((n - 2) * (n - 3))
    return float(G1), float(G2)


def fails_skewkurt(x: np.ndarray, skew_max: float = 2.0, kurt_max: float = 3.5) -> bool:
    s, k = skew_kurt(x)
    return abs(s) >= skew_max and k >= kurt_max


def log_ct(x: np.ndarray) -> np.ndarray:
    """COINr ``log_CT``: ln(x − min + 0.01·range)."""
    lo, hi = np.nanmin(x), np.nanmax(x)
    rng = hi - lo
    if rng == 0:
        return np.zeros_like(x)
    return np.log(x - lo + 0.01 * rng)


def winsorize(X: np.ndarray, q_low: float = 0.01, q_high: float = 0.99) -> tuple[np.ndarray, np.ndarray]:
    """Clip columns to quantiles; returns (treated, points clipped per column)."""
    X = np.asarray(X, dtype=float)
    if not 0 <= q_low < q_high <= 1:
        raise MethodError(f"winsorize quantiles must satisfy 0 ≤ q_low < q_high ≤ 1, got {q_low}, {q_high}")
    lo = np.nanquantile(X, q_low, axis=0)
    hi = np.nanquantile(X, q_high, axis=0)
    Y = np.clip(X, lo, hi)
    changed = ((Y != X) & ~np.isnan(X)).sum(axis=0)
    return Y, changed


def treat_skewkurt(
    x: np.ndarray, *, winmax: int = 5, skew_max: float = 2.0, kurt_max: float = 3.5
) -> tuple[np.ndarray, dict]:
    """COINr-style treatment of one column (see module docstring)."""
    x = np.asarray(x, dtype=float)
    s0, k0 = skew_kurt(x)
    rec = {"skew": s0, "kurtosis": k0, "action": "none", "points": 0}
    if not (abs(s0) >= skew_max and k0 >= kurt_max):
        return x, rec
    y = x.copy()
    for i in range(1, winmax + 1):
        s, _ = skew_kurt(y)
        obs = ~np.isnan(y)
        if s >= 0:
            top = np.nanmax(y)
            rest = y[obs & (y < top)]
            y[y == top] = rest.max() if rest.size else top
        else:
            bot = np.nanmin(y)
            rest = y[obs & (y > bot)]
            y[y == bot] = rest.min() if rest.size else bot
        if not fails_skewkurt(y, skew_max, kurt_max):
            rec.update(action="winsorised", points=i)
            return y, rec
    rec.update(action="log_CT", points=0)
    return log_ct(x), rec


def treat_array(
    X: np.ndarray,
    method: str = "none",
    *,
    names=None,
    q_low: float = 0.01,
    q_high: float = 0.99,
    winmax: int = 5,
    columns=None,
) -> tuple[np.ndarray, list[dict]]:
    """Dispatch; ``columns`` (names) restricts treatment to those indicators."""
    X = np.asarray(X, dtype=float)
    names = list(names) if names is not None else [str(j) for j in range(X.shape[1])]
    sel = np.ones(X.shape[1], bool) if columns is None else np.isin(names, list(columns))
    log: list[dict] = []
    if method == "none":
        return X, log
    Y = X.copy()
    if method == "winsorize":
        W, changed = winsorize(X[:, sel], q_low, q_high)
        Y[:, sel] = W
        for j, c in zip(np.flatnonzero(sel), changed, strict=True):
            log.append(
                {
                    "indicator": names[j],
                    "action": f"winsorised to [{q_low}, {q_high}] quantiles",
                    "points": int(c),
                }
            )
        return Y, log
    if method == "skewkurt":
        for j in np.flatnonzero(sel):
            Y[:, j], rec = treat_skewkurt(X[:, j], winmax=winmax)
            log.append({"indicator": names[j], **rec})
        return Y, log
    if method == "log":
        for j in np.flatnonzero(sel):
            Y[:, j] = log_ct(X[:, j])
            log.append({"indicator": names[j], "action": "log_CT", "points": int((~np.isnan(X[:, j])).sum())})
        return Y, log
    raise MethodError(f"unknown outlier treatment {method!r}; choose one of {METHODS}")


def treat_frame(wide: pd.DataFrame, method: str = "none", **params) -> tuple[pd.DataFrame, list[dict]]:
    """DataFrame wrapper of :func:`treat_array`: columns = indicators; returns (treated frame, records)."""
    Y, log = treat_array(wide.to_numpy(dtype=float), method, names=[str(c) for c in wide.columns], **params)
    return pd.DataFrame(Y, index=wide.index, columns=wide.columns), log
