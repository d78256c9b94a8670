"""The ``cn_cities`` dataset: byte-identical rebuild, codes and administrative changes, derived formulas,
break flags, and values checked against independent sources.

References: provincial first-published GDP of the four municipalities (``scu_gdp_viz``, NBS 分省年度数据, first
release; independent of the city compilation), NBS resident population of Beijing (``nbs_fsnd_digital_2016_2025``,
PROVENANCE check 6 of ``gp_city_panels``), the CEIC GDP extract (``wiebe_prefecture_ceic``, a second compilation),
and the published CEADs/CEIC values quoted in the PROVENANCE files.
"""

from __future__ import annotations

import ast
import importlib.util
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nqpf.datasets as ds

REPO = Path(__file__).resolve().parents[2]
RAW = (REPO / "../shared/data/raw").resolve()
needs_raw = pytest.mark.skipif(not RAW.is_dir(), reason=f"raw data folder {RAW} not present")


@pytest.fixture(scope="module")
def cc():
    return ds.load("cn_cities")


def _orchestrator():
    spec = importlib.util.spec_from_file_location("build_datasets", REPO / "scripts/build_datasets.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@needs_raw
def test_rebuild_is_byte_identical(tmp_path):
    bd = _orchestrator()
    assert "cn_cities" in bd.DATASETS
    res = bd.load_builder("cn_cities").build(RAW)
    bd.write_dataset("cn_cities", res, RAW, tmp_path)
    shipped = resources.files("nqpf.datasets") / "_data" / "cn_cities"
    for fn in ("data.csv.gz", "indicators.csv", "units.csv", "manifest.json"):
        assert (tmp_path / "cn_cities" / fn).read_bytes() == (shipped / fn).read_bytes(), fn
    new, old = ds.read_dir(tmp_path / "cn_cities"), ds.read_dir(shipped)
    for a, b in zip(new[:3], old[:3], strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_listed_with_coverage_and_small(cc):
    row = ds.list().set_index("name").loc["cn_cities"]
    assert row["units"] == 340 and row["periods"] == "2000–2023"
    assert 0 < row["coverage"] < 100
    f = resources.files("nqpf.datasets") / "_data" / "cn_cities" / "data.csv.gz"
    assert len(f.read_bytes()) < 2_500_000  # embedded file stays small (sparse rows, derived rounded)
    assert cc.data["value"].notna().all()  # stored sparse: only observed cells


def test_units_codes_names_and_parent_province(cc):
    u = cc.units
    assert u["unit"].str.fullmatch(r"\d{6}").all()
    assert (u["group"] == u["unit"].str[:2] + "0000").all()
    prov = ds.load("cn_provinces").units.set_index("unit")
    assert set(u["group"]) <= set(prov.index)
    assert (u["province_zh"] == u["group"].map(prov["name_zh"])).all()
    assert (u["name_en"].str.len() > 0).all() and (u["name_zh"].str.len() > 0).all()
    muni = u[u["level"] == "municipality"]["unit"].tolist()
    assert muni == ["110000", "120000", "310000", "500000"]
    named = u.set_index("unit")
    assert named.loc["320500", "name_zh"] == "苏州市" and named.loc["320500", "name_en"] == "Suzhou"
    assert named.loc["440300", "province_en"] == "Guangdong"


def test_administrative_changes(cc):
    u = cc.units.set_index("unit")
    d = cc.data
    # superseded codes of the same territory are re-coded, never kept as separate units
    for old, new in {"542400": "540600", "652200": "650500", "652100": "650400", "469003": "460400"}.items():
        assert old not in u.index and old in u.loc[new, "former_codes"].split(",")
    gdp = d[d["indicator"] == "gdp_nominal"]
    years = lambda code: set(gdp.loc[gdp["unit"] == code, "period"])  # noqa: E731
    assert years("540600") >= {2005, 2017, 2018}  # 那曲地区 rows (to 2017) and 那曲市 rows (from 2018) joined
    assert years("650500") >= {2010, 2016, 2017}
    # 巢湖 abolished 2011, 莱芜 merged into 济南 2019: no value of any indicator after the change
    assert d.loc[d["unit"] == "341400", "period"].max() == 2010
    assert d.loc[d["unit"] == "371200", "period"].max() == 2018
    assert u.loc["341400", "abolished_from"] == "2011" and u.loc["371200", "abolished_from"] == "2019"
    assert u.loc["370100", "territory_breaks"] == "2019"
    assert {u.loc[c, "territory_breaks"] for c in ("340100", "340200", "340500")} == {"2011"}
    # Jinan's GDP jumps when Laiwu's territory is added: 2019 Jinan ≈ 2018 Jinan + 2018 Laiwu (within 10 %)
    g = gdp.set_index(["unit", "period"])["value"]
    assert g[("370100", 2019)] == pytest.approx(g[("370100", 2018)] + g[("371200", 2018)], rel=0.10)
    assert g[("370100", 2019)] > 1.08 * g[("370100", 2018)]
    assert "460300" in u.index  # 三沙 (established 2012)


def test_break_flags(cc):
    cat = cc.indicators.set_index("indicator")
    assert cat.loc["so2_emissions", "breaks"] == "2016:definition"
    assert cat.loc["gdp_nominal", "breaks"] == "2019:vintage;2023:vintage"
    assert cat.loc["gdp_nominal_ceic", "breaks"] == "all:vintage"
    assert cat.loc["gdp_index_prev_year_eq100", "breaks"] == ""
    # derived series inherit the union of their inputs' breaks
    assert cat.loc["so2_per_gdp", "breaks"] == "2016:definition;2019:vintage;2023:vintage"
    assert cat.loc["budget_revenue_to_gdp", "breaks"] == "all:vintage"
    assert cat.loc["population_density", "breaks"] == ""
    assert (cat["gdp_vintage"].str.startswith("mixed") | (cat["gdp_vintage"] == "")).all()


def test_derived_formulas_recomputed_independently(cc):
    """Every derived series equals its formula evaluated by pandas.eval on the shipped raw series (to the 8
    significant digits the build keeps)."""
    w = cc.wide()
    cat = cc.indicators
    derived = cat[cat["formula"] != ""]
    assert len(derived) >= 15
    for r in derived.itertuples():
        names = {n.id for n in ast.walk(ast.parse(r.formula, mode="eval")) if isinstance(n, ast.Name)}
        assert names <= set(w.columns)
        expect = w.eval(r.formula).replace([np.inf, -np.inf], np.nan)
        got = w[r.indicator]
        both = got.notna() & expect.notna()
        assert (got.notna() == expect.notna()).all(), r.indicator
        np.testing.assert_allclose(got[both], expect[both], rtol=1e-7, err_msg=r.indicator)


def test_values_against_independent_sources(cc):
    w = cc.wide()
    # municipal GDP 2019-2022 = NBS provincial first release (cn_provinces gdp_nominal, first-published vintage)
    prov = ds.load("cn_provinces").wide(["gdp_nominal"])["gdp_nominal"]
    for code in ("110000", "310000", "120000", "500000"):
        for y in (2019, 2020, 2021, 2022):
            assert w.loc[(code, y), "gdp_nominal"] == pytest.approx(prov[(code, y)], abs=0.06)
    # PROVENANCE check 6: Beijing resident population 2016 2,195.4 万人 (NBS 2,195)
    assert w.loc[("110000", 2016), "population_resident"] == pytest.approx(2195.4)
    # CEIC vintage differs from the compilation (PROVENANCE check 3: Guangzhou 2015 17,347.4 vs 18,313.8)
    assert w.loc[("440100", 2015), "gdp_nominal"] == pytest.approx(17347.4, abs=0.1)
    assert w.loc[("440100", 2015), "gdp_nominal_ceic"] == pytest.approx(18313.8, abs=0.1)
    # CEIC budget revenue: Nanjing 2015 10,200,300 万元 = 1,020.03 亿元 (unit conversion)
    assert w.loc[("320100", 2015), "budget_revenue"] == pytest.approx(1020.03)
    # SO2 千吨 -> 万吨: Beijing 2012 59.33 kt = 5.933 万吨 (= provincial industrial SO2)
    assert w.loc[("110000", 2012), "so2_emissions"] == pytest.approx(5.933, abs=1e-3)
    # CEADs CO2 by name: Beijing 2015 92.76 Mt; every CEADs prefecture name matched one unit
    assert w.loc[("110000", 2015), "co2_ceads"] == pytest.approx(92.76, abs=0.01)
    assert w["co2_ceads"].groupby(level="unit").count().gt(0).sum() >= 280
    # the two GDP compilations agree within 5 % for >= 90 % of city-years 2010 (PROVENANCE check 3)
    x = w.loc[(slice(None), 2010), ["gdp_nominal", "gdp_nominal_ceic"]].dropna()
    assert ((x["gdp_nominal"] / x["gdp_nominal_ceic"] - 1).abs() < 0.05).mean() >= 0.90
    # sector identity within 0.5 % for most city-years (PROVENANCE check 4)
    s = w[["va_primary", "va_secondary", "va_tertiary", "gdp_nominal"]].dropna()
    ok = (s[["va_primary", "va_secondary", "va_tertiary"]].sum(axis=1) / s["gdp_nominal"] - 1).abs() < 0.005
    assert ok.mean() > 0.97


def test_gaps_stated_not_filled(cc):
    notes = cc.manifest["notes"]
    for gap in ("patents", "R&D", "internet", "FDI/GDP"):
        assert gap in notes
    # PM2.5 of the municipalities is a gap (the source gives district sub-units only)
    w = cc.wide(["pm25_mean"])
    assert not w.loc[(["110000", "310000"], slice(None)), "pm25_mean"].notna().any()
