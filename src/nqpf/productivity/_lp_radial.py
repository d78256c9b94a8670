"""The radial / directional-distance first stage of the lock-step simplex (:mod:`._lp_batch`) for small
families: row structure, feasible start vertices, several technologies in one run and column generation.

Starts: a radial point starts from its best single reference unit (CRS: scaled; VRS: a unit that dominates
it in outputs (input orientation) or inputs (output orientation), so points outside the technology start too);
a directional point from itself. Several technologies (:func:`batch_radial_many`, e.g. every period of a
Malmquist index or of ``dea(..., period=)``) run in one lock-step simplex: each point is priced against its own
technology, and the per-iteration call overhead is paid once instead of once per technology.

Column generation (radial, ≥ :data:`CG_MIN` reference units): every λ_j > 0 of an optimal envelopment solution
belongs to a unit on the frontier (complementary slackness with the multiplier form: u·y_j = v·x_j (+u₀) at
the evaluated unit's optimal weights), usually a small part of the reference set. The points are solved
against a candidate set (each point's start unit), every reference unit's reduced cost is then priced with
the final row prices, and points with a negative one are solved again with those units added. A point is
accepted only when no reference unit, in or out of the set, prices out (1e-10): the optimum of the full LP.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nqpf.productivity._lp_batch import _lockstep, _support, lam_prices
from nqpf.productivity._lp_model import Family


@dataclass(frozen=True)
class _Rows:
    """Row structure of the radial / DDF LPs of points ``P`` for :func:`_batch_radial`: ``a0`` the θ / φ / β
    column of every point, ``bnd`` the finite bound of each row activity, ``rsig`` its side (+1: lower bound,
    −1: upper bound); ``nz`` = m + s + k data rows, ``conv`` the convexity row (VRS, last)."""

    m: int
    s: int
    nz: int
    conv: bool
    inp: bool
    ddf: bool
    a0: np.ndarray
    bnd: np.ndarray
    rsig: np.ndarray

    @classmethod
    def of(cls, fam: Family, P: np.ndarray) -> _Rows:
        m, s = fam.params["m"], fam.params["s"]
        ddf = fam.kind == "ddf"
        k = fam.params["k"] if ddf else 0
        nz = m + s + k
        conv = len(fam.lam_rows) > nz  # VRS: convexity row Σλ = 1 (last row)
        R = nz + conv
        x, y = P[:, :m], P[:, m : m + s]
        inp = fam.kind == "radial_in"
        a0 = np.zeros((len(P), R))
        bnd = np.zeros((len(P), R))
        rsig = np.empty(R)
        rsig[:m], rsig[m:] = -1.0, 1.0
        rsig[m + s : nz] = -1.0
        if conv:
            bnd[:, -1] = 1.0
        if ddf:  # X λ + β g_x ≤ x, Y λ − β g_y ≥ y, B λ + β g_b = b (weak) or ≤ b
            a0[:, :nz] = P[:, nz : 2 * nz] * np.r_[np.ones(m), -np.ones(s), np.ones(k)]
            bnd[:, :nz] = P[:, :nz]
        elif inp:  # X λ − θ x ≤ 0, Y λ ≥ y
            a0[:, :m] = -x
            bnd[:, m : m + s] = y
        else:  # X λ ≤ x, Y λ − φ y ≥ 0
            a0[:, m : m + s] = -y
            bnd[:, :m] = x
        return cls(m, s, nz, conv, inp, ddf, a0, bnd, rsig)


def _single_unit_scores(rw: _Rows, Tp: np.ndarray, P: np.ndarray) -> np.ndarray:
    """θ (input) or −φ (output) of every point against every single reference unit (npts × n, lower is
    better; ``Tp``: each point's reference columns, npts × R × n). CRS: the unit scaled, θ = max_r y_r/Y_jr ·
    max_i X_ij/x_i (output: −min_i x_i/X_ij · min_r Y_jr/y_r). VRS: the unit as it is, where it dominates the
    point in outputs (input orientation: θ = max_i X_ij/x_i) or inputs (output: φ = min_r Y_jr/y_r); +inf
    where it does not (an infeasible start)."""
    m, s = rw.m, rw.s
    X, Y = Tp[:, :m], Tp[:, m : m + s]
    x, y = P[:, :m], P[:, m : m + s]
    with np.errstate(divide="ignore", invalid="ignore"):
        if rw.conv and rw.inp:
            return np.where(np.all(Y >= y[:, :, None], axis=1), (X / x[:, :, None]).max(axis=1), np.inf)
        if rw.conv:
            return np.where(np.all(X <= x[:, :, None], axis=1), -(Y / y[:, :, None]).min(axis=1), np.inf)
        if rw.inp:
            return (y[:, :, None] / Y).max(axis=1) * (X / x[:, :, None]).max(axis=1)
        return -((x[:, :, None] / X).min(axis=1) * (Y / y[:, :, None]).min(axis=1))


def _radial_start(
    rw: _Rows, Tp: np.ndarray, P: np.ndarray, ex: np.ndarray, pad: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Feasible start bases (npts × R) and where one was found (``Tp``: each point's reference columns,
    npts × R × n; ``pad``: npts × n, columns that are padding). DDF: the point itself (λ_self = 1, β = 0; the
    point must be a reference unit). Radial: the best single reference unit (:func:`_single_unit_scores`);
    CRS: scaled so that one output (input) row binds, θ (φ) making one input (output) row bind; VRS: λ_j = 1
    (the convexity row binds), θ (φ) making one input (output) row bind."""
    m, s, nz = rw.m, rw.s, rw.nz
    npts, R = rw.a0.shape
    n = Tp.shape[2]
    rows = np.arange(npts)
    has_ex = ex >= 0
    if rw.ddf:
        same = np.all(Tp[:, :nz, :] == P[:, :nz, None], axis=1)
        same[rows[has_ex], ex[has_ex]] = False
        start_ok = same.any(axis=1)
        j = np.argmax(same, axis=1)
        i_t = np.zeros(npts, np.int64)
        second = np.full(npts, R - 1) if rw.conv else np.full(npts, m)
        # rows i_t, second with columns (β, λ_self): det = g_x0·(conv ? 1 : y_0) + (conv ? 0 : g_y0·x_0)
        det = rw.a0[:, 0] * Tp[rows, second, j] - rw.a0[rows, second] * Tp[rows, 0, j]
        start_ok &= np.abs(det) > 1e-12
    else:
        score = _single_unit_scores(rw, Tp, P)
        score[rows[has_ex], ex[has_ex]] = np.inf
        if pad is not None:
            score[pad] = np.inf
        score[np.isnan(score)] = np.inf
        j = np.argmin(score, axis=1)
        start_ok = np.isfinite(score[rows, j])
        Xj, Yj = Tp[rows, :m, j], Tp[rows, m : m + s, j]
        x, y = P[:, :m], P[:, m : m + s]
        with np.errstate(divide="ignore", invalid="ignore"):
            if rw.inp:
                i_t = np.argmax(Xj / x, axis=1)
                second = np.full(npts, R - 1) if rw.conv else m + np.argmax(y / Yj, axis=1)
            else:
                i_t = np.full(npts, R - 1) if rw.conv else np.argmin(x / Xj, axis=1)
                second = m + np.argmin(Yj / y, axis=1)
    B = np.empty((npts, R), np.int64)
    B[:, 0] = 0
    B[:, 1] = 1 + j
    logi = np.broadcast_to(np.arange(R), (npts, R))
    keep = (logi != i_t[:, None]) & (logi != second[:, None])
    B[:, 2:] = (1 + n + logi[keep]).reshape(npts, R - 2)
    return B, start_ok


def _radial_solve(
    fam: Family, rw: _Rows, T: np.ndarray, fid: np.ndarray, P: np.ndarray, ex: np.ndarray, max_iter: int,
    pad: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The lock-step simplex of the first-stage LPs of points ``P`` (point p against the reference columns
    ``T[fid[p]]``, ``T``: F × R × n, ``fid`` ascending; ``ex``: the column each point must not use, −1 for none;
    ``pad``: F × n, padding columns, never used). Returns (ok, values of every variable, row prices)."""
    npts, R = rw.a0.shape
    n = T.shape[2]
    V = 1 + n + R
    Tp = np.broadcast_to(T[0], (npts, *T.shape[1:])) if T.shape[0] == 1 else T[fid]
    padp = None if pad is None else pad[fid]
    B, start_ok = _radial_start(rw, Tp, P, ex, padp)
    # movable nonbasic variables and their direction: θ, λ up from 0; logicals away from their bound
    sig = np.ones(V)
    sig[1 + n :] = rw.rsig
    movable = np.ones((npts, V), bool)
    has_ex = ex >= 0
    movable[np.arange(npts)[has_ex], 1 + ex[has_ex]] = False
    if padp is not None:
        movable[:, 1 : 1 + n][padp] = False
    lo = np.zeros((npts, V))
    up = np.full((npts, V), np.inf)
    lo[:, 1 + n :] = np.where(rw.rsig > 0, rw.bnd, -np.inf)
    up[:, 1 + n :] = np.where(rw.rsig < 0, rw.bnd, np.inf)
    fixed = np.zeros(R, bool)  # activities fixed at their bound: convexity row, weakly disposable bad outputs
    fixed[R - 1] = rw.conv
    if rw.ddf:
        lo[:, 0] = -np.inf  # β is free (basic from the start, so it never needs a nonbasic position)
        fixed[rw.m + rw.s : rw.nz] = bool(fam.params.get("weak"))
    lo[:, 1 + n :][:, fixed] = rw.bnd[:, fixed]
    up[:, 1 + n :][:, fixed] = rw.bnd[:, fixed]
    movable[:, 1 + n :][:, fixed] = False
    cfull = np.zeros(V)
    cfull[0] = float(fam.extra_cost[0])
    return _lockstep(T, rw.a0, cfull, rw.bnd, lo, up, sig, movable, B, start_ok, max_iter, fid=fid)


CG_MIN = 40  # radial reference sets from this size are solved by column generation
CG_ADD = 3  # columns added per point and round: its most negative reduced costs
CG_ROUNDS = 6
CG_SHARE = 0.6  # a first candidate set above this share of the units: no column generation


def _radial_cg(
    fam: Family, T: np.ndarray, fid: np.ndarray, P: np.ndarray, ex: np.ndarray, max_iter: int,
    pad: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CRS first stage by column generation (module docstring); arguments as :func:`_radial_solve`. The
    candidate set of each technology starts with every point's best single reference unit. Returns (ok,
    values (extra, λ of every reference unit), npts × (1 + n))."""
    npts, (F, _, n) = len(P), T.shape
    ok = np.zeros(npts, bool)
    vals = np.zeros((npts, 1 + n))
    # first candidates: the best single units of up to n points of each technology (the pricing adds the rest)
    first = np.searchsorted(fid, fid)
    sub = np.flatnonzero(np.arange(npts) - first < n)
    fs = fid[sub]
    B, _ = _radial_start(_Rows.of(fam, P[sub]), np.broadcast_to(T[0], (sub.size, *T.shape[1:])) if F == 1
                         else T[fs], P[sub], ex[sub], None if pad is None else pad[fs])
    inK = np.zeros((F, n), bool)
    inK[fs, B[:, 1] - 1] = True
    if inK.sum(axis=1).max() > CG_SHARE * n:  # most units start a point (VRS, own units): price them all
        okf, vf, _ = _radial_solve(fam, _Rows.of(fam, P), T, fid, P, ex, max_iter, pad)
        return okf, vf[:, : 1 + n]
    has_ex = ex >= 0
    todo = np.arange(npts)
    for _ in range(CG_ROUNDS):
        nK = int(inK.sum(axis=1).max())
        cols = np.zeros((F, nK), np.int64)  # column q of technology f's reduced set: reference unit cols[f, q]
        padK = np.ones((F, nK), bool)
        pos = np.full((F, n), -1, np.int64)
        for f in range(F):
            K = np.flatnonzero(inK[f])
            cols[f, : K.size], padK[f, : K.size], pos[f, K] = K, False, np.arange(K.size)
        TK = np.take_along_axis(T, np.broadcast_to(cols[:, None, :], (F, T.shape[1], nK)), axis=2) * ~padK[:, None]
        ft, ext = fid[todo], ex[todo]
        exk = np.where(ext >= 0, pos[ft, np.maximum(ext, 0)], -1)
        okk, v, yv = _radial_solve(fam, _Rows.of(fam, P[todo]), TK, ft, P[todo], exk, max_iter, padK)
        d = -lam_prices(T, yv, ft)  # reduced costs of every λ (cost 0 in the first stage)
        d[inK[ft]] = 0.0
        if pad is not None:
            d[pad[ft]] = 0.0
        sel = np.flatnonzero(has_ex[todo])
        d[sel, ext[sel]] = 0.0  # the excluded unit never enters
        viol = okk & (d < -1e-10).any(axis=1)
        good = np.flatnonzero(okk & ~viol)
        g = todo[good]
        ok[g] = True
        vals[g, 0] = v[good, 0]
        keepK = ~padK[ft[good]]
        rr, qq = np.nonzero(keepK)
        vals[g[rr], 1 + cols[ft[good][rr], qq]] = v[good[rr], 1 + qq]
        if not viol.any():
            break
        add = np.argsort(d[viol], axis=1)[:, :CG_ADD]
        inK[np.repeat(ft[viol], add.shape[1]), add.ravel()] = True
        todo = todo[viol]
    return ok, vals


def batch_radial_many(
    fam: Family, Ts: list[np.ndarray], Ps: list[np.ndarray], excludes: list[np.ndarray], max_iter: int = 100
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]]:
    """:func:`_batch_radial` of several technologies at once (points ``Ps[f]`` against ``Ts[f]``; the
    technologies may differ in size: smaller ones are padded with columns no point may use), in one
    lock-step run, so its per-iteration cost is paid once instead of once per technology. Returns the
    :func:`_batch_radial` tuple of each technology."""
    F = len(Ts)
    n = max(t.shape[1] for t in Ts)
    T = np.zeros((F, Ts[0].shape[0], n))
    pad = np.ones((F, n), bool)
    for f, t in enumerate(Ts):
        T[f, :, : t.shape[1]], pad[f, : t.shape[1]] = t, False
    sizes = [len(p) for p in Ps]
    fid = np.repeat(np.arange(F), sizes)
    P = np.vstack(Ps)
    ex = np.concatenate([np.asarray(e, dtype=np.int64) for e in excludes])
    ok, obj, extra, li, lv = _solve_first_stage(fam, T, fid, P, ex, max_iter, pad if pad.any() else None)
    out, off = [], 0
    for k in sizes:
        out.append((ok[off : off + k], obj[off : off + k], extra[off : off + k], li[off : off + k],
                    lv[off : off + k]))
        off += k
    return out


def _solve_first_stage(fam, T, fid, P, ex, max_iter, pad):
    """(ok, objective, extra values, λ indices, λ values) of the points ``P`` (arguments as
    :func:`_radial_solve`): column generation for radial technologies of ≥ :data:`CG_MIN` units."""
    rw = _Rows.of(fam, P)
    n = T.shape[2]
    if not rw.ddf and n >= CG_MIN:
        ok, vals = _radial_cg(fam, T, fid, P, ex, max_iter, pad)
    else:
        ok, vals, _ = _radial_solve(fam, rw, T, fid, P, ex, max_iter, pad)
    obj = np.where(ok, float(fam.extra_cost[0]) * vals[:, 0], np.nan)
    li, lv = _support(vals, ok, n)
    return ok, obj, np.where(ok[:, None], vals[:, :1], np.nan), li, lv


def _batch_radial(
    fam: Family, T: np.ndarray, P: np.ndarray, excludes: np.ndarray, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """CRS radial envelopment LPs of all points at once: a bounded-variable revised primal simplex run in
    lock-step over the points (numpy, one R × R basis inverse per point, R = m + s rows).

    Variables per point: 0 = θ (input, cost 1) or φ (output, cost −1), 1..n = λ, n+1..n+R = row activities
    r (``A v − r = 0``, r within the row bounds; each has one finite bound, where it sits when nonbasic).
    Start: :func:`_radial_start` — a feasible vertex. Pricing: Dantzig; ratio test on the basic bounds; the
    inverse is updated by the product form. A point is accepted only with a certificate computed from a
    fresh solve of its final basis: rows ``A v − r = 0`` and bounds hold to 1e-9 (relative) and every reduced
    cost has the right sign to 1e-10 (the tolerances given to HiGHS), so its objective is the LP optimum.
    Points that stall or meet a near-singular pivot are flagged (``ok`` False) for the HiGHS path. CRS radial
    families of ≥ :data:`CG_MIN` reference units go through :func:`_radial_cg` (same certificate, priced over
    every reference unit). Returns (ok, objective, extra values, λ indices, λ values).
    """
    ex = np.asarray(excludes, dtype=np.int64)
    return _solve_first_stage(fam, T[None], np.zeros(len(P), np.int64), P, ex, max_iter, None)
