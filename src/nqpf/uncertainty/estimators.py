"""Variance-based sensitivity indices from a Saltelli A/B/AB_i design, with bootstrap intervals.

With outputs ``f(A)_j``, ``f(B)_j``, ``f(AB_i)_j`` (j = 1..n, see :mod:`nqpf.uncertainty.sampling`):

* first order, Saltelli et al. (2010, *Comput. Phys. Commun.* 181, 259–270, Table 2, formula (b)):
  ``V_i = (1/n) Σ_j f(B)_j (f(AB_i)_j − f(A)_j)``,  ``S_i = V_i / V(Y)``;
* total order, Jansen (1999, *Comput. Phys. Commun.* 117, 35–43; Saltelli et al. 2010 Table 2 (f)):
  ``V_Ti = (1/(2n)) Σ_j (f(A)_j − f(AB_i)_j)²``,  ``S_Ti = V_Ti / V(Y)``;
* ``V(Y)`` is the (population) variance of the 2n outputs ``f(A), f(B)``.

Outputs are centred on the mean of all ``n(k+2)`` outputs first (this leaves ``V(Y)`` and the Jansen
numerator unchanged and removes the mean-dependent noise of the first-order numerator; SALib 1.6
``sobol.analyze`` does the same), so the point estimates match SALib's on the same sample.

An output that never varies (``V(Y) = 0``) has no variance to apportion: its indices are reported as 0 (a
factor that cannot change the output has both numerators exactly 0) and flagged in ``constant``.
Confidence intervals are percentile bootstrap intervals over the n rows (A, B and every AB_i resampled
with the same row indices), seeded.

Outputs may be vectors (e.g. one rank per unit-period): the last axes are carried through.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf.errors import MethodError

__all__ = [
    "MIN_BASE_SAMPLES",
    "SobolResult",
    "sobol_indices",
    "bootstrap_sobol",
    "sensitivity_table",
]

#: Smallest base sample size n accepted: below it the bootstrap resamples of n rows repeat too few
#: distinct rows for a percentile interval to mean anything (a project floor, stated in the docs).
MIN_BASE_SAMPLES = 16


class SobolResult(dict):
    """Dict with ``S1``, ``ST`` (shape ``(k, ...)``), ``variance`` and ``constant`` (shape ``(...)``)."""


def _as_arrays(yA, yB, yAB) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    yA = np.asarray(yA, dtype=float)
    yB = np.asarray(yB, dtype=float)
    yAB = np.asarray(yAB, dtype=float)
    if yA.shape != yB.shape or yAB.shape[1:] != yA.shape or yAB.ndim != yA.ndim + 1:
        raise MethodError(
            f"outputs do not form a Saltelli design: f(A) {yA.shape}, f(B) {yB.shape}, f(AB) {yAB.shape}; "
            "expected f(A), f(B) of shape (n, ...) and f(AB) of shape (k, n, ...)"
        )
    n = yA.shape[0]
    if n < MIN_BASE_SAMPLES:
        raise MethodError(
            f"too few samples for the Saltelli/Jansen estimators: n = {n} base samples; the minimum is "
            f"{MIN_BASE_SAMPLES} (a power of two such as 256 or more is recommended)"
        )
    for name, arr in (("f(A)", yA), ("f(B)", yB), ("f(AB)", yAB)):
        if not np.all(np.isfinite(arr)):
            raise MethodError(f"model output {name} contains NaN or infinite values; sensitivity indices need "
                              "finite outputs for every run")
    return yA, yB, yAB


def _row_terms(yA: np.ndarray, yB: np.ndarray, yAB: np.ndarray) -> np.ndarray:
    """Per-row terms whose (weighted) means give every quantity of both estimators.

    Inputs are 2-D (``n × m``; ``yAB`` is ``k × n × m``) and already centred on the overall mean. The
    differences ``f(AB_i) − f(A)`` are stored directly, so a factor that never changes the output gives
    terms that are exactly 0 (and indices that are exactly 0).
    Layout along axis 1: ``[a, b, a², b², d_1..d_k, b·d_1..b·d_k, d_1²..d_k²]``, each block m wide.
    """
    a, b = yA, yB
    d = yAB - a[None]
    blocks = [a, b, a * a, b * b, *d, *(b[None] * d), *(d * d)]
    return np.concatenate(blocks, axis=1)


def _from_moments(mom: np.ndarray, k: int, m: int, scale: np.ndarray):
    """Indices from mean row terms ``mom`` (shape ``r × (4+3k)m``); returns S1, ST (``k × r × m``), V, const."""
    r = mom.shape[0]
    blk = mom.reshape(r, 4 + 3 * k, m)
    ma, mb, ma2, mb2 = blk[:, 0], blk[:, 1], blk[:, 2], blk[:, 3]
    md = np.moveaxis(blk[:, 4 : 4 + k], 1, 0)
    mbd = np.moveaxis(blk[:, 4 + k : 4 + 2 * k], 1, 0)
    md2 = np.moveaxis(blk[:, 4 + 2 * k :], 1, 0)
    # mean of all n(k+2) outputs: A, B and AB_i = A + d_i
    c = ((k + 1) * ma + mb + md.sum(axis=0)) / (k + 2)
    var = (ma2 + mb2) / 2.0 - ((ma + mb) / 2.0) ** 2
    vi = mbd - c[None] * md            # (1/n) Σ (b − c)(ab_i − a)
    vti = 0.5 * md2                    # Jansen
    constant = var <= (1e-12 * scale[None]) ** 2
    safe = np.where(constant, 1.0, var)
    s1 = np.where(constant[None], 0.0, vi / safe[None])
    st = np.where(constant[None], 0.0, vti / safe[None])
    return s1, st, np.where(constant, 0.0, var), constant


def _prepare(yA, yB, yAB):
    yA, yB, yAB = _as_arrays(yA, yB, yAB)
    n, k = yA.shape[0], yAB.shape[0]
    rest = yA.shape[1:]
    m = int(np.prod(rest)) if rest else 1
    a2, b2, ab2 = yA.reshape(n, m), yB.reshape(n, m), yAB.reshape(k, n, m)
    c0 = (a2.sum(axis=0) + b2.sum(axis=0) + ab2.sum(axis=(0, 1))) / (n * (k + 2))
    scale = np.maximum(np.max(np.abs(a2), axis=0), np.max(np.abs(b2), axis=0))
    scale = np.maximum(scale, np.max(np.abs(ab2), axis=(0, 1)))
    return a2 - c0, b2 - c0, ab2 - c0, n, k, m, rest, scale


def sobol_indices(yA, yB, yAB, *, max_bytes: int = 256 * 2**20) -> SobolResult:
    """First-order (Saltelli 2010) and total-order (Jansen 1999) indices.

    ``yA``, ``yB``: outputs on A and B, shape ``(n, ...)``; ``yAB``: outputs on AB_i, shape ``(k, n, ...)``.
    Returns ``S1`` and ``ST`` of shape ``(k, ...)``, ``variance`` (``V(Y)``) and ``constant`` (V(Y) = 0).
    Many outputs are processed in column chunks (memory near ``max_bytes``).
    """
    a, b, ab, n, k, m, rest, scale = _prepare(yA, yB, yAB)
    col_chunk = max(1, min(m, max_bytes // (8 * n * (4 + 3 * k))))
    s1 = np.empty((k, m))
    st = np.empty((k, m))
    var = np.empty(m)
    constant = np.empty(m, dtype=bool)
    for c0 in range(0, m, col_chunk):
        cols = slice(c0, min(m, c0 + col_chunk))
        mom = _row_terms(a[:, cols], b[:, cols], ab[:, :, cols]).mean(axis=0, keepdims=True)
        s1c, stc, vc, cc = _from_moments(mom, k, cols.stop - cols.start, scale[cols])
        s1[:, cols], st[:, cols], var[cols], constant[cols] = s1c[:, 0], stc[:, 0], vc[0], cc[0]
    return SobolResult(S1=s1.reshape((k,) + rest), ST=st.reshape((k,) + rest),
                       variance=var.reshape(rest), constant=constant.reshape(rest))


def bootstrap_sobol(yA, yB, yAB, *, n_boot: int = 1000, seed: int = 0, level: float = 0.95,
                    max_bytes: int = 64 * 2**20) -> dict[str, np.ndarray]:
    """Percentile bootstrap intervals of S1 and ST (rows resampled with replacement, seeded).

    A resample is a vector of row counts w (multinomial, Σ w = n); every mean in the estimators is then
    ``w · terms / n``, so all resamples are one matrix product. Work is chunked over output columns and
    resamples so memory stays near ``max_bytes``. Returns ``S1_low``, ``S1_high``, ``ST_low``,
    ``ST_high``, each of shape ``(k, ...)``.
    """
    a, b, ab, n, k, m, rest, scale = _prepare(yA, yB, yAB)
    if not 0.0 < level < 1.0:
        raise MethodError(f"confidence level must be in (0, 1), got {level}")
    if n_boot < 2:
        raise MethodError(f"the bootstrap needs at least 2 resamples, got {n_boot}")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    q = [(1.0 - level) / 2.0, (1.0 + level) / 2.0]
    out = {key: np.empty((k, m)) for key in ("S1_low", "S1_high", "ST_low", "ST_high")}
    width = 4 + 3 * k
    col_chunk = max(1, min(m, max_bytes // (8 * n * width)))
    row_chunk = max(1, min(n_boot, max_bytes // (8 * (n + width * col_chunk))))
    for c0 in range(0, m, col_chunk):
        cols = slice(c0, min(m, c0 + col_chunk))
        mc = cols.stop - cols.start
        terms = _row_terms(a[:, cols], b[:, cols], ab[:, :, cols])
        s1_all = np.empty((n_boot, k, mc))
        st_all = np.empty((n_boot, k, mc))
        for r0 in range(0, n_boot, row_chunk):
            rows = idx[r0 : r0 + row_chunk]
            r = rows.shape[0]
            flat = (np.arange(r)[:, None] * n + rows).ravel()
            w = np.bincount(flat, minlength=r * n).reshape(r, n).astype(float)
            mom = (w @ terms) / n
            s1, st, _, _ = _from_moments(mom, k, mc, scale[cols])
            s1_all[r0 : r0 + r] = np.moveaxis(s1, 0, 1)
            st_all[r0 : r0 + r] = np.moveaxis(st, 0, 1)
        s1_q = np.quantile(s1_all, q, axis=0)
        st_q = np.quantile(st_all, q, axis=0)
        out["S1_low"][:, cols], out["S1_high"][:, cols] = s1_q[0], s1_q[1]
        out["ST_low"][:, cols], out["ST_high"][:, cols] = st_q[0], st_q[1]
    return {key: v.reshape((k,) + rest) for key, v in out.items()}


def sensitivity_table(yA, yB, yAB, factors: list[str], *, n_boot: int = 1000, seed: int = 0,
                      level: float = 0.95) -> pd.DataFrame:
    """Indices of a scalar output as a table.

    Columns: ``factor, first_order, total_order, first_order_ci_low, first_order_ci_high,
    total_order_ci_low, total_order_ci_high`` (one row per factor, in the design's factor order).
    """
    yA, yB, yAB = _as_arrays(yA, yB, yAB)
    if yA.ndim != 1:
        raise MethodError(f"sensitivity_table needs a scalar output per run, got output shape {yA.shape[1:]}")
    if len(factors) != yAB.shape[0]:
        raise MethodError(f"{len(factors)} factor names for {yAB.shape[0]} AB matrices")
    est = sobol_indices(yA, yB, yAB)
    ci = bootstrap_sobol(yA, yB, yAB, n_boot=n_boot, seed=seed, level=level)
    return pd.DataFrame({
        "factor": list(factors),
        "first_order": est["S1"],
        "total_order": est["ST"],
        "first_order_ci_low": ci["S1_low"],
        "first_order_ci_high": ci["S1_high"],
        "total_order_ci_low": ci["ST_low"],
        "total_order_ci_high": ci["ST_high"],
    })
