"""Several technologies in one lock-step simplex, column generation and single-unit VRS starts (issue 19)
against HiGHS, LP by LP (second algorithm).

``_lp.solve_many`` runs the small technologies of a Malmquist call (or any list of (T, points)) in one
lock-step run (``_lp_radial.batch_radial_many``: technologies of different sizes padded with columns no point
may use); radial technologies of ≥ ``CG_MIN`` units are solved by column generation (a candidate set, every
reference unit priced at the end); VRS points start from the best single unit that dominates them, so points
outside the technology (cross-period) are solved too. ``_lp._solve_chunk`` is the HiGHS path alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.productivity import _lp, _lp_radial
from nqpf.productivity.malmquist import malmquist


def _data(n: int, seed: int, m: int = 3, s: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.uniform(1, 100, (n, m))
    Y = (np.prod(X, axis=1) ** (0.5 / m))[:, None] * np.exp(rng.normal(scale=0.3, size=(n, s)))
    return np.hstack([X, Y])


def _panel(U: int, T: int, *, seed: int, start: int, prefix: str) -> pd.DataFrame:
    """Balanced panel ``id, year, x0..x2, y0, y1`` (U units × T years) of the shape of :func:`_data`."""
    Z = _data(U * T, seed)
    df = pd.DataFrame(Z, columns=["x0", "x1", "x2", "y0", "y1"])
    df.insert(0, "year", np.repeat(np.arange(start, start + T), U))
    df.insert(0, "id", np.tile([f"{prefix}{i:02d}" for i in range(U)], T))
    return df


def _highs(fam, T, P):
    return _lp._solve_chunk((fam, T, None, "full", None, P, np.full(len(P), -1)))


def _jobs(fam, sizes, seed):
    """(T, points) per technology: its own units and as many units of another period (cross points)."""
    out = []
    for f, n in enumerate(sizes):
        Z = _data(n, seed + f)
        out.append((_lp.tech_matrix(fam, Z), np.vstack([Z, _data(n, seed + 50 + f)])))
    return out


@pytest.mark.parametrize("rts", ["crs", "vrs"])
@pytest.mark.parametrize("orientation", ["input", "output"])
@pytest.mark.parametrize("sizes", [(31, 31, 31), (45, 100, 31, 60)])
def test_many_technologies_equal_highs(rts, orientation, sizes):
    fam = _lp.radial_family(3, 2, rts, orientation)
    jobs = _jobs(fam, sizes, seed=len(sizes))
    many = _lp_radial.batch_radial_many(fam, [T for T, _ in jobs], [P for _, P in jobs],
                                        [np.full(len(P), -1) for _, P in jobs])
    got = _lp.solve_many(fam, jobs)
    for (T, P), (ok, *_), res in zip(jobs, many, got, strict=True):
        # the batched path carries the work: every CRS point, and under VRS all own units and the cross
        # points a single unit dominates (before single-unit starts, no cross point had a start)
        assert ok[: T.shape[1]].mean() >= 0.9
        if rts == "vrs":
            assert ok[T.shape[1] :].mean() >= 0.3
        ref = _highs(fam, T, P)
        assert res.status == ref.status
        both = np.isfinite(ref.obj)
        np.testing.assert_allclose(res.obj[both], ref.obj[both], rtol=0, atol=1e-9)
        for q in np.flatnonzero(both):  # λ index this technology's own columns and are feasible
            li, lv = res.lam_idx[q], res.lam_val[q]
            assert li.size and li.max() < T.shape[1] and np.all(lv > 0)
            if rts == "vrs":
                assert abs(lv.sum() - 1.0) <= 1e-9


@pytest.mark.parametrize("rts", ["crs", "vrs"])
def test_column_generation_equals_the_full_lockstep(rts, monkeypatch):
    """The same points with column generation (n ≥ CG_MIN) and with every column from the start: equal
    optima (the LP's optimum is unique; only alternative λ may differ)."""
    fam = _lp.radial_family(3, 2, rts, "input")
    Z, P = _data(120, 11), _data(200, 12)
    T = _lp.tech_matrix(fam, Z)
    ex = np.full(len(P), -1)
    cg = _lp._batch_radial(fam, T, P, ex)
    monkeypatch.setattr(_lp_radial, "CG_MIN", 10**9)
    full = _lp._batch_radial(fam, T, P, ex)
    both = cg[0] & full[0]
    assert both.mean() >= (0.9 if rts == "crs" else 0.3)
    np.testing.assert_allclose(cg[1][both], full[1][both], rtol=0, atol=1e-10)


def test_column_generation_prices_out_a_missing_frontier_unit(monkeypatch):
    """Start column generation from a candidate set that lacks the frontier (reference unit 0 alone): the
    pricing must add the frontier units round by round, or leave the points to HiGHS — never a wrong
    optimum."""
    fam = _lp.radial_family(3, 2, "crs", "input")
    Z = _data(80, 21)
    T = _lp.tech_matrix(fam, Z)
    real, calls = _lp_radial._radial_start, []

    def poor_first_set(rw, Tp, P, ex, pad=None):
        B, ok = real(rw, Tp, P, ex, pad)
        if not calls:  # the first call picks the candidate set
            B[:, 1] = 1
        calls.append(len(P))
        return B, ok

    monkeypatch.setattr(_lp_radial, "_radial_start", poor_first_set)
    ok, obj, *_ = _lp._batch_radial(fam, T, Z, np.full(80, -1))
    monkeypatch.undo()
    assert len(calls) >= 3  # the candidate set, then at least two rounds: columns were priced in
    ref = _highs(fam, T, Z)
    assert ok.mean() >= 0.5
    np.testing.assert_allclose(obj[ok], ref.obj[ok], rtol=0, atol=1e-9)


def test_merge_groups_respect_the_cell_budget(monkeypatch):
    monkeypatch.setattr(_lp, "MERGE_CELLS", 1000)
    jobs = [(np.ones((5, 10)), np.ones((40, 5))), (np.ones((5, 10)), np.ones((40, 5))),
            (np.ones((5, 100)), np.ones((40, 5))), (np.ones((5, 10)), np.ones((10, 5)))]
    # cells = points × (n + R + 1): 640, 640, 4,640, 160 — consecutive jobs merge while ≤ 1,000 cells
    assert _lp._merge_groups([0, 1, 2, 3], jobs) == [[0], [1], [2], [3]]
    monkeypatch.setattr(_lp, "MERGE_CELLS", 1300)
    assert _lp._merge_groups([0, 1, 2, 3], jobs) == [[0, 1], [2], [3]]
    monkeypatch.setattr(_lp, "MERGE_CELLS", 10**6)
    assert _lp._merge_groups([0, 1, 3], jobs) == [[0, 1, 3]]


def test_malmquist_merged_equals_column_generation_by_highs():
    """End to end: a 60 × 5 Malmquist with pech/sech (CRS and VRS technologies, all merged) against the
    same index solved by HiGHS with column generation (mode="cg", no lock-step simplex)."""
    df = _panel(60, 5, seed=3, start=2000, prefix="u")
    kw = dict(id="id", period="year", index="malmquist", rts="crs")
    fast = malmquist(df, ["x0", "x1", "x2"], ["y0", "y1"], **kw)
    ref = malmquist(df, ["x0", "x1", "x2"], ["y0", "y1"], mode="cg", **kw)
    num = [c for c in fast.columns if fast[c].dtype.kind == "f"]
    assert {"tfpch", "effch", "techch", "pech", "sech"} <= set(num)
    np.testing.assert_allclose(fast[num].to_numpy(), ref[num].to_numpy(), rtol=0, atol=1e-9)


@pytest.mark.parametrize("model", ["ccr", "bcc"])
def test_dea_periods_in_one_lockstep_equal_highs(model, monkeypatch):
    """``dea(..., period=)``: the first stage of every year in one lock-step run (issue 19), slacks and
    peers after it, against the same frontiers solved by HiGHS with column generation (mode="cg")."""
    from nqpf.productivity.dea import dea

    U, T = 31, 6
    df = _panel(U, T, seed=8, start=2010, prefix="p")
    calls = []
    real = _lp.solve_many
    monkeypatch.setattr(_lp, "solve_many", lambda fam, jobs, **kw: calls.append(len(jobs)) or real(fam, jobs, **kw))
    fast = dea(df, ["x0", "x1", "x2"], ["y0", "y1"], id="id", period="year", model=model)
    assert calls == [T]  # one lock-step run for the six years
    ref = dea(df, ["x0", "x1", "x2"], ["y0", "y1"], id="id", period="year", model=model, mode="cg")
    num = [c for c in fast.columns if c == "efficiency" or c.startswith("slack_")]
    np.testing.assert_allclose(fast[num].to_numpy(), ref[num].to_numpy(), rtol=0, atol=1e-7)
    np.testing.assert_allclose(fast["efficiency"], ref["efficiency"], rtol=0, atol=1e-9)
