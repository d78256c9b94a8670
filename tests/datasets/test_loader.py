"""nqpf.datasets: list(), load(), copies, errors, wide form, manifest consistency."""

from __future__ import annotations

import pandas as pd
import pytest

import nqpf
import nqpf.datasets as ds
from nqpf.data.panel import check_long, to_long
from nqpf.errors import DataError


def test_list_columns_and_cn_provinces_row():
    t = ds.list()
    assert list(t.columns) == ["name", "title", "units", "periods", "indicators", "coverage"]
    assert "cn_provinces" in set(t["name"])
    row = t.set_index("name").loc["cn_provinces"]
    assert row["units"] == 31 and row["periods"] == "2011–2023"
    d = ds.load("cn_provinces")
    assert row["indicators"] == d.data["indicator"].nunique() == len(d.indicators)
    # coverage = % non-missing of the full units × periods × indicators grid, recomputed here
    assert row["coverage"] == pytest.approx(100 * d.data["value"].notna().mean(), abs=0.005)


def test_every_shipped_dataset_loads_and_meets_contract():
    for name in ds.names():
        d = ds.load(name)
        assert d.name == name and d.title
        pd.testing.assert_frame_equal(check_long(d.data), d.data)
        assert set(d.data["indicator"]) == set(d.indicators["indicator"])
        assert set(d.data["unit"]) <= set(d.units["unit"])
        assert {"unit", "name_zh", "name_en", "group"} <= set(d.units.columns)
        assert d.manifest["rows"] == len(d.data)
        assert all(len(s["sha256"]) == 64 for s in d.manifest["sources"])


def test_unknown_name_lists_valid_names():
    with pytest.raises(DataError) as e:
        ds.load("cn_province")
    assert "cn_provinces" in str(e.value) and "'cn_province'" in str(e.value)


def test_load_returns_independent_copies():
    a = ds.load("cn_provinces")
    a.data.loc[0, "value"] = -999.0
    a.indicators.loc[0, "name_en"] = "changed"
    a.manifest["title"] = "changed"
    b = ds.load("cn_provinces")
    assert b.data.loc[0, "value"] != -999.0
    assert b.indicators.loc[0, "name_en"] != "changed" and b.manifest["title"] != "changed"


def test_wide_round_trip_and_subset():
    d = ds.load("cn_provinces")
    w = d.wide()
    assert w.shape == (31 * 13, d.data["indicator"].nunique())
    pd.testing.assert_frame_equal(to_long(w), d.data)
    sub = d.wide(["co2", "gdp_nominal"])
    assert list(sub.columns) == ["co2", "gdp_nominal"]
    with pytest.raises(DataError, match="no_such"):
        d.wide(["no_such"])
    with pytest.raises(DataError, match="no_such"):
        d.indicator("no_such")
    assert d.indicator("co2")["unit_of_measure"] == "Mt CO2"


def test_lazy_attribute_on_package():
    assert nqpf.datasets is ds
