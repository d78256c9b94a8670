"""JSON error answers: ``{"error": message, "detail": ...}`` (plus ``code`` for refusals), never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from nqpf.errors import NQPFError
from nqpf.web.guard import Rejected

log = logging.getLogger("nqpf.web")


def err(status: int, error: str, detail: Any = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": error, "detail": detail})


def lang_of(request: Request) -> str:
    """``?lang=zh|en``, else the first language of ``Accept-Language``, else English."""
    q = request.query_params.get("lang")
    if q in ("zh", "en"):
        return q
    return "zh" if request.headers.get("accept-language", "").lower().startswith("zh") else "en"


def rejected(request: Request, exc: Rejected) -> JSONResponse:
    """A refusal (:class:`~nqpf.web.guard.Rejected`) in the request's language; 503 adds ``Retry-After``."""
    headers = {"Retry-After": "5"} if exc.status == 503 else None
    return JSONResponse(status_code=exc.status, content=exc.body(lang_of(request)), headers=headers)


def install_handlers(app: FastAPI) -> None:
    """422 for library errors (``nqpf.errors``) and bad requests, the HTTP status of HTTP errors, refusals
    with their code, 500 "internal error" with the exception type only."""

    @app.exception_handler(NQPFError)
    async def _nqpf_error(_: Request, exc: NQPFError) -> JSONResponse:
        problems = [str(p) for p in getattr(exc, "problems", [])]
        return err(422, str(exc), problems or None)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return err(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"loc": list(e.get("loc", [])), "msg": e.get("msg")} for e in exc.errors()]
        return err(422, "invalid request", detail)

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error")
        return err(500, "internal error", type(exc).__name__)

    @app.exception_handler(Rejected)
    async def _refused(request: Request, exc: Rejected) -> JSONResponse:
        return rejected(request, exc)
