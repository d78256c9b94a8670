"""Validation: broken GBK CSV / Excel files list every problem with its row and column."""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from nqpf._util import sha256_file
from nqpf.data.catalogue import check_catalogue, conversion_hint, infer_kind, load_catalogue
from nqpf.data.validate import coverage_table, validate
from nqpf.errors import DataError

from ._build import multiheader_xlsx

BROKEN_LONG = """unit,period,indicator,value,单位
北京市,2020,gdp,36102.6,亿元
北京,2020,gdp,36103.0,亿元
天津市,2020,gdp,"14,083.7",亿元
北凉,2020,gdp,100,亿元
河北省,二〇二〇,gdp,5,亿元
山西省,2020,gdp,abc,亿元
山西省,2020,patents,-5,件
山西省,2020,rd_share,120,%
内蒙古自治区,2020,gdp,17400000,万元
香港,2020,gdp,27000,亿元
全国,2020,gdp,1013567,亿元
辽宁省,2020,gdp,25115.0,亿元
辽宁,2020,gdp,25115.0,亿元
,2020,gdp,1,亿元
"""
# line:  1 header, 2 北京市, 3 北京 (dup conflict), 4 天津, 5 北凉, 6 河北 period, 7 山西 abc, 8 negative count,
#        9 share>100, 10 万元 (mixed), 11 香港, 12 全国, 13 辽宁省, 14 辽宁 (identical dup), 15 empty unit


def _key(rep):
    return {(p.severity, p.code, p.row, p.column) for p in rep.problems}


def test_broken_gbk_long_csv_lists_every_problem(tmp_path):
    p = tmp_path / "broken.csv"
    p.write_bytes(BROKEN_LONG.encode("gbk"))
    h = sha256_file(p)
    rep = validate(p)
    got = _key(rep)
    expected_errors = {
        ("error", "duplicate_conflict", 3, "D (value)"),
        ("error", "unit_unknown", 5, "A (unit)"),
        ("error", "period_invalid", 6, "B (period)"),
        ("error", "value_invalid", 7, "D (value)"),
        ("error", "negative_count", 8, "D (value)"),
        ("error", "share_out_of_range", 9, "D (value)"),
        ("error", "uom_mixed", 10, "D (value)"),
        ("error", "unit_empty", 15, "A (unit)"),
    }
    assert {k for k in got if k[0] == "error"} == expected_errors
    assert ("warning", "unit_special", 11, "A (unit)") in got
    assert ("warning", "unit_aggregate", 12, "A (unit)") in got
    assert ("warning", "duplicate_identical", 14, "D (value)") in got
    assert not rep.ok and rep.meta["encoding"] == "gb18030"
    by_code = {p.code: p for p in rep.problems}
    assert "北京" in by_code["unit_unknown"].message and by_code["unit_unknown"].unit == "北凉"
    assert (
        by_code["duplicate_conflict"].unit == "110000"
        and "rows 2, 3" in by_code["duplicate_conflict"].message
    )
    assert "1 亿元 = 10000 万元" in by_code["uom_mixed"].message
    assert by_code["negative_count"].indicator == "patents" and by_code["negative_count"].unit == "140000"
    for q in rep.errors:  # every error names file and row, and says what to do
        assert q.file == "broken.csv" and q.row is not None and q.column
        assert any(
            w in q.message for w in ("correct", "Correct", "fix", "write", "keep", "convert", "fill", "check")
        )
    assert sha256_file(p) == h


def test_broken_gbk_excel_multirow_header(tmp_path):
    body = [
        ["北京市", 38503.6, "44,350.7", "abc", 100, 101, 102],
        ["湖苝省", 1, 2, 3, 4, 5, 6],
        ["天津市", 14230.8, "—", "16588.5①", -4, 5, 6],
        ["北京", 38503.6, 44350.7, 45222.4, 100, 101, 102],
        ["香港特别行政区", "…", "/", "NA", 1, 2, 3],
    ]
    p = multiheader_xlsx(tmp_path / "broken.xlsx", body=body, extra_header=["合计"])
    h = sha256_file(p)
    rep = validate(p)
    got = _key(rep)
    col = "D (地区生产总值(亿元) | 2022年)"
    errors = {k for k in got if k[0] == "error"}
    assert errors == {
        ("error", "value_invalid", 5, col),
        ("error", "unit_unknown", 6, "A (地区)"),
        ("error", "negative_count", 7, "E (年末常住人口(万人) | 2020年)"),
        ("error", "duplicate_conflict", 8, col),
        ("error", "header_not_year", 4, "H (年末常住人口(万人) | 合计)"),
    }
    assert ("warning", "value_footnote", 7, col) in got
    assert ("warning", "unit_special", 9, "A (地区)") in got
    assert ("warning", "duplicate_identical", 8, "B (地区生产总值(亿元) | 2020年)") in got
    # units 北京, 天津, 香港 (湖苝 dropped); 2021: 天津 '—' and 香港 '/' are gaps; 2020: 香港 '…' is a gap
    assert rep.coverage.loc["地区生产总值", 2021] == pytest.approx(1 / 3)
    assert rep.coverage.loc["地区生产总值", 2020] == pytest.approx(2 / 3)
    assert rep.coverage.loc["年末常住人口", 2020] == pytest.approx(1.0)
    assert sha256_file(p) == h


def test_non_year_header_among_year_columns(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("地区,2021年,2022年,合计\n北京,1,2,3\n", encoding="gbk")
    rep = validate(p, indicator="x")
    assert ("error", "header_not_year", 1, "D (合计)") in _key(rep)


def test_unreadable_file_is_one_problem(tmp_path):
    p = tmp_path / "x.xlsx"
    p.write_bytes(b"PK\x03\x04nope")
    rep = validate(p)
    assert [q.code for q in rep.problems] == ["unreadable"] and not rep.ok


def test_catalogue_checks_and_uom_mismatch(tmp_path):
    cat = pd.DataFrame(
        {
            "indicator": ["gdp", "share", "cap"],
            "name_zh": ["地区生产总值", "研发投入占比", "容量"],
            "unit_of_measure": ["亿元", "%", "万千瓦"],
            "direction_hint": [1, 1, 0],
            "max_value": [np.nan, np.nan, 10],
        }
    )
    p = tmp_path / "c.csv"
    p.write_text("unit,period,indicator,value,unit_of_measure\n北京,2020,gdp,1,万元\n北京,2020,share,-1,%\n"
                 "北京,2020,cap,11,万千瓦\n北京,2020,other,1,\n")  # fmt: skip
    rep = validate(p, catalogue=cat)
    got = _key(rep)
    assert ("error", "uom_mismatch", 2, "D (value)") in got
    assert ("error", "share_out_of_range", 3, "D (value)") in got
    assert ("error", "out_of_range", 4, "D (value)") in got
    assert any(q.code == "not_in_catalogue" and q.indicator == "other" for q in rep.problems)
    cat.to_csv(tmp_path / "cat.csv", index=False, encoding="gbk")
    assert list(load_catalogue(tmp_path / "cat.csv")["indicator"]) == ["gdp", "share", "cap"]
    (tmp_path / "cat.yaml").write_text(
        "gdp: {unit_of_measure: 亿元, direction_hint: 1}\nx: {direction_hint: -1}\n"
    )
    c2 = load_catalogue(tmp_path / "cat.yaml")
    assert list(c2["direction_hint"]) == [1, -1] and c2.loc[0, "unit_of_measure"] == "亿元"
    with pytest.raises(DataError, match="direction_hint"):
        check_catalogue(pd.DataFrame({"indicator": ["a"], "direction_hint": [2]}))
    with pytest.raises(DataError, match="twice"):
        check_catalogue(pd.DataFrame({"indicator": ["a", "a"]}))


def test_kind_inference():
    assert infer_kind("万人") == "count" and infer_kind("件") == "count"
    assert infer_kind("%", "研发投入占GDP比重") == "share"
    assert infer_kind("%", "比上年增长") == "rate" and infer_kind("%", "GDP growth") == "rate"
    assert infer_kind("亿元") == "amount" and infer_kind("") == "other"
    assert conversion_hint("万元", "亿元") == "1 亿元 = 10000 万元"
    assert conversion_hint("万人", "亿元") is None


def test_growth_rates_may_be_negative(tmp_path):
    p = tmp_path / "g.csv"
    p.write_text("地区,2021年,2022年\n北京,-4.7,150\n", encoding="gbk")
    rep = validate(p, indicator="固定资产投资_比上年增长(%)")
    assert rep.ok


def test_validate_dataframe_and_coverage_identity():
    df = pd.DataFrame(
        {"unit": ["110000", "110000", "120000", "120000", "120000"], "period": [2020, 2021, 2020, 2021, 2021],
         "indicator": ["a"] * 5, "value": [1.0, np.nan, 2.0, 3.0, 4.0]}
    )  # fmt: skip
    rep = validate(df)
    assert {(q.code, q.row) for q in rep.errors} == {("duplicate_conflict", 6)}
    cov = coverage_table(rep.data)
    # identity: coverage share × number of units = count of non-missing values per period
    counts = rep.data.dropna().groupby("period").size()
    assert (cov.loc["a"] * rep.data["unit"].nunique()).round(9).to_dict() == counts.astype(float).to_dict()
    assert math.isclose(cov.loc["a", 2021], 0.5)
    d = rep.to_dict()
    assert d["n_errors"] == 1 and d["coverage"]["a"]["2020"] == 1.0


def test_language_of_messages(tmp_path):
    p = tmp_path / "z.csv"
    p.write_text("地区,2022年\n北凉,1\n")
    rep = validate(p, indicator="x", lang="zh")
    assert "无法识别的省份" in rep.errors[0].message


def test_excel_with_typed_numbers_and_formula_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["地区", 2021, 2022])
    ws.append(["北京", 1, "=B2*2"])  # formula without cached value: its value is unknown, not a gap
    p = tmp_path / "f.xlsx"
    wb.save(p)
    rep = validate(p, indicator="x")
    assert [(q.code, q.row, q.column) for q in rep.errors] == [("formula_uncached", 2, "C (2022)")]
    assert "Sheet!C2" in rep.errors[0].message and "paste values" in rep.errors[0].message


def test_mixed_units_from_headers(tmp_path):
    """Two sheets' worth of GDP pasted side by side, one in 亿元 and one in 万元 (header units)."""
    p = tmp_path / "m.csv"
    p.write_text(
        "地区,年份,GDP(亿元),GDP（万元）\n北京,2020,36102.6,\n天津,2021,,140837000\n", encoding="gbk"
    )
    rep = validate(p)
    mixed = [q for q in rep.errors if q.code == "uom_mixed"]
    assert len(mixed) == 1 and mixed[0].indicator == "GDP" and "1 亿元 = 10000 万元" in mixed[0].message
    assert mixed[0].column in ("C (GDP(亿元))", "D (GDP(万元))")


def test_row_numbers_are_the_lines_a_user_sees(tmp_path):
    """Title lines and blank lines count: the bad cell is on physical line 7 of the file (1-based)."""
    text = "数据库：分省年度数据\n指标：地区生产总值(亿元)\n时间：最近2年\n地区,2021年,2022年\n北京市,1,2\n\n天津市,3,x3\n注：说明\n"
    p = tmp_path / "r.csv"
    p.write_bytes(text.encode("gbk"))
    rep = validate(p)
    (err,) = rep.errors
    assert (err.code, err.row, err.column) == ("value_invalid", 7, "C (2022年)")
    assert text.splitlines()[err.row - 1].startswith("天津市")
    assert (err.unit, err.indicator) == ("120000", "地区生产总值")


def test_package_level_api():
    import sys

    import nqpf.data

    vmod = sys.modules["nqpf.data.validate"]  # `import nqpf.data.validate as m` would give the function
    assert callable(nqpf.data.validate) and nqpf.data.validate is vmod.validate
    assert nqpf.data.normalize_province("Beijing") == "110000"


def test_overflowing_numbers_are_errors_naming_row_unit_indicator(tmp_path):
    """Issue 11 item 2: ``1e309`` and ``-1e400`` parsed as ±inf, passed validation and gave 0/NaN downstream."""
    p = tmp_path / "ov.csv"
    p.write_text("province,year,gdp,rd\nBeijing,2018,1e309,3\nTianjin,2018,3,-1e400\nHebei,2018,4,5\n")
    rep = validate(p)
    assert not rep.ok
    bad = [(q.code, q.row, q.unit, q.indicator) for q in rep.problems if q.code == "value_invalid"]
    assert bad == [("value_invalid", 2, "110000", "gdp"), ("value_invalid", 3, "120000", "rd")]
    assert "overflows a double" in str(next(q for q in rep.problems if q.code == "value_invalid"))
