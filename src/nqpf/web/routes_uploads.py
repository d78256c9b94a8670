"""Upload routes: check and store a data file (streaming size limit, content type, parse slots, a capped
worker process: :mod:`nqpf.web.guard`), list, read and delete uploads."""

from __future__ import annotations

import io
import threading
from typing import TYPE_CHECKING, Any

import anyio
from fastapi import APIRouter, HTTPException, Query, Request

from nqpf.errors import NQPFError
from nqpf.web.answers import lang_of
from nqpf.web.guard import MB, Rejected
from nqpf.web.schemas import ErrorBody, Lang, UnitsKind
from nqpf.web.security import TooLarge

if TYPE_CHECKING:
    from nqpf.web.service import Dashboard


def router(dash: Dashboard, queue_wait: float) -> APIRouter:
    """The upload routes; a parse waits up to ``queue_wait`` s for a free slot, then gets 503 ``busy``."""
    r = APIRouter()

    @r.post(
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
        await _take_slot(dash, queue_wait)
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
                                                      lang.value if lang else lang_of(request),
                                                      abandon_on_cancel=True)
            except anyio.get_cancelled_exc_class():
                cancel.set()  # the request timed out: the worker is killed and nothing is stored
                raise
        finally:
            dash.release_parse_slot()

    @r.get("/api/uploads")
    def list_uploads() -> list[dict[str, Any]]:
        return dash.store.list_uploads()

    @r.delete("/api/uploads/{upload_id}")
    def delete_upload(upload_id: str) -> dict[str, Any]:
        """Delete an upload (its data and report); runs computed from it keep their stored scores."""
        if not dash.drop_upload(upload_id):
            raise HTTPException(404, f"unknown upload id {upload_id!r}")
        return {"id": upload_id, "deleted": True}

    @r.get("/api/uploads/{upload_id}")
    def get_upload(upload_id: str) -> dict[str, Any]:
        up = dash.store.get_upload(upload_id)
        if up is None:
            raise HTTPException(404, f"unknown upload id {upload_id!r}")
        d = up.pop("data")
        up["indicators"] = sorted(d["indicator"].unique().tolist()) if d is not None else []
        return up

    return r


async def _take_slot(dash: Dashboard, queue_wait: float) -> None:
    """Wait up to ``queue_wait`` s for one of the dashboard's parse slots; 503 ``busy`` after that."""
    waited = 0.0
    while not dash.take_parse_slot():
        if waited >= queue_wait:
            raise Rejected(503, "busy", slots=dash.max_parses)
        await anyio.sleep(0.05)
        waited += 0.05


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
