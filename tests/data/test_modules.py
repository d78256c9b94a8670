"""The data layer after its split (issue 18): old import paths, ``read``'s signature, shared problem logic."""

from __future__ import annotations

import inspect
import sys

import pandas as pd
import pytest

from nqpf.data.panel import check_long
from nqpf.errors import DataError, Problem


def test_old_import_paths_still_work():
    from nqpf.data import io, text
    from nqpf.data.headers import col_letter, column_slug, split_uom

    for name in ("read", "write", "load", "LoadedData", "decode_bytes", "decode_text", "MixedEncoding",
                 "split_uom", "col_letter", "column_slug", "LONG_COLUMNS", "STATA_RESERVED"):
        assert hasattr(io, name), name
    assert (io.split_uom, io.col_letter, io.column_slug) == (split_uom, col_letter, column_slug)
    assert io.decode_bytes is text.decode_bytes
    vmod = sys.modules["nqpf.data.validate"]
    from nqpf.data import checks

    for name in ("check_cells", "coverage_table", "_uom_problems", "_catalogue_problems", "_single_uoms",
                 "_gap_problems", "normalize_uom"):
        assert hasattr(vmod, name), name
    assert vmod.check_cells is checks.check_cells


def test_read_signature_is_loads_plus_with_report(tmp_path):
    from nqpf.data.io import load, read

    want = list(inspect.signature(load).parameters)
    want.insert(want.index("catalogue") + 1, "with_report")
    sig = inspect.signature(read)
    assert list(sig.parameters) == want
    assert sig.parameters["with_report"].default is False and sig.parameters["layout"].default == "auto"
    p = tmp_path / "x.csv"
    p.write_text("province,year,gdp\nBeijing,2020,1\n")
    with pytest.raises(TypeError):
        read(p, no_such_option=1)


def test_errors_and_warnings_split_the_problems():
    from nqpf.data.io import LoadedData
    from nqpf.data.validate import ValidationReport

    probs = [Problem("error", "a", "m"), Problem("warning", "b", "m"), Problem("error", "c", "m")]
    for res in (LoadedData(data=pd.DataFrame(), problems=probs), ValidationReport(problems=probs)):
        assert [p.code for p in res.errors] == ["a", "c"]
        assert [p.code for p in res.warnings] == ["b"]


def test_check_long_names_the_first_bad_row():
    bad_period = pd.DataFrame(
        {"unit": ["a", "b", "c"], "period": [2020, "x", 2021.5], "indicator": "g", "value": [1, 2, 3]}, index=[5, 6, 7]
    )
    with pytest.raises(DataError) as ei:
        check_long(bad_period, name="t")
    assert str(ei.value) == (
        "t: row 6: period 'x' is not a year; periods must be whole years such as 2020 (2 such row(s))"
    )
    bad_value = pd.DataFrame({"unit": ["a", "b"], "period": [2020, 2020], "indicator": ["g", "h"], "value": [1, "zz"]})
    with pytest.raises(DataError) as ei:
        check_long(bad_value, name="t")
    assert str(ei.value) == (
        "t: row 1: unit 'b', indicator 'h': value 'zz' is not a number (1 such row(s)); use nqpf.read to parse "
        "yearbook cells"
    )


def test_cells_from_grid_by_year_records():
    from nqpf.data.grid import CELL_COLUMNS, cells_from_grid

    grid = [["指标：地区生产总值(亿元)", None, None], ["地区", "2022年", "2021年"], ["北京市", "1", "2"], ["天津市", "3", ""]]
    meta: dict = {}
    cells, problems = cells_from_grid(
        grid, [1, 2, 3, 4], meta, name="g.csv", layout="auto", indicator=None, units="province", header_rows=None,
        stem="g", lang="en", columns={"unit": None, "period": None, "indicator": None, "value": None},
    )
    assert problems == [] and list(cells.columns) == list(CELL_COLUMNS)
    assert meta["layout"] == "by_year" and meta["header_rows"] == 1 and meta["titles"] == ["指标:地区生产总值(亿元)"]  # NFKC text
    assert cells[["unit_raw", "period_raw", "indicator", "value_raw", "row", "uom"]].values.tolist() == [
        ["北京市", 2022, "地区生产总值", "1", 3, "亿元"],
        ["天津市", 2022, "地区生产总值", "3", 4, "亿元"],
        ["北京市", 2021, "地区生产总值", "2", 3, "亿元"],
        ["天津市", 2021, "地区生产总值", "", 4, "亿元"],
    ]
    assert set(cells["column"]) == {"B (2022年)", "C (2021年)"} and set(cells["indicator_row"]) == {2}
