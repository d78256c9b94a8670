"""Yearbook cell parsing."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nqpf.data.parse import parse_cell, parse_series, parse_year

FW = str.maketrans("0123456789.,-+%", "０１２３４５６７８９．，－＋％")


@pytest.mark.parametrize(
    "cell,value",
    [
        ("1,234.5", 1234.5), ("12,345,678", 12345678.0), ("１２３．４", 123.4), ("１，２３４．５", 1234.5),
        ("-3.2", -3.2), ("－3.2", -3.2), ("\u22123.2", -3.2), ("+7", 7.0), (" 42 ", 42.0), ("\u300042\u3000", 42.0),
        ("1 234.5", 1234.5), ("1\u00a0234", 1234.0), ("1.5e3", 1500.0), (".5", 0.5), (7, 7.0), (7.25, 7.25),
        (np.int64(3), 3.0), (np.float32(0.5), 0.5), ("0", 0.0),
    ],
)  # fmt: skip
def test_numbers(cell, value):
    c = parse_cell(cell)
    assert c.status == "number" and c.value == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize(
    "cell", [None, "", "  ", "—", "——", "-", "--", "–", "…", "……", "...", "/", "NA", "N/A", "n.a.", "nan", "NULL",
             "#N/A", float("nan"), np.nan, pd.NA, "\u3000", "－"],
)  # fmt: skip
def test_missing_markers(cell):
    c = parse_cell(cell)
    assert c.status == "missing" and math.isnan(c.value)


def test_percent_and_footnotes():
    c = parse_cell("12.5%")
    assert c.status == "number" and c.value == 12.5 and c.percent
    c = parse_cell("１２．５％")
    assert c.value == 12.5 and c.percent
    # footnote markers are stripped before NFKC, so ① does not become a digit
    for cell in ("12.3①", "12.3*", "12.3**", "12.3¹", "12.3 ②", "12.3†", "12.3#"):
        c = parse_cell(cell)
        assert c.status == "number" and c.value == 12.3 and "footnote" in c.note, cell


@pytest.mark.parametrize(
    "cell,needle",
    [("1,5", "decimal comma"), ("12.3万", "mixes digits and text"), ("abc", "not a number"), ("1.2.3", "not a number"),
     (True, "boolean"), (float("inf"), "infinite"), ("*", "not a number"), ("(12)", "mixes")],
)  # fmt: skip
def test_invalid_cells_have_reasons(cell, needle):
    c = parse_cell(cell)
    assert c.status == "invalid" and math.isnan(c.value) and needle in c.reason


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_thousands_separators_round_trip(x):
    s = f"{x:,.2f}"
    assert parse_cell(s).value == pytest.approx(round(x, 2), abs=1e-9)
    assert parse_cell(s.translate(FW)).value == pytest.approx(round(x, 2), abs=1e-9)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_repr_round_trip(x):
    assert parse_cell(repr(x)).value == x


def test_parse_series_vectorised():
    s = pd.Series(["1", "—", "x1", 2.0], index=[10, 11, 12, 13])
    out = parse_series(s)
    assert list(out.index) == [10, 11, 12, 13]
    assert list(out["status"]) == ["number", "missing", "invalid", "number"]
    assert out["value"].iloc[0] == 1 and math.isnan(out["value"].iloc[1])


def test_parse_year():
    for x in (2022, 2022.0, "2022", "2022年", "２０２２年", "2022年度", " 2022 ", "2022.0", np.int64(2022),
              pd.Timestamp("2022-01-01")):  # fmt: skip
        assert parse_year(x) == 2022, x
    for x in (
        "2022Q1",
        "二〇二二",
        "22",
        2022.5,
        "2022-06-30",
        None,
        True,
        99999,
        "abc",
        pd.Timestamp("2022-06-30"),
    ):
        assert parse_year(x) is None, x


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-(10**15), 10**15),
            st.floats(),
            st.text(max_size=8),
            st.from_regex(r"\A[+-]?\d{1,6}(\.\d{0,3})?([eE][+-]?\d{1,3})?\Z"),
            st.sampled_from(["1,234", "—", "12%", "3①"]),
        ),  # fmt: skip
        max_size=30,
    )
)
def test_vectorised_path_equals_cell_by_cell(cells):
    """Second algorithm: parse_series' vectorised fast path must agree with parse_cell on every cell."""
    out = parse_series(pd.Series(cells, dtype=object))
    for k, x in enumerate(cells):
        c = parse_cell(x)
        assert out["status"].iat[k] == c.status
        v = out["value"].iat[k]
        assert (math.isnan(v) and math.isnan(c.value)) or v == c.value
        assert out["percent"].iat[k] == c.percent


@pytest.mark.parametrize("cell", ["1e309", "-1e400", "1e999%", "+1E310"])
def test_overflow_is_invalid_not_infinite(cell):
    c = parse_cell(cell)
    assert c.status == "invalid" and math.isnan(c.value) and "overflows" in c.reason
    s = parse_series(pd.Series([cell, "2.5"], dtype=object))
    assert s["status"].tolist() == ["invalid", "number"] and np.isnan(s["value"].iat[0])


def test_period_column_reads_text_years_and_names_the_bad_row():
    from nqpf.data.parse import period_column
    from nqpf.errors import DataError

    s = pd.Series(["2015年", "2016", 2017, "２０１８年度", 2019.0], dtype=object)
    got = period_column(s)
    assert got.tolist() == [2015, 2016, 2017, 2018, 2019] and got.dtype == "int64"
    assert period_column(pd.Series([1, 2, 3])).tolist() == [1, 2, 3]  # DEAP-style period numbers
    units = pd.Series(["a", "b", "c"])
    with pytest.raises(DataError, match=r"malmquist: column 'year', row 3 \(unit 'b'\): "
                                        r"the period is '2016-2017', neither a number nor a year"):
        period_column(pd.Series(["2015", "2016-2017", "x"]), column="year", context="malmquist", units=units)
    with pytest.raises(DataError, match=r"row 4: the period is empty"):
        period_column(pd.Series([2015, 2016, None]))


@pytest.mark.parametrize(
    "spec,message",
    [
        ("2022-2012", "--periods '2022-2012' runs backwards and selects no year; write 2012-2022"),
        ((2022, 2012), "--periods (2022, 2012) runs backwards and selects no year; write 2012-2022"),
        (",", "--periods ',' names no year"),
        ([], "--periods [] names no year"),
    ],
)
def test_check_period_range_refuses_backwards_and_empty(spec, message):
    from nqpf.data.parse import check_period_range
    from nqpf.errors import DataError

    with pytest.raises(DataError) as e:
        check_period_range(spec, option="--periods")
    assert str(e.value).startswith(message)


@pytest.mark.parametrize("spec", [None, "2012-2022", "2012-2012", "2015,2020", "all", (2012, 2022), [2015]])
def test_check_period_range_accepts_what_selects_years(spec):
    from nqpf.data.parse import check_period_range

    check_period_range(spec)
