"""FastAPI application behind ``nqpf serve``: :func:`create_app` mounts one router per resource
(``routes_*``) on the :class:`~nqpf.web.service.Dashboard` that owns runs, caches and uploads.

Single-user and local by design: it binds to loopback unless told otherwise and has no authentication.
Every error answer is JSON (``{"error": ..., "detail": ...}``, plus a stable ``code`` for refusals), never a
traceback. Requests address stored objects by id only; uploads are parsed (not trusted by extension) under a
streaming size limit, pre-scanned and parsed in a capped worker process (:mod:`nqpf.web.guard`).
:mod:`nqpf.web.security` keeps other sites out: only loopback ``Host`` names (DNS rebinding), no
state-changing request from a foreign ``Origin``/``Referer`` (CSRF), and restrictive response headers.
"""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from nqpf.web import (
    routes_downloads,
    routes_meta,
    routes_pages,
    routes_productivity,
    routes_runs,
    routes_uploads,
)
from nqpf.web.answers import install_handlers
from nqpf.web.frameworks import builtin_frameworks
from nqpf.web.guard import MB, Limits
from nqpf.web.labels import gap_error as _gap_error
from nqpf.web.labels import method_choices
from nqpf.web.labels import method_label as _method_label
from nqpf.web.maps import _geo_bytes
from nqpf.web.middleware import Security, Timeout
from nqpf.web.schemas import (
    DEFAULT_DATASET,
    DEFAULT_FRAMEWORK,
    DEFAULT_IMPUTE,
    STEP_FIELDS,
    Aggregate,
    DownloadKind,
    ErrorBody,
    Impute,
    Lang,
    Normalize,
    RunRequest,
    RunSummary,
    Scope,
    Treat,
    UnitsKind,
    Weights,
)
from nqpf.web.security import allowed_host_names
from nqpf.web.service import PINNED, Dashboard, settings_hash

# the names this module held before the split (issue 18 item 6), importable from here as before
__all__ = ["DEFAULT_DATASET", "DEFAULT_FRAMEWORK", "DEFAULT_IMPUTE", "PINNED", "STEP_FIELDS", "Aggregate",
           "Dashboard", "DownloadKind", "ErrorBody", "Impute", "Lang", "Normalize", "RunRequest", "RunSummary",
           "Scope", "Treat", "UnitsKind", "Weights", "_geo_bytes", "_gap_error", "_method_label",
           "builtin_frameworks", "create_app", "method_choices", "settings_hash"]


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
    install_handlers(app)
    app.add_middleware(Timeout, seconds=request_timeout)
    app.add_middleware(Security, hosts=allowed_host_names(allowed_hosts))  # added last: the outermost layer
    for r in (routes_pages.router(), routes_meta.router(dash), routes_runs.router(dash),
              routes_productivity.router(dash), routes_uploads.router(dash, queue_wait), routes_downloads.router(dash)):
        app.include_router(r)
    return app
