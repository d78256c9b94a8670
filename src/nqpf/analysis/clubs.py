"""Club convergence: Phillips & Sul (2007, *Econometrica* 75(6)) log t test and their clustering algorithm,
with club merging (Phillips & Sul 2009, *J. Applied Econometrics* 24(7)).

Relative transition h_it = X_it / mean_i X_it of the (HP-filtered, λ = 400 default) log series X;
H_t = mean_i (h_it − 1)²; regression log(H_1/H_t) − 2 log(log t) = a + b log t + u over t = ⌊rT⌋+1 … T
(r = 0.3), HAC (Bartlett, Newey–West lag rule) s.e.; convergence is rejected when t_b < −1.65.
(:mod:`nqpf.analysis.convergence` re-exports :func:`clubs` and :func:`log_t`.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf import _util
from nqpf.analysis._common import log_panel, manifest, numeric_column, require_columns
from nqpf.errors import DataError, MethodError

__all__ = ["clubs", "log_t"]


def _nw_lag(n: int) -> int:
    return int(np.floor(4 * (n / 100) ** (2 / 9)))


def log_t(X: np.ndarray, *, r: float = 0.3) -> dict:
    """Phillips–Sul log t regression on a (units × periods) array X (already filtered). Returns
    ``b, se, t, n_obs`` (b = 2α; convergence is rejected at 5 % when t < −1.65)."""
    import statsmodels.api as sm

    X = np.asarray(X, dtype="float64")
    N, T = X.shape
    if N < 2:
        raise MethodError("log t test: needs at least two units")
    mean = X.mean(axis=0)
    if (mean == 0).any():
        raise MethodError("log t test: cross-section mean is zero in some period; use a positive variable")
    h = X / mean
    H = ((h - 1) ** 2).mean(axis=0)
    start = max(int(np.floor(r * T)) + 1, 2)  # 1-based first t kept
    t = np.arange(start, T + 1, dtype="float64")
    if len(t) < 3:
        raise MethodError(f"log t test: too few periods (T = {T}) after discarding the first {start - 1}")
    if (H <= 0).any():
        return {"b": np.inf, "se": 0.0, "t": np.inf, "n_obs": len(t)}  # identical transitions: converged
    yv = np.log(H[0] / H[start - 1 :]) - 2 * np.log(np.log(t))
    fit = sm.OLS(yv, sm.add_constant(np.log(t))).fit(cov_type="HAC", cov_kwds={"maxlags": _nw_lag(len(t))})
    return {"b": float(fit.params[1]), "se": float(fit.bse[1]), "t": float(fit.tvalues[1]), "n_obs": len(t)}


def _hp(ly: np.ndarray, lam: float | None) -> np.ndarray:
    if lam is None:
        return ly
    from statsmodels.tsa.filters.hp_filter import hpfilter

    return np.vstack([hpfilter(row, lamb=lam)[1] for row in ly])


def _find_clubs(X, idx, crit, r, c_star):
    """PS (2007) steps 2–4 on units ``idx`` (ordered by final value, descending). Returns list of clubs
    and the divergent remainder."""
    clubs = []
    rem = list(idx)
    while len(rem) >= 2:
        if log_t(X[rem], r=r)["t"] > crit:
            clubs.append(rem)
            return clubs, []
        # step 2: core group
        start = None
        for i in range(len(rem) - 1):
            if log_t(X[rem[i : i + 2]], r=r)["t"] > crit:
                start = i
                break
        if start is None:
            return clubs, rem
        best_k, best_t = 2, log_t(X[rem[start : start + 2]], r=r)["t"]
        for k in range(3, len(rem) - start + 1):
            tk = log_t(X[rem[start : start + k]], r=r)["t"]
            if tk <= crit:
                break
            if tk > best_t:
                best_k, best_t = k, tk
        core = rem[start : start + best_k]
        others = [u for u in rem if u not in core]
        # step 3: sieve with c*, raised until the club passes
        c = c_star
        while True:
            add = [u for u in others if log_t(X[[*core, u]], r=r)["t"] > c]
            club = [u for u in rem if u in core or u in add]
            if not add or log_t(X[club], r=r)["t"] > crit:
                break
            c += 0.5
        clubs.append(club)
        rem = [u for u in rem if u not in club]
    return clubs, rem


def clubs(
    df,
    value,
    unit="unit",
    period="period",
    *,
    log: bool = True,
    hp_lambda: float | None = 400.0,
    r: float = 0.3,
    crit: float = -1.65,
    c_star: float = 0.0,
    merge: bool = True,
) -> pd.DataFrame:
    """Phillips–Sul club convergence. Returns ``unit, club (1 = highest; 0 = divergent), final_value``;
    the full-sample log t test, each club's test and merge steps are in ``attrs['tests']``."""
    x = log_panel(df, value, unit, period) if log else None
    if x is None:
        require_columns(df, [value, unit, period], what="clubs input")
        v = numeric_column(df, value, id_cols=[unit, period], what="clubs input")
        x = pd.DataFrame({"u": df[unit].astype(str).to_numpy(), "t": df[period].to_numpy(), "ly": v})
    wide = x.pivot(index="u", columns="t", values="ly").sort_index(axis=1)
    if wide.isna().any().any():
        raise DataError("clubs: the panel is unbalanced; the log t test needs every unit in every period")
    N, T = wide.shape
    if N < 3 or T < 5:
        raise MethodError(f"clubs: needs ≥ 3 units and ≥ 5 periods (got {N} × {T})")
    with _util.ignore_warnings():
        X = _hp(wide.to_numpy(), hp_lambda)
    if (X <= 0).any():
        bad = sorted({wide.index[i] for i in np.nonzero(X <= 0)[0]})[:10]
        raise MethodError(
            f"clubs: the relative transition X_it / mean_i X_it needs positive X; non-positive (log) values for "
            f"units {bad}. Values near or below 1 have logs ≤ 0: pass log=False to use levels, or rescale"
        )
    units = list(wide.index)
    order = list(np.argsort(-X[:, -1], kind="mergesort"))
    tests = {"full": log_t(X, r=r)}
    found, divergent = _find_clubs(X, order, crit, r, c_star)
    tests["initial_clubs"] = [[units[i] for i in c] for c in found]
    if merge and len(found) > 1:
        merged = [found[0]]
        steps = []
        for c in found[1:]:
            tt = log_t(X[merged[-1] + c], r=r)["t"]
            steps.append(tt)
            if tt > crit:
                merged[-1] = merged[-1] + c
            else:
                merged.append(c)
        found = merged
        tests["merge_t"] = steps
    tests["clubs"] = [log_t(X[c], r=r) if len(c) > 1 else None for c in found]
    lab = {units[i]: k + 1 for k, c in enumerate(found) for i in c}
    out = pd.DataFrame({"unit": units, "club": [lab.get(u, 0) for u in units], "final_value": X[:, -1]})
    div = out["club"] == 0  # clubs 1, 2, … (highest first), divergent units (club 0) last
    out = (
        out.assign(_d=div)
        .sort_values(["_d", "club", "final_value"], ascending=[True, True, False])
        .drop(columns="_d")
        .reset_index(drop=True)
    )
    out.attrs["tests"] = tests
    out.attrs["manifest"] = manifest(
        "phillips_sul", log=log, hp_lambda=hp_lambda, r=r, crit=crit, c_star=c_star, merge=merge
    )
    return out
