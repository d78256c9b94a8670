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

import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from nqpf._util import atomic_path, has_carriage_return, neutralise_frame, sha256_file, warn
from nqpf.data.checks import check_cells
from nqpf.data.excel import xlsx_grid
from nqpf.data.grid import cells_from_grid
from nqpf.data.headers import col_letter, column_slug, split_uom  # noqa: F401 - column_slug re-exported
from nqpf.data.panel import LONG_COLUMNS, UNIT, check_long, to_wide
from nqpf.data.prescan import Limits, prescan
from nqpf.data.problems import ProblemsMixin, problem

# Stata's reserved names and the name rule live in nqpf.data.tables (one rule for every .dta nqpf writes).
from nqpf.data.tables import STATA_DOUBLE_MAX, STATA_RESERVED, write_table  # noqa: F401 - STATA_RESERVED re-exported
from nqpf.data.text import MixedEncoding, csv_grid, decode_bytes, decode_text  # noqa: F401 - re-exported
from nqpf.errors import DataError, Problem, ValidationError

FORMATS = ("csv", "xlsx", "dta", "parquet")
LAYOUTS = ("auto", "long", "wide")


@dataclass
class LoadedData(ProblemsMixin):
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


def _frame_table(df: pd.DataFrame) -> tuple[list[list[Any]], list[int]]:
    df = df.reset_index(drop=True) if not isinstance(df.index, pd.RangeIndex) else df
    header = [str(c) for c in df.columns]
    body = df.astype(object).where(df.notna(), None).values.tolist()
    return [header, *body], [0, *range(1, len(body) + 1)]


def _read_grid(
    p: Path, fmt: str, sheet: str | int | None, encoding: str | None
) -> tuple[list[list[Any]], list[int], dict[str, Any]]:
    """The file as a grid of cells, the rows' numbers and reading metadata (CSV: encoding, delimiter …;
    xlsx: sheet, formula cells; Stata and Parquet: none, the first grid row is the header)."""
    if fmt == "csv":
        return csv_grid(p, encoding)
    if fmt == "xlsx":
        return xlsx_grid(p, sheet)
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
        raise DataError(f"{p.name}: not a readable {fmt} file ({type(exc).__name__}: {str(exc)[:120]})") from None
    if df.index.nlevels > 1 or df.index.name is not None:
        df = df.reset_index()
    grid, nums = _frame_table(df)
    return grid, nums, {}


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
    catalogue: pd.DataFrame | str | Path | None = None,
    lang: str = "en",
    limits: Limits | None = None,
) -> LoadedData:
    """Read ``path`` and collect every problem (see :func:`read` for the parameters).

    Raises :class:`DataError` only when the file cannot be interpreted at all (unreadable, no data,
    unknown layout, or :class:`~nqpf.data.prescan.TooLarge` from the metadata pre-scan); row-level problems
    are returned in ``problems``.
    """
    if catalogue is not None and not isinstance(catalogue, pd.DataFrame):
        from nqpf.data.catalogue import load_catalogue

        catalogue = load_catalogue(catalogue)
    p = Path(path)
    _check_arguments(p, layout, units, special_regions)
    fmt = _detect_format(p, format)
    prescan(p, limits, lang=lang)  # refuse memory bombs from the file's metadata before loading anything
    meta: dict[str, Any] = {"file": str(p), "sha256": sha256_file(p), "format": fmt}
    grid, nums, extra = _read_grid(p, fmt, sheet, encoding)
    meta.update(extra)
    cells, problems = cells_from_grid(
        grid, nums, meta, name=p.name, layout=layout, indicator=indicator, units=units, stem=p.stem, lang=lang,
        columns={"unit": unit_col, "period": period_col, "indicator": indicator_col, "value": value_col},
        header_rows=header_rows if fmt in ("csv", "xlsx") else 1,
    )  # fmt: skip
    problems[:0] = _reading_problems(meta, p.name, lang)
    data, more, coverage = check_cells(
        cells, file=p.name, units=units, special_regions=special_regions, catalogue=catalogue, lang=lang
    )
    problems.extend(more)
    meta["units_of_measure"] = (
        cells.dropna(subset=["uom"]).groupby("indicator")["uom"].agg(lambda s: sorted(set(s) - {""})).to_dict()
        if len(cells)
        else {}
    )
    return LoadedData(data=data, problems=problems, coverage=coverage, meta=meta, cells=cells)


def _check_arguments(p: Path, layout: str, units: str, special_regions: str) -> None:
    """Refuse a missing path, a folder and unknown ``layout``/``units``/``special_regions`` values."""
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


def _reading_problems(meta: dict[str, Any], name: str, lang: str) -> list[Problem]:
    """Problems of the decoding/reading step: lines in a second encoding, formulas without a value."""
    out: list[Problem] = []
    mixed = meta.get("mixed_encoding")
    if mixed:
        rows = mixed["rows"]
        shown = ", ".join(map(str, rows[:10])) + (f" … ({len(rows)} rows)" if len(rows) > 10 else "")
        out.append(problem("warning", "encoding_mixed", lang, file=name, row=rows[0], extra=dict(mixed), rows=shown,
                           major=mixed["major"], minor=mixed["minor"]))
    labels = meta.get("header", [])
    for r, j in meta.get("formula_cells", []):
        ref = f"{meta.get('sheet', 'Sheet1')}!{col_letter(j)}{r}"
        col = f"{col_letter(j)} ({labels[j]})" if j < len(labels) and labels[j] else col_letter(j)
        out.append(problem("error", "formula_uncached", lang, file=name, row=r, column=col, extra={"cell": ref},
                           cell=ref))
    return out


# ----------------------------------------------------------------------------------------------- public API
def read(path: str | Path, *, with_report: bool = False, **options: Any) -> pd.DataFrame | LoadedData:
    """Read a panel file into the long table ``unit, period, indicator, value``.

    Parameters (the keywords of :func:`load`): ``format`` (csv/xlsx/dta/parquet; detected from the content
    and suffix), ``layout`` (auto/long/wide), column names ``unit_col``/``period_col``/``indicator_col``/
    ``value_col`` (detected from usual names: 地区/省份/province, year/年份, 指标/indicator, value/数值),
    ``indicator`` (name for a single-indicator by-year table), ``sheet`` (name or 0-based number),
    ``encoding`` (detected), ``units`` ("province": names → GB/T 2260 codes; "none": keep unit ids as text),
    ``header_rows`` (detected), ``special_regions`` ("keep" or "drop" Hong Kong/Macau/Taiwan — reported
    either way), ``catalogue`` (indicator catalogue DataFrame or file, for value checks), ``limits`` (size
    limits checked from the file's metadata before loading, :class:`nqpf.data.prescan.Limits`; default from
    the environment, :meth:`~nqpf.data.prescan.Limits.from_env`), ``lang`` (of the messages).

    Returns the long panel with ``attrs["nqpf"] = {"problems": [...], "coverage": {...}, "meta": {...}}``,
    or the :class:`LoadedData` with ``with_report=True``. Raises :class:`ValidationError` (``.problems``)
    if any error was found; warnings are issued with :func:`warnings.warn`.
    """
    res = load(path, **options)
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


def _read_signature() -> inspect.Signature:
    """:func:`read`'s signature for ``help`` and :func:`inspect.signature`: the parameters of :func:`load`
    with ``with_report`` after ``catalogue``, as they are accepted."""
    own = inspect.signature(read)
    params = list(inspect.signature(load).parameters.values())
    k = next(i for i, q in enumerate(params) if q.name == "catalogue") + 1
    return own.replace(parameters=[*params[:k], own.parameters["with_report"], *params[k:]])


read.__signature__ = _read_signature()  # type: ignore[attr-defined]


def _check_stata(long: pd.DataFrame, name: str) -> None:
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
        _check_stata(long, p.name)
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
