"""Run routes: compute a run, the default run of a level, stored runs, their scores, ranking, labels,
weights and region pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
from fastapi import APIRouter, Query, Request

from nqpf.web import views
from nqpf.web.answers import lang_of
from nqpf.web.schemas import Lang, Level, RunRequest, RunSummary

if TYPE_CHECKING:
    from nqpf.web.service import Dashboard


def router(dash: Dashboard) -> APIRouter:
    r = APIRouter()

    @r.post("/api/runs", response_model=RunSummary)
    async def create_run(req: RunRequest, request: Request) -> RunSummary:
        """Compute an index run; errors are in the language of ``?lang=`` / ``Accept-Language``."""
        return await anyio.to_thread.run_sync(dash.compute, req, lang_of(request))

    @r.get("/api/runs/default", response_model=RunSummary)
    async def default_run(level: Level = Level.province) -> RunSummary:
        """The run of a level's shipped dataset and framework with default methods (computed once per server):
        province = cn_provinces with nqpf-core, city = cn_cities with city-structure-green."""
        return await anyio.to_thread.run_sync(dash.default_run, level.value)

    @r.get("/api/runs")
    def list_runs() -> list[dict[str, Any]]:
        return dash.store.list_runs()

    @r.get("/api/runs/{run_id}")
    def get_run(run_id: str) -> dict[str, Any]:
        run = dash.run(run_id)
        return {k: run[k] for k in ("id", "created", "source", "settings", "manifest")}

    @r.get("/api/runs/{run_id}/scores")
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
        return views._rows(s)

    @r.get("/api/runs/{run_id}/ranking")
    async def run_ranking(
        run_id: str,
        period: int = Query(..., ge=1900, le=2100),
        node: str | None = Query(None, max_length=128),
        base: str | None = Query(None, max_length=64, description="another run id: report rank shifts against it"),
        intervals: bool = Query(False, description="add 5–95 % rank intervals (Monte Carlo, cached per run)"),
        lang: Lang = Lang.en,
    ) -> dict[str, Any]:
        return await anyio.to_thread.run_sync(
            lambda: views.ranking(dash, run_id, period, node, base, intervals, lang.value))

    @r.get("/api/runs/{run_id}/labels")
    def run_labels(run_id: str) -> dict[str, Any]:
        return {"nodes": dash.run(run_id)["nodes"]}

    @r.get("/api/runs/{run_id}/weights")
    def run_weights(run_id: str) -> list[dict[str, Any]]:
        return views._rows(dash.run(run_id)["weights"])

    @r.get("/api/runs/{run_id}/regions/{unit}")
    async def region(run_id: str, unit: str, period: int = Query(..., ge=1900, le=2100),
                     lang: Lang = Lang.en) -> dict[str, Any]:
        return await anyio.to_thread.run_sync(lambda: views.region(dash, run_id, unit, period, lang.value))

    return r
