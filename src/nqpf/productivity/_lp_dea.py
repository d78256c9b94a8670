"""DEA models as LP stages on :mod:`nqpf.productivity._lp` (the solving part of :func:`nqpf.productivity.dea.dea_arrays`).

One frontier at a time, on mean-scaled data: radial CCR/BCC (θ*/φ*, Andersen–Petersen super-efficiency, then
the max-slack stage with its λ polished onto the binding rows), Tone SBM / super-SBM and the directional
distance function. The formulas and citations are in :mod:`nqpf.productivity.dea`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from nqpf.errors import MethodError
from nqpf.productivity import _lp

EFF_TOL = 1e-9


def _parse_direction(
    direction, model_orientation: str, m: int, s: int, k: int, names: list[str], scale: np.ndarray
) -> tuple[str, np.ndarray | None]:
    """Return ('proportional', mask of m+s+k flags) or ('fixed', scaled vector)."""
    if direction is None or direction == "proportional":
        flags = np.zeros(m + s + k)
        if model_orientation in ("input", "none"):
            flags[:m] = 1.0
        if model_orientation in ("output", "none"):
            flags[m:] = 1.0
        return "proportional", flags
    if isinstance(direction, Mapping):
        unknown = [c for c in direction if c not in names]
        if unknown:
            raise MethodError(f"DDF direction names {unknown} are not among the model's variables {names}")
        g = np.array([float(direction.get(c, 0.0)) for c in names])
        if np.any(g < 0) or not np.any(g > 0):
            raise MethodError(
                "DDF direction must be ≥ 0 in every variable and > 0 in at least one "
                "(a bad output's entry is the amount it is reduced)"
            )
        return "fixed", g / scale
    raise MethodError(
        f"DDF direction must be None, 'proportional' or a mapping column→value, got {direction!r}"
    )


@dataclass(frozen=True)
class _Problem:
    """One frontier of :func:`dea_arrays`: the mean-scaled data ``Zs`` (= Z / ``scale``) and the settings."""

    Zs: np.ndarray
    scale: np.ndarray
    m: int
    s: int
    k: int
    rts: str
    orientation: str
    super_eff: bool
    mode: str
    n_jobs: int | None
    progress: Callable[[int], None] | None
    seeds: np.ndarray

    @property
    def n(self) -> int:
        return self.Zs.shape[0]

    def solve(self, fam: _lp.Family, T: np.ndarray, P: np.ndarray) -> _lp.Solved:
        """First-stage LPs of every unit (progress reported)."""
        return _lp.solve_points(
            fam, T, P, mode=self.mode, seeds=self.seeds, n_jobs=self.n_jobs, progress=self.progress
        )

    def resolve_excluded(self, fam: _lp.Family, T: np.ndarray, P: np.ndarray, redo: np.ndarray):
        """Super-efficiency: the LPs of units ``redo`` with each unit removed from its own reference set
        (None when there are none)."""
        if not redo.size:
            return None
        return _lp.solve_points(fam, T, P[redo], redo, mode=self.mode, seeds=self.seeds, n_jobs=self.n_jobs)


@dataclass
class _Solution:
    """Per-unit results of one frontier: model values (``out``), status, slacks (data units) and peers."""

    out: dict[str, np.ndarray]
    status: np.ndarray
    slack: np.ndarray
    lam_idx: list[np.ndarray]
    lam_val: list[np.ndarray]


def _polish_lambdas(A: np.ndarray, lam: np.ndarray, target: np.ndarray, m: int, vrs: bool) -> np.ndarray:
    """λ of the slack stage corrected onto its binding constraints (a λ set to 0 is dropped by the caller).

    The LP meets ``A λ = target`` on the rows without slack (and Σλ = 1 under VRS) only to HiGHS' feasibility
    tolerance (~1e-8); the smallest correction δ with ``A_b (λ + δ) = target_b`` (least squares, min-norm) makes
    them exact, so that the peers reproduce the projection θ*x_o − s⁻, y_o + s⁺ to rounding. ``m``: the first
    m rows are inputs (slack target − Aλ), the others outputs (slack Aλ − target); a row binds when its slack
    is < 1e-7 (below that the slack is reported as 0). A λ driven to ≤ 0 is set to 0 and the rest re-solved,
    and a row whose slack the correction makes negative joins the binding rows (each at most 3 times). The
    result is kept only if it stays feasible (no slack < −1e-12), every |δ| < 1e-4 and the binding residual
    does not grow; otherwise the LP's λ are returned."""
    sign = np.r_[np.ones(m), -np.ones(A.shape[0] - m)]  # slack = sign * (target - Aλ)
    slack0 = sign * (target - A @ lam)
    bind = slack0 < 1e-7
    if vrs:
        A, target, sign = np.vstack([A, np.ones(lam.size)]), np.r_[target, 1.0], np.r_[sign, 1.0]
        bind = np.r_[bind, True]
    if not bind.any():
        return lam
    before = np.abs(target - A @ lam)[bind].max()
    for _ in range(3):  # a row whose small slack the correction turns negative binds too: add it, re-solve
        new, act = lam.copy(), np.ones(lam.size, bool)
        for _ in range(3):
            d = np.linalg.lstsq(A[bind][:, act], (target - A @ new)[bind], rcond=None)[0]
            new[act] += d
            if (new[act] > 0).all():
                break
            new[new <= 0] = 0.0
            act = new > 0
            if not act.any():
                return lam
        viol = ~bind & (sign * (target - A @ new) < -1e-12)
        if not viol.any():
            break
        bind = bind | viol
    slack = sign * (target - A @ new)
    if (
        (new[act] > 0).all()
        and np.abs(new - lam).max() < 1e-4
        and (slack[:-1] if vrs else slack).min() > -1e-12
        and np.abs(target - A @ new)[bind].max() <= max(before, 1e-15)
    ):
        return new
    return lam


def _radial(pb: _Problem, slacks: bool, stage1: _lp.Solved | None = None) -> _Solution:
    """CCR/BCC envelopment LPs (θ* or φ*; ``stage1``: already solved, e.g. with other frontiers by
    :func:`_lp.solve_many`), Andersen–Petersen super-efficiency, then the max-slack stage."""
    inp = pb.orientation == "input"
    fam = _lp.radial_family(pb.m, pb.s, pb.rts, pb.orientation)
    T = _lp.tech_matrix(fam, pb.Zs)
    if stage1 is None:
        res = pb.solve(fam, T, pb.Zs)
    else:
        res = stage1
        if pb.progress:
            pb.progress(pb.n)
    val = res.obj if inp else -res.obj
    excl = np.full(pb.n, -1)
    if pb.super_eff:
        redo = np.flatnonzero((val if inp else 1.0 / val) >= 1.0 - EFF_TOL)
        r2 = pb.resolve_excluded(fam, T, pb.Zs, redo)
        if r2 is not None:
            val[redo] = r2.obj if inp else -r2.obj
            for q, j in enumerate(redo):
                res.status[j] = r2.status[q]
                res.lam_idx[j], res.lam_val[j] = r2.lam_idx[q], r2.lam_val[q]
            excl[redo] = redo
    status = np.array(res.status, dtype=object)
    ok = status == "optimal"
    val = np.where(ok, val, np.nan)
    out = {"efficiency": val} if inp else {"phi": val, "efficiency": 1.0 / val}
    sol = _Solution(
        out, status, np.full((pb.n, pb.m + pb.s + pb.k), np.nan), list(res.lam_idx), list(res.lam_val)
    )
    if slacks:
        _radial_slacks(pb, fam, T, val, np.flatnonzero(ok), excl, sol)
    return sol


def _radial_slack_rows(
    pb: _Problem, js: np.ndarray, lis: list[np.ndarray], lvs: list[np.ndarray], val: np.ndarray
) -> np.ndarray:
    """Slacks of units ``js`` (data units) from their peers ``lis``/``lvs``: ``s⁻ = θ*x_o − Xλ``,
    ``s⁺ = Yλ − y_o`` (input; output: ``s⁻ = x_o − Xλ``, ``s⁺ = Yλ − φ*y_o``), |s| < 1e-7 of the column mean
    set to 0; ``val`` = θ*/φ* of every unit."""
    m, ms = pb.m, pb.m + pb.s
    exact = pb.Zs[js, :ms]  # radial targets with the exact θ*/φ*
    if pb.orientation == "input":
        exact[:, :m] *= val[js, None]
    else:
        exact[:, m:] *= val[js, None]
    proj = np.zeros((len(js), ms))
    for q, (li, lv) in enumerate(zip(lis, lvs, strict=True)):
        if li.size:
            proj[q] = lv @ pb.Zs[li, :ms]
    sl = proj - exact
    sl[:, :m] *= -1.0
    sl[np.abs(sl) < 1e-7] = 0.0
    return np.maximum(sl, 0.0) * pb.scale[:ms]


def _radial_slacks(
    pb: _Problem,
    fam: _lp.Family,
    T: np.ndarray,
    val: np.ndarray,
    idx: np.ndarray,
    excl: np.ndarray,
    sol: _Solution,
) -> None:
    """Second stage of radial DEA: max Σ slacks (mean-scaled) with θ*/φ* fixed, for the units ``idx``.

    Small CRS/VRS frontiers: both stages by the lock-step simplex (exact θ*x / φ*y bounds, vertex λ: no
    polishing needed, issue 19); the units it cannot certify, and all others, by HiGHS with θ*/φ* relaxed by
    1e-9 and the λ polished onto the binding rows (:func:`_polish_lambdas`). Fills ``sol`` in place.
    """
    m, ms = pb.m, pb.m + pb.s
    cost = pb.Zs[:, :m].sum(1) - pb.Zs[:, m:ms].sum(1)
    if not pb.super_eff and pb.mode in ("auto", "full") and idx.size and _lp._batchable(fam, T, pb.Zs, None):
        ok2, li2, lv2 = _lp.batch_slack(
            fam,
            T,
            pb.Zs[idx, :ms],
            val[idx],
            cost,
            [sol.lam_idx[j] for j in idx],
            [sol.lam_val[j] for j in idx],
        )
        got = np.flatnonzero(ok2)
        for q in got:
            sol.lam_idx[idx[q]], sol.lam_val[idx[q]] = li2[q], lv2[q]
        sol.slack[idx[got], :ms] = _radial_slack_rows(
            pb, idx[got], [li2[q] for q in got], [lv2[q] for q in got], val
        )
        idx = idx[~ok2]
    if not idx.size:
        return
    P = pb.Zs[:, :ms].copy()
    if pb.orientation == "input":
        P[:, :m] *= (val * (1 + 1e-9))[:, None]
    else:
        P[:, m:] *= (val * (1 - 1e-9))[:, None]
    # units with the same stage-1 peers share the stage-2 basis: solve them consecutively (hot start)
    peer_key = np.array([",".join(map(str, sorted(sol.lam_idx[j]))) for j in idx])
    idx = idx[np.argsort(peer_key, kind="stable")]
    sf = _lp.slack_family(m, pb.s, pb.rts)
    r3 = _lp.solve_points(
        sf, T, P[idx], excl[idx], lam_cost=cost, mode=pb.mode, seeds=pb.seeds, n_jobs=pb.n_jobs
    )
    done = [q for q in range(len(idx)) if r3.status[q] == "optimal"]
    for q in done:
        j = idx[q]
        li, lv = r3.lam_idx[q], r3.lam_val[q]
        keep = lv > 1e-8
        li, lv = li[keep], lv[keep]
        if li.size:
            exact = pb.Zs[j, :ms].copy()
            exact[:m] *= val[j] if pb.orientation == "input" else 1.0
            exact[m:] *= 1.0 if pb.orientation == "input" else val[j]
            lv = _polish_lambdas(pb.Zs[li, :ms].T, lv, exact, m, pb.rts == "vrs")
            li, lv = li[lv > 0], lv[lv > 0]
        sol.lam_idx[j], sol.lam_val[j] = li, lv
    js = idx[done]
    sol.slack[js, :ms] = _radial_slack_rows(
        pb, js, [sol.lam_idx[j] for j in js], [sol.lam_val[j] for j in js], val
    )


def _sbm(pb: _Problem) -> _Solution:
    """Tone SBM (slacks are part of the LP), then Tone (2002) super-SBM for the efficient units."""
    fam = _lp.sbm_family(pb.m, pb.s, pb.k, pb.rts, pb.orientation, super_eff=False)
    res = pb.solve(fam, _lp.tech_matrix(fam, pb.Zs), pb.Zs)
    t = res.extra[:, 0]
    S = res.extra[:, 1:] / t[:, None]
    rho = 1.0 / (1.0 - res.obj) if pb.orientation == "output" else res.obj.copy()
    slack = S * pb.scale
    slack[np.abs(S) < 1e-9] = 0.0
    sol = _Solution({}, np.array(res.status, dtype=object), slack, list(res.lam_idx),
                    [lv / t[j] for j, lv in enumerate(res.lam_val)])  # fmt: skip
    if pb.super_eff:
        sfam = _lp.sbm_family(pb.m, pb.s, pb.k, pb.rts, pb.orientation, super_eff=True)
        redo = np.flatnonzero(rho >= 1.0 - EFF_TOL)
        r2 = pb.resolve_excluded(sfam, _lp.tech_matrix(sfam, pb.Zs), pb.Zs, redo)
        for q, j in enumerate(redo if r2 is not None else []):
            sol.status[j] = r2.status[q]
            if r2.status[q] != "optimal":
                rho[j] = np.nan
                sol.slack[j] = np.nan
                sol.lam_idx[j], sol.lam_val[j] = np.zeros(0, int), np.zeros(0)
                continue
            tt = r2.extra[q, 0]
            rho[j] = r2.obj[q] if pb.orientation != "output" else 1.0 / (1.0 - r2.obj[q])
            Sq = r2.extra[q, 1:] / tt
            Sq[np.abs(Sq) < 1e-9] = 0.0
            sol.slack[j] = Sq * pb.scale  # super-SBM slacks: input increase, output decrease, bad increase
            sol.lam_idx[j], sol.lam_val[j] = r2.lam_idx[q], r2.lam_val[q] / tt
    sol.out["efficiency"] = np.where(sol.status == "optimal", rho, np.nan)
    return sol


def _ddf(pb: _Problem, direction, names: list[str], ddf_efficiency: str) -> _Solution:
    """Directional distance function β* (super: the units with β* = 0 re-solved without themselves);
    slacks from the peers against the target ``z_o ∓ β*g``."""
    m, s, k, Zs = pb.m, pb.s, pb.k, pb.Zs
    fam = _lp.ddf_family(m, s, k, pb.rts, weak=True)
    T = _lp.tech_matrix(fam, Zs)
    kind, g = _parse_direction(direction, pb.orientation, m, s, k, names, pb.scale)
    G = Zs * g if kind == "proportional" else np.broadcast_to(g, Zs.shape)
    P = np.hstack([Zs, G])
    res = pb.solve(fam, T, P)
    beta = -res.obj
    redo = np.flatnonzero(np.abs(beta) <= 1e-9) if pb.super_eff else np.zeros(0, np.int64)
    r2 = pb.resolve_excluded(fam, T, P, redo)
    for q, j in enumerate(redo if r2 is not None else []):
        res.status[j] = r2.status[q]
        beta[j] = -r2.obj[q]
        res.lam_idx[j], res.lam_val[j] = r2.lam_idx[q], r2.lam_val[q]
    status = np.array(res.status, dtype=object)
    ok = status == "optimal"
    beta = np.where(ok, beta, np.nan)
    if ddf_efficiency == "rho":  # deaR model_dir: (1 − β·mean g_x/x_o) / (1 + β·mean g_y/y_o)
        gx = (G[:, :m] / Zs[:, :m]).mean(axis=1)
        gy = (G[:, m : m + s] / Zs[:, m : m + s]).mean(axis=1)
        eff = (1.0 - beta * gx) / (1.0 + beta * gy)
    else:
        eff = 1.0 / (1.0 + beta)
    sol = _Solution(
        {"beta": beta + 0.0, "efficiency": eff},
        status,
        np.full((pb.n, m + s + k), np.nan),
        list(res.lam_idx),
        list(res.lam_val),
    )  # fmt: skip  (beta + 0.0: no negative zero)
    sign = np.r_[-np.ones(m), np.ones(s), -np.ones(k)]
    for j in np.flatnonzero(ok):
        li, lv = sol.lam_idx[j], sol.lam_val[j]
        proj = lv @ Zs[li] if li.size else np.zeros(m + s + k)
        tgt = Zs[j] + beta[j] * G[j] * sign
        sl = np.r_[tgt[:m] - proj[:m], proj[m : m + s] - tgt[m : m + s], tgt[m + s :] - proj[m + s :]]
        sl[np.abs(sl) < 1e-9] = 0.0
        sol.slack[j] = sl * pb.scale
    return sol
