"""Excel workbooks (.xlsx): the chosen sheet streamed as a grid of values, merged ranges filled with their
top-left value, and the formula cells that carry no cached value (issue 11 item 4: read as missing, so
reported as ``formula_uncached``).

openpyxl's read-only mode is used throughout (issue 11 item 9): memory for the values only, never a cell
object per cell or per merged cell; :func:`nqpf.data.prescan.prescan` has checked the sheet's extent before.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import iterparse

from nqpf import _util
from nqpf.data.prescan import _ref
from nqpf.errors import DataError


def xlsx_grid(path: Path, sheet: str | int | None) -> tuple[list[list[Any]], list[int], dict[str, Any]]:
    """The chosen sheet as a grid of values, merged ranges filled with their top-left value.

    Streams the sheet with openpyxl's read-only mode (memory of the values only, not of a cell object per
    cell and per merged cell) and gives the grid the full workbook load gives: the cells' own extent
    (a declared ``<dimension>`` is not trusted), extended over the merged ranges, every row padded to it;
    a sheet without cells gives no rows."""
    try:
        import openpyxl

        with _util.ignore_warnings():
            wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure of the zip/XML parser means a broken workbook
        raise DataError(
            f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__}); re-save it in Excel/WPS"
        ) from None
    try:
        names = wb.sheetnames
        ws = _sheet(wb, path, sheet)
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


def _sheet(wb: Any, path: Path, sheet: str | int | None) -> Any:
    """The worksheet named or numbered (0-based; a digit string that is no sheet's name is a number) by
    ``sheet``, the first one by default; a missing sheet or a chart sheet is refused naming the sheets."""
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
    return ws


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
    try:
        with zipfile.ZipFile(path) as z:
            has = any(
                n.startswith("xl/worksheets/") and n.endswith(".xml") and _FORMULA_TAG.search(z.read(n))
                for n in z.namelist()
            )
        if not has:
            return []
        import openpyxl

        with _util.ignore_warnings():
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
