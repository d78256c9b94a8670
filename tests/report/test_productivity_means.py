"""Issue 13 item 6: the provincial GML table adds up — geometric means over the same pairs, so that
mean GML = mean efficiency change × mean technical change for every province."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from nqpf.errors import DataError
from nqpf.productivity.malmquist import mean_changes


@pytest.fixture(scope="module")
def gml(cn):
    """The dashboard's provincial green TFP (GML, global technology) on the shipped data, through the one
    recipe that the web view, the CLI and the docs use."""
    from nqpf.productivity.recipes import PROVINCIAL_GREEN_TFP

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = PROVINCIAL_GREEN_TFP.compute()
    assert g.attrs["manifest"]["index"] == "gml"
    return g[g["status"] == "optimal"]


def test_geometric_means_multiply_on_shipped_data(gml):
    m = mean_changes(gml, "unit")
    assert len(m) >= 25 and m.attrs["mean"] == "geometric"
    for r in m.itertuples():
        assert abs(r.tfpch - r.effch * r.techch) < 1e-12, r.unit
    # independent reference: the n-th root of the product of the pairs, pair by pair from the raw rows
    for u, grp in gml.groupby("unit"):
        row = m[m["unit"] == u].iloc[0]
        assert row.n_pairs == len(grp)
        for c in ("tfpch", "effch", "techch"):
            assert row[c] == pytest.approx(math.prod(grp[c]) ** (1 / len(grp)), rel=1e-12)
        # and the cumulative index of the last pair is the geometric mean to the power n (a balanced panel)
        last = grp.sort_values("period")["cum_tfpch"].iloc[-1]
        assert last == pytest.approx(row.tfpch ** len(grp), rel=1e-10)


def test_arithmetic_means_do_not_add_up(gml):
    """The defect the issue reports: arithmetic means of ratios (the old table) disagree by > 0.5 % for some
    provinces — e.g. Ningxia (640000), whose mean GML < 1 while mean EC × mean TC > 1."""
    a = gml.groupby("unit")[["tfpch", "effch", "techch"]].mean()
    gap = (a["tfpch"] / (a["effch"] * a["techch"]) - 1).abs()
    assert (gap > 0.005).sum() >= 1
    m = mean_changes(gml).set_index("unit")
    nx = m.loc["640000"]
    assert (nx.tfpch < 1) == (nx.effch * nx.techch < 1)  # the direction agrees now


def test_web_table_uses_the_geometric_means(cn, gml):
    from nqpf.web import views

    class Dash:  # the two methods of nqpf.web.app.Dashboard that the view uses
        def cached(self, key, compute):
            return compute()

        def dataset(self, name):
            return {"units": {"unit": list(cn.units["unit"].astype(str)), "name_en": list(cn.units["name_en"]),
                              "name_zh": list(cn.units["name_zh"])}}

    out = views.province_efficiency(Dash(), "en")
    assert "geometric" in out["note"]
    for r in out["rows"]:
        assert abs(r["tfpch"] - r["effch"] * r["techch"]) < 1e-12
    # ranks tie on the cumulative GML as shown (3 decimals) and follow the table order
    shown = [f"{r['cum_tfpch']:.3f}" for r in out["rows"]]
    ranks = [r["rank"] for r in out["rows"]]
    assert ranks == sorted(ranks) and ranks[0] == 1
    for s in set(shown):
        assert len({k for k, x in zip(ranks, shown, strict=True) if x == s}) == 1
    zh = views.province_efficiency(Dash(), "zh")
    assert "几何平均" in zh["note"]


def test_luenberger_means_are_arithmetic_and_add():
    df = pd.DataFrame({"unit": ["a", "a", "b"], "period": [2, 3, 2], "tfpch": [0.1, -0.3, 0.2],
                       "effch": [0.05, -0.1, 0.0], "techch": [0.05, -0.2, 0.2]})
    m = mean_changes(df, index="luenberger").set_index("unit")
    assert m.loc["a", "tfpch"] == pytest.approx(-0.1) and m.loc["a", "n_pairs"] == 2
    assert np.allclose(m["tfpch"], m["effch"] + m["techch"])


def test_pairs_with_a_missing_component_leave_every_mean():
    df = pd.DataFrame({"unit": ["a", "a", "a"], "period": [2, 3, 4], "tfpch": [1.2, 0.5, 2.0],
                       "effch": [1.0, np.nan, 1.0], "techch": [1.2, 0.5, 2.0]})
    m = mean_changes(df, index="gml").iloc[0]
    assert m.n_pairs == 2 and m.tfpch == pytest.approx(math.sqrt(2.4))
    with pytest.raises(DataError, match="techch"):
        mean_changes(df.drop(columns="techch"))
