"""Aggregation of a node's inputs ``Z`` (rows = unit-periods, columns = the node's leaves or children, larger
is better) with weights ``w`` (renormalised to sum 1 inside the node).

``arithmetic``  ``S = Σ_j w_j z_j``.
``geometric``   ``S = Π_j z_j^{w_j}``. Zero rule (``zero_rule``): ``"shift"`` (default)
                ``S = Π_j (z_j + δ)^{w_j} − δ`` with δ = 0.01 — finite, equal to 0 when all inputs are 0 and
                to 1 when all are 1; ``"zero"`` the plain formula (any zero input → 0); ``"error"`` refuse.
                Negative inputs are refused.
``topsis``      Hwang & Yoon (1981): ``v = w·z``; ideal best/worst per column over *all* rows (pooled
                panel), Euclidean ``D⁺``, ``D⁻``; ``S = D⁻ / (D⁺ + D⁻)`` (0.5… when both are 0 → 0).
``grey``        grey relational grade (Deng 1982): reference = column best over all rows,
                ``Δ = |ref − z|``, ``ξ = (Δmin + ρΔmax)/(Δ + ρΔmax)`` with Δmin/Δmax over the whole block,
                ρ = 0.5; ``S = Σ_j w_j ξ_j``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf.errors import MethodError

METHODS = ("arithmetic", "geometric", "topsis", "grey")


def _w(w, k: int) -> np.ndarray:
    w = np.asarray(w, dtype=float).reshape(-1)
    if w.shape[0] != k:
        raise MethodError(f"{w.shape[0]} weights for {k} inputs")
    s = w.sum()
    if not s > 0:
        raise MethodError("weights inside a node sum to 0; every input has weight 0")
    return w / s


def arithmetic(Z: np.ndarray, w) -> np.ndarray:
    """Weighted arithmetic mean ``Σ w_j z_j / Σ w_j``."""
    Z = np.asarray(Z, dtype=float)
    return Z @ _w(w, Z.shape[1])


def geometric(Z: np.ndarray, w, *, zero_rule: str = "shift", delta: float = 0.01) -> np.ndarray:
    """Weighted geometric mean with the zero rule of the module docstring."""
    Z = np.asarray(Z, dtype=float)
    ww = _w(w, Z.shape[1])
    if np.nanmin(Z) < 0:
        raise MethodError(
            "geometric aggregation needs non-negative inputs; use min-max (not z-score) normalisation"
        )
    if zero_rule == "shift":
        return np.exp(np.log(Z + delta) @ ww) - delta
    has_zero = (Z[:, ww > 0] == 0).any(axis=1)
    if zero_rule == "error" and has_zero.any():
        raise MethodError(
            f"geometric aggregation: {int(has_zero.sum())} row(s) have a zero input; "
            "use zero_rule='shift' or 'zero', or another normalisation"
        )
    if zero_rule in ("zero", "error"):
        with np.errstate(divide="ignore"):
            L = np.log(np.where(Z > 0, Z, 1.0)) @ ww
        return np.where(has_zero, 0.0, np.exp(L))
    raise MethodError(f"unknown geometric zero rule {zero_rule!r}; use shift, zero or error")


def topsis(Z: np.ndarray, w, directions=None) -> np.ndarray:
    """TOPSIS closeness with ideal points pooled over all rows. ``directions`` (+1/−1) choose max/min as the
    ideal for each column (all +1 when ``Z`` already has directions applied)."""
    Z = np.asarray(Z, dtype=float)
    V = Z * _w(w, Z.shape[1])
    d = np.ones(Z.shape[1]) if directions is None else np.asarray(directions, dtype=float)
    vmax, vmin = V.max(axis=0), V.min(axis=0)
    best = np.where(d > 0, vmax, vmin)
    worst = np.where(d > 0, vmin, vmax)
    dp = np.sqrt(((V - best) ** 2).sum(axis=1))
    dm = np.sqrt(((V - worst) ** 2).sum(axis=1))
    den = dp + dm
    return np.divide(dm, den, out=np.zeros_like(dm), where=den > 0)


def grey(Z: np.ndarray, w, *, rho: float = 0.5, reference=None) -> np.ndarray:
    """Grey relational grade against the pooled column best (or a given ``reference`` row)."""
    Z = np.asarray(Z, dtype=float)
    ww = _w(w, Z.shape[1])
    ref = Z.max(axis=0) if reference is None else np.asarray(reference, dtype=float)
    D = np.abs(ref - Z)
    dmin, dmax = D.min(), D.max()
    if dmax == 0:
        return np.ones(Z.shape[0])
    xi = (dmin + rho * dmax) / (D + rho * dmax)
    return xi @ ww


def aggregate_array(Z: np.ndarray, w, method: str = "arithmetic", **params) -> np.ndarray:
    """Dispatch on ``method`` (one of :data:`METHODS`)."""
    if method == "arithmetic":
        return arithmetic(Z, w)
    if method == "geometric":
        return geometric(Z, w, zero_rule=params.get("zero_rule", "shift"), delta=params.get("delta", 0.01))
    if method == "topsis":
        return topsis(Z, w)
    if method == "grey":
        return grey(Z, w, rho=params.get("rho", 0.5))
    raise MethodError(f"unknown aggregation {method!r}; choose one of {METHODS}")


def aggregate_frame(Z: pd.DataFrame, weights, method: str = "arithmetic", **params) -> pd.Series:
    """DataFrame wrapper: aggregate the columns of ``Z`` with ``weights`` (mapping or sequence aligned with the
    columns) into one score per row."""
    w = [weights[c] for c in Z.columns] if hasattr(weights, "keys") else weights
    return pd.Series(
        aggregate_array(Z.to_numpy(dtype=float), w, method, **params), index=Z.index, name="score"
    )
