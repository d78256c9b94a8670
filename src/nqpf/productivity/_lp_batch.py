"""Lock-step revised simplex over many small DEA LPs at once (numpy), with a per-point optimality certificate.

Small radial CRS/VRS and directional-distance families (issue 19) are solved for every evaluated point
together: one R × R basis inverse per point, Dantzig pricing, bounded-variable ratio test, product-form
update; a point is accepted only when a fresh factorisation of its final basis certifies feasibility (1e-9)
and dual feasibility (1e-10), otherwise it goes to HiGHS (:mod:`._lp_highs`). :func:`_batch_radial` is the
first stage (in :mod:`._lp_radial`), :func:`batch_slack` the max-slack second stage.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from nqpf.productivity._lp_model import Family


def lam_prices(T: np.ndarray, yv: np.ndarray, f: np.ndarray) -> np.ndarray:
    """``yᵀT_f`` (len × n) for row prices ``yv`` of points of technologies ``f`` (ascending) of ``T``
    (F × R × n; any F × a × b stack with ``yv`` len × a): one matrix product per technology."""
    if T.shape[0] == 1:
        return yv @ T[0]
    out = np.empty((len(yv), T.shape[2]))
    cuts = np.searchsorted(f, np.arange(T.shape[0] + 1)).tolist()
    for g, (a, b) in enumerate(itertools.pairwise(cuts)):
        if b > a:
            out[a:b] = yv[a:b] @ T[g]
    return out


@dataclass
class _Tableau:
    """The lock-step simplex of :func:`_lockstep` for ``npts`` points: variables v = (extra, λ_1..λ_n,
    r_1..r_R) with ``A v − r = 0``; column 0 is ``a0[p]`` (per point), the λ columns those of technology
    ``T[fid[p]]`` (``T``: F × R × n, ``fid`` ascending) and the row activities −I (in ``ctab``, F × V × R);
    ``B`` the basic variables (npts × R), ``isb`` their mask."""

    T: np.ndarray
    fid: np.ndarray
    a0: np.ndarray
    cfull: np.ndarray
    bnd: np.ndarray
    lo: np.ndarray
    up: np.ndarray
    sig: np.ndarray
    movable: np.ndarray
    B: np.ndarray
    isb: np.ndarray
    ctab: np.ndarray
    lam_up: bool = True  # every λ moves up (sig = +1)

    @classmethod
    def start(cls, T, fid, a0, cfull, bnd, lo, up, sig, movable, B) -> _Tableau:
        npts, R = a0.shape
        F, _, n = T.shape
        isb = np.zeros((npts, 1 + n + R), bool)
        np.put_along_axis(isb, B, True, axis=1)
        ctab = np.zeros((F, 1 + n + R, R))
        ctab[:, 1 : 1 + n] = T.transpose(0, 2, 1)
        ctab[:, 1 + n :] = -np.eye(R)
        return cls(T, fid, a0, cfull, bnd, lo, up, sig, movable, B, isb, ctab, bool(np.all(sig[1 : 1 + n] == 1)))

    def columns(self, idx: np.ndarray, var: np.ndarray) -> np.ndarray:
        """Constraint columns (len × R) of variables ``var`` of points ``idx``."""
        col = self.ctab[self.fid[idx], var]
        th = var == 0
        if th.any():
            col[th] = self.a0[idx[th]]
        return col

    def basis(self, idx: np.ndarray) -> np.ndarray:
        """Basis matrices (len × R × R) of points ``idx``."""
        R = self.a0.shape[1]
        return self.columns(np.repeat(idx, R), self.B[idx].ravel()).reshape(len(idx), R, R).transpose(0, 2, 1)

    def signed_reduced_costs(self, a0: np.ndarray, yv: np.ndarray, f: np.ndarray) -> np.ndarray:
        """``sig · d`` (:meth:`reduced_costs` in each variable's direction), in one pass over the λ block."""
        n = self.T.shape[2]
        d = np.empty((len(yv), self.isb.shape[1]))
        d[:, 0] = self.sig[0] * (float(self.cfull[0]) - np.einsum("pr,pr->p", yv, a0))
        d[:, 1 : 1 + n] = self.cfull[1 : 1 + n] - lam_prices(self.T, yv, f)
        if not self.lam_up:
            d[:, 1 : 1 + n] *= self.sig[1 : 1 + n]
        d[:, 1 + n :] = yv * self.sig[1 + n :]
        return d

    def reduced_costs(self, a0: np.ndarray, yv: np.ndarray, f: np.ndarray) -> np.ndarray:
        """``d = c − yᵀA`` of every variable for row prices ``yv`` (len × R) of points of technologies ``f``
        whose column 0 is ``a0``."""
        n = self.T.shape[2]
        d = np.empty((len(yv), self.isb.shape[1]))
        d[:, 0] = float(self.cfull[0]) - np.einsum("pr,pr->p", yv, a0)
        d[:, 1 : 1 + n] = self.cfull[1 : 1 + n] - lam_prices(self.T, yv, f)
        d[:, 1 + n :] = yv
        return d


def _lockstep(
    T: np.ndarray,
    a0: np.ndarray,
    cfull: np.ndarray,
    bnd: np.ndarray,
    lo: np.ndarray,
    up: np.ndarray,
    sig: np.ndarray,
    movable: np.ndarray,
    B: np.ndarray,
    start_ok: np.ndarray,
    max_iter: int = 100,
    fid: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bounded-variable revised primal simplex run in lock-step over many points (core of
    :func:`_batch_radial` / :func:`batch_slack`). Per point: variables v = (extra, λ_1..λ_n, r_1..r_R) with
    ``A v − r = 0``, column 0 = ``a0[p]``, λ columns = ``T`` (R × n) or, for points of several technologies,
    ``T[fid[p]]`` (``T`` F × R × n, ``fid`` ascending), cost ``cfull``; every nonbasic variable sits at its
    single finite bound (``lo`` if finite, else ``up``; ``bnd`` = the row activities' bounds) and moves in
    direction ``sig``; ``B`` (npts × R) a feasible start basis (modified in place), used where ``start_ok``.
    Returns (ok, values, row prices): ok only with the certificate described in :func:`_batch_radial`."""
    npts, R = a0.shape
    if T.ndim == 2:
        T, fid = T[None], np.zeros(npts, np.int64)
    tb = _Tableau.start(T, fid, a0, cfull, bnd, lo, up, sig, movable, B)
    st = np.flatnonzero(start_ok)
    try:
        Binv = np.linalg.inv(tb.basis(st))
    except np.linalg.LinAlgError:
        return np.zeros(npts, bool), np.zeros((npts, tb.isb.shape[1])), np.zeros((npts, R))
    done = _pivot(tb, Binv, st, max_iter)
    return _certify(tb, np.flatnonzero(done))


def _pivot(tb: _Tableau, Binv: np.ndarray, act: np.ndarray, max_iter: int) -> np.ndarray:
    """Simplex iterations of the points ``act`` from their basis inverses ``Binv`` (len(act) × R × R): Dantzig
    pricing, ratio test on the basic bounds, product-form update. The state of the active points is kept
    compacted (no gathers per iteration); a point is done when optimal (its basis written back to ``tb.B`` /
    ``tb.isb``) and leaves at the next compaction (when a quarter of the rows are done: the rows are
    independent, so a done row's further updates touch nothing else); unbounded points and near-singular
    pivots leave at once. Returns the optimal mask."""
    sig, n, ctab = tb.sig, tb.T.shape[2], tb.ctab
    done = np.zeros(len(tb.B), bool)
    state = tuple(
        x[act] for x in (tb.B, tb.isb, ~tb.isb & tb.movable, tb.movable, tb.bnd, tb.lo, tb.up, tb.a0, tb.fid)
    )
    Bi, isb, cand, movable, bnd, lo, up, a0, fa = state  # cand: nonbasic variables that may enter
    alive = np.ones(act.size, bool)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(max_iter):
            yv = np.einsum("pr,prq->pq", tb.cfull[Bi], Binv)
            sdm = np.where(cand, tb.signed_reduced_costs(a0, yv, fa), 0.0)
            e = sdm.argmin(axis=1)
            k = np.arange(act.size)
            fin = alive & (sdm[k, e] >= -1e-10)
            if fin.any():
                done[act[fin]] = True
                tb.B[act[fin]], tb.isb[act[fin]] = Bi[fin], isb[fin]
                alive &= ~fin
                if not alive.any():
                    break
                if 4 * alive.sum() <= 3 * alive.size:
                    act, Bi, isb, cand, movable, bnd, lo, up, a0, fa, Binv, e = (
                        x[alive] for x in (act, Bi, isb, cand, movable, bnd, lo, up, a0, fa, Binv, e)
                    )
                    alive = np.ones(act.size, bool)
                    k = np.arange(act.size)
            xB = np.einsum("prq,pq->pr", Binv, np.where(isb[:, 1 + n :], 0.0, bnd))
            col = ctab[fa, e]
            th = e == 0
            if th.any():
                col[th] = a0[th]
            w = np.einsum("prq,pq->pr", Binv, col)
            delta = -sig[e][:, None] * w  # change of x_B per unit step of the entering variable
            loB, upB = lo[k[:, None], Bi], up[k[:, None], Bi]
            t = np.where(
                delta < -1e-11, (xB - loB) / -delta, np.where(delta > 1e-11, (upB - xB) / delta, np.inf)
            )
            t = np.where(np.isnan(t), np.inf, np.maximum(t, 0.0))
            r = t.argmin(axis=1)
            piv = w[k, r]
            bad = ~np.isfinite(t[k, r]) | (np.abs(piv) < 1e-9)
            if bad.any():  # unbounded or tiny pivot: leave these points to HiGHS (done rows leave too)
                keep = ~bad & alive
                act, Bi, isb, cand, movable, bnd, lo, up, a0, fa, Binv, e, r, w, piv = (
                    x[keep] for x in (act, Bi, isb, cand, movable, bnd, lo, up, a0, fa, Binv, e, r, w, piv)
                )
                alive = np.ones(act.size, bool)
                k = np.arange(act.size)
                if act.size == 0:
                    break
            rowr = Binv[k, r, :] / piv[:, None]
            Binv = Binv - w[:, :, None] * rowr[:, None, :]
            Binv[k, r, :] = rowr
            leave = Bi[k, r]
            isb[k, leave] = False
            cand[k, leave] = movable[k, leave]
            isb[k, e] = True
            cand[k, e] = False
            Bi[k, r] = e
    return done


def _certify(tb: _Tableau, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Certificate from a fresh factorisation of the final bases of points ``q``: rows ``A v − r = 0`` and
    bounds hold to 1e-9 (relative), no movable nonbasic variable has a reduced cost < −1e-10 in its
    direction. Returns (ok, values of every variable, row prices)."""
    npts, R = tb.a0.shape
    n = tb.T.shape[2]
    ok = np.zeros(npts, bool)
    vals = np.zeros((npts, 1 + n + R))
    prices = np.zeros((npts, R))
    if not q.size:
        return ok, vals, prices
    Bm = tb.basis(q)
    isb, lo, up = tb.isb[q], tb.lo[q], tb.up[q]
    try:
        xB = np.linalg.solve(Bm, np.where(isb[:, 1 + n :], 0.0, tb.bnd[q])[:, :, None])[:, :, 0]
        yv = np.linalg.solve(np.transpose(Bm, (0, 2, 1)), tb.cfull[tb.B[q]][:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        return ok, vals, prices
    v = np.where(isb, 0.0, np.where(np.isfinite(lo), lo, up))
    np.put_along_axis(v, tb.B[q], xB, axis=1)
    lam = v[:, 1 : 1 + n]
    a0 = tb.a0[q]
    fq = tb.fid[q]
    TT = tb.T.transpose(0, 2, 1)
    act_r = v[:, 0:1] * a0 + lam_prices(TT, lam, fq)  # row activities A v
    scale = 1.0 + np.abs(v[:, 0:1] * a0) + lam_prices(np.abs(TT), np.abs(lam), fq)
    good = np.all(np.abs(act_r - v[:, 1 + n :]) <= 1e-9 * scale, axis=1)
    tol_b = 1e-9 * (1.0 + np.abs(v))
    good &= np.all((v >= lo - tol_b) & (v <= up + tol_b), axis=1)
    good &= ~np.any(~isb & tb.movable[q] & (tb.sig * tb.reduced_costs(tb.a0[q], yv, fq) < -1e-10), axis=1)
    ok[q] = good
    vals[q] = v
    prices[q] = yv
    return ok, vals, prices


def _support(vals: np.ndarray, ok: np.ndarray, n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per point: indices and values of λ > 1e-12 (empty where not ok)."""
    pos = (vals[:, 1 : 1 + n] > 1e-12) & ok[:, None]
    pr, pc = np.nonzero(pos)
    pc = pc.astype(np.int64)
    lam = vals[pr, 1 + pc]
    ends = np.cumsum(pos.sum(axis=1)).tolist()
    starts = [0] + ends[:-1]
    return [pc[a:b] for a, b in zip(starts, ends, strict=True)], [
        lam[a:b] for a, b in zip(starts, ends, strict=True)
    ]


def batch_slack(
    fam: Family,
    T: np.ndarray,
    P: np.ndarray,
    theta: np.ndarray,
    cost: np.ndarray,
    lam_idx: list[np.ndarray],
    lam_val: list[np.ndarray],
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Second stage of radial DEA for many points at once: ``min cost·λ`` (= max Σ slacks) with θ* (input:
    ``Xλ ≤ θ* x, Yλ ≥ y``) or φ* (output: ``Xλ ≤ x, Yλ ≥ φ* y``) fixed, [Σλ = 1], by :func:`_lockstep`.

    ``fam`` is the stage-1 radial family (CRS/VRS); the start basis is the stage-1 vertex (λ support, loose
    rows' activities, plus tight rows' activities making the basis best conditioned), so the bounds are
    the exact θ*x / φ*y (no feasibility margin needed). Returns (ok, λ indices, λ values); not-ok points
    (degenerate start, no certificate) are for the HiGHS path."""
    m, s = fam.params["m"], fam.params["s"]
    conv = len(fam.lam_rows) > m + s
    R = m + s + conv
    n = T.shape[1]
    npts = len(P)
    V = 1 + n + R
    inp = fam.kind == "radial_in"
    bnd = np.zeros((npts, R))
    bnd[:, :m] = P[:, :m] * (theta[:, None] if inp else 1.0)
    bnd[:, m : m + s] = P[:, m : m + s] * (1.0 if inp else theta[:, None])
    if conv:
        bnd[:, -1] = 1.0
    rsig = np.ones(R)
    rsig[:m] = -1.0
    sig = np.ones(V)
    sig[1 + n :] = rsig
    lo = np.zeros((npts, V))
    up = np.full((npts, V), np.inf)
    up[:, 0] = 0.0  # no extra variable in stage 2
    lo[:, 1 + n :] = np.where(rsig > 0, bnd, -np.inf)
    up[:, 1 + n :] = np.where(rsig < 0, bnd, np.inf)
    movable = np.ones((npts, V), bool)
    movable[:, 0] = False
    if conv:
        up[:, -1] = 1.0
        movable[:, -1] = False
    cfull = np.zeros(V)
    cfull[1 : 1 + n] = cost
    B, start_ok = _slack_start(T, bnd, theta, lam_idx, lam_val, m + s, conv)
    ok, vals, _ = _lockstep(T, np.zeros((npts, R)), cfull, bnd, lo, up, sig, movable, B, start_ok)
    li, lv = _support(vals, ok, n)
    return ok, li, lv


def _slack_start(
    T: np.ndarray,
    bnd: np.ndarray,
    theta: np.ndarray,
    lam_idx: list[np.ndarray],
    lam_val: list[np.ndarray],
    ms: int,
    conv: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Start bases of :func:`batch_slack` (npts × R) and where one was found: the stage-1 support λ and the
    loose rows' activities, completed by the tight (non-convexity) rows' activities giving the largest |det|."""
    npts, R = bnd.shape
    n = T.shape[1]
    B = np.zeros((npts, R), np.int64)
    lens = np.array([len(li) for li in lam_idx], np.int64)
    lam = np.zeros((npts, n))
    if lens.sum():
        lam[np.repeat(np.arange(npts), lens), np.concatenate(lam_idx).astype(np.int64)] = np.concatenate(
            lam_val
        )
    act = lam @ T.T
    tight = np.abs(act - bnd) <= 1e-9 * (1.0 + np.abs(bnd))
    if conv:
        tight[:, -1] = True
    inb = np.zeros((npts, 1 + n + R), bool)  # support λ and loose rows' activities: basic in every candidate
    inb[:, 1 : 1 + n] = lam > 0
    inb[:, 1 + n :] = ~tight
    need = R - inb.sum(axis=1)  # tight rows whose activity joins the basis (≥ 1: θ* left it)
    usable = (lens > 0) & np.isfinite(theta) & (need >= 1)
    best = np.zeros(npts)
    ctab = np.vstack([np.zeros((1, R)), T.T, -np.eye(R)])  # constraint column of every variable
    for k in np.unique(need[usable]):
        grp = np.flatnonzero(usable & (need == k))
        combs = np.array(list(itertools.combinations(range(ms), int(k))), np.int64).reshape(-1, int(k))
        if combs.size == 0:
            continue
        base = np.nonzero(inb[grp])[1].reshape(grp.size, R - int(k))
        valid = np.all(tight[grp][:, combs], axis=2)  # grp × combinations
        gp, gc = np.nonzero(valid)
        if gp.size == 0:
            continue
        cb = np.hstack([base[gp], 1 + n + combs[gc]])
        det = np.abs(np.linalg.det(ctab[cb].transpose(0, 2, 1)))  # the candidate bases' matrices
        keep = det > 1e-12
        gp, det, cb = gp[keep], det[keep], cb[keep]
        o = np.lexsort((det, gp))  # by point, then |det| ascending: the last of each point is its best
        sel = o[np.r_[gp[o][1:] != gp[o][:-1], True]] if o.size else o
        best[grp[gp[sel]]] = det[sel]
        B[grp[gp[sel]]] = cb[sel]
    return B, best > 0
