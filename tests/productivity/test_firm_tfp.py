"""Firm-level TFP: recovery of known elasticities on a simulated panel (tests only; ACF 2015-style DGP).

DGP (documented here, never shipped): value-added Cobb-Douglas y = 1 + 0.6 l + 0.3 k + omega + e, omega AR(1) in two
steps (t-1 -> t-b -> t), labour chosen at t-b from expected omega and an AR(1) wage shock, investment strictly
increasing in omega given k (OP proxy), materials m = 0.2 + omega + 0.5 k (LP/ACF proxy), K_t = 0.9 K_{t-1} + I_{t-1}.
Labour responds to productivity, so OLS over-states beta_l (transmission bias; Marschak & Andrews 1944,
Ackerberg et al. 2015 section 2) — the tests check the direction of that bias and that OP/LP/ACF remove it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.errors import DataError, MethodError
from nqpf.productivity.firm_tfp import firm_tfp

BL, BK = 0.6, 0.3


def simulate(n_firms=1000, n_t=10, seed=0, bl=BL, bk=BK, burn=20):
    """Simulated firm panel (tests only); see the module docstring for the DGP."""
    rng = np.random.default_rng(seed)
    n_years = n_t + burn
    r1, r2, s1, s2 = 0.85, 0.85, 0.15, 0.12
    shape = (n_firms, n_years)
    om, omb, cap, wage, inv = (np.zeros(shape) for _ in range(5))
    om[:, 0] = rng.normal(0, 0.25, n_firms)
    omb[:, 0] = om[:, 0]
    cap[:, 0] = np.exp(rng.normal(3, 0.5, n_firms))
    wage[:, 0] = rng.normal(0, 0.3, n_firms)
    for t in range(n_years):
        if t > 0:
            omb[:, t] = r1 * om[:, t - 1] + rng.normal(0, s1, n_firms)  # omega at t-b, when labour is chosen
            om[:, t] = r2 * omb[:, t] + rng.normal(0, s2, n_firms)
            cap[:, t] = 0.9 * cap[:, t - 1] + inv[:, t - 1]
            wage[:, t] = 0.6 * wage[:, t - 1] + rng.normal(0, 0.25, n_firms)
        kt = np.log(cap[:, t])
        inv[:, t] = np.exp(
            -1.0 + 0.8 * kt + 1.5 * om[:, t] + 0.2 * om[:, t] ** 3
        )  # strictly increasing in omega
    k = np.log(cap)
    b0 = 1.0
    lab = (np.log(bl) + b0 + r2 * omb + bk * k - wage) / (1 - bl)  # static labour demand at t-b
    mat = 0.2 + 1.0 * om + 0.5 * k
    y = b0 + bl * lab + bk * k + om + rng.normal(0, 0.1, shape)
    keep = slice(burn, n_years)
    return pd.DataFrame(
        {
            "firm": np.repeat(np.arange(n_firms), n_t),
            "year": 2000 + np.tile(np.arange(n_t), n_firms),
            "va": np.exp(y[:, keep]).ravel(),
            "k": cap[:, keep].ravel(),
            "l": np.exp(lab[:, keep]).ravel(),
            "inv": inv[:, keep].ravel(),
            "m": np.exp(mat[:, keep]).ravel(),
        }
    )


@pytest.fixture(scope="module")
def panel():
    return simulate(n_firms=1000, n_t=10, seed=0, bl=BL, bk=BK)


def _est(d, method, proxy=None, **kw):
    r = firm_tfp(
        d, output="va", capital="k", labour="l", unit="firm", period="year", method=method, proxy=proxy, **kw
    )
    return dict(zip(r.params["name"], r.params["estimate"], strict=True)), r


def test_ols_biased_upward_on_labour(panel):
    est, _ = _est(panel, "ols")
    assert est["beta_l"] > BL + 0.08  # transmission bias: l rises with omega


@pytest.mark.parametrize("method,proxy", [("op", "inv"), ("lp", "m"), ("acf", "m")])
def test_control_function_recovers_elasticities(panel, method, proxy):
    est, r = _est(panel, method, proxy)
    # tolerance 0.05: about 3 Monte Carlo standard deviations at 10,000 observations (seeds 0-2 give |error| <= 0.02)
    assert est["beta_l"] == pytest.approx(BL, abs=0.05)
    assert est["beta_k"] == pytest.approx(BK, abs=0.05)
    assert len(r.tfp) == len(panel)
    assert r.manifest["method"] == method


def test_ln_tfp_identity(panel):
    est, r = _est(panel, "lp", "m")
    d = panel.sort_values(["firm", "year"]).reset_index(drop=True)
    manual = np.log(d["va"]) - est["beta_l"] * np.log(d["l"]) - est["beta_k"] * np.log(d["k"])
    np.testing.assert_allclose(r.tfp["ln_tfp"].to_numpy(), manual.to_numpy(), atol=1e-12)


def test_fe_equals_dummy_regression():
    d = simulate(n_firms=40, n_t=5, seed=4)
    est, _ = _est(d, "fe")
    X = pd.get_dummies(d["firm"]).astype(float)
    X["l"], X["k"] = np.log(d["l"]), np.log(d["k"])
    b, *_ = np.linalg.lstsq(X.to_numpy(), np.log(d["va"]).to_numpy(), rcond=None)
    assert est["beta_l"] == pytest.approx(b[-2], abs=1e-10)
    assert est["beta_k"] == pytest.approx(b[-1], abs=1e-10)


def test_bootstrap_reproducible():
    d = simulate(n_firms=150, n_t=6, seed=5)
    _, r1 = _est(d, "lp", "m", bootstrap=5, seed=1)
    _, r2 = _est(d, "lp", "m", bootstrap=5, seed=1)
    assert r1.params["std_error"].notna().all()
    pd.testing.assert_frame_equal(r1.params, r2.params)


def test_bad_input():
    d = simulate(n_firms=20, n_t=4, seed=6)
    with pytest.raises(MethodError, match="proxy"):
        _est(d, "op")
    d.loc[3, "inv"] = 0.0
    with pytest.raises(DataError, match="inv"):
        _est(d, "op", "inv")
    with pytest.raises(MethodError, match="seed"):
        _est(simulate(n_firms=20, n_t=4, seed=6), "ols", bootstrap=3)


def test_cli_firm(tmp_path):
    from typer.testing import CliRunner

    import nqpf.cli.main as main

    main.register_commands()
    f = tmp_path / "firms.csv"
    simulate(n_firms=200, n_t=6, seed=8).to_csv(f, index=False)
    out = tmp_path / "tfp.csv"
    r = CliRunner().invoke(
        main.app,
        [
            "tfp",
            "firm",
            "--data",
            str(f),
            "--id",
            "firm",
            "--period",
            "year",
            "--output",
            "va",
            "--capital",
            "k",
            "--labour",
            "l",
            "--method",
            "lp",
            "--proxy",
            "m",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert list(pd.read_csv(out).columns) == ["firm", "year", "ln_tfp"]  # the --id/--period names are kept
    p = pd.read_csv(tmp_path / "tfp_params.csv").set_index("name")
    assert p.loc["beta_l", "estimate"] == pytest.approx(BL, abs=0.08)
    r = CliRunner().invoke(
        main.app,
        [
            "tfp",
            "firm",
            "--data",
            str(f),
            "--id",
            "firm",
            "--period",
            "year",
            "--output",
            "va",
            "--capital",
            "k",
            "--labour",
            "l",
            "--method",
            "op",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code != 0  # op without a proxy: MethodError
