"""Issue 15 item 4: clustered-SE degrees of freedom of the FE β-convergence regression as a documented option
(``beta_panel(..., se_dof=...)``), against linearmodels 7.1 (stored by ``data/convergence_se/run_linearmodels.py``)
and an independent least-squares-dummy-variable computation for the Stata and statsmodels formulas."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.analysis.convergence import beta_panel
from nqpf.errors import MethodError

DATA = Path(__file__).parent / "data" / "convergence_se"


@pytest.fixture(scope="module")
def panel():
    return pd.read_csv(DATA / "panel.csv")


def _bp(panel, te, conv):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return beta_panel(panel, "y", kind="conditional", time_effects=te, se_dof=conv).iloc[0]


def _lsdv(panel, te):
    """β and its raw cluster sandwich from the regression with explicit unit and time dummies (no FWL)."""
    d = panel.sort_values(["unit", "period"]).copy()
    d["ly"] = np.log(d["y"])
    d["ly_lag"] = d.groupby("unit")["ly"].shift(1)
    d["g"] = d["ly"] - d["ly_lag"]
    d = d.dropna()
    U = pd.get_dummies(d["unit"], dtype=float).to_numpy()
    cols = [d[["ly_lag"]].to_numpy(), U]
    if te:
        cols.append(pd.get_dummies(d["period"], dtype=float).to_numpy()[:, 1:])
    X = np.hstack(cols)
    y = d["g"].to_numpy()
    XtX_inv = np.linalg.pinv(X.T @ X)
    b = XtX_inv @ X.T @ y
    e = y - X @ b
    meat = np.zeros((X.shape[1], X.shape[1]))
    for u in d["unit"].unique():
        s = X[(d["unit"] == u).to_numpy()].T @ e[(d["unit"] == u).to_numpy()]
        meat += np.outer(s, s)
    V = XtX_inv @ meat @ XtX_inv
    return b[0], V[0, 0], len(y), d["unit"].nunique(), d["period"].nunique()


@pytest.mark.parametrize("te", [False, True])
def test_linearmodels_convention_reproduces_linearmodels(panel, te):
    ref = pd.read_csv(DATA / "linearmodels.csv").set_index("time_effects").loc[te]
    r = _bp(panel, te, "linearmodels")
    assert r["coef"] == pytest.approx(float(ref["coef"]), rel=1e-12)
    assert r["se"] == pytest.approx(float(ref["se"]), rel=1e-12)


@pytest.mark.parametrize("te", [False, True])
def test_stata_and_statsmodels_factors_on_the_dummy_variable_regression(panel, te):
    b, v_raw, n, g, t = _lsdv(panel, te)
    k = 1
    stata = g / (g - 1) * (n - 1) / (n - k - 1 - (t - 1 if te else 0))  # constant + time dummies counted
    smod = g / (g - 1) * (n - 1) / (n - k)
    for conv, c in (("stata", stata), ("statsmodels", smod)):
        r = _bp(panel, te, conv)
        assert r["coef"] == pytest.approx(b, rel=1e-10)
        assert r["se"] == pytest.approx(np.sqrt(v_raw * c), rel=1e-9), conv
    # two-way: counting the time dummies matters (Stata > statsmodels by > 1 %)
    ratio = _bp(panel, te, "stata")["se"] / _bp(panel, te, "statsmodels")["se"]
    assert ratio == pytest.approx(np.sqrt(stata / smod), rel=1e-12)
    assert (ratio > 1.01) == te


def test_default_is_unchanged_and_bad_convention_is_refused(panel):
    import statsmodels.api as sm

    r = beta_panel(panel, "y", kind="absolute").set_index("term")  # default = statsmodels' own correction
    d = panel.sort_values(["unit", "period"]).copy()
    d["ly"] = np.log(d["y"])
    d["ly_lag"] = d.groupby("unit")["ly"].shift(1)
    d = d.assign(g=d["ly"] - d["ly_lag"]).dropna()
    fit = sm.OLS(d["g"].to_numpy(), sm.add_constant(d[["ly_lag"]].to_numpy())).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d["unit"])[0]})
    assert r.loc["ly_lag", "se"] == pytest.approx(fit.bse[1], rel=1e-12)
    assert r.loc["ly_lag", "p_value"] == pytest.approx(fit.pvalues[1], rel=1e-9)
    with pytest.raises(MethodError, match="se_dof must be one of"):
        beta_panel(panel, "y", se_dof="sas")
