"""nqpf.data.tables: one table writer (format by extension), the Stata name rule and its round trip.

References: the Stata rule is checked against pandas' own Stata reader and against ReadStat (pyreadstat), two
independent implementations of the dta 118 format; names Stata refuses are [U] 11.3 "Naming conventions"."""

from __future__ import annotations

import warnings
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.data.io import read, write
from nqpf.data.tables import (
    is_stata_name,
    read_table,
    stata_characteristics,
    stata_names,
    write_table,
)
from nqpf.errors import DataError

pyreadstat = pytest.importorskip("pyreadstat")

LONG40 = "indicator_with_a_very_long_name_of_40chr"
HARD = ["else", LONG40, "科技投入", "1st", "_n", "R&D share", "double", "ok_name"]


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    df = pd.DataFrame({c: rng.normal(size=4) for c in HARD})
    df.iloc[1, 0] = np.nan
    df.iloc[3, 2] = np.nan
    df.insert(0, "province", ["北京", "天津", None, "=HYPERLINK(1)"])
    df.insert(1, "year", [2020, 2021, 2022, 2023])
    return df


def test_hard_names_are_mapped_by_the_documented_rule():
    assert len(LONG40) == 40
    got = stata_names(["province", *HARD])
    # legal names kept; the others: ASCII fold, _ runs, v_ prefix (digit/reserved), v<k> when empty, ≤ 32
    assert got == ["province", "v_else", LONG40[:32], "v4", "v_1st", "n", "R_D_share", "v_double", "ok_name"]
    assert all(is_stata_name(n) for n in got) and len(set(got)) == len(got)
    assert stata_names(["province", *HARD]) == got  # deterministic


def test_collisions_get_numbered_suffixes_and_legal_names_win():
    got = stata_names(["v_else", "else", "a" * 40, "a" * 41, "x", "x"])
    assert got == ["v_else", "v_else_2", "a" * 32, "a" * 30 + "_2", "x", "x_2"]


@given(st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=8))
@settings(max_examples=200, deadline=None)
def test_rule_always_gives_distinct_legal_names_and_keeps_legal_ones(cols):
    got = stata_names(cols)
    assert len(got) == len(cols) and len(set(got)) == len(got)
    assert all(is_stata_name(n) for n in got)
    seen: set[str] = set()
    for c, n in zip(cols, got, strict=True):
        if is_stata_name(c) and c not in seen:
            assert n == c
        seen.add(c)


def test_dta_round_trip_with_pandas_and_pyreadstat(tmp_path):
    df = _frame()
    man: dict = {}
    p = write_table(df, tmp_path / "t.dta", labels={"1st": "first indicator"}, manifest=man)
    assert p.read_bytes().startswith(b"<stata_dta><header><release>118</release>")
    names = stata_names(df.columns)
    mapping = man["output_files"]["t.dta"]["stata_names"]
    assert mapping == {n: c for n, c in zip(names, df.columns, strict=True) if n != c}
    # pandas: the file's own names, original names as variable labels
    with pd.io.stata.StataReader(p) as rd:
        raw = rd.read()
        labels = rd.variable_labels()
        data_label = rd.data_label
    assert list(raw.columns) == names and names[4] == "v5"  # 科技投入 is the 5th column: v<k>
    assert labels["v_else"] == "else" and labels["v5"] == "科技投入" and labels[LONG40[:32]] == LONG40
    assert labels["v_1st"] == "1st: first indicator" and "nqpf_name" in data_label
    np.testing.assert_array_equal(raw["v_else"].to_numpy(), df["else"].to_numpy())  # NaN → . → NaN
    # ReadStat: same values, same labels
    prs, meta = pyreadstat.read_dta(str(p))
    assert list(prs.columns) == names
    assert meta.column_names_to_labels["v5"] == "科技投入" and meta.column_names_to_labels["v_else"] == "else"
    for c, n in zip(df.columns[2:], names[2:], strict=True):
        np.testing.assert_array_equal(prs[n].to_numpy(float), df[c].to_numpy(float))
    assert prs["province"].tolist() == ["北京", "天津", "", "=HYPERLINK(1)"]  # Stata text: missing is ""
    # characteristics hold the full original names; nqpf gives them back
    assert stata_characteristics(p)[LONG40[:32]] == {"nqpf_name": LONG40}
    back = read_table(p)
    assert list(back.columns) == list(df.columns)
    pd.testing.assert_frame_equal(
        back.drop(columns=["province", "year"]), df.drop(columns=["province", "year"])
    )


def test_io_write_wide_dta_maps_names_and_read_restores_them(tmp_path):
    rows = [
        (u, y, i, v) for u in ("A", "B") for y in (2020, 2021) for i, v in zip(HARD, range(8), strict=True)
    ]
    long = pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"]).astype({"value": float})
    long.loc[3, "value"] = np.nan
    p = write(long, tmp_path / "w.dta", layout="wide")
    cols = list(pd.read_stata(p).columns)  # unit, period, the indicators in sorted order, mapped
    assert (
        len(cols) == 10
        and all(is_stata_name(c) for c in cols)
        and not {"else", "科技投入", "1st"} & set(cols)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = read(p, units="none")
    key = ["unit", "period", "indicator"]
    a = long.sort_values(key).reset_index(drop=True)
    b = back.sort_values(key).reset_index(drop=True)[a.columns]
    assert a[key].astype(str).equals(b[key].astype(str))
    np.testing.assert_array_equal(a["value"].to_numpy(), b["value"].to_numpy())


def test_csv_and_xlsx_neutralise_formulas_unless_raw_text(tmp_path):
    df = _frame()
    write_table(df, tmp_path / "t.csv")
    assert "'=HYPERLINK(1)" in (tmp_path / "t.csv").read_text(encoding="utf-8")
    write_table(df, tmp_path / "r.csv", raw_text=True)
    assert "'=HYPERLINK" not in (tmp_path / "r.csv").read_text(encoding="utf-8")
    write_table(df, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["table"]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert ws.freeze_panes == "A2"
    back = pd.read_excel(tmp_path / "t.xlsx")
    # Excel's precision (openpyxl writes 16 significant digits; Excel itself shows 15)
    np.testing.assert_allclose(back["科技投入"].to_numpy(), df["科技投入"].to_numpy(), rtol=4e-16)
    write_table(df, tmp_path / "r.xlsx", raw_text=True)
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["table"]
    assert any(c.data_type == "f" for c in ws["A"])  # the switch really writes raw text


def test_parquet_is_exact_and_tex_is_booktabs(tmp_path):
    df = _frame()
    p = write_table(df, tmp_path / "t.parquet")
    assert p.read_bytes()[:4] == b"PAR1"
    pd.testing.assert_frame_equal(pd.read_parquet(p), df)
    tex = write_table(df, tmp_path / "t.tex", labels={"else": "Else (label)"}, digits=3).read_text()
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    assert "Else (label)" in tex and r"R\&D share" in tex and "--" in tex  # labels, escaping, NaN
    assert f"{df.iloc[0, 2]:.3f}" in tex


def test_unknown_extension_and_unwritable_values_are_refused_atomically(tmp_path):
    df = _frame()
    with pytest.raises(
        DataError, match=r"--out .*x\.json: cannot write a table with extension '.json'.*\.dta"
    ):
        write_table(df, tmp_path / "x.json", option="--out")
    target = tmp_path / "old.dta"
    target.write_bytes(b"old")
    with pytest.raises(DataError, match=r"column 'else' row 1 .*Stata's double range"):
        write_table(df.assign(**{"else": 1e308}), target)
    assert target.read_bytes() == b"old"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["old.dta"]  # no temp file left
    assert not zipfile.is_zipfile(target)


def test_stata_column_types(tmp_path):
    df = pd.DataFrame({"num_obj": pd.Series([1.5, None, 3], dtype=object), "mixed": pd.Series(["x", None, 2]),
                       "flag": [True, False, True], "n": pd.array([1, None, 3], dtype="Int64")})  # fmt: skip
    back = read_table(write_table(df, tmp_path / "t.dta"))
    assert back["num_obj"].dtype == "float64" and np.isnan(back["num_obj"][1])  # numbers stay numbers
    assert back["mixed"].tolist() == ["x", "", "2"]  # text; a missing text is Stata's ""
    assert back["flag"].tolist() == [1, 0, 1] and np.isnan(back["n"][1]) and back["n"][2] == 3.0
