"""Front-end assets fetched at setup time (see scripts/fetch_assets.py): ECharts and China's province map."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

ASSET_DIR = Path(__file__).resolve().parent / "_assets"


def available() -> bool:
    return (ASSET_DIR / "echarts.min.js").exists() and (ASSET_DIR / "china.json").exists()


@lru_cache(maxsize=1)
def echarts_js() -> str | None:
    """ECharts 4.9.0 minified source, or None when setup could not fetch it (callers fall back to static SVG)."""
    p = ASSET_DIR / "echarts.min.js"
    return p.read_text(encoding="utf-8") if p.exists() else None


@lru_cache(maxsize=1)
def china_map() -> dict | None:
    """China's province map as ECharts GeoJSON (properties: id = GB/T 2260 code, name = short Chinese name)."""
    p = ASSET_DIR / "china.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else None
