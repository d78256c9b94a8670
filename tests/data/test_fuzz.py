"""Property-based robustness: malformed tables either load correctly or raise nqpf.errors.NQPFError.

Random strings, mixed types, missing columns, random bytes and random encodings are fed to the readers
(:func:`nqpf.read`, :func:`nqpf.data.io.load`) and to :func:`nqpf.data.validate.validate`, which must never
raise at all. The input file must never be modified.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import warnings
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nqpf._util import sha256_file
from nqpf.data.io import read
from nqpf.data.panel import LONG_COLUMNS, check_long
from nqpf.data.validate import validate
from nqpf.errors import NQPFError

HEADERS = ["unit", "period", "indicator", "value", "地区", "年份", "指标", "数值", "单位", "2020年", "2021", "x", "",
           "GDP(亿元)", "province", "year", "数据库：分省年度数据", "注：说明"]  # fmt: skip
CELLS = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(
        [
            "北京",
            "北京市",
            "Beijing",
            "110000",
            "香港",
            "全国",
            "北凉",
            "2020",
            "2020年",
            "—",
            "…",
            "NA",
            "1,234.5",
            "12.3①",
            "12%",
            "abc",
            "-5",
            "１２３",
            "注：x",
            "数据来源：国家统计局",
            "",
            " ",
        ]
    ),  # fmt: skip
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "big5", "latin-1", "shift_jis", "cp1252"]
# NQPF_FUZZ_EXAMPLES=2000 for a longer local hunt
SETTINGS = settings(
    max_examples=int(os.environ.get("NQPF_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def grids(draw):
    ncol = draw(st.integers(0, 6))
    nrow = draw(st.integers(0, 8))
    header = [draw(st.sampled_from(HEADERS) | st.text(max_size=6)) for _ in range(ncol)]
    body = [[draw(CELLS) for _ in range(draw(st.integers(0, ncol + 1)))] for _ in range(nrow)]
    titles = draw(
        st.lists(
            st.sampled_from(["数据库：分省年度数据", "指标：GDP(亿元)", "时间：2022年", "地区：北京市"]),
            max_size=3,
        )
    )
    return [[t] for t in titles] + [header] + body


def _check(path: Path, **kw) -> None:
    h = sha256_file(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            df = read(path, **kw)
        except NQPFError:
            pass
        else:
            assert list(df.columns) == LONG_COLUMNS
            pd.testing.assert_frame_equal(df, check_long(df))  # the contract holds
        rep = validate(path, **kw)  # never raises for bad data
    assert isinstance(rep.problems, list)
    if rep.ok:
        assert rep.data is not None
    assert sha256_file(path) == h


def _csv_text(grid) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    for r in grid:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


@given(
    grids(),
    st.sampled_from(ENCODINGS),
    st.sampled_from(["province", "none"]),
    st.sampled_from(["auto", "long", "wide"]),
)
@SETTINGS
def test_random_csv_tables(grid, enc, units, layout):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "t.csv"
        p.write_bytes(_csv_text(grid).encode(enc, errors="replace"))
        _check(p, units=units, layout=layout)


@given(grids(), st.sampled_from(["province", "none"]))
@SETTINGS
def test_random_xlsx_tables(grid, units):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "t.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        for r in grid:
            clean = []
            for v in r:
                if isinstance(v, str):
                    v = "".join(ch for ch in v if ch.isprintable())
                if isinstance(v, float) and v != v:
                    v = None
                if isinstance(v, float) and v in (float("inf"), float("-inf")):
                    v = str(v)
                clean.append(v)
            ws.append(clean)
        wb.save(p)
        _check(p, units=units)


@given(st.binary(max_size=400), st.sampled_from(["t.csv", "t.xlsx", "t.dta", "t.parquet", "t.txt", "t"]))
@SETTINGS
def test_random_bytes(b, name):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        p.write_bytes(b)
        _check(p)


@given(st.binary(min_size=1, max_size=200), st.sampled_from([b"PK\x03\x04", b"PAR1", b"<stata_dta>", b"\x72\x02",
                                                             b"\xef\xbb\xbf", b"\xff\xfe"]))  # fmt: skip
@SETTINGS
def test_corrupt_binary_headers(b, magic):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "t.bin"
        p.write_bytes(magic + b)
        _check(p)


@given(
    st.lists(st.sampled_from(LONG_COLUMNS + ["extra"]), max_size=5, unique=True), st.lists(CELLS, max_size=20)
)
@SETTINGS
def test_random_frames_to_parquet_and_dta(cols, cells):
    with tempfile.TemporaryDirectory() as d:
        n = len(cells) // max(len(cols), 1)
        data = {c: [str(cells[k * len(cols) + j]) for k in range(n)] for j, c in enumerate(cols)}
        df = pd.DataFrame(data)
        p = Path(d) / "t.parquet"
        df.to_parquet(p)
        _check(p)
        q = Path(d) / "t.dta"
        try:
            df.to_stata(q, write_index=False, version=118)
        except Exception:  # noqa: BLE001 - pandas may refuse to write some random frames; nothing to test then
            return
        _check(q)
