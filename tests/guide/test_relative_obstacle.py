"""Obstacle degree relative to a reference frontier (nqpf.analysis.obstacle.relative_obstacle_degree).

References: (1) the classic obstacle model (obstacle_degree) — with an ideal unit (x' = 1 everywhere) in the
reference group the deviation f_j − x'_ij equals 1 − x'_ij, so both models must agree; (2) a hand-computed
example: weights F = (0.5, 0.3, 0.2), unit A = (0.2, 0.9, 0.5), peers B = (0.6, 0.4, 0.5), C = (0.4, 1.0, 0.3);
frontier f = (0.6, 1.0, 0.5), deviation = (0.4, 0.1, 0.0), F·I = (0.20, 0.03, 0), O = (0.20, 0.03, 0)/0.23.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.analysis.obstacle import obstacle_degree, relative_obstacle_degree
from nqpf.errors import MethodError


def _data():
    vals = {"A": (0.2, 0.9, 0.5), "B": (0.6, 0.4, 0.5), "C": (0.4, 1.0, 0.3), "I": (1.0, 1.0, 1.0)}
    rows = [{"unit": u, "period": 2020, "indicator": f"x{j}", "value": v[j]} for u, v in vals.items() for j in range(3)]
    w = pd.DataFrame({"node": ["x0", "x1", "x2", "d1", "d2"], "parent": ["d1", "d1", "d2", "root", "root"],
                      "effective_weight": [0.5, 0.3, 0.2, 0.8, 0.2]})
    return pd.DataFrame(rows), w


def test_hand_computed_example():
    x, w = _data()
    out = relative_obstacle_degree(x[x["unit"] != "I"], w, {"A": ["B", "C"]})
    ind = out[(out["unit"] == "A") & (out["level"] == "indicator")].set_index("node")
    assert ind["frontier"].tolist() == pytest.approx([0.6, 1.0, 0.5])
    assert ind.loc["x0", "frontier_unit"] == "B" and ind.loc["x1", "frontier_unit"] == "C"
    assert ind["deviation"].tolist() == pytest.approx([0.4, 0.1, 0.0])
    assert ind["obstacle"].tolist() == pytest.approx([0.20 / 0.23, 0.03 / 0.23, 0.0])
    assert ind["rank"].tolist() == [1, 2, 3]
    dim = out[(out["unit"] == "A") & (out["level"] == "dimension")].set_index("node")
    assert dim.loc["d1", "obstacle"] == pytest.approx(0.23 / 0.23)
    assert dim.loc["d2", "obstacle"] == pytest.approx(0.0)
    assert dim.loc["d1", "deviation"] == pytest.approx((0.5 * 0.4 + 0.3 * 0.1) / 0.8)


@pytest.mark.filterwarnings("ignore:obstacle")
def test_with_an_ideal_unit_equals_the_classic_model():
    x, w = _data()
    rel = relative_obstacle_degree(x, w, {u: ["I"] for u in ("A", "B", "C")})
    cls = obstacle_degree(x, w)
    for u in ("A", "B", "C"):
        a = rel[(rel["unit"] == u)].set_index(["level", "node"])["obstacle"].sort_index()
        b = cls[(cls["unit"] == u)].set_index(["level", "node"])["obstacle"].sort_index()
        assert a.to_numpy() == pytest.approx(b.to_numpy())


def test_frontier_unit_has_no_obstacle_and_it_is_noted():
    x, w = _data()
    with pytest.warns(UserWarning, match="frontier on every indicator"):
        out = relative_obstacle_degree(x, w, ["A"])       # I is above A everywhere, so I is at its frontier
    i = out[(out["unit"] == "I") & (out["level"] == "indicator")]
    assert np.allclose(i["obstacle"], 0.0)
    assert out.attrs["manifest"]["warnings"]


def test_bad_reference_and_values_are_reported():
    x, w = _data()
    with pytest.raises(MethodError, match="reference unit"):
        relative_obstacle_degree(x, w, {"A": ["Z"]})
    bad = x.copy()
    bad.loc[0, "value"] = 1.5
    with pytest.raises(Exception, match="outside"):
        relative_obstacle_degree(bad, w, ["A"])
