"""Lock-step revised simplex over many small DEA LPs at once (numpy), with a per-point optimality certificate.

Small radial CRS/VRS and directional-distance families (issue 19) are solved for every evaluated point
together: one R × R basis inverse per point, Dantzig pricing, bounded-variable ratio test, product-form
update; a point is accepted only when a fresh factorisation of its final basis certifies feasibility (1e-9)
and dual feasibility (1e-10), otherwise it goes to HiGHS (:mod:`._lp_highs`). :func:`_batch_radial` is the
first stage, :func:`batch_slack` the max-slack second stage.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from nqpf.productivity._lp_model import Family


@dataclass
class _Tableau:
    """The lock-step simplex of :func:`_lockstep` for ``npts`` points: variables v = (extra, λ_1..λ_n,
    r_1..r_R) with ``A v − r = 0``; column 0 is ``a0[p]`` (per point), the λ columns ``T`` and the row
    activities −I (shared, in ``ctab``); ``B`` the basic variables (npts × R), ``isb`` their mask."""

    T: np.ndarray
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

    @classmethod
    def start(cls, T, a0, cfull, bnd, lo, up, sig, movable, B) -> _Tableau:
        npts, R = a0.shape
        n = T.shape[1]
        isb = np.zeros((npts, 1 + n + R), bool)
        np.put_along_axis(isb, B, True, axis=1)
        ctab = np.zeros((1 + n + R, R))
        ctab[1 : 1 + n] = T.T
        ctab[1 + n :] = -np.eye(R)
        return cls(T, a0, cfull, bnd, lo, up, sig, movable, B, isb, ctab)

    def columns(self, idx: np.ndarray, var: np.ndarray) -> np.ndarray:
        """Constraint columns (len × R) of variables ``var`` of points ``idx``."""
        col = self.ctab[var]
        th = var == 0
        if th.any():
            col[th] = self.a0[idx[th]]
        return col

    def basis(self, idx: np.ndarray) -> np.ndarray:
        """Basis matrices (len × R × R) of points ``idx``."""
        R = self.a0.shape[1]
        return self.columns(np.repeat(idx, R), self.B[idx].ravel()).reshape(len(idx), R, R).transpose(0, 2, 1)

    def reduced_costs(self, a0: np.ndarray, yv: np.ndarray) -> np.ndarray:
        """``d = c − yᵀA`` of every variable for row prices ``yv`` (len × R) of points whose column 0 is ``a0``."""
        n = self.T.shape[1]
        d = np.empty((len(yv), self.isb.shape[1]))
        d[:, 0] = float(self.cfull[0]) - np.einsum("pr,pr->p", yv, a0)
        d[:, 1 : 1 + n] = self.cfull[1 : 1 + n] - yv @ self.T
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
) -> tuple[np.ndarray, np.ndarray]:
    """Bounded-variable revised primal simplex run in lock-step over many points (core of
    :func:`_batch_radial` / :func:`batch_slack`). Per point: variables v = (extra, λ_1..λ_n, r_1..r_R) with
    ``A v − r = 0``, column 0 = ``a0[p]``, λ columns = ``T``, cost ``cfull``; every nonbasic variable sits at
    its single finite bound (``lo`` if finite, else ``up``; ``bnd`` = the row activities' bounds) and moves in
    direction ``sig``; ``B`` (npts × R) a feasible start basis (modified in place), used where ``start_ok``.
    Returns (ok, values): ok only with the certificate described in :func:`_batch_radial`."""
    npts, R = a0.shape
    tb = _Tableau.start(T, a0, cfull, bnd, lo, up, sig, movable, B)
    st = np.flatnonzero(start_ok)
    try:
        Binv = np.linalg.inv(tb.basis(st))
    except np.linalg.LinAlgError:
        return np.zeros(npts, bool), np.zeros((npts, tb.isb.shape[1]))
    done = _pivot(tb, Binv, st, max_iter)
    return _certify(tb, np.flatnonzero(done))


def _pivot(tb: _Tableau, Binv: np.ndarray, act: np.ndarray, max_iter: int) -> np.ndarray:
    """Simplex iterations of the points ``act`` from their basis inverses ``Binv`` (len(act) × R × R): Dantzig
    pricing, ratio test on the basic bounds, product-form update. The state of the active points is kept
    compacted (no gathers per iteration); a point leaves when optimal (its basis written back to ``tb.B`` /
    ``tb.isb``), unbounded or at a near-singular pivot. Returns the optimal mask."""
    sig, n, cfull, ctab = tb.sig, tb.T.shape[1], tb.cfull, tb.ctab
    done = np.zeros(len(tb.B), bool)
    state = tuple(
        x[act] for x in (tb.B, tb.isb, ~tb.isb & tb.movable, tb.movable, tb.bnd, tb.lo, tb.up, tb.a0)
    )
    Bi, isb, cand, movable, bnd, lo, up, a0 = state  # cand: nonbasic variables that may enter
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(max_iter):
            if act.size == 0:
                break
            yv = np.einsum("pr,prq->pq", cfull[Bi], Binv)
            sd = sig * tb.reduced_costs(a0, yv)
            elig = cand & (sd < -1e-10)
            fin = ~elig.any(axis=1)
            if fin.any():
                done[act[fin]] = True
                tb.B[act[fin]], tb.isb[act[fin]] = Bi[fin], isb[fin]
                keep = ~fin
                act, Bi, isb, cand, movable, bnd, lo, up, a0, Binv, sd, elig = (
                    x[keep] for x in (act, Bi, isb, cand, movable, bnd, lo, up, a0, Binv, sd, elig)
                )
                if act.size == 0:
                    break
            e = np.where(elig, sd, 0.0).argmin(axis=1)
            xB = np.einsum("prq,pq->pr", Binv, np.where(isb[:, 1 + n :], 0.0, bnd))
            col = ctab[e]
            th = e == 0
            if th.any():
                col[th] = a0[th]
            w = np.einsum("prq,pq->pr", Binv, col)
            delta = -sig[e][:, None] * w  # change of x_B per unit step of the entering variable
            k = np.arange(act.size)
            loB, upB = lo[k[:, None], Bi], up[k[:, None], Bi]
            t = np.where(
                delta < -1e-11, (xB - loB) / -delta, np.where(delta > 1e-11, (upB - xB) / delta, np.inf)
            )
            t = np.where(np.isnan(t), np.inf, np.maximum(t, 0.0))
            r = t.argmin(axis=1)
            piv = w[k, r]
            bad = ~np.isfinite(t[k, r]) | (np.abs(piv) < 1e-9)
            if bad.any():  # unbounded or tiny pivot: leave these points to HiGHS
                keep = ~bad
                act, Bi, isb, cand, movable, bnd, lo, up, a0, Binv, e, r, w, piv = (
                    x[keep] for x in (act, Bi, isb, cand, movable, bnd, lo, up, a0, Binv, e, r, w, piv)
                )
                k = np.arange(act.size)
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
    direction. Returns (ok, values of every variable)."""
    npts, R = tb.a0.shape
    n = tb.T.shape[1]
    ok = np.zeros(npts, bool)
    vals = np.zeros((npts, 1 + n + R))
    if not q.size:
        return ok, vals
    Bm = tb.basis(q)
    isb, lo, up = tb.isb[q], tb.lo[q], tb.up[q]
    try:
        xB = np.linalg.solve(Bm, np.where(isb[:, 1 + n :], 0.0, tb.bnd[q])[:, :, None])[:, :, 0]
        yv = np.linalg.solve(np.transpose(Bm, (0, 2, 1)), tb.cfull[tb.B[q]][:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        return ok, vals
    v = np.where(isb, 0.0, np.where(np.isfinite(lo), lo, up))
    np.put_along_axis(v, tb.B[q], xB, axis=1)
    lam = v[:, 1 : 1 + n]
    a0 = tb.a0[q]
    act_r = v[:, 0:1] * a0 + lam @ tb.T.T  # row activities A v
    scale = 1.0 + np.abs(v[:, 0:1] * a0) + np.abs(lam) @ np.abs(tb.T.T)
    good = np.all(np.abs(act_r - v[:, 1 + n :]) <= 1e-9 * scale, axis=1)
    tol_b = 1e-9 * (1.0 + np.abs(v))
    good &= np.all((v >= lo - tol_b) & (v <= up + tol_b), axis=1)
    good &= ~np.any(~isb & tb.movable[q] & (tb.sig * tb.reduced_costs(tb.a0[q], yv) < -1e-10), axis=1)
    ok[q] = good
    vals[q] = v
    return ok, vals


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


def _radial_start(rw: _Rows, T: np.ndarray, P: np.ndarray, ex: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Feasible start bases (npts × R) and where one was found. VRS / DDF: the point itself (λ_self = 1,
    θ = φ = 1, β = 0; the point must be a reference unit). CRS: the best single reference unit, scaled so that
    one output (input) row binds, θ (φ) making one input (output) row bind."""
    m, s, nz = rw.m, rw.s, rw.nz
    npts, R = rw.a0.shape
    n = T.shape[1]
    rows = np.arange(npts)
    has_ex = ex >= 0
    X, Y = T[:m], T[m : m + s]
    x, y = P[:, :m], P[:, m : m + s]
    if rw.conv or rw.ddf:
        same = np.all(T[:nz].T[None, :, :] == P[:, None, :nz], axis=2)
        same[rows[has_ex], ex[has_ex]] = False
        start_ok = same.any(axis=1)
        j = np.argmax(same, axis=1)
        i_t = np.zeros(npts, np.int64) if rw.inp or rw.ddf else np.full(npts, m, np.int64)
        second = np.full(npts, R - 1) if rw.conv else np.full(npts, m)
        if (
            rw.ddf
        ):  # rows i_t, second with columns (β, λ_self): det = g_x0·(conv ? 1 : y_0) + (conv ? 0 : g_y0·x_0)
            det = rw.a0[:, 0] * T[second, j] - rw.a0[rows, second] * T[0, j]
            start_ok &= np.abs(det) > 1e-12
    else:
        if rw.inp:
            ry = y[:, :, None] / Y[None, :, :]
            rx = X[None, :, :] / x[:, :, None]
            score = ry.max(axis=1) * rx.max(axis=1)
        else:
            rx = x[:, :, None] / X[None, :, :]
            ry = Y[None, :, :] / y[:, :, None]
            score = -(rx.min(axis=1) * ry.min(axis=1))
        score[rows[has_ex], ex[has_ex]] = np.inf
        j = np.argmin(score, axis=1)
        start_ok = np.isfinite(score[rows, j])
        pick = np.argmax if rw.inp else np.argmin
        i_t = pick(rx[rows, :, j], axis=1)
        second = m + pick(ry[rows, :, j], axis=1)
    B = np.empty((npts, R), np.int64)
    B[:, 0] = 0
    B[:, 1] = 1 + j
    logi = np.broadcast_to(np.arange(R), (npts, R))
    keep = (logi != i_t[:, None]) & (logi != second[:, None])
    B[:, 2:] = (1 + n + logi[keep]).reshape(npts, R - 2)
    return B, start_ok


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
    Points that stall or meet a near-singular pivot are flagged (``ok`` False) for the HiGHS path.
    Returns (ok, objective, extra values, λ indices, λ values).
    """
    rw = _Rows.of(fam, P)
    npts, R = rw.a0.shape
    n = T.shape[1]
    V = 1 + n + R
    ex = np.asarray(excludes, dtype=np.int64)
    B, start_ok = _radial_start(rw, T, P, ex)
    # movable nonbasic variables and their direction: θ, λ up from 0; logicals away from their bound
    sig = np.ones(V)
    sig[1 + n :] = rw.rsig
    movable = np.ones((npts, V), bool)
    has_ex = ex >= 0
    movable[np.arange(npts)[has_ex], 1 + ex[has_ex]] = False
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
    c0 = float(fam.extra_cost[0])
    cfull = np.zeros(V)
    cfull[0] = c0
    ok, vals = _lockstep(T, rw.a0, cfull, rw.bnd, lo, up, sig, movable, B, start_ok, max_iter)
    obj = np.where(ok, c0 * vals[:, 0], np.nan)
    li, lv = _support(vals, ok, n)
    return ok, obj, np.where(ok[:, None], vals[:, :1], np.nan), li, lv


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
    ok, vals = _lockstep(T, np.zeros((npts, R)), cfull, bnd, lo, up, sig, movable, B, start_ok)
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
