"""Cities within provinces: within/between decomposition (Theil T, L, Dagum Gini), ranks, aggregation checks,
break-aware growth, and the city framework on the shipped data.

References: Theil's additive decomposition (Shorrocks 1980, Econometrica 48(3): GE(0) and GE(1) are exactly
additively decomposable, T = Σ s_j T_j + Σ s_j ln(μ_j/μ)); Dagum (1997) G = Gw + Gnb + Gt; the regional Theil
Σ (Y_i/Y) ln[(Y_i/Y)/(P_i/P)] written out here; a direct O(n²) Gini; the city-sum vs provincial-GDP numbers quoted
in ../shared/data/raw/gp_city_panels/PROVENANCE.md check 2 (Jiangsu 2019 99,976.6 vs 99,631.5; Sichuan 2019
46,615.8 vs 46,615.82; Guangdong 2022 129,118.6 = 129,118.6).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import nqpf.datasets as ds
from nqpf.analysis.inequality import within_between
from nqpf.analysis.levels import aggregation_check, breaks, growth, ranks
from nqpf.errors import DataError, MethodError


@pytest.fixture(scope="module")
def cc():
    return ds.load("cn_cities")


@pytest.fixture(scope="module")
def pc(cc):
    """GDP per capita computed here from the raw series (not the shipped derived column), with population."""
    w = cc.wide(["gdp_nominal", "population_resident"]).dropna().reset_index()
    w["gdppc"] = w["gdp_nominal"] / w["population_resident"] * 1e4
    w["province"] = w["unit"].map(cc.units.set_index("unit")["group"])
    return w[w["period"].isin([2005, 2012, 2019])].reset_index(drop=True)


def test_hand_example_theil_and_gini():
    """y = 1, 2 (group A) and 3, 6 (group B); every number written out from the definitions."""
    df = pd.DataFrame({"unit": list("abcd"), "y": [1.0, 2.0, 3.0, 6.0], "g": ["A", "A", "B", "B"]})
    r = within_between(df, "y", "g", unit="unit").set_index("measure")
    mu, muA, muB = 3.0, 1.5, 4.5
    T = sum(y / mu * math.log(y / mu) for y in (1, 2, 3, 6)) / 4
    sA, sB = 2 * muA / (4 * mu), 2 * muB / (4 * mu)
    TA = sum(y / muA * math.log(y / muA) for y in (1, 2)) / 2
    TB = sum(y / muB * math.log(y / muB) for y in (3, 6)) / 2
    assert r.loc["T", "total"] == pytest.approx(T, abs=1e-14)
    assert r.loc["T", "within"] == pytest.approx(sA * TA + sB * TB, abs=1e-14)
    assert r.loc["T", "between"] == pytest.approx(
        sA * math.log(muA / mu) + sB * math.log(muB / mu), abs=1e-14
    )
    L = sum(math.log(mu / y) for y in (1, 2, 3, 6)) / 4
    assert r.loc["L", "total"] == pytest.approx(L, abs=1e-14)
    assert r.loc["L", "between"] == pytest.approx(
        0.5 * math.log(mu / muA) + 0.5 * math.log(mu / muB), abs=1e-14
    )
    # Gini: Σ|y_i − y_j| over 16 ordered pairs = 2·(1+2+5+1+4+3) = 32; G = 32 / (2·16·3) = 1/3
    assert r.loc["Gini", "total"] == pytest.approx(1 / 3, abs=1e-14)
    # Dagum: G_AA = (2·1)/(4·2·1.5) = 1/6, G_BB = (2·3)/(4·2·4.5) = 1/6; Gw = Σ G_jj p_j s_j = 1/6·(0.5·0.25+0.5·0.75)
    assert r.loc["Gini", "within"] == pytest.approx(1 / 12, abs=1e-14)
    # between: Δ_AB = (2+5+1+4)/4 = 3, G_AB = 3/(1.5+4.5) = 0.5, weight p_A s_B + p_B s_A = 0.5; D_AB = 3/3 = 1
    assert r.loc["Gini", "Gnb"] == pytest.approx(0.25, abs=1e-14) and r.loc["Gini", "Gt"] == pytest.approx(
        0.0, abs=1e-14
    )


def test_identities_on_city_data(pc):
    r = within_between(pc, "gdppc", "province", "period", unit="unit")
    assert set(r["measure"]) == {"T", "L", "Gini"} and len(r) == 9
    np.testing.assert_allclose(r["within"] + r["between"], r["total"], rtol=0, atol=1e-12)
    g = r[r["measure"] == "Gini"]
    np.testing.assert_allclose(g["within"] + g["Gnb"] + g["Gt"], g["total"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(r["share_within"] + r["share_between"], 1.0, atol=1e-12)
    for per, sub in pc.groupby("period"):
        y = sub["gdppc"].to_numpy()
        gini_n2 = np.abs(y[:, None] - y[None, :]).sum() / (2 * len(y) ** 2 * y.mean())  # direct O(n²)
        assert g.set_index("period").loc[per, "total"] == pytest.approx(gini_n2, rel=1e-12)
        t_direct = np.mean(y / y.mean() * np.log(y / y.mean()))
        assert r[(r["period"] == per) & (r["measure"] == "T")]["total"].iloc[0] == pytest.approx(
            t_direct, rel=1e-12
        )
        # between part from the province means (an independent computation of the grouped term)
        m = sub.groupby("province")["gdppc"].agg(["mean", "size"])
        s = m["size"] * m["mean"] / (len(y) * y.mean())
        tb = float((s * np.log(m["mean"] / y.mean())).sum())
        assert r[(r["period"] == per) & (r["measure"] == "T")]["between"].iloc[0] == pytest.approx(
            tb, rel=1e-12
        )
    assert (r["n_groups"] >= 29).all() and (r["n_units"] >= 250).all()


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.lists(st.floats(0.01, 1e4, allow_nan=False), min_size=3, max_size=40),
    st.integers(1, 6),
    st.integers(0, 10_000),
)
def test_identity_holds_for_any_grouping(values, k, seed):
    """Total = within + between (Theil T, L) and G = Gw + Gnb + Gt for random positive data and groupings."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "unit": [f"u{i}" for i in range(len(values))],
            "y": values,
            "g": rng.integers(0, k, len(values)).astype(str),
            "w": rng.uniform(0.5, 2, len(values)),
        }
    )
    for weight in (None, "w"):
        r = within_between(df, "y", "g", weight=weight, unit="unit")
        np.testing.assert_allclose(r["within"] + r["between"], r["total"], rtol=1e-10, atol=1e-12)
        g = r[r["measure"] == "Gini"].iloc[0]
        assert g["within"] + g["Gnb"] + g["Gt"] == pytest.approx(g["total"], rel=1e-10, abs=1e-12)


def test_population_weighted_regional_theil(pc):
    """With weight = population, T equals Σ (Y_i/Y) ln[(Y_i/Y)/(P_i/P)] of GDP and population shares."""
    sub = pc[pc["period"] == 2012]
    r = within_between(sub, "gdppc", "province", weight="population_resident", unit="unit")
    Y, P = sub["gdp_nominal"].to_numpy(), sub["population_resident"].to_numpy()
    ys, ps = Y / Y.sum(), P / P.sum()
    assert r.set_index("measure").loc["T", "total"] == pytest.approx(
        float(np.sum(ys * np.log(ys / ps))), rel=1e-10
    )


def test_within_between_refuses_gaps(cc):
    w = cc.wide(["gdp_per_capita"]).reset_index()
    w = w[w["period"] == 2012]
    w["province"] = w["unit"].str[:2]
    with pytest.raises(DataError, match="missing"):
        within_between(w, "gdp_per_capita", "province", unit="unit")


def test_ranks_national_and_within_province(pc, cc):
    sub = pc[["unit", "period", "gdppc"]]
    r = ranks(sub, "gdppc", cc.units)
    one = r[r["period"] == 2019].set_index("unit")
    s = sub[sub["period"] == 2019].sort_values("gdppc", ascending=False)
    assert one.loc[s["unit"].iloc[0], "rank_national"] == 1
    assert list(one.sort_values("rank_national").index[:5]) == list(s["unit"].iloc[:5])
    js = s[s["unit"].str.startswith("32")]  # Jiangsu cities, by hand
    assert [one.loc[u, "rank_in_parent"] for u in js["unit"]] == list(range(1, len(js) + 1))
    assert (one.loc[js["unit"], "n_in_parent"] == len(js)).all()
    assert one["pct_national"].max() == 1.0 and (one["pct_national"] > 0).all()
    # ties share the lowest rank
    t = ranks(
        pd.DataFrame({"unit": ["320100", "320200", "110000"], "period": 1, "v": [2.0, 2.0, 1.0]}),
        "v",
        cc.units,
    )
    assert sorted(t["rank_national"]) == [1, 1, 3]
    with pytest.raises(DataError, match="not in the units table"):
        ranks(pd.DataFrame({"unit": ["999999"], "period": 1, "v": [1.0]}), "v", cc.units)


def test_aggregation_check_reports_published_differences(cc):
    prov = ds.load("cn_provinces")
    a = aggregation_check(cc.data, prov.data, "gdp_nominal", cc.units, catalogue=cc.indicators).set_index(
        ["province", "period"]
    )
    assert a.loc[("320000", 2019), "city_sum"] == pytest.approx(99976.6, abs=0.1)
    assert a.loc[("320000", 2019), "province_total"] == pytest.approx(99631.5, abs=0.1)
    assert a.loc[("510000", 2019), "city_sum"] == pytest.approx(46615.82, abs=0.1)
    assert a.loc[("440000", 2022), "ratio"] == pytest.approx(1.0, abs=1e-5)
    assert a.loc[("320000", 2019), "diff"] == pytest.approx(99976.6 - 99631.5, abs=0.2)
    assert a.loc[("320000", 2019), "n_cities"] == 13
    with pytest.raises(MethodError, match="derived ratio"):
        aggregation_check(cc.data, prov.data, "gdp_per_capita", cc.units, catalogue=cc.indicators)


def test_growth_never_crosses_a_break(cc):
    g = growth(cc.data, "so2_emissions", cc.indicators, cc.units).set_index(["unit", "period"])
    assert g.loc[("110000", 2016), "skipped_break"] and np.isnan(g.loc[("110000", 2016), "growth"])
    s = cc.wide(["so2_emissions"])["so2_emissions"]
    assert g.loc[("110000", 2015), "growth"] == pytest.approx(
        (s[("110000", 2015)] / s[("110000", 2014)] - 1) * 100
    )
    assert g.loc[("110000", 2017), "growth"] == pytest.approx(
        (s[("110000", 2017)] / s[("110000", 2016)] - 1) * 100
    )
    # a two-year growth rate ending in 2017 also spans the 2016 break
    g2 = growth(cc.data, "so2_emissions", cc.indicators, cc.units, lag=2).set_index(["unit", "period"])
    assert np.isnan(g2.loc[("110000", 2017), "growth"]) and not np.isnan(g2.loc[("110000", 2015), "growth"])
    # territorial break: Jinan absorbs Laiwu in 2019 (population has no indicator break)
    p = growth(cc.data, "population_resident", cc.indicators, cc.units).set_index(["unit", "period"])
    assert p.loc[("370100", 2019), "skipped_break"] and not p.loc[("370200", 2019), "skipped_break"]
    assert not np.isnan(p.loc[("370200", 2019), "growth"])
    # GDP vintage break 2019 applies to every city; the levels-only CEIC GDP is refused outright
    gd = growth(cc.data, "gdp_nominal", cc.indicators, cc.units)
    assert (
        gd[gd["period"] == 2019]["growth"].isna().all()
        and gd[gd["period"] == 2018]["growth"].notna().sum() > 250
    )
    with pytest.raises(MethodError, match="levels only"):
        growth(cc.data, "gdp_nominal_ceic", cc.indicators, cc.units)
    b = breaks(cc.indicators, cc.units)
    assert {"definition", "vintage", "territory"} <= set(b["kind"])


def test_city_framework_builds_and_cli(tmp_path, cc):
    from nqpf.cli import main
    from nqpf.framework import load_framework
    from nqpf.index import build_index

    fw = load_framework("city-structure-green")
    assert fw.meta["dataset"] == "cn_cities" and len(fw.children(fw.root)) == 5
    cat = cc.indicators.set_index("indicator")
    for leaf in fw.leaves:  # no leaf has a declared break inside the framework's periods
        for part in filter(None, cat.loc[fw.node(leaf)["series"], "breaks"].split(";")):
            y = part.split(":")[0]
            assert y != "all" and not (fw.meta["periods"][0] < int(y) <= fw.meta["periods"][1]), leaf
    with pytest.warns(UserWarning):
        res = build_index(cc, fw)
    idx = res.scores[res.scores["node"] == "index"]
    assert sorted(idx["period"].unique()) == list(range(2005, 2016))
    assert idx["unit"].nunique() >= 150
    assert set(res.manifest["dropped_units"]) & set(idx["unit"]) == set()
    main.register_commands()
    out = tmp_path / "run"
    r = CliRunner().invoke(
        main.app, ["index", "--data", "cn_cities", "--framework", "city-structure-green", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    s = pd.read_csv(out / "scores.csv", dtype={"unit": str})
    assert s["unit"].nunique() == idx["unit"].nunique()
    r = CliRunner().invoke(main.app, ["datasets"])
    assert r.exit_code == 0 and "cn_cities" in r.output
