"""HiGHS engine for DEA-type linear programmes: one model per LP family, updated per evaluated point.

Every DEA envelopment LP has the same shape: a few *point-specific* variables (θ, φ, β, t, slacks) and
one intensity column λ_j per reference unit whose entries are that unit's data in the technology rows
(inputs, good outputs, bad outputs, optionally the convexity row). Only costs, bounds and the
coefficients of the point-specific variables change from one evaluated point to the next, so the model
is built once and updated (HiGHS then hot-starts the simplex from the previous basis).

Exact column generation (``mode="cg"``): the LP is solved over a working set W of reference columns;
with row duals π the reduced cost of every reference column is ``d_j = c_j − π·T_j``; if no column has
``d_j < −tol`` the restricted optimum is optimal for the full LP (LP duality), otherwise the most
negative columns are added and the LP re-solved. W is shared by all points solved by one engine, so it
converges to the (small) set of frontier units and each later point costs one small LP plus one pricing
pass (a matrix–vector product over all n units). Infeasible or unbounded restricted LPs fall back to the
full LP (built lazily once), so infeasibility reported is that of the full LP.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import highspy
import numpy as np

INF = highspy.kHighsInf
_MS = highspy.HighsModelStatus
STATUS_OPTIMAL = "optimal"
STATUS_INFEASIBLE = "infeasible"
STATUS_UNBOUNDED = "unbounded"


@dataclass
class Family:
    """Static structure of an LP family.

    ``extra_*`` describe the point-specific variables (columns 0..n_extra-1); ``row_lb/row_ub`` all rows;
    ``entries`` the constant (row, extra col, value) coefficients; ``lam_rows`` the rows that the
    technology matrix ``T`` (len(lam_rows) × n) maps onto. ``kind`` and ``params`` select the per-point
    update in :func:`apply_point`.
    """

    kind: str
    n_extra: int
    extra_cost: np.ndarray
    extra_lb: np.ndarray
    extra_ub: np.ndarray
    row_lb: np.ndarray
    row_ub: np.ndarray
    entries: list[tuple[int, int, float]]
    lam_rows: np.ndarray
    params: dict


def apply_point(h: highspy.Highs, fam: Family, p: np.ndarray) -> None:
    """Write the point-specific costs/coefficients/bounds of point ``p`` into model ``h``.

    ``p`` layout per kind (m inputs, s good outputs, k bad outputs):
    radial_in / radial_out / sbm / ssbm: (x, y, b); slack: (upper bounds of input rows, lower bounds of
    output rows, rhs of bad rows); ddf: (x, y, b, g_x, g_y, g_b).
    """
    m, s, k = fam.params["m"], fam.params["s"], fam.params["k"]
    kind = fam.kind
    if kind == "radial_in":  # min θ : Xλ − θx ≤ 0, Yλ ≥ y
        for i in range(m):
            h.changeCoeff(i, 0, -p[i])
        for r in range(s):
            h.changeRowBounds(m + r, p[m + r], INF)
    elif kind == "radial_out":  # min −φ : Xλ ≤ x, Yλ − φy ≥ 0
        for i in range(m):
            h.changeRowBounds(i, -INF, p[i])
        for r in range(s):
            h.changeCoeff(m + r, 0, -p[m + r])
    elif kind == "slack":  # min Σ_j c_j λ_j : Xλ ≤ a, Yλ ≥ b
        for i in range(m):
            h.changeRowBounds(i, -INF, p[i])
        for r in range(s):
            h.changeRowBounds(m + r, p[m + r], INF)
    elif kind in ("sbm", "ssbm"):
        # columns: 0 = t, 1..m = S-, m+1..m+s = S^g, m+s+1..m+s+k = S^b ; norm row index = nrow_tech (+1 if conv)
        orient = fam.params["orientation"]
        nr = fam.params["norm_row"]
        denom = s + k
        x, y, b = p[:m], p[m : m + s], p[m + s : m + s + k]
        for i in range(m):
            h.changeCoeff(i, 0, -x[i])
        for r in range(s):
            h.changeCoeff(m + r, 0, -y[r])
        for q in range(k):
            h.changeCoeff(m + s + q, 0, -b[q])
        sign = 1.0 if kind == "sbm" else -1.0  # sbm: t + mean(S/y) = 1 ; ssbm: t − mean(S/y) = 1
        in_cost = -1.0 if kind == "sbm" else 1.0
        for i in range(m):
            h.changeColCost(1 + i, in_cost / (m * x[i]) if orient in ("none", "input") else 0.0)
        for r in range(s):
            h.changeCoeff(nr, 1 + m + r, sign / (denom * y[r]))
            if orient == "output":
                h.changeColCost(1 + m + r, (-1.0 if kind == "sbm" else 1.0) / (denom * y[r]))
        for q in range(k):
            h.changeCoeff(nr, 1 + m + s + q, sign / (denom * b[q]))
            if orient == "output":
                h.changeColCost(1 + m + s + q, (-1.0 if kind == "sbm" else 1.0) / (denom * b[q]))
        if kind == "ssbm":  # rows S^g_r − t y_r ≤ 0 (projected good output stays ≥ 0)
            for r in range(s):
                h.changeCoeff(nr + 1 + r, 0, -y[r])
    elif kind == "ddf":  # min −β : Xλ + βg_x ≤ x, Yλ − βg_y ≥ y, Bλ + βg_b (=|≤) b
        n = m + s + k
        x, g = p[:n], p[n : 2 * n]
        weak = fam.params["weak"]
        for i in range(m):
            h.changeCoeff(i, 0, g[i])
            h.changeRowBounds(i, -INF, x[i])
        for r in range(s):
            h.changeCoeff(m + r, 0, -g[m + r])
            h.changeRowBounds(m + r, x[m + r], INF)
        for q in range(k):
            h.changeCoeff(m + s + q, 0, g[m + s + q])
            h.changeRowBounds(m + s + q, x[m + s + q] if weak else -INF, x[m + s + q])
    else:  # pragma: no cover - programming error
        raise ValueError(kind)


def _conv_bounds(rts: str) -> tuple[float, float]:
    return {"vrs": (1.0, 1.0), "nirs": (-INF, 1.0), "ndrs": (1.0, INF)}[rts]


def radial_family(m: int, s: int, rts: str, orientation: str) -> Family:
    """CCR/BCC envelopment LP (input: min θ; output: min −φ). Rows: m inputs, s outputs, [convexity]."""
    conv = rts != "crs"
    nrow = m + s + conv
    lb = np.full(nrow, -INF)
    ub = np.full(nrow, INF)
    entries: list[tuple[int, int, float]] = []
    if orientation == "input":
        ub[:m] = 0.0
        lb[m : m + s] = 0.0
        cost, xlb = np.array([1.0]), np.array([0.0])
        for i in range(m):
            entries.append((i, 0, -1.0))
    else:
        ub[:m] = 1.0
        lb[m : m + s] = 0.0
        cost, xlb = np.array([-1.0]), np.array([0.0])
        for r in range(s):
            entries.append((m + r, 0, -1.0))
    if conv:
        lb[-1], ub[-1] = _conv_bounds(rts)
    return Family(
        "radial_in" if orientation == "input" else "radial_out",
        1,
        cost,
        xlb,
        np.array([INF]),
        lb,
        ub,
        entries,
        np.arange(nrow),
        {"m": m, "s": s, "k": 0},
    )


def slack_family(m: int, s: int, rts: str) -> Family:
    """Second stage of radial DEA: maximise the sum of slacks with θ (or φ) fixed (no extra variables)."""
    conv = rts != "crs"
    nrow = m + s + conv
    lb = np.full(nrow, -INF)
    ub = np.full(nrow, INF)
    if conv:
        lb[-1], ub[-1] = _conv_bounds(rts)
    return Family(
        "slack",
        0,
        np.zeros(0),
        np.zeros(0),
        np.zeros(0),
        lb,
        ub,
        [],
        np.arange(nrow),
        {"m": m, "s": s, "k": 0},
    )


def sbm_family(m: int, s: int, k: int, rts: str, orientation: str, super_eff: bool) -> Family:
    """Tone (2001/2004) SBM and Tone (2002) super-SBM, Charnes–Cooper linearised.

    SBM: min t − (1/m)ΣS⁻/x  s.t. Xλ + S⁻ − tx = 0, Y^gλ − S^g − ty = 0, Y^bλ + S^b − tb = 0,
    t + (1/(s+k))(ΣS^g/y + ΣS^b/b) = 1 (non-oriented; t fixed to 1 and this row free when oriented).
    Super-SBM: min t + (1/m)ΣS⁻/x  s.t. Xλ − S⁻ − tx ≤ 0, Y^gλ + S^g − ty ≥ 0, Y^bλ − S^b − tb ≤ 0,
    t − (1/(s+k))(ΣS^g/y + ΣS^b/b) = 1, S^g − ty ≤ 0, λ_o = 0.
    """
    conv = rts != "crs"
    ntech = m + s + k
    norm_row = ntech + conv
    nrow = norm_row + 1 + (s if super_eff else 0)
    n_extra = 1 + m + s + k
    lb = np.full(nrow, -INF)
    ub = np.full(nrow, INF)
    entries: list[tuple[int, int, float]] = []
    if not super_eff:
        lb[:ntech] = ub[:ntech] = 0.0
        for i in range(m):
            entries.append((i, 1 + i, 1.0))
        for r in range(s):
            entries.append((m + r, 1 + m + r, -1.0))
        for q in range(k):
            entries.append((m + s + q, 1 + m + s + q, 1.0))
    else:
        ub[:m] = 0.0
        lb[m : m + s] = 0.0
        ub[m + s : ntech] = 0.0
        for i in range(m):
            entries.append((i, 1 + i, -1.0))
        for r in range(s):
            entries.append((m + r, 1 + m + r, 1.0))
        for q in range(k):
            entries.append((m + s + q, 1 + m + s + q, -1.0))
        for r in range(s):
            ub[norm_row + 1 + r] = 0.0
            entries.append((norm_row + 1 + r, 1 + m + r, 1.0))
            entries.append((norm_row + 1 + r, 0, -1.0))
    if conv:  # Σλ − t (=, ≤, ≥) 0
        lo, hi = _conv_bounds(rts)
        lb[ntech] = 0.0 if lo > -INF else -INF
        ub[ntech] = 0.0 if hi < INF else INF
        entries.append((ntech, 0, -1.0))
    entries.append((norm_row, 0, 1.0))
    cost = np.zeros(n_extra)
    xlb = np.zeros(n_extra)
    xub = np.full(n_extra, INF)
    if orientation == "none":
        cost[0] = 1.0
        lb[norm_row] = ub[norm_row] = 1.0
    else:
        xlb[0] = xub[0] = 1.0
        if orientation == "input":
            cost[0] = 1.0
            if super_eff:  # input-oriented super-SBM keeps the outputs
                xub[1 + m :] = 0.0
        elif super_eff:  # output-oriented super-SBM keeps the inputs
            xub[1 : 1 + m] = 0.0
    lam_rows = np.arange(ntech + conv)
    return Family(
        "ssbm" if super_eff else "sbm",
        n_extra,
        cost,
        xlb,
        xub,
        lb,
        ub,
        entries,
        lam_rows,
        {"m": m, "s": s, "k": k, "orientation": orientation, "norm_row": norm_row},
    )


def ddf_family(m: int, s: int, k: int, rts: str, weak: bool = True) -> Family:
    """Directional distance function: max β s.t. Xλ ≤ x − βg_x, Y^gλ ≥ y + βg_y, Y^bλ = b − βg_b (weak)."""
    conv = rts != "crs"
    nrow = m + s + k + conv
    lb = np.full(nrow, -INF)
    ub = np.full(nrow, INF)
    if conv:
        lb[-1], ub[-1] = _conv_bounds(rts)
    return Family(
        "ddf",
        1,
        np.array([-1.0]),
        np.array([-INF]),
        np.array([INF]),
        lb,
        ub,
        [],
        np.arange(nrow),
        {"m": m, "s": s, "k": k, "weak": weak},
    )


def tech_matrix(fam: Family, Z: np.ndarray) -> np.ndarray:
    """Technology rows for reference data ``Z`` (n × (m+s+k)): data rows plus a row of ones if convex."""
    rows = [Z.T]
    if len(fam.lam_rows) > Z.shape[1]:
        rows.append(np.ones((1, Z.shape[0])))
    return np.ascontiguousarray(np.vstack(rows))


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
    status: list[str]
    obj: np.ndarray
    extra: np.ndarray
    lam_idx: list[np.ndarray]
    lam_val: list[np.ndarray]
    rounds: int = 0
    duals: list[np.ndarray] = field(default_factory=list)
    w: list[int] = field(default_factory=list)


FACET_KINDS = ("radial_in", "radial_out", "ddf")
BATCH_MIN = 8  # fewer points: HiGHS alone is as fast as the batched simplex set-up


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
    n = T.shape[1]
    V = 1 + n + R
    c0 = float(cfull[0])
    isb = np.zeros((npts, V), bool)
    np.put_along_axis(isb, B, True, axis=1)

    ctab = np.zeros((V, R))  # shared columns: λ (T) and row activities (−I); column 0 is per point
    ctab[1 : 1 + n] = T.T
    ctab[1 + n :] = -np.eye(R)

    def columns(idx: np.ndarray, var: np.ndarray) -> np.ndarray:
        """Constraint columns (len × R) of variables ``var`` of points ``idx``."""
        col = ctab[var]
        th = var == 0
        if th.any():
            col[th] = a0[idx[th]]
        return col

    def basis(idx: np.ndarray) -> np.ndarray:
        Bi = B[idx]
        return columns(np.repeat(idx, R), Bi.ravel()).reshape(len(idx), R, R).transpose(0, 2, 1)

    Binv = np.broadcast_to(np.eye(R), (npts, R, R)).copy()
    try:
        st = np.flatnonzero(start_ok)
        Binv[st] = np.linalg.inv(basis(st))
    except np.linalg.LinAlgError:
        return np.zeros(npts, bool), np.zeros((npts, V))
    done = np.zeros(npts, bool)
    act = np.flatnonzero(start_ok)
    cand = ~isb & movable  # nonbasic variables that may enter
    for _ in range(max_iter):
        if act.size == 0:
            break
        Bi = B[act]
        cB = cfull[Bi]
        yv = np.einsum("pr,prq->pq", cB, Binv[act])
        d = np.empty((act.size, V))
        d[:, 0] = c0 - np.einsum("pr,pr->p", yv, a0[act])
        d[:, 1 : 1 + n] = cfull[1 : 1 + n] - yv @ T
        d[:, 1 + n :] = yv
        sd = sig * d
        elig = cand[act] & (sd < -1e-10)
        fin = ~elig.any(axis=1)
        done[act[fin]] = True
        keepm = ~fin
        act, Bi, sd, elig = act[keepm], Bi[keepm], sd[keepm], elig[keepm]
        if act.size == 0:
            break
        e = np.argmin(np.where(elig, sd, 0.0), axis=1)
        Ba = Binv[act]
        rhs = np.where(isb[act, 1 + n :], 0.0, bnd[act])
        xB = np.einsum("prq,pq->pr", Ba, rhs)
        w = np.einsum("prq,pq->pr", Ba, columns(act, e))
        delta = -sig[e][:, None] * w  # change of x_B per unit step of the entering variable
        loB = lo[act[:, None], Bi]
        upB = up[act[:, None], Bi]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(
                delta < -1e-11, (xB - loB) / -delta, np.where(delta > 1e-11, (upB - xB) / delta, np.inf)
            )
        t = np.where(np.isnan(t), np.inf, np.maximum(t, 0.0))
        r = np.argmin(t, axis=1)
        k = np.arange(act.size)
        piv = w[k, r]
        bad = ~np.isfinite(t[k, r]) | (np.abs(piv) < 1e-9)
        if bad.any():  # unbounded or tiny pivot: leave these points to HiGHS
            act, Bi, e, r, w, piv, Ba, k = (v[~bad] for v in (act, Bi, e, r, w, piv, Ba, k))
            k = np.arange(act.size)
        rowr = Ba[k, r, :] / piv[:, None]
        Ba = Ba - w[:, :, None] * rowr[:, None, :]
        Ba[k, r, :] = rowr
        Binv[act] = Ba
        leave = B[act, r]
        isb[act, leave] = False
        cand[act, leave] = movable[act, leave]
        isb[act, e] = True
        cand[act, e] = False
        B[act, r] = e
    # certificate from a fresh factorisation of the final bases
    ok = np.zeros(npts, bool)
    vals = np.zeros((npts, V))
    q = np.flatnonzero(done)
    if q.size:
        Bm = basis(q)
        try:
            xB = np.linalg.solve(Bm, np.where(isb[q][:, 1 + n :], 0.0, bnd[q])[:, :, None])[:, :, 0]
            yv = np.linalg.solve(np.transpose(Bm, (0, 2, 1)), cfull[B[q]][:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            q = q[:0]
        if q.size:
            v = np.where(isb[q], 0.0, np.where(np.isfinite(lo[q]), lo[q], up[q]))
            np.put_along_axis(v, B[q], xB, axis=1)
            lam = v[:, 1 : 1 + n]
            act_r = v[:, 0:1] * a0[q] + lam @ T.T  # row activities A v
            scale = 1.0 + np.abs(v[:, 0:1] * a0[q]) + np.abs(lam) @ np.abs(T.T)
            good = np.all(np.abs(act_r - v[:, 1 + n :]) <= 1e-9 * scale, axis=1)
            tol_b = 1e-9 * (1.0 + np.abs(v))
            good &= np.all((v >= lo[q] - tol_b) & (v <= up[q] + tol_b), axis=1)
            d = np.empty((q.size, V))
            d[:, 0] = c0 - np.einsum("pr,pr->p", yv, a0[q])
            d[:, 1 : 1 + n] = cfull[1 : 1 + n] - yv @ T
            d[:, 1 + n :] = yv
            good &= ~np.any(~isb[q] & movable[q] & (sig * d < -1e-10), axis=1)
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


def _batch_radial(
    fam: Family, T: np.ndarray, P: np.ndarray, excludes: np.ndarray, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """CRS radial envelopment LPs of all points at once: a bounded-variable revised primal simplex run in
    lock-step over the points (numpy, one R × R basis inverse per point, R = m + s rows).

    Variables per point: 0 = θ (input, cost 1) or φ (output, cost −1), 1..n = λ, n+1..n+R = row activities
    r (``A v − r = 0``, r within the row bounds; each has one finite bound, where it sits when nonbasic).
    Start: the best single reference unit, scaled so that one output (input) row binds, θ (φ) making one
    input (output) row bind — a feasible vertex. Pricing: Dantzig; ratio test on the basic bounds; the
    inverse is updated by the product form. A point is accepted only with a certificate computed from a
    fresh solve of its final basis: rows ``A v − r = 0`` and bounds hold to 1e-9 (relative) and every reduced
    cost has the right sign to 1e-10 (the tolerances given to HiGHS), so its objective is the LP optimum.
    Points that stall or meet a near-singular pivot are flagged (``ok`` False) for the HiGHS path.
    Returns (ok, objective, extra values, λ indices, λ values).
    """
    m, s = fam.params["m"], fam.params["s"]
    ddf = fam.kind == "ddf"
    k = fam.params["k"] if ddf else 0
    nz = m + s + k
    conv = len(fam.lam_rows) > nz  # VRS: convexity row Σλ = 1 (last row)
    R = nz + conv
    n = T.shape[1]
    npts = len(P)
    V = 1 + n + R
    x, y = P[:, :m], P[:, m : m + s]
    inp = fam.kind == "radial_in"
    a0 = np.zeros((npts, R))  # θ / φ / β column of every point
    if ddf:  # X λ + β g_x ≤ x, Y λ − β g_y ≥ y, B λ + β g_b = b (weak) or ≤ b
        a0[:, :nz] = P[:, nz : 2 * nz] * np.r_[np.ones(m), -np.ones(s), np.ones(k)]
    elif inp:
        a0[:, :m] = -x
    else:
        a0[:, m : m + s] = -y
    c0 = float(fam.extra_cost[0])
    # the finite bound of each row activity and its side (+1: lower bound, −1: upper bound)
    bnd = np.zeros((npts, R))
    rsig = np.empty(R)
    rsig[:m], rsig[m:] = -1.0, 1.0
    rsig[m + s : nz] = -1.0
    if conv:
        bnd[:, -1] = 1.0
    if ddf:
        bnd[:, :nz] = P[:, :nz]
    elif inp:  # X λ − θ x ≤ 0, Y λ ≥ y
        bnd[:, m : m + s] = y
    else:  # X λ ≤ x, Y λ − φ y ≥ 0
        bnd[:, :m] = x
    rows = np.arange(npts)
    ex = np.asarray(excludes, dtype=np.int64)
    has_ex = ex >= 0
    X, Y = T[:m], T[m : m + s]
    if conv or ddf:  # start at the point itself (λ_self = 1, θ = φ = 1, β = 0): the point must be a reference
        same = np.all(T[:nz].T[None, :, :] == P[:, None, :nz], axis=2)
        same[rows[has_ex], ex[has_ex]] = False
        start_ok = same.any(axis=1)
        j = np.argmax(same, axis=1)
        i_t = np.zeros(npts, np.int64) if inp or ddf else np.full(npts, m, np.int64)
        second = np.full(npts, R - 1) if conv else np.full(npts, m)
        if (
            ddf
        ):  # rows i_t, second with columns (β, λ_self): det = g_x0·(conv ? 1 : y_0) + (conv ? 0 : g_y0·x_0)
            det = a0[:, 0] * T[second, j] - a0[rows, second] * T[0, j]
            start_ok &= np.abs(det) > 1e-12
    elif inp:
        ry = y[:, :, None] / Y[None, :, :]
        rx = X[None, :, :] / x[:, :, None]
        score = ry.max(axis=1) * rx.max(axis=1)
    else:
        rx = x[:, :, None] / X[None, :, :]
        ry = Y[None, :, :] / y[:, :, None]
        score = -(rx.min(axis=1) * ry.min(axis=1))
    if not (conv or ddf):
        score[rows[has_ex], ex[has_ex]] = np.inf
        j = np.argmin(score, axis=1)
        start_ok = np.isfinite(score[rows, j])
        pick = np.argmax if inp else np.argmin
        i_t = pick(rx[rows, :, j], axis=1)
        second = m + pick(ry[rows, :, j], axis=1)
    B = np.empty((npts, R), np.int64)
    B[:, 0] = 0
    B[:, 1] = 1 + j
    logi = np.broadcast_to(np.arange(R), (npts, R))
    keep = (logi != i_t[:, None]) & (logi != second[:, None])
    B[:, 2:] = (1 + n + logi[keep]).reshape(npts, R - 2)
    # movable nonbasic variables and their direction: θ, λ up from 0; logicals away from their bound
    sig = np.ones(V)
    sig[1 + n :] = rsig
    movable = np.ones((npts, V), bool)
    movable[rows[has_ex], 1 + ex[has_ex]] = False
    lo = np.zeros((npts, V))
    up = np.full((npts, V), np.inf)
    lo[:, 1 + n :] = np.where(rsig > 0, bnd, -np.inf)
    up[:, 1 + n :] = np.where(rsig < 0, bnd, np.inf)
    fixed = np.zeros(R, bool)  # activities fixed at their bound: convexity row, weakly disposable bad outputs
    fixed[R - 1] = conv
    if ddf:
        lo[:, 0] = -np.inf  # β is free (basic from the start, so it never needs a nonbasic position)
        fixed[m + s : nz] = bool(fam.params.get("weak"))
    lo[:, 1 + n :][:, fixed] = bnd[:, fixed]
    up[:, 1 + n :][:, fixed] = bnd[:, fixed]
    movable[:, 1 + n :][:, fixed] = False
    cfull = np.zeros(V)
    cfull[0] = c0

    ok, vals = _lockstep(T, a0, cfull, bnd, lo, up, sig, movable, B, start_ok, max_iter)
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
    # start bases: support + loose rows + tight (non-convexity) rows' activities, chosen by |det|
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
    inb = np.zeros((npts, V), bool)  # support λ and loose rows' activities: basic in every candidate
    inb[:, 1 : 1 + n] = lam > 0
    inb[:, 1 + n :] = ~tight
    need = R - inb.sum(axis=1)  # tight rows whose activity joins the basis (≥ 1: θ* left it)
    usable = (lens > 0) & np.isfinite(theta) & (need >= 1)
    best = np.zeros(npts)
    for k in np.unique(need[usable]):
        grp = np.flatnonzero(usable & (need == k))
        combs = np.array(list(itertools.combinations(range(m + s), int(k))), np.int64).reshape(-1, int(k))
        if combs.size == 0:
            continue
        base = np.nonzero(inb[grp])[1].reshape(grp.size, R - int(k))
        valid = np.all(tight[grp][:, combs], axis=2)  # grp × combinations
        gp, gc = np.nonzero(valid)
        if gp.size == 0:
            continue
        cb = np.hstack([base[gp], 1 + n + combs[gc]])
        cols = np.zeros((gp.size, R, R))
        for c in range(R):
            v = cb[:, c]
            lm = v <= n
            cols[lm, :, c] = T[:, v[lm] - 1].T
            lg = np.flatnonzero(~lm)
            cols[lg, v[lg] - 1 - n, c] = -1.0
        det = np.abs(np.linalg.det(cols))
        keep = det > 1e-12
        gp, det, cb = gp[keep], det[keep], cb[keep]
        o = np.lexsort((det, gp))  # by point, then |det| ascending: the last of each point is its best
        sel = o[np.r_[gp[o][1:] != gp[o][:-1], True]] if o.size else o
        best[grp[gp[sel]]] = det[sel]
        B[grp[gp[sel]]] = cb[sel]
    start_ok = best > 0
    a0 = np.zeros((npts, R))
    ok, vals = _lockstep(T, a0, cfull, bnd, lo, up, sig, movable, B, start_ok)
    li, lv = _support(vals, ok, n)
    return ok, li, lv


def _batchable(fam: Family, T: np.ndarray, points: np.ndarray, lam_cost: np.ndarray | None) -> bool:
    """Small CRS or VRS radial families with positive data go to :func:`_batch_radial` first."""
    if fam.kind not in ("radial_in", "radial_out", "ddf"):
        return False
    R = fam.params["m"] + fam.params["s"] + fam.params["k"]
    if len(fam.lam_rows) != R and not (fam.row_lb[-1] == 1.0 and fam.row_ub[-1] == 1.0):  # CRS or VRS only
        return False
    if fam.kind == "ddf" and not np.all(np.isfinite(points[:, R : 2 * R])):
        return False
    if len(points) < BATCH_MIN or T.shape[1] > 300 or (lam_cost is not None and np.any(lam_cost != 0)):
        return False
    return bool(np.all(T > 0) and np.all(points[:, :R] > 0) and np.all(np.isfinite(points[:, :R])))


def _solve_batched(fam, T, points, excludes, lam_cost, seeds, progress) -> Solved:
    """:func:`_batch_radial` for every point; the points it cannot certify are solved by HiGHS."""
    npts = len(points)
    ok, obj, extra, li, lv = _batch_radial(fam, T, points, excludes)
    if not li:
        li, lv = [np.zeros(0, np.int64)] * npts, [np.zeros(0)] * npts
    out = Solved([STATUS_OPTIMAL if o else "" for o in ok], obj, extra, list(li), list(lv), 0)
    redo = np.flatnonzero(~ok)
    if redo.size:
        part = _solve_chunk((fam, T, lam_cost, "full", seeds, points[redo], excludes[redo]))
        for q, jj in enumerate(redo):
            out.status[jj] = part.status[q]
            out.lam_idx[jj], out.lam_val[jj] = part.lam_idx[q], part.lam_val[q]
        out.obj[redo] = part.obj
        out.extra[redo] = part.extra
    if progress:
        progress(npts)
    return out


def available_cpus() -> int:
    """CPUs this process may run on, portably (issue 15 item 6: ``os.sched_getaffinity`` is Linux-only).

    ``os.sched_getaffinity(0)`` where the platform has it (respects taskset/cgroup CPU masks), else
    ``os.process_cpu_count()`` (Python ≥ 3.13, also affinity-aware), else ``os.cpu_count()``; at least 1.
    """
    getaffinity = getattr(os, "sched_getaffinity", None)
    if getaffinity is not None:
        try:
            return max(1, len(getaffinity(0)))
        except OSError:  # pragma: no cover - exotic kernels / sandboxes
            pass
    counter = getattr(os, "process_cpu_count", None) or os.cpu_count
    return max(1, counter() or 1)


def n_jobs_default() -> int:
    """Default number of worker processes: the available CPUs, capped at 8."""
    return max(1, min(available_cpus(), 8))


def solve_points(
    fam: Family,
    T: np.ndarray,
    points: np.ndarray,
    excludes: np.ndarray | None = None,
    *,
    lam_cost: np.ndarray | None = None,
    mode: str = "auto",
    seeds: np.ndarray | None = None,
    n_jobs: int | None = None,
    parallel_min: int = 3000,
    progress=None,
) -> Solved:
    """Solve ``fam`` for every row of ``points`` against reference columns ``T``.

    ``mode``: "full" (every λ column in the LP), "cg" (exact column generation) or "auto" (full for
    n ≤ 300, else cg). Points are split over ``n_jobs`` processes when there are ≥ ``parallel_min``.
    ``progress(k)`` is called with the number of points finished.
    """
    npts = len(points)
    if npts == 0:  # nothing to solve: no model to build
        return Solved([], np.zeros(0), np.zeros((0, fam.n_extra)), [], [], 0)
    if excludes is None:
        excludes = np.full(npts, -1)
    if mode == "auto":
        mode = "full" if T.shape[1] <= 300 else "cg"
    if mode == "cg" and np.all(np.asarray(excludes) < 0):
        C = candidates(fam, T)
        if C is not None and len(C) < T.shape[1]:
            pos = np.full(T.shape[1], -1)
            pos[C] = np.arange(len(C))
            sd = pos[np.asarray(seeds, dtype=np.int64)] if seeds is not None else np.zeros(0, np.int64)
            sd = sd[sd >= 0]
            res = solve_points(
                fam,
                np.ascontiguousarray(T[:, C]),
                points,
                excludes,
                lam_cost=None if lam_cost is None else np.asarray(lam_cost)[C],
                mode="cg_reduced",
                seeds=sd if sd.size else None,
                n_jobs=n_jobs,
                parallel_min=parallel_min,
                progress=progress,
            )
            res.lam_idx = [C[li] for li in res.lam_idx]
            return res
    if mode == "cg_reduced":
        mode = "cg"
    if mode == "full" and _batchable(fam, T, points, lam_cost):
        return _solve_batched(fam, T, points, np.asarray(excludes), lam_cost, seeds, progress)
    n_jobs = n_jobs or n_jobs_default()
    if n_jobs > 1 and npts >= parallel_min:
        # The parent solves a pilot (learning the working set W and dual vertices), sorts the remaining points by
        # facet and gives each worker one contiguous block of that order, seeded with W.
        pil = min(256, npts // 4) if mode == "cg" and fam.kind in FACET_KINDS else 0
        head = np.arange(pil)
        rest = np.arange(pil, npts)
        pres = None
        wseeds = seeds
        if pil:
            pres = _solve_chunk((fam, T, lam_cost, mode, seeds, points[head], excludes[head], True))
            if pres.duals:
                rest = rest[_facet_order(fam, points[rest], np.unique(np.array(pres.duals), axis=0))]
            wseeds = np.asarray(pres.w, dtype=np.int64)
            if progress:
                progress(pil)
        blocks = [b for b in np.array_split(rest, n_jobs) if b.size]
        args = [(fam, T, lam_cost, mode, wseeds, points[b], excludes[b], bool(pil)) for b in blocks]
        out = Solved(
            [""] * npts,
            np.full(npts, np.nan),
            np.full((npts, fam.n_extra), np.nan),
            [np.zeros(0, np.int64)] * npts,
            [np.zeros(0)] * npts,
            0,
        )
        parts = [(head, pres)] if pres is not None else []
        with ProcessPoolExecutor(n_jobs, mp_context=mp.get_context("fork")) as ex:
            for b, part in zip(blocks, ex.map(_solve_chunk, args), strict=True):
                parts.append((b, part))
                if progress:
                    progress(len(part.status))
        for b, part in parts:
            for q, j in enumerate(b):
                out.status[j] = part.status[q]
                out.lam_idx[j], out.lam_val[j] = part.lam_idx[q], part.lam_val[q]
            out.obj[b] = part.obj
            out.extra[b] = part.extra
            out.rounds += part.rounds
        return out
    res = _solve_chunk((fam, T, lam_cost, mode, seeds, points, excludes))
    if progress:
        progress(npts)
    return res
