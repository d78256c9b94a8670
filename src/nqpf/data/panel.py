"""The panel data model: one tidy long table ``unit, period, indicator, value``.

Column contract (every layer reads and writes this):

============  =========  ==================================================================
column        dtype      meaning
============  =========  ==================================================================
unit          str        unit code (GB/T 2260 six-digit code for provinces, ISO-3 for countries,
                         any stable id for cities, counties or firms)
period        int64      calendar year
indicator     str        indicator id (a key of the indicator catalogue)
value         float64    the value in the catalogue's unit of measure; NaN = missing (a gap)
============  =========  ==================================================================

``(unit, period, indicator)`` is unique. The wide form is indexed by ``(unit, period)`` with one column per
indicator. :func:`to_wide` and :func:`to_long` are inverse to each other (lossless round trip; missing
cells stay missing).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from nqpf.errors import DataError

UNIT, PERIOD, INDICATOR, VALUE = "unit", "period", "indicator", "value"
LONG_COLUMNS = [UNIT, PERIOD, INDICATOR, VALUE]


def check_long(df: pd.DataFrame, *, name: str = "data") -> pd.DataFrame:
    """Check the long-table contract and return a copy with canonical dtypes and sort order."""
    missing = [c for c in LONG_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(
            f"{name}: missing column(s) {missing}; a long panel needs columns {LONG_COLUMNS} "
            f"(found {list(df.columns)})"
        )
    out = df[LONG_COLUMNS].copy()
    out[UNIT] = out[UNIT].astype(str)
    out[INDICATOR] = out[INDICATOR].astype(str)
    per = pd.to_numeric(out[PERIOD], errors="coerce")
    _refuse_rows(out, per.isna() | (per != per.round()), name, lambda r, n: (
        f"period {r[PERIOD]!r} is not a year; periods must be whole years such as 2020 ({n} such row(s))"))
    out[PERIOD] = per.astype("int64")
    val = pd.to_numeric(out[VALUE], errors="coerce")
    _refuse_rows(out, val.isna() & out[VALUE].notna(), name, lambda r, n: (
        f"unit {r[UNIT]!r}, indicator {r[INDICATOR]!r}: value {r[VALUE]!r} is not a number ({n} such row(s)); "
        "use nqpf.read to parse yearbook cells"))
    out[VALUE] = val.astype("float64")
    check_unique(out, [UNIT, PERIOD, INDICATOR], name=name)
    return out.sort_values([UNIT, PERIOD, INDICATOR], kind="mergesort").reset_index(drop=True)


def _refuse_rows(df: pd.DataFrame, bad: pd.Series, name: str, what: Callable[[pd.Series, int], str]) -> None:
    """Raise :class:`DataError` naming the first ``bad`` row (its index label) and ``what(row, n_bad)``."""
    if bad.any():
        k = int(bad.to_numpy().argmax())
        raise DataError(f"{name}: row {df.index[k]}: {what(df.iloc[k], int(bad.sum()))}")


def check_unique(
    df: pd.DataFrame,
    keys: list[str],
    *,
    name: str = "data",
    labels: list[str] | None = None,
    rows: pd.Series | None = None,
) -> None:
    """Refuse repeated key rows (e.g. unit and period) with :class:`DataError` naming the first repeated
    combination (``labels`` name the keys, default the column names; ``rows`` gives the source row of each
    row of ``df`` for the message). :func:`check_long` (so the index, for long input) uses it too."""
    dup = df.duplicated(keys, keep=False)
    if not dup.any():
        return
    labels = list(labels or keys)
    sub = df.loc[dup, keys]
    group = sub.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    first = sub.iloc[int(group.argmin())]
    what = ", ".join(
        f"{lab} {first[k]}" if lab == PERIOD else f"{lab} {first[k]!r}"
        for lab, k in zip(labels, keys, strict=True)
    )
    where = f"{int(dup.sum())} rows involved"
    if rows is not None:
        shown = [str(r) for r in rows.loc[sub.index[group == group.min()]].tolist()[:8]]
        where = f"rows {', '.join(shown)}; {where}"
    kind = "value" if INDICATOR in labels else "row"
    raise DataError(f"{name}: duplicate rows for {what} ({where}); keep one {kind} per ({', '.join(labels)})")


def to_wide(long: pd.DataFrame) -> pd.DataFrame:
    """Long → wide: index ``(unit, period)``, one float column per indicator (sorted), NaN for gaps."""
    df = check_long(long)
    wide = df.pivot(index=[UNIT, PERIOD], columns=INDICATOR, values=VALUE)
    wide.columns.name = None
    return wide.sort_index(axis=0).sort_index(axis=1)


def to_long(wide: pd.DataFrame, *, dropna: bool = False) -> pd.DataFrame:
    """Wide → long. ``wide`` is indexed by ``(unit, period)`` or has those two columns.

    Missing cells are kept as NaN rows unless ``dropna``; the result satisfies :func:`check_long`.
    """
    w = wide
    if not (isinstance(w.index, pd.MultiIndex) and list(w.index.names) == [UNIT, PERIOD]):
        if UNIT not in w.columns or PERIOD not in w.columns:
            raise DataError(
                f"wide data needs columns {UNIT!r} and {PERIOD!r} (or that index); found {list(w.columns)}"
            )
        w = w.set_index([UNIT, PERIOD])
    long = w.stack(future_stack=True).rename(VALUE).reset_index()
    long.columns = [UNIT, PERIOD, INDICATOR, VALUE]
    if dropna:
        long = long.dropna(subset=[VALUE])
    return check_long(long, name="wide data")
