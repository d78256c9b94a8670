"""Uploads: parse untrusted bytes with the project's own readers (content decides, not the extension)."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nqpf.web.app import Dashboard

ALLOWED_SUFFIXES = {".csv", ".txt", ".xlsx", ".xlsm", ".dta", ".parquet"}


def _safe_name(filename: str) -> str:
    """A display name with no path parts; the stored file never uses it as a path."""
    base = re.split(r"[\\/]", filename)[-1]
    return base[:120] or "upload"


def ingest(dash: Dashboard, filename: str, payload: bytes, units: str) -> dict[str, Any]:
    from nqpf.data.validate import validate

    name = _safe_name(filename)
    suffix = Path(name).suffix.lower()
    tmp_root = dash.data_dir / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=tmp_root))
    try:
        # a fixed file name inside a fresh directory: the request never chooses a path
        path = work / ("upload" + (suffix if suffix in ALLOWED_SUFFIXES else ".bin"))
        path.write_bytes(payload)
        report = validate(path, units=units)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    data = report.data if report.ok else None
    problems = []
    for p in report.problems:
        where = p.where().replace(f"file {path.name}", f"file {name}")
        problems.append({"severity": p.severity, "code": p.code, "where": where, "message": p.message,
                         "row": p.row, "column": p.column, "unit": p.unit, "indicator": p.indicator})
    if data is not None and len(data) > dash.max_rows:
        problems.append({"severity": "error", "code": "too_many_rows", "where": f"file {name}",
                         "message": f"{len(data)} values exceed the limit of {dash.max_rows}; split the file",
                         "row": None, "column": None, "unit": None, "indicator": None})
        data = None
    if data is not None and data["indicator"].nunique() > dash.max_cols:
        problems.append({"severity": "error", "code": "too_many_columns", "where": f"file {name}",
                         "message": f"{data['indicator'].nunique()} indicators exceed the limit of {dash.max_cols}",
                         "row": None, "column": None, "unit": None, "indicator": None})
        data = None
    ok = data is not None
    rep = {"problems": problems, "n_errors": sum(p["severity"] == "error" for p in problems),
           "n_warnings": sum(p["severity"] == "warning" for p in problems)}
    uid = dash.store.add_upload(name, ok, rep, data)
    return {
        "id": uid, "ok": ok, "filename": name, "n_rows": None if data is None else int(len(data)),
        "report": rep, "indicators": [] if data is None else sorted(data["indicator"].unique().tolist()),
    }
