"""Index diagnostics: each check against a hand computation, an identity or a planted artefact."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import median_abs_deviation

from nqpf.errors import MethodError
from nqpf.index import build_index
from nqpf.index.diagnostics import concentration, denominator_of, diagnose, robust_z

SPEC = {
    "name": "t",
    "nodes": [{"id": "i"}, {"id": "A", "parent": "i"}, {"id": "B", "parent": "i"}]
    + [{"id": f"x{k}", "parent": "A" if k < 3 else "B", "direction": 1} for k in range(6)],
}


def _panel(U=12, T=4, seed=0, edit=None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.uniform(1, 2, size=(U, T, 6))
    if edit:
        edit(X)
    units = [f"u{i:02d}" for i in range(U)]
    rows = [
        (units[u], 2001 + t, f"x{k}", X[u, t, k]) for u in range(U) for t in range(T) for k in range(6)
    ]
    return pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"])


def test_concentration_by_hand():
    w = pd.Series({"a": 0.5, "b": 0.2, "c": 0.1, "d": 0.1, "e": 0.05, "f": 0.05})
    c = concentration(w)
    assert c["max_leaf"] == "a" and c["max_weight"] == pytest.approx(0.5)
    assert c["top3_weight"] == pytest.approx(0.8)
    assert c["herfindahl"] == pytest.approx(0.25 + 0.04 + 0.01 + 0.01 + 0.0025 + 0.0025)
    assert c["effective_number"] == pytest.approx(1 / 0.315)
    assert c["flagged"]
    # 20 equal leaves are never flagged; one leaf at 16 % is
    eq = pd.Series(np.full(20, 0.05), index=[f"l{i}" for i in range(20)])
    assert not concentration(eq)["flagged"]
    eq.iloc[0] = 0.16 * 19 * 0.05 / 0.84
    assert concentration(eq)["max_weight"] == pytest.approx(0.16)
    assert concentration(eq)["flagged"]
    # small frameworks: the limit is 1.5x equal weights
    assert not concentration(pd.Series({"a": 0.5, "b": 0.5}))["flagged"]


def test_build_warns_on_concentration_and_records_it():
    def plant(X):
        X[:, :, 0] = np.linspace(1, 1000, X.shape[0] * X.shape[1]).reshape(X.shape[:2]) ** 3  # very skewed

    res = build_index(_panel(edit=plant), SPEC)
    wc = res.manifest["weight_concentration"]
    ew = res.weights.set_index("node").loc[[f"x{k}" for k in range(6)], "effective_weight"]
    assert wc["max_weight"] == pytest.approx(ew.max()) and wc["max_leaf"] == "x0"
    assert wc["flagged"] == any("weight concentration" in w for w in res.manifest["warnings"])


def test_robust_z_equals_scipy_mad():
    rng = np.random.default_rng(1)
    x = rng.standard_t(3, size=(200, 3))
    ref = (x - np.median(x, axis=0)) / median_abs_deviation(x, axis=0, scale="normal")
    np.testing.assert_allclose(robust_z(x), ref, rtol=1e-3)  # 1.4826 vs 1/Φ⁻¹(3/4) = 1.482602…


def test_driver_parts_sum_to_the_gap_and_planted_driver_is_flagged():
    def plant(X):
        X[3] = 1.5  # unit u03 is average everywhere …
        X[3, :, 4] = 40.0  # … except far ahead on x4

    res = build_index(_panel(U=20, edit=plant), SPEC, weights="equal")
    d = diagnose(res)
    # identity: the arithmetic index minus the period mean equals the sum of leaf parts
    sc = res.index_scores().set_index(["unit", "period"])["score"]
    gap = sc - sc.groupby(level="period").transform("mean")
    dr = d.drivers.set_index(["unit", "period"])
    np.testing.assert_allclose(dr["advantage"].to_numpy(), gap.loc[dr.index].to_numpy(), atol=1e-14)
    fl = d.flags[d.flags["check"] == "single_driver"]
    mine = fl[fl["unit"] == "u03"]
    assert set(mine["indicator"]) == {"x4"} and list(mine["period"]) == [2001, 2002, 2003, 2004]
    # every flag satisfies the documented rule (positive advantage, ≥ 50 % share, ≥ 5 places lost without it)
    sel = dr.loc[list(zip(fl["unit"], fl["period"], strict=True))]
    assert (sel["advantage"] > 0).all() and (sel["top_share"] >= 0.5).all()
    assert (sel["rank_without_top"] - sel["rank"] >= 5).all()
    ok = dr[(dr["advantage"] > 0) & (dr["top_share"] >= 0.5) & (dr["rank_without_top"] - dr["rank"] >= 5)]
    assert len(ok) == len(fl)
    # the counterfactual rank is the rank of score − d_top among the others' scores
    r = dr.loc[("u03", 2001)]
    others = sc.xs(2001, level="period").drop("u03")
    z = res.normalized.set_index(["unit", "period", "indicator"])["value"]
    zbar = z.xs((2001, "x4"), level=("period", "indicator")).mean()
    cf = sc.loc[("u03", 2001)] - (z.loc[("u03", 2001, "x4")] - zbar) / 6
    assert r["rank_without_top"] == 1 + int((others > cf).sum())


def test_rank_jump_names_its_cause():
    def plant(X):
        X[5] = 1.5  # u05 is average …
        X[5, 2:, 1] = 30.0  # … and leaps from 2003 on x1

    d = diagnose(build_index(_panel(U=20, edit=plant), SPEC, weights="equal"))
    j = d.flags[(d.flags["check"] == "rank_jump") & (d.flags["unit"] == "u05")]
    assert list(j["period"]) == [2003]
    assert j["indicator"].iloc[0] == "x1" and j["value"].iloc[0] <= -5
    assert "x1" in j["detail"].iloc[0].split(";")[1].split(",")[0]


def test_outlier_flags_match_the_definition():
    def plant(X):
        X[7, 1, 2] = 9.0

    res = build_index(_panel(edit=plant), SPEC, weights="equal")
    d = diagnose(res)
    RZ = robust_z(res.X)
    assert (d.flags["check"] == "outlier").sum() == int((np.abs(RZ) > 5).sum()) >= 1
    o = d.flags[d.flags["check"] == "outlier"]
    assert ("u07", 2002, "x2") in set(zip(o["unit"], o["period"], o["indicator"], strict=True))


def test_long_imputation_distance_by_brute_force():
    def plant(X):
        X[0, :3, 0] = np.nan  # u00 x0 starts in 2004 only: 2001 is 3 years away
        X[1, :, 5] = np.nan  # u01 never observed on x5

    long = _panel(T=6, edit=plant).dropna()
    res = build_index(long, SPEC, impute="carry+group-mean", impute_limit=99, weights="equal")
    fl = diagnose(res).flags
    li = fl[fl["check"] == "long_imputation"]
    got = set(zip(li["unit"], li["period"], li["indicator"], strict=True))
    assert got == {("u00", 2001, "x0")} | {("u01", y, "x5") for y in range(2001, 2007)}
    assert "3 years" in li[li["unit"] == "u00"]["detail"].iloc[0]


def test_small_denominator_on_real_data_finds_tibet():
    """nqpf-core-v1 on cn_provinces: Tibet's optical cable per 10k people rests on a population of ~3 million."""
    res = build_index("cn_provinces", "nqpf-core-v1")
    sd = res.diagnostics.flags.query("check == 'small_denominator'")
    tib = sd[(sd["unit"] == "540000") & (sd["indicator"] == "optical_cable_per_10k")]
    assert len(tib) >= 8
    assert tib["value"].between(300, 400).all()  # population in 10k persons
    assert "population" in tib["detail"].iloc[0]


def test_denominator_parser_and_bad_threshold():
    assert denominator_of("a / b * 100") == "b"
    assert denominator_of("(a + c) / pop") == "pop"
    assert denominator_of("a * b") is None and denominator_of(None) is None
    res = build_index(_panel(), SPEC, weights="equal")
    with pytest.raises(MethodError, match="unknown threshold"):
        diagnose(res, max_leef=0.2)
