"""Header text of a table grid: cell text, the usual names of the role columns, units of measure in
brackets, indicator ids of (multi-row) headers, and how many rows the header has.

Indicator ids of multi-row headers: the leaf (lowest) header without its unit of measure
(``科技投入 | 地方财政科学技术支出(亿元)`` → ``地方财政科学技术支出``); two columns with the same leaf both get the
slug of their whole header (:func:`column_slug`). A row that looks like data ends the header
(:func:`looks_like_data`), so a misspelt unit is reported as ``unit_unknown``, never taken as header
(issue 11 item 1).
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from typing import Any

from nqpf.data import units as _units
from nqpf.data.parse import parse_cell, parse_year

SYN_UNIT = {
    "unit", "units", "地区", "省份", "省", "省区", "省市", "省级行政区", "地区名称", "省份名称", "province", "prov",
    "provname", "region", "area", "地区代码", "省份代码", "行政区划代码", "code", "id", "name", "city", "城市",
    "country", "iso3", "countrycode", "firm", "企业", "行业", "industry", "provincecode", "province_code",
}  # fmt: skip
SYN_EXTRA_IDS = {
    "name_zh", "name_en", "name_zh_full", "region4", "region4_zh", "group", "区域", "地区分组", "东中西部", "英文名",
    "省份英文", "简称", "iso", "nbs_code_12", "province_en", "province_full", "province_name",
}  # fmt: skip
SYN_PERIOD = {"period", "year", "年份", "年度", "年", "时间", "yr", "t", "years"}
SYN_INDICATOR = {"indicator", "指标", "指标名称", "variable", "var", "变量", "series", "item", "项目"}
SYN_VALUE = {"value", "数值", "值", "val", "data", "数据"}
SYN_UOM = {"unit_of_measure", "单位", "计量单位", "uom", "measure_unit", "unitofmeasure", "units_of_measure"}

_NOTE = re.compile(r"^\s*(注|说明|备注|数据来源|资料来源|来源|notes?|sources?)\s*(\d*\s*[:：.、]|$)", re.I)
_UOM_TOKEN = re.compile(
    r"^(%|‰|[万千百亿]?(元|人|吨|个|件|项|家|户|台|辆|所|人次|美元|千瓦时|千瓦|公顷|公里|平方米|立方米|吨标准煤|吨标煤)"
    r"|.{0,4}(元|美元)(/.{1,4})?|.{0,3}(千瓦时|标准煤|立方米|平方公里|公里|小时|人年)|万人|万户|人/万人|件/万人"
    r"|kg|km|t|mt|usd|cny|yuan|rmb|persons?|percent|million|billion|.{0,6}/.{1,6})$",
    re.I,
)


def col_letter(j: int) -> str:
    """0-based column index → spreadsheet letters (0 → A, 26 → AA)."""
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def cell_text(x: Any) -> str:
    """A cell as stripped NFKC text: "" for None/NaN, whole floats without ``.0`` (``2022.0`` → ``2022``)."""
    if type(x) is str:
        return x.strip() if x.isascii() else unicodedata.normalize("NFKC", x).strip()
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, float) and math.isfinite(x) and abs(x) < 1e15 and x == int(x):
        x = int(x)
    return unicodedata.normalize("NFKC", str(x)).strip()


def filled(v: Any) -> bool:
    """A cell holding something (numbers always; text unless blank after normalisation)."""
    if v is None:
        return False
    t = type(v)
    if t is int:
        return True
    if t is float:
        return v == v
    return cell_text(v) != ""


def _norm_header(x: str) -> str:
    """Casefolded header without spaces, ``_`` and ``-`` (``Province_Code`` → ``provincecode``)."""
    return re.sub(r"[\s_\-]+", "", x.casefold())


@lru_cache(maxsize=64)
def _norm_set(synonyms: frozenset[str]) -> frozenset[str]:
    """The synonyms normalised by :func:`_norm_header` (cached per synonym set)."""
    return frozenset(_norm_header(s) for s in synonyms)


def split_uom(header: str) -> tuple[str, str]:
    """``'地区生产总值(亿元)'`` → ``('地区生产总值', '亿元')``; the bracket must look like a unit of measure."""
    h = cell_text(header)
    m = re.match(r"^(.*?)\s*[\(（\[]([^()（）\[\]]{1,14})[\)）\]]\s*$", h)
    if m and m.group(1) and _UOM_TOKEN.match(m.group(2).strip()):
        return m.group(1).strip(), m.group(2).strip()
    return h, ""


def is_note(s: str) -> bool:
    """A footer line: ``注：…``, ``数据来源：…``, ``Notes:`` …"""
    return bool(_NOTE.match(s))


def matches(label: str, wanted: str | None, synonyms: set[str]) -> bool:
    """``label`` is the column ``wanted`` (when given) or one of ``synonyms``, compared normalised."""
    n = _norm_header(label)
    if wanted is not None:
        return n == _norm_header(str(wanted))
    return n in _norm_set(frozenset(synonyms))



_SLUG = re.compile(r"[\s|:：,，;；/\\()（）\[\]【】<>《》·.\-+*=&%#@!?'\"]+")


def part_uom(ps: list[str], split: Any) -> str:
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


def indicator_ids(
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


def guess_header_rows(rows: list[list[Any]], h0: int, end: int, units: str) -> int:
    """Header rows: up to the first row naming a province (province mode), else rows whose first
    non-empty column is blank (merged-cell headers); in both modes a row that looks like data
    (:func:`looks_like_data`) ends the header, so a misspelt unit is reported, never taken as header."""
    if units == "province":
        for k in range(h0 + 1, min(end, h0 + 12)):
            r = rows[k]
            for v in r[:4]:
                s = cell_text(v)
                if s and (_units._lookup(s) is not None or _units.is_aggregate(s)):
                    return k - h0
            if looks_like_data(r, rows[h0:k]):
                return k - h0
    k = h0 + 1
    while k < min(end, h0 + 6):
        r = rows[k]
        first = cell_text(r[0])
        if first and first != cell_text(rows[h0][0]):
            break
        if looks_like_data(r, rows[h0:k]):
            break
        k += 1
    return k - h0


def looks_like_data(row: list[Any], header: list[list[Any]]) -> bool:
    """A row below ``header`` holds data, not labels: a number that is not a year, an explicit missing
    marker (—, …, NA), or a year under a column already labelled as period/year (年份, year, 2022年)."""
    for j, v in enumerate(row):
        if not filled(v):
            continue
        y = parse_year(v)
        if y is None:
            c = parse_cell(v)
            if c.status == "number" or c.status == "missing":
                return True
            continue
        labels = [cell_text(h[j]) for h in header if j < len(h) and cell_text(h[j])]
        if any(matches(x, None, SYN_PERIOD) or parse_year(x) is not None for x in labels):
            return True
    return False


def content_unit_col(body: list[tuple[int, list[Any]]], width: int, exclude: set) -> int | None:
    """The column among the first six (not in ``exclude``) whose values, in the first 200 body rows, are most
    often province or aggregate names, when at least half of them are; else ``None``."""
    best, best_share = None, 0.0
    sample = body[:200]
    for j in range(min(width, 6)):
        if j in exclude:
            continue
        vals = [cell_text(r[j]) for _, r in sample if cell_text(r[j])]
        if not vals:
            continue
        share = sum(1 for v in vals if _units._lookup(v) is not None or _units.is_aggregate(v)) / len(vals)
        if share > best_share:
            best, best_share = j, share
    return best if best_share >= 0.5 else None

