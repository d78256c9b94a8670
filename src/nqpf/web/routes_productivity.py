"""Productivity routes: world TFP (growth accounting on PWT) and provincial green TFP (GML); both depend
only on the shipped data, so they are computed once per server (:mod:`nqpf.web.views`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
from fastapi import APIRouter

from nqpf.web import views
from nqpf.web.schemas import Lang

if TYPE_CHECKING:
    from nqpf.web.service import Dashboard


def router(dash: Dashboard) -> APIRouter:
    r = APIRouter()

    @r.get("/api/productivity/world")
    async def productivity_world(lang: Lang = Lang.en) -> dict[str, Any]:
        return await anyio.to_thread.run_sync(lambda: views.world_tfp(dash, lang.value))

    @r.get("/api/productivity/provinces")
    async def productivity_provinces(lang: Lang = Lang.en) -> dict[str, Any]:
        return await anyio.to_thread.run_sync(lambda: views.province_efficiency(dash, lang.value))

    return r
