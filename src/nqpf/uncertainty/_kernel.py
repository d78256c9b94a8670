"""Vectorised scoring and ranking of Monte Carlo runs (numpy only, so worker processes start fast).

``score_runs`` evaluates a batch of index configurations as matrix products over cached normalised blocks
(formulas in :mod:`nqpf.uncertainty.montecarlo`); ``rank_matrix`` ranks each run's scores within period.

Streaming (issue 20): the analysis is split by *period chunks* (all units of some periods — ranks are within
period, so a chunk is self-contained). :func:`chunk_scale` returns each run's largest |score| in the chunk
(the parent takes the maximum over chunks: the tie scale of :func:`rank_matrix`); :func:`chunk_reduce`
scores and ranks every run on the chunk's rows, batch by batch, and returns only what the outputs need —
exact quantiles of score and rank, top-/bottom-k and nominal-rank counts, each run's integer sum of
absolute rank shifts, and the per-row Sobol' indices of the rank. Every number is computed column by
column from the same values as on the whole panel (a row-subset matrix product gives the same products,
pooled column extremes are precomputed on the whole block), so the results equal the unchunked ones bit
for bit.
"""

from __future__ import annotations

import numpy as np

from nqpf.errors import MethodError


def rank_matrix(scores: np.ndarray, n_units: int, n_periods: int, scale: np.ndarray | None = None) -> np.ndarray:
    """Ranks within period (1 = best; ties share the best rank) of runs × (unit-major unit-periods).

    Scores equal to 12 significant digits (relative to the run's largest |score|, or ``scale`` per run when
    given — the largest |score| over all periods when ``scores`` hold only some) count as ties, so that
    ties are not split by last-bit rounding differences between algebraically equal formulas.
    """
    if scale is None:
        scale = np.max(np.abs(scores), axis=1)
    scale = np.asarray(scale, dtype=float).reshape(-1, 1)
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
        out = (_colstat(ctx, "colmax", b, Z) - Z) ** 2
    elif name == "Dm2":
        out = (Z - _colstat(ctx, "colmin", b, Z)) ** 2
    elif name == "Xi":
        D = np.abs(_colstat(ctx, "colmax", b, Z) - Z)
        mask = ctx["masks"][e]
        dmin = _colstat(ctx, "dmin", b, D)[mask].min()
        dmax = _colstat(ctx, "dmax", b, D)[mask].max()
        rho = ctx["rho"]
        out = np.ones_like(D) if dmax == 0 else (dmin + rho * dmax) / (D + rho * dmax)
    else:  # pragma: no cover
        raise MethodError(f"unknown derived array {name!r}")
    cache[key] = out
    return out


def _colstat(ctx: dict, name: str, b: int, X: np.ndarray) -> np.ndarray:
    """Column statistic ``name`` of block ``b`` over all rows: from ``ctx["colstats"]`` (precomputed on the
    whole block, see :func:`column_stats`) when present, else computed on ``X`` (the whole block)."""
    stats = ctx.get("colstats")
    if stats is not None:
        return stats[name][b]
    return X.max(axis=0) if name in ("colmax", "dmax") else X.min(axis=0)


def column_stats(Z: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Per-block column extremes over all rows (blocks × leaves): ``colmax``, ``colmin`` and the extremes
    ``dmin``, ``dmax`` of Δ = |max z − z| (grey relational analysis). Min and max are exact, so a chunk of
    rows with these gives the same derived arrays as the whole block."""
    colmax = np.array([z.max(axis=0) for z in Z])
    colmin = np.array([z.min(axis=0) for z in Z])
    dmin = np.array([np.abs(z.max(axis=0) - z).min(axis=0) for z in Z])
    dmax = np.array([np.abs(z.max(axis=0) - z).max(axis=0) for z in Z])
    return {"colmax": colmax, "colmin": colmin, "dmin": dmin, "dmax": dmax}


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


# --------------------------------------------------------------------------------------------------------
# period-chunk tasks (streaming reductions)
# --------------------------------------------------------------------------------------------------------
#: Column sub-chunks of a chunk's reductions (quantile sorts, Sobol' row terms) stay near this many bytes.
REDUCE_BYTES = 64 * 2**20


def chunk_rows(periods: np.ndarray, n_units: int, n_periods: int) -> np.ndarray:
    """Row indices (unit-major order) of all units in the period positions ``periods``."""
    p = np.asarray(periods, dtype=np.int64)
    return (np.arange(n_units, dtype=np.int64)[:, None] * n_periods + p[None, :]).reshape(-1)


def _chunk_context(ctx: dict, periods: np.ndarray) -> tuple[dict, np.ndarray]:
    rows = chunk_rows(periods, ctx["n_units"], ctx["n_periods"])
    sub = dict(ctx)
    sub["Z"] = [np.ascontiguousarray(z[rows]) for z in ctx["Z"]]
    sub["_cache"] = {}
    sub["n_rows"] = len(rows)
    sub["n_periods"] = len(periods)
    return sub, rows


def chunk_scale(ctx: dict, payload: tuple, seed_seq) -> np.ndarray:
    """Largest |score| of every run (design order) over the rows of one period chunk.

    ``payload = (periods, batches, n_runs)``; a batch is ``(run ids, blk, wid, agg, exc, bank)``."""
    periods, batches, n_runs = payload
    sub, _ = _chunk_context(ctx, periods)
    out = np.zeros(n_runs)
    for idx, *cfg in batches:
        out[idx] = np.max(np.abs(score_runs(sub, *cfg)), axis=1)
    return out


def quantiles_by_columns(X: np.ndarray, q, max_bytes: int = 64 * 2**20) -> np.ndarray:
    """``numpy.quantile(X, q, axis=0)`` (linear interpolation) computed in column chunks (sorting copies
    stay near ``max_bytes``); each column's quantile is computed exactly as on the whole matrix."""
    n, m = X.shape
    out = np.empty((len(q), m))
    step = max(1, max_bytes // (8 * max(n, 1)))
    for c0 in range(0, m, step):
        cols = slice(c0, min(m, c0 + step))
        out[:, cols] = np.quantile(X[:, cols], q, axis=0)
    return out


def chunk_reduce(ctx: dict, payload: dict, seed_seq) -> dict:
    """Scores and ranks of all runs on one period chunk, reduced to what the outputs need.

    ``payload``: ``periods``, ``batches`` (as :func:`chunk_scale`), ``n_runs``, ``scale`` (per run, over all
    periods), ``r_nom`` (nominal ranks of the chunk's rows), ``top_k``, ``sobol`` (None or ``(n, k)`` of
    the Saltelli design, for per-row indices of the rank), ``keep`` (also return the full matrices).
    Returns ``rows``, ``qs``/``qr`` (5/50/95 % quantiles of score/rank, 3 × rows), ``p_top``,
    ``p_bottom``, ``below``, ``equal`` (shares of runs), ``shift_sum`` (per run, Σ|rank − nominal| over the
    rows, int64) and, when asked, ``S1``, ``ST``, ``variance`` and ``scores``, ``ranks``.
    """
    from nqpf.uncertainty.estimators import sobol_indices

    sub, rows = _chunk_context(ctx, payload["periods"])
    n_runs, U, Tc = payload["n_runs"], ctx["n_units"], len(payload["periods"])
    S = np.empty((n_runs, len(rows)))
    R = np.empty((n_runs, len(rows)), dtype=np.int32)
    scale = payload["scale"]
    for idx, *cfg in payload["batches"]:
        s = score_runs(sub, *cfg)
        S[idx] = s
        R[idx] = rank_matrix(s, U, Tc, scale[idx])
        del s
    sub = None
    r_nom = payload["r_nom"]
    kk = payload["top_k"]
    out: dict = {"rows": rows}
    q = [0.05, 0.5, 0.95]
    out["qs"] = quantiles_by_columns(S, q, REDUCE_BYTES)
    out["qr"] = quantiles_by_columns(R, q, REDUCE_BYTES)
    out["p_top"] = (R <= kk).mean(axis=0)
    out["p_bottom"] = (R > U - kk).mean(axis=0)
    out["below"] = (R < r_nom[None]).mean(axis=0)
    out["equal"] = (R == r_nom[None]).mean(axis=0)
    shift = np.zeros(n_runs, dtype=np.int64)
    step = max(1, REDUCE_BYTES // (8 * n_runs))
    for c0 in range(0, len(rows), step):
        cols = slice(c0, min(len(rows), c0 + step))
        shift += np.abs(R[:, cols] - r_nom[None, cols]).sum(axis=1, dtype=np.int64)
    out["shift_sum"] = shift
    if payload.get("sobol") is not None:
        n, k = payload["sobol"]
        m = len(rows)
        step = max(1, REDUCE_BYTES // (8 * n * (4 + 3 * k)))  # the estimator's row terms per column
        s1, st, rv = np.empty((k, m)), np.empty((k, m)), np.empty(m)
        for c0 in range(0, m, step):
            cols = slice(c0, min(m, c0 + step))
            y = R[:, cols].astype(float)
            est = sobol_indices(y[:n], y[n:2 * n], y[2 * n:].reshape((k, n, y.shape[1])), max_bytes=REDUCE_BYTES)
            s1[:, cols], st[:, cols], rv[cols] = est["S1"], est["ST"], est["variance"]
        out["S1"], out["ST"], out["variance"] = s1, st, rv
    if payload.get("keep"):
        out["scores"], out["ranks"] = S, R
    return out
