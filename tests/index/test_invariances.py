"""Invariances and identities of the pipeline (issue 3, Tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.index import build_index, rank_pct

FW = {
    "name": "inv",
    "nodes": [
        {"id": "idx"},
        {"id": "A", "parent": "idx"},
        {"id": "B", "parent": "idx"},
        {"id": "A1", "parent": "A"},
        {"id": "a1", "parent": "A1", "direction": 1},
        {"id": "a2", "parent": "A1", "direction": -1},
        {"id": "a3", "parent": "A", "direction": 1},
        {"id": "b1", "parent": "B", "direction": 1},
        {"id": "b2", "parent": "B", "direction": 1},
    ],
}
LEAVES = ["a1", "a2", "a3", "b1", "b2"]


def make_panel(seed=7, n_units=7, years=range(2016, 2021)):
    rng = np.random.default_rng(seed)
    rows = [
        (f"r{u}", y, k, float(rng.lognormal(1, 0.6))) for u in range(n_units) for y in years for k in LEAVES
    ]
    return pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"])


def test_constant_indicator_gets_zero_weight_and_warning_not_nan():
    df = make_panel()
    df.loc[df["indicator"] == "b2", "value"] = 5.0
    with pytest.warns(UserWarning, match="b2"):
        res = build_index(df, FW)
    w = res.weights.set_index("node")
    assert w.loc["b2", "effective_weight"] == 0
    assert np.isfinite(res.scores["score"]).all()
    assert any("b2" in m for m in res.manifest["warnings"])


@pytest.mark.parametrize("weights", ["entropy", "critic", "cv", "pca", "equal"])
@pytest.mark.parametrize("scope", ["leaves", "parent"])
def test_permuting_units_changes_nothing(weights, scope):
    df = make_panel()
    res1 = build_index(df, FW, weights=weights, weight_scope=scope)
    perm = df.sample(frac=1.0, random_state=3).reset_index(drop=True)
    ren = {f"r{i}": f"z{6 - i}" for i in range(7)}  # relabel so that the sort order of units changes too
    perm["unit"] = perm["unit"].map(ren)
    res2 = build_index(perm, FW, weights=weights, weight_scope=scope)
    back = {v: k for k, v in ren.items()}
    s2 = (
        res2.scores.assign(unit=res2.scores["unit"].map(back))
        .set_index(["unit", "period", "node"])
        .sort_index()
    )
    s1 = res1.scores.set_index(["unit", "period", "node"]).sort_index()
    np.testing.assert_allclose(s1["score"], s2["score"], atol=1e-12)
    assert (s1["rank"] == s2["rank"]).all()
    pd.testing.assert_frame_equal(res1.weights, res2.weights, atol=1e-12)


def test_rank_normalisation_invariant_to_monotone_transforms():
    rng = np.random.default_rng(1)
    X = rng.lognormal(size=(40, 3))
    Y = np.column_stack([np.log(X[:, 0]), X[:, 1] ** 3 + 7, np.exp(X[:, 2])])
    np.testing.assert_allclose(rank_pct(X, [1, -1, 1]), rank_pct(Y, [1, -1, 1]), atol=0)
    df = make_panel()
    df2 = df.copy()
    df2["value"] = np.log(df2["value"]) * 3 + 1
    r1 = build_index(df, FW, normalize="rank")
    r2 = build_index(df2, FW, normalize="rank")
    np.testing.assert_allclose(r1.S, r2.S, atol=1e-12)


@pytest.mark.parametrize("scope", ["leaves", "parent"])
@pytest.mark.parametrize("weights", ["entropy", "critic", "equal"])
def test_index_equals_sum_of_effective_weights_times_normalised(scope, weights):
    df = make_panel()
    res = build_index(df, FW, weights=weights, weight_scope=scope)
    w = res.weights.set_index("node").loc[LEAVES, "effective_weight"].to_numpy()
    assert w.sum() == pytest.approx(1, abs=1e-12)
    idx = res.score_table()["idx"].to_numpy()
    np.testing.assert_allclose(res.Z @ w, idx, atol=1e-12)
    # contributions add up to each parent's score (arithmetic)
    c = res.contributions.groupby(["unit", "period", "node"])["contribution"].sum()
    s = res.scores.set_index(["unit", "period", "node"])["score"]
    np.testing.assert_allclose(c.to_numpy(), s.loc[c.index].to_numpy(), atol=1e-12)
    # a node's effective weight is the sum of its children's
    wt = res.weights.set_index("node")["effective_weight"]
    assert wt["A"] == pytest.approx(wt["A1"] + wt["a3"], abs=1e-12)
    assert wt["A1"] == pytest.approx(wt["a1"] + wt["a2"], abs=1e-12)


def test_parent_scope_weights_come_from_children_scores():
    """With the parent scope, the weights at 'idx' are the entropy weights of the children's score columns."""
    from nqpf.index import entropy_weights

    res = build_index(make_panel(), FW, weight_scope="parent")
    st = res.score_table()
    w_ref = entropy_weights(st[["A", "B"]].to_numpy())
    w = res.weights.set_index("node")["weight"]
    np.testing.assert_allclose([w["A"], w["B"]], w_ref, atol=1e-12)


def test_fixed_weights_identical_in_both_scopes():
    fw = {"name": "f", "nodes": [dict(n) for n in FW["nodes"]]}
    for n in fw["nodes"]:
        n["weight"] = {"A": 3, "B": 1, "A1": 1, "a3": 1, "a1": 2, "a2": 1, "b1": 1, "b2": 1}.get(n["id"])
    r1 = build_index(make_panel(), fw, weights="fixed")
    r2 = build_index(make_panel(), fw, weights="fixed", weight_scope="parent")
    np.testing.assert_allclose(r1.S, r2.S, atol=1e-12)
    eff = r1.weights.set_index("node")["effective_weight"]
    assert eff["a1"] == pytest.approx(0.75 * 0.5 * 2 / 3)
    assert eff["b2"] == pytest.approx(0.25 * 0.5)


def test_periods_filter_and_wide_input_equal_long():
    df = make_panel()
    wide = df.pivot(index=["unit", "period"], columns="indicator", values="value").reset_index()
    r_long = build_index(df, FW, periods="2017-2019")
    r_wide = build_index(wide, FW, periods=(2017, 2019))
    assert sorted(set(r_long.scores["period"])) == [2017, 2018, 2019]
    np.testing.assert_allclose(r_long.S, r_wide.S, atol=0)
    r_list = build_index(df, FW, periods=[2017, 2018, 2019])
    np.testing.assert_allclose(r_long.S, r_list.S, atol=0)


def test_ties_are_not_split_by_rounding():
    """0.1 + 0.2 and 0.3 differ in the last bit; as index scores they must share one rank ("min" method)."""
    import numpy as np

    from nqpf.index.pipeline import rank_within_periods

    a, b = 0.1 + 0.2, 0.3
    assert a != b
    S = np.array([[a], [b], [0.1]])  # three units, one period, one node
    assert rank_within_periods(S, 3, 1)[:, 0].tolist() == [1, 1, 3]
