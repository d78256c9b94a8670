"""Builders of the ``world`` and ``cn_industries`` datasets, checked against the raw files and identities."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.data.panel import check_long
from nqpf.errors import DataError

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "../shared/data/raw"
CATALOGUE_COLS = [
    "indicator",
    "name_zh",
    "name_en",
    "unit_of_measure",
    "direction_hint",
    "definition",
    "formula",
    "source",
    "caveats",
    "gdp_vintage",
]

if not RAW.exists():
    pytest.skip("shared raw data (../shared/data/raw) not available", allow_module_level=True)
sys.path.insert(0, str(ROOT / "scripts"))
from build import cn_industries, world  # noqa: E402


@pytest.fixture(scope="module")
def w():
    return world.build(RAW)


@pytest.fixture(scope="module")
def ci():
    return cn_industries.build(RAW)


def _common(res):
    assert set(res) >= {"data", "indicators", "units", "sources", "title", "notes"}
    data = res["data"]
    pd.testing.assert_frame_equal(check_long(data), data)  # already canonical
    assert list(res["indicators"].columns[:10]) == CATALOGUE_COLS
    assert set(res["indicators"]["indicator"]) == set(data["indicator"])
    assert res["indicators"]["indicator"].is_unique
    assert set(res["indicators"]["direction_hint"]) <= {-1, 0, 1}
    assert set(data["unit"]) <= set(res["units"]["unit"])
    for s in res["sources"]:
        assert (RAW / s["path"]).exists(), s["path"]
        assert s["citation"]


def test_world_contract(w):
    _common(w)
    d = w["data"]
    assert d["period"].min() == 1990
    units = set(d["unit"])
    assert not units & set(world.WDI_AGGREGATES)  # WLD, EUU, HIC … dropped
    assert not any(u.startswith("OWID") for u in units)
    assert {"CHN", "USA", "DEU", "JPN"} <= units
    ind = set(d["indicator"])
    assert {
        "rgdpna",
        "rgdpo",
        "rnna",
        "rkna",
        "emp",
        "avh",
        "hc",
        "labsh",
        "rtfpna",
        "ctfp",
        "cwtfp",
        "i_cig",
    } <= ind
    assert {"en_atm_co2e_kt", "gb_xpd_rsdv_gd_zs", "owid_co2_per_capita"} <= ind
    assert not any("pwt110" in s["path"] for s in w["sources"])  # display-rounded PWT 11 not used
    u = w["units"].set_index("unit")
    assert u.loc["CHN", "name_zh"] == "中国" and u.loc["DEU", "name_zh"] == "德国"
    assert u.loc["ABW", "name_zh"] == u.loc["ABW", "name_en"] and bool(u.loc["ABW", "name_zh_is_english"])
    assert "WLD" in w["notes"] and "EUU" in w["notes"]


def test_world_values_equal_raw(w):
    d = w["data"].set_index(["unit", "period", "indicator"])["value"]
    pwt = pd.read_csv(RAW / "pwt1001" / "pwt1001.csv").set_index(["countrycode", "year"])
    for c, y, v in [
        ("CHN", 2019, "rgdpna"),
        ("USA", 1990, "ctfp"),
        ("JPN", 2005, "labsh"),
        ("DEU", 2010, "i_irr"),
    ]:
        assert d[(c, y, v)] == pwt.loc[(c, y), v]
    wdi = pd.read_csv(RAW / "wdi_datahub" / "en.atm.co2e.kt" / "data.csv").set_index(["Country Code", "Year"])
    assert d[("CHN", 2014, "en_atm_co2e_kt")] == wdi.loc[("CHN", 2014), "Value"]
    # PWT gaps remain gaps (no filling): PWT has no 2019 avh for some countries
    n_pwt = pwt.loc[pwt.index.get_level_values(1) >= 1990, "rtfpna"].notna().sum()
    assert d.xs("rtfpna", level=2).notna().sum() == n_pwt


def test_cn_industries_contract_and_identities(ci):
    _common(ci)
    d = ci["data"]
    assert d["unit"].nunique() == 38 and "TOTAL" in set(d["unit"]) and "CIP21" in set(d["unit"])
    assert (d["period"].min(), d["period"].max()) == (1987, 2017)
    v = d.set_index(["unit", "period", "indicator"])["value"]
    assert v[("TOTAL", 1987, "go_nominal")] == pytest.approx(2678285.0600336087, rel=1e-15)  # raw cell
    wide = d.pivot_table(index=["unit", "period"], columns="indicator", values="value")
    # CIP's published accounting identities (sheet 4.4 and 4.5): growth = input contributions + TFP
    go = (
        wide["cg_ii"]
        + wide["cg_k_stock"]
        + wide["cg_k_quality"]
        + wide["cg_hours"]
        + wide["cg_l_quality"]
        + wide["tfp_go"]
    )
    va = wide["cv_k_stock"] + wide["cv_k_quality"] + wide["cv_hours"] + wide["cv_l_quality"] + wide["tfp_va"]
    ok = wide["g_go"].notna()
    assert np.abs(wide.loc[ok, "g_go"] - go[ok]).max() < 1e-12
    assert np.abs(wide.loc[ok, "g_va"] - va[ok]).max() < 1e-12
    # nominal GO = VA + II by industry
    assert np.allclose(wide["go_nominal"], wide["va_nominal"] + wide["ii_nominal"], rtol=1e-9)
    # two-period weights sum to one
    tot = wide.drop(index="TOTAL", level=0)["w_va"].groupby(level=1).sum(min_count=1).dropna()
    assert np.allclose(tot, 1.0, atol=1e-12)
    groups = ci["units"].set_index("unit")["group"]
    assert groups["CIP21"] == groups["CIP30"] == "ICT-producing"


# The 34 countries complete on every nqpf-world leaf 2010-2019 (docs/frameworks/nqpf-world.md).
WORLD_COMPLETE = (
    "ARG AUT BEL BGR CAN CHL CHN CZE DEU DNK EST FIN FRA HKG HRV HUN JPN KOR LTU LUX LVA MDA MEX MLT NLD POL PRT "
    "ROU RUS SGP SVK SWE USA ZAF"
).split()


def test_nqpf_world_framework_on_world(w):
    from nqpf.framework.core import load_framework
    from nqpf.index import build_index

    fw = load_framework("nqpf-world")
    assert fw.meta["dataset"] == "world" and fw.meta["periods"] == [2010, 2019]
    nodes = fw.nodes
    assert nodes["theory"].str.contains(r"seed 00\d §\d", regex=True).all()  # every node cites a seed passage
    fw.validate(w["data"])
    d = w["data"]
    res = build_index(d[d["unit"].isin(WORLD_COMPLETE)], fw, periods=(2010, 2019))  # impute='none': no gaps
    s = res.scores[res.scores["node"] == "index"]
    assert s["unit"].nunique() == 34 and s["score"].notna().all()
    # one country more (with a gap) must fail without imputation: the coverage claim is tight
    with pytest.raises(DataError, match="missing values"):
        build_index(d[d["unit"].isin([*WORLD_COMPLETE, "IND"])], fw, periods=(2010, 2019))
    chn = s[s["unit"] == "CHN"].set_index("period")["rank"]
    assert chn[2010] == 28 and chn[2019] == 23  # reported in the framework doc (entropy, min-max global)
    doc = (ROOT / "docs" / "frameworks" / "nqpf-world.md").read_text(encoding="utf-8")
    for leaf in fw.leaves:
        assert leaf in doc, leaf
