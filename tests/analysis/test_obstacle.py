"""Obstacle degree. Reference: O_ij = F_j(1 − x_ij)/Σ_j F_j(1 − x_ij), computed by hand for a three-indicator,
two-dimension framework."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.analysis.obstacle import obstacle_degree, top_obstacles
from nqpf.errors import MethodError, ValidationError

WEIGHTS = pd.DataFrame(
    {
        "node": ["root", "A", "B", "i1", "i2", "i3"],
        "parent": [None, "root", "root", "A", "A", "B"],
        "weight": [1, 0.6, 0.4, 0.5, 0.5, 1.0],
        "effective_weight": [1, 0.6, 0.4, 0.3, 0.3, 0.4],
    }
)


def _norm(vals):
    return pd.DataFrame(
        [("u", 2020, k, v) for k, v in vals.items()], columns=["unit", "period", "indicator", "value"]
    )


def test_hand_example():
    # deviations 0.8, 0.5, 0.0 → F·I = 0.24, 0.15, 0.0 → shares 0.24/0.39, 0.15/0.39, 0
    res = obstacle_degree(_norm({"i1": 0.2, "i2": 0.5, "i3": 1.0}), WEIGHTS)
    ind = res[res.level == "indicator"].set_index("node")["obstacle"]
    assert (
        ind["i1"] == pytest.approx(0.24 / 0.39) and ind["i2"] == pytest.approx(0.15 / 0.39) and ind["i3"] == 0
    )
    dim = res[res.level == "dimension"].set_index("node")["obstacle"]
    assert dim["A"] == pytest.approx(1.0) and dim["B"] == 0.0
    assert res[res.level == "indicator"]["obstacle"].sum() == pytest.approx(1.0)
    top = top_obstacles(res, 1)
    assert top["node"].tolist() == ["i1"]


def test_all_best_and_errors():
    with pytest.warns(UserWarning, match="best value"):
        res = obstacle_degree(_norm({"i1": 1.0, "i2": 1.0, "i3": 1.0}), WEIGHTS)
    assert (res["obstacle"] == 0).all()
    with pytest.raises(ValidationError, match="outside"):
        obstacle_degree(_norm({"i1": 1.2, "i2": 1.0, "i3": 1.0}), WEIGHTS)
    with pytest.raises(MethodError, match="no effective weight"):
        obstacle_degree(_norm({"i9": 0.5}), WEIGHTS)


def test_random_shares_sum_to_one():
    rng = np.random.default_rng(0)
    rows = [(f"u{i}", t, k, rng.random()) for i in range(5) for t in (1, 2) for k in ("i1", "i2", "i3")]
    res = obstacle_degree(pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"]), WEIGHTS)
    for lvl in ("indicator", "dimension"):
        s = res[res.level == lvl].groupby(["unit", "period"])["obstacle"].sum()
        np.testing.assert_allclose(s, 1.0)
