"""Meta routes: health, catalogue, methods, datasets, frameworks, maps and unit names."""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from nqpf.web import frameworks as F
from nqpf.web import maps
from nqpf.web.frameworks import builtin_frameworks
from nqpf.web.labels import method_choices
from nqpf.web.schemas import DEFAULT_IMPUTE, Lang
from nqpf.web.views import _rows

if TYPE_CHECKING:
    from nqpf.web.service import Dashboard

_NO_MAP = "map geometry not installed; run `make setup` (fetches echarts from npm)"


def _unit_names(dataset_name: str | None) -> dict[str, dict[str, str | None]]:
    """unit -> {name_zh, name_en, group} of a shipped dataset's units table."""
    if not dataset_name:
        return {}
    import pandas as pd

    from nqpf import datasets

    units = datasets.load(dataset_name).units
    cols = [c for c in ("name_zh", "name_en", "group") if c in units.columns]
    return {str(r["unit"]): {c: (None if pd.isna(r[c]) else str(r[c])) for c in cols} for _, r in units.iterrows()}


def router(dash: Dashboard) -> APIRouter:
    r = APIRouter()

    @r.get("/api/health")
    async def health() -> dict[str, str]:
        """Answered on the event loop itself, so busy worker threads never delay it."""
        return {"status": "ok"}

    @r.get("/api/i18n/{lang}")
    def i18n(lang: Lang) -> dict[str, str]:
        from nqpf.i18n import catalogue

        return {k: v[lang.value] for k, v in catalogue().items()}

    @r.get("/api/methods")
    def methods(lang: Lang = Lang.en) -> dict[str, Any]:
        """The methods form: per field every value the registry allows (its catalogue name in ``lang``) and
        the gap filling used when neither the request nor the framework names one."""
        return {"choices": method_choices(lang.value), "default_impute": DEFAULT_IMPUTE}

    @r.get("/api/datasets")
    def list_datasets() -> list[dict[str, Any]]:
        from nqpf import datasets

        return _rows(datasets.list())

    @r.get("/api/frameworks")
    def list_frameworks() -> list[dict[str, Any]]:
        return list(builtin_frameworks().values())

    @r.get("/api/frameworks/{name}")
    def framework_nodes(name: str) -> dict[str, Any]:
        """Nodes of a built-in framework (for mapping uploaded columns to its leaves)."""
        from nqpf.framework import load_framework

        if name not in builtin_frameworks():
            raise HTTPException(404, f"unknown framework {name!r}; valid: {', '.join(builtin_frameworks())}")
        return {"name": name, **builtin_frameworks()[name], "nodes": F.framework_nodes(load_framework(name))}

    @r.get("/api/geo/china", responses={200: {"content": {"application/json": {}}, "description": "GeoJSON"}})
    def geo_china() -> Response:
        """China's province polygons (ECharts GeoJSON, properties id = GB/T 2260 code) plus the 南海诸岛 inset
        (feature id "nanhai"), served pre-encoded; member ``nqpf_map`` holds the ECharts map name, the inset's
        data items and the map caption (zh/en)."""
        body = maps.geo_bytes(dash, "province")
        if body is None:
            raise HTTPException(404, _NO_MAP)
        return Response(body, media_type="application/json", headers={"Cache-Control": "max-age=86400"})

    @r.get("/api/geo/cities", responses={200: {"content": {"application/json": {}}, "description": "GeoJSON"}})
    def geo_cities(request: Request) -> Response:
        """Prefecture-level polygons of all China (plain lon/lat, 3 decimals; properties id = GB/T 2260
        code, province = its province) plus the 南海诸岛 inset (feature id "nanhai"); ``nqpf_map`` as for
        ``/api/geo/china``. Gzip-encoded when the client accepts it (≈ 9 MB → 2 MB)."""
        body = maps.geo_bytes(dash, "city")
        if body is None:
            raise HTTPException(404, _NO_MAP)
        headers = {"Cache-Control": "max-age=86400", "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            gz = dash.cached(("geo", "city", "gzip"), lambda: gzip.compress(body, 6))
            return Response(gz, media_type="application/json", headers={**headers, "Content-Encoding": "gzip"})
        return Response(body, media_type="application/json", headers=headers)

    @r.get("/api/units/{dataset}")
    def units(dataset: str) -> dict[str, dict[str, Any]]:
        from nqpf import datasets

        if dataset not in set(datasets.list()["name"]):
            raise HTTPException(404, f"unknown dataset {dataset!r}")
        return dash.cached(("units", dataset), lambda: _unit_names(dataset))

    return r
