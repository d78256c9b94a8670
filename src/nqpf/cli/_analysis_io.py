"""Reading the input tables of ``nqpf analyze …``: flat tables whose columns the user names, long panels
widened to one indicator, group tables merged on the unit, one row per unit and period, spatial weights."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nqpf.cli._options import check_size
from nqpf.errors import DataError, MethodError

if TYPE_CHECKING:  # pandas and the analysis layer load inside the functions, so that ``--help`` starts fast
    import pandas as pd

LONG = ["unit", "period", "indicator", "value"]


def read_frame(path: Path, limits: Any = None) -> pd.DataFrame:
    """Read a flat table; text columns stay text (codes keep leading zeros), numbers are converted later.
    The file is pre-scanned under ``limits`` first (:func:`nqpf.cli._options.check_size`)."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "no such file", str(path))
    check_size(path, limits)
    suf = path.suffix.lower()
    if suf in (".csv", ".txt", ".tsv"):
        try:
            from nqpf.data.io import decode_bytes

            text, _ = decode_bytes(path.read_bytes(), source=str(path))
        except ImportError:
            text = path.read_text(encoding="utf-8-sig")
        import io

        sep = "\t" if suf == ".tsv" else ","
        return pd.read_csv(io.StringIO(text), dtype=str, sep=sep, keep_default_na=True)
    if suf in (".xlsx", ".xls"):
        return pd.read_excel(path, dtype=str)
    if suf == ".parquet":
        return pd.read_parquet(path)
    if suf == ".dta":
        from nqpf.data.tables import read_stata

        return read_stata(path)  # names nqpf mapped for Stata come back as they were
    raise DataError(f"{path}: unsupported file type {suf!r}; use .csv, .xlsx, .dta or .parquet")


def _numeric_period(df: pd.DataFrame, period: str | None) -> pd.DataFrame:
    import pandas as pd

    if period and period in df.columns:
        p = pd.to_numeric(df[period], errors="coerce")
        if p.notna().all():
            df = df.assign(**{period: p.astype("int64") if (p == p.round()).all() else p})
    return df


def load_input(
    path: Path,
    value: str | None = None,
    *,
    groups: Path | None = None,
    unit: str = "unit",
    period: str | None = "period",
    unique: bool = False,
    limits: Any = None,
) -> pd.DataFrame:
    """The input table; a long panel is widened when ``value`` names an indicator; ``groups`` merged on unit.

    ``unique``: refuse repeated (unit, period) rows — unit alone for a table without period column —
    naming the unit, period and file rows (:func:`require_unique_rows`); both files pre-scanned under ``limits``."""
    df = read_frame(path, limits)
    if value and value not in df.columns and all(c in df.columns for c in LONG):
        inds = sorted(df["indicator"].astype(str).unique())
        if value not in inds:
            raise DataError(f"{path}: no column or indicator {value!r}; indicators: {inds[:20]}")
        df = (
            df[df["indicator"].astype(str) == value]
            .rename(columns={"value": value})
            .drop(columns="indicator")
        )
    df = _numeric_period(df, period)
    if unique:
        require_unique_rows(df, path, unit, period)
    if groups is not None:
        g = read_frame(groups, limits)
        if unit not in g.columns:
            raise DataError(f"{groups}: needs a column {unit!r} to join the groups on")
        missing = sorted(set(df[unit].astype(str)) - set(g[unit].astype(str)))
        if missing:
            raise DataError(f"{groups}: no group for unit(s) {missing[:20]}; add them to the groups file")
        df = df.merge(g, on=unit, how="left", suffixes=("", "_grp"))
    return df


def _period_names() -> tuple[str, ...]:
    """Period-like column names: the library's rule (nqpf.analysis._common.unit_period_keys)."""
    from nqpf.analysis._common import PERIOD_LIKE

    return PERIOD_LIKE


def require_unique_rows(
    df: pd.DataFrame,
    path: Path,
    unit: str | None = None,
    period: str | None = None,
    *,
    keys: list[str] | None = None,
) -> None:
    """One row per unit and period, like the index: a repeated pair would count a unit twice.

    Without ``period`` the table must be a cross-section (one row per unit) unless it has a period-like
    column (period, year, 年份 …), i.e. a deliberately pooled panel; no unit column → nothing to check.
    ``keys`` checks those columns instead. Raises :class:`DataError` naming the values and file rows."""
    import pandas as pd

    from nqpf.data.panel import check_unique

    labels = None
    if keys is None:
        if unit is None or unit not in df.columns:
            return
        if period is None and any(c in df.columns for c in _period_names()):
            return
        keys = [unit] + ([period] if period else [])
        labels = ["unit", "period"][: len(keys)]
    if not keys:
        return
    offset = 1 if Path(path).suffix.lower() == ".parquet" else 2  # spreadsheet row: the header is row 1
    per = next((k for k in keys if k == period or k in _period_names()), None)
    check_unique(
        _numeric_period(df, per),
        keys,
        name=str(path),
        labels=labels,
        rows=pd.Series(df.index + offset, index=df.index),
    )



def _weights(spec: str, units: list[str], data: pd.DataFrame | None = None, unit: str = "unit"):
    """``contiguity`` | ``contiguity-island`` | ``distance`` | ``economic:<column>`` | ``geojson:<path>:<id field>``."""
    from nqpf.analysis import spatial

    if spec == "contiguity":
        return spatial.contiguity_weights(units)
    if spec == "contiguity-island":
        return spatial.contiguity_weights(units, hainan=None)
    if spec == "distance":
        return spatial.distance_weights(units)
    if spec.startswith("economic:"):
        return spatial.economic_weights(data, spec.split(":", 1)[1], unit)
    if spec.startswith("geojson:"):
        _, p, field = spec.split(":", 2)
        w = spatial.weights_from_geojson(p, field)
        keep = [u for u in w.id_order if u in set(units)]
        unknown = sorted(set(units) - set(map(str, w.id_order)))
        if unknown:
            raise DataError(f"{p}: unit(s) {unknown} have no polygon (property {field!r})")
        from libpysal.weights import w_subset

        ws = w_subset(w, keep)
        ws.transform = "r"
        return ws
    raise MethodError(
        f"--weights: unknown spec {spec!r}; use contiguity, contiguity-island, distance, "
        "economic:<column> or geojson:<path>:<id field>"
    )
