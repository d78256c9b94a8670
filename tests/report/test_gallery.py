"""Issue 13 item 10: docs/gallery.md shows every standard figure kind, each image exists and is small."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from nqpf.report.results import PLOTS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_gallery_covers_every_figure_kind():
    page = (DOCS / "gallery.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"kind `(\w+)`, figure `(\w+)`", page))
    want = {(k, f) for k, fs in PLOTS.items() for f in fs}
    assert want <= shown, f"figure kinds missing from docs/gallery.md: {sorted(want - shown)} (run scripts/gallery.py)"
    images = re.findall(r"!\[[^\]]*\]\((gallery/[^)]+\.png)\)", page)
    assert len(images) == len(re.findall(r"^## ", page, re.M)) >= len(want)
    for rel in images:
        p = DOCS / rel
        assert p.exists(), rel
        assert p.stat().st_size < 150_000, f"{rel} is not small"
        with Image.open(p) as im:
            assert im.format == "PNG" and im.width <= 900
    on_disk = {f"gallery/{p.name}" for p in (DOCS / "gallery").glob("*.png")}
    assert on_disk == set(images), "stale or unreferenced images in docs/gallery/"
