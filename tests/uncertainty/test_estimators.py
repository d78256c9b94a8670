"""Saltelli (2010) first-order and Jansen (1999) total-order estimators against analytic indices and SALib."""

from __future__ import annotations

import numpy as np
import pytest

from nqpf.errors import MethodError
from nqpf.uncertainty.estimators import (
    MIN_BASE_SAMPLES,
    bootstrap_sobol,
    sensitivity_table,
    sobol_indices,
)
from nqpf.uncertainty.sampling import saltelli_design

A_ISH, B_ISH = 7.0, 0.1


def ishigami(u: np.ndarray, a: float = A_ISH, b: float = B_ISH) -> np.ndarray:
    """Ishigami & Homma (1990): f = sin x1 + a sin² x2 + b x3⁴ sin x1, x_i ~ U(−π, π)."""
    x = -np.pi + 2.0 * np.pi * u
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_analytic(a: float = A_ISH, b: float = B_ISH) -> tuple[np.ndarray, np.ndarray]:
    """Analytic indices: V = a²/8 + bπ⁴/5 + b²π⁸/18 + 1/2, V1 = (1 + bπ⁴/5)²/2, V2 = a²/8, V3 = 0,
    V13 = b²π⁸(1/18 − 1/50) (Ishigami & Homma 1990; the standard closed forms, e.g. Sobol' & Levitan 1999)."""
    pi = np.pi
    V = a**2 / 8 + b * pi**4 / 5 + b**2 * pi**8 / 18 + 0.5
    V1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    V2 = a**2 / 8
    V13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    S = np.array([V1, V2, 0.0]) / V
    ST = np.array([V1 + V13, V2, V13]) / V
    return S, ST


def gfunction(u: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Sobol' g-function: Π (|4u_i − 2| + a_i)/(1 + a_i), u_i ~ U(0, 1)."""
    return np.prod((np.abs(4.0 * u - 2.0) + a) / (1.0 + a), axis=1)


def gfunction_analytic(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """V_i = 1/(3(1 + a_i)²), V = Π(1 + V_i) − 1, S_i = V_i/V, ST_i = V_i Π_{j≠i}(1 + V_j)/V."""
    Vi = 1.0 / (3.0 * (1.0 + a) ** 2)
    V = np.prod(1.0 + Vi) - 1.0
    VT = np.array([Vi[i] * np.prod(np.delete(1.0 + Vi, i)) for i in range(len(a))])
    return Vi / V, VT / V


def test_ishigami_analytic_matches_published_values():
    # Reference values quoted in issue 6 for a = 7, b = 0.1 (rounded to 4 decimals):
    S, ST = ishigami_analytic()
    np.testing.assert_allclose(S, [0.3139, 0.4424, 0.0], atol=5e-5)
    np.testing.assert_allclose(ST, [0.5576, 0.4424, 0.2437], atol=5e-5)


def test_ishigami_estimates_within_tolerance():
    S, ST = ishigami_analytic()
    d = saltelli_design(2**14, 3, seed=0)
    yA, yB, yAB = d.split(ishigami(d.matrix()))
    est = sobol_indices(yA, yB, yAB)
    # stated tolerance: 0.01 absolute at n = 2^14 (observed errors ≤ 0.003 for seeds 0–2)
    np.testing.assert_allclose(est["S1"], S, atol=0.01)
    np.testing.assert_allclose(est["ST"], ST, atol=0.01)
    ci = bootstrap_sobol(yA, yB, yAB, n_boot=300, seed=1)
    assert np.all(ci["S1_low"] <= S) and np.all(S <= ci["S1_high"])
    assert np.all(ci["ST_low"] <= ST) and np.all(ST <= ci["ST_high"])
    # intervals are informative (not the whole range)
    assert np.all(ci["ST_high"] - ci["ST_low"] < 0.05)


def test_gfunction_estimates_within_tolerance():
    a = np.array([0.0, 1.0, 4.5, 9.0, 99.0, 99.0])
    S, ST = gfunction_analytic(a)
    assert S.sum() < 1.0 < ST.sum()  # interactions present
    d = saltelli_design(2**13, len(a), seed=3)
    est = sobol_indices(*d.split(gfunction(d.matrix(), a)))
    # stated tolerance: 0.02 absolute at n = 2^13
    np.testing.assert_allclose(est["S1"], S, atol=0.02)
    np.testing.assert_allclose(est["ST"], ST, atol=0.02)


def test_matches_salib_on_the_same_sample():
    from SALib.analyze import sobol as salib_sobol
    from SALib.sample import sobol as salib_sample

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[0.0, 1.0]] * 3}
    X = salib_sample.sample(problem, 1024, calc_second_order=False, seed=11)
    Y = ishigami(X)
    ref = salib_sobol.analyze(problem, Y, calc_second_order=False, num_resamples=10, seed=1)
    D, n = 3, 1024
    step = D + 2  # SALib row layout per base sample: A, AB_1..AB_D, B
    yA, yB = Y[0::step], Y[step - 1::step]
    yAB = np.stack([Y[j + 1::step] for j in range(D)])
    assert yA.shape == (n,)
    est = sobol_indices(yA, yB, yAB)
    np.testing.assert_allclose(est["S1"], ref["S1"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(est["ST"], ref["ST"], rtol=0, atol=1e-10)


def test_noninfluential_factor_is_exactly_zero_and_vector_outputs():
    d = saltelli_design(256, 3, seed=5)
    U = d.matrix()
    # two outputs; factor 3 never enters either
    Y = np.stack([U[:, 0] + 2 * U[:, 1] ** 2, np.floor(4 * U[:, 0]) * U[:, 1]], axis=1)
    est = sobol_indices(*d.split(Y))
    assert est["S1"].shape == (3, 2)
    assert np.all(est["S1"][2] == 0.0) and np.all(est["ST"][2] == 0.0)
    # each column equals the scalar computation
    for j in range(2):
        one = sobol_indices(*d.split(Y[:, j]))
        np.testing.assert_allclose(est["S1"][:, j], one["S1"], atol=1e-14)
        np.testing.assert_allclose(est["ST"][:, j], one["ST"], atol=1e-14)


def test_constant_output_is_flagged_and_zero():
    d = saltelli_design(64, 2, seed=0)
    est = sobol_indices(*d.split(np.full(d.n_runs, 3.0)))
    assert est["constant"] and np.all(est["S1"] == 0) and np.all(est["ST"] == 0)


def test_too_few_samples_names_the_minimum():
    d = saltelli_design(8, 2, seed=0)
    with pytest.raises(MethodError, match=f"minimum is {MIN_BASE_SAMPLES}"):
        sobol_indices(*d.split(d.matrix()[:, 0]))


def test_bootstrap_is_seeded_and_chunking_does_not_change_it():
    d = saltelli_design(128, 3, seed=2)
    y = d.split(ishigami(d.matrix()))
    a = bootstrap_sobol(*y, n_boot=100, seed=4)
    b = bootstrap_sobol(*y, n_boot=100, seed=4, max_bytes=50_000)  # many small chunks
    c = bootstrap_sobol(*y, n_boot=100, seed=5)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=0, atol=1e-12)
    assert not np.allclose(a["S1_low"], c["S1_low"])
    # second algorithm: explicit resampling of rows for the first 3 resamples gives the same estimates
    rng = np.random.default_rng(4)
    idx = rng.integers(0, d.n, size=(100, d.n))
    yA, yB, yAB = y
    s1 = np.array([sobol_indices(yA[i], yB[i], yAB[:, i])["S1"] for i in idx])
    lo, hi = np.quantile(s1, [0.025, 0.975], axis=0)
    np.testing.assert_allclose(a["S1_low"], lo, atol=1e-12)
    np.testing.assert_allclose(a["S1_high"], hi, atol=1e-12)


def test_sensitivity_table_columns():
    d = saltelli_design(64, 3, seed=0)
    tab = sensitivity_table(*d.split(ishigami(d.matrix())), ["x1", "x2", "x3"], n_boot=50, seed=0)
    assert list(tab.columns) == ["factor", "first_order", "total_order", "first_order_ci_low",
                                 "first_order_ci_high", "total_order_ci_low", "total_order_ci_high"]
    assert (tab["first_order_ci_low"] <= tab["first_order_ci_high"]).all()
