"""Validation of panel files and long tables: every problem with its location and a remedy.

:func:`validate` returns a :class:`ValidationReport` with ``problems`` (a list of
:class:`nqpf.errors.Problem`) and a ``coverage`` table (indicator × period, share of units with a value).
Error codes (severity ``error`` unless noted; full list with remedies in ``docs/data.md``):

``unreadable`` (file cannot be read/interpreted), ``unit_unknown``, ``unit_empty``, ``unit_special``
(warning: Hong Kong/Macau/Taiwan), ``unit_aggregate`` (warning: national-total row dropped),
``name_control_char`` (an invisible control/format character such as U+0000 or U+200B in a unit or
indicator name), ``period_invalid``, ``header_not_year``, ``indicator_empty``, ``value_invalid``
(non-numeric cell), ``value_footnote`` (warning), ``percent_mixed`` (warning), ``duplicate_conflict``,
``duplicate_identical`` (warning), ``uom_mixed``, ``uom_mismatch``, ``negative_count``,
``share_out_of_range``, ``out_of_range``, ``not_in_catalogue`` (warning), ``column_empty`` (warning),
``gaps`` (warning), ``unit_all_missing`` (warning), ``column_ignored`` (warning), ``indicator_from_filename``
(warning), ``encoding_mixed`` (warning: some CSV lines decoded as GB18030, the rest as UTF-8, or the
reverse), ``formula_uncached`` (xlsx formula without a cached value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# re-exported: the checks lived here before nqpf.data.checks (callers and tests import them from here)
from nqpf.data.catalogue import normalize_uom  # noqa: F401
from nqpf.data.checks import (  # noqa: F401
    _catalogue_problems,
    _gap_problems,
    _single_uoms,
    _uom_problems,
    check_cells,
    coverage_table,
)
from nqpf.data.panel import LONG_COLUMNS
from nqpf.data.problems import ProblemsMixin, problem
from nqpf.errors import NQPFError, Problem


@dataclass
class ValidationReport(ProblemsMixin):
    """Result of :func:`validate`: ``problems``, ``coverage`` (indicator × period shares), ``data``, ``meta``."""

    problems: list[Problem] = field(default_factory=list)
    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)
    data: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        """Problems as a table: severity, code, file, row, column, unit, indicator, message."""
        cols = ["severity", "code", "file", "row", "column", "unit", "indicator", "message"]
        return pd.DataFrame([{c: getattr(p, c) for c in cols} for p in self.problems], columns=cols)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "n_errors": len(self.errors),
            "n_warnings": len(self.warnings),
            "problems": [
                {k: v for k, v in p.__dict__.items() if k != "extra"} | {"extra": _jsonable(p.extra)}
                for p in self.problems
            ],
            "coverage": {
                str(ind): {str(c): (None if math.isnan(v) else round(float(v), 6)) for c, v in row.items()}
                for ind, row in self.coverage.iterrows()
            },
            "meta": _jsonable({k: v for k, v in self.meta.items() if k != "header"}),
        }


def _jsonable(o: Any) -> Any:
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, list | tuple | set):
        return [_jsonable(v) for v in o]
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating | float):
        return None if math.isnan(o) else float(o)
    if o is None or isinstance(o, str | int | bool):
        return o
    return str(o)


def validate(
    source: str | Path | pd.DataFrame,
    *,
    catalogue: pd.DataFrame | str | Path | None = None,
    units: str = "province",
    lang: str = "en",
    **read_kwargs: Any,
) -> ValidationReport:
    """Check a file (any format :func:`nqpf.read` accepts) or a long DataFrame; never raises for bad data.

    A file that cannot be read at all gives one ``unreadable`` error. For a DataFrame, ``row`` is the
    1-based row position plus one (as if written to CSV with a header line).
    """
    cat = None
    probs: list[Problem] = []
    name = (
        source.name if isinstance(source, Path) else (Path(source).name if isinstance(source, str) else None)
    )
    if catalogue is not None:
        if isinstance(catalogue, pd.DataFrame):
            cat = catalogue
        else:
            from nqpf.data.catalogue import load_catalogue

            try:
                cat = load_catalogue(catalogue)
            except NQPFError as exc:
                probs.append(Problem("error", "catalogue_invalid", str(exc), file=str(catalogue)))
    if isinstance(source, pd.DataFrame):
        missing = [x for x in LONG_COLUMNS if x not in source.columns]
        if missing:
            probs.append(
                problem("error", "unreadable", lang, reason=f"missing column(s) {missing}; need {LONG_COLUMNS}")
            )
            return ValidationReport(problems=probs)
        df = source.reset_index(drop=True)
        cells = pd.DataFrame(
            {
                "unit_raw": df["unit"].astype(object),
                "period_raw": df["period"].astype(object),
                "indicator": df["indicator"].astype(object),
                "value_raw": df["value"].astype(object),
                "row": np.arange(2, len(df) + 2, dtype="int64"),
                "column": "value",
                "unit_column": "unit",
                "period_column": "period",
                "uom": "",
            }  # fmt: skip
        )
        data, more, cov = check_cells(cells, units=units, catalogue=cat, lang=lang)
        return ValidationReport(problems=probs + more + anomaly_problems(data, lang), coverage=cov, data=data,
                                meta={})
    from nqpf.data.io import load

    try:
        res = load(source, units=units, catalogue=cat, lang=lang, **read_kwargs)
    except NQPFError as exc:
        probs.append(problem("error", "unreadable", lang, file=name, reason=str(exc)))
        return ValidationReport(problems=probs, meta={"file": str(source)})
    return ValidationReport(
        problems=probs + res.problems + anomaly_problems(res.data, lang, file=name),
        coverage=res.coverage,
        data=res.data,
        meta=res.meta,
    )


def anomaly_problems(data: Any, lang: str = "en", *, file: str | None = None) -> list[Problem]:
    """Warnings ``value_spike`` / ``value_jump`` / ``value_stale`` / ``value_common_break`` from
    :func:`nqpf.data.anomalies.find_anomalies` on the parsed long data (nothing is changed)."""
    from nqpf.data.anomalies import find_anomalies

    if not isinstance(data, pd.DataFrame) or data.empty or not set(LONG_COLUMNS) <= set(data.columns):
        return []
    try:
        if pd.to_numeric(data["period"], errors="coerce").nunique() < 3:
            return []
        found = find_anomalies(data[LONG_COLUMNS])
    except (ValueError, TypeError):  # periods that are not years: nothing to compare over time
        return []
    def g(x) -> str:
        return "" if pd.isna(x) else f"{x:.6g}"

    out = []
    for r in found.itertuples():
        out.append(
            problem("warning", f"value_{r.check}", lang, file=file, unit=r.unit or None, indicator=r.indicator,
               period=int(r.period), value=g(r.value), previous=g(r.previous), next=g(r.next),
               ratio=f"{r.ratio:.2f}" if pd.notna(r.ratio) else "", median=f"{r.median_ratio:.2f}"
               if pd.notna(r.median_ratio) else "", start=g(r.run_start), run=g(r.run_length),
               extra={"period": int(r.period), "check": r.check})
        )  # fmt: skip
    return out
