"""Dagum (1997) Gini decomposition, Theil, CV.

References: identities from Dagum, C. (1997), Empirical Economics 22(4), 515–531 (G = Gw + Gnb + Gt; Gini as
Σ_j Σ_h G_jh p_j s_h); independent second algorithm: a direct O(n²) implementation of Dagum's definitions
(G_jh, d_jh, p_jh by explicit pairs) written in this file; PySAL `inequality.theil.TheilD` for Theil T.
No published worked example with its numbers was found in the sources available to us; the O(n²) algorithm
and the identities are the references.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.analysis.inequality import cv, dagum, gini, theil
from nqpf.errors import DataError, MethodError

SHARED = Path(__file__).resolve().parents[2] / "../shared"
RAW = SHARED / "data/raw"


def cao_dai_regions() -> pd.DataFrame:
    f = RAW / "cao_dai_2025_nqpf/cao_dai_2025_nqpf_province.csv"
    r = RAW / "province_reference/province_reference.csv"
    if not f.exists() or not r.exists():
        pytest.skip(f"real data not available ({f})")
    d = pd.read_csv(f, dtype={"region_code": str})
    ref = pd.read_csv(r, dtype=str)
    d = d.merge(
        ref[["province_code", "region4_nbs"]], left_on="region_code", right_on="province_code", how="left"
    )
    assert d["region4_nbs"].notna().all()
    return d.rename(columns={"region_code": "unit", "year": "period", "region4_nbs": "region"})


def naive_gini(y):
    y = np.asarray(y, float)
    return np.abs(y[:, None] - y[None, :]).sum() / (2 * len(y) ** 2 * y.mean())


def naive_dagum(y, g):
    """Dagum (1997) straight from the definitions, O(n²) pairs; d_jh and p_jh by their pairwise definitions."""
    y, g = np.asarray(y, float), np.asarray(g)
    n, mu = len(y), y.mean()
    groups = sorted(set(g))
    yy = {k: y[g == k] for k in groups}
    p = {k: len(yy[k]) / n for k in groups}
    s = {k: len(yy[k]) * yy[k].mean() / (n * mu) for k in groups}
    out = {}
    Gw = 0.0
    for k in groups:
        a = yy[k]
        gjj = np.abs(a[:, None] - a[None, :]).sum() / (2 * len(a) ** 2 * a.mean())
        out[f"within:{k}"] = gjj
        Gw += gjj * p[k] * s[k]
    Gnb = Gt = 0.0
    for j, h in itertools.combinations(groups, 2):
        a, b = yy[j], yy[h]
        diff = a[:, None] - b[None, :]
        gjh = np.abs(diff).sum() / (len(a) * len(b) * (a.mean() + b.mean()))
        if a.mean() < b.mean():
            diff = -diff
        d_jh = np.where(diff > 0, diff, 0).mean()  # expected positive gap of the richer group
        p_jh = np.where(diff < 0, -diff, 0).mean()  # first-order moment of transvariation
        D = (d_jh - p_jh) / (d_jh + p_jh) if d_jh + p_jh > 0 else 0.0
        wgt = p[j] * s[h] + p[h] * s[j]
        Gnb += gjh * wgt * D
        Gt += gjh * wgt * (1 - D)
        out[f"between:{j}|{h}"] = gjh
        out[f"D:{j}|{h}"] = D
    out.update(G=naive_gini(y), Gw=Gw, Gnb=Gnb, Gt=Gt)
    return out


def comp(res, period=None):
    sub = res if period is None else res[res["period"] == period]
    return dict(zip(sub["component"], sub["value"], strict=True))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.01, 1e4, allow_nan=False), min_size=3, max_size=40),
    st.integers(0, 2**31 - 1),
)
def test_dagum_identity_and_naive(values, seed):
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b", "c"], size=len(values))
    df = pd.DataFrame({"y": values, "g": g})
    c = comp(dagum(df, "y", "g"))
    assert c["G"] == pytest.approx(c["Gw"] + c["Gnb"] + c["Gt"], rel=1e-10, abs=1e-12)
    ref = naive_dagum(values, g)
    for k, v in ref.items():
        assert c[k] == pytest.approx(v, rel=1e-9, abs=1e-12), k


def test_gini_sort_formula_vs_naive_and_scale():
    rng = np.random.default_rng(1)
    y = rng.lognormal(size=300)
    assert gini(y) == pytest.approx(naive_gini(y), rel=1e-12)
    assert gini(7.5 * y) == pytest.approx(gini(y), rel=1e-12)  # scale invariance
    assert gini(np.full(10, 3.2)) == 0.0


def test_weighted_equals_replicated():
    """Integer population weights = replicating each unit w times (second algorithm)."""
    rng = np.random.default_rng(2)
    y = rng.lognormal(size=25)
    w = rng.integers(1, 5, size=25)
    g = rng.choice(["x", "y"], size=25)
    a = comp(dagum(pd.DataFrame({"y": y, "g": g, "w": w}), "y", "g", weight="w"))
    b = comp(dagum(pd.DataFrame({"y": np.repeat(y, w), "g": np.repeat(g, w)}), "y", "g"))
    for k in ("G", "Gw", "Gnb", "Gt", "within:x", "between:x|y", "D:x|y"):
        assert a[k] == pytest.approx(b[k], rel=1e-10), k


def test_equal_values_zero_and_single_member_group():
    df = pd.DataFrame({"y": [2.0, 2.0, 2.0, 2.0], "g": ["a", "a", "b", "c"]})
    c = comp(dagum(df, "y", "g"))
    assert c["G"] == c["Gw"] == c["Gnb"] == c["Gt"] == 0.0
    df2 = pd.DataFrame({"y": [1.0, 3.0, 5.0, 9.0], "g": ["a", "a", "a", "solo"]})
    c2 = comp(dagum(df2, "y", "g"))
    assert c2["within:solo"] == 0.0  # documented: one member → no within-group dispersion
    assert c2["G"] == pytest.approx(c2["Gw"] + c2["Gnb"] + c2["Gt"])


def test_scale_invariance_of_all_components():
    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {"y": rng.lognormal(size=60), "g": rng.choice(list("abcd"), 60), "t": rng.choice([1, 2], 60)}
    )
    a = dagum(df, "y", "g", "t")
    b = dagum(df.assign(y=df.y * 1000), "y", "g", "t")
    np.testing.assert_allclose(
        a["value"][~a.component.str.startswith("mean:")],
        b["value"][~b.component.str.startswith("mean:")],
        rtol=1e-10,
    )


def test_bad_input():
    with pytest.raises(MethodError, match="non-negative"):
        dagum(
            pd.DataFrame({"y": [1.0, -2.0, 3.0], "g": list("aab"), "unit": ["u1", "u2", "u3"]}),
            "y",
            "g",
            unit="unit",
        )
    with pytest.raises(DataError, match="missing or non-numeric"):
        dagum(pd.DataFrame({"y": [1.0, np.nan, 3.0], "g": list("aab")}), "y", "g")
    with pytest.raises(DataError, match="missing column"):
        dagum(pd.DataFrame({"y": [1.0]}), "y", "grp")
    with pytest.raises(MethodError, match="strictly positive"):
        theil(pd.DataFrame({"y": [0.0, 1.0, 2.0]}), "y", measure="L")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.01, 1e3, allow_nan=False), min_size=4, max_size=40), st.integers(0, 10_000))
def test_theil_decomposition_identity(values, seed):
    g = np.random.default_rng(seed).choice(["a", "b", "c"], len(values))
    df = pd.DataFrame({"y": values, "g": g})
    for m in ("T", "L"):
        c = comp(theil(df, "y", "g", measure=m))
        assert c["total"] == pytest.approx(c["within"] + c["between"], rel=1e-9, abs=1e-12)


def test_theil_against_pysal_and_hand_formulas():
    inequality = pytest.importorskip("inequality")
    rng = np.random.default_rng(4)
    y = rng.lognormal(size=50)
    g = rng.choice(["a", "b", "c"], 50)
    c = comp(theil(pd.DataFrame({"y": y, "g": g}), "y", "g", measure="T"))
    td = inequality.theil.TheilD(y, g)
    assert c["total"] == pytest.approx(float(np.ravel(td.T)[0]), rel=1e-10)
    assert c["between"] == pytest.approx(float(np.ravel(td.bg)[0]), rel=1e-10)
    assert c["within"] == pytest.approx(float(np.ravel(td.wg)[0]), rel=1e-10)
    # L (mean log deviation) by its definition
    cl = comp(theil(pd.DataFrame({"y": y, "g": g}), "y", "g", measure="L"))
    assert cl["total"] == pytest.approx(np.mean(np.log(y.mean() / y)), rel=1e-12)


def test_population_weighted_theil_is_gdp_share_formula():
    """Σ (Y_i/Y) ln[(Y_i/Y)/(P_i/P)] with Y = GDP, P = population (regional Theil) = weighted T of GDP per capita."""
    rng = np.random.default_rng(5)
    P = rng.uniform(1, 100, 20)
    Y = P * rng.lognormal(size=20)
    ref = np.sum(Y / Y.sum() * np.log((Y / Y.sum()) / (P / P.sum())))
    c = comp(theil(pd.DataFrame({"pc": Y / P, "pop": P}), "pc", weight="pop"))
    assert c["total"] == pytest.approx(ref, rel=1e-10)


def test_cv():
    rng = np.random.default_rng(6)
    y = rng.lognormal(size=30)
    r = cv(pd.DataFrame({"y": y}), "y")
    assert r["cv"].iloc[0] == pytest.approx(y.std() / y.mean(), rel=1e-12)


def test_real_cao_dai_four_regions():
    """Cao & Dai (2025) NQPF series by the NBS four regions: identity each year, and all components equal the
    O(n²) implementation of Dagum's definitions (second algorithm)."""
    d = cao_dai_regions()
    res = dagum(d, "nqpf", "region", "period", unit="unit")
    for per, sub in d.groupby("period"):
        c = comp(res, per)
        assert c["G"] == pytest.approx(c["Gw"] + c["Gnb"] + c["Gt"], rel=1e-12)
        ref = naive_dagum(sub["nqpf"].to_numpy(), sub["region"].to_numpy())
        for k, v in ref.items():
            assert c[k] == pytest.approx(v, rel=1e-10), (per, k)
    c22 = comp(res, 2022)
    # figures reported in the closing note (our computation, not a published benchmark)
    assert round(c22["G"], 4) == pytest.approx(0.2726, abs=1e-4)
    assert set(k for k in c22 if k.startswith("within:")) == {
        f"within:{r}" for r in ("Central", "East", "Northeast", "West")
    }
