"""Kernel density. References: Silverman (1986, eq. 3.31) and Scott's normal-reference rule computed by hand;
scipy.stats.gaussian_kde with the same bandwidth (second implementation); integral = 1."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import gaussian_kde

from nqpf.analysis.density import bandwidth, kde_over_time
from nqpf.errors import MethodError


def test_bandwidth_rules():
    y = np.random.default_rng(0).lognormal(size=57)
    sd, iqr = y.std(ddof=1), np.subtract(*np.percentile(y, [75, 25]))
    assert bandwidth(y, "silverman") == pytest.approx(0.9 * min(sd, iqr / 1.34) * 57**-0.2)
    assert bandwidth(y, "scott") == pytest.approx(1.06 * sd * 57**-0.2)
    assert bandwidth(y, 0.3) == 0.3


def test_against_scipy_and_integral():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"v": rng.normal(size=80), "period": np.repeat([2020, 2021], 40)})
    res = kde_over_time(df, "v", "period", grid_size=400)
    for per, sub in res.groupby("period"):
        y = df.loc[df.period == per, "v"].to_numpy()
        h = sub["bandwidth"].iloc[0]
        ref = gaussian_kde(y, bw_method=h / y.std(ddof=1))(sub["x"].to_numpy())
        np.testing.assert_allclose(sub["density"].to_numpy(), ref, rtol=1e-8)
        assert np.trapezoid(sub["density"], sub["x"]) == pytest.approx(1.0, abs=2e-3)
    assert res.groupby("period")["x"].apply(tuple).nunique() == 1  # common grid


def test_bad():
    with pytest.raises(MethodError, match="equal"):
        kde_over_time(pd.DataFrame({"v": [1.0, 1.0, 1.0], "period": 1}), "v")
    with pytest.raises(MethodError):
        bandwidth([1.0, 2.0], "rot")
