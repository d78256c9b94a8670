"""Vectorised scoring and ranking of Monte Carlo runs (numpy only, so worker processes start fast).

``score_runs`` evaluates a batch of index configurations as matrix products over cached normalised blocks
(formulas in :mod:`nqpf.uncertainty.montecarlo`); ``rank_matrix`` ranks each run's scores within period.
"""

from __future__ import annotations

import numpy as np

from nqpf.errors import MethodError


def rank_matrix(scores: np.ndarray, n_units: int, n_periods: int) -> np.ndarray:
    """Ranks within period (1 = best; ties share the best rank) of runs × (unit-major unit-periods).

    Scores equal to 12 significant digits (relative to the run's largest |score|) count as ties, so that
    ties are not split by last-bit rounding differences between algebraically equal formulas.
    """
    scale = np.max(np.abs(scores), axis=1, keepdims=True)
    scale = np.where(scale > 0, scale, 1.0)
    key = -np.rint(scores * (1e12 / scale))  # ascending key = descending score
    K = key.reshape(scores.shape[0], n_units, n_periods).transpose(0, 2, 1)  # runs × periods × units
    order = np.argsort(K, axis=-1, kind="stable")
    v = np.take_along_axis(K, order, axis=-1)
    new = np.ones(v.shape, dtype=bool)
    new[..., 1:] = v[..., 1:] != v[..., :-1]
    pos = np.arange(1, n_units + 1, dtype=np.int32)
    r_sorted = np.maximum.accumulate(np.where(new, pos, 0), axis=-1).astype(np.int32)
    R = np.empty_like(r_sorted)
    np.put_along_axis(R, order, r_sorted, axis=-1)
    return np.ascontiguousarray(R.transpose(0, 2, 1)).reshape(scores.shape[0], n_units * n_periods)


# --------------------------------------------------------------------------------------------------------
# vectorised scoring (module level: runs in worker processes)
# --------------------------------------------------------------------------------------------------------
def derived(ctx: dict, name: str, b: int, e: int = 0) -> np.ndarray:
    """Per-block arrays derived from the normalised block ``Z_b``, computed on first use and cached in the
    context (so that only the blocks themselves are shipped to workers).

    ``logZ``: ln(z + δ) (shift rule) or ln z with zeros masked (zero rule); ``isZero``; ``Dp2`` =
    (max z − z)², ``Dm2`` = (z − min z)² (pooled column extremes, TOPSIS); ``Xi``: grey relational
    coefficients ξ = (Δmin + ρΔmax)/(Δ + ρΔmax), Δ = |max z − z|, Δmin/Δmax over the kept columns of
    exclusion ``e``.
    """
    cache = ctx.setdefault("_cache", {})
    key = (name, b, e if name == "Xi" else 0)
    if key in cache:
        return cache[key]
    Z = ctx["Z"][b]
    if name == "logZ":
        if ctx["zero_rule"] == "shift":
            out = np.log(Z + ctx["delta"])
        else:
            with np.errstate(divide="ignore"):
                out = np.log(np.where(Z > 0, Z, 1.0))
    elif name == "isZero":
        out = (Z == 0).astype(float)
    elif name == "Dp2":
        out = (Z.max(axis=0) - Z) ** 2
    elif name == "Dm2":
        out = (Z - Z.min(axis=0)) ** 2
    elif name == "Xi":
        D = np.abs(Z.max(axis=0) - Z)
        Dk = D[:, ctx["masks"][e]]
        dmin, dmax = Dk.min(), Dk.max()
        rho = ctx["rho"]
        out = np.ones_like(D) if dmax == 0 else (dmin + rho * dmax) / (D + rho * dmax)
    else:  # pragma: no cover
        raise MethodError(f"unknown derived array {name!r}")
    cache[key] = out
    return out


def score_runs(ctx: dict, blk: np.ndarray, wid: np.ndarray, agg: np.ndarray, exc: np.ndarray,
                bank: np.ndarray) -> np.ndarray:
    """Root scores (runs × rows) of runs given by block, weight-table, aggregation, exclusion, bank ids."""
    W = ctx["W"][wid].copy()
    if ctx["bank"] is not None:
        has = bank >= 0
        if has.any():
            V = ctx["bank"][bank[has]]
            if ctx["perturb"] == "uniform":
                P = W[has] * (1.0 + ctx["perturb_amount"] * (2.0 * V - 1.0))
            else:
                from scipy.special import gammaincinv  # only for Dirichlet perturbation

                c = ctx["dirichlet_concentration"]
                base = W[has]
                P = np.where(base > 0, gammaincinv(np.where(base > 0, c * base, 1.0), V), 0.0)
            P = np.clip(P, 0.0, None)
            tot = P.sum(axis=1, keepdims=True)
            if np.any(tot <= 0):
                raise MethodError("a weight perturbation gave all-zero weights; lower the perturbation amount")
            W[has] = P / tot
    n_rows = ctx["n_rows"]
    out = np.empty((W.shape[0], n_rows))
    delta = ctx["delta"]
    for b in np.unique(blk):
        b = int(b)
        mb = blk == b
        for a in np.unique(agg[mb]):
            m = mb & (agg == a)
            name = ctx["aggregations"][a]
            Wm = W[m]
            if name == "arithmetic":
                out[m] = np.einsum("rl,gl->gr", ctx["Z"][b], Wm)
            elif name == "geometric":
                if ctx["zero_rule"] == "shift":
                    out[m] = np.exp(np.einsum("rl,gl->gr", derived(ctx, "logZ", b), Wm)) - delta
                else:  # "zero": any zero input with positive weight → 0
                    L = np.einsum("rl,gl->gr", derived(ctx, "logZ", b), Wm)
                    zero = np.einsum("rl,gl->gr", derived(ctx, "isZero", b), (Wm > 0).astype(float)) > 0
                    out[m] = np.where(zero, 0.0, np.exp(L))
            elif name == "topsis":
                W2 = Wm * Wm
                dp = np.sqrt(np.einsum("rl,gl->gr", derived(ctx, "Dp2", b), W2))
                dm = np.sqrt(np.einsum("rl,gl->gr", derived(ctx, "Dm2", b), W2))
                den = dp + dm
                out[m] = np.divide(dm, den, out=np.zeros_like(dm), where=den > 0)
            elif name == "grey":
                for e in np.unique(exc[m]):
                    me = m & (exc == e)
                    out[me] = np.einsum("rl,gl->gr", derived(ctx, "Xi", int(b), int(e)), W[me])
            else:  # pragma: no cover - validated before
                raise MethodError(f"unknown aggregation {name!r}")
    return out


def evaluate_batch(ctx: dict, payload: tuple, seed_seq) -> tuple[np.ndarray, np.ndarray]:
    """One task: scores and ranks of a batch of runs (deterministic; ``seed_seq`` is not needed)."""
    blk, wid, agg, exc, bank = payload
    scores = score_runs(ctx, blk, wid, agg, exc, bank)
    ranks = rank_matrix(scores, ctx["n_units"], ctx["n_periods"])
    return scores, ranks
