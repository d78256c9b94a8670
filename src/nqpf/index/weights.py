"""Weights of indicators (columns of a normalised matrix ``Z``, rows = unit-periods).

Objective (from the data; all pooled over every unit-period):

* entropy (Shannon; e.g. Zou, Yun & Sun 2006): ``p_ij = z_ij / Σ_i z_ij``,
  ``e_j = −Σ_i p_ij ln p_ij / ln n`` with ``0·ln 0 = 0``, ``w_j = (1 − e_j) / Σ_k (1 − e_k)``.
  Optional ``shift`` δ ≥ 0 uses ``z + δ`` (the SPSSAU-style fix for zeros; off by default because
  ``0·ln 0 = 0`` already handles zeros). A constant column has ``e_j = 1`` → weight 0 and a warning.
* CRITIC (Diakoulaki, Mavrotas & Papayannakis 1995): ``C_j = σ_j Σ_k (1 − r_jk)``, ``w_j = C_j / Σ C``
  (σ with ddof = 1; Pearson r; a constant column has σ = 0 → weight 0, its correlations are taken as 0).
* CV: ``w_j ∝ σ_j / |mean_j|``.
* PCA (OECD/JRC Handbook 2008, step 6, without rotation): eigen-decomposition of the correlation matrix,
  components with eigenvalue > 1 retained (at least one), ``w_j ∝ Σ_k λ_k u_jk²``.

Subjective: equal, fixed (from the framework) and AHP (Saaty 1980): principal eigenvector of a positive
reciprocal matrix, ``CI = (λ_max − n)/(n − 1)``, ``CR = CI / RI(n)``; ``CR > 0.1`` is refused unless forced.
Combination: ``linear`` ``α·w_s + (1 − α)·w_o`` or ``multiplicative`` ``w_s·w_o / Σ w_s·w_o``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf._util import warn
from nqpf.errors import MethodError

OBJECTIVE = ("entropy", "critic", "cv", "pca")
SUBJECTIVE = ("equal", "fixed", "ahp")

# Saaty's random consistency index RI(n), n = 1..10: Saaty, T.L. (1980) The Analytic Hierarchy Process,
# McGraw-Hill, Table 1.7 (0, 0, .58, .90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49).
SAATY_RI = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}


def _names(names, k):
    return list(names) if names is not None else [f"column {i}" for i in range(k)]


def _normalise(c: np.ndarray, what: str) -> np.ndarray:
    s = c.sum()
    if not np.isfinite(s) or s <= 0:
        raise MethodError(
            f"{what}: all indicators have zero weight (no variation in the data); "
            "check the data or use equal or fixed weights"
        )
    return c / s


def _check(Z: np.ndarray, what: str, names) -> np.ndarray:
    Z = np.asarray(Z, dtype=float)
    if Z.ndim != 2:
        raise MethodError(f"{what}: expected a 2-D matrix (rows × indicators)")
    if np.isnan(Z).any():
        cols = [_names(names, Z.shape[1])[j] for j in np.flatnonzero(np.isnan(Z).any(axis=0))]
        raise MethodError(f"{what}: missing values in {cols}; impute them first (impute=…)")
    if Z.shape[0] < 2:
        raise MethodError(f"{what}: needs at least two rows")
    return Z


def entropy_weights(Z: np.ndarray, *, shift: float = 0.0, names=None) -> np.ndarray:
    """Entropy weights (module docstring); ``Z`` ≥ 0 (e.g. min–max normalised).

    Examples
    --------
    Hand computation: z1 = (0, 1, 1) gives p = (0, ½, ½) and e1 = ln 2 / ln 3 (0·ln 0 = 0); z2 = (½, ½, 1)
    gives p = (¼, ¼, ½) and e2 = 1.5 ln 2 / ln 3; w1 = (1 − e1) / ((1 − e1) + (1 − e2)) = 0.873176…

    >>> import numpy as np
    >>> entropy_weights(np.array([[0, 0.5], [1, 0.5], [1, 1.0]])).round(6)
    array([0.873176, 0.126824])
    """
    Z = _check(Z, "entropy weights", names)
    if shift:
        if shift < 0:
            raise MethodError("entropy shift must be ≥ 0")
        Z = Z + shift
    if (Z < 0).any():
        bad = [_names(names, Z.shape[1])[j] for j in np.flatnonzero((Z < 0).any(axis=0))]
        raise MethodError(
            f"entropy weights need non-negative values; {bad} have negatives "
            "(use minmax normalisation or an entropy shift)"
        )
    n = Z.shape[0]
    colsum = Z.sum(axis=0)
    zero_col = colsum == 0
    P = Z / np.where(zero_col, 1.0, colsum)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(P > 0, P * np.log(np.where(P > 0, P, 1.0)), 0.0)  # 0·ln 0 = 0
    e = -plogp.sum(axis=0) / np.log(n)
    e = np.where(zero_col, 1.0, e)  # an all-zero column carries no information
    d = np.clip(1.0 - e, 0.0, None)
    d = np.where(d < 1e-12, 0.0, d)
    if np.any(d == 0):
        nm = [_names(names, Z.shape[1])[j] for j in np.flatnonzero(d == 0)]
        warn(
            f"entropy weights: indicator(s) {nm} have no variation (entropy 1) and get weight 0", stacklevel=2
        )
    return _normalise(d, "entropy weights")


def _corr(Z: np.ndarray) -> np.ndarray:
    sd = Z.std(axis=0, ddof=1)
    const = ~(sd > 0)
    C = Z - Z.mean(axis=0)
    Cs = C / np.where(const, 1.0, sd)
    R = (Cs.T @ Cs) / (Z.shape[0] - 1)
    R[const, :] = 0.0
    R[:, const] = 0.0
    np.fill_diagonal(R, 1.0)
    return np.clip(R, -1.0, 1.0)


def critic_weights(Z: np.ndarray, *, names=None) -> np.ndarray:
    """CRITIC weights (Diakoulaki et al. 1995): ``w_j ∝ σ_j Σ_k (1 − r_jk)``."""
    Z = _check(Z, "CRITIC weights", names)
    sd = Z.std(axis=0, ddof=1)
    R = _corr(Z)
    C = sd * (1.0 - R).sum(axis=0)
    if np.any(~(sd > 0)):
        nm = [_names(names, Z.shape[1])[j] for j in np.flatnonzero(~(sd > 0))]
        warn(f"CRITIC weights: indicator(s) {nm} are constant and get weight 0", stacklevel=2)
    return _normalise(C, "CRITIC weights")


def cv_weights(Z: np.ndarray, *, names=None) -> np.ndarray:
    """Coefficient-of-variation weights ``w_j ∝ σ_j / |mean_j|`` (σ with ddof = 1)."""
    Z = _check(Z, "CV weights", names)
    mu = Z.mean(axis=0)
    sd = Z.std(axis=0, ddof=1)
    if np.any(mu == 0):
        nm = [_names(names, Z.shape[1])[j] for j in np.flatnonzero(mu == 0)]
        raise MethodError(
            f"CV weights: indicator(s) {nm} have mean 0; CV is undefined — use min-max normalisation"
        )
    cv = sd / np.abs(mu)
    if np.any(sd == 0):
        nm = [_names(names, Z.shape[1])[j] for j in np.flatnonzero(sd == 0)]
        warn(f"CV weights: indicator(s) {nm} are constant and get weight 0", stacklevel=2)
    return _normalise(cv, "CV weights")


def pca_weights(Z: np.ndarray, *, names=None, min_eigenvalue: float = 1.0) -> np.ndarray:
    """PCA weights ``w_j ∝ Σ_k λ_k u_jk²`` over components with λ_k > ``min_eigenvalue`` (≥ 1 kept)."""
    Z = _check(Z, "PCA weights", names)
    R = _corr(Z)
    lam, U = np.linalg.eigh(R)
    order = np.argsort(lam)[::-1]
    lam, U = lam[order], U[:, order]
    keep = lam > min_eigenvalue
    keep[0] = True
    w = (U[:, keep] ** 2) @ lam[keep]
    return _normalise(w, "PCA weights")


def equal_weights(k: int) -> np.ndarray:
    return np.full(k, 1.0 / k)


def ahp_weights(A, *, max_cr: float = 0.1, force: bool = False, node: str = "?") -> tuple[np.ndarray, dict]:
    """AHP priority vector (principal right eigenvector, sum 1) and ``{lambda_max, ci, ri, cr}``.

    Raises :class:`MethodError` with the CR when CR > ``max_cr`` unless ``force``; checks reciprocity.
    CI = (λmax − n)/(n − 1), CR = CI / RI(n) with Saaty's random index (:data:`SAATY_RI`).

    Examples
    --------
    Saaty's identity: a consistent matrix a_ij = w_i / w_j returns w with λmax = n and CR = 0.

    >>> import numpy as np
    >>> w = np.array([0.5, 0.25, 0.15, 0.1])
    >>> got, info = ahp_weights(w[:, None] / w[None, :])
    >>> got.round(12).tolist(), round(info["lambda_max"], 10), abs(round(info["cr"], 10))
    ([0.5, 0.25, 0.15, 0.1], 4.0, 0.0)

    The common textbook matrix [[1, 3, 5], [1/3, 1, 3], [1/5, 1/3, 1]] (checked in the tests against power
    iteration): priorities ≈ (0.637, 0.258, 0.105), λmax ≈ 3.0385, CR ≈ 0.033 < 0.1.

    >>> got, info = ahp_weights([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    >>> got.round(4).tolist(), round(info["lambda_max"], 4), round(info["cr"], 3)
    ([0.637, 0.2583, 0.1047], 3.0385, 0.033)
    """
    A = np.asarray(A, dtype=float)
    n = A.shape[0]
    if A.ndim != 2 or A.shape[1] != n:
        raise MethodError(f"AHP at {node!r}: the pairwise matrix must be square, got {A.shape}")
    if np.any(~(A > 0)):
        raise MethodError(f"AHP at {node!r}: all pairwise judgements must be positive numbers")
    if not np.allclose(A * A.T, 1.0, rtol=1e-6, atol=1e-6):
        i, j = np.argwhere(~np.isclose(A * A.T, 1.0, rtol=1e-6, atol=1e-6))[0]
        raise MethodError(
            f"AHP at {node!r}: matrix is not reciprocal: a[{i},{j}]·a[{j},{i}] = {A[i, j] * A[j, i]:.4g} ≠ 1"
        )
    vals, vecs = np.linalg.eig(A)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    if n > max(SAATY_RI):
        raise MethodError(
            f"AHP at {node!r}: {n} criteria; the random index is tabulated for n ≤ {max(SAATY_RI)} "
            "— split the node into sub-groups"
        )
    ri = SAATY_RI[n]
    cr = ci / ri if ri > 0 else 0.0
    info = {"lambda_max": lam, "ci": ci, "ri": ri, "cr": cr, "n": n}
    if cr > max_cr and not force:
        raise MethodError(
            f"AHP at {node!r}: consistency ratio CR = {cr:.4f} > {max_cr} (λmax = {lam:.4f}, CI = {ci:.4f}, "
            f"RI = {ri}); revise the pairwise judgements or pass ahp_force=True to accept it"
        )
    if cr > max_cr:
        warn(f"AHP at {node!r}: CR = {cr:.4f} > {max_cr}, accepted because forced", stacklevel=2)
    return w, info


def combine_weights(w_subjective, w_objective, *, method: str = "linear", alpha: float = 0.5) -> np.ndarray:
    """Combine subjective and objective weights: ``linear`` α·w_s + (1−α)·w_o, or ``multiplicative``."""
    ws = np.asarray(w_subjective, dtype=float)
    wo = np.asarray(w_objective, dtype=float)
    ws, wo = ws / ws.sum(), wo / wo.sum()
    if method == "linear":
        if not 0 <= alpha <= 1:
            raise MethodError(f"combination alpha must be in [0, 1], got {alpha}")
        return alpha * ws + (1 - alpha) * wo
    if method == "multiplicative":
        return _normalise(ws * wo, "multiplicative combination")
    raise MethodError(f"unknown combination {method!r}; use linear or multiplicative")


def objective_weights(Z: np.ndarray, method: str, *, names=None, entropy_shift: float = 0.0) -> np.ndarray:
    """Dispatch an objective weighting method on a matrix."""
    if method == "entropy":
        return entropy_weights(Z, shift=entropy_shift, names=names)
    if method == "critic":
        return critic_weights(Z, names=names)
    if method == "cv":
        return cv_weights(Z, names=names)
    if method == "pca":
        return pca_weights(Z, names=names)
    if method == "equal":
        return equal_weights(np.asarray(Z).shape[1])
    raise MethodError(f"unknown objective weighting {method!r}; choose one of {OBJECTIVE + ('equal',)}")


def weights_frame(Z: pd.DataFrame, method: str = "entropy", **params) -> pd.Series:
    """DataFrame wrapper: objective weights of the columns of a normalised frame, as a Series (sum 1)."""
    w = objective_weights(Z.to_numpy(dtype=float), method, names=[str(c) for c in Z.columns], **params)
    return pd.Series(w, index=Z.columns, name=f"{method}_weight")
