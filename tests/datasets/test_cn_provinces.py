"""cn_provinces: shape, coverage claims, catalogue, derived formulas and checks against published numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import nqpf.datasets as ds

YEARS = list(range(2011, 2024))
TIBET = "540000"


@pytest.fixture(scope="module")
def d():
    return ds.load("cn_provinces")


@pytest.fixture(scope="module")
def wide(d):
    return d.wide()


def coverage(wide: pd.DataFrame, y0: int, y1: int, exclude=(TIBET,)) -> pd.Series:
    """% non-missing cells per indicator over the provinces (minus ``exclude``) × years y0..y1 grid."""
    u = wide.index.get_level_values("unit")
    p = wide.index.get_level_values("period")
    sub = wide[~u.isin(exclude) & (p >= y0) & (p <= y1)]
    assert len(sub) == (31 - len(exclude)) * (y1 - y0 + 1)
    return sub.notna().mean() * 100


def test_units_and_grid(d):
    u = d.units
    assert len(u) == 31 and u["unit"].str.fullmatch(r"\d{2}0000").all()
    # NBS four-region division (2011): East 10, Central 6, West 12, Northeast 3
    assert u["region4"].value_counts().to_dict() == {"West": 12, "East": 10, "Central": 6, "Northeast": 3}
    assert (u["group"] == u["region4"]).all()
    assert u.set_index("unit").loc["440000", "name_zh"] == "广东"
    assert u.set_index("unit").loc["540000", "name_en"] == "Tibet"
    # full grid: every indicator has a row (value or NaN) for each of 31 × 13 unit-periods
    n_ind = d.data["indicator"].nunique()
    assert len(d.data) == 31 * 13 * n_ind
    assert sorted(d.data["period"].unique()) == YEARS


def test_coverage_claim_core_2012_2022(wide):
    """Issue 2 done-when: >= 30 indicators with >= 95 % coverage for 30 provinces (Tibet excluded) 2012–2022."""
    cov = coverage(wide, 2012, 2022)
    good = cov[cov >= 95]
    assert len(good) >= 30, good
    # the series the productivity layer needs are complete for 30 provinces 2012-2022
    for ind in (
        "capital_stock",
        "gdp_nominal",
        "energy_consumption",
        "co2",
        "so2",
        "population",
        "gdp_real_rpi_2011prices",
    ):
        assert cov[ind] == 100.0, (ind, cov[ind])


def test_coverage_claim_rich_2016_2022(wide):
    """The richer 2016–2022 set (digital economy, high-tech R&D, sector value added) adds >= 30 more series."""
    c_core = coverage(wide, 2012, 2022)
    c_rich = coverage(wide, 2016, 2022)
    extra = c_rich[(c_rich >= 95) & (c_core < 95)]
    assert len(extra) >= 30, extra
    for ind in (
        "software_revenue_gdp",
        "broadband_users_per_100",
        "mobile_traffic_per_user",
        "hitech_newprod_sales_gdp",
    ):
        assert c_rich[ind] >= 95


def test_catalogue_documents_every_series(d):
    cat = d.indicators
    assert set(cat["indicator"]) == set(d.data["indicator"])
    for col in ("name_zh", "name_en", "unit_of_measure", "definition", "source", "caveats"):
        assert (cat[col].str.strip() != "").all(), col
    assert set(cat["direction_hint"]) <= {-1, 0, 1}
    c = cat.set_index("indicator")
    assert (
        c.loc["energy_intensity", "direction_hint"] == -1 and c.loc["co2_intensity", "direction_hint"] == -1
    )
    assert c.loc["rd_intensity_calc", "direction_hint"] == 1
    # every % of GDP / per GDP series states its GDP vintage
    per_gdp = c[c["formula"].str.contains("gdp_nominal")]
    assert len(per_gdp) >= 10 and (per_gdp["gdp_vintage"] == "first_release").all()
    assert c.loc["gdp_nominal", "gdp_vintage"] == "first_release"
    assert c.loc["gdp_nominal_revised", "gdp_vintage"] == "revised"
    # known breaks are flagged
    assert "2016" in c.loc["so2", "caveats"] and "base" in c.loc["telecom_business_volume", "caveats"]
    assert "interpolat" in c.loc["industrial_wastewater", "caveats"]
    assert "Tibet 540000" in c.loc["energy_consumption", "caveats"]


def test_derived_formulas_recomputed_by_pandas_eval(d, wide):
    """Second algorithm: every catalogue formula re-evaluated with pandas.eval reproduces the shipped values."""
    cat = d.indicators
    derived = cat[(cat["formula"] != "") & ~cat["formula"].str.startswith("chain(")]
    assert len(derived) >= 40
    for _, row in derived.iterrows():
        f = row["formula"].replace("log(", "np.log(")
        env = {c: wide[c] for c in wide.columns}
        with np.errstate(divide="ignore", invalid="ignore"):
            expect = pd.eval(f, local_dict={**env, "np": np}, engine="python")
        expect = expect.replace([np.inf, -np.inf], np.nan)
        got = wide[row["indicator"]]
        pd.testing.assert_series_equal(
            got, expect.astype("float64"), check_names=False, rtol=1e-12, obj=row["indicator"]
        )


def test_published_rd_intensity_matches_derived(wide):
    """NBS R&D bulletin intensity (published %) vs rd_expenditure / first-published GDP: same within 5 %."""
    r = (wide["rd_intensity_calc"] / wide["rd_intensity"]).dropna()
    assert len(r) == 31 * 13
    assert r.between(0.95, 1.05).all() and abs(r.median() - 1) < 0.002
    # 2012 R&D bulletin (国家统计局等《2012年全国科技经费投入统计公报》): Beijing 5.95 %
    assert wide.loc[("110000", 2012), "rd_intensity"] == 5.95


def test_money_units_harmonised(wide):
    """Intramural R&D (yearbook, 万元 -> 亿元 here) equals the bulletin R&D expenditure (亿元) within 1 % or
    the bulletin's rounding to 0.1 亿元 (PROVENANCE techme: Tibet values are rounded)."""
    a, b = wide["rd_exp_internal_total"], wide["rd_expenditure"]
    assert a.notna().sum() == 31 * 13
    assert ((a - b).abs() <= np.maximum(0.01 * b, 0.05)).all()
    # a wrong scale (万元 left unconverted) would be off by 10^4
    assert (a / b).median() == pytest.approx(1, abs=1e-3)
    # parts add to the total (basic + applied + experimental)
    s = wide["rd_exp_basic"] + wide["rd_exp_applied"] + wide["rd_exp_experimental"]
    # (one cell, index 114, differs by 0.11 % in the yearbook transcription; PROVENANCE warns of OCR digits)
    np.testing.assert_allclose(s, wide["rd_exp_internal_total"], rtol=2e-3)
    # EDGAR CO2 converted from t to Mt: same order of magnitude as CEADs (ratio 0.3-3)
    r = (wide["co2_edgar"] / wide["co2"]).dropna()
    assert r.between(0.3, 3).all()


def test_published_numbers(wide):
    # First-published GDP, China Statistical Yearbook 2013 / 2021 (亿元); also in PROVENANCE scu_gdp_viz
    assert wide.loc[("110000", 2012), "gdp_nominal"] == 17879.4
    assert wide.loc[("110000", 2020), "gdp_nominal"] == 36102.55
    # Current revised vintage (PROVENANCE yumanlou_green_panel: Beijing 2021 = 44,350.7)
    assert wide.loc[("110000", 2021), "gdp_nominal_revised"] == 44350.7
    # PKU-DFIIC province aggregate (Guo et al. 2020): Beijing 2011 79.41, Shanghai 2012 150.77
    assert wide.loc[("110000", 2011), "digital_finance_index"] == 79.41
    assert wide.loc[("310000", 2012), "digital_finance_index"] == 150.77
    # CHNCapitalStock README example: Beijing capital stock 2021 at 1952 prices = 38,866.56346 (ZJ method)
    assert wide.loc[("110000", 2021), "capital_stock_1952prices"] == pytest.approx(38866.56346, abs=5e-6)
    # CEADs energy inventory 2015, Beijing final electricity consumption 884.96 (10^8 kWh; PROVENANCE ceads)
    assert wide.loc[("110000", 2015), "electricity_final_ceads"] == pytest.approx(884.96, abs=1e-9)
    # Cao & Dai (2025) NQPF, NQPF_Data_China.xlsx, Beijing 2012
    assert wide.loc[("110000", 2012), "cao_dai_nqpf"] == 1.2064108987987443


def test_capital_stock_follows_perpetual_inventory(wide):
    """Identity (Zhang et al. 2004): K_t - (1 - 0.096) K_{t-1} = I_t / P_t with published GFCF I and the
    investment price index P (2000 = 1), for the years with published GFCF (2012-2017)."""
    k = wide["capital_stock"].unstack("unit")
    i = wide["gfcf_nominal"].unstack("unit")
    p = wide["investment_price_index_2000eq1"].unstack("unit")
    lhs = k.loc[2012:2017] - 0.904 * k.shift(1).loc[2012:2017]
    rhs = i.loc[2012:2017] / p.loc[2012:2017]
    assert rhs.notna().values.sum() == 31 * 6
    np.testing.assert_allclose(lhs.values, rhs.values, rtol=1e-9)


def test_real_gdp_proxy_is_rpi_deflated(wide):
    rpi = wide["rpi_prev_year_eq100"].unstack("unit")
    chain = wide["rpi_chain_2011eq100"].unstack("unit")
    assert (chain.loc[2011] == 100).all()
    np.testing.assert_allclose(chain.loc[2015], 100 * (rpi.loc[2012:2015] / 100).prod(), rtol=1e-12)
    real = wide["gdp_real_rpi_2011prices"].unstack("unit")
    np.testing.assert_allclose(real.loc[2011], wide["gdp_nominal"].unstack("unit").loc[2011], rtol=1e-12)


def test_gaps_not_filled(wide):
    assert wide.loc[TIBET, "energy_consumption"].isna().all()
    assert wide.loc[TIBET, "co2"].isna().all()
    # compiler-interpolated wastewater cells are removed (Guangdong 2019-2021 lie on a straight line)
    assert (
        wide.loc[("440000", 2020), "industrial_wastewater"]
        != wide.loc[("440000", 2020), "industrial_wastewater"]
    )
    assert pd.notna(wide.loc[("440000", 2015), "industrial_wastewater"])
    # series that end early stay missing afterwards
    assert wide.xs(2023, level="period")["co2"].isna().all()
    assert wide.xs(2020, level="period")["marketization_index"].isna().all()
    assert wide.xs(2017, level="period")["hitech_revenue"].isna().all()


def test_docs_list_every_series(d):
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "datasets.md").read_text(encoding="utf-8")
    missing = [i for i in d.indicators["indicator"] if f"`{i}`" not in doc]
    assert not missing, (
        f"docs/datasets.md lacks {missing}; run python scripts/build_datasets.py --docs docs/datasets.md"
    )
