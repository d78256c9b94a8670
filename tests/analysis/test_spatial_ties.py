"""Conditional-permutation pseudo p-values with ties (LISA and Getis–Ord G*).

The folded pseudo p-value is p = (min(#{s_r ≥ o}, #{s_r ≤ o}) + 1) / (R + 1) over R conditional permutations
(Hope 1968; Anselin 1995), a simulated value equal to the observed one counting as at least as extreme in
either tail. With one neighbour (Hainan, linked to Guangdong only) the simulated lag takes just the n − 1 = 30
other values, one of them Guangdong's own, so the permutation distribution is discrete and the exact p-value
is an enumeration: p* = min(#{k ≠ i: s_k ≥ o}, #{k ≠ i: s_k ≤ o}) / (n − 1). The estimate must lie within
Monte Carlo error of p* (binomial s.e. sqrt(p*(1 − p*)/R)). Before the fix ties counted only in the upper
tail (min(#{s ≥ o}, R − #{s ≥ o}), esda's "directed" rule), whose limit here is 5/30, not p* = 6/30: the old
code gave 0.1641 for both statistics (R = 9999, seed 1).

Second implementation: esda.Moran_Local (its own draws and lags). esda 2.8.2 folds its p_sim with the
directed rule too, so where a tie is exact in floating point its Hainan p_sim drops the tie (0.1645 on the
data below); Hainan is therefore compared with esda's kept simulations folded with ties counted, the other
units with esda's p_sim itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.analysis import spatial as sp

HAINAN, GUANGDONG = "460000", "440000"
R = 9999


def _one_neighbour_case() -> pd.DataFrame:
    """31 provinces; Hainan the largest value, Guangdong (its only neighbour) the 6th smallest of the others.

    Then Hainan's local Moran z_h·z_g/m2 is in the lower tail and exactly 6 of the 30 possible lags
    (Guangdong's included) are ≤ the observed one: p* = 6/30."""
    geo = sp.provinces_geo()
    units = list(geo["unit"])
    h, g = units.index(HAINAN), units.index(GUANGDONG)
    v = geo["lon"].to_numpy() / 10 + np.random.default_rng(0).normal(0, 0.5, len(geo))
    sixth = sorted((k for k in range(len(v)) if k != h), key=lambda k: v[k])[5]
    v[g], v[sixth] = v[sixth], v[g]
    v[h] = v.max() + 1.0
    return pd.DataFrame({"unit": units, "period": 2020, "v": v})


def _exact_one_neighbour(sims: np.ndarray, obs: float) -> float:
    """Exact folded p over the n − 1 equally likely neighbour values (ties in both tails)."""
    return min((sims >= obs).sum(), (sims <= obs).sum()) / len(sims)


def _band(p: float, r: int = R) -> float:
    return 4 * np.sqrt(p * (1 - p) / r)


def test_lisa_one_neighbour_matches_exact_enumeration():
    df = _one_neighbour_case()
    w = sp.contiguity_weights()
    assert list(w.neighbors[HAINAN]) == [GUANGDONG]
    v = df.set_index("unit")["v"]
    z = v - v.mean()
    others = z.drop(HAINAN).to_numpy()
    exact = _exact_one_neighbour(z[HAINAN] * others, z[HAINAN] * z[GUANGDONG])
    assert exact == pytest.approx(6 / 30)
    p = sp.lisa(df, "v", w, permutations=R, seed=1).set_index("unit").loc[HAINAN, "p_sim"]
    assert abs(p - exact) < _band(exact), (p, exact)
    # the tie-dropping rule converges to 5/30 (0.1641 here before the fix): the estimate rules it out
    assert abs(p - 5 / 30) > _band(5 / 30)


def test_gstar_one_neighbour_matches_exact_enumeration():
    df = _one_neighbour_case()
    df["v"] = df["v"] - df["v"].min() + 1.0  # G* needs y ≥ 0
    w = sp.contiguity_weights()
    y = df.set_index("unit")["v"]
    # w*: Hainan's own value and Guangdong's, 1/2 each; the simulated G* differ only in the neighbour value
    exact = _exact_one_neighbour(y.drop(HAINAN).to_numpy(), y[GUANGDONG])
    assert exact == pytest.approx(6 / 30)
    p = sp.hotspots(df, "v", w, permutations=R, seed=1).set_index("unit").loc[HAINAN, "p_sim"]
    assert abs(p - exact) < _band(exact), (p, exact)
    assert abs(p - 5 / 30) > _band(5 / 30)


def test_degenerate_unit_at_the_mean_is_not_significant():
    """z_i = 0 ⇒ every simulated I_i equals the observed 0: p = 1 (the old rule gave 1/(R + 1))."""
    geo = sp.provinces_geo()
    v = np.arange(len(geo), dtype="float64") - len(geo) // 2  # −15 … 15: the middle unit is the mean, exactly
    mid = len(v) // 2
    assert v[mid] == 0.0 and v.mean() == 0.0
    df = pd.DataFrame({"unit": geo["unit"], "period": 2020, "v": v})
    r = sp.lisa(df, "v", sp.contiguity_weights(), permutations=199, seed=3)
    assert r["Ii"].iloc[mid] == 0.0
    assert r["p_sim"].iloc[mid] == 1.0
    assert r["cluster"].iloc[mid] == "ns"


def test_tie_rule_is_seeded_and_deterministic():
    df = _one_neighbour_case()
    w = sp.contiguity_weights()
    a = sp.lisa(df, "v", w, permutations=499, seed=5)
    b = sp.lisa(df, "v", w, permutations=499, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a["p_sim"], sp.lisa(df, "v", w, permutations=499, seed=6)["p_sim"])


@pytest.mark.slow
def test_lisa_pvalues_agree_with_esda_within_monte_carlo_error():
    """esda.Moran_Local (numba; the first call compiles, hence slow), R = 9999 each, independent draws."""
    import esda

    df = _one_neighbour_case()
    w = sp.contiguity_weights()
    ids = [str(i) for i in w.id_order]
    assert list(df["unit"]) == ids
    ours = sp.lisa(df, "v", w, permutations=R, seed=1)["p_sim"].to_numpy()
    ref = esda.Moran_Local(df["v"].to_numpy(), w, permutations=R, seed=1, n_jobs=1)
    h = ids.index(HAINAN)
    # Hainan: esda's own simulations, folded with ties counted (relative 1e-10, as in nqpf)
    s, obs = ref.sim[:, h], ref.Is[h]
    tol = 1e-10 * max(abs(obs), np.abs(s).max())
    p_esda_ties = (min((s >= obs - tol).sum(), (s <= obs + tol).sum()) + 1) / (R + 1)
    assert abs(p_esda_ties - 6 / 30) < _band(6 / 30)  # esda's draws reproduce the exact value too
    # two independent estimates: s.e. of the difference sqrt(2 p(1 − p)/R)
    assert abs(ours[h] - p_esda_ties) < 4 * np.sqrt(2 * p_esda_ties * (1 - p_esda_ties) / R)
    others = np.arange(len(ids)) != h
    p = ref.p_sim[others]
    tol_mc = 4 * np.sqrt(2 * p * (1 - p) / R) + 2 / R
    assert (np.abs(ours[others] - p) < tol_mc).all(), np.abs(ours[others] - p).max()
