"""Convergence. References: the within (FE) estimator against LSDV with unit dummies (statsmodels OLS, second
algorithm); cross-section β recovered exactly from data generated without noise; Phillips & Sul (2007) log t
regression recovered exactly from a panel built so that log(H_1/H_t) − 2 log log t = a + b log t holds; the
clustering algorithm recovers two planted clubs. No published data set with published club memberships was
available to us offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.analysis import convergence as cv
from nqpf.analysis import spatial as sp
from nqpf.errors import DataError, MethodError

RAW = Path(__file__).resolve().parents[2] / "../shared/data/raw"


def _panel(seed=0, n=30, T=12, beta=-0.1):
    rng = np.random.default_rng(seed)
    mu = rng.normal(0, 0.3, n)
    ly = np.zeros((n, T))
    ly[:, 0] = rng.normal(1, 0.5, n)
    for t in range(1, T):
        ly[:, t] = ly[:, t - 1] + mu * 0.1 + beta * (ly[:, t - 1] - 1) + rng.normal(0, 0.05, n)
    return pd.DataFrame(
        [(f"u{i:02d}", 2000 + t, np.exp(ly[i, t])) for i in range(n) for t in range(T)],
        columns=["unit", "period", "y"],
    )


def test_sigma_matches_numpy():
    df = _panel()
    s = cv.sigma(df, "y")
    ref = np.log(df[df.period == 2005].y).std(ddof=0)
    assert s.set_index("period").loc[2005, "sigma_log"] == pytest.approx(ref)
    assert "slope" in s.attrs["trend"]


def test_beta_cross_section_exact():
    ly0 = np.linspace(0.5, 2.5, 10)
    T, beta = 10, -0.02
    lyT = ly0 + T * (0.05 + beta * ly0)
    df = pd.DataFrame(
        {"unit": list(range(10)) * 2, "period": [2000] * 10 + [2010] * 10, "y": np.exp(np.r_[ly0, lyT])}
    )
    r = cv.beta_cross_section(df, "y").iloc[0]
    assert r["beta"] == pytest.approx(beta, rel=1e-10)
    lam = -np.log(1 + beta * T) / T
    assert r["speed"] == pytest.approx(lam) and r["half_life"] == pytest.approx(np.log(2) / lam)


def test_within_equals_lsdv():
    import statsmodels.api as sm

    df = _panel(1)
    for te in (False, True):
        res = cv.beta_panel(df, "y", kind="conditional", time_effects=te)
        d = df.sort_values(["unit", "period"]).assign(ly=lambda x: np.log(x.y))
        d["lag"] = d.groupby("unit")["ly"].shift(1)
        d["g"] = d["ly"] - d["lag"]
        d = d.dropna()
        X = pd.get_dummies(d["unit"], dtype=float)
        if te:
            X = X.join(pd.get_dummies(d["period"], dtype=float, drop_first=True))
        X.insert(0, "lag", d["lag"])
        ref = sm.OLS(d["g"].to_numpy(), X.to_numpy()).fit()
        assert res.set_index("term").loc["ly_lag", "coef"] == pytest.approx(ref.params[0], rel=1e-8)
    assert res["beta"].iloc[0] < 0 and res["half_life"].iloc[0] > 0


def test_spatial_lag_term_and_errors():
    geo = sp.provinces_geo()
    df = _panel(2, n=31)
    df["unit"] = df["unit"].map(dict(zip(sorted(df.unit.unique()), geo["unit"], strict=True)))
    w = sp.contiguity_weights()
    r = cv.beta_panel(df, "y", w=w, spatial_lag=True)
    assert r["term"].tolist() == ["ly_lag", "w_ly_lag"]
    with pytest.raises(MethodError):
        cv.beta_panel(df, "y", spatial_lag=True)
    with pytest.raises(MethodError, match="positive"):
        cv.beta_panel(df.assign(y=df.y - 100), "y")
    with pytest.raises(MethodError, match="no controls"):
        cv.beta_panel(df.assign(x=1.0), "y", kind="absolute", controls=["x"])


def _ps_panel(a=0.1, b=0.6, T=20, N=10, seed=0):
    """Panel with log(H_1/H_t) − 2 log log t = a + b log t exactly (t ≥ 2) and H_1 = 0.04."""
    t = np.arange(1, T + 1, dtype=float)
    H = np.empty(T)
    H[0] = 0.04
    H[1:] = H[0] * np.exp(-a) * t[1:] ** (-b) / np.log(t[1:]) ** 2
    c = np.random.default_rng(seed).normal(size=N)
    c = (c - c.mean()) / c.std()  # mean 0, mean square 1
    h = 1 + c[:, None] * np.sqrt(H)[None, :]
    return h * 5.0  # X = h × any common level


def test_log_t_exact():
    X = _ps_panel()
    r = cv.log_t(X)
    assert r["b"] == pytest.approx(0.6, rel=1e-8)
    assert r["n_obs"] == 20 - 6


def test_clubs_recover_planted_groups():
    rng = np.random.default_rng(3)
    T, n = 30, 8
    t = np.arange(1, T + 1)
    rows = []
    for club, level in ((1, 10.0), (2, 5.0)):
        for i in range(n):
            x = level * (1 + rng.normal(0, 0.3) / t**0.7 + rng.normal(0, 0.002, T))
            rows += [(f"c{club}_{i}", 1990 + k, x[k]) for k in range(T)]
    df = pd.DataFrame(rows, columns=["unit", "period", "x"])
    res = cv.clubs(df, "x", log=False, hp_lambda=None)
    got = res.groupby("club")["unit"].apply(lambda s: sorted(x.split("_")[0] for x in s))
    assert res["club"].nunique() == 2 and (res["club"] > 0).all()
    assert all(len(set(v)) == 1 for v in got)
    assert res.attrs["tests"]["full"]["t"] < -1.65  # the pooled panel does not converge


def test_clubs_errors():
    df = _panel()
    with pytest.raises(MethodError, match="needs"):
        cv.clubs(df[df.period < 2003], "y")
    with pytest.raises(DataError, match="unbalanced"):
        cv.clubs(df.iloc[1:], "y")


def test_real_cao_dai():
    f = RAW / "cao_dai_2025_nqpf/cao_dai_2025_nqpf_province.csv"
    if not f.exists():
        pytest.skip("real data not available")
    d = pd.read_csv(f, dtype={"region_code": str}).rename(columns={"region_code": "unit", "year": "period"})
    s = cv.sigma(d, "nqpf")
    assert s.attrs["trend"]["slope"] > 0  # σ rises 2010–2022 (our figure, see report)
    with pytest.raises(MethodError, match="log=False"):
        cv.clubs(d, "nqpf")  # values around 1 have logs ≤ 0
    res = cv.clubs(d, "nqpf", log=False)
    assert len(res) == 31


def test_sar_recovers_parameters():
    """Data generated from the SAR FE model (ρ = 0.4, β = −0.1) on the 31-province contiguity graph; the ML
    estimates must recover them (T = 200 periods) and the s.e. must cover the truth."""
    w = sp.contiguity_weights()
    M = sp.weights_matrix(w).to_numpy()
    ids = list(sp.weights_matrix(w).index)
    rng = np.random.default_rng(5)
    N, T, rho, beta = 31, 200, 0.4, -0.1
    A = np.linalg.inv(np.eye(N) - rho * M)
    mu = rng.normal(0, 0.05, N)
    ly = np.zeros((N, T + 1))
    ly[:, 0] = rng.normal(1, 0.3, N)
    for t in range(T):
        ly[:, t + 1] = ly[:, t] + A @ (beta * ly[:, t] + mu + rng.normal(0, 0.02, N))
    df = pd.DataFrame(
        [(u, 1800 + t, np.exp(ly[i, t])) for i, u in enumerate(ids) for t in range(T + 1)],
        columns=["unit", "period", "y"],
    )
    r = cv.beta_panel_sar(df, "y", w).set_index("term")
    assert abs(r.loc["rho", "coef"] - rho) < 3 * r.loc["rho", "se"] and r.loc["rho", "se"] < 0.05
    assert abs(r.loc["ly_lag", "coef"] - beta) < 3 * r.loc["ly_lag", "se"] and r.loc["ly_lag", "se"] < 0.01
    assert r.loc["sigma2", "coef"] == pytest.approx(0.02**2, rel=0.1)
