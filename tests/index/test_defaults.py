"""The exact defaults of issue 3 §4 against an independent implementation written straight from the formulas
(plain numpy/python loops, no nqpf code), compared at 1e-9."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from nqpf.index import build_index

FW = {
    "name": "t",
    "nodes": [
        {"id": "idx"},
        {"id": "A", "parent": "idx"},
        {"id": "B", "parent": "idx"},
        {"id": "a1", "parent": "A", "direction": 1},
        {"id": "a2", "parent": "A", "direction": -1},
        {"id": "a3", "parent": "A", "direction": 1},
        {"id": "b1", "parent": "B", "direction": 1},
        {"id": "b2", "parent": "B", "direction": -1},
    ],
}
LEAVES = ["a1", "a2", "a3", "b1", "b2"]
DIRS = [1, -1, 1, 1, -1]
GROUPS = {"A": ["a1", "a2", "a3"], "B": ["b1", "b2"]}


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(20240601)
    units = [f"u{i:02d}" for i in range(9)]
    years = list(range(2015, 2021))
    rows = []
    for u in units:
        for y in years:
            for k in LEAVES:
                rows.append((u, y, k, float(rng.gamma(2.0, 3.0))))
    return pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"])


def _matrix(panel):
    w = panel.pivot(index=["unit", "period"], columns="indicator", values="value").sort_index()
    return w.index, w[LEAVES].to_numpy()


def ref_minmax(X):
    n, k = X.shape
    Z = np.empty_like(X)
    for j in range(k):
        col = [X[i, j] for i in range(n)]
        lo, hi = min(col), max(col)
        for i in range(n):
            Z[i, j] = (X[i, j] - lo) / (hi - lo) if DIRS[j] == 1 else (hi - X[i, j]) / (hi - lo)
    return Z


def ref_entropy(Z):
    n, k = Z.shape
    d = []
    for j in range(k):
        s = sum(Z[i, j] for i in range(n))
        h = 0.0
        for i in range(n):
            p = Z[i, j] / s
            if p > 0:
                h -= p * math.log(p)
        d.append(1 - h / math.log(n))
    return np.array(d) / sum(d)


def ref_critic(Z):
    n, k = Z.shape
    sd = [float(np.std(Z[:, j], ddof=1)) for j in range(k)]
    c = []
    for j in range(k):
        tot = 0.0
        for m in range(k):
            tot += 1 - float(np.corrcoef(Z[:, j], Z[:, m])[0, 1])
        c.append(sd[j] * tot)
    return np.array(c) / sum(c)


def test_minmax_entropy_leaves_arithmetic_match_reference(panel):
    res = build_index(panel, FW)
    idx, X = _matrix(panel)
    Z = ref_minmax(X)
    w = ref_entropy(Z)
    # normalised values
    got_z = res.normalized.pivot(index=["unit", "period"], columns="indicator", values="value").loc[
        idx, LEAVES
    ]
    np.testing.assert_allclose(got_z.to_numpy(), Z, rtol=0, atol=1e-9)
    # leaf weights = effective weights
    wt = res.weights.set_index("node")
    np.testing.assert_allclose(wt.loc[LEAVES, "effective_weight"].to_numpy(), w, rtol=0, atol=1e-9)
    # node score = Σ w_l z_l / Σ w_l over its leaves; the index = Σ w_l z_l
    st = res.score_table().loc[idx]
    for node, lv in GROUPS.items():
        j = [LEAVES.index(x) for x in lv]
        ref = (Z[:, j] * w[j]).sum(axis=1) / w[j].sum()
        np.testing.assert_allclose(st[node].to_numpy(), ref, rtol=0, atol=1e-9)
        assert wt.loc[node, "effective_weight"] == pytest.approx(w[j].sum(), abs=1e-12)
    np.testing.assert_allclose(st["idx"].to_numpy(), Z @ w, rtol=0, atol=1e-9)


def test_critic_default_matches_reference(panel):
    res = build_index(panel, FW, weights="critic")
    idx, X = _matrix(panel)
    w = ref_critic(ref_minmax(X))
    wt = res.weights.set_index("node")
    np.testing.assert_allclose(wt.loc[LEAVES, "effective_weight"].to_numpy(), w, rtol=0, atol=1e-9)


def test_topsis_node_matches_reference(panel):
    """TOPSIS at a node: its leaves, weights renormalised in the node, pooled best/worst of w·z, D⁻/(D⁺+D⁻)."""
    res = build_index(panel, FW, aggregate="topsis")
    idx, X = _matrix(panel)
    Z = ref_minmax(X)
    w = ref_entropy(Z)
    st = res.score_table().loc[idx]
    for node, lv in {**GROUPS, "idx": LEAVES}.items():
        j = [LEAVES.index(x) for x in lv]
        wn = w[j] / w[j].sum()
        V = Z[:, j] * wn
        best, worst = V.max(axis=0), V.min(axis=0)
        ref = []
        for i in range(V.shape[0]):
            dp = math.sqrt(sum((V[i, m] - best[m]) ** 2 for m in range(len(j))))
            dm = math.sqrt(sum((V[i, m] - worst[m]) ** 2 for m in range(len(j))))
            ref.append(dm / (dp + dm))
        np.testing.assert_allclose(st[node].to_numpy(), ref, rtol=0, atol=1e-9)


def test_ranks_one_is_best(panel):
    res = build_index(panel, FW)
    s = res.scores[(res.scores["node"] == "idx") & (res.scores["period"] == 2020)]
    assert s.loc[s["score"].idxmax(), "rank"] == 1
    assert s.loc[s["score"].idxmin(), "rank"] == len(s)
    assert sorted(s["rank"]) == list(range(1, len(s) + 1))
