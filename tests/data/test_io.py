"""Readers and writers: every format, layouts, encodings, NBS/EPS exports; the input is never modified."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import nqpf
from nqpf._util import sha256_file
from nqpf.data.io import decode_bytes, load, read, split_uom, write
from nqpf.data.panel import check_long
from nqpf.errors import DataError, NQPFError, ValidationError

from ._build import CODES, GDP, multiheader_xlsx, nbs_csv_text, write_nbs_csv

RAW = Path(__file__).resolve().parents[2] / "../shared/data/raw/renjiyi_nbs_exports"


def _expected_gdp() -> pd.DataFrame:
    rows = [(CODES[n], y, "地区生产总值", v) for n, d in GDP.items() for y, v in d.items()]
    return check_long(pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"]))


@pytest.mark.parametrize("enc", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_nbs_export_csv_all_encodings(tmp_path, enc):
    p = write_nbs_csv(tmp_path / f"gdp_{enc}.csv", encoding=enc)
    h = sha256_file(p)
    res = read(p, with_report=True)
    pd.testing.assert_frame_equal(res.data, _expected_gdp())
    assert res.meta["layout"] == "by_year" and res.meta["units_of_measure"] == {"地区生产总值": ["亿元"]}
    assert res.meta["title_meta"]["数据库"] == "分省年度数据"
    assert res.meta["notes"][-1].startswith("数据来源")
    assert res.problems == []
    assert sha256_file(p) == h  # never modified


def test_gbk_detection_prefers_gb18030_and_reports_encoding(tmp_path):
    text = nbs_csv_text()
    t, enc = decode_bytes(text.encode("gbk"))
    assert t == text and enc == "gb18030"
    assert decode_bytes(text.encode("utf-8-sig"))[1] == "utf-8-sig"
    with pytest.raises(DataError, match="cannot decode"):
        decode_bytes(text.encode("gbk"), "utf-8")
    with pytest.raises(DataError, match="unknown encoding"):
        decode_bytes(b"a", "no-such-codec")


def test_multirow_header_xlsx_with_titles_and_notes(tmp_path):
    p = multiheader_xlsx(tmp_path / "eps.xlsx")
    h = sha256_file(p)
    res = load(p)
    assert res.meta["header_rows"] == 2 and res.meta["layout"] == "by_year"
    assert res.meta["units_of_measure"] == {"地区生产总值": ["亿元"], "年末常住人口": ["万人"]}
    gdp = res.data[res.data["indicator"] == "地区生产总值"].reset_index(drop=True)
    pd.testing.assert_frame_equal(gdp, _expected_gdp())
    pop = res.data[res.data["indicator"] == "年末常住人口"].set_index(["unit", "period"])["value"]
    assert pop[("120000", 2021)] == 102.0 and len(pop) == 12
    assert res.problems == []
    assert len(res.meta["notes"]) == 3 and res.meta["titles"][0].startswith("表 2-1")
    # cells remember where they came from: 天津市 is on Excel row 6, 2021 GDP in column C
    c = res.cells[(res.cells["unit_raw"] == "天津市") & (res.cells["indicator"] == "地区生产总值")]
    assert set(c["row"]) == {6} and "C (地区生产总值(亿元) | 2021年)" in set(c["column"])
    assert sha256_file(p) == h


def test_sheet_selection(tmp_path):
    p = multiheader_xlsx(tmp_path / "eps.xlsx")
    assert len(read(p, sheet="分省数据")) == 24 and len(read(p, sheet=0)) == 24
    with pytest.raises(DataError, match="no sheet"):
        read(p, sheet="nope")


def test_long_and_wide_csv_and_unit_column(tmp_path):
    long = tmp_path / "long.csv"
    long.write_text(
        '省份,年份,指标,数值,单位\n北京,2020,gdp,1.5,亿元\nBeijing,2021,gdp,"1,234.5",亿元\n天津,2020,gdp,—,亿元\n',
        encoding="gbk",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = read(long)
    assert list(d["unit"]) == ["110000", "110000", "120000"]
    assert d["value"].iloc[1] == 1234.5 and np.isnan(d["value"].iloc[2])
    assert d.attrs["nqpf"]["meta"]["layout"] == "long"
    wide = tmp_path / "wide.csv"
    wide.write_text("province,year,GDP(亿元),R&D share(%)\nBeijing,2020,1,6.4\nTianjin,2020,2,3.4\n")
    d = read(wide)
    assert set(d["indicator"]) == {"GDP", "R&D share"}
    assert d.attrs["nqpf"]["meta"]["units_of_measure"] == {"GDP": ["亿元"], "R&D share": ["%"]}


def test_tsv_and_semicolon(tmp_path):
    p = tmp_path / "x.tsv"
    p.write_text("unit\tperiod\tx\nA\t2020\t1\nB\t2020\t2\n")
    assert list(read(p, units="none")["value"]) == [1.0, 2.0]
    p = tmp_path / "y.csv"
    p.write_text("unit;period;x\nA;2020;1\nB;2020;2\n")
    assert list(read(p, units="none")["value"]) == [1.0, 2.0]


def test_rows_are_indicators_layout(tmp_path):
    p = tmp_path / "bj.csv"
    p.write_text("数据库：分省年度数据\n地区：北京市\n时间：最近2年\n指标,2022年,2021年\n地区生产总值(亿元),45222.4,44350.7\n"
                 "城镇单位就业人员(万人),747.1,759.5\n数据来源：国家统计局\n", encoding="gbk")  # fmt: skip
    d = read(p)
    assert set(d["unit"]) == {"110000"} and len(d) == 4
    assert d.set_index(["indicator", "period"]).loc[("城镇单位就业人员", 2021), "value"] == 759.5


def test_cross_section_layout(tmp_path):
    p = tmp_path / "cs.csv"
    p.write_text("数据库：分省年度数据\n时间：2022年\n地区,地区生产总值(亿元),城镇单位就业人员(万人)\n北京市,45222.4,747.1\n天津市,16588.5,\n",
                 encoding="gb18030")  # fmt: skip
    with pytest.warns(UserWarning) as rec:
        d = read(p)
    assert {str(w.message).split(":")[0] for w in rec} == {"[warning] gaps", "[warning] unit_all_missing"}
    assert set(d["period"]) == {2022} and len(d) == 4 and d["value"].isna().sum() == 1


def test_indicator_argument_and_filename_fallback(tmp_path):
    p = tmp_path / "gdp_by_year.csv"
    p.write_text("地区,2021,2022\n北京,1,2\n天津,3,4\n")
    assert set(read(p, indicator="GDP")["indicator"]) == {"GDP"}
    with pytest.warns(UserWarning, match="indicator_from_filename"):
        d = read(p)
    assert set(d["indicator"]) == {"gdp_by_year"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "dta", "parquet"])
@pytest.mark.parametrize("layout", ["long", "wide"])
def test_write_read_round_trip(tmp_path, fmt, layout):
    data = _expected_gdp()
    data = pd.concat([data, data.assign(indicator="pop", value=data["value"] / 7)]).reset_index(drop=True)
    data.loc[3, "value"] = np.nan  # a gap must survive
    p = write(data, tmp_path / f"x.{fmt}", layout=layout)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = read(p)
    pd.testing.assert_frame_equal(back, check_long(data), check_exact=False, rtol=1e-12)


def test_write_is_atomic_and_refuses_invalid(tmp_path):
    target = tmp_path / "out.dta"
    target.write_bytes(b"old")
    bad = _expected_gdp().assign(value=1e308)  # beyond Stata's double range: refused
    with pytest.raises(DataError, match="Stata's double range"):
        write(bad, target, layout="wide")
    assert target.read_bytes() == b"old"
    with pytest.raises(DataError):
        write(bad.drop(columns="value"), tmp_path / "y.csv")
    with pytest.raises(DataError, match="unknown format"):
        write(bad, tmp_path / "y.json")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out.dta"]  # no temp files left behind


def test_nqpf_read_write_entry_points(tmp_path):
    p = nqpf.write(_expected_gdp(), tmp_path / "a.parquet")
    pd.testing.assert_frame_equal(nqpf.read(p), _expected_gdp())


def test_read_raises_with_all_problems_and_warns(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("地区,2021年,2022年\n北京,1,abc\n北凉,2,3\n天津,,4\n", encoding="gbk")
    h = sha256_file(p)
    with pytest.raises(ValidationError) as e:
        read(p, indicator="x")
    codes = {(q.code, q.row, q.column) for q in e.value.problems if q.severity == "error"}
    assert codes == {("value_invalid", 2, "C (2022年)"), ("unit_unknown", 3, "A (地区)")}
    assert "nqpf validate" in str(e.value)
    assert sha256_file(p) == h
    ok = tmp_path / "gap.csv"
    ok.write_text("地区,2021年,2022年\n北京,1,2\n天津,,4\n")
    with pytest.warns(UserWarning, match="gaps"):
        d = read(ok, indicator="x")
    assert d.attrs["nqpf"]["coverage"] == {"x": {2021: 0.5, 2022: 1.0}}
    assert any(q["code"] == "gaps" for q in d.attrs["nqpf"]["problems"])


def test_special_and_aggregate_rows_reported(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("地区,2022年\n全国,100\n北京市,1\n香港特别行政区,2\n澳门,3\n台湾省,\n")
    with pytest.warns(UserWarning) as rec:
        d = read(p, indicator="x")
    msgs = " ".join(str(w.message) for w in rec)
    assert "unit_aggregate" in msgs and msgs.count("unit_special") == 3
    assert set(d["unit"]) == {"110000", "810000", "820000", "710000"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d2 = read(p, indicator="x", special_regions="drop")
    assert set(d2["unit"]) == {"110000"}


def test_units_none_keeps_ids(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("unit,period,indicator,value\nUSA,2020,gdp,1\nCHN,2020,gdp,2\n")
    assert list(read(p, units="none")["unit"]) == ["CHN", "USA"]


def test_unreadable_inputs_raise_nqpf_errors(tmp_path):
    cases = {
        "empty.csv": b"",
        "garbage.xlsx": b"PK\x03\x04garbage",
        "old.xls": b"\xd0\xcf\x11\xe0" + b"\0" * 100,
        "bad.parquet": b"PAR1xxxx",
        "bad.dta": b"<stata_dta>broken",
        "titles.csv": "数据库：分省年度数据\n指标：x\n".encode("gbk"),
        "nolayout.csv": b"a,b\n1,2\n",
    }
    for name, b in cases.items():
        p = tmp_path / name
        p.write_bytes(b)
        with pytest.raises(NQPFError):
            read(p)
    with pytest.raises(DataError, match="does not exist"):
        read(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="layout"):
        read(tmp_path / "empty.csv", layout="diagonal")


def test_split_uom():
    assert split_uom("地区生产总值(亿元)") == ("地区生产总值", "亿元")
    assert split_uom("年末常住人口（万人）") == ("年末常住人口", "万人")
    assert split_uom("人口数(人口抽样调查)(人)") == ("人口数(人口抽样调查)", "人")
    assert split_uom("人口数(人口抽样调查)") == ("人口数(人口抽样调查)", "")
    assert split_uom("R&D share (%)") == ("R&D share", "%")
    assert split_uom("GDP per capita (元/人)") == ("GDP per capita", "元/人")


@pytest.mark.skipif(not RAW.exists(), reason="shared raw NBS exports not available")
def test_real_nbs_exports_match_independent_parse():
    """The raw folder's long CSV was parsed by another reader (PROVENANCE.md): values must agree exactly."""
    ref = pd.read_csv(RAW / "nbs_exports_employment_gdp_long.csv", dtype={"province_code": str})
    files = sorted((RAW / "original").glob("nbs_export_*.csv"))
    assert len(files) == 7
    names = {
        "分省年度数据.csv": "nbs_export_0.csv",
        **{f"分省年度数据 ({k}).csv": f"nbs_export_{k}.csv" for k in range(1, 7)},
    }
    n_checked = 0
    for f in files:
        h = sha256_file(f)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = read(f, with_report=True)
        assert res.meta["encoding"] == "gb18030" and not res.errors
        sub = ref[ref["source_file"].map(names) == f.name]
        got = res.data.dropna(subset=["value"]).set_index(["unit", "period"])["value"]
        exp = sub.set_index(["province_code", "year"])["value"].astype(float)
        exp.index.names = ["unit", "period"]
        pd.testing.assert_series_equal(got.sort_index(), exp.sort_index(), check_names=False)
        assert set(sub["unit"]) == set(sum(res.meta["units_of_measure"].values(), []))
        n_checked += len(exp)
        assert sha256_file(f) == h
    assert n_checked == len(ref) == 434 + 527 + 217 + 589 + 186 + 527 + 527


def test_cli_reader_csv_module_handles_quotes(tmp_path):
    p = tmp_path / "q.csv"
    with open(p, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["unit", "period", "indicator", "value"])
        w.writerow(["北京", 2020, 'a "quoted", name', "1,000"])
    assert read(p)["indicator"].iloc[0] == 'a "quoted", name'
    assert read(p)["value"].iloc[0] == 1000.0


def test_xlsx_long_with_typed_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["unit", "period", "indicator", "value"])
    ws.append([110000, 2020, "gdp", 1.5])
    ws.append(["120000", 2020.0, "gdp", "2,000"])
    p = tmp_path / "t.xlsx"
    wb.save(p)
    d = read(p)
    assert list(d["unit"]) == ["110000", "120000"] and list(d["value"]) == [1.5, 2000.0]


def test_eps_unit_indicator_by_year_layout(tmp_path):
    """EPS-style export: 地区, 指标, 单位, then one column per year; indicator and unit of measure per row."""
    p = tmp_path / "eps.csv"
    p.write_text(
        "地区,指标,单位,2021年,2022年\n北京市,地区生产总值,亿元,44350.7,45222.4\n北京市,专利授权数,件,1,2\n"
        "天津市,地区生产总值,亿元,16093.2,16588.5\n天津市,专利授权数,件,3,4\n",
        encoding="gbk",
    )
    res = read(p, with_report=True)
    assert res.meta["layout"] == "by_year"
    assert res.meta["units_of_measure"] == {"专利授权数": ["件"], "地区生产总值": ["亿元"]}
    d = res.data.set_index(["unit", "period", "indicator"])["value"]
    assert d[("120000", 2022, "地区生产总值")] == 16588.5 and d[("110000", 2021, "专利授权数")] == 1.0
    assert len(d) == 8


def test_write_refuses_values_beyond_stata_range_and_unencodable_text(tmp_path):
    df = pd.DataFrame({"unit": ["A"], "period": [2020], "indicator": ["x"], "value": [1.7e308]})
    with pytest.raises(DataError, match="cannot write"):
        write(df, tmp_path / "big.dta")
    df2 = pd.DataFrame({"unit": ["北京"], "period": [2020], "indicator": ["x"], "value": [1.0]})
    with pytest.raises(DataError, match="encoding"):
        write(df2, tmp_path / "latin.csv", encoding="latin-1")
    assert list(tmp_path.iterdir()) == []


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-1+2", "@SUM(1)"]


def _injected_panel() -> pd.DataFrame:
    units = [*FORMULAS, "北京"]
    return pd.DataFrame({"unit": units, "period": 2020, "indicator": ["=gdp"] + ["gdp"] * 4,
                         "value": [-3.2, 1.0, 2.0, 3.0, 4.0]})


@pytest.mark.parametrize("layout", ["long", "wide"])
def test_write_neutralises_formula_cells_in_csv_and_xlsx(tmp_path, layout):
    df = _injected_panel()
    p = write(df, tmp_path / "x.csv", layout=layout)
    text = list(csv.reader(p.open(encoding="utf-8", newline="")))
    cells = [c for row in text for c in row]
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert {"'" + f for f in FORMULAS} <= set(cells) and "北京" in cells
    assert "-3.2" in cells  # the negative number is written as a number
    x = write(df, tmp_path / "x.xlsx", layout=layout)
    ws = openpyxl.load_workbook(x).active
    vals = [c for row in ws.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in vals)  # no live formula
    texts = {c.value for c in vals if isinstance(c.value, str)}
    assert {"'" + f for f in FORMULAS} <= texts
    assert -3.2 in {c.value for c in vals if isinstance(c.value, float)}


def test_write_raw_text_keeps_text_as_it_is(tmp_path):
    df = _injected_panel()
    p = write(df, tmp_path / "raw.csv", raw_text=True)
    units = [r[0] for r in csv.reader(p.open(encoding="utf-8", newline=""))][1:]
    assert sorted(units) == sorted([*FORMULAS, "北京"])
    x = write(df, tmp_path / "raw.xlsx", raw_text=True)
    ws = openpyxl.load_workbook(x).active
    assert any(c.data_type == "f" for row in ws.iter_rows() for c in row)  # raw: Excel would run it
