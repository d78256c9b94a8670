"""The dashboard's page and its static files (not in the API schema)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

STATIC = Path(__file__).resolve().parent / "static"


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/", response_class=HTMLResponse)
    def index_page() -> HTMLResponse:
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))

    @r.get("/static/app.js")
    def app_js() -> Response:
        return Response((STATIC / "app.js").read_text(encoding="utf-8"), media_type="text/javascript")

    @r.get("/static/app.css")
    def app_css() -> Response:
        return Response((STATIC / "app.css").read_text(encoding="utf-8"), media_type="text/css")

    @r.get("/static/echarts.min.js")
    def echarts() -> Response:
        from nqpf import assets

        js = assets.echarts_js()
        if js is None:
            return Response("window.echarts=undefined;", media_type="text/javascript")
        return Response(js, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    return r
