"""Fixed-cost reductions for small panels (issue: Malmquist 100 × 10) must not change any result or message."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from nqpf.errors import DataError
from nqpf.productivity.dea import check_data, dea
from nqpf.productivity.malmquist import malmquist


def _frame(vals) -> pd.DataFrame:
    return pd.DataFrame(
        {"id": [f"u{i}" for i in range(len(vals))], "x": vals, "y": np.arange(1.0, len(vals) + 1)}
    )


@pytest.mark.parametrize(
    "vals",
    [
        [1.0, np.nan, 3.0],
        [1.0, np.inf, 3.0],
        [1.0, -2.0, 3.0],
        [1, -2, 3],
        [1.0, 0.0, 3.0],
    ],
)
def test_check_data_numeric_fast_path_same_errors(vals):
    """A float/int column takes an array fast path; failures still raise the message of the general path."""
    kw = dict(strictly_positive=["x"], nonnegative=["x", "y"], context="T")
    with pytest.raises(DataError) as fast:
        check_data(_frame(vals), ["x", "y"], "id", **kw)
    obj = _frame(vals).astype({"x": object})  # object dtype: the general (pd.to_numeric) path
    with pytest.raises(DataError) as slow:
        check_data(obj, ["x", "y"], "id", **kw)
    assert str(fast.value) == str(slow.value)


def test_check_data_constant_warning_same_text():
    df = _frame([2.0, 2.0, 2.0])
    assert check_data(df, ["x", "y"], "id", nonnegative=["x", "y"]) == check_data(
        df.astype({"x": object}), ["x", "y"], "id", nonnegative=["x", "y"]
    )
    assert check_data(_frame([1.0, 2.0, 3.0]), ["x", "y"], "id") == []


def _panel(U: int, T: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.uniform(1, 100, (U * T, 2))
    y = np.sqrt(X.prod(1)) ** 0.5 * np.exp(rng.normal(scale=0.2, size=U * T))
    return pd.DataFrame(
        {
            "id": np.tile([f"p{i:02d}" for i in range(U)], T),
            "year": np.repeat(np.arange(2000, 2000 + T), U),
            "x0": X[:, 0],
            "x1": X[:, 1],
            "y": y,
        }
    )


def test_dea_per_period_frame_matches_per_year_calls():
    """Building the per-period output frame at once gives the same frame as one dea call per year."""
    df = _panel(12, 4)
    together = dea(df, ["x0", "x1"], "y", id="id", period="year")
    parts = []
    for per, g in df.groupby("year"):
        one = dea(g, ["x0", "x1"], "y", id="id")
        one.insert(1, "period", per)
        parts.append(one)
    pd.testing.assert_frame_equal(together, pd.concat(parts, ignore_index=True))


def test_malmquist_cumulative_restart_and_nan_chain():
    """Cumulative indices restart after a missing pair and say so; products are the running products."""
    df = _panel(8, 5, seed=3)
    df = df[~((df.id == "p01") & (df.year == 2002))].reset_index(drop=True)  # gap for p01
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = malmquist(df, ["x0", "x1"], "y", id="id", period="year")
    for _u, g in r.groupby("unit"):
        g = g.sort_values("period")
        restart = (g["period_from"].to_numpy()[1:] != g["period"].to_numpy()[:-1]).tolist()
        acc = 1.0
        for i, (v, c) in enumerate(zip(g["tfpch"], g["cum_tfpch"], strict=True)):
            acc = v if i == 0 or restart[i - 1] else acc * v
            assert c == acc
    p01 = r[r.unit == "p01"].sort_values("period")
    assert "restarts after a missing pair" in p01.iloc[1]["reason"]
    assert (r.loc[r.unit != "p01", "reason"] == "").all()
