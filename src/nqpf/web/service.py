"""The dashboard's state: :class:`Dashboard` owns the store, the bounded caches, the uploads' parse slots and
the runs. A run request becomes an :class:`nqpf.index.IndexSpec` once (:meth:`Dashboard.spec`), and every
index of the dashboard is built from a spec (:meth:`Dashboard.build`, :meth:`Dashboard.result`)."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import HTTPException

from nqpf.errors import NQPFError
from nqpf.web.frameworks import auto_framework, builtin_frameworks, default_periods, mapped_framework
from nqpf.web.guard import MB, Limits
from nqpf.web.labels import gap_error
from nqpf.web.schemas import DEFAULT_DATASET, DEFAULT_IMPUTE, LEVELS, RunRequest, RunSummary
from nqpf.web.store import Store

log = logging.getLogger("nqpf.web")

# cache entries that are small and fixed for the server's life (never evicted)
PINNED = {"dataset", "framework", "units", "unit_names", "geo", "default_run", "world_tfp", "province_efficiency"}
STEPS = ("impute", "treat", "normalize", "weights", "weight_scope", "aggregate")


def _long(d: pd.DataFrame) -> pd.DataFrame:
    """A long table with plain-object string ids, int64 periods and float values (faster in the guide layer)."""
    return pd.DataFrame({"unit": d["unit"].astype(str).astype(object), "period": d["period"].astype("int64"),
                         "indicator": d["indicator"].astype(str).astype(object), "value": d["value"].astype(float)})


def _index_kwargs(settings: dict[str, Any]) -> dict[str, Any]:
    """build_index arguments of stored run settings (resolved steps and the framework's options)."""
    kw = {k: settings[k] for k in (*STEPS, "periods") if settings.get(k) is not None}
    return {**kw, **(settings.get("options") or {})}


def settings_hash(settings: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


class _Cache:
    """A bounded LRU of derived objects with one computation per key (no module-level state)."""

    def __init__(self, max_cached: int):
        self.max_cached = max_cached
        self._lock = threading.Lock()
        self._key_locks: dict[Any, threading.Lock] = {}
        self._cache: OrderedDict[Any, Any] = OrderedDict()

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

    def forget(self, key: Any) -> None:
        with self._lock:
            self._cache.pop(key, None)

    def _trim(self) -> None:
        """Evict least recently used entries beyond ``max_cached``; small static entries stay (lock held)."""
        excess = sum(1 for k in self._cache if k[0] not in PINNED) - self.max_cached
        if excess > 0:
            for k in [k for k in self._cache if k[0] not in PINNED][:excess]:
                del self._cache[k]


class Dashboard(_Cache):
    """State of one running dashboard: the store, limits, caches, parse slots and runs."""

    def __init__(self, data_dir: Path, *, max_upload_bytes: int, max_rows: int, max_cols: int,
                 max_cached: int = 64, limits: Limits | None = None, max_parses: int = 2,
                 max_uploads: int = 200, max_store_bytes: int = 512 * MB, isolate: bool = True):
        super().__init__(max_cached)
        self.store = Store(data_dir)
        self.data_dir = Path(data_dir)
        self.max_upload_bytes = max_upload_bytes
        self.max_rows = max_rows
        self.max_cols = max_cols
        self.limits = limits or Limits(max_rows=max_rows, max_cols=max_cols)
        self.max_parses = max_parses
        self.max_uploads = max_uploads
        self.max_store_bytes = max_store_bytes
        self.isolate = isolate
        self._parsing = 0  # uploads being parsed now (at most max_parses)

    # -- shipped data
    def dataset(self, name: str) -> Any:
        """A built-in dataset as ``{data (long, plain strings), units, catalogue}``, loaded once."""
        def load() -> Any:
            from nqpf import datasets

            valid = list(datasets.list()["name"])
            if name not in valid:
                raise NQPFError(f"unknown dataset {name!r}; valid: {', '.join(valid)}")
            ds = datasets.load(name)
            return {"data": _long(ds.data), "units": ds.units.assign(unit=ds.units["unit"].astype(str)),
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

    # -- inputs of a run
    def _source(self, dataset: str | None, upload: str | None) -> tuple[pd.DataFrame, pd.DataFrame | None,
                                                                         pd.DataFrame | None, str]:
        """(long data, unit table, indicator catalogue, source label) of a dataset name or an upload id."""
        if upload:
            up = self.cached(("upload", upload), lambda: self.store.get_upload(upload))
            if up is None:
                self.forget(("upload", upload))
                raise HTTPException(404, f"unknown upload id {upload!r}")
            if not up["ok"] or up["data"] is None:
                raise NQPFError(f"upload {upload} has validation errors; fix them and upload again")
            data = _long(up["data"])
            units, cat = self.province_units(set(data["unit"]))
            return data, units, cat, f"upload:{upload}"
        name = dataset or DEFAULT_DATASET
        ds = self.dataset(name)
        return ds["data"], ds["units"], ds["catalogue"], f"dataset:{name}"

    def _framework(self, framework: str, mapping: dict[str, str] | None, data: pd.DataFrame,
                   is_upload: bool) -> Any:
        """A built-in Framework, or a framework dict: 'auto' (uploads: one level, every indicator a +1 leaf)
        or a built-in framework whose leaves are mapped to uploaded columns (:mod:`nqpf.web.frameworks`)."""
        available = sorted(set(data["indicator"]))
        if framework == "auto":
            if not is_upload:
                raise NQPFError("framework 'auto' is for uploaded data; choose a built-in framework")
            if mapping:
                raise NQPFError("framework 'auto' takes no mapping; choose a built-in framework to map columns to")
            return auto_framework(available, self.dataset(DEFAULT_DATASET)["catalogue"])
        fws = builtin_frameworks()
        if framework not in fws:
            raise NQPFError(f"unknown framework {framework!r}; valid: {', '.join(['auto', *fws])}")
        fw = self.builtin_framework(framework)
        if not mapping:
            return fw
        if not is_upload:
            raise NQPFError("a column mapping applies to uploaded data only; give 'upload' with 'mapping'")
        return mapped_framework(fw, framework, mapping, available)

    def inputs(self, run: dict[str, Any]) -> tuple[pd.DataFrame, Any, pd.DataFrame | None, pd.DataFrame | None]:
        """(long data, framework (Framework or dict), unit table, indicator catalogue) of a stored run."""
        kind, _, ident = run["source"].partition(":")
        s = run["settings"]
        data, units, cat, _ = self._source(ident if kind == "dataset" else None, ident if kind == "upload" else None)
        fw = self._framework(s["framework"], s.get("mapping"), data, kind == "upload")
        return data, fw, units, cat

    # -- specs and builds
    def run_spec(self, run: dict[str, Any]) -> Any:
        """The :class:`~nqpf.index.IndexSpec` of a stored run (its data attached in memory)."""
        from nqpf.index import IndexSpec

        data, fw, _, _ = self.inputs(run)
        return IndexSpec.from_args(data, fw, **_index_kwargs(run["settings"]))

    def result(self, rid: str) -> Any:
        """The IndexResult of a run: from memory, or rebuilt from its spec (after a restart)."""
        from nqpf.index import build_index

        return self.cached(("result", rid), lambda: build_index(self.run_spec(self.run(rid))))

    def spec(self, req: RunRequest) -> tuple[Any, str, dict[str, Any]]:
        """(IndexSpec, source, settings) of a request: the steps resolved once by the settings rule
        (:func:`nqpf.index.resolve_method`; gap filling ``linear-carry`` when neither the request nor the
        framework names one, as ``nqpf index``), periods defaulting to the framework's own."""
        from nqpf.data.parse import check_period_range
        from nqpf.framework import load_framework
        from nqpf.index import IndexSpec, resolve_method
        from nqpf.index.registry import framework_method

        if req.upload and req.dataset not in (None, DEFAULT_DATASET):
            raise NQPFError("give either dataset or upload, not both")
        check_period_range(req.periods)  # 2022-2012 → 422 "write 2012-2022", before loading anything
        data, _, _, source = self._source(None if req.upload else req.dataset, req.upload)
        fw = self._framework(req.framework, req.mapping, data, bool(req.upload))
        periods = req.periods
        if periods is None and not req.mapping:
            periods = default_periods(req.framework)
        given = {k: None if getattr(req, k) is None else getattr(req, k).value for k in STEPS}
        if given["impute"] is None and "impute" not in framework_method(load_framework(fw) if isinstance(fw, dict)
                                                                        else fw):
            given["impute"] = DEFAULT_IMPUTE  # the rule of `nqpf index` and `nqpf report`
        steps, options, _src = resolve_method(
            fw, **given, **{k: v for k, v in (("base_year", req.base_year), ("ref_unit", req.ref_unit))
                            if v is not None})
        settings = {"framework": req.framework,
                    "mapping": dict(sorted(req.mapping.items())) if req.mapping else None,
                    **steps, "periods": periods, "options": {k: options[k] for k in sorted(options)}}
        return IndexSpec.from_args(data, fw, **_index_kwargs(settings)), source, settings

    def build(self, req: RunRequest, lang: str = "en") -> tuple[Any, str, dict[str, Any]]:
        """(IndexResult, source, settings) of a request; identical inputs share one computation, so
        concurrent or repeated requests with the same settings do not rebuild the index."""
        from nqpf.index import build_index

        spec, source, settings = self.spec(req)
        # warnings are in res.manifest (the build's own Log; nothing process-global is captured)
        key = ("build", source, json.dumps(settings, sort_keys=True))

        def run() -> Any:
            try:
                return build_index(spec)
            except NQPFError as exc:
                raise gap_error(exc, str(settings["impute"]), lang) from None

        return self.cached(key, run), source, settings

    def default_run(self, level: str = "province") -> RunSummary:
        """The default run of a level (its shipped dataset and framework, default methods), computed once."""
        if level == "province":
            return self.cached(("default_run",), lambda: self.compute(RunRequest()))
        dataset, framework = LEVELS[level]
        return self.cached(("default_run", level), lambda: self.compute(RunRequest(dataset=dataset,
                                                                                   framework=framework)))

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
        """Build (or reuse) the index of ``req`` and store it as a new run."""
        t0 = time.perf_counter()
        res, source, settings = self.build(req, lang)
        leaves = set(res.framework.leaves)
        nodes = [
            {"id": str(r["id"]), "parent": None if not r["parent"] or pd.isna(r["parent"]) else str(r["parent"]),
             "label_zh": str(r.get("label_zh") or r["id"]), "label_en": str(r.get("label_en") or r["id"]),
             "is_leaf": str(r["id"]) in leaves}
            for _, r in res.framework.nodes.iterrows()
        ]
        manifest = json.loads(json.dumps({**res.manifest, "web": {"source": source, "settings": settings}},
                                          ensure_ascii=False, default=str))
        scores = res.scores
        rid = self.store.add_run(source, settings, manifest, scores, res.weights, nodes)
        self.put(("result", rid), res)
        self.put(("run", rid), {"id": rid, "created": time.time(), "source": source, "settings": settings,
                                "manifest": manifest, "scores": scores, "weights": res.weights, "nodes": nodes})
        return RunSummary(id=rid, source=source, settings=settings,
                          periods=sorted(int(p) for p in scores["period"].unique()),
                          units=int(scores["unit"].nunique()), nodes=list(dict.fromkeys(scores["node"])),
                          elapsed_ms=round((time.perf_counter() - t0) * 1000, 1))

    def run(self, rid: str) -> dict[str, Any]:
        run = self.cached(("run", rid), lambda: self.store.get_run(rid))
        if run is None:
            self.forget(("run", rid))
            raise HTTPException(404, f"unknown run id {rid!r}")
        return run

    def unit_names(self, run: dict[str, Any]) -> dict[str, dict[str, str]]:
        """unit -> {name_zh, name_en} of a run: its shipped dataset's units, or the provinces for an upload
        of province codes; {} otherwise."""
        def names() -> dict[str, dict[str, str]]:
            kind, _, ident = run["source"].partition(":")
            if kind == "dataset":
                units = self.dataset(ident)["units"]
            else:
                units, _ = self.province_units(set(run["scores"]["unit"].astype(str)))
            if units is None or not {"name_zh", "name_en"} <= set(units.columns):
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
        self.forget(("upload", uid))
        return self.store.delete_upload(uid)
