"""FastAPI application behind ``nqpf serve``.

Single-user and local by design: it binds to loopback unless told otherwise and has no authentication.
Every error answer is JSON (``{"error": ..., "detail": ...}``, plus a stable ``code`` for refusals), never a
traceback. Requests address stored objects by id only; uploads are parsed (not trusted by extension) under a
streaming size limit, pre-scanned and parsed in a capped worker process (:mod:`nqpf.web.guard`).
:mod:`nqpf.web.security` keeps other sites out: only loopback ``Host`` names (DNS rebinding), no
state-changing request from a foreign ``Origin``/``Referer`` (CSRF), and restrictive response headers.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import asynccontextmanager
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import anyio
import pandas as pd
import yaml
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from nqpf._util import csv_text
from nqpf.errors import DataError, NQPFError
from nqpf.web.guard import MB, Limits, Rejected
from nqpf.web.security import TooLarge, allowed_host_names, check_request, security_headers
from nqpf.web.store import Store

log = logging.getLogger("nqpf.web")

DEFAULT_DATASET = "cn_provinces"
DEFAULT_FRAMEWORK = "nqpf-core"
# cache entries that are small and fixed for the server's life (never evicted)
PINNED = {"dataset", "framework", "units", "unit_names", "geo", "default_run", "world_tfp", "province_efficiency"}


def _step_enum(name: str, step: str) -> type[StrEnum]:
    """A request enum holding every value :data:`nqpf.index.registry.STEPS` allows for ``step`` (the one
    registry: a method added there is offered by the web schema too)."""
    from nqpf.index.registry import STEPS

    return StrEnum(name, {v.replace("-", "_").replace("+", "_"): v for v in STEPS[step]})  # type: ignore[return-value]


Impute = _step_enum("Impute", "impute")
Treat = _step_enum("Treat", "treat")
Normalize = _step_enum("Normalize", "normalize")
Weights = _step_enum("Weights", "weights")
Scope = _step_enum("Scope", "weight_scope")
Aggregate = _step_enum("Aggregate", "aggregate")
# the step of each request field (the methods form, the schema test and /api/methods read it)
STEP_FIELDS: dict[str, str] = {"impute": "impute", "treat": "treat", "normalize": "normalize",
                               "weights": "weights", "weight_scope": "weight_scope", "aggregate": "aggregate"}
# gaps in an upload (or a framework that declares no gap filling) are filled like `nqpf index` / `nqpf report`
DEFAULT_IMPUTE = "linear-carry"


class Lang(StrEnum):
    zh = "zh"
    en = "en"


class UnitsKind(StrEnum):
    province = "province"
    none = "none"


class DownloadKind(StrEnum):
    scores_csv = "scores.csv"
    weights_csv = "weights.csv"
    manifest_json = "manifest.json"
    report_html = "report.html"
    report_xlsx = "report.xlsx"


class RunRequest(BaseModel):
    """Settings of one index computation."""

    dataset: str | None = Field(DEFAULT_DATASET, max_length=64, description="built-in dataset name")
    upload: str | None = Field(None, max_length=64, description="id of an uploaded dataset (instead of dataset)")
    framework: str = Field(DEFAULT_FRAMEWORK, max_length=64,
                           description="built-in framework name, or 'auto' for an upload (every column a +1 leaf)")
    # None (omitted) = the framework's declared method, else the engine default (nqpf.index.resolve_method)
    normalize: Normalize | None = None
    weights: Weights | None = None
    weight_scope: Scope | None = None
    aggregate: Aggregate | None = None
    periods: str | None = Field(None, max_length=16, pattern=r"^\d{4}(-\d{4})?$",
                                description="e.g. 2012-2022 (default: the framework's periods, else all)")
    impute: Impute | None = None
    treat: Treat | None = None
    base_year: int | None = Field(None, ge=1900, le=2100,
                                  description="normalize 'ratio': each unit against its own value in this year")
    ref_unit: str | None = Field(None, max_length=64,
                                 description="normalize 'ratio': every row against this unit in the same year")
    mapping: dict[str, str] | None = Field(
        None, max_length=500,
        description="uploads only: {leaf id of the built-in framework: uploaded indicator}; unmapped leaves are dropped",
    )


class RunSummary(BaseModel):
    id: str
    source: str
    settings: dict[str, Any]
    periods: list[int]
    units: int
    nodes: list[str]
    elapsed_ms: float


class ErrorBody(BaseModel):
    error: str
    detail: Any = None
    code: str | None = Field(None, description="stable code of a refusal, e.g. sheet_too_large, busy")


def _err(status: int, error: str, detail: Any = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": error, "detail": detail})


def _lang_of(request: Request) -> str:
    """``?lang=zh|en``, else the first language of ``Accept-Language``, else English."""
    q = request.query_params.get("lang")
    if q in ("zh", "en"):
        return q
    return "zh" if request.headers.get("accept-language", "").lower().startswith("zh") else "en"


def _rejected(request: Request, exc: Rejected) -> JSONResponse:
    headers = {"Retry-After": "5"} if exc.status == 503 else None
    return JSONResponse(status_code=exc.status, content=exc.body(_lang_of(request)), headers=headers)


# ----------------------------------------------------------------------------------------------- helpers
@lru_cache(maxsize=1)
def builtin_frameworks() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    folder = resources.files("nqpf") / "frameworks"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith((".yaml", ".yml")):
            spec = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
            name = spec.get("name") or entry.name.rsplit(".", 1)[0]
            out[name] = {
                "name": name,
                "dataset": spec.get("dataset"),
                "title_zh": spec.get("title_zh", name),
                "title_en": spec.get("title_en", name),
                "periods": spec.get("periods"),
            }
    return out


def _unit_names(dataset_name: str | None) -> dict[str, dict[str, str]]:
    if not dataset_name:
        return {}
    from nqpf import datasets

    units = datasets.load(dataset_name).units
    cols = [c for c in ("name_zh", "name_en", "group") if c in units.columns]
    return {str(r["unit"]): {c: (None if pd.isna(r[c]) else str(r[c])) for c in cols} for _, r in units.iterrows()}


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts with full float precision (NaN -> null)."""
    from nqpf.web.views import _rows

    return _rows(df)


class Dashboard:
    """State of one running dashboard: the store, limits and caches (no module-level state)."""

    def __init__(self, data_dir: Path, *, max_upload_bytes: int, max_rows: int, max_cols: int,
                 max_cached: int = 64, limits: Limits | None = None, max_parses: int = 2,
                 max_uploads: int = 200, max_store_bytes: int = 512 * MB, isolate: bool = True):
        self.store = Store(data_dir)
        self.data_dir = Path(data_dir)
        self.max_upload_bytes = max_upload_bytes
        self.max_rows = max_rows
        self.max_cols = max_cols
        self.max_cached = max_cached
        self.limits = limits or Limits(max_rows=max_rows, max_cols=max_cols)
        self.max_parses = max_parses
        self.max_uploads = max_uploads
        self.max_store_bytes = max_store_bytes
        self.isolate = isolate
        self._parsing = 0  # uploads being parsed now (at most max_parses)
        self._lock = threading.Lock()
        self._key_locks: dict[Any, threading.Lock] = {}
        self._cache: OrderedDict[Any, Any] = OrderedDict()  # bounded LRU of derived objects

    # -- caches
    def cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per key (other threads asking for the same key wait for it); LRU-bounded."""
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            klock = self._key_locks.setdefault(key, threading.Lock())
        with klock:
            with self._lock:
                if key in self._cache:
                    return self._cache[key]
            try:
                value = compute()
            except BaseException:
                with self._lock:
                    self._key_locks.pop(key, None)
                raise
            with self._lock:
                self._cache[key] = value
                self._trim()
                self._key_locks.pop(key, None)
        return value

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._cache[key] = value
            self._trim()

    def _trim(self) -> None:
        """Evict least recently used entries beyond ``max_cached``; small static entries stay (lock held)."""
        excess = sum(1 for k in self._cache if k[0] not in PINNED) - self.max_cached
        if excess > 0:
            for k in [k for k in self._cache if k[0] not in PINNED][:excess]:
                del self._cache[k]

    def dataset(self, name: str) -> Any:
        """A built-in Dataset whose long table has plain-object string columns (faster in the guide layer)."""
        def load() -> Any:
            from nqpf import datasets

            valid = list(datasets.list()["name"])
            if name not in valid:
                raise NQPFError(f"unknown dataset {name!r}; valid: {', '.join(valid)}")
            ds = datasets.load(name)
            d = ds.data
            long = pd.DataFrame({"unit": d["unit"].astype(str).astype(object), "period": d["period"].astype("int64"),
                                 "indicator": d["indicator"].astype(str).astype(object), "value": d["value"].astype(float)})
            return {"data": long, "units": ds.units.assign(unit=ds.units["unit"].astype(str)),
                    "catalogue": ds.indicators}

        return self.cached(("dataset", name), load)

    def builtin_framework(self, name: str) -> Any:
        """A built-in Framework, parsed once (YAML parsing costs more than an index build)."""
        from nqpf.framework import load_framework

        return self.cached(("framework", name), lambda: load_framework(name))

    def province_units(self, units: set[str]) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
        """cn_provinces' unit and indicator tables when every unit is a province code, else (None, None)."""
        ref = self.dataset(DEFAULT_DATASET)
        if units and units <= set(ref["units"]["unit"]):
            return ref["units"], ref["catalogue"]
        return None, None

    # -- runs
    def _source(self, dataset: str | None, upload: str | None) -> tuple[pd.DataFrame, pd.DataFrame | None,
                                                                         pd.DataFrame | None, str]:
        if upload:
            up = self.cached(("upload", upload), lambda: self.store.get_upload(upload))
            if up is None:
                with self._lock:
                    self._cache.pop(("upload", upload), None)
                raise HTTPException(404, f"unknown upload id {upload!r}")
            if not up["ok"] or up["data"] is None:
                raise NQPFError(f"upload {upload} has validation errors; fix them and upload again")
            d = up["data"]
            data = pd.DataFrame({"unit": d["unit"].astype(str).astype(object), "period": d["period"].astype("int64"),
                                 "indicator": d["indicator"].astype(str).astype(object),
                                 "value": d["value"].astype(float)})
            units, cat = self.province_units(set(data["unit"]))
            return data, units, cat, f"upload:{upload}"
        name = dataset or DEFAULT_DATASET
        ds = self.dataset(name)
        return ds["data"], ds["units"], ds["catalogue"], f"dataset:{name}"

    def _framework(self, framework: str, mapping: dict[str, str] | None, data: pd.DataFrame,
                   is_upload: bool) -> Any:
        """A built-in name, or a framework dict: 'auto' (uploads: one level, every indicator a +1 leaf) or a
        built-in framework whose leaves are mapped to uploaded columns (unmapped leaves and empty branches
        dropped)."""
        available = sorted(set(data["indicator"]))
        if framework == "auto":
            if not is_upload:
                raise NQPFError("framework 'auto' is for uploaded data; choose a built-in framework")
            if mapping:
                raise NQPFError("framework 'auto' takes no mapping; choose a built-in framework to map columns to")
            nodes = [{"id": "index", "label_zh": "综合指数", "label_en": "Composite index"}]
            cat = self.dataset(DEFAULT_DATASET)["catalogue"]  # a column named like a shipped indicator: its names
            names = {str(r["indicator"]): (str(r["name_zh"]), str(r["name_en"])) for r in cat.to_dict(orient="records")}
            for ind in available:
                zh, en = names.get(ind, (ind, ind))
                nodes.append({"id": f"i_{ind}", "parent": "index", "label_zh": zh, "label_en": en, "direction": 1,
                              "series": ind})
            return {"name": "auto", "title_zh": "自动（上传指标等权正向）", "title_en": "Automatic (uploaded indicators)",
                    "nodes": nodes}
        fws = builtin_frameworks()
        if framework not in fws:
            raise NQPFError(f"unknown framework {framework!r}; valid: {', '.join(['auto', *fws])}")
        fw = self.builtin_framework(framework)
        if not mapping:
            return fw
        if not is_upload:
            raise NQPFError("a column mapping applies to uploaded data only; give 'upload' with 'mapping'")
        leaves = set(fw.leaves)
        bad_leaves = sorted(k for k in mapping if k not in leaves)
        if bad_leaves:
            raise NQPFError(f"mapping names {bad_leaves} which are not leaves of {framework}; leaves: "
                            f"{', '.join(fw.leaves)}")
        bad_cols = sorted({v for v in mapping.values() if v not in set(available)})
        if bad_cols:
            raise NQPFError(f"mapping uses columns {bad_cols} that the upload does not have; columns: "
                            f"{', '.join(available)}")
        keep: set[str] = set()
        for leaf in mapping:
            keep.add(leaf)
            keep.update(fw.ancestors(leaf))
        spec = fw.to_dict()
        nodes = []
        for n in spec["nodes"]:
            if n["id"] not in keep:
                continue
            n = {k: v for k, v in n.items() if v is not None and not (isinstance(v, float) and math.isnan(v))}
            if n["id"] in mapping:
                n["series"] = mapping[n["id"]]
            nodes.append(n)
        spec = {k: v for k, v in spec.items() if k not in ("nodes", "periods", "coverage", "dataset")}
        spec["name"] = f"{framework}-mapped"
        spec["nodes"] = nodes
        return spec

    def inputs(self, run: dict[str, Any]) -> tuple[pd.DataFrame, Any, pd.DataFrame | None, pd.DataFrame | None]:
        """(long data, framework name or dict, unit table, indicator catalogue) of a stored run."""
        kind, _, ident = run["source"].partition(":")
        s = run["settings"]
        data, units, cat, _ = self._source(ident if kind == "dataset" else None, ident if kind == "upload" else None)
        fw = self._framework(s["framework"], s.get("mapping"), data, kind == "upload")
        return data, fw, units, cat

    def result(self, rid: str) -> Any:
        """The IndexResult of a run: from memory, or recomputed from the stored settings (after a restart)."""
        def rebuild() -> Any:
            from nqpf.index import build_index

            run = self.run(rid)
            data, fw, _, _ = self.inputs(run)
            return build_index(data, fw, **_index_kwargs(run["settings"]))

        return self.cached(("result", rid), rebuild)

    def build(self, req: RunRequest, lang: str = "en") -> tuple[Any, str, dict[str, Any]]:
        """(IndexResult, source, settings) of a request; identical inputs share one computation, so
        concurrent or repeated requests with the same settings do not rebuild the index."""
        from nqpf.data.parse import check_period_range
        from nqpf.index import build_index

        if req.upload and req.dataset not in (None, DEFAULT_DATASET):
            raise NQPFError("give either dataset or upload, not both")
        check_period_range(req.periods)  # 2022-2012 → 422 "write 2012-2022", before loading anything
        data, _, _, source = self._source(None if req.upload else req.dataset, req.upload)
        fw = self._framework(req.framework, req.mapping, data, bool(req.upload))
        periods = req.periods
        if periods is None and not req.mapping and req.framework in builtin_frameworks():
            p = builtin_frameworks()[req.framework].get("periods")
            if isinstance(p, list) and len(p) == 2:
                periods = f"{int(p[0])}-{int(p[1])}"
        from nqpf.index import resolve_method
        from nqpf.index.registry import framework_method

        val = lambda e: None if e is None else e.value  # noqa: E731
        impute = val(req.impute)
        if impute is None and "impute" not in framework_method(fw if not isinstance(fw, dict) else
                                                               self._fw_object(fw)):
            impute = DEFAULT_IMPUTE  # the rule of `nqpf index` and `nqpf report`
        steps, options, _src = resolve_method(
            fw, impute=impute, treat=val(req.treat), normalize=val(req.normalize),
            weights=val(req.weights), weight_scope=val(req.weight_scope), aggregate=val(req.aggregate),
            **{k: v for k, v in (("base_year", req.base_year), ("ref_unit", req.ref_unit)) if v is not None})
        settings = {
            "framework": req.framework,
            "mapping": dict(sorted(req.mapping.items())) if req.mapping else None,
            **steps,
            "periods": periods,
            "options": {k: options[k] for k in sorted(options)},
        }
        # warnings are in res.manifest (warnings.catch_warnings is not thread-safe, so it is not used here)
        key = ("build", source, json.dumps(settings, sort_keys=True))

        def run() -> Any:
            try:
                return build_index(data, fw, **_index_kwargs(settings))
            except NQPFError as exc:
                raise _gap_error(exc, str(settings["impute"]), lang) from None

        return self.cached(key, run), source, settings

    @staticmethod
    def _fw_object(spec: dict[str, Any]) -> Any:
        from nqpf.framework import load_framework

        return load_framework(spec)

    def default_run(self) -> RunSummary:
        """The default run (built-in dataset and framework, default methods), computed once per server."""
        return self.cached(("default_run",), lambda: self.compute(RunRequest()))

    def warm(self) -> None:
        """Load the default dataset and framework and build the default run (run at server start)."""
        try:
            import scipy.stats  # noqa: F401 - first import takes ~2 s (rank normalisation, Spearman)

            from nqpf.i18n import catalogue

            catalogue()
            self.default_run()
        except Exception:  # noqa: BLE001 - warming is best effort; the request path reports errors properly
            log.exception("warm-up failed")

    def compute(self, req: RunRequest, lang: str = "en") -> RunSummary:
        t0 = time.perf_counter()
        res, source, settings = self.build(req, lang)
        fw_obj = res.framework
        leaves = set(fw_obj.leaves)
        nodes = [
            {"id": str(r["id"]), "parent": None if not r["parent"] or pd.isna(r["parent"]) else str(r["parent"]),
             "label_zh": str(r.get("label_zh") or r["id"]), "label_en": str(r.get("label_en") or r["id"]),
             "is_leaf": str(r["id"]) in leaves}
            for _, r in fw_obj.nodes.iterrows()
        ]
        manifest = json.loads(json.dumps({**res.manifest, "web": {"source": source, "settings": settings}},
                                          ensure_ascii=False, default=str))
        scores = res.scores
        rid = self.store.add_run(source, settings, manifest, scores, res.weights, nodes)
        self.put(("result", rid), res)
        self.put(("run", rid), {"id": rid, "created": time.time(), "source": source, "settings": settings,
                                "manifest": manifest, "scores": scores, "weights": res.weights, "nodes": nodes})
        return RunSummary(
            id=rid,
            source=source,
            settings=settings,
            periods=sorted(int(p) for p in scores["period"].unique()),
            units=int(scores["unit"].nunique()),
            nodes=list(dict.fromkeys(scores["node"])),
            elapsed_ms=round((time.perf_counter() - t0) * 1000, 1),
        )

    def run(self, rid: str) -> dict[str, Any]:
        run = self.cached(("run", rid), lambda: self.store.get_run(rid))
        if run is None:
            with self._lock:
                self._cache.pop(("run", rid), None)
            raise HTTPException(404, f"unknown run id {rid!r}")
        return run

    def unit_names(self, run: dict[str, Any]) -> dict[str, dict[str, str]]:
        def names() -> dict[str, dict[str, str]]:
            units, _ = self.province_units(set(run["scores"]["unit"].astype(str)))
            if units is None:
                return {}
            return {str(r["unit"]): {"name_zh": str(r["name_zh"]), "name_en": str(r["name_en"])}
                    for r in units.to_dict(orient="records")}

        return self.cached(("unit_names", run["source"]), names)

    # -- uploads
    def ingest(self, filename: str, payload: bytes, units: str,
               cancel: threading.Event | None = None, lang: str = "en") -> dict[str, Any] | None:
        from nqpf.web import ingest

        return ingest.ingest(self, filename, payload, units, cancel, lang)

    def take_parse_slot(self) -> bool:
        """Reserve one of ``max_parses`` parse slots (False when all are taken)."""
        with self._lock:
            if self._parsing >= self.max_parses:
                return False
            self._parsing += 1
            return True

    def release_parse_slot(self) -> None:
        with self._lock:
            self._parsing -= 1

    def drop_upload(self, uid: str) -> bool:
        with self._lock:
            self._cache.pop(("upload", uid), None)
        return self.store.delete_upload(uid)


def _gap_error(exc: NQPFError, impute: str, lang: str) -> NQPFError:
    """The index's errors a dashboard user can act on — missing values remain, a ratio without its base year,
    AHP without pairwise matrices — in the dashboard's terms (its controls, unit names, the page's language);
    any other error unchanged."""
    import re

    from nqpf.data.units import unit_name
    from nqpf.i18n import t

    if str(exc).startswith("ratio normalisation needs"):
        return DataError(t("web.ratio_needs", lang))
    if str(exc).startswith("AHP weights: node"):
        return DataError(t("web.ahp_needs", lang))
    m = re.match(r"missing values remain after impute=.*?: (.*?); (choose|chain) ", str(exc), re.S)
    if not m:
        return exc
    sep = "、" if lang == "zh" else "; "
    items = []
    for ind, n, us in re.findall(r"'([^']+)': (\d+) cell\(s\)(?:, e\.g\. unit\(s\) \[([^\]]*)\])?", m.group(1)):
        units = [unit_name(u.strip().strip("'\""), lang) for u in us.split(",") if u.strip()]
        name = ind[2:] if ind.startswith("i_") else ind  # the 'auto' framework's leaf of a column
        items.append(t("web.gap_item", lang, indicator=name, n=n, units=("，" if lang == "zh" else ", ").join(units)))
    return DataError(t("web.gaps", lang, impute=_method_label("impute", impute, lang),
                       gaps=sep.join(items) if items else m.group(1)))


def _method_label(step: str, value: str, lang: str) -> str:
    """A method's catalogue name (``index.<step>.<value>``; a chain joined with '+'), else the value."""
    from nqpf.i18n import catalogue

    cat = catalogue()
    key = {"weight_scope": "scope"}.get(step, step)
    parts = str(value).split("+") if step == "impute" else [str(value)]
    return " + ".join(cat[f"index.{key}.{p}"][lang] if f"index.{key}.{p}" in cat else p for p in parts)


def method_choices(lang: str) -> dict[str, list[dict[str, str]]]:
    """Every value :data:`nqpf.index.registry.STEPS` allows, per request field, with its catalogue name."""
    from nqpf.index.registry import STEPS

    return {f: [{"value": v, "label": _method_label(step, v, lang)} for v in STEPS[step]]
            for f, step in STEP_FIELDS.items()}


def _index_kwargs(settings: dict[str, Any]) -> dict[str, Any]:
    """build_index arguments of stored run settings (resolved steps and the framework's options)."""
    kw = {k: settings[k] for k in ("impute", "treat", "normalize", "weights", "weight_scope", "aggregate", "periods")
          if settings.get(k) is not None}
    return {**kw, **(settings.get("options") or {})}


def create_app(
    data_dir: str | Path,
    *,
    max_upload_bytes: int = 20 * 1024 * 1024,
    max_rows: int = 200_000,
    max_cols: int = 500,
    request_timeout: float = 60.0,
    warm: bool = False,
    allowed_hosts: tuple[str, ...] | list[str] = (),
    max_parses: int = 2,
    parse_timeout: float = 30.0,
    parse_memory_mb: int = 1024,
    max_cells: int = 500_000,
    max_unzipped_bytes: int = 256 * MB,
    max_uploads: int = 200,
    max_store_bytes: int = 512 * MB,
    queue_wait: float = 2.0,
    isolate: bool = True,
) -> FastAPI:
    """Build the dashboard app; everything it writes goes under ``data_dir``. ``warm``: build the default
    index in a background thread at start-up, so the first page load does not wait for it.

    Hosts: only loopback names and ``allowed_hosts`` are answered. Uploads: at most ``max_parses`` parse at
    once (a further one waits up to ``queue_wait`` s, then gets 503 ``busy``); each is pre-scanned
    (``max_cells`` of a sheet, ``max_unzipped_bytes`` inside an archive, ``max_rows``, ``max_cols``) and parsed
    in a worker process (``isolate``) with ``parse_memory_mb`` more address space and killed after
    ``parse_timeout`` s (kept below ``request_timeout``); ``max_uploads`` / ``max_store_bytes`` bound what is
    stored (delete with ``DELETE /api/uploads/{id}``). Leftover temporary copies are removed at start."""
    from nqpf.web.ingest import clean_tmp

    limits = Limits(max_rows=max_rows, max_cols=max_cols, max_cells=max_cells, max_unzipped=max_unzipped_bytes,
                    memory_mb=parse_memory_mb, timeout=max(0.1, min(parse_timeout, request_timeout * 0.9)))
    dash = Dashboard(Path(data_dir), max_upload_bytes=max_upload_bytes, max_rows=max_rows, max_cols=max_cols,
                     limits=limits, max_parses=max_parses, max_uploads=max_uploads,
                     max_store_bytes=max_store_bytes, isolate=isolate)
    clean_tmp(dash.data_dir)
    hosts = allowed_host_names(allowed_hosts)
    @asynccontextmanager
    async def lifespan(_: FastAPI):  # type: ignore[no-untyped-def]
        if warm:
            threading.Thread(target=dash.warm, name="nqpf-warm", daemon=True).start()
        if isolate:
            from nqpf.web import guard

            threading.Thread(target=guard.warm, name="nqpf-warm-parser", daemon=True).start()
        yield
        dash.store.close()

    app = FastAPI(
        lifespan=lifespan,
        title="nqpf dashboard API",
        version="0.1.0",
        description="JSON API of the nqpf dashboard: datasets, frameworks, index runs, uploads, profiles, downloads. "
        "Single-user and local: no authentication; bind to loopback.",
        responses={422: {"model": ErrorBody}, 404: {"model": ErrorBody}},
    )
    app.state.dash = dash
    static_dir = Path(__file__).resolve().parent / "static"

    # ---------------------------------------------------------------------------------------- errors
    @app.exception_handler(NQPFError)
    async def _nqpf_error(_: Request, exc: NQPFError) -> JSONResponse:
        problems = [str(p) for p in getattr(exc, "problems", [])]
        return _err(422, str(exc), problems or None)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _err(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"loc": list(e.get("loc", [])), "msg": e.get("msg")} for e in exc.errors()]
        return _err(422, "invalid request", detail)

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error")
        return _err(500, "internal error", type(exc).__name__)

    @app.exception_handler(Rejected)
    async def _refused(request: Request, exc: Rejected) -> JSONResponse:
        return _rejected(request, exc)

    app.add_middleware(_Timeout, seconds=request_timeout)

    app.add_middleware(_Security, hosts=hosts)  # added last: the outermost layer

    # ---------------------------------------------------------------------------------------- pages
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index_page() -> HTMLResponse:
        return HTMLResponse((static_dir / "index.html").read_text(encoding="utf-8"))

    @app.get("/static/app.js", include_in_schema=False)
    def app_js() -> Response:
        return Response((static_dir / "app.js").read_text(encoding="utf-8"), media_type="text/javascript")

    @app.get("/static/app.css", include_in_schema=False)
    def app_css() -> Response:
        return Response((static_dir / "app.css").read_text(encoding="utf-8"), media_type="text/css")

    @app.get("/static/echarts.min.js", include_in_schema=False)
    def echarts() -> Response:
        from nqpf import assets

        js = assets.echarts_js()
        if js is None:
            return Response("window.echarts=undefined;", media_type="text/javascript")
        return Response(js, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    # ---------------------------------------------------------------------------------------- api: meta
    @app.get("/api/health")
    async def health() -> dict[str, str]:
        """Answered on the event loop itself, so busy worker threads never delay it."""
        return {"status": "ok"}

    @app.get("/api/i18n/{lang}")
    def i18n(lang: Lang) -> dict[str, str]:
        from nqpf.i18n import catalogue

        return {k: v[lang.value] for k, v in catalogue().items()}

    @app.get("/api/methods")
    def methods(lang: Lang = Lang.en) -> dict[str, Any]:
        """The methods form: per field every value the registry allows (its catalogue name in ``lang``) and
        the gap filling used when neither the request nor the framework names one."""
        return {"choices": method_choices(lang.value), "default_impute": DEFAULT_IMPUTE}

    @app.get("/api/datasets")
    def list_datasets() -> list[dict[str, Any]]:
        from nqpf import datasets

        return _records(datasets.list())

    @app.get("/api/frameworks")
    def list_frameworks() -> list[dict[str, Any]]:
        return list(builtin_frameworks().values())

    @app.get("/api/frameworks/{name}")
    def framework_nodes(name: str) -> dict[str, Any]:
        """Nodes of a built-in framework (for mapping uploaded columns to its leaves)."""
        from nqpf.framework import load_framework

        if name not in builtin_frameworks():
            raise HTTPException(404, f"unknown framework {name!r}; valid: {', '.join(builtin_frameworks())}")
        fw = load_framework(name)
        leaves = set(fw.leaves)
        nodes = []
        for nid in fw.ids:
            n = fw.node(nid)
            nodes.append({"id": nid, "parent": fw.parent(nid), "label_zh": fw.label(nid, "zh"),
                          "label_en": fw.label(nid, "en"), "is_leaf": nid in leaves,
                          "series": (n.get("series") or nid) if nid in leaves else None,
                          "direction": fw.direction(nid) if nid in leaves else None})
        return {"name": name, **builtin_frameworks()[name], "nodes": nodes}

    @app.get("/api/geo/china", responses={200: {"content": {"application/json": {}}, "description": "GeoJSON"}})
    def geo_china() -> Response:
        """China's province polygons (ECharts GeoJSON, properties id = GB/T 2260 code) plus the 南海诸岛 inset
        (feature id "nanhai"), served pre-encoded; member ``nqpf_map`` holds the ECharts map name, the inset's
        data items and the map caption (zh/en)."""
        body = dash.cached(("geo",), _geo_bytes)
        if body is None:
            with dash._lock:
                dash._cache.pop(("geo",), None)
            raise HTTPException(404, "map geometry not installed; run `make setup` (fetches echarts from npm)")
        return Response(body, media_type="application/json", headers={"Cache-Control": "max-age=86400"})

    @app.get("/api/units/{dataset}")
    def units(dataset: str) -> dict[str, dict[str, Any]]:
        from nqpf import datasets

        if dataset not in set(datasets.list()["name"]):
            raise HTTPException(404, f"unknown dataset {dataset!r}")
        return dash.cached(("units", dataset), lambda: _unit_names(dataset))

    # ---------------------------------------------------------------------------------------- api: runs
    @app.post("/api/runs", response_model=RunSummary)
    async def create_run(req: RunRequest, request: Request) -> RunSummary:
        """Compute an index run; errors are in the language of ``?lang=`` / ``Accept-Language``."""
        return await anyio.to_thread.run_sync(dash.compute, req, _lang_of(request))

    @app.get("/api/runs/default", response_model=RunSummary)
    async def default_run() -> RunSummary:
        """The run with the built-in dataset, framework and default methods (computed once per server)."""
        return await anyio.to_thread.run_sync(dash.default_run)

    @app.get("/api/runs")
    def list_runs() -> list[dict[str, Any]]:
        return dash.store.list_runs()

    @app.get("/api/runs/{run_id}")
    def get_run(run_id: str) -> dict[str, Any]:
        run = dash.run(run_id)
        return {k: run[k] for k in ("id", "created", "source", "settings", "manifest")}

    @app.get("/api/runs/{run_id}/scores")
    def run_scores(
        run_id: str,
        period: int | None = Query(None, ge=1900, le=2100),
        node: str | None = Query(None, max_length=128),
    ) -> list[dict[str, Any]]:
        s = dash.run(run_id)["scores"]
        if period is not None:
            s = s[s["period"] == period]
        if node is not None:
            s = s[s["node"] == node]
        return _records(s)

    @app.get("/api/runs/{run_id}/ranking")
    async def run_ranking(
        run_id: str,
        period: int = Query(..., ge=1900, le=2100),
        node: str | None = Query(None, max_length=128),
        base: str | None = Query(None, max_length=64, description="another run id: report rank shifts against it"),
        intervals: bool = Query(False, description="add 5–95 % rank intervals (Monte Carlo, cached per run)"),
        lang: Lang = Lang.en,
    ) -> dict[str, Any]:
        from nqpf.web import views

        return await anyio.to_thread.run_sync(
            lambda: views.ranking(dash, run_id, period, node, base, intervals, lang.value))

    @app.get("/api/runs/{run_id}/labels")
    def run_labels(run_id: str) -> dict[str, Any]:
        return {"nodes": dash.run(run_id)["nodes"]}

    @app.get("/api/runs/{run_id}/weights")
    def run_weights(run_id: str) -> list[dict[str, Any]]:
        return _records(dash.run(run_id)["weights"])

    @app.get("/api/runs/{run_id}/regions/{unit}")
    async def region(run_id: str, unit: str, period: int = Query(..., ge=1900, le=2100), lang: Lang = Lang.en) -> dict[str, Any]:
        from nqpf.web import views

        return await anyio.to_thread.run_sync(lambda: views.region(dash, run_id, unit, period, lang.value))

    @app.get("/api/productivity/world")
    async def productivity_world(lang: Lang = Lang.en) -> dict[str, Any]:
        from nqpf.web import views

        return await anyio.to_thread.run_sync(lambda: views.world_tfp(dash, lang.value))

    @app.get("/api/productivity/provinces")
    async def productivity_provinces(lang: Lang = Lang.en) -> dict[str, Any]:
        from nqpf.web import views

        return await anyio.to_thread.run_sync(lambda: views.province_efficiency(dash, lang.value))

    # ---------------------------------------------------------------------------------------- api: uploads
    @app.post(
        "/api/uploads",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        },
        responses={413: {"model": ErrorBody}, 415: {"model": ErrorBody}, 503: {"model": ErrorBody}},
    )
    async def upload(
        request: Request,
        filename: str = Query("upload.csv", max_length=200),
        units: UnitsKind = UnitsKind.province,
        lang: Lang | None = None,
    ) -> Any:
        """Check and store a data file: the bytes as an ``application/octet-stream`` body (or one part named
        ``file`` of a ``multipart/form-data`` body). Refusals: 413 (size, sheet extent, merges, cells, archive
        bombs, declared rows, memory, quota), 415 (content type), 422 (parse timeout), 503 (``busy``)."""
        ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if ctype not in ("application/octet-stream", "multipart/form-data"):
            raise Rejected(415, "unsupported_media_type", got=ctype or "-")
        declared = request.headers.get("content-length")
        limit_mb = f"{dash.max_upload_bytes / MB:.2f}".rstrip("0").rstrip(".")
        if declared and declared.isdigit() and int(declared) > dash.max_upload_bytes:
            raise Rejected(413, "upload_too_large", limit_mb=limit_mb)
        waited = 0.0
        while not dash.take_parse_slot():
            if waited >= queue_wait:
                raise Rejected(503, "busy", slots=dash.max_parses)
            await anyio.sleep(0.05)
            waited += 0.05
        cancel = threading.Event()
        try:
            buf = io.BytesIO()
            try:
                async for chunk in request.stream():
                    buf.write(chunk)
                    if buf.tell() > dash.max_upload_bytes:
                        raise TooLarge(dash.max_upload_bytes)
            except TooLarge:
                raise Rejected(413, "upload_too_large", limit_mb=limit_mb) from None
            payload = buf.getvalue()
            if ctype == "multipart/form-data":
                filename, payload = await _multipart_file(request, payload, filename)
            if not payload:
                raise Rejected(422, "empty_upload")
            try:
                # abandon_on_cancel: a request timeout reaches this coroutine at once (not after the thread)
                return await anyio.to_thread.run_sync(dash.ingest, filename, payload, units.value, cancel,
                                                      lang.value if lang else _lang_of(request),
                                                      abandon_on_cancel=True)
            except anyio.get_cancelled_exc_class():
                cancel.set()  # the request timed out: the worker is killed and nothing is stored
                raise
        finally:
            dash.release_parse_slot()

    @app.get("/api/uploads")
    def list_uploads() -> list[dict[str, Any]]:
        return dash.store.list_uploads()

    @app.delete("/api/uploads/{upload_id}")
    def delete_upload(upload_id: str) -> dict[str, Any]:
        """Delete an upload (its data and report); runs computed from it keep their stored scores."""
        if not dash.drop_upload(upload_id):
            raise HTTPException(404, f"unknown upload id {upload_id!r}")
        return {"id": upload_id, "deleted": True}

    @app.get("/api/uploads/{upload_id}")
    def get_upload(upload_id: str) -> dict[str, Any]:
        up = dash.store.get_upload(upload_id)
        if up is None:
            raise HTTPException(404, f"unknown upload id {upload_id!r}")
        d = up.pop("data")
        up["indicators"] = sorted(d["indicator"].unique().tolist()) if d is not None else []
        return up

    # ---------------------------------------------------------------------------------------- downloads
    @app.get("/api/runs/{run_id}/download/{kind}")
    async def download(run_id: str, kind: DownloadKind, period: int | None = Query(None, ge=1900, le=2100),
                       lang: Lang = Lang.en) -> Response:
        run = dash.run(run_id)
        if kind is DownloadKind.scores_csv:
            body = csv_text(run["scores"]).encode("utf-8-sig")  # formulas neutralised
            return Response(body, media_type="text/csv", headers=_attachment(f"{run_id}_scores.csv"))
        if kind is DownloadKind.weights_csv:
            body = csv_text(run["weights"]).encode("utf-8-sig")
            return Response(body, media_type="text/csv", headers=_attachment(f"{run_id}_weights.csv"))
        if kind is DownloadKind.manifest_json:
            body = json.dumps(run["manifest"], ensure_ascii=False, indent=2).encode("utf-8")
            return Response(body, media_type="application/json", headers=_attachment(f"{run_id}_manifest.json"))
        from nqpf.web import views

        body, media = await anyio.to_thread.run_sync(lambda: views.report_bytes(dash, run_id, kind.value, period, lang.value))
        return Response(body, media_type=media, headers=_attachment(f"{run_id}_{kind.value}"))

    return app


class _Security:
    """ASGI middleware (outermost): refuse foreign Host names and cross-site state changes
    (:func:`nqpf.web.security.check_request`) and add the security headers to every answer."""

    def __init__(self, app: Any, hosts: frozenset[str]):
        self.app, self.hosts = app, hosts

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.datastructures import MutableHeaders

        extra = security_headers(scope.get("path", "/"))

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for k, v in extra.items():
                    headers[k] = v
            await send(message)

        request = Request(scope)
        try:
            check_request(scope["method"], request.headers, self.hosts)
        except Rejected as exc:
            await _rejected(request, exc)(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


class _Timeout:
    """ASGI middleware: a request without an answer after ``seconds`` gets 504 at once, and its handler is
    cancelled (plain ASGI: the ``BaseHTTPMiddleware`` version sent its 504 only after the work had finished).
    Work in a thread started with ``abandon_on_cancel`` (uploads) is abandoned at once and told to stop; other
    thread work finishes in the background and its late answer is dropped. A response already under way is
    never cut off."""

    def __init__(self, app: Any, seconds: float):
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"started": False, "timed_out": False}
        failure: list[BaseException] = []

        async def send_once(message: Any) -> None:
            if state["timed_out"]:
                return  # the 504 went out: drop the late answer
            if message["type"] == "http.response.start":
                state["started"] = True
            with anyio.CancelScope(shield=True):
                await send(message)

        async with anyio.create_task_group() as tg:
            async def run_app() -> None:
                try:
                    await self.app(scope, receive, send_once)
                except Exception as exc:  # noqa: BLE001 - re-raised below, outside the task group
                    failure.append(exc)
                tg.cancel_scope.cancel()

            async def watchdog() -> None:
                await anyio.sleep(self.seconds)
                if not state["started"]:
                    state["timed_out"] = True
                    await _err(504, f"request took longer than {self.seconds:.0f} s")(scope, receive, send)
                    tg.cancel_scope.cancel()

            tg.start_soon(run_app)
            tg.start_soon(watchdog)
        if failure and not state["timed_out"]:
            raise failure[0]


async def _multipart_file(request: Request, body: bytes, filename: str) -> tuple[str, bytes]:
    """(file name, bytes) of the part named ``file`` of an already size-checked multipart body."""
    from starlette.datastructures import UploadFile
    from starlette.formparsers import MultiPartException, MultiPartParser

    async def once():  # type: ignore[no-untyped-def]
        yield body
        yield b""

    parser = MultiPartParser(request.headers, once(), max_files=1, max_fields=8)
    parser.spool_max_size = len(body) + 1  # keep the (size-checked) part in memory: nothing outside --data-dir
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise NQPFError(f"malformed multipart upload: {exc.message}; send one part named 'file'") from None
    part = form.get("file")
    if not isinstance(part, UploadFile):
        raise NQPFError("a multipart upload needs one file part named 'file'")
    data = await part.read()
    await part.close()
    name = filename if "filename" in request.query_params else (part.filename or filename)
    return name, data


def _geo_bytes() -> bytes | None:
    """The China map every nqpf map draws (provinces, 南海诸岛 inset, caption): ``nqpf.report.geo``. No map
    (404) rather than one without the South China Sea Islands."""
    from nqpf.errors import DataError
    from nqpf.report import geo

    try:
        return geo.dashboard_payload()
    except DataError:
        return None


def _attachment(name: str) -> dict[str, str]:
    safe = "".join(ch for ch in name if ch.isalnum() or ch in "._-")
    return {"Content-Disposition": f'attachment; filename="{safe}"'}


def settings_hash(settings: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def _tmpdir(dash: Dashboard) -> Path:
    p = dash.data_dir / "tmp"
    p.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=p))
