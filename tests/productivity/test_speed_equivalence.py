"""The batched simplex for small radial DEA families (issue 19) against HiGHS, LP by LP (second algorithm).

``_lp.solve_points`` sends small CRS/VRS radial families to ``_lp._batch_radial`` (lock-step revised simplex
with a per-point optimality certificate) and the rest to HiGHS; ``_lp._solve_chunk`` is the HiGHS path alone.
Objectives must agree to 1e-9, statuses exactly, and the λ returned must reproduce the LP's binding rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from nqpf.productivity import _lp


def _data(n: int, seed: int, m: int = 3, s: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.uniform(1, 100, (n, m))
    Y = (np.prod(X, axis=1) ** (0.5 / m))[:, None] * np.exp(rng.normal(scale=0.3, size=(n, s)))
    return np.hstack([X, Y])


def _highs(fam, T, P, ex):
    return _lp._solve_chunk((fam, T, None, "full", None, P, ex))


@pytest.mark.parametrize("rts", ["crs", "vrs"])
@pytest.mark.parametrize("orientation", ["input", "output"])
@pytest.mark.parametrize(
    ("n", "seed", "cross"), [(31, 1, False), (31, 2, True), (100, 3, False), (100, 4, True)]
)
def test_batched_equals_highs(rts, orientation, n, seed, cross):
    m, s = 3, 2
    Z = _data(n, seed)
    P = _data(n, seed + 100) if cross else Z  # cross: points from another "period" (VRS: some infeasible)
    fam = _lp.radial_family(m, s, rts, orientation)
    T = _lp.tech_matrix(fam, Z)
    ex = np.full(n, -1)
    assert _lp._batchable(fam, T, P, None)
    ok = _lp._batch_radial(fam, T, P, ex)[0]
    if not (cross and rts == "vrs"):  # the batched path must really carry the work (no silent fallback)
        assert ok.mean() >= 0.9
    got = _lp.solve_points(fam, T, P, ex, mode="full")
    ref = _highs(fam, T, P, ex)
    assert got.status == ref.status
    both = np.isfinite(ref.obj)
    np.testing.assert_allclose(got.obj[both], ref.obj[both], rtol=0, atol=1e-9)
    for q in np.flatnonzero(both):  # λ reproduce θ x / φ y bounds: X λ ≤ θ x, Y λ ≥ y (input) etc.
        li, lv = got.lam_idx[q], got.lam_val[q]
        proj = lv @ Z[li]
        v = got.extra[q, 0]
        if orientation == "input":
            assert np.all(proj[:m] <= v * P[q, :m] + 1e-9) and np.all(proj[m:] >= P[q, m:] - 1e-9)
        else:
            assert np.all(proj[:m] <= P[q, :m] + 1e-9) and np.all(proj[m:] >= v * P[q, m:] - 1e-9)
        if rts == "vrs":
            assert abs(lv.sum() - 1.0) <= 1e-9


@pytest.mark.parametrize("rts", ["crs", "vrs"])
def test_batched_super_efficiency_exclusion(rts):
    """Excluding the evaluated unit (super-efficiency): the batched path never uses the excluded column."""
    Z = _data(40, 7)
    fam = _lp.radial_family(3, 2, rts, "input")
    T = _lp.tech_matrix(fam, Z)
    ex = np.arange(40)
    got = _lp.solve_points(fam, T, Z, ex, mode="full")
    ref = _highs(fam, T, Z, ex)
    assert got.status == ref.status
    both = np.isfinite(ref.obj)
    np.testing.assert_allclose(got.obj[both], ref.obj[both], rtol=0, atol=1e-9)
    assert all(q not in got.lam_idx[q] for q in range(40))
    assert np.nanmax(got.obj) > 1.0  # super-efficient units exist: the exclusion was binding


def test_batched_not_used_for_zero_data_or_other_families():
    Z = _data(20, 9)
    fam = _lp.radial_family(3, 2, "crs", "input")
    Z0 = Z.copy()
    Z0[3, 1] = 0.0
    assert not _lp._batchable(fam, _lp.tech_matrix(fam, Z0), Z0, None)
    assert not _lp._batchable(fam, _lp.tech_matrix(fam, Z), Z[:4], None)  # too few points
    nirs = _lp.radial_family(3, 2, "nirs", "input")
    assert not _lp._batchable(nirs, _lp.tech_matrix(nirs, Z), Z, None)


@pytest.mark.parametrize("rts", ["crs", "vrs"])
@pytest.mark.parametrize("weak", [True, False])
def test_batched_ddf_equals_highs(rts, weak):
    """Directional distance (GML/ML family) with two bad outputs, direction g = the point (proportional)."""
    rng = np.random.default_rng(11)
    Z = _data(60, 12, m=3, s=1)
    B = Z[:, 3:4] * rng.uniform(0.5, 1.5, (60, 2))
    Z = np.hstack([Z, B])
    fam = _lp.ddf_family(3, 1, 2, rts, weak=weak)
    T = _lp.tech_matrix(fam, Z)
    P = np.hstack([Z, Z])
    ex = np.full(60, -1)
    assert _lp._batchable(fam, T, P, None)
    assert _lp._batch_radial(fam, T, P, ex)[0].mean() >= 0.9
    got = _lp.solve_points(fam, T, P, ex, mode="full")
    ref = _highs(fam, T, P, ex)
    assert got.status == ref.status
    np.testing.assert_allclose(got.obj, ref.obj, rtol=0, atol=1e-9)
    assert np.all(got.obj <= 1e-12) and np.any(got.obj < -1e-3)  # β ≥ 0 everywhere, > 0 for some units


def test_batched_slack_stage_equals_highs_dea():
    """Second stage (max Σ slacks): dea() results through the batched path equal the HiGHS-only path."""
    import pandas as pd

    from nqpf.productivity import dea

    Z = _data(40, 21)
    df = pd.DataFrame(Z, columns=["x0", "x1", "x2", "y0", "y1"]).assign(id=[f"u{i}" for i in range(40)])
    fast = dea(df, ["x0", "x1", "x2"], ["y0", "y1"], id="id", model="bcc")
    orig = _lp.BATCH_MIN
    try:
        _lp.BATCH_MIN = 10**9  # disable the batched path
        slow = dea(df, ["x0", "x1", "x2"], ["y0", "y1"], id="id", model="bcc")
    finally:
        _lp.BATCH_MIN = orig
    for c in ["efficiency"] + [c for c in fast.columns if c.startswith("slack_")]:
        np.testing.assert_allclose(fast[c].to_numpy(float), slow[c].to_numpy(float), rtol=0, atol=1e-9)
    assert (fast.filter(like="slack_").to_numpy(float) > 1e-6).any()  # some slacks are non-zero


@pytest.mark.parametrize("rts", ["crs", "vrs"])
@pytest.mark.parametrize("orientation", ["input", "output"])
def test_batch_slack_certifies_and_matches_highs_objective(rts, orientation):
    """The batched second stage carries the work and reaches HiGHS' optimum of max Σ slacks."""
    Z = _data(50, 31)
    Z = Z / Z.mean(axis=0)
    fam = _lp.radial_family(3, 2, rts, orientation)
    T = _lp.tech_matrix(fam, Z)
    r1 = _lp.solve_points(fam, T, Z, mode="full")
    val = r1.obj if orientation == "input" else -r1.obj
    cost = Z[:, :3].sum(1) - Z[:, 3:].sum(1)
    ok, li, lv = _lp.batch_slack(fam, T, Z, val, cost, r1.lam_idx, r1.lam_val)
    assert ok.mean() >= 0.9
    sf = _lp.slack_family(3, 2, rts)
    P = Z.copy()
    if orientation == "input":
        P[:, :3] *= val[:, None]
    else:
        P[:, 3:] *= val[:, None]
    ref = _lp._solve_chunk((sf, T, cost, "full", None, P, np.full(50, -1)))
    for q in np.flatnonzero(ok):
        np.testing.assert_allclose(lv[q] @ cost[li[q]], ref.obj[q], rtol=0, atol=1e-9)
