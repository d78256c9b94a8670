"""LP families of DEA-type envelopment programmes and their per-point update (the model part of :mod:`._lp`).

A :class:`Family` is the static structure of one LP (point-specific variables, rows, constant coefficients);
:func:`apply_point` writes one evaluated point into a HiGHS model of it; :func:`tech_matrix` gives the
reference columns λ_j. Formulas: Charnes, Cooper & Rhodes (1978), Banker, Charnes & Cooper (1984), Tone
(2001, 2002, 2004), Chambers, Chung & Färe (1996) — see each family's docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

INF = highspy.kHighsInf
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


def _row_bounds(nrow: int, rts: str) -> tuple[np.ndarray, np.ndarray]:
    """Free bounds (−∞, ∞) of ``nrow`` rows, the last one the convexity row (Σλ =, ≤, ≥ 1) unless CRS."""
    lb = np.full(nrow, -INF)
    ub = np.full(nrow, INF)
    if rts != "crs":
        lb[-1], ub[-1] = _conv_bounds(rts)
    return lb, ub


def radial_family(m: int, s: int, rts: str, orientation: str) -> Family:
    """CCR/BCC envelopment LP (input: min θ; output: min −φ). Rows: m inputs, s outputs, [convexity]."""
    nrow = m + s + (rts != "crs")
    lb, ub = _row_bounds(nrow, rts)
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
    nrow = m + s + (rts != "crs")
    lb, ub = _row_bounds(nrow, rts)
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
    nrow = m + s + k + (rts != "crs")
    lb, ub = _row_bounds(nrow, rts)
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
