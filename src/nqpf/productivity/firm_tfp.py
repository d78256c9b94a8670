"""Firm-level TFP from a Cobb–Douglas value-added production function.

    y_it = β_0 + β_l l_it + β_k k_it + ω_it + ε_it      (logs; ω productivity known to the firm, ε noise)

Methods:

* ``ols``: pooled OLS (biased when inputs respond to ω: β_l typically upward; Marschak & Andrews 1944).
* ``fe``: within (fixed-effects) estimator — removes time-invariant ω only.
* ``op``: Olley & Pakes (1996): investment i = i(ω, k) inverted; stage 1 y = β_l l + φ(k, i) + ε (φ a
  polynomial); stage 2 with ω_t = g(ω_{t−1}) + ξ_t: β_k minimises Σ (y_t − β_l l_t − β_k k_t −
  ĝ(φ̂_{t−1} − β_k k_{t−1}))², ĝ a polynomial fitted by OLS. The exit (selection) correction is not applied.
* ``lp``: Levinsohn & Petrin (2003): as ``op`` with intermediate inputs m as the proxy.
* ``acf``: Ackerberg, Caves & Frazer (2015): stage 1 y = Φ(l, k, m) + ε; stage 2 GMM on
  ξ_t(β) = ω_t(β) − ĝ(ω_{t−1}(β)), ω_t(β) = Φ̂_t − β_l l_t − β_k k_t, moments E[ξ_t k_t] = E[ξ_t l_{t−1}] = 0.

The proxy enters in logs. Polynomials are full (all monomials up to ``degree``, default 3) of standardised
variables. ``ln_tfp`` = y − β_l l − β_k k (includes β_0 and ε). Bootstrap standard errors resample firms
(clusters) with replacement, with a seed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from nqpf._util import package_versions
from nqpf.data.parse import period_column
from nqpf.errors import DataError, MethodError

METHODS = ("ols", "fe", "op", "lp", "acf")


@dataclass
class FirmTFPResult:
    """``params``: name, estimate, std_error (bootstrap, NaN if not requested; OLS/FE analytic);
    ``tfp``: unit, period, ln_tfp; ``manifest``."""

    params: pd.DataFrame
    tfp: pd.DataFrame
    manifest: dict = field(default_factory=dict)


def _poly(cols: list[np.ndarray], degree: int) -> np.ndarray:
    Z = [(c - c.mean()) / (c.std() if c.std() > 0 else 1.0) for c in cols]
    feats = [np.ones(len(Z[0]))]
    for d in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(len(Z)), d):
            f = np.ones(len(Z[0]))
            for j in combo:
                f = f * Z[j]
            feats.append(f)
    return np.column_stack(feats)


def _resid(Y: np.ndarray, X: np.ndarray) -> np.ndarray:
    b, *_ = np.linalg.lstsq(X, Y, rcond=None)
    return Y - X @ b


def _lag_index(unit: np.ndarray, period: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (cur, prev) of consecutive-year pairs within a unit (data sorted by unit, period)."""
    same = (unit[1:] == unit[:-1]) & (period[1:] - period[:-1] == 1)
    cur = np.nonzero(same)[0] + 1
    return cur, cur - 1


def _estimate(y, lab, k, proxy, unit, period, method, degree):
    n = len(y)
    if method == "ols":
        X = np.column_stack([np.ones(n), lab, k])
        b, *_ = np.linalg.lstsq(X, y, rcond=None)
        return {"beta_l": b[1], "beta_k": b[2], "const": b[0]}
    if method == "fe":
        df = pd.DataFrame({"u": unit, "y": y, "l": lab, "k": k})
        dm = df[["y", "l", "k"]] - df.groupby("u")[["y", "l", "k"]].transform("mean")
        b, *_ = np.linalg.lstsq(dm[["l", "k"]].to_numpy(), dm["y"].to_numpy(), rcond=None)
        return {"beta_l": b[0], "beta_k": b[1], "const": float(np.mean(y - b[0] * lab - b[1] * k))}
    cur, prev = _lag_index(unit, period)
    if len(cur) < 10:
        raise MethodError(
            f"firm TFP ({method}): only {len(cur)} consecutive-year pairs; the method needs panels "
            "with at least two consecutive years per firm"
        )
    if method in ("op", "lp"):
        P = _poly([k, proxy], degree)
        X1 = np.column_stack([lab, P])
        b1, *_ = np.linalg.lstsq(X1, y, rcond=None)
        beta_l = b1[0]
        phi = P @ b1[1:]
        yl = y - beta_l * lab

        def ssr(bk: float) -> float:
            w_prev = phi[prev] - bk * k[prev]
            G = _poly([w_prev], degree)
            r = _resid(yl[cur] - bk * k[cur], G)
            return float(r @ r)

        grid = np.linspace(-0.5, 1.5, 81)
        vals = [ssr(g) for g in grid]
        g0 = grid[int(np.argmin(vals))]
        res = optimize.minimize_scalar(
            ssr, bounds=(g0 - 0.05, g0 + 0.05), method="bounded", options={"xatol": 1e-8}
        )
        return {"beta_l": beta_l, "beta_k": float(res.x)}
    # acf
    P = _poly([lab, k, proxy], degree)
    b1, *_ = np.linalg.lstsq(P, y, rcond=None)
    Phi = P @ b1
    inst = np.column_stack([k[cur], lab[prev]])

    def moments(beta: np.ndarray) -> np.ndarray:
        w = Phi - beta[0] * lab - beta[1] * k
        xi = _resid(w[cur], _poly([w[prev]], degree))
        return inst.T @ xi / len(cur)

    def obj(beta: np.ndarray) -> float:
        m = moments(beta)
        return float(m @ m) * 1e4

    X = np.column_stack([np.ones(n), lab, k])
    b0, *_ = np.linalg.lstsq(X, y, rcond=None)
    # Start at OLS, as ACF (2015) and common implementations do: the just-identified moments can have more
    # than one root (e.g. any shock in labour that the proxy does not see), and the root
    # reached from OLS is the conventional one.
    best = optimize.minimize(
        obj, b0[1:], method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-14, "maxiter": 4000}
    )
    return {"beta_l": float(best.x[0]), "beta_k": float(best.x[1]), "gmm_objective": float(best.fun / 1e4)}


def _check_settings(method: str, proxy: str | None, bootstrap: int, seed: int | None) -> None:
    """Refuse an unknown method, a proxy method without proxy, a bootstrap without seed."""
    if method not in METHODS:
        raise MethodError(f"firm TFP: method {method!r} unknown; use one of {METHODS}")
    if method in ("op", "lp", "acf") and not proxy:
        what = "investment" if method == "op" else "intermediate inputs (materials)"
        raise MethodError(f"firm TFP: method {method} needs a proxy column ({what}); pass proxy=… / --proxy")
    if bootstrap and seed is None:
        raise MethodError("firm TFP: bootstrap needs a seed for reproducibility")


def _validated(data: pd.DataFrame, unit: str, period: str, cols: list[str], log: bool) -> pd.DataFrame:
    """``unit, period, cols`` sorted by unit and period; refuses missing, non-numeric or (``log``)
    non-positive values and repeated unit/period rows, naming the unit and period."""
    missing = [c for c in [unit, period, *cols] if c not in data.columns]
    if missing:
        raise DataError(f"firm TFP: column(s) {missing} not found; columns are {list(data.columns)}")
    df = data[[unit, period, *cols]].copy()
    df[period] = period_column(df[period], column=period, context="firm TFP", units=df[unit])
    for c in cols:
        df[c] = pd.to_numeric(df[c], errors="coerce")
        bad = df[df[c].isna() | ((df[c] <= 0) if log else False)]
        if len(bad):
            r = bad.iloc[0]
            raise DataError(
                f"firm TFP: unit {r[unit]!r}, period {r[period]}: {c} = {r[c]!r} is missing or not positive "
                f"({len(bad)} such row(s)); logs are taken — drop those rows (e.g. zero investment for OP) "
                "or use another proxy"
            )
    if df.duplicated([unit, period]).any():
        d = df[df.duplicated([unit, period], keep=False)].iloc[0]
        raise DataError(f"firm TFP: unit {d[unit]!r} has more than one row for period {d[period]}")
    return df.sort_values([unit, period]).reset_index(drop=True)


def _ols_se(y: np.ndarray, lab: np.ndarray, k: np.ndarray, est: dict) -> dict[str, float]:
    """Analytic OLS standard errors of β_l, β_k: √diag(s² (X'X)⁻¹), s² = e'e/(n − 3)."""
    X = np.column_stack([np.ones(len(y)), lab, k])
    r = y - X @ np.array([est["const"], est["beta_l"], est["beta_k"]])
    cov = (r @ r / (len(y) - 3)) * np.linalg.inv(X.T @ X)
    return {"beta_l": float(np.sqrt(cov[1, 1])), "beta_k": float(np.sqrt(cov[2, 2]))}


def _bootstrap_se(
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray],
    method: str,
    degree: int,
    bootstrap: int,
    seed: int,
) -> dict[str, float]:
    """Cluster bootstrap: ``bootstrap`` resamples of whole firms with replacement (local generator seeded
    with ``seed``); the standard deviation (ddof 1) of the re-estimated β_l, β_k. ``arrays`` = (y, l, k,
    proxy, unit codes sorted, period)."""
    y, lab, k, px, u, per = arrays
    rng = np.random.default_rng(seed)
    uniq = np.unique(u)
    starts = np.searchsorted(u, uniq)
    ends = np.r_[starts[1:], len(u)]
    draws = []
    for _ in range(bootstrap):
        pick = rng.choice(len(uniq), len(uniq), replace=True)
        idx = np.concatenate([np.arange(starts[p], ends[p]) for p in pick])
        new_u = np.concatenate([np.full(ends[p] - starts[p], j) for j, p in enumerate(pick)])
        e = _estimate(
            y[idx], lab[idx], k[idx], px[idx] if px is not None else None, new_u, per[idx], method, degree
        )
        draws.append((e["beta_l"], e["beta_k"]))
    arr = np.array(draws)
    return {"beta_l": float(arr[:, 0].std(ddof=1)), "beta_k": float(arr[:, 1].std(ddof=1))}


def firm_tfp(
    data: pd.DataFrame,
    *,
    output: str,
    capital: str,
    labour: str,
    unit: str,
    period: str,
    method: str = "acf",
    proxy: str | None = None,
    degree: int = 3,
    log: bool = True,
    bootstrap: int = 0,
    seed: int | None = None,
) -> FirmTFPResult:
    """Estimate β_l, β_k and firm TFP (see the module docstring). ``proxy``: investment for ``op``,
    intermediate inputs for ``lp``/``acf``. ``log``: take logs of output, inputs and proxy (must be > 0)."""
    _check_settings(method, proxy, bootstrap, seed)
    cols = [output, capital, labour, *([proxy] if proxy else [])]
    df = _validated(data, unit, period, cols, log)
    f = np.log if log else (lambda x: x)
    y, k, lab = (f(df[c].to_numpy(float)) for c in (output, capital, labour))
    px = f(df[proxy].to_numpy(float)) if proxy else None
    u = pd.factorize(df[unit])[0]
    per = df[period].to_numpy()
    est = _estimate(y, lab, k, px, u, per, method, degree)
    se = {"beta_l": np.nan, "beta_k": np.nan}
    if method == "ols":
        se = _ols_se(y, lab, k, est)
    if bootstrap:
        se = _bootstrap_se((y, lab, k, px, u, per), method, degree, bootstrap, seed)
    params = pd.DataFrame(
        {
            "name": ["beta_l", "beta_k"],
            "estimate": [est["beta_l"], est["beta_k"]],
            "std_error": [se["beta_l"], se["beta_k"]],
        }
    )
    tfp = pd.DataFrame(
        {
            "unit": df[unit].astype(str),
            "period": df[period],
            "ln_tfp": y - est["beta_l"] * lab - est["beta_k"] * k,
        }
    )
    manifest = {
        "method": method,
        "output": output,
        "capital": capital,
        "labour": labour,
        "proxy": proxy,
        "degree": degree,
        "log": log,
        "bootstrap": bootstrap,
        "seed": seed,
        "n_obs": len(df),
        "n_units": int(df[unit].nunique()),
        "form": "Cobb-Douglas value added",
        "selection_correction": "none (OP exit correction not applied)",
        "extra": {k_: v for k_, v in est.items() if k_ not in ("beta_l", "beta_k")},
        "versions": package_versions(),
    }
    return FirmTFPResult(params=params, tfp=tfp, manifest=manifest)
