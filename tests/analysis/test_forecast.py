"""GM(1,1) and the Holt baseline.

Reference (identity, derived in docs/analysis/forecast.md): for a geometric series x⁽⁰⁾(k) = q^k the grey equation
x⁽⁰⁾(k) + a z⁽¹⁾(k) = b holds exactly with a = −2(q − 1)/(q + 1), b = 2q/(q + 1), so least squares must return
these. Second algorithm: the closed-form normal equations of the two-parameter least-squares fit (a, b from sums of
z and x), computed independently below. A textbook worked example with published a, b was not available to us.
"""

from __future__ import annotations

import numpy as np
import pytest

from nqpf.analysis.forecast import forecast, forecast_panel, gm11
from nqpf.errors import MethodError


@pytest.mark.parametrize("q", [1.05, 1.2, 0.9])
def test_geometric_identity(q):
    x = q ** np.arange(1, 9)
    m = gm11(x)
    assert m.a == pytest.approx(-2 * (q - 1) / (q + 1), rel=1e-10)
    assert m.b == pytest.approx(2 * q / (q + 1), rel=1e-10)


def test_normal_equations_second_algorithm():
    x = np.array([2.874, 3.278, 3.337, 3.390, 3.679])
    x1 = np.cumsum(x)
    z = 0.5 * (x1[1:] + x1[:-1])
    y = x[1:]
    n = len(y)
    den = n * np.sum(z * z) - np.sum(z) ** 2
    a = (np.sum(z) * np.sum(y) - n * np.sum(z * y)) / den
    b = (np.sum(y) * np.sum(z * z) - np.sum(z) * np.sum(z * y)) / den
    m = gm11(x)
    assert m.a == pytest.approx(a, rel=1e-10) and m.b == pytest.approx(b, rel=1e-10)
    # fitted values from the time-response function, and the posterior-error ratio by its definition
    k = np.arange(5)
    x1hat = (x[0] - b / a) * np.exp(-a * k) + b / a
    fitted = np.r_[x[0], np.diff(x1hat)]
    np.testing.assert_allclose(m.fitted, fitted, rtol=1e-10)
    e = x[1:] - fitted[1:]
    assert m.C == pytest.approx(e.std() / x.std(), rel=1e-10)
    assert m.P == pytest.approx(np.mean(np.abs(e - e.mean()) < 0.6745 * x.std()))


def test_predict_continues_time_response():
    m = gm11(1.1 ** np.arange(1, 7))
    k = np.arange(5, 9)
    x1 = (m.x0[0] - m.b / m.a) * np.exp(-m.a * k) + m.b / m.a
    np.testing.assert_allclose(m.predict(3), np.diff(x1), rtol=1e-12)


def test_grade_thresholds_and_forecast_frame():
    f = forecast(1.08 ** np.arange(1, 11), np.arange(2011, 2021), steps=3, holdout=2)
    d = f.attrs["diagnostics"]
    assert d["grade"] == "good" and d["C"] < 0.35 and d["P"] == 1.0
    assert list(f[f.kind == "forecast"]["period"]) == [2021, 2022, 2023]
    assert d["gm11_mape"] < 1.0 and np.isfinite(d["holt_mape"])
    noisy = forecast([5, 1, 9, 2, 8, 1, 7], steps=1, holdout=0).attrs["diagnostics"]
    assert noisy["grade"] == "unqualified" and not noisy["ratio_ok"]


def test_refusals():
    with pytest.raises(MethodError, match="at least 4"):
        gm11([1.0, 2.0, 3.0])
    with pytest.raises(MethodError, match="positive"):
        gm11([1.0, 0.0, 2.0, 3.0])
    import pandas as pd

    df = pd.DataFrame(
        {"unit": ["a"] * 5 + ["b"] * 3, "period": [1, 2, 3, 4, 5, 1, 2, 3], "v": np.arange(1.0, 9.0)}
    )
    with pytest.raises(MethodError, match="unit 'b'"):
        forecast_panel(df, "v")
