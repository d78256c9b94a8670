"""One results protocol for every layer (issue 18 item 5): one manifest schema, ``to_frame``, ``summary``,
``to_latex``, ``to_excel``, ``plot`` and ``write``.

Layer "data" (1): this module imports the standard library, numpy, pandas, :mod:`nqpf._util` and
:mod:`nqpf.errors` only (``write`` imports :mod:`nqpf.data.tables`, same layer, when called). The paper-ready
renderers live in the report layer (6) and are **looked up by name** in :data:`RENDERERS` when a method is
called — a plugin lookup like pandas' plotting backend (``pandas.options.plotting.backend``) — so the lower
layers hold no import of :mod:`nqpf.report`, and a change of a renderer cannot break the import of ``index``.

Every manifest carries :data:`COMMON_KEYS` (:func:`manifest` builds one, :func:`ensure_manifest` completes an
older one). DataFrame results keep their manifest in ``df.attrs["manifest"]``; pandas drops ``attrs`` in
``merge`` and ``concat`` of differing frames, so keep the result (or ``df.nqpf.manifest``) before merging, or
``df.nqpf.write(path)``, which writes it to ``manifest.json``.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import os
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from nqpf._util import package_versions, write_json_atomic
from nqpf.errors import DataError, MethodError

MANIFEST_SCHEMA = "nqpf.manifest/1"
#: Keys every manifest holds (values may be None or empty).
COMMON_KEYS = ("schema", "kind", "method", "settings", "inputs", "warnings", "versions", "created")

#: op → "module:function" of the renderer; ``render`` imports it when called and calls ``fn(result, **kw)``.
#: summary/latex/excel/plot take any result; workbook is the reader's workbook of an IndexResult;
#: table_latex writes one table as booktabs LaTeX (``nqpf.data.tables.write_table`` for ``.tex``).
RENDERERS: dict[str, str] = {
    "summary": "nqpf.report.results:summary",
    "latex": "nqpf.report.results:latex",
    "excel": "nqpf.report.results:excel",
    "plot": "nqpf.report.results:plot",
    "workbook": "nqpf.report.results_workbook:index_workbook",
    "table_latex": "nqpf.report.tables:write_latex",
}


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def manifest(kind: str, *, method: str | None = None, settings: dict | None = None, inputs: dict | None = None,
             warnings: list[str] | None = None, **extra: Any) -> dict:
    """A manifest of schema :data:`MANIFEST_SCHEMA`: ``{"schema", "kind", "method", "settings", "inputs",
    "warnings", "versions", "created", **extra}``; ``versions`` = :func:`nqpf._util.package_versions`,
    ``created`` = UTC time to the second. A key of ``extra`` replaces the default of the same name."""
    return {"schema": MANIFEST_SCHEMA, "kind": kind, "method": method, "settings": dict(settings or {}),
            "inputs": dict(inputs or {}), "warnings": list(warnings or []), "versions": package_versions(),
            "created": _now(), **extra}


def ensure_manifest(d: dict | None, kind: str) -> dict:
    """``d`` with the missing :data:`COMMON_KEYS` added (in place; a new dict when ``d`` is None); existing keys
    are never changed. ``kind`` fills a missing ``kind``; ``created`` is left None when absent (unknown)."""
    out = {} if d is None else d
    if not isinstance(out, dict):
        raise DataError(f"a manifest must be a dict, got {type(out).__name__}; build it with nqpf._protocol.manifest")
    defaults = {"schema": MANIFEST_SCHEMA, "kind": kind, "method": None, "settings": {}, "inputs": {},
                "warnings": [], "versions": None, "created": None}
    for k, v in defaults.items():
        out.setdefault(k, v)
    return out


def render(op: str, result: Any, /, **kw: Any) -> Any:
    """Call the renderer of ``op`` (:data:`RENDERERS`) on ``result``: ``fn(result, **kw)``."""
    if op not in RENDERERS:
        raise MethodError(f"no renderer {op!r}; renderers: {sorted(RENDERERS)}")
    module, _, name = RENDERERS[op].partition(":")
    try:
        fn = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise MethodError(f"renderer {op!r} ({RENDERERS[op]}) is not available: {exc}") from None
    return fn(result, **kw)


def result_kind(obj: Any) -> str:
    """The kind of a result: ``obj.kind`` of a :class:`ResultProtocol` object; for a tidy table 'malmquist',
    'dea', 'sigma', 'beta', 'dagum', 'kde', 'rank_intervals' by its columns, else 'table'."""
    if isinstance(obj, ResultProtocol):
        return obj.kind
    if not isinstance(obj, pd.DataFrame):
        raise DataError(f"not a result nqpf can summarise: {type(obj).__name__}")
    cols = set(obj.columns)
    rules = (("malmquist", {"tfpch", "effch", "techch"}), ("dea", {"efficiency", "peers"}),
             ("sigma", {"sigma_log", "cv"}), ("beta", {"beta", "half_life"}))
    for kind, need in rules:
        if need <= cols:
            return kind
    if {"period", "component", "value"} <= cols and (obj["component"] == "G").any():
        return "dagum"
    if {"x", "density", "bandwidth"} <= cols:
        return "kde"
    if {"unit", "rank_nominal", "rank_p05", "rank_p95"} <= cols:
        return "rank_intervals"
    return "table"


def _targets(path: Path, names: list[str]) -> list[Path]:
    if path.suffix:
        return [path, path.parent / "manifest.json"]
    return [path / f"{n}.csv" for n in names] + [path / "manifest.json"]


class ResultProtocol:
    """Mixin of the result classes: one manifest schema and the same output methods everywhere.

    A class sets :attr:`kind` and ``manifest`` and implements :meth:`to_frame`; :meth:`tables` (the tables of
    :meth:`write`'s folder form) defaults to ``{kind: to_frame()}``. The renderers are looked up in
    :data:`RENDERERS` (report layer) when a method is called."""

    kind: ClassVar[str]
    manifest: dict

    def _target(self) -> Any:
        """The object handed to the renderers (the accessor hands its DataFrame)."""
        return self

    def to_frame(self) -> pd.DataFrame:
        """The main tidy table (columns ``unit``, ``period``, …)."""
        raise NotImplementedError(f"{type(self).__name__} does not define to_frame")

    def tables(self) -> dict[str, pd.DataFrame]:
        """name → table written by :meth:`write` into a folder."""
        return {self.kind: self.to_frame()}

    def summary(self, *, lang: str = "en", **kw: Any) -> pd.DataFrame:
        """The paper-ready table (headers in ``lang``; caption, notes and formats in ``.attrs``)."""
        return render("summary", self._target(), lang=lang, **kw)

    def to_latex(self, path: str | os.PathLike | None = None, *, lang: str = "en", **kw: Any) -> str:
        """Booktabs LaTeX of :meth:`summary` with its notes (written atomically to ``path`` when given)."""
        return render("latex", self._target(), path=path, lang=lang, **kw)

    def to_excel(self, path: str | os.PathLike, *, lang: str = "en", **kw: Any) -> Path:
        """A workbook of :meth:`summary` (table, caption and notes), written atomically."""
        return render("excel", self._target(), path=path, lang=lang, **kw)

    def plot(self, kind: str | None = None, *, lang: str = "en", path: str | os.PathLike | None = None,
             **kw: Any):
        """The standard figure ``kind`` (PNG/SVG at ``path``, else the bytes of ``fmt=``, SVG by default)."""
        return render("plot", self._target(), kind=kind, lang=lang, path=path, **kw)

    def write(self, path: str | os.PathLike, *, lang: str = "en", raw_text: bool = False,
              force: bool = False) -> Path:
        """Write the result atomically. A path with a suffix (.csv .xlsx .dta .parquet .tex): :meth:`to_frame`
        by :func:`nqpf.data.tables.write_table`, with ``manifest.json`` beside it; a path without a suffix: a
        folder with :meth:`tables` as ``<name>.csv`` and ``manifest.json``. The manifest written records the
        files (``output_files``; ``self.manifest`` is not changed). Existing files are refused unless ``force``.
        ``lang`` is accepted for one signature across results: the tables keep their column names."""
        from nqpf.data.tables import write_table

        p = Path(path)
        tables = {} if p.suffix else {k: v for k, v in self.tables().items() if v is not None}
        there = [str(t) for t in _targets(p, list(tables)) if t.exists()]
        if there and not force:
            raise DataError(f"write: {', '.join(there)} exist(s); choose another path or pass force=True")
        man = dict(self.manifest or {})
        if p.suffix:
            write_table(self.to_frame(), p, raw_text=raw_text, manifest=man)
            write_json_atomic(p.parent / "manifest.json", man)
            return p
        p.mkdir(parents=True, exist_ok=True)
        for name, df in tables.items():
            write_table(df, p / f"{name}.csv", raw_text=raw_text, manifest=man)
        write_json_atomic(p / "manifest.json", man)
        return p


__all__ = ["MANIFEST_SCHEMA", "COMMON_KEYS", "RENDERERS", "manifest", "ensure_manifest", "render", "result_kind",
           "ResultProtocol"]
