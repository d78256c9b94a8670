"""Write the hostile-input corpus ``tests/data/hostile/`` (issue 11): small files, each an attack class.

    python scripts/make_hostile.py [--out tests/data/hostile] [--check]

Every file is built byte by byte here (hand-written OOXML in a zip with fixed timestamps, plain CSV, a Parquet
file of constant row groups, a Stata file whose header lies), so the same script writes the same bytes on
every run; ``--check`` exits 1 when a committed file differs. :data:`CASES` lists, per file, the attack class
and the answer the dashboard must give (HTTP status and error code, or the validation problem code that the
upload report must contain); ``tests/web/test_hostile.py`` and ``scripts/reliability_table.py`` use it.
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "tests" / "data" / "hostile"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Case:
    """One corpus file: ``status``/``code`` of the answer; ``problem``: a validation problem code the stored
    upload report must contain (status 200); ``ok``: whether that upload is usable."""

    name: str
    attack: str
    what: str
    status: int
    code: str
    problem: str | None = None
    ok: bool | None = None


CASES: list[Case] = [
    Case("xlsx_dimension.xlsx", "memory", "one cell at XFD1048576 (a 17-billion-cell sheet)", 413, "sheet_too_large"),
    Case("xlsx_merge.xlsx", "memory", "one merge over the whole sheet A1:XFD1048576", 413, "merge_too_large"),
    Case("xlsx_cells.xlsx", "memory", "1,000,000 cells without references, deflated to a few KB", 413,
         "too_many_cells"),
    Case("xlsx_zipbomb.xlsx", "memory", "a 40 MB shared string deflated 1000:1", 413, "archive_bomb"),
    Case("parquet_rows.parquet", "memory", "50,000,000 rows of one constant (row counts from metadata)", 413,
         "too_many_rows"),
    Case("dta_nobs.dta", "memory", "a Stata header claiming 4,000,000,000 observations", 413, "too_many_rows"),
    Case("csv_wide.csv", "cpu", "6,000 indicator columns (validation once quadratic in indicators)", 413,
         "too_many_columns"),
    Case("header_swallow.csv", "silent loss", "misspelt first province (header guessing once ate it)", 200,
         "upload_checked", problem="unit_unknown", ok=False),
    Case("overflow.csv", "silent loss", "1e309 and -1e400 (once parsed as ±inf)", 200, "upload_checked",
         problem="value_invalid", ok=False),
    Case("mixed_encoding.csv", "silent loss", "one GBK line in a UTF-8 file", 200, "upload_checked",
         problem="encoding_mixed", ok=True),
    Case("nul_name.csv", "silent loss", "NUL inside a unit name", 200, "upload_checked",
         problem="name_control_char", ok=False),
    Case("formula_uncached.xlsx", "silent loss", "formula cell without a cached value", 200, "upload_checked",
         problem="formula_uncached", ok=False),
    Case("not_a_table.xlsx", "garbage", "bytes that are no workbook, named .xlsx", 200, "upload_checked",
         problem="unreadable", ok=False),
]

# ------------------------------------------------------------------------------------------------ OOXML
_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '{sst}</Types>'
)
_SST_CT = ('<Override PartName="/xl/sharedStrings.xml" '
           'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>{sst}</Relationships>'
)
_SST_REL = ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'sharedStrings" Target="sharedStrings.xml"/>')
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def _is(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _table_rows() -> str:
    """A small valid province table: header province/year/gdp and two provinces."""
    return (f'<row r="1">{_is("A1", "province")}{_is("B1", "year")}{_is("C1", "gdp")}</row>'
            f'<row r="2">{_is("A2", "北京")}<c r="B2"><v>2018</v></c><c r="C2"><v>1</v></c></row>'
            f'<row r="3">{_is("A3", "天津")}<c r="B3"><v>2018</v></c><c r="C3"><v>2</v></c></row>')


def _xlsx(sheet_body: str, *, extra_sheet: str = "", shared: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        def put(name: str, text: str) -> None:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, text.encode("utf-8"), compresslevel=9)

        put("[Content_Types].xml", _CT.format(sst=_SST_CT if shared is not None else ""))
        put("_rels/.rels", _RELS)
        put("xl/workbook.xml", _WB)
        put("xl/_rels/workbook.xml.rels", _WB_RELS.format(sst=_SST_REL if shared is not None else ""))
        put("xl/worksheets/sheet1.xml", f"{_SHEET_HEAD}<sheetData>{sheet_body}</sheetData>{extra_sheet}</worksheet>")
        if shared is not None:
            put("xl/sharedStrings.xml", shared)
    return buf.getvalue()


def xlsx_dimension() -> bytes:
    return _xlsx(_table_rows() + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')


def xlsx_merge() -> bytes:
    return _xlsx(_table_rows(), extra_sheet='<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>')


def xlsx_cells(n_cells: int = 1_000_000, per_row: int = 100) -> bytes:
    row = "<row>" + "<c><v>1</v></c>" * per_row + "</row>"
    return _xlsx(row * (n_cells // per_row))


def xlsx_zipbomb(n_bytes: int = 40 * 1024 * 1024) -> bytes:
    sst = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
           f'<si><t>{"A" * n_bytes}</t></si></sst>')
    return _xlsx(_table_rows() + '<row r="4"><c r="A4" t="s"><v>0</v></c></row>', shared=sst)


def formula_uncached() -> bytes:
    body = _table_rows().replace('<c r="C3"><v>2</v></c>', '<c r="C3"><f>C2*2</f></c>')
    return _xlsx(body)


# ------------------------------------------------------------------------------------------------ others
def parquet_rows(n_rows: int = 50_000_000, group: int = 10_000_000) -> bytes:
    """Constant columns in huge row groups and pages: dictionary + RLE encode each group in a few hundred
    bytes, so 50 million rows fit in about 3.5 KB."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    schema = pa.schema([("unit", pa.string()), ("period", pa.int64()), ("indicator", pa.string()),
                        ("value", pa.float64())])
    chunk = pa.table({"unit": pa.repeat("110000", group), "period": pa.repeat(2018, group),
                      "indicator": pa.repeat("gdp", group), "value": pa.repeat(1.0, group)}, schema=schema)
    with pq.ParquetWriter(buf, schema, compression="zstd", use_dictionary=True, write_statistics=False,
                          data_page_size=1 << 30, max_rows_per_page=group, write_batch_size=group) as w:
        for _ in range(n_rows // group):
            w.write_table(chunk, row_group_size=group)
    return buf.getvalue()


def dta_nobs(nobs: int = 4_000_000_000) -> bytes:
    """A format-118 Stata file of 2 observations whose header then claims ``nobs``."""
    import pandas as pd

    buf = io.BytesIO()
    pd.DataFrame({"unit": ["110000", "120000"], "period": [2018, 2018], "indicator": ["gdp", "gdp"],
                  "value": [1.0, 2.0]}).to_stata(buf, write_index=False, version=118,
                                                  time_stamp=pd.Timestamp(2020, 1, 1).to_pydatetime())
    raw = bytearray(buf.getvalue())
    at = raw.index(b"<N>") + 3
    raw[at:at + 8] = nobs.to_bytes(8, "little")
    return bytes(raw)


def csv_wide(n: int = 6000) -> bytes:
    cols = [f"x{i}" for i in range(n)]
    return ("province,year," + ",".join(cols) + "\n北京,2018," + ",".join("1" for _ in cols) + "\n").encode()


def header_swallow() -> bytes:
    return b"province,year,gdp,rd\nBeijingg,2018,2,3\nTianjin,2018,3,4\nHebei,2018,4,5\n"


def overflow() -> bytes:
    return b"province,year,gdp,rd\nBeijing,2018,1e309,3\nTianjin,2018,3,-1e400\nHebei,2018,4,5\n"


def mixed_encoding() -> bytes:
    lines = ["province,year,gdp", "北京,2018,1", "天津,2018,2", "河北,2018,3", "山西,2018,4"]
    return b"".join((ln + "\n").encode("gbk" if k == 4 else "utf-8") for k, ln in enumerate(lines, 1))


def nul_name() -> bytes:
    return "province,year,gdp\n北京,2018,1\n天\x00津,2018,2\n".encode()


def not_a_table() -> bytes:
    return b"\x00\x01garbage" * 16


BUILDERS = {
    "xlsx_dimension.xlsx": xlsx_dimension, "xlsx_merge.xlsx": xlsx_merge, "xlsx_cells.xlsx": xlsx_cells,
    "xlsx_zipbomb.xlsx": xlsx_zipbomb, "parquet_rows.parquet": parquet_rows, "dta_nobs.dta": dta_nobs,
    "csv_wide.csv": csv_wide, "header_swallow.csv": header_swallow, "overflow.csv": overflow,
    "mixed_encoding.csv": mixed_encoding, "nul_name.csv": nul_name, "formula_uncached.xlsx": formula_uncached,
    "not_a_table.xlsx": not_a_table,
}
assert set(BUILDERS) == {c.name for c in CASES}


def build_all() -> dict[str, bytes]:
    return {c.name: BUILDERS[c.name]() for c in CASES}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="exit 1 when a committed file differs")
    a = ap.parse_args(argv)
    files = build_all()
    if a.check:
        stale = [n for n, b in files.items() if not (a.out / n).exists() or (a.out / n).read_bytes() != b]
        for n in stale:
            print(f"stale: {a.out / n}")
        return 1 if stale else 0
    a.out.mkdir(parents=True, exist_ok=True)
    for n, b in files.items():
        (a.out / n).write_bytes(b)
        print(f"{n:24s} {len(b):>8d} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
