"""Download routes: scores and weights CSV (formulas neutralised), the manifest JSON, and the HTML and Excel
reports of a run."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import anyio
from fastapi import APIRouter, Query
from fastapi.responses import Response

from nqpf._util import csv_text
from nqpf.web import views
from nqpf.web.schemas import DownloadKind, Lang

if TYPE_CHECKING:
    from nqpf.web.service import Dashboard


def _attachment(name: str) -> dict[str, str]:
    """``Content-Disposition`` of a download; the file name keeps only letters, digits and ``._-``."""
    safe = "".join(ch for ch in name if ch.isalnum() or ch in "._-")
    return {"Content-Disposition": f'attachment; filename="{safe}"'}


def router(dash: Dashboard) -> APIRouter:
    r = APIRouter()

    @r.get("/api/runs/{run_id}/download/{kind}")
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
        body, media = await anyio.to_thread.run_sync(lambda: views.report_bytes(dash, run_id, kind.value, period, lang.value))
        return Response(body, media_type=media, headers=_attachment(f"{run_id}_{kind.value}"))

    return r
