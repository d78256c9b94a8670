"""From a raw grid of cells (CSV records, a sheet, a data frame) to one record per source cell.

The grid is cut into title lines (``数据库：…``, ``指标：…``, ``时间：2022年``, ``地区：…``), a header of one or more
rows, the body and a footer of notes (``注：…``, ``数据来源：…``). The role columns (unit, period, indicator,
value, unit of measure) are found by their usual names (:mod:`nqpf.data.headers`) and the layout is told
from them (see :mod:`nqpf.data.io`):

* ``long``: an indicator and a value column, no year columns in the header;
* ``wide``: a period column, one column per indicator;
* ``by_year``: most data columns are years (``2022年``), the indicator from a title line, ``indicator=``, an
  upper header row, a 指标 column, or the file name;
* ``cross_section``: the year from a ``时间：2022年`` title line.

Nothing is parsed here: values, units and periods stay raw for :func:`nqpf.data.checks.check_cells`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from nqpf.data.headers import (
    SYN_EXTRA_IDS,
    SYN_INDICATOR,
    SYN_PERIOD,
    SYN_UNIT,
    SYN_UOM,
    SYN_VALUE,
    cell_text,
    col_letter,
    content_unit_col,
    filled,
    guess_header_rows,
    indicator_ids,
    is_note,
    matches,
    part_uom,
    split_uom,
)
from nqpf.data.parse import parse_year
from nqpf.data.problems import problem
from nqpf.errors import DataError, Problem

_META = re.compile(
    r"^\s*(数据库|指标|时间|地区|单位|database|indicator|time|region|unit)\s*[:：]\s*(.*)$", re.I
)

# the columns of the cell records and their dtypes
CELL_COLUMNS = {
    "unit_raw": object, "period_raw": object, "indicator": object, "value_raw": object, "row": "int64",
    "column": object, "unit_column": object, "period_column": object, "uom": object, "indicator_row": "int64",
    "indicator_column": object,
}  # fmt: skip


@dataclass
class _Table:
    """A grid cut into title lines, header and body.

    ``parts[j]``: the distinct header texts of column ``j``, top first; ``labels[j]``: them joined by `` | ``;
    ``body``: (row number, cells) of the non-empty rows between header and footer; ``header_nums``: the row
    numbers of the header rows; ``year_of[j]``: the year of the column's leaf header, if it is one.
    """

    name: str
    width: int
    title_meta: dict[str, str]
    hdr: list[list[Any]]
    header_nums: list[int]
    parts: list[list[str]]
    labels: list[str]
    body: list[tuple[int, list[Any]]]
    colnames: list[str] = field(init=False)
    year_of: dict[int, int | None] = field(init=False)
    _split: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.colnames = [
            f"{col_letter(j)} ({self.labels[j]})" if self.labels[j] else col_letter(j) for j in range(self.width)
        ]
        self.year_of = {j: parse_year(ps[-1]) if ps else None for j, ps in enumerate(self.parts)}

    @property
    def header_row(self) -> int:
        """Number of the last header row (where problems about a whole column are filed)."""
        return self.header_nums[-1]

    def named(self) -> list[str]:
        """The non-empty header labels (for messages)."""
        return [x for x in self.labels if x]

    def split(self, text: str) -> tuple[str, str]:
        """:func:`~nqpf.data.headers.split_uom`, once per distinct text."""
        if text not in self._split:
            self._split[text] = split_uom(text)
        return self._split[text]

    def find(self, wanted: str | None, synonyms: set[str], what: str) -> int | None:
        """First column whose label or a header part is ``wanted`` (refused when absent) or a synonym."""
        hits = [
            j
            for j in range(self.width)
            if self.labels[j]
            and (matches(self.labels[j], wanted, synonyms) or any(matches(q, wanted, synonyms) for q in self.parts[j]))
        ]
        if wanted is not None and not hits:
            raise DataError(f"{self.name}: no column named {wanted!r} for the {what}; the header has {self.named()}")
        return hits[0] if hits else None

    def need(self, j: int | None, what: str, hint: str) -> int:
        """``j``, or a :class:`DataError` that no ``what`` column was found, with ``hint``."""
        if j is None:
            raise DataError(f"{self.name}: no {what} column found in the header {self.named()}; {hint}")
        return j


_HINT_UNIT = "name it 'unit' (or 地区/省份/province) or pass unit_col=..."
_HINT_PERIOD = "name it 'period' (or year/年份) or pass period_col=..."


def _cut(grid: list[list[Any]], nums: list[int], meta: dict[str, Any], name: str, header_rows: int | None,
         units: str) -> _Table:
    """Pad the grid, drop trailing empty columns and cut it into title lines, header, body and footer notes
    (``meta`` gains ``titles``, ``notes``, ``title_meta``, ``header_rows``, ``header``)."""
    width = max((len(r) for r in grid), default=0)
    rows = [list(r) + [None] * (width - len(r)) for r in grid]
    nonempty = [[j for j, v in enumerate(r) if filled(v)] for r in rows]
    used = sorted({j for ne in nonempty for j in ne})
    if not used:
        raise DataError(f"{name}: the file is empty; nothing to read")
    width = used[-1] + 1
    rows = [r[:width] for r in rows]
    h0, end = _titles_and_notes(rows, nonempty, width, meta, name)
    if header_rows is None:
        header_rows = guess_header_rows(rows, h0, end, units)
    header_rows = max(1, int(header_rows))
    if h0 + header_rows > end:
        raise DataError(f"{name}: header rows run past the end of the table; no data rows found")
    hdr, parts = _header(rows[h0 : h0 + header_rows], width)
    labels = [" | ".join(ps) for ps in parts]
    body = [(nums[k], rows[k]) for k in range(h0 + header_rows, end) if nonempty[k]]
    meta["header_rows"] = header_rows
    meta["header"] = labels
    if not body:
        raise DataError(f"{name}: no data rows below the header (row {nums[h0 + header_rows - 1]})")
    return _Table(name, width, meta["title_meta"], hdr, nums[h0 : h0 + header_rows], parts, labels, body)


def _titles_and_notes(rows: list[list[Any]], nonempty: list[list[int]], width: int, meta: dict[str, Any],
                      name: str) -> tuple[int, int]:
    """Index of the first header row (after the title lines: rows with at most one filled cell) and of the
    first footer note after it; records ``titles``, ``notes`` and the ``key：value`` title lines in ``meta``."""
    title_meta: dict[str, str] = {}
    titles: list[str] = []
    i, n = 0, len(rows)
    while i < n and len(nonempty[i]) <= 1 and width > 1:
        if nonempty[i]:
            s = cell_text(rows[i][nonempty[i][0]])
            m = _META.match(s)
            if m:
                title_meta[m.group(1).casefold()] = m.group(2).strip()
            titles.append(s)
        i += 1
    if i >= n:
        raise DataError(f"{name}: no table found (only title lines); the header row must have at least two columns")
    end = next(
        (k for k in range(i + 1, n) if len(nonempty[k]) == 1 and is_note(cell_text(rows[k][nonempty[k][0]]))), n
    )
    notes = [cell_text(rows[k][nonempty[k][0]]) for k in range(end, n) if nonempty[k]]
    meta.update({"titles": titles, "notes": notes, "title_meta": title_meta})
    return i, end


def _header(hdr_rows: list[list[Any]], width: int) -> tuple[list[list[Any]], list[list[str]]]:
    """The header rows with upper rows forward-filled (merged cells exported to CSV) and each column's
    distinct texts, top first."""
    hdr = [list(r) for r in hdr_rows]
    for row in hdr[:-1]:
        last = ""
        for j in range(width):
            tj = cell_text(row[j])
            if tj:
                last = tj
            elif j > 0:
                row[j] = last
    parts = []
    for j in range(width):
        ps: list[str] = []
        for row in hdr:
            tj = cell_text(row[j])
            if tj and tj not in ps:
                ps.append(tj)
        parts.append(ps)
    return hdr, parts


def cells_from_grid(
    grid: list[list[Any]],
    nums: list[int],
    meta: dict[str, Any],
    *,
    name: str,
    layout: str,
    columns: dict[str, str | None],
    indicator: str | None,
    units: str,
    header_rows: int | None,
    stem: str,
    lang: str,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Turn a raw grid into one record per source cell (before parsing), columns :data:`CELL_COLUMNS`.

    ``nums`` are the grid rows' numbers as a user sees them; ``columns`` the role columns the caller names
    (``unit``, ``period``, ``indicator``, ``value``: a header or None to detect it). ``meta`` gains
    ``titles``, ``notes``, ``title_meta``, ``header_rows``, ``header``, ``layout``, ``indicator_labels``.
    Raises :class:`DataError` when the grid holds no table or its layout cannot be told.
    """
    tab = _cut(grid, nums, meta, name, header_rows, units)
    roles = {
        "unit": tab.find(columns["unit"], SYN_UNIT, "unit"),
        "period": tab.find(columns["period"], SYN_PERIOD, "period"),
        "indicator": tab.find(columns["indicator"], SYN_INDICATOR, "indicator"),
        "value": tab.find(columns["value"], SYN_VALUE, "value"),
        "uom": tab.find(None, SYN_UOM, "unit of measure"),
    }
    if roles["unit"] is None and units == "province":
        roles["unit"] = content_unit_col(tab.body, tab.width, exclude={roles[k] for k in roles if k != "unit"})
    problems: list[Problem] = []
    data_cols = _data_columns(tab, roles, problems, lang)
    kind = _layout(tab, roles, data_cols, layout)
    meta["layout"] = kind
    if kind == "wide":  # a wide table's column called e.g. 'item' or 'data' is an indicator, not a role
        guessed = [roles[k] for k in ("indicator", "value") if roles[k] is not None and columns[k] is None]
        data_cols = sorted(data_cols + guessed)
    ind_of, meta["indicator_labels"] = indicator_ids(tab.parts, data_cols, kind, tab.year_of, tab.split)
    records = {k: [] for k in CELL_COLUMNS}
    if kind == "long":
        _long_cells(tab, roles, records)
    else:
        _column_cells(tab, roles, kind, data_cols, ind_of, indicator, units, stem, lang, records, problems)
    cells = pd.DataFrame({k: pd.Series(v, dtype=CELL_COLUMNS[k]) for k, v in records.items()})
    if cells.empty:
        raise DataError(f"{name}: no data cells found below the header; check the layout or pass header_rows=...")
    return cells, problems


def _data_columns(tab: _Table, roles: dict[str, int | None], problems: list[Problem], lang: str) -> list[int]:
    """Columns other than the roles that have a label or a value; further id columns (``name_en``,
    ``region4`` …) are left out with a ``column_ignored`` warning."""
    id_cols = {j for j in roles.values() if j is not None}
    data_cols = [
        j for j in range(tab.width) if j not in id_cols and (tab.labels[j] or any(cell_text(r[j]) for _, r in tab.body))
    ]
    for j in [j for j in data_cols if tab.labels[j] and matches(tab.labels[j], None, SYN_UNIT | SYN_EXTRA_IDS)]:
        data_cols.remove(j)
        problems.append(problem("warning", "column_ignored", lang, file=tab.name, row=tab.header_row,
                                column=tab.colnames[j]))
    return data_cols


def _layout(tab: _Table, roles: dict[str, int | None], data_cols: list[int], layout: str) -> str:
    """``long``, ``wide``, ``by_year`` or ``cross_section`` (module docstring); refused when none fits."""
    years_in_header = [j for j in data_cols if tab.year_of[j] is not None]
    if layout == "long" or (
        layout == "auto" and roles["indicator"] is not None and roles["value"] is not None and not years_in_header
    ):
        return "long"
    if layout == "wide" or roles["period"] is not None:
        return "wide"
    if years_in_header and len(years_in_header) >= len(data_cols) / 2:
        return "by_year"
    if _title_year(tab) is not None:
        return "cross_section"
    raise DataError(
        f"{tab.name}: cannot tell the layout: no period/year column and no year columns (like 2022年) in the header "
        f"{tab.named()}; pass period_col=... or layout='long' (or layout='wide'), or add a year column"
    )


def _title_year(tab: _Table) -> int | None:
    return parse_year(tab.title_meta.get("时间", tab.title_meta.get("time", "")))


def _title_uom(tab: _Table) -> str:
    return tab.title_meta.get("单位", tab.title_meta.get("unit", ""))


def _own_uoms(tab: _Table, j_uom: int | None, rows: list[list[Any]]) -> list[str]:
    """Each row's unit of measure from the unit-of-measure column ("" without one)."""
    return [cell_text(r[j_uom]) for r in rows] if j_uom is not None else [""] * len(rows)


def _long_cells(tab: _Table, roles: dict[str, int | None], records: dict[str, list]) -> None:
    """Cells of a long table: one per body row, the indicator (and its unit of measure, unless the
    unit-of-measure column or else the value header or a ``单位：`` line gives one) from the indicator column."""
    ju = tab.need(roles["unit"], "unit", _HINT_UNIT)
    jp = tab.need(roles["period"], "period", _HINT_PERIOD)
    ji = tab.need(roles["indicator"], "indicator", "name it 'indicator' (or 指标/variable) or pass indicator_col=...")
    jv = tab.need(roles["value"], "value", "name it 'value' (or 数值) or pass value_col=...")
    nums = [rn for rn, _ in tab.body]
    rows = [r for _, r in tab.body]
    inds = [tab.split(cell_text(r[ji])) for r in rows]
    fallback = tab.split(tab.labels[jv])[1] or _title_uom(tab)
    n = len(rows)
    _extend(
        records, unit_raw=[r[ju] for r in rows], period_raw=[r[jp] for r in rows], indicator=[i for i, _ in inds],
        value_raw=[r[jv] for r in rows], row=nums, column=[tab.colnames[jv]] * n,
        uom=[own or u or fallback for (_, u), own in zip(inds, _own_uoms(tab, roles["uom"], rows), strict=True)],
        unit_column=[tab.colnames[ju]] * n, period_column=[tab.colnames[jp]] * n, indicator_row=nums,
        indicator_column=[tab.colnames[ji]] * n,
    )  # fmt: skip


def _extend(records: dict[str, list], **columns: list) -> None:
    for k, v in columns.items():
        records[k].extend(v)


def _column_cells(tab: _Table, roles: dict[str, int | None], kind: str, data_cols: list[int], ind_of: dict[int, str],
                  indicator: str | None, units: str, stem: str, lang: str, records: dict[str, list],
                  problems: list[Problem]) -> None:
    """Cells of a wide, by-year or cross-section table: one per data column and body row.

    The unit is the unit column's (with ``units="none"`` and no unit column, the first data column that is
    not a year), else a ``地区：…`` title line's; the period the period column's (wide), the column's year
    (by-year) or a ``时间：…`` line's (cross-section). Files ``header_not_year`` for a by-year column whose
    header is no year and ``indicator_from_filename`` when nothing else names the indicator."""
    title_unit = tab.title_meta.get("地区", tab.title_meta.get("region"))
    ju = roles["unit"]
    if ju is None and not (kind == "by_year" and title_unit):
        if units == "none" and data_cols and tab.year_of.get(data_cols[0]) is None:
            ju = data_cols.pop(0)
        else:
            tab.need(None, "unit", _HINT_UNIT)
    # by-year tables may carry the indicator per row (指标 column: EPS "地区, 指标, 2020, 2021 …" or an
    # NBS export by region with 地区：北京市 in the title lines)
    jrow = roles["indicator"] if kind == "by_year" else None
    jp = tab.need(roles["period"], "period", _HINT_PERIOD) if kind == "wide" else -1
    title_ind = indicator or tab.title_meta.get("指标", tab.title_meta.get("indicator"))
    nums = [rn for rn, _ in tab.body]
    rows = [r for _, r in tab.body]
    n = len(rows)
    own = _own_uoms(tab, roles["uom"], rows)
    per_row = [tab.split(cell_text(r[jrow])) for r in rows] if jrow is not None else []
    for j in data_cols:
        if kind == "by_year" and tab.year_of[j] is None:
            problems.append(problem("error", "header_not_year", lang, file=tab.name, row=tab.header_row,
                                    column=tab.colnames[j], header=tab.labels[j]))
            continue
        ind_name, uom = _column_indicator(tab, j, kind, ind_of, title_ind)
        if kind == "by_year" and not ind_name and jrow is None:
            ind_name = stem
            if not any(p.code == "indicator_from_filename" for p in problems):
                problems.append(problem("warning", "indicator_from_filename", lang, file=tab.name, name=stem))
        if jrow is not None:
            ind = [i for i, _ in per_row]
            uoms = [o or u or uom for (_, u), o in zip(per_row, own, strict=True)]
            irow, icol = nums, [tab.colnames[jrow]] * n
        else:
            head_row = next(
                (tab.header_nums[r] for r, h in enumerate(tab.hdr) if not cell_text(h[j]).isprintable()), tab.header_row
            )
            ind, uoms, irow, icol = [ind_name] * n, [o or uom for o in own], [head_row] * n, [tab.colnames[j]] * n
        if kind == "wide":
            periods = [r[jp] for r in rows]
        else:
            periods = [tab.year_of[j] if kind == "by_year" else _title_year(tab)] * n
        _extend(
            records, unit_raw=[title_unit] * n if ju is None else [r[ju] for r in rows], period_raw=periods,
            indicator=ind, value_raw=[r[j] for r in rows], row=nums, column=[tab.colnames[j]] * n,
            unit_column=[""] * n if ju is None else [tab.colnames[ju]] * n,
            period_column=[tab.colnames[jp if kind == "wide" else j]] * n, uom=uoms, indicator_row=irow,
            indicator_column=icol,
        )  # fmt: skip


def _column_indicator(tab: _Table, j: int, kind: str, ind_of: dict[int, str], title_ind: str | None) -> tuple[str, str]:
    """Indicator and unit of measure of data column ``j``: its header id (:func:`~nqpf.data.headers.indicator_ids`),
    else (by-year) the ``指标：…`` line or ``indicator=``, else ``column C``; the unit of measure from the header,
    else a ``单位：…`` line."""
    if j in ind_of:  # the column's id (leaf header, or a slug when leaves collide)
        ind_name, uom = ind_of[j], part_uom(tab.parts[j][:-1] if kind == "by_year" else tab.parts[j], tab.split)
    else:
        ind_text = (title_ind or "") if kind == "by_year" else f"column {col_letter(j)}"
        ind_name, uom = tab.split(ind_text) if ind_text else ("", "")
    return ind_name, uom or _title_uom(tab)
