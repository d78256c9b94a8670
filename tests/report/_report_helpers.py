"""Helpers of the report tests (imported as a module): a strict HTML well-formedness check (stdlib parser) and a headless
Chromium screenshot (Debian's ``chromium``; tests skip with the reason when it is absent)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SVG_SELF = True  # SVG children may be self-closing (<path .../>)
FIXTURE_FRAMEWORK = Path(__file__).resolve().parents[1] / "guide" / "fixtures" / "cn_small.yaml"


class StrictChecker(HTMLParser):
    """Balanced tags, unique ids, text collected outside <script>/<style>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self.scripts: list[str] = []
        self.counts: dict[str, int] = {}

    def handle_starttag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        for k, v in attrs:
            if k == "id":
                if v in self.ids:
                    self.errors.append(f"duplicate id {v!r}")
                self.ids.add(v)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] in ("script", "style"):
            if self.stack[-1] == "script":
                self.scripts.append(data)
            return
        self.text.append(data)


def check_html(text: str) -> StrictChecker:
    assert text.lstrip().lower().startswith("<!doctype html>")
    c = StrictChecker()
    c.feed(text)
    c.close()
    assert not c.errors, c.errors[:5]
    assert not c.stack, f"unclosed tags: {c.stack}"
    assert c.counts.get("html") == 1 and c.counts.get("head") == 1 and c.counts.get("body") == 1
    for marker in ("{{", "}}", "{%", "%}", "{#"):
        assert marker not in "".join(c.text), f"unresolved template marker {marker!r}"
    return c


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    return None


def screenshot(html_path: Path, png: Path, height: int = 2000) -> np.ndarray:
    exe = chromium()
    if exe is None:
        pytest.skip("Debian's chromium is not installed (make browser-deps); cannot render the report")
    with tempfile.TemporaryDirectory() as prof:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={prof}", f"--screenshot={png}", f"--window-size=1280,{height}",
               "--virtual-time-budget=3000", html_path.resolve().as_uri()]
        subprocess.run(cmd, check=False, capture_output=True, timeout=120)
    assert png.exists(), "chromium wrote no screenshot"
    from PIL import Image

    return np.asarray(Image.open(png).convert("RGB"), dtype=float)


