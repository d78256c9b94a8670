"""Lossless wide ↔ long conversion and write → read round trips (property-based)."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nqpf.data.io import STATA_RESERVED, read, write
from nqpf.data.panel import check_long, to_long, to_wide
from nqpf.errors import DataError

unit_ids = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789北京天津", min_size=1, max_size=6)
ind_ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
    lambda s: s not in ("unit", "period", "indicator", "value") and not s.startswith("_")
)
values = st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=64), st.just(float("nan")))


@st.composite
def panels(draw, max_units=5, max_periods=4, max_inds=4):
    us = draw(st.lists(unit_ids, min_size=1, max_size=max_units, unique=True))
    ps = draw(st.lists(st.integers(1900, 2100), min_size=1, max_size=max_periods, unique=True))
    inds = draw(st.lists(ind_ids, min_size=1, max_size=max_inds, unique=True))
    cells = [(u, p, i) for u in us for p in ps for i in inds]
    keep = draw(st.lists(st.booleans(), min_size=len(cells), max_size=len(cells)))
    rows = [(u, p, i, draw(values)) for (u, p, i), k in zip(cells, keep, strict=True) if k]
    if not rows:
        rows = [(us[0], ps[0], inds[0], draw(values))]
    return pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"])


def _complete(long: pd.DataFrame) -> pd.DataFrame:
    """Add NaN rows for absent (unit, period) × indicator cells (what the wide form shows as blanks)."""
    w = to_wide(long)
    return to_long(w)


@given(panels())
@settings(max_examples=50, deadline=None)
def test_wide_long_round_trip_lossless(df):
    long = check_long(df)
    wide = to_wide(long)
    back = to_long(wide)
    # every original value (incl. explicit NaN rows) is recovered bit-for-bit
    merged = long.merge(back, on=["unit", "period", "indicator"], how="left", suffixes=("", "_back"))
    a, b = merged["value"].to_numpy(), merged["value_back"].to_numpy()
    assert np.array_equal(a, b, equal_nan=True)
    # and the wide form is a fixed point
    pd.testing.assert_frame_equal(to_wide(back), wide)
    # dropna=True returns exactly the non-missing values
    pd.testing.assert_frame_equal(
        to_long(wide, dropna=True), long.dropna(subset=["value"]).reset_index(drop=True)
    )


def _one(indicator: str, value: float) -> pd.DataFrame:
    return pd.DataFrame({"unit": ["A"], "period": [2000], "indicator": [indicator], "value": [value]})


@given(panels(max_units=4, max_periods=3, max_inds=3), st.sampled_from(["csv", "parquet", "xlsx", "dta"]),
       st.sampled_from(["long", "wide"]))  # fmt: skip
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# failures this property found (replayed on every run, also under the derandomized CI profile):
@example(df=_one("a", -1e308), fmt="dta", layout="long")  # -1e308 written to .dta beyond Stata's ±8.988e307
@example(df=_one("a", -1e308), fmt="dta", layout="wide")
@example(df=_one("else", 1.0), fmt="dta", layout="wide")  # issue 11: the indicator 'else' came back as '_else'
@example(df=_one("item", 0.0), fmt="csv", layout="wide")  # a wide column named like a role (item) was dropped
@example(df=_one("data", 1.0), fmt="xlsx", layout="wide")
def test_write_read_round_trip_property(df, fmt, layout):
    long = check_long(df)
    if fmt == "xlsx":  # Excel stores 15 significant digits; keep to values Excel can hold exactly
        long["value"] = long["value"].map(lambda v: v if np.isnan(v) else float(f"{v:.15g}"))
        long = long[(long["value"].abs() < 1e300) | long["value"].isna()]
        if long.empty:
            return
    with tempfile.TemporaryDirectory() as d:
        if fmt == "dta" and (long["value"].abs() > 8.988465674311579e307).any():
            with pytest.raises(DataError, match="Stata"):  # beyond Stata's double range: refused, not mangled
                write(long, Path(d) / "x.dta", layout=layout)
            return
        p = write(long, Path(d) / f"x.{fmt}", layout=layout)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            back = read(p, units="none")
    expect = _complete(long) if layout == "wide" else long
    pd.testing.assert_frame_equal(back, check_long(expect), check_exact=fmt in ("parquet", "dta"), rtol=1e-15)


@pytest.mark.parametrize("value", [-1e308, 1e308, -8.99e307])
@pytest.mark.parametrize("layout", ["long", "wide"])
def test_stata_refuses_values_beyond_its_double_range(tmp_path, value, layout):
    """Found by the round-trip property: pandas checked only the maximum, so -1e308 was written to a .dta
    although Stata's doubles end at ±8.988e307. Both signs are refused, naming the unit and indicator."""
    df = pd.DataFrame({"unit": ["a", "b"], "period": [2000, 2000], "indicator": ["x", "x"], "value": [1.0, value]})
    with pytest.raises(DataError, match=r"unit 'b'.*indicator 'x'.*Stata's double range"):
        write(df, tmp_path / "x.dta", layout=layout)
    assert not (tmp_path / "x.dta").exists()
    ok = df.assign(value=[1.0, -8.98e307])
    back = read(write(ok, tmp_path / "ok.dta", layout=layout), units="none")
    assert back["value"].tolist() == [1.0, -8.98e307]


@pytest.mark.parametrize("name", ["else", "if", "_n", "str12", "double"])
def test_stata_maps_reserved_indicator_names_and_read_restores_them(tmp_path, name):
    """Issue 11: a wide table with an indicator called ``else`` was written as ``_else`` without a word. Now
    the name is mapped by the documented rule (nqpf.data.tables.stata_names), kept as the variable label,
    and nqpf.read gives the original name back."""
    from nqpf.data.tables import is_stata_name

    assert not is_stata_name(name) and (name in STATA_RESERVED or name == "str12")
    df = pd.DataFrame({"unit": ["a"], "period": [2000], "indicator": [name], "value": [1.0]})
    p = write(df, tmp_path / "x.dta", layout="wide")
    with pd.io.stata.StataReader(p) as rd:
        raw = rd.read()
        labels = rd.variable_labels()
    assert name not in raw.columns
    assert [labels[c] for c in raw.columns if c not in ("unit", "period")] == [name]
    back = read(p, units="none")
    assert back["indicator"].tolist() == [name] and back["value"].tolist() == [1.0]
    back = read(write(df, tmp_path / "long.dta", layout="long"), units="none")  # long keeps names as values
    assert back["indicator"].tolist() == [name]
