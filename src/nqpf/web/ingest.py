"""Uploads: parse untrusted bytes with the project's own readers (content decides, not the extension).

The bytes go to a fixed file name in a fresh directory under ``<data_dir>/tmp`` (removed afterwards, and
emptied when the server starts); :mod:`nqpf.web.guard` pre-scans the file's metadata and parses it in a
capped, killable worker process. Only a parse that finished in time is stored.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from nqpf.i18n import t
from nqpf.web import guard
from nqpf.web.guard import MB, Rejected

if TYPE_CHECKING:
    from nqpf.web.service import Dashboard

ALLOWED_SUFFIXES = {".csv", ".txt", ".xlsx", ".xlsm", ".dta", ".parquet"}


def _safe_name(filename: str) -> str:
    """A display name with no path parts; the stored file never uses it as a path."""
    base = re.split(r"[\\/]", filename)[-1]
    return base[:120] or "upload"


def _limit_problem(code: str, name: str, message: str) -> dict[str, Any]:
    return {"severity": "error", "code": code, "where": f"file {name}", "message": message,
            "row": None, "column": None, "unit": None, "indicator": None}


def check_quota(dash: Dashboard) -> None:
    """Refuse a new upload when the stored ones reach ``max_uploads`` or ``max_store_bytes``."""
    count, size = dash.store.upload_usage()
    if count >= dash.max_uploads or size >= dash.max_store_bytes:
        raise Rejected(413, "quota_exceeded", count=count, size_mb=f"{size / MB:.1f}", limit_count=dash.max_uploads,
                       limit_mb=f"{dash.max_store_bytes / MB:.0f}")


def ingest(dash: Dashboard, filename: str, payload: bytes, units: str,
           cancel: threading.Event | None = None, lang: str = "en") -> dict[str, Any] | None:
    """Check and store one upload; raises :class:`Rejected` for refused files. ``None`` (nothing stored) when
    ``cancel`` was set meanwhile (the request timed out). The report's messages are in ``lang``; columns of
    codes or ids (:func:`code_columns`) are reported and left out of the indicators; the report carries the
    coverage table (:func:`nqpf.data.validate.coverage_table`) its gap warnings refer to."""
    check_quota(dash)
    name = _safe_name(filename)
    suffix = Path(name).suffix.lower()
    tmp_root = dash.data_dir / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=tmp_root))
    try:
        # a fixed file name inside a fresh directory: the request never chooses a path
        path = work / ("upload" + (suffix if suffix in ALLOWED_SUFFIXES else ".bin"))
        path.write_bytes(payload)
        if dash.isolate:
            out = guard.parse_in_worker(path, units, dash.limits, name, cancel=cancel, lang=lang)
        else:
            out = guard.parse_here(path, units, dash.limits, name, lang)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if cancel is not None and cancel.is_set():
        return None
    problems, data = out["problems"], out["data"]
    if data is not None and len(data) > dash.max_rows:
        problems.append(_limit_problem("too_many_rows", name,
                                       f"{len(data)} values exceed the limit of {dash.max_rows}; split the file"))
        data = None
    if data is not None and data["indicator"].nunique() > dash.max_cols:
        problems.append(_limit_problem("too_many_columns", name, f"{data['indicator'].nunique()} indicators exceed "
                                       f"the limit of {dash.max_cols}"))
        data = None
    for p in problems:
        p["where"] = where(p, name, lang)
    coverage: dict[str, Any] = {"periods": [], "rows": []}
    if data is not None:
        codes = code_columns(data)
        # a code column is no indicator: the validator's remarks on its values (stale, jumps …) go with it
        problems[:] = [p for p in problems if p.get("indicator") is None or str(p["indicator"]) not in codes]
        for col, why in codes.items():
            problems.append({"severity": "warning", "code": "code_column", "where": where({"column": col}, name, lang),
                             "message": t("web.data.code_column", lang, column=col, why=t(f"web.data.code_why_{why}", lang)),
                             "row": None, "column": col, "unit": None, "indicator": col})
        if codes:
            data = data[~data["indicator"].astype(str).isin(set(codes))].reset_index(drop=True)
        if data.empty:
            data = None
        else:
            coverage = _coverage(data)
            _gap_messages(problems, data, lang)
    ok = data is not None
    rep = {"problems": problems, "n_errors": sum(p["severity"] == "error" for p in problems),
           "n_warnings": sum(p["severity"] == "warning" for p in problems), "coverage": coverage, "lang": lang}
    uid = dash.store.add_upload(name, ok, rep, data)
    return {
        "id": uid, "ok": ok, "filename": name, "n_rows": None if data is None else int(len(data)),
        "report": rep, "indicators": [] if data is None else sorted(data["indicator"].unique().tolist()),
    }


# a column named like this holds codes or ids, not measurements (省辖市代码, 行政区划代码, city_code, id …)
CODE_NAME = re.compile(r"(代码|编码|编号|序号|区划码)$|(^|[_\s-])(code|id|adcode)$|^(code|id|adcode)([_\s-]|$)",
                       re.IGNORECASE)


def code_columns(data: pd.DataFrame) -> dict[str, str]:
    """Indicators of a long table that are codes or ids: ``{indicator: "name" | "values"}``. By name
    (:data:`CODE_NAME`), or by values when every one of at least three units carries one fixed integer over
    at least three periods, a different one for each unit (a measurement does not stay put like that)."""
    out: dict[str, str] = {}
    present = data.dropna(subset=["value"])

    for ind, g in present.groupby(present["indicator"].astype(str), sort=True):
        if CODE_NAME.search(ind.strip()):
            out[ind] = "name"
            continue
        unit = g["unit"].astype(str)
        if unit.nunique() < 3 or g.groupby(unit)["period"].nunique().min() < 3:
            continue
        v = g["value"].astype(float)
        if not (v == v.round()).all():
            continue
        per_unit = v.groupby(unit).nunique()
        if (per_unit == 1).all() and v.groupby(unit).first().nunique() == len(per_unit):
            out[ind] = "values"
    return out


def where(p: dict[str, Any], file: str, lang: str) -> str:
    """Where a problem is, in ``lang``: file, row, column, unit (with its name), indicator."""
    from nqpf.data.units import unit_label

    parts = [f"{t('data.where.file', lang)} {file}"]
    if p.get("row") is not None:
        parts.append(f"{t('data.where.row', lang)} {p['row']}")
    for k in ("column", "unit", "indicator"):
        if p.get(k):
            v = unit_label(p[k], lang) if k == "unit" else str(p[k])
            parts.append(f"{t(f'data.where.{k}', lang)} {v}")
    return ("，" if lang == "zh" else ", ").join(parts)


def _gap_messages(problems: list[dict[str, Any]], data: pd.DataFrame, lang: str) -> None:
    """Gap warnings in the dashboard's terms: how many unit-years miss a value and what the "Gap filling"
    control does with them (the validator's own text names command-line flags)."""
    from nqpf.web.labels import method_label as _method_label
    from nqpf.web.schemas import DEFAULT_IMPUTE

    expected = data["unit"].nunique() * data["period"].nunique()
    present = data.dropna(subset=["value"]).groupby(data["indicator"].astype(str)).size()
    for p in problems:
        if p.get("code") == "gaps" and p.get("indicator") is not None:
            missing = expected - int(present.get(str(p["indicator"]), 0))
            p["message"] = t("web.data.gaps", lang, missing=missing, expected=expected,
                             share=f"{100 * missing / expected:.1f}", impute=_method_label("impute", DEFAULT_IMPUTE, lang))


def _coverage(data: pd.DataFrame) -> dict[str, Any]:
    """The coverage table as JSON: periods and, per indicator, the share of units with a value (0–1)."""
    from nqpf.data.validate import coverage_table

    tab = coverage_table(data)
    return {"periods": [int(p) for p in tab.columns],
            "rows": [{"indicator": str(ind), "shares": [round(float(x), 4) for x in row]} for ind, row in tab.iterrows()]}


def clean_tmp(data_dir: Path) -> int:
    """Remove leftovers of uploads interrupted by a crash or kill (run at start); returns how many."""
    root = Path(data_dir) / "tmp"
    if not root.is_dir():
        return 0
    n = 0
    for entry in root.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        n += 1
    return n
