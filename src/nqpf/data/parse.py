"""Parsing of statistical-yearbook cells into numbers.

Rules (NBS yearbook conventions, *China Statistical Yearbook*, "Explanatory Notes"):

* blank, ``—``/``——``/``–``/``-``/``--``, ``…``/``……``/``...``, ``/``, ``NA``, ``N/A``, ``n.a.``, ``nan``,
  ``null``, ``#N/A``, ``.``/``..`` → missing (NaN, status ``"missing"``). ``…`` in NBS tables means "smaller than
  the table's unit"; nqpf does not guess 0 for it but keeps the gap and names the marker in ``note``.
* full-width digits and punctuation (``１２３．４``, ``，``, ``－``), the minus sign ``−`` and thin/no-break
  spaces are normalised; thousands separators (``1,234.5``, ``1 234.5``) are removed only when they group
  digits by three (``1,5`` is rejected as a possible decimal comma).
* a trailing ``%`` is removed (value stays in percent points, ``percent=True``).
* trailing footnote markers ``*``, ``**``, ``†``, ``‡``, ``#``, circled numbers ``①…⑳`` and superscript
  digits are removed (``note`` says which) — they are stripped *before* Unicode normalisation so that
  ``12.3①`` is not read as ``12.31``.

Anything else is ``"invalid"`` with a ``reason`` that says what is wrong.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

MISSING_MARKERS = frozenset(
    {
        "", "—", "——", "–", "-", "--", "---", "…", "……", "...", "/", "na", "n/a", "n.a.", "n.a", "nan",
        "null", "none", "#n/a", "－", "―", "－－", "·", "..",
    }
)  # fmt: skip
_FOOTNOTE = re.compile(
    r"(\*+|[†‡#]+|[\u2460-\u2473\u2776-\u277f\u2780-\u2793]+|[\u00b9\u00b2\u00b3\u2070-\u2079]+)$"
)
_ONLY_DASHES = re.compile(r"^[-.\u2013\u2014\u2015\u2026\u00b7]+$")  # runs of dashes, dots, ellipses
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_SPACED = re.compile(r"^[+-]?\d{1,3}( \d{3})+(\.\d*)?$")
_DASHES = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2010": "-", "\u2011": "-", "\ufe63": "-"})


@dataclass(frozen=True)
class Cell:
    """Result of parsing one cell: ``status`` is ``number``, ``missing`` or ``invalid``."""

    value: float
    status: str
    reason: str | None = None
    note: str | None = None
    percent: bool = False


def parse_cell(x: object) -> Cell:
    """Parse one yearbook cell (see module docstring for the rules)."""
    if x is None or x is pd.NA or x is pd.NaT:
        return Cell(math.nan, "missing", note="blank")
    if isinstance(x, bool | np.bool_):
        return Cell(math.nan, "invalid", reason=f"{x!r} is a boolean, not a number")
    if isinstance(x, int | np.integer):
        return Cell(float(x), "number")
    if isinstance(x, float | np.floating):
        if math.isnan(x):
            return Cell(math.nan, "missing", note="blank")
        if math.isinf(x):
            return Cell(math.nan, "invalid", reason="infinite value")
        return Cell(float(x), "number")
    if not isinstance(x, str):
        return Cell(math.nan, "invalid", reason=f"a {type(x).__name__} ({x!s:.40}), not a number")
    raw = x
    s = x.strip().strip("\u3000\u00a0\u2009\u202f")
    note = None
    m = _FOOTNOTE.search(s)
    if m and m.start() > 0:
        note = f"footnote marker {m.group(0)!r} removed"
        s = s[: m.start()].rstrip()
    s = unicodedata.normalize("NFKC", s).translate(_DASHES)
    s = re.sub(r"[\u00a0\u2009\u202f]", " ", s).strip()
    if s.casefold() in MISSING_MARKERS or _ONLY_DASHES.match(s):
        return Cell(math.nan, "missing", note=f"missing marker {raw.strip()!r}" if raw.strip() else "blank")
    percent = False
    if s.endswith("%"):
        percent = True
        s = s[:-1].rstrip()
    for pattern, sep in ((_NUMBER, None), (_GROUPED, ","), (_SPACED, " ")):
        if pattern.match(s):
            v = float(s if sep is None else s.replace(sep, ""))
            if not math.isfinite(v):  # e.g. 1e309 overflows to inf: refused, never passed on
                return Cell(math.nan, "invalid", reason=f"{raw!r} overflows a double (beyond ±1.8e308)")
            return Cell(v, "number", note=note, percent=percent)
    if "," in s and re.fullmatch(r"[+-]?\d+,\d+", s):
        reason = f"{raw!r}: the comma does not separate thousands; if it is a decimal comma write {s.replace(',', '.')}"
    elif re.search(r"\d", s) and re.search(r"[^\d.,+\-eE ]", s):
        reason = f"{raw!r} mixes digits and text; put units of measure in the header and notes in a separate column"
    else:
        reason = f"{raw!r} is not a number nor a recognised missing marker (blank, —, …, /, NA)"
    return Cell(math.nan, "invalid", reason=reason)


def parse_series(s: pd.Series) -> pd.DataFrame:
    """Parse a column of cells; returns a frame (same index) with ``value, status, reason, note, percent``.

    Plain numbers (numeric cells and strings like ``-12.5``) take a vectorised path; every other cell goes
    through :func:`parse_cell` (identical results, tested).
    """
    n = len(s)
    raw = s.to_numpy(dtype=object)
    value = np.full(n, np.nan)
    status = np.full(n, "number", dtype=object)
    reason = np.full(n, None, dtype=object)
    note = np.full(n, None, dtype=object)
    percent = np.zeros(n, dtype=bool)
    kind = np.array(
        [0 if type(x) in (float, int) else (1 if type(x) is str else 2) for x in raw], dtype=np.int8
    )
    fast = np.zeros(n, dtype=bool)
    if n:
        nums = kind == 0
        if nums.any():
            v = raw[nums].astype("float64")
            value[nums] = v
            fast[nums] = np.isfinite(v)
        strs = np.nonzero(kind == 1)[0]
        if len(strs):
            ss = pd.Series(raw[strs], dtype=object).str.strip()
            ok = ss.str.fullmatch(_NUMBER.pattern).fillna(False).to_numpy(dtype=bool)
            if ok.any():
                value[strs[ok]] = ss[ok].astype("float64").to_numpy()
                fast[strs[ok]] = np.isfinite(value[strs[ok]])
    for i in np.nonzero(~fast)[0]:
        c = parse_cell(raw[i])
        value[i], status[i], reason[i], note[i], percent[i] = c.value, c.status, c.reason, c.note, c.percent
    return pd.DataFrame(
        {
            "value": value,
            "status": pd.Series(status, index=s.index, dtype=object),
            "reason": pd.Series(reason, index=s.index, dtype=object),
            "note": pd.Series(note, index=s.index, dtype=object),
            "percent": percent,
        },
        index=s.index,
    )


_YEAR = re.compile(r"^(\d{4})\s*(年度|年)?$")


def parse_year(x: object, *, lo: int = 1800, hi: int = 2200) -> int | None:
    """A calendar year from ``2022``, ``2022.0``, ``"2022"``, ``"2022年"``, ``"２０２２年度"``; else ``None``."""
    if x is None or isinstance(x, bool | np.bool_):
        return None
    if isinstance(x, pd.Timestamp) or hasattr(x, "year") and hasattr(x, "month"):
        try:
            if (x.month, x.day) in ((1, 1), (12, 31)):
                y = int(x.year)
                return y if lo <= y <= hi else None
        except AttributeError:
            return None
        return None
    if isinstance(x, int | np.integer):
        y = int(x)
    elif isinstance(x, float | np.floating):
        if not math.isfinite(x) or x != int(x):
            return None
        y = int(x)
    elif isinstance(x, str):
        s = unicodedata.normalize("NFKC", x).strip()
        s = re.sub(r"\.0+$", "", s)
        m = _YEAR.match(s)
        if not m:
            return None
        y = int(m.group(1))
    else:
        return None
    return y if lo <= y <= hi else None


def period_column(
    s: pd.Series, *, column: str = "period", context: str = "data", units: pd.Series | None = None
) -> pd.Series:
    """The period column ``s`` as numbers, for methods that sort and difference periods.

    Numbers stay as they are (years, or DEAP-style 1, 2, 3 …; integral values become int64); text years
    are read like the data layer reads them (:func:`parse_year`: ``"2015"``, ``"2015年"``, ``"２０２２年度"``,
    ``"2015.0"`` → 2015). A gap or any other text raises :class:`~nqpf.errors.DataError` naming the first
    such row (``units``, the unit column, adds its unit), before any computation starts. Rows follow the
    convention of ``docs/data.md``: position + 2, the spreadsheet row of the table written with one header
    line (the row of a CSV read by the command line)."""
    from nqpf.errors import DataError

    num = pd.to_numeric(s, errors="coerce")
    text = num.isna() & s.notna()
    if text.any():
        years = s[text].map(lambda v: parse_year(v) if isinstance(v, str) else None)
        num = num.astype("float64")
        num[text] = years.astype("float64")
    bad = num.isna().to_numpy()
    if bad.any():
        pos = np.flatnonzero(bad)
        k = int(pos[0])
        v = s.iloc[k]
        unit = f" (unit {units.iloc[k]!r})" if units is not None else ""
        what = "is empty" if pd.isna(v) else f"is {v!r}, neither a number nor a year such as 2015 or 2015年"
        more = f"; {len(pos) - 1} more such row(s)" if len(pos) > 1 else ""
        raise DataError(
            f"{context}: column {column!r}, row {k + 2}{unit}: the period {what}{more}; "
            "write every period as a year (2015) or a period number (1, 2, 3 …)"
        )
    if not np.isfinite(num.to_numpy(dtype="float64")).all():
        raise DataError(f"{context}: column {column!r} has infinite periods; write years such as 2015")
    if (num == num.round()).all():
        return num.astype("int64")
    return num


def check_period_range(periods: object, *, option: str = "periods") -> None:
    """Refuse a period selection that selects nothing because it is written backwards or is empty:
    ``"2022-2012"`` or ``(2022, 2012)`` → :class:`~nqpf.errors.DataError` "… write 2012-2022"; ``","`` or
    ``[]`` → "names no year". Other forms are left to the parser of the index."""
    from nqpf.errors import DataError

    if periods is None:
        return
    pair = None
    if isinstance(periods, str):
        s = periods.strip()
        if s.lower() == "all":
            return
        m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", s)
        if m:
            pair = (int(m.group(1)), int(m.group(2)))
        elif not [x for x in s.replace(";", ",").split(",") if x.strip()]:
            raise DataError(f"{option} {periods!r} names no year; write a range such as 2012-2022 or years 2015,2020")
    elif isinstance(periods, tuple) and len(periods) == 2:
        try:
            pair = (int(periods[0]), int(periods[1]))
        except (TypeError, ValueError):
            return
    elif isinstance(periods, list | tuple | set) and not periods:
        raise DataError(f"{option} {periods!r} names no year; give a range such as 2012-2022 or a list of years")
    if pair is not None and pair[0] > pair[1]:
        lo, hi = pair[1], pair[0]
        raise DataError(f"{option} {periods!r} runs backwards and selects no year; write {lo}-{hi}")
