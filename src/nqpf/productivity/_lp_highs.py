"""HiGHS engine for DEA-type LPs: one model per family, updated per evaluated point, exact column generation.

:class:`Engine` keeps one HiGHS model of a :class:`~._lp_model.Family` and re-solves it for each point (hot
start from the previous basis); in ``mode="cg"`` it prices every reference column with the row duals
(``d_j = c_j − π·T_j``) and adds the most negative ones until none is < −tol (LP duality: then optimal for
the full LP). :func:`candidates` drops dominated reference units (the skyline), :func:`_solve_chunk` solves a
block of points in facet order. The algorithm is described in :mod:`nqpf.productivity._lp`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np

from nqpf.productivity._lp_model import (
    INF,
    STATUS_INFEASIBLE,
    STATUS_OPTIMAL,
    STATUS_UNBOUNDED,
    Family,
    apply_point,
)

_MS = highspy.HighsModelStatus


class Engine:
    """One HiGHS model of ``fam`` over reference columns ``T`` (rows × n), reused for many points."""

    def __init__(
        self,
        fam: Family,
        T: np.ndarray,
        lam_cost: np.ndarray | None = None,
        *,
        mode: str = "cg",
        seeds: np.ndarray | None = None,
        tol: float = 1e-9,
        batch: int = 8,
    ):
        self.fam, self.T, self.mode, self.tol, self.batch = fam, T, mode, tol, batch
        self.n = T.shape[1]
        self.lam_cost = np.zeros(self.n) if lam_cost is None else np.asarray(lam_cost, float)
        self.h = self._new_model()
        self.in_w = np.zeros(self.n, bool)
        self.w: list[int] = []
        self._w_arr = np.zeros(0, np.int64)  # self.w as an array (kept in step by _add)
        init = (
            np.arange(self.n)
            if mode == "full"
            else np.unique(np.asarray(seeds if seeds is not None else [0]))
        )
        self._add(init)
        self._full: Engine | None = None
        self.rounds = 0

    def _new_model(self) -> highspy.Highs:
        fam = self.fam
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")
        h.setOptionValue("primal_feasibility_tolerance", 1e-10)
        h.setOptionValue("dual_feasibility_tolerance", 1e-10)
        if fam.n_extra:
            h.addCols(
                fam.n_extra,
                fam.extra_cost,
                fam.extra_lb,
                fam.extra_ub,
                0,
                np.zeros(fam.n_extra, np.int32),
                np.zeros(0, np.int32),
                np.zeros(0),
            )
        nrow = len(fam.row_lb)
        per_row: list[list[tuple[int, float]]] = [[] for _ in range(nrow)]
        for r, c, v in fam.entries:
            per_row[r].append((c, v))
        starts, idx, val = [], [], []
        for r in range(nrow):
            starts.append(len(idx))
            for c, v in per_row[r]:
                idx.append(c)
                val.append(v)
        h.addRows(
            nrow,
            fam.row_lb,
            fam.row_ub,
            len(idx),
            np.asarray(starts, np.int32),
            np.asarray(idx, np.int32),
            np.asarray(val, float),
        )
        return h

    def _add(self, cols: np.ndarray) -> None:
        cols = np.asarray([c for c in np.atleast_1d(cols) if not self.in_w[c]], dtype=np.int64)
        if cols.size == 0:
            return
        sub = self.T[:, cols]
        nr = sub.shape[0]
        mask = sub != 0.0
        counts = mask.sum(axis=0)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
        rr = np.broadcast_to(self.fam.lam_rows[:, None], sub.shape)
        idx = rr.T[mask.T].astype(np.int32)
        val = sub.T[mask.T].astype(float)
        del nr
        self.h.addCols(
            cols.size,
            self.lam_cost[cols],
            np.zeros(cols.size),
            np.full(cols.size, INF),
            int(val.size),
            starts,
            idx,
            val,
        )
        self.in_w[cols] = True
        self.w.extend(int(c) for c in cols)
        self._w_arr = np.asarray(self.w, dtype=np.int64)

    def _full_engine(self) -> Engine:
        if self._full is None:
            self._full = Engine(self.fam, self.T, self.lam_cost, mode="full", tol=self.tol)
        return self._full

    def solve(
        self, p: np.ndarray, exclude: int = -1
    ) -> tuple[str, float, np.ndarray, np.ndarray, np.ndarray]:
        """Solve for point ``p`` (reference column ``exclude`` forbidden). Returns
        (status, objective, extra-variable values, λ indices, λ values)."""
        h, fam = self.h, self.fam
        apply_point(h, fam, p)
        excl_col = -1
        if exclude >= 0 and self.in_w[exclude]:
            excl_col = fam.n_extra + self.w.index(exclude)
            h.changeColBounds(excl_col, 0.0, 0.0)
        try:
            for _ in range(10_000):
                h.run()
                st = h.getModelStatus()
                if st != _MS.kOptimal:
                    if self.mode == "full":
                        return (
                            (
                                STATUS_INFEASIBLE
                                if st in (_MS.kInfeasible, _MS.kUnboundedOrInfeasible)
                                else STATUS_UNBOUNDED
                                if st == _MS.kUnbounded
                                else str(st)
                            ),
                            np.nan,
                            np.full(fam.n_extra, np.nan),
                            np.zeros(0, int),
                            np.zeros(0),
                        )
                    res = self._full_engine().solve(p, exclude)
                    if res[0] == STATUS_OPTIMAL:
                        self._add(res[3])
                    return res
                sol = h.getSolution()
                if self.mode == "full":
                    break
                pi = np.asarray(sol.row_dual)[fam.lam_rows]
                rc = pi @ self.T
                np.subtract(self.lam_cost, rc, out=rc)
                if exclude >= 0:
                    rc[exclude] = np.inf
                if rc.min() >= -self.tol:  # columns of W are dual feasible up to HiGHS' tolerance
                    break
                rc[self.in_w] = np.inf
                neg = np.flatnonzero(rc < -self.tol)
                if neg.size == 0:
                    break
                if neg.size > self.batch:
                    neg = neg[np.argpartition(rc[neg], self.batch)[: self.batch]]
                self.rounds += 1
                self._add(neg)
            x = np.asarray(sol.col_value)
            lam = x[fam.n_extra :]
            nz = (lam > 1e-12).nonzero()[0]
            # getObjectiveValue() returns info.objective_function_value without building the whole info object
            return STATUS_OPTIMAL, h.getObjectiveValue(), x[: fam.n_extra], self._w_arr[nz], lam[nz]
        finally:
            if excl_col >= 0:
                h.changeColBounds(excl_col, 0.0, INF)


def default_seeds(Z: np.ndarray, m: int, s: int, k: int) -> np.ndarray:
    """Likely frontier units: best output/input ratios for every pair, extremes of every column."""
    X, Y = Z[:, :m], Z[:, m : m + s]
    B = Z[:, m + s : m + s + k]
    seeds = []
    xin = np.hstack([X, B]) if k else X
    for r in range(s):
        for i in range(xin.shape[1]):
            seeds.append(int(np.argmax(Y[:, r] / np.maximum(xin[:, i], 1e-300))))
        seeds.append(int(np.argmax(Y[:, r])))
    for i in range(xin.shape[1]):
        seeds.append(int(np.argmin(xin[:, i])))
    seeds.append(int(np.argmax(Y.sum(1) / np.maximum(xin.sum(1), 1e-300))))
    return np.unique(seeds)


def skyline(P: np.ndarray, chunk: int = 512) -> np.ndarray:
    """Indices of the rows of ``P`` not weakly dominated by another row (larger is better in every column).

    Sort-filter-skyline: rows are visited in decreasing order of a strictly monotone score, so a row can
    only be dominated by a row visited earlier; exact duplicates keep their first copy.
    """
    n = P.shape[0]
    sc = np.abs(P).mean(axis=0)
    sc[sc == 0] = 1.0
    order = np.argsort(-(P / sc).sum(axis=1), kind="stable")
    kept: list[np.ndarray] = []
    S = np.empty((0, P.shape[1]))
    for a in range(0, n, chunk):
        idx = order[a : a + chunk]
        B = P[idx]
        if len(S):
            dom = np.zeros(len(idx), bool)
            for b in range(0, len(S), 1024):
                Sb = S[b : b + 1024]
                ge = Sb[:, 0, None] >= B[None, :, 0]
                for c in range(1, P.shape[1]):
                    ge &= Sb[:, c, None] >= B[None, :, c]
                dom |= ge.any(axis=0)
            idx, B = idx[~dom], B[~dom]
        if len(idx) > 1:
            D = (B[None, :, :] >= B[:, None, :]).all(axis=2)  # D[i, j]: j weakly dominates i
            D = np.tril(D, k=-1)  # only earlier rows (j < i) can dominate i
            keep = ~D.any(axis=1)
            idx, B = idx[keep], B[keep]
        kept.append(idx)
        S = np.vstack([S, B])
    return np.sort(np.concatenate(kept)) if kept else np.arange(0)


def candidates(fam: Family, T: np.ndarray) -> np.ndarray | None:
    """Reference units that can span the technology (None = no reduction possible).

    With free disposability (radial, slack, SBM; bad outputs treated like inputs, i.e. Y^bλ ≤ b) a unit
    weakly dominated by another unit lies inside that unit's technology under every returns-to-scale
    assumption, so removing it leaves the technology — hence every LP value — unchanged; the non-dominated
    set (skyline) suffices. With weakly disposable bad outputs (DDF, Y^bλ = b) this holds after dividing each
    unit by its bad output when there is exactly one bad output and returns are constant (the cone is
    invariant to that scaling); otherwise no reduction is made.
    """
    m, s, k = fam.params["m"], fam.params["s"], fam.params["k"]
    X, Y, B = T[:m].T, T[m : m + s].T, T[m + s : m + s + k].T
    conv = T.shape[0] > m + s + k
    if fam.kind == "ssbm":
        return None
    if fam.kind == "ddf" and fam.params.get("weak") and k:
        if k != 1 or conv or np.any(B <= 0):
            return None
        return skyline(np.hstack([-X / B, Y / B]))
    return skyline(np.hstack([-X, Y, -B]))


@dataclass
class Solved:
    """Results for a block of points: status, objective, point-specific variables (npts × n_extra) and the
    λ > 0 (indices, values) of every point; ``rounds`` of column generation, the pilot's row ``duals`` and the
    final working set ``w`` (used to order and seed the parallel blocks)."""

    status: list[str]
    obj: np.ndarray
    extra: np.ndarray
    lam_idx: list[np.ndarray]
    lam_val: list[np.ndarray]
    rounds: int = 0
    duals: list[np.ndarray] = field(default_factory=list)
    w: list[int] = field(default_factory=list)


FACET_KINDS = ("radial_in", "radial_out", "ddf")


def _rhs_and_column(fam: Family, P: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """For points ``P``: the active right-hand side of every row, the coefficients of the point's own scalar
    variable (θ, φ or β) in every row, and that variable's cost. Used only to order the points."""
    m, s, k = fam.params["m"], fam.params["s"], fam.params["k"]
    nrow = len(fam.row_lb)
    npt = len(P)
    r = np.zeros((npt, nrow))
    a = np.zeros((npt, nrow))
    if nrow > m + s + k:
        r[:, -1] = 1.0  # convexity row
    if fam.kind == "radial_in":
        r[:, m : m + s] = P[:, m : m + s]
        a[:, :m] = -P[:, :m]
        return r, a, 1.0
    if fam.kind == "radial_out":
        r[:, :m] = P[:, :m]
        a[:, m : m + s] = -P[:, m : m + s]
        return r, a, -1.0
    n = m + s + k  # ddf: point = (z, g)
    r[:, :n] = P[:, :n]
    a[:, :n] = P[:, n : 2 * n] * np.r_[np.ones(m), -np.ones(s), np.ones(k)]
    return r, a, -1.0


def _facet_order(fam: Family, P: np.ndarray, duals: np.ndarray) -> np.ndarray:
    """Order points by the dual vertex (facet) giving their best bound.

    A row-dual vector d of a solved point is dual feasible for every reference column; rescaled so that the
    point's own variable is dual feasible it bounds that point's optimum by c·(d·r)/(d·a). Points sharing the
    best-bounding facet tend to share the optimal basis, so solving them consecutively lets HiGHS' hot start
    finish with (almost) no pivots. Only the order changes, never the results.
    """
    r, a, c = _rhs_and_column(fam, P)
    num = r @ duals.T
    den = a @ duals.T
    with np.errstate(divide="ignore", invalid="ignore"):
        lb = np.where(c * den > 1e-12, c * num / den, -np.inf)
    return np.argsort(np.argmax(lb, axis=1), kind="stable")


def _solve_chunk(args: tuple) -> Solved:
    """One :class:`Engine` for ``args`` = (fam, T, lam_cost, mode, seeds, points, excludes[, presorted]): a
    pilot of ≤ 256 points, then (large cg batches) the rest in facet order (:func:`_facet_order`)."""
    fam, T, lam_cost, mode, seeds, points, excludes, *opt = args
    presorted = bool(opt and opt[0])  # points already in facet order (parallel path): keep it
    eng = Engine(fam, T, lam_cost, mode=mode, seeds=seeds)
    npts = len(points)
    obj = np.full(npts, np.nan)
    ex = np.full((npts, fam.n_extra), np.nan)
    st = [""] * npts
    li = [np.zeros(0, np.int64)] * npts
    lv = [np.zeros(0)] * npts
    pilot = min(npts, 256)
    order_by_facet = fam.kind in FACET_KINDS and npts > 4 * pilot and eng.mode == "cg" and not presorted
    collect = order_by_facet or (presorted and fam.kind in FACET_KINDS)
    duals: list[np.ndarray] = []

    def one(q: int) -> None:
        res = eng.solve(points[q], int(excludes[q]))
        st[q], obj[q], ex[q], li[q], lv[q] = res
        if collect and len(duals) < pilot and res[0] == STATUS_OPTIMAL:
            duals.append(np.asarray(eng.h.getSolution().row_dual))

    order = np.arange(npts)
    for q in order[:pilot]:
        one(q)
    rest = order[pilot:]
    if order_by_facet and duals and rest.size:
        rest = rest[_facet_order(fam, points[rest], np.unique(np.array(duals), axis=0))]
    for q in rest:
        one(q)
    return Solved(st, obj, ex, li, lv, eng.rounds, duals, list(eng.w))
