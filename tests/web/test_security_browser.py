"""The dashboard works under its own Content-Security-Policy (Chromium reports no violation while the page
loads, draws its map and ranking and switches language), and another origin cannot frame it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (make browser-deps installs it)", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from reliability_table import Server  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


def test_dashboard_runs_under_its_csp(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with Server() as srv, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        page.add_init_script(WATCH)
        resp = page.goto(srv.base + "/")
        assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
        # no wait_for_function here: Playwright evaluates its string predicates with eval, which the CSP forbids
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        page.wait_for_selector("#ranking-list li >> nth=5", state="attached", timeout=60_000)
        page.wait_for_selector("#map canvas", timeout=60_000)
        page.click("#lang-toggle")
        expect(page.locator("#title")).to_have_text("NQPF dashboard", timeout=30_000)
        # the upload flow: a broken file shows its problems, a good one computes (same-origin POSTs pass)
        bad = tmp_path / "bad.csv"
        bad.write_text("province,year,gdp\nAtlantis,2020,1\n北京,2020,2\n", encoding="utf-8")
        good = tmp_path / "good.csv"
        good.write_text("province,year,a,b\n" + "\n".join(f"{n},{y},{k + y - 2019},{k % 3}" for k, n in enumerate(
            ["北京", "天津", "河北", "山西", "上海"]) for y in (2020, 2021)) + "\n", encoding="utf-8")
        page.click("#tab-data")
        page.set_input_files("#file-input", str(bad))
        page.wait_for_selector("#problems tr.problem", timeout=30_000)
        assert "Atlantis" in page.inner_text("#problems")
        page.set_input_files("#file-input", str(good))
        expect(page.locator("#upload-mapping")).to_be_visible(timeout=30_000)
        page.click("#compute-upload")
        page.wait_for_selector("#upload-run", timeout=60_000)
        assert page.evaluate("window.__csp") == []
        assert not errors, errors
        # the watcher does see violations: an injected inline script is blocked and reported
        page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
                      " document.body.appendChild(s); }")
        page.wait_for_timeout(300)
        assert page.evaluate("window.__ran") is None
        assert any(v.startswith("script-src") for v in page.evaluate("window.__csp"))

        # a page of another origin (here: about:blank's opaque origin with a data: document) cannot frame it
        frame_page = browser.new_page()
        framed: list[str] = []
        frame_page.on("console", lambda m: framed.append(m.text))
        frame_page.set_content(f'<iframe id="f" src="{srv.base}/"></iframe>')
        frame_page.wait_for_timeout(2000)
        inner = frame_page.frames[-1]
        assert inner.url in ("about:blank", "chrome-error://chromewebdata/") or any(
            "frame-ancestors" in t for t in framed), (inner.url, framed)
        browser.close()
