"""Readers and writers: CSV (UTF-8, UTF-8-SIG, GBK/GB18030), XLSX, Stata .dta, Parquet; long or wide.

:func:`read` returns the long panel (``unit, period, indicator, value``; see :mod:`nqpf.data.panel`) and
refuses bad data: any error found while reading raises :class:`nqpf.errors.ValidationError` listing *all*
problems. Warnings (gaps, footnote markers, Hong Kong/Macau/Taiwan rows, national-total rows …) are
issued with :func:`warnings.warn` and kept in ``df.attrs["nqpf"]`` (``problems``, ``coverage``, ``meta``).
:func:`load` does the same work without raising on row-level problems and returns a :class:`LoadedData`.

Row numbers in problems are what a user sees: for CSV and Excel the 1-based spreadsheet row (the header
counts; title lines such as ``数据库：分省年度数据`` count too); for Stata and Parquet the 1-based
observation number. Columns are named by spreadsheet letter and header, e.g. ``C (2022年)``.

Layouts (``layout="auto"`` detects them):

* ``long``: columns for unit, period, indicator and value (plus optionally a unit-of-measure column);
* ``wide``: unit and period columns, one column per indicator (headers like ``GDP(亿元)`` carry units);
* by-year (NBS native export): rows = units, columns = years (``2022年``), the indicator named in a
  ``指标：…`` title line, the ``indicator=`` argument, or an upper header row (multi-row headers, e.g.
  indicator over years);
* rows = indicators, columns = years, unit from a ``地区：…`` line; rows = units, columns = indicators,
  year from a ``时间：2022年`` line.

Indicator ids of multi-row headers: the leaf (lowest) header without its unit of measure
(``科技投入 | 地方财政科学技术支出(亿元)`` → ``地方财政科学技术支出``); two columns with the same leaf both get the
slug of their whole header (``专利申请受理量_合计``, ``专利申请授权量_合计``). The full headers are kept in
``meta["indicator_labels"]`` (id → label), by which framework formulas may also name a column.
"""

from __future__ import annotations

import csv
import io as _io
import math
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from nqpf._util import atomic_path, has_carriage_return, neutralise_frame, sha256_file, warn
from nqpf.data import units as _units
from nqpf.data.panel import LONG_COLUMNS, UNIT, check_long, to_wide
from nqpf.data.parse import parse_year
from nqpf.data.prescan import Limits, prescan
from nqpf.errors import DataError, Problem, ValidationError

FORMATS = ("csv", "xlsx", "dta", "parquet")
LAYOUTS = ("auto", "long", "wide")

_SYN_UNIT = {
    "unit", "units", "地区", "省份", "省", "省区", "省市", "省级行政区", "地区名称", "省份名称", "province", "prov",
    "provname", "region", "area", "地区代码", "省份代码", "行政区划代码", "code", "id", "name", "city", "城市",
    "country", "iso3", "countrycode", "firm", "企业", "行业", "industry", "provincecode", "province_code",
}  # fmt: skip
_SYN_EXTRA_IDS = {
    "name_zh", "name_en", "name_zh_full", "region4", "region4_zh", "group", "区域", "地区分组", "东中西部", "英文名",
    "省份英文", "简称", "iso", "nbs_code_12", "province_en", "province_full", "province_name",
}  # fmt: skip
_SYN_PERIOD = {"period", "year", "年份", "年度", "年", "时间", "yr", "t", "years"}
_SYN_INDICATOR = {"indicator", "指标", "指标名称", "variable", "var", "变量", "series", "item", "项目"}
_SYN_VALUE = {"value", "数值", "值", "val", "data", "数据"}
_SYN_UOM = {"unit_of_measure", "单位", "计量单位", "uom", "measure_unit", "unitofmeasure", "units_of_measure"}

_META = re.compile(
    r"^\s*(数据库|指标|时间|地区|单位|database|indicator|time|region|unit)\s*[:：]\s*(.*)$", re.I
)
_NOTE = re.compile(r"^\s*(注|说明|备注|数据来源|资料来源|来源|notes?|sources?)\s*(\d*\s*[:：.、]|$)", re.I)
_UOM_TOKEN = re.compile(
    r"^(%|‰|[万千百亿]?(元|人|吨|个|件|项|家|户|台|辆|所|人次|美元|千瓦时|千瓦|公顷|公里|平方米|立方米|吨标准煤|吨标煤)"
    r"|.{0,4}(元|美元)(/.{1,4})?|.{0,3}(千瓦时|标准煤|立方米|平方公里|公里|小时|人年)|万人|万户|人/万人|件/万人"
    r"|kg|km|t|mt|usd|cny|yuan|rmb|persons?|percent|million|billion|.{0,6}/.{1,6})$",
    re.I,
)


@dataclass
class LoadedData:
    """What :func:`load` found: the long panel, every problem, a coverage table and reading metadata.

    ``coverage``: index ``indicator``, one column per period, share (0–1) of units with a non-missing value.
    ``meta``: file, sha256, format, encoding, layout, header_rows, units_of_measure, title lines, notes.
    ``cells``: one row per source cell (unit, period, indicator, value, row, column, uom, raw).
    """

    data: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)
    meta: dict[str, Any] = field(default_factory=dict)
    cells: pd.DataFrame | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


# ----------------------------------------------------------------------------------------------- decoding
@dataclass
class MixedEncoding:
    """Lines (1-based) of a mostly-UTF-8 (or mostly-GB18030) file decoded in the other encoding."""

    major: str
    minor: str
    lines: list[int]

    def message(self, source: str) -> str:
        return (
            f"{source}: mixed encodings: {_lines_text(self.lines)} decoded as {self.minor}, the rest of the "
            f"file as {self.major}; check the names in these lines and save the whole file in one encoding "
            "(UTF-8)"
        )


def decode_bytes(b: bytes, encoding: str | None = None, *, source: str = "file") -> tuple[str, str]:
    """Decode text bytes: BOM → UTF-8 → per line UTF-8/GB18030 → GB18030 (⊃ GBK, GB2312) → charset-normalizer.

    Returns ``(text, encoding)``; raises :class:`DataError` when no encoding decodes the bytes cleanly.
    A file mixing UTF-8 and GBK lines is decoded line by line (encoding ``"utf-8+gb18030"``) with a
    warning naming the lines; a line that neither decodes is refused with its line number.
    """
    text, enc, mixed = decode_text(b, encoding, source=source)
    if mixed is not None:
        warn(mixed.message(source), UserWarning, stacklevel=2)
    return text, enc


def decode_text(
    b: bytes, encoding: str | None = None, *, source: str = "file"
) -> tuple[str, str, MixedEncoding | None]:
    """:func:`decode_bytes` returning the mixed-encoding finding instead of warning about it."""
    if encoding:
        try:
            return b.decode(encoding), encoding, None
        except LookupError:
            raise DataError(
                f"{source}: unknown encoding {encoding!r}; use e.g. utf-8, utf-8-sig, gbk, gb18030"
            ) from None
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{source}: cannot decode byte {exc.start} as {encoding}; check the encoding "
                f"(or omit encoding= to detect it)"
            ) from None
    bom = b.startswith(b"\xef\xbb\xbf")
    if bom:
        try:
            return b[3:].decode("utf-8"), "utf-8-sig", None
        except UnicodeDecodeError:
            pass
    if b.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return b.decode("utf-16"), "utf-16", None
        except UnicodeDecodeError:
            pass
    try:
        return b.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError:
        pass
    per_line = _decode_per_line(b[3:] if bom else b, bom, source)
    if per_line is not None:
        return per_line
    try:
        text = b.decode("gb18030")
        if _plausible_text(text):
            return text, "gb18030", None
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(b[:500_000]).best()
    except Exception:  # noqa: BLE001 - a third-party detector failing on garbage means "undetected"
        best = None
    if best is not None and best.encoding:
        try:
            text = b.decode(best.encoding)
            if _plausible_text(text):
                return text, best.encoding, None
        except (UnicodeDecodeError, LookupError):
            pass
    raise DataError(
        f"{source}: cannot determine the text encoding (not UTF-8, not GBK/GB18030); save the file as "
        f"UTF-8 CSV or pass encoding='...'"
    )


def _decode_per_line(b: bytes, bom: bool, source: str) -> tuple[str, str, MixedEncoding | None] | None:
    """Decode a file mixing UTF-8 and GB18030 lines, or ``None`` when no line is clearly UTF-8.

    A line is clearly UTF-8 when it decodes as UTF-8 to Chinese text (:func:`_clearly_utf8`); GBK bytes
    that happen to be valid UTF-8 mostly decode to Latin/Greek/Cyrillic letters, private-use or unassigned
    code points, so such ambiguous lines follow the file's majority. Lines neither decodes are refused.
    """
    lines = b.splitlines(keepends=True)
    utf8: list[str | None] = []
    strong = 0
    for ln in lines:
        if ln.isascii():
            utf8.append(None)
            continue
        try:
            u = ln.decode("utf-8")
        except UnicodeDecodeError:
            utf8.append("")
            continue
        utf8.append(u)
        strong += _clearly_utf8(u)
    if not (strong or bom):
        return None  # no line is clearly UTF-8: the whole file is decoded in one legacy encoding
    gb: dict[int, str] = {}
    bad: list[int] = []
    for k, (ln, u) in enumerate(zip(lines, utf8, strict=True)):
        if u is None or (u and _clearly_utf8(u)):
            continue
        try:
            t = ln.decode("gb18030")
        except UnicodeDecodeError:
            t = None
        if t is not None and _plausible_line(t):
            gb[k] = t
        elif not u:
            bad.append(k + 1)
    if bad:
        raise DataError(
            f"{source}: {_lines_text(bad)} can be decoded neither as UTF-8 (like the rest of the file) nor as "
            "GBK/GB18030; retype these lines or save the whole file as UTF-8"
        )
    n_gb = sum(1 for k in gb if not utf8[k])  # lines that are not UTF-8 at all
    utf8_major = strong + int(bom) >= n_gb
    out: list[str] = []
    used_gb: list[int] = []
    used_utf8: list[int] = []
    for k, (ln, u) in enumerate(zip(lines, utf8, strict=True)):
        if u is None:
            out.append(ln.decode("ascii"))
        elif not u or (k in gb and not utf8_major):  # not UTF-8, or ambiguous in a mostly-GBK file
            out.append(gb[k])
            used_gb.append(k + 1)
        else:
            out.append(u)
            used_utf8.append(k + 1)
    text = "".join(out)
    if utf8_major:
        return text, "utf-8+gb18030", MixedEncoding("UTF-8", "GB18030", used_gb) if used_gb else None
    if not used_utf8:
        return text, "gb18030", None
    return text, "utf-8+gb18030", MixedEncoding("GB18030", "UTF-8", used_utf8)


_CJK = re.compile(r"[\u2000-\u206f\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_ODD = re.compile(r"[\ue000-\uf8ff\U00030000-\U0010ffff]")


def _clearly_utf8(u: str) -> bool:
    """Decoded UTF-8 text with Chinese characters or CJK punctuation and nothing private-use/unassigned."""
    return _CJK.search(u) is not None and _ODD.search(u) is None


def _lines_text(lines: list[int], n: int = 10) -> str:
    shown = ", ".join(map(str, lines[:n]))
    more = f" … ({len(lines)} lines)" if len(lines) > n else ""
    return f"line{'s' if len(lines) > 1 else ''} {shown}{more}"


_IMPLAUSIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff]")


def _plausible_line(text: str) -> bool:
    """No C0/C1 control characters (other than tab/newlines) and no private-use code points."""
    return _IMPLAUSIBLE.search(text) is None


def _plausible_text(text: str) -> bool:
    """No C0/C1 control characters (other than tab/newlines) and no private-use code points."""
    bad = sum(
        1
        for ch in text
        if (ord(ch) < 32 and ch not in "\t\r\n") or 0x7F <= ord(ch) < 0xA0 or 0xE000 <= ord(ch) <= 0xF8FF
    )
    return bad <= max(0, len(text) // 1000)


# ----------------------------------------------------------------------------------------------- raw grids
def _detect_format(path: Path, fmt: str | None) -> str:
    if fmt:
        f = fmt.lower().lstrip(".")
        f = {"xls": "xls", "excel": "xlsx", "stata": "dta", "pq": "parquet", "tsv": "csv", "txt": "csv"}.get(
            f, f
        )
        if f == "xls":
            raise DataError(
                f"{path.name}: old .xls files are not supported; open it in Excel/WPS and save as .xlsx"
            )
        if f not in FORMATS:
            raise DataError(f"unknown format {fmt!r}; use one of {FORMATS}")
        return f
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(f"{path.name}: old .xls (or encrypted) Excel file; save it as .xlsx and read again")
    if head.startswith(b"<stata_dta>") or (
        head[:1] in (b"\x71", b"\x72", b"\x73") and head[1:2] in (b"\x01", b"\x02")
    ):
        return "dta"
    suf = path.suffix.lower()
    if suf in (".xlsx", ".xlsm"):
        return "xlsx"
    if suf == ".xls":
        raise DataError(f"{path.name}: old .xls files are not supported; save it as .xlsx")
    if suf == ".dta":
        return "dta"
    if suf in (".parquet", ".pq"):
        return "parquet"
    return "csv"


def _sniff_delimiter(lines: list[str]) -> str:
    best, best_score = ",", -1.0
    sample = [ln for ln in lines[:200] if ln.strip()]
    for d in (",", "\t", ";", "|"):
        counts = sorted(ln.count(d) for ln in sample)
        if not counts:
            continue
        med = counts[len(counts) // 2]
        score = med + 0.001 * sum(counts)
        if med > 0 and score > best_score:
            best, best_score = d, score
    return best


def _csv_grid(path: Path, encoding: str | None) -> tuple[list[list[Any]], list[int], dict[str, Any]]:
    text, enc, mixed = decode_text(path.read_bytes(), encoding, source=path.name)
    text = text.lstrip("\ufeff")
    delim = _sniff_delimiter(text.splitlines())
    rows: list[list[Any]] = []
    nums: list[int] = []
    ends: list[int] = []  # last physical line of each record (quoted cells may span lines)
    try:
        reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delim)
        for i, rec in enumerate(reader, start=1):
            rows.append(rec)
            nums.append(i)
            ends.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(
            f"{path.name}: not a readable CSV file ({exc}); check quoting and the delimiter"
        ) from None
    extra: dict[str, Any] = {"encoding": enc, "delimiter": delim}
    if mixed is not None:
        import bisect

        recs = sorted({nums[min(bisect.bisect_left(ends, ln), len(nums) - 1)] for ln in mixed.lines})
        extra["mixed_encoding"] = {
            "major": mixed.major,
            "minor": mixed.minor,
            "lines": mixed.lines,
            "rows": recs,
        }
    return rows, nums, extra


def _xlsx_grid(path: Path, sheet: str | int | None) -> tuple[list[list[Any]], list[int], dict[str, Any]]:
    """The chosen sheet as a grid of values, merged ranges filled with their top-left value.

    Streams the sheet with openpyxl's read-only mode (memory of the values only, not of a cell object per
    cell and per merged cell) and gives the grid the full workbook load gives: the cells' own extent
    (a declared ``<dimension>`` is not trusted), extended over the merged ranges, every row padded to it;
    a sheet without cells gives no rows."""
    try:
        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure of the zip/XML parser means a broken workbook
        raise DataError(
            f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__}); re-save it in Excel/WPS"
        ) from None
    try:
        names = wb.sheetnames
        if sheet is None:
            ws = wb[names[0]]
        elif isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit() and sheet not in names):
            k = int(sheet)
            if not 0 <= k < len(names):
                raise DataError(f"{path.name}: no sheet number {k} (sheets, from 0: {names})")
            ws = wb[names[k]]
        elif sheet in names:
            ws = wb[sheet]
        else:
            raise DataError(f"{path.name}: no sheet {sheet!r}; the workbook has {names}")
        if not hasattr(ws, "iter_rows"):
            raise DataError(
                f"{path.name}: sheet {ws.title!r} is a chart, not a table; pass sheet=... (sheets: {names})"
            )
        title = ws.title
        try:
            ws.reset_dimensions()
            grid, kinds = _stream_rows(ws)
            merges = _merged_ranges(wb, ws)
        except DataError:
            raise
        except Exception as exc:  # noqa: BLE001 - a sheet the XML parser cannot read
            raise DataError(
                f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__}); re-save it in Excel/WPS"
            ) from None
    finally:
        wb.close()
    if not any(grid):  # no cell at all: an empty grid, as openpyxl gives for an empty sheet
        grid, merges = [], []
    n_rows = max([i + 1 for i, r in enumerate(grid) if r] + [m[2] for m in merges] + [0])
    n_cols = max([len(r) for r in grid] + [m[3] for m in merges] + [0])
    del grid[n_rows:]
    grid.extend([] for _ in range(n_rows - len(grid)))
    for row in grid:
        row.extend([None] * (n_cols - len(row)))
    formulas = _uncached_formulas(path, title, grid, kinds)
    tops = [grid[r0 - 1][c0 - 1] for r0, c0, _, _ in merges]
    for (r0, c0, r1, c1), v in zip(merges, tops, strict=True):  # fill merged cells with their top-left value
        for r in range(r0, r1 + 1):
            grid[r - 1][c0 - 1:c1] = [v] * (c1 - c0 + 1)
    extra: dict[str, Any] = {"sheet": title, "sheets": names}
    if formulas:
        extra["formula_cells"] = formulas
    return grid, list(range(1, len(grid) + 1)), extra


def _stream_rows(ws: Any) -> tuple[list[list[Any]], dict[tuple[int, int], str]]:
    """Values of a read-only sheet, row by row (ragged), and the data type of each empty-valued cell whose type
    is not numeric (``(row, column)`` 0-based → ``"s"``, ``"str"`` …: a formula with an empty text result)."""
    grid: list[list[Any]] = []
    kinds: dict[tuple[int, int], str] = {}
    for i, row in enumerate(ws.iter_rows()):
        vals = []
        for j, c in enumerate(row):
            v = c.value
            if v is None and getattr(c, "data_type", "n") != "n":
                kinds[(i, j)] = c.data_type
            vals.append(v)
        grid.append(vals)
    return grid, kinds


def _merged_ranges(wb: Any, ws: Any) -> list[tuple[int, int, int, int]]:
    """``(min_row, min_col, max_row, max_col)``, 1-based, of the sheet's ``<mergeCell>`` ranges, streamed from
    its XML (openpyxl's read-only mode does not read them)."""
    from xml.etree.ElementTree import iterparse

    from nqpf.data.prescan import _ref

    out = []
    with wb._archive.open(ws._worksheet_path) as src:
        for _, el in iterparse(src, events=("end",)):
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "mergeCell":
                a, _, b = (el.get("ref") or "").partition(":")
                p, q = _ref(a), _ref(b or a)
                if p is not None and q is not None:
                    out.append((min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1])))
            if tag in ("c", "row", "mergeCell"):
                el.clear()
    return out


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _uncached_formulas(
    path: Path, title: str, grid: list[list[Any]], kinds: dict[tuple[int, int], str]
) -> list[tuple[int, int]]:
    """(row, column) — 1-based row, 0-based column — of formula cells that carry no cached value.

    openpyxl's ``data_only`` read gives ``None`` for them (files written by scripts, never opened in
    Excel); a formula whose cached result is an empty text has type ``str`` (``kinds``) and is not reported.
    The formulas are looked up (second, read-only load) only when some worksheet contains one."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            has = any(
                n.startswith("xl/worksheets/") and n.endswith(".xml") and _FORMULA_TAG.search(z.read(n))
                for n in z.namelist()
            )
        if not has:
            return []
        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, data_only=False, read_only=True)
        try:
            out = []
            for i, row in enumerate(wb[title].iter_rows(values_only=True)):
                for j, v in enumerate(row):
                    text = getattr(v, "text", v)  # ArrayFormula / DataTableFormula keep the formula in .text
                    if not ((isinstance(text, str) and text.startswith("=")) or v is not text):
                        continue
                    cached = grid[i][j] if i < len(grid) and j < len(grid[i]) else None
                    if cached is None and kinds.get((i, j), "n") == "n":
                        out.append((i + 1, j))
            return out
        finally:
            wb.close()
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return []


def _frame_table(df: pd.DataFrame) -> tuple[list[list[Any]], list[int]]:
    df = df.reset_index(drop=True) if not isinstance(df.index, pd.RangeIndex) else df
    header = [str(c) for c in df.columns]
    body = df.astype(object).where(df.notna(), None).values.tolist()
    return [header, *body], [0, *range(1, len(body) + 1)]


# ----------------------------------------------------------------------------------------------- helpers
def col_letter(j: int) -> str:
    """0-based column index → spreadsheet letters (0 → A, 26 → AA)."""
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def _text(x: Any) -> str:
    if type(x) is str:
        return x.strip() if x.isascii() else unicodedata.normalize("NFKC", x).strip()
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, float) and math.isfinite(x) and abs(x) < 1e15 and x == int(x):
        x = int(x)
    return unicodedata.normalize("NFKC", str(x)).strip()


def _filled(v: Any) -> bool:
    """A cell holding something (numbers always; text unless blank after normalisation)."""
    if v is None:
        return False
    t = type(v)
    if t is int:
        return True
    if t is float:
        return v == v
    return _text(v) != ""


def _norm_header(x: str) -> str:
    return re.sub(r"[\s_\-]+", "", x.casefold())


@lru_cache(maxsize=64)
def _norm_set(synonyms: frozenset[str]) -> frozenset[str]:
    return frozenset(_norm_header(s) for s in synonyms)


def split_uom(header: str) -> tuple[str, str]:
    """``'地区生产总值(亿元)'`` → ``('地区生产总值', '亿元')``; the bracket must look like a unit of measure."""
    h = _text(header)
    m = re.match(r"^(.*?)\s*[\(（\[]([^()（）\[\]]{1,14})[\)）\]]\s*$", h)
    if m and m.group(1) and _UOM_TOKEN.match(m.group(2).strip()):
        return m.group(1).strip(), m.group(2).strip()
    return h, ""


def _is_note(s: str) -> bool:
    return bool(_NOTE.match(s))


def _matches(label: str, wanted: str | None, synonyms: set[str]) -> bool:
    n = _norm_header(label)
    if wanted is not None:
        return n == _norm_header(str(wanted))
    return n in _norm_set(frozenset(synonyms))


# ----------------------------------------------------------------------------------------------- main loader
def load(
    path: str | Path,
    *,
    format: str | None = None,  # noqa: A002 - mirrors pandas' naming
    layout: str = "auto",
    unit_col: str | None = None,
    period_col: str | None = None,
    indicator_col: str | None = None,
    value_col: str | None = None,
    indicator: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    units: str = "province",
    header_rows: int | None = None,
    special_regions: str = "keep",
    catalogue: pd.DataFrame | None = None,
    lang: str = "en",
    limits: Limits | None = None,
) -> LoadedData:
    """Read ``path`` and collect every problem (see :func:`read` for the parameters).

    Raises :class:`DataError` only when the file cannot be interpreted at all (unreadable, no data,
    unknown layout, or :class:`~nqpf.data.prescan.TooLarge` from the metadata pre-scan); row-level problems
    are returned in ``problems``.
    """
    from nqpf.data.validate import check_cells

    p = Path(path)
    if not p.exists():
        raise DataError(f"file {p} does not exist; check the path")
    if not p.is_file():
        raise DataError(f"{p} is not a file")
    if layout not in LAYOUTS:
        raise DataError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if units not in ("province", "none"):
        raise DataError(f"units must be 'province' or 'none', got {units!r}")
    if special_regions not in ("keep", "drop"):
        raise DataError(f"special_regions must be 'keep' or 'drop', got {special_regions!r}")
    fmt = _detect_format(p, format)
    prescan(p, limits, lang=lang)  # refuse memory bombs from the file's metadata before loading anything
    digest = sha256_file(p)
    meta: dict[str, Any] = {"file": str(p), "sha256": digest, "format": fmt}
    if fmt == "csv":
        grid, nums, extra = _csv_grid(p, encoding)
        meta.update(extra)
    elif fmt == "xlsx":
        grid, nums, extra = _xlsx_grid(p, sheet)
        meta.update(extra)
    else:
        try:
            if fmt == "dta":
                from nqpf.data.tables import restore_stata_names

                try:
                    df = pd.read_stata(p)
                except ValueError:
                    df = pd.read_stata(p, convert_categoricals=False)
                df = restore_stata_names(df, p)  # names nqpf had to change for Stata (docs/data.md)
            else:
                df = pd.read_parquet(p)
        except Exception as exc:  # noqa: BLE001 - a broken binary file; the parser's own error is not for users
            raise DataError(
                f"{p.name}: not a readable {fmt} file ({type(exc).__name__}: {str(exc)[:120]})"
            ) from None
        if df.index.nlevels > 1 or df.index.name is not None:
            df = df.reset_index()
        grid, nums = _frame_table(df)
        header_rows = 1
    cells, problems = _cells_from_grid(
        grid, nums, meta, name=p.name, layout=layout, unit_col=unit_col, period_col=period_col,
        indicator_col=indicator_col, value_col=value_col, indicator=indicator, units=units,
        header_rows=header_rows, stem=p.stem, lang=lang,
    )  # fmt: skip
    problems[:0] = _reading_problems(meta, p.name, lang)
    data, more, coverage = check_cells(
        cells, file=p.name, units=units, special_regions=special_regions, catalogue=catalogue, lang=lang
    )
    problems.extend(more)
    meta["units_of_measure"] = (
        cells.dropna(subset=["uom"])
        .groupby("indicator")["uom"]
        .agg(lambda s: sorted(set(s) - {""}))
        .to_dict()
        if len(cells)
        else {}
    )
    return LoadedData(data=data, problems=problems, coverage=coverage, meta=meta, cells=cells)


def _reading_problems(meta: dict[str, Any], name: str, lang: str) -> list[Problem]:
    """Problems of the decoding/reading step: lines in a second encoding, formulas without a value."""
    from nqpf.i18n import t

    out: list[Problem] = []
    mixed = meta.get("mixed_encoding")
    if mixed:
        rows = mixed["rows"]
        shown = ", ".join(map(str, rows[:10])) + (f" … ({len(rows)} rows)" if len(rows) > 10 else "")
        out.append(
            Problem(
                "warning",
                "encoding_mixed",
                t(
                    "data.problem.encoding_mixed",
                    lang,
                    rows=shown,
                    major=mixed["major"],
                    minor=mixed["minor"],
                ),
                file=name,
                row=rows[0],
                extra=dict(mixed),
            )
        )
    labels = meta.get("header", [])
    for r, j in meta.get("formula_cells", []):
        ref = f"{meta.get('sheet', 'Sheet1')}!{col_letter(j)}{r}"
        col = f"{col_letter(j)} ({labels[j]})" if j < len(labels) and labels[j] else col_letter(j)
        out.append(
            Problem(
                "error",
                "formula_uncached",
                t("data.problem.formula_uncached", lang, cell=ref),
                file=name,
                row=r,
                column=col,
                extra={"cell": ref},
            )
        )
    return out


def _cells_from_grid(
    grid: list[list[Any]],
    nums: list[int],
    meta: dict[str, Any],
    *,
    name: str,
    layout: str,
    unit_col: str | None,
    period_col: str | None,
    indicator_col: str | None,
    value_col: str | None,
    indicator: str | None,
    units: str,
    header_rows: int | None,
    stem: str,
    lang: str,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Turn a raw grid into one record per source cell (before parsing)."""
    from nqpf.i18n import t

    problems: list[Problem] = []
    width = max((len(r) for r in grid), default=0)
    rows = [list(r) + [None] * (width - len(r)) for r in grid]
    nonempty = [[j for j, v in enumerate(r) if _filled(v)] for r in rows]
    # trailing empty columns
    used = sorted({j for ne in nonempty for j in ne})
    if not used:
        raise DataError(f"{name}: the file is empty; nothing to read")
    width = used[-1] + 1
    rows = [r[:width] for r in rows]
    # title / metadata lines at the top
    top_meta: dict[str, str] = {}
    titles: list[str] = []
    i = 0
    n = len(rows)
    while i < n and len(nonempty[i]) <= 1 and width > 1:
        if nonempty[i]:
            s = _text(rows[i][nonempty[i][0]])
            m = _META.match(s)
            if m:
                top_meta[m.group(1).casefold()] = m.group(2).strip()
            titles.append(s)
        i += 1
    if i >= n:
        raise DataError(
            f"{name}: no table found (only title lines); the header row must have at least two columns"
        )
    # footer: from the first note line after the header
    end = n
    for k in range(i + 1, n):
        if len(nonempty[k]) == 1 and _is_note(_text(rows[k][nonempty[k][0]])):
            end = k
            break
    notes = [_text(rows[k][nonempty[k][0]]) for k in range(end, n) if nonempty[k]]
    meta.update({"titles": titles, "notes": notes, "title_meta": top_meta})
    # header rows
    h0 = i
    if header_rows is None:
        header_rows = _guess_header_rows(rows, h0, end, units)
    header_rows = max(1, int(header_rows))
    if h0 + header_rows > end:
        raise DataError(f"{name}: header rows run past the end of the table; no data rows found")
    hdr = [list(r) for r in rows[h0 : h0 + header_rows]]
    for r in range(header_rows - 1):  # forward-fill upper header rows (merged cells exported to CSV)
        last = ""
        for j in range(width):
            tj = _text(hdr[r][j])
            if tj:
                last = tj
            elif j > 0:
                hdr[r][j] = last
    parts = []
    for j in range(width):
        ps: list[str] = []
        for r in range(header_rows):
            tj = _text(hdr[r][j])
            if tj and tj not in ps:
                ps.append(tj)
        parts.append(ps)
    labels = [" | ".join(ps) for ps in parts]
    body = [(nums[k], rows[k]) for k in range(h0 + header_rows, end) if nonempty[k]]
    meta["header_rows"] = header_rows
    meta["header"] = labels
    if not body:
        raise DataError(f"{name}: no data rows below the header (row {nums[h0 + header_rows - 1]})")

    colnames = [f"{col_letter(j)} ({labels[j]})" if labels[j] else col_letter(j) for j in range(width)]

    def colname(j: int) -> str:
        return colnames[j]

    split_cache: dict[str, tuple[str, str]] = {}

    def split_cached(text: str) -> tuple[str, str]:
        if text not in split_cache:
            split_cache[text] = split_uom(text)
        return split_cache[text]

    # roles
    def find(wanted: str | None, syn: set[str], what: str) -> int | None:
        hits = [
            j
            for j in range(width)
            if labels[j]
            and (_matches(labels[j], wanted, syn) or any(_matches(q, wanted, syn) for q in parts[j]))
        ]
        if wanted is not None and not hits:
            raise DataError(
                f"{name}: no column named {wanted!r} for the {what}; the header has {[x for x in labels if x]}"
            )
        return hits[0] if hits else None

    j_unit = find(unit_col, _SYN_UNIT, "unit")
    j_period = find(period_col, _SYN_PERIOD, "period")
    j_ind = find(indicator_col, _SYN_INDICATOR, "indicator")
    j_val = find(value_col, _SYN_VALUE, "value")
    j_uom = find(None, _SYN_UOM, "unit of measure")
    if j_unit is None and units == "province":
        j_unit = _content_unit_col(body, width, exclude={j_period, j_ind, j_val, j_uom})
    year_of = {j: parse_year(parts[j][-1]) if parts[j] else None for j in range(width)}
    id_cols = {j for j in (j_unit, j_period, j_ind, j_val, j_uom) if j is not None}
    data_cols = [
        j for j in range(width) if j not in id_cols and (labels[j] or any(_text(r[j]) for _, r in body))
    ]
    extra_ids = [j for j in data_cols if labels[j] and _matches(labels[j], None, _SYN_UNIT | _SYN_EXTRA_IDS)]
    for j in extra_ids:
        data_cols.remove(j)
        problems.append(
            Problem(
                "warning",
                "column_ignored",
                t("data.problem.column_ignored", lang),
                file=name,
                row=nums[h0 + header_rows - 1],
                column=colname(j),
            )  # fmt: skip
        )
    years_in_header = [j for j in data_cols if year_of[j] is not None]
    meta_year = parse_year(top_meta.get("时间", top_meta.get("time", "")))
    meta_unit = top_meta.get("地区", top_meta.get("region"))
    meta_ind = indicator or top_meta.get("指标", top_meta.get("indicator"))
    meta_uom = top_meta.get("单位", top_meta.get("unit", ""))

    if layout == "long" or (
        layout == "auto" and j_ind is not None and j_val is not None and not years_in_header
    ):
        kind = "long"
    elif layout == "wide" or j_period is not None:
        kind = "wide"
    elif years_in_header and len(years_in_header) >= len(data_cols) / 2:
        kind = "by_year"
    elif meta_year is not None:
        kind = "cross_section"
    else:
        raise DataError(
            f"{name}: cannot tell the layout: no period/year column and no year columns (like 2022年) in the header "
            f"{[x for x in labels if x]}; pass period_col=... or layout='long' (or layout='wide'), or add a year column"
        )
    meta["layout"] = kind
    if kind == "wide":  # a wide table's column called e.g. 'item' or 'data' is an indicator, not a role
        guessed = [j for j, given in ((j_ind, indicator_col), (j_val, value_col)) if j is not None and given is None]
        data_cols = sorted(data_cols + guessed)
    ind_of, ind_labels = _indicator_ids(parts, data_cols, kind, year_of, split_cached)
    meta["indicator_labels"] = ind_labels
    rec_unit: list[Any] = []
    rec_period: list[Any] = []
    rec_ind: list[str] = []
    rec_val: list[Any] = []
    rec_row: list[int] = []
    rec_col: list[str] = []
    rec_uom: list[str] = []
    rec_ucol: list[str] = []
    rec_pcol: list[str] = []
    rec_irow: list[int] = []  # where the indicator name was read (header row or data row)
    rec_icol: list[str] = []

    def need(j: int | None, what: str, hint: str) -> int:
        if j is None:
            raise DataError(
                f"{name}: no {what} column found in the header {[x for x in labels if x]}; {hint}"
            )
        return j

    jp = j_period if j_period is not None else -1
    if kind == "long":
        ju = need(j_unit, "unit", "name it 'unit' (or 地区/省份/province) or pass unit_col=...")
        jp = need(j_period, "period", "name it 'period' (or year/年份) or pass period_col=...")
        ji = need(j_ind, "indicator", "name it 'indicator' (or 指标/variable) or pass indicator_col=...")
        jv = need(j_val, "value", "name it 'value' (or 数值) or pass value_col=...")
        for rn, r in body:
            ind_raw, uom = split_cached(_text(r[ji]))
            if j_uom is not None and _text(r[j_uom]):
                uom = _text(r[j_uom])
            rec_unit.append(r[ju])
            rec_period.append(r[jp])
            rec_ind.append(ind_raw)
            rec_val.append(r[jv])
            rec_row.append(rn)
            rec_col.append(colname(jv))
            rec_uom.append(uom or split_cached(labels[jv])[1] or meta_uom)
            rec_ucol.append(colname(ju))
            rec_pcol.append(colname(jp))
            rec_irow.append(rn)
            rec_icol.append(colname(ji))
    else:
        ju = j_unit
        if ju is None and not (kind == "by_year" and meta_unit):
            if units == "none" and data_cols and year_of.get(data_cols[0]) is None:
                ju = data_cols.pop(0)
            else:
                need(None, "unit", "name it 'unit' (or 地区/省份/province) or pass unit_col=...")
        # by-year tables may carry the indicator per row (指标 column: EPS "地区, 指标, 2020, 2021 …" or an
        # NBS export by region with 地区：北京市 in the title lines)
        jrow = j_ind if kind == "by_year" else None
        if kind == "wide":
            jp = need(j_period, "period", "name it 'period' (or year/年份) or pass period_col=...")
        for j in data_cols:
            if kind == "by_year":
                y = year_of[j]
                if y is None:
                    problems.append(
                        Problem(
                            "error",
                            "header_not_year",
                            t("data.problem.header_not_year", lang, header=labels[j]),
                            file=name,
                            row=nums[h0 + header_rows - 1],
                            column=colname(j),
                        )  # fmt: skip
                    )
                    continue
            if j in ind_of:  # the column's id (leaf header, or a slug when leaves collide)
                ind_name, uom = ind_of[j], _part_uom(parts[j][:-1] if kind == "by_year" else parts[j], split_cached)
            else:
                ind_text = (meta_ind or "") if kind == "by_year" else f"column {col_letter(j)}"
                ind_name, uom = split_cached(ind_text) if ind_text else ("", "")
            uom = uom or meta_uom
            head_row = next(
                (nums[h0 + r] for r in range(header_rows) if not _text(hdr[r][j]).isprintable()),
                nums[h0 + header_rows - 1],
            )
            if kind == "by_year" and not ind_name and jrow is None:
                ind_name = stem
                if not any(pp.code == "indicator_from_filename" for pp in problems):
                    problems.append(
                        Problem(
                            "warning",
                            "indicator_from_filename",
                            t("data.problem.indicator_from_filename", lang, name=stem),
                            file=name,
                        )  # fmt: skip
                    )
            for rn, r in body:
                if jrow is not None:
                    ind_row, uom_row = split_cached(_text(r[jrow]))
                    rec_ind.append(ind_row)
                    row_uom = uom_row or uom
                    rec_irow.append(rn)
                    rec_icol.append(colname(jrow))
                else:
                    rec_ind.append(ind_name)
                    row_uom = uom
                    rec_irow.append(head_row)
                    rec_icol.append(colname(j))
                if j_uom is not None and _text(r[j_uom]):
                    row_uom = _text(r[j_uom])
                rec_uom.append(row_uom)
                if ju is None:
                    rec_unit.append(meta_unit)
                    rec_ucol.append("")
                else:
                    rec_unit.append(r[ju])
                    rec_ucol.append(colname(ju))
                rec_period.append(
                    year_of[j] if kind == "by_year" else (meta_year if kind == "cross_section" else r[jp])
                )
                rec_val.append(r[j])
                rec_row.append(rn)
                rec_col.append(colname(j))
                rec_pcol.append(colname(jp) if kind == "wide" else colname(j))
    cells = pd.DataFrame(
        {
            "unit_raw": pd.Series(rec_unit, dtype=object),
            "period_raw": pd.Series(rec_period, dtype=object),
            "indicator": pd.Series(rec_ind, dtype=object),
            "value_raw": pd.Series(rec_val, dtype=object),
            "row": pd.Series(rec_row, dtype="int64"),
            "column": pd.Series(rec_col, dtype=object),
            "unit_column": pd.Series(rec_ucol, dtype=object),
            "period_column": pd.Series(rec_pcol, dtype=object),
            "uom": pd.Series(rec_uom, dtype=object),
            "indicator_row": pd.Series(rec_irow, dtype="int64"),
            "indicator_column": pd.Series(rec_icol, dtype=object),
        }
    )
    if cells.empty:
        raise DataError(f"{name}: no data cells found below the header; check the layout or pass header_rows=...")
    return cells, problems


_SLUG = re.compile(r"[\s|:：,，;；/\\()（）\[\]【】<>《》·.\-+*=&%#@!?'\"]+")


def _part_uom(ps: list[str], split: Any) -> str:
    """Unit of measure of a column from its header parts, the leaf first (``专利申请受理量(件) | 合计`` → 件)."""
    for q in reversed(ps):
        u = split(q)[1]
        if u:
            return u
    return ""


def column_slug(parts: list[str]) -> str:
    """Identifier-like id of a multi-row header: the parts without units of measure joined by ``_``, runs of
    spaces and punctuation replaced by ``_`` (``专利申请受理量(件) | 合计`` → ``专利申请受理量_合计``)."""
    text = "_".join(split_uom(q)[0] for q in parts if split_uom(q)[0])
    return _SLUG.sub("_", text).strip("_")


def _indicator_ids(
    parts: list[list[str]], data_cols: list[int], kind: str, year_of: dict[int, int | None], split: Any
) -> tuple[dict[int, str], dict[str, str]]:
    """Indicator ids of the data columns of a (multi-row) header and their full labels.

    The id of a column is its leaf header without unit of measure (``科技投入 | 地方财政科学技术支出(亿元)`` →
    ``地方财政科学技术支出``); when two different columns share a leaf (``… | 合计`` under two groups) both get
    the slug of their whole header (:func:`column_slug`). In a by-year table the year part is dropped first.
    Returns (column → id, id → full header label, with units of measure, parts joined by `` | ``)."""
    heads: dict[int, list[str]] = {}
    for j in data_cols:
        ps = list(parts[j])
        if kind == "by_year":
            if year_of.get(j) is None:
                continue
            ps = ps[:-1]
        if ps:
            heads[j] = ps
    leaf_of = {j: split(ps[-1])[0] for j, ps in heads.items()}
    owners: dict[str, set[tuple[str, ...]]] = {}
    for j, ps in heads.items():
        owners.setdefault(leaf_of[j], set()).add(tuple(ps))
    ids: dict[int, str] = {}
    labels: dict[str, str] = {}
    for j, ps in heads.items():
        leaf = leaf_of[j]
        if len(ps) == 1:
            ids[j] = leaf  # one header row: the header without its unit of measure, as always
            continue
        ids[j] = leaf if len(owners[leaf]) == 1 and leaf else (column_slug(ps) or leaf)
        labels[ids[j]] = " | ".join(ps)
    return ids, labels


def _guess_header_rows(rows: list[list[Any]], h0: int, end: int, units: str) -> int:
    """Header rows: up to the first row naming a province (province mode), else rows whose first
    non-empty column is blank (merged-cell headers); in both modes a row that looks like data
    (:func:`_looks_like_data`) ends the header, so a misspelt unit is reported, never taken as header."""
    if units == "province":
        for k in range(h0 + 1, min(end, h0 + 12)):
            r = rows[k]
            for v in r[:4]:
                s = _text(v)
                if s and (_units._lookup(s) is not None or _units.is_aggregate(s)):
                    return k - h0
            if _looks_like_data(r, rows[h0:k]):
                return k - h0
    k = h0 + 1
    while k < min(end, h0 + 6):
        r = rows[k]
        first = _text(r[0])
        if first and first != _text(rows[h0][0]):
            break
        if _looks_like_data(r, rows[h0:k]):
            break
        k += 1
    return k - h0


def _looks_like_data(row: list[Any], header: list[list[Any]]) -> bool:
    """A row below ``header`` holds data, not labels: a number that is not a year, an explicit missing
    marker (—, …, NA), or a year under a column already labelled as period/year (年份, year, 2022年)."""
    from nqpf.data.parse import parse_cell

    for j, v in enumerate(row):
        if not _filled(v):
            continue
        y = parse_year(v)
        if y is None:
            c = parse_cell(v)
            if c.status == "number" or c.status == "missing":
                return True
            continue
        labels = [_text(h[j]) for h in header if j < len(h) and _text(h[j])]
        if any(_matches(x, None, _SYN_PERIOD) or parse_year(x) is not None for x in labels):
            return True
    return False


def _content_unit_col(body: list[tuple[int, list[Any]]], width: int, exclude: set) -> int | None:
    best, best_share = None, 0.0
    sample = body[:200]
    for j in range(min(width, 6)):
        if j in exclude:
            continue
        vals = [_text(r[j]) for _, r in sample if _text(r[j])]
        if not vals:
            continue
        share = sum(1 for v in vals if _units._lookup(v) is not None or _units.is_aggregate(v)) / len(vals)
        if share > best_share:
            best, best_share = j, share
    return best if best_share >= 0.5 else None


# ----------------------------------------------------------------------------------------------- public API
def read(
    path: str | Path,
    *,
    format: str | None = None,  # noqa: A002
    layout: str = "auto",
    unit_col: str | None = None,
    period_col: str | None = None,
    indicator_col: str | None = None,
    value_col: str | None = None,
    indicator: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    units: str = "province",
    header_rows: int | None = None,
    special_regions: str = "keep",
    catalogue: pd.DataFrame | str | Path | None = None,
    with_report: bool = False,
    lang: str = "en",
    limits: Limits | None = None,
) -> pd.DataFrame | LoadedData:
    """Read a panel file into the long table ``unit, period, indicator, value``.

    Parameters: ``format`` (csv/xlsx/dta/parquet; detected from the content and suffix), ``layout``
    (auto/long/wide), column names ``unit_col``/``period_col``/``indicator_col``/``value_col`` (detected
    from usual names: 地区/省份/province, year/年份, 指标/indicator, value/数值), ``indicator`` (name for a
    single-indicator by-year table), ``sheet`` (name or 0-based number), ``encoding`` (detected),
    ``units`` ("province": names → GB/T 2260 codes; "none": keep unit ids as text), ``header_rows``
    (detected), ``special_regions`` ("keep" or "drop" Hong Kong/Macau/Taiwan — reported either way),
    ``catalogue`` (indicator catalogue DataFrame or file, for value checks), ``limits`` (size limits checked
    from the file's metadata before loading, :class:`nqpf.data.prescan.Limits`; default from the environment,
    :meth:`~nqpf.data.prescan.Limits.from_env`).

    Returns the long panel with ``attrs["nqpf"] = {"problems": [...], "coverage": {...}, "meta": {...}}``,
    or the :class:`LoadedData` with ``with_report=True``. Raises :class:`ValidationError` (``.problems``)
    if any error was found; warnings are issued with :func:`warnings.warn`.
    """
    if catalogue is not None and not isinstance(catalogue, pd.DataFrame):
        from nqpf.data.catalogue import load_catalogue

        catalogue = load_catalogue(catalogue)
    res = load(
        path, format=format, layout=layout, unit_col=unit_col, period_col=period_col,
        indicator_col=indicator_col, value_col=value_col, indicator=indicator, sheet=sheet,
        encoding=encoding, units=units, header_rows=header_rows, special_regions=special_regions,
        catalogue=catalogue, lang=lang, limits=limits,
    )  # fmt: skip
    errs = res.errors
    if errs:
        shown = "\n".join(f"  - {p}" for p in errs[:20])
        more = f"\n  … and {len(errs) - 20} more" if len(errs) > 20 else ""
        raise ValidationError(
            f"{Path(path).name}: {len(errs)} error(s) found; fix them in the file (run `nqpf validate "
            f"{path}` for the full report):\n{shown}{more}",
            res.problems,
        )
    for p in res.warnings:
        warn(str(p), UserWarning, stacklevel=2)
    if with_report:
        return res
    df = res.data
    df.attrs["nqpf"] = {
        "problems": [p.__dict__.copy() for p in res.problems],
        "coverage": {k: {int(c): float(v) for c, v in row.items()} for k, row in res.coverage.iterrows()},
        "meta": {k: v for k, v in res.meta.items() if k not in ("header",)},
    }
    return df


# Stata's reserved names and the name rule live in nqpf.data.tables (one rule for every .dta nqpf writes).
from nqpf.data.tables import STATA_DOUBLE_MAX, STATA_RESERVED  # noqa: E402, F401 - STATA_RESERVED re-exported


def _check_stata(out: pd.DataFrame, long: pd.DataFrame, name: str, layout: str) -> None:
    """Refuse values beyond Stata's ±8.988e307 instead of letting them be mangled (the first offending unit,
    period and indicator are named). Names Stata cannot hold are mapped by :func:`nqpf.data.tables.stata_names`
    (original names kept as variable labels and characteristics, restored by :func:`read`)."""
    v = pd.to_numeric(long["value"], errors="coerce")
    over = v.abs() > STATA_DOUBLE_MAX
    if over.any():
        r = long[over.to_numpy()].iloc[0]
        raise DataError(
            f"cannot write {name} for Stata: value {r['value']!r} (unit {r[UNIT]!r}, period {r['period']}, "
            f"indicator {r['indicator']!r}) and {int(over.sum()) - 1} more lie outside Stata's double range "
            f"±{STATA_DOUBLE_MAX:.4g}; rescale the series (e.g. to billions) or choose csv/parquet"
        )


def write(
    df: pd.DataFrame,
    path: str | Path,
    format: str | None = None,  # noqa: A002
    *,
    layout: str = "long",
    encoding: str = "utf-8",
    raw_text: bool = False,
) -> Path:
    """Write a long panel atomically as CSV, XLSX, Stata .dta or Parquet (format from the suffix).

    ``layout="wide"`` writes ``unit, period, <indicator columns>`` (:func:`nqpf.data.panel.to_wide`); in a
    ``.dta`` an indicator name Stata cannot hold (``else``, > 32 characters, Chinese …) is mapped by
    :func:`nqpf.data.tables.stata_names`, the original kept as variable label and characteristic, and
    :func:`read` restores it.
    CSV uses ``encoding`` (``utf-8-sig`` helps Excel on Windows; ``gb18030`` for legacy tools).
    In CSV and XLSX a text cell or column name starting with ``= + - @``, tab or CR (a unit or indicator
    such as ``=HYPERLINK(…)``) gets a leading apostrophe so that a spreadsheet shows it as text instead of
    running it (:func:`nqpf._util.neutralise_frame`); numbers are unchanged. ``raw_text=True`` writes such
    text as it is (in XLSX a leading ``=`` then becomes a live formula).
    """
    p = Path(path)
    fmt = (format or p.suffix.lstrip(".")).lower()
    fmt = {"excel": "xlsx", "stata": "dta", "pq": "parquet", "txt": "csv"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise DataError(f"cannot write {p.name}: unknown format {fmt!r}; use one of {FORMATS}")
    if layout not in ("long", "wide"):
        raise DataError(f"layout must be 'long' or 'wide', got {layout!r}")
    long = check_long(df)
    out = long if layout == "long" else to_wide(long).reset_index()
    out = out.copy()
    out[UNIT] = out[UNIT].astype(object)
    if "indicator" in out.columns:
        out["indicator"] = out["indicator"].astype(object)
    if fmt == "dta":
        from nqpf.data.tables import write_table

        _check_stata(out, long, p.name, layout)
        return write_table(out, p)  # names Stata cannot hold: mapped by the documented rule, never silently
    if fmt in ("csv", "xlsx") and not raw_text:
        out = neutralise_frame(out)
    try:
        with atomic_path(p) as tmp:
            if fmt == "csv":
                crlf = {"lineterminator": "\r\n"} if has_carriage_return(out) else {}  # CR in text: quoted
                out.to_csv(tmp, index=False, encoding=encoding, **crlf)
            elif fmt == "xlsx":
                out.to_excel(tmp, index=False, engine="openpyxl")
            else:
                out.to_parquet(tmp, index=False)
    except (ValueError, OverflowError, UnicodeEncodeError, LookupError) as exc:
        # e.g. values beyond Stata's double range, text not encodable in the chosen CSV encoding
        raise DataError(f"cannot write {p.name} as {fmt}: {exc}; choose another format or encoding") from None
    return p


__all__ = ["read", "write", "load", "LoadedData", "decode_bytes", "split_uom", "col_letter", "LONG_COLUMNS"]
