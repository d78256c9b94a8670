"""Reading never loses data quietly: header guessing, mixed encodings, invisible characters in names and
xlsx formulas without cached values are named errors or warnings with their row, unit and indicator."""

from __future__ import annotations

import types
import warnings
import zipfile

import openpyxl
import pytest

from nqpf.data.io import decode_bytes, load, read
from nqpf.data.validate import validate
from nqpf.errors import DataError, ValidationError

from ._build import multiheader_xlsx


def _codes(rep):
    return [(q.severity, q.code, q.row, q.column) for q in rep.problems]


# ------------------------------------------------------------------------------------ A. header guessing
def test_misspelt_first_province_is_unit_unknown_not_a_header_row(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("province,year,gdp,rd\nBeijingg,2018,2,3\nTianjin,2018,3,4\nHebei,2018,4,5\n")
    rep = validate(p)
    assert rep.meta["header_rows"] == 1
    assert [(q.code, q.row, q.column, q.unit) for q in rep.errors] == [
        ("unit_unknown", 2, "A (province)", "Beijingg")
    ]
    assert set(rep.data["indicator"]) == {"gdp", "rd"}


def test_by_year_table_misspelt_first_unit_is_reported(tmp_path):
    p = tmp_path / "y.csv"
    p.write_text("地区,2021年,2022年\n北经,1,2\n天津,3,4\n", encoding="gbk")
    rep = validate(p, indicator="x")
    assert rep.meta["header_rows"] == 1
    assert [(q.code, q.row) for q in rep.errors] == [("unit_unknown", 2)]


def test_year_in_period_column_marks_a_data_row(tmp_path):
    """Values that are all year-like or missing markers: the period column still says 'data'."""
    p = tmp_path / "w.csv"
    p.write_text("province,year,gdp\nBeijingg,2018,—\nTianjin,2018,3\n")
    rep = validate(p)
    assert [(q.code, q.row) for q in rep.errors] == [("unit_unknown", 2)]


def test_text_only_unit_row_is_still_a_header_row(tmp_path):
    p = tmp_path / "u.csv"
    p.write_text("province,year,gdp,rd\n,,亿元,万人\nBeijing,2018,2,3\nTianjin,2018,3,4\n")
    rep = validate(p)
    assert rep.ok and rep.meta["header_rows"] == 2 and len(rep.data) == 4
    x = multiheader_xlsx(tmp_path / "eps.xlsx")  # merged two-row header with years in the lower row
    res = load(x)
    assert res.meta["header_rows"] == 2 and res.problems == []


def test_web_upload_uses_the_same_reader(tmp_path):
    from nqpf.web.guard import Limits
    from nqpf.web.ingest import ingest

    store = types.SimpleNamespace(add_upload=lambda *args: "u1", upload_usage=lambda: (0, 0))
    dash = types.SimpleNamespace(data_dir=tmp_path, store=store, max_rows=10_000, max_cols=100, max_uploads=10,
                                 max_store_bytes=10**9, isolate=True, limits=Limits(max_rows=10_000, max_cols=100))
    out = ingest(dash, "s.csv", b"province,year,gdp,rd\nBeijingg,2018,2,3\nTianjin,2018,3,4\n", "province")
    assert not out["ok"]
    assert [(q["code"], q["row"]) for q in out["report"]["problems"]] == [("unit_unknown", 2)]


# ------------------------------------------------------------------------------------ B. mixed encodings
def _mixed(lines: list[str], gbk_lines: set[int]) -> bytes:
    """Lines 1-based; those in ``gbk_lines`` encoded as GBK, the others as UTF-8."""
    return b"".join((ln + "\n").encode("gbk" if k in gbk_lines else "utf-8") for k, ln in enumerate(lines, 1))


@pytest.mark.parametrize(
    "names", [["北京", "天津", "河北", "山西"], ["北京市", "天津市", "河北省", "山西省"]]
)
def test_one_gbk_line_in_a_utf8_file_is_decoded_per_line_and_reported(tmp_path, names):
    p = tmp_path / "m.csv"
    p.write_bytes(_mixed(["unit,year,gdp"] + [f"{n},2018,{k}" for k, n in enumerate(names, 1)], {4}))
    rep = validate(p, units="none")
    assert rep.ok and rep.meta["encoding"] == "utf-8+gb18030"
    assert sorted(rep.data["unit"]) == sorted(names)  # no mojibake
    (w,) = rep.warnings
    assert (w.code, w.row) == ("encoding_mixed", 4) and "row(s) 4 " in w.message and "GB18030" in w.message
    rep = validate(p)
    assert sorted(rep.data["unit"]) == ["110000", "120000", "130000", "140000"]


def test_one_utf8_line_in_a_gbk_file_is_the_one_reported(tmp_path):
    names = ["北京市", "天津市", "河北省", "山西省", "辽宁省"]
    p = tmp_path / "m.csv"
    p.write_bytes(_mixed(["地区,年份,gdp"] + [f"{n},2018,1" for n in names], {1, 2, 3, 5, 6}))
    rep = validate(p)
    assert rep.ok and len(rep.data) == 5
    (w,) = rep.warnings
    assert (w.code, w.row) == ("encoding_mixed", 4) and "decoded as UTF-8" in w.message


def test_pure_gbk_file_reads_as_gb18030_even_when_a_line_is_valid_utf8(tmp_path):
    names = ["压沫", "拼摘", "北京", "胃同"]  # GBK bytes of 压沫/拼摘/胃同 happen to be valid UTF-8
    assert "压沫".encode("gbk").decode("utf-8")
    p = tmp_path / "g.csv"
    p.write_bytes(
        "".join(f"{ln}\n" for ln in ["unit,年份,gdp"] + [f"{n},2018,1" for n in names]).encode("gbk")
    )
    rep = validate(p, units="none")
    assert rep.ok and rep.meta["encoding"] == "gb18030" and rep.problems == []
    assert sorted(rep.data["unit"]) == sorted(names)


def test_line_decodable_neither_as_utf8_nor_gbk_is_refused_with_its_line(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_bytes(
        "unit,year,gdp\n北京,2018,1\n".encode() + b"\xff\xfe\xfd,2018,2\n" + "天津,2018,3\n".encode()
    )
    rep = validate(p, units="none")
    (e,) = rep.errors
    assert e.code == "unreadable" and "line 3" in e.message and "UTF-8" in e.message
    with pytest.raises(DataError, match="line 3 can be decoded neither"):
        read(p, units="none")


def test_decode_bytes_warns_about_mixed_lines():
    b = _mixed(["unit,x", "北京市,1", "天津市,2"], {2})
    with pytest.warns(UserWarning, match="line 2 decoded as GB18030"):
        text, enc = decode_bytes(b, source="t.csv")
    assert text == "unit,x\n北京市,1\n天津市,2\n" and enc == "utf-8+gb18030"


# ------------------------------------------------------------------------ C. invisible characters in names
@pytest.mark.parametrize("ch", ["\x00", "\x07", "\x1f", "\x7f", "\u200b", "\u202e", "\ufeff"])
def test_control_character_in_unit_name_is_refused(tmp_path, ch):
    p = tmp_path / "c.csv"
    p.write_text(f"unit,year,gdp\nA,2018,1\nA{ch},2018,2\n", encoding="utf-8")
    rep = validate(p, units="none")
    (e,) = rep.errors
    assert (e.code, e.row, e.column) == ("name_control_char", 3, "A (unit)")
    assert f"U+{ord(ch):04X}" in e.message and "position 2" in e.message and e.unit == f"A<U+{ord(ch):04X}>"


def test_control_character_in_province_name_is_named_not_unknown(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("地区,年份,gdp\n北京\u200b,2018,1\n天津,2018,2\n", encoding="utf-8")
    rep = validate(p)
    assert [(q.code, q.row) for q in rep.errors] == [("name_control_char", 2)]
    assert "U+200B (ZERO WIDTH SPACE)" in rep.errors[0].message


def test_control_character_in_indicator_header_and_cells(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("unit,year,gdp\u200b,gdp\nA,2018,1,1\nB,2018,2,2\n", encoding="utf-8")
    rep = validate(p, units="none")
    (e,) = rep.errors  # once for the header cell, not once per data row
    assert (e.code, e.row, e.indicator) == ("name_control_char", 1, "gdp<U+200B>")
    long = tmp_path / "l.csv"
    long.write_text("unit,period,indicator,value\nA,2018,gdp,1\nA,2019,gdp\x00,2\nB,2019,gdp\x00,3\n")
    rep = validate(long, units="none")
    assert [(q.code, q.row, q.column) for q in rep.errors] == [
        ("name_control_char", 3, "C (indicator)"),
        ("name_control_char", 4, "C (indicator)"),
    ]
    assert "U+0000 (NULL)" in rep.errors[0].message
    with pytest.raises(ValidationError, match="name_control_char"):
        read(long, units="none")


def test_tab_and_newline_inside_names_are_not_refused(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text('unit,year,"GDP\n(亿元)"\nA,2018,1\n', encoding="utf-8")
    rep = validate(p, units="none")
    assert rep.ok and rep.meta["units_of_measure"] == {"GDP": ["亿元"]}


# ------------------------------------------------------------------------ C. xlsx formulas without values
def _formula_book(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["unit", "period", "gdp", "rd"])
    ws.append(["北京", 2020, 1.5, 2.0])
    ws.append(["天津", 2020, 3.0, 4.0])
    ws.append(["河北", 2020, 2.0, "=C4*2"])  # openpyxl writes formulas without cached values
    ws.append(["山西", 2020, "=SUM(C2:C4)", 1.0])
    wb.save(path)
    return path


def test_formula_without_cached_value_is_an_error_naming_the_cell(tmp_path):
    p = _formula_book(tmp_path / "f.xlsx")
    rep = validate(p)
    assert [(q.code, q.row, q.column) for q in rep.errors] == [
        ("formula_uncached", 4, "D (rd)"),
        ("formula_uncached", 5, "C (gdp)"),
    ]
    assert "Sheet1!D4" in rep.errors[0].message and "open and save the file in Excel" in rep.errors[0].message
    with pytest.raises(ValidationError, match="Sheet1!C5"):
        read(p)


def _rewrite_cell(src, dst, old: str, new: str):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert old.encode() in data
                data = data.replace(old.encode(), new.encode())
            zout.writestr(item, data)
    return dst


def test_formulas_with_cached_values_read_normally(tmp_path):
    """As Excel saves them: a numeric result (<v>4</v>) and an empty-text result (t="str")."""
    p = _formula_book(tmp_path / "f.xlsx")
    q = _rewrite_cell(
        p, tmp_path / "g.xlsx", '<c r="D4"><f>C4*2</f><v /></c>', '<c r="D4"><f>C4*2</f><v>4</v></c>'
    )
    q = _rewrite_cell(
        q,
        tmp_path / "h.xlsx",
        '<c r="C5"><f>SUM(C2:C4)</f><v /></c>',
        '<c r="C5" t="str"><f>""</f><v></v></c>',
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = validate(q)
    assert rep.ok and not any(p.code == "formula_uncached" for p in rep.problems)
    d = rep.data.set_index(["unit", "indicator"])["value"]
    assert d[("130000", "rd")] == 4.0
