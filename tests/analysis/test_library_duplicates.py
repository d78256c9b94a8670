"""The library refuses repeated unit-period rows like the CLI does: dagum(), theil() and coupling() call
``nqpf.data.panel.check_unique`` (a repeated row would count a unit twice)."""

from __future__ import annotations

import pandas as pd
import pytest

from nqpf.analysis.coupling import coupling
from nqpf.analysis.inequality import dagum, theil
from nqpf.errors import DataError

PANEL = pd.DataFrame(
    {
        "unit": ["110000", "120000", "110000", "610000", "620000"],
        "region": ["East", "East", "East", "West", "West"],
        "year": [2020] * 5,
        "score": [1.0, 2.0, 5.0, 3.0, 4.0],
    }
)
MESSAGE = "duplicate rows for unit '110000', period 2020 (2 rows involved); keep one row per (unit, period)"


@pytest.mark.parametrize("f", [dagum, theil])
def test_inequality_refuses_duplicated_unit_period(f):
    for unit in ("unit", None):  # unit=None: the column named unit is the unit
        with pytest.raises(DataError) as e:
            f(PANEL, "score", "region", "year", unit=unit)
        assert str(e.value) == f"{f.__name__} input: {MESSAGE}"
    ok = PANEL.assign(unit=["110000", "120000", "130000", "610000", "620000"])
    assert len(f(ok, "score", "region", "year", unit="unit"))


@pytest.mark.parametrize("f", [dagum, theil])
def test_inequality_cross_section_and_pooled_panel(f):
    cs = PANEL.drop(columns="year")
    with pytest.raises(DataError, match="input: duplicate rows for unit '110000' \\(2 rows involved\\)"):
        f(cs, "score", "region", unit="unit")
    pooled = PANEL.assign(year=[2020, 2020, 2021, 2020, 2020])  # over years, no period named: allowed
    assert len(f(pooled, "score", "region", unit="unit"))
    assert len(f(cs.drop(columns="unit"), "score", "region"))  # no unit column: nothing to check


def test_coupling_refuses_duplicated_unit_period():
    df = pd.DataFrame({"unit": ["110000", "120000", "110000"], "period": [2020] * 3, "a": [0.2, 0.5, 0.3],
                       "b": [0.8, 0.5, 0.9]})
    for ids in (None, ["unit", "period"]):  # default ids: unit and the period-like column
        with pytest.raises(DataError) as e:
            coupling(df, ["a", "b"], id_cols=ids)
        assert str(e.value).startswith("coupling input: duplicate rows for unit '110000', period 2020 (2 rows")
    assert len(coupling(df.assign(period=[2020, 2020, 2021]), ["a", "b"])) == 3
    with pytest.raises(DataError, match=r"duplicate rows for period 2020 \(3 rows involved\)"):
        coupling(df.drop(columns="unit"), ["a", "b"], id_cols=["period"])  # the ids given are the keys
