"""End-to-end: the dashboard in Debian's headless Chromium, driven by Playwright against `nqpf serve`.

Path: open overview → change year → click a province → switch to English → upload a broken file and see its
row-level errors → upload a good file and compute → download the report. Screenshots of each step go to
``out/screenshots/`` (for a person to look at) and are checked not to be blank.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (make browser-deps installs it)", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "out" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _not_blank(png: Path) -> None:
    from PIL import Image, ImageStat

    img = Image.open(png).convert("L")
    assert ImageStat.Stat(img).stddev[0] > 5, f"{png} looks blank"


def _start_server(data_dir):
    port = _free_port()
    exe = Path(sys.executable).with_name("nqpf")
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--data-dir", str(data_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("server did not start: " + proc.stdout.read().decode(errors="replace"))
    return base, proc


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base, proc = _start_server(tmp_path_factory.mktemp("serve"))
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def fresh_server(tmp_path_factory):
    """A server of its own: the map checks must not depend on what the walkthrough left running."""
    base, proc = _start_server(tmp_path_factory.mktemp("serve_fresh"))
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def test_dashboard_walkthrough(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    # the full suite runs this next to other CPU-heavy tests on 2 cores: give each UI expectation room
    expect.set_options(timeout=30_000)

    SHOTS.mkdir(parents=True, exist_ok=True)
    bad = tmp_path / "坏数据.csv"
    bad.write_bytes("unit,period,rd,patents\n北京,2020,1.5,10\n北京,2020,1.6,10\nAtlantis,2021,2,3\n上海,20x1,abc,4\n".encode("gbk"))
    good = tmp_path / "good.csv"
    lines = ["unit,period,a,b,c"]
    for i, name in enumerate(["北京", "上海", "广东", "四川", "河南"]):
        for y in (2020, 2021):
            lines.append(f"{name},{y},{i + y - 2019},{5 - i},{(i * 7) % 5 + 1}")
    good.write_text("\n".join(lines), encoding="utf-8")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        # bypass_csp: Playwright's string wait_for_function needs eval, which the dashboard's CSP forbids; the
        # page itself under its CSP is checked in test_security_browser.py
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True, bypass_csp=True)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server + "/")
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        page.wait_for_timeout(500)
        page.screenshot(path=SHOTS / "1_overview.png")
        _not_blank(SHOTS / "1_overview.png")

        # change year
        page.eval_on_selector("#year-slider", "el => { el.value = 2015; el.dispatchEvent(new Event('change')); }")
        expect(page.locator("#year-label")).to_have_text("2015")
        page.wait_for_selector("#page-overview[data-shown^='2015|']", timeout=30_000)
        assert page.evaluate("S.period") == 2015
        # 31 provinces with scores, plus the 南海诸岛 inset's item (no unit)
        assert page.evaluate("S.charts.map.getOption().series[0].data.filter(d => d.unit).length") == 31
        # the uncertainty band (Monte Carlo of method choices) labels every bar
        page.check("#intervals-toggle")
        page.wait_for_selector("#page-overview[data-shown='2015|index|iv']", timeout=60_000)
        page.wait_for_timeout(300)
        page.screenshot(path=SHOTS / "2_year_2015.png")

        # click a province: the first bar of the ranking chart, located through ECharts' own coordinate system
        xy = page.evaluate("""() => { const c = S.charts.ranking; const opt = c.getOption();
            const cats = opt.yAxis[0].data; const name = cats[cats.length - 1];
            const px = c.convertToPixel({yAxisIndex: 0}, name); const x0 = c.convertToPixel({xAxisIndex: 0}, 0);
            const r = document.getElementById('ranking').getBoundingClientRect();
            return [r.left + x0 + 5, r.top + px]; }""")
        # a real mouse click on the chart's top bar; canvas hit-testing can race the redraw animation, so the
        # keyboard-accessible ranking list (same handler) is the fallback — the chart must have the handler bound
        assert page.evaluate("() => (S.charts.ranking._$handlers.click || []).length") >= 1
        page.mouse.click(xy[0], xy[1])
        try:
            expect(page.locator("#page-region")).to_be_visible(timeout=5_000)
        except AssertionError:
            page.click("#ranking-table-wrap summary")
            page.click("#ranking-list button[data-unit]")
        expect(page.locator("#page-region")).to_be_visible()
        page.wait_for_selector("#region-body .section", timeout=60_000)
        page.screenshot(path=SHOTS / "3_region.png", full_page=True)
        _not_blank(SHOTS / "3_region.png")

        # English
        page.click("#lang-toggle")
        expect(page.locator("#title")).to_have_text("NQPF dashboard")
        # the region page re-renders in English (profile, peers, …, action guide)
        page.wait_for_selector("#region-body .section[data-section='guide']", timeout=60_000)
        expect(page.locator("#region-body .section").first.locator("h4")).to_have_text("Scores and ranks")
        expect(page.locator("#region-title")).to_contain_text("2015")
        page.screenshot(path=SHOTS / "4_english.png", full_page=True)

        # broken upload: row-level errors
        page.click("#tab-data")
        page.set_input_files("#file-input", str(bad))
        page.wait_for_selector("#problems tr.problem", timeout=30_000)
        assert "row" in page.inner_text("#problems")
        assert "Atlantis" in page.inner_text("#problems")
        page.screenshot(path=SHOTS / "5_broken_upload.png", full_page=True)

        # good upload and compute
        page.set_input_files("#file-input", str(good))
        expect(page.locator("#upload-mapping")).to_be_visible(timeout=30_000)
        page.click("#compute-upload")
        page.wait_for_selector("#upload-run", timeout=60_000)
        assert page.locator("#upload-result tbody tr").count() == 5
        page.screenshot(path=SHOTS / "6_good_upload.png", full_page=True)
        # map the uploaded columns to leaves of a built-in framework and compute again
        page.select_option("#upload-framework", "nqpf-core")
        page.wait_for_selector("#mapping select[data-leaf='rd_intensity_calc']")
        page.select_option("#mapping select[data-leaf='rd_intensity_calc']", "a")
        page.select_option("#mapping select[data-leaf='invention_grants_per_10k']", "b")
        page.select_option("#mapping select[data-leaf='students_higher_edu_per_10k']", "c")
        first = page.inner_text("#upload-run")
        page.click("#compute-upload")
        expect(page.locator("#upload-run")).not_to_have_text(first, timeout=60_000)
        assert page.locator("#upload-result tbody tr").count() == 5
        page.screenshot(path=SHOTS / "6b_mapped_upload.png", full_page=True)

        # back to the default dataset run and download its report
        page.goto(server + "/")
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        page.click("#tab-downloads")
        with page.expect_download(timeout=120_000) as dl:
            page.click("#download-report")
        target = tmp_path / "report.html"
        dl.value.save_as(target)
        html = target.read_text(encoding="utf-8")
        assert "<html" in html.lower() and len(html) > 10_000
        page.screenshot(path=SHOTS / "7_downloads.png")

        # methods: change the weighting (recomputes on change) and see rank shifts against the default
        page.click("#tab-methods")
        page.select_option("#methods-form select[name='weights']", "equal")
        page.wait_for_function("S.run !== S.baseRun", timeout=60_000)
        expect(page.locator("#shift-note")).to_contain_text("31", timeout=60_000)
        page.wait_for_timeout(500)
        page.screenshot(path=SHOTS / "8_methods.png", full_page=True)

        # productivity: world TFP charts and the provincial GML table
        page.click("#tab-productivity")
        page.wait_for_selector("#gml-table tbody tr", timeout=120_000)
        page.wait_for_timeout(500)
        page.screenshot(path=SHOTS / "9_productivity.png", full_page=True)
        _not_blank(SHOTS / "9_productivity.png")
        browser.close()
    assert not errors, errors


# ---------------------------------------------------------------------------------------------- the 南海诸岛 inset
INSET_BOX_JS = """([sel, box]) => { const el = document.querySelector(sel); const c = echarts.getInstanceByDom(el);
    const a = c.convertToPixel({seriesIndex: 0}, [box[0], box[3]]), b = c.convertToPixel({seriesIndex: 0}, [box[2], box[1]]);
    const r = el.getBoundingClientRect();
    return {x: r.left + window.scrollX + a[0], y: r.top + window.scrollY + a[1], width: b[0] - a[0], height: b[1] - a[1],
            inside: a[0] >= 0 && a[1] >= 0 && b[0] <= r.width && b[1] <= r.height}; }"""


def _dark_share(png: bytes) -> float:
    import io

    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    return float((img < 128).mean())


def _check_echarts_inset(page, sel: str) -> None:
    """The inset's box, located through ECharts' own coordinate system, is on the chart and drawn (dark ink)."""
    from nqpf.report import geo

    box = page.evaluate(INSET_BOX_JS, [sel, list(geo.nanhai_inset()["box"])])
    assert box["width"] > 10 and box["height"] > 10 and box["inside"], box
    clip = {k: box[k] for k in ("x", "y", "width", "height")}
    assert _dark_share(page.screenshot(clip=clip, full_page=True)) > 0.03, "the inset box is blank"


def test_dashboard_map_has_inset(fresh_server):
    server = fresh_server
    from playwright.sync_api import sync_playwright

    from nqpf import assets
    from nqpf.report import geo

    if not assets.available():
        pytest.skip("ECharts and its map not fetched (run make setup)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, bypass_csp=True)  # see the walkthrough
        page.goto(server + "/")
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        # the map is drawn once the ranking arrives; after other tests the server may still be busy
        page.wait_for_function("S.charts && S.charts.map && S.charts.map.getOption().series.length > 0",
                               timeout=60_000)
        page.wait_for_timeout(500)
        assert page.evaluate("S.charts.map.getOption().series[0].map") == geo.ECHARTS_MAP_NAME
        assert page.evaluate("S.charts.map.getOption().series[0].data.filter(d => d.inset).length") == 1
        _check_echarts_inset(page, "#map")
        note = page.locator("#map-note")
        assert note.is_visible() and "示意图，不作为划界依据" in note.inner_text()
        page.click("#lang-toggle")
        page.wait_for_function("document.getElementById('map-note').innerText.includes('Schematic map')",
                               timeout=30_000)
        browser.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_map_inset_visible(tmp_path, lang):
    """National-style report HTML (interactive and static): the inset is on screen with its caption."""
    import numpy as np
    import pandas as pd
    from playwright.sync_api import sync_playwright

    from nqpf import assets
    from nqpf.report import MapBlock, ReportDoc, Section, geo
    from nqpf.report.html import write_html

    if not assets.available():
        pytest.skip("ECharts and its map not fetched (run make setup)")
    codes = [f["properties"]["id"] for f in assets.china_map()["features"]]
    vals = pd.Series(np.linspace(0.1, 0.9, len(codes)), index=codes)
    doc = ReportDoc(title="map", lang=lang, sections=[Section("map", "Map", [MapBlock(vals, title="m", legend="s")])])
    interactive = write_html(doc, tmp_path / "i.html")
    static = write_html(doc, tmp_path / "s.html", static=True)
    note = geo.caption(geo.china_geometry(), lang).split("\n")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(interactive.resolve().as_uri())
        page.wait_for_selector("[data-map='china'] canvas")
        page.wait_for_timeout(300)
        _check_echarts_inset(page, "[data-map='china']")
        cap = page.locator(".mapnote")
        assert cap.is_visible() and all(line in cap.inner_text() for line in note)

        page.goto(static.resolve().as_uri())
        for part in ("nanhai-inset", "nanhai-dashes", "nanhai-frame", "nanhai-label"):
            bb = page.locator(f"[data-map='china'] [id$='{part}']").bounding_box()
            assert bb is not None and bb["width"] > 3 and bb["height"] > 3, (part, bb)
        bb = page.locator("[data-map='china'] [id$='nanhai-inset']").bounding_box()
        assert _dark_share(page.screenshot(clip=bb, full_page=True)) > 0.03
        assert all(line in page.locator(".mapnote").inner_text() for line in note)
        browser.close()
    assert not errors, errors


# ---------------------------------------------------------------------------------------------- level switch
# Latin text a Chinese page may show: the language button, the footer's API link and name, run ids, "ms", and
# the abbreviations Chinese statistics write in Latin letters (GDP, R&D, the CEADs inventory's name)
ZH_ALLOWED = r"English|API|nqpf|run_[0-9a-f]+|\bms\b|GDP|R&D|CEADs"


def _latin_words(page) -> list[str]:
    """Latin words (two letters or more) of the page's visible text that are not in :data:`ZH_ALLOWED`, each
    with some context."""
    import re

    text = re.sub(ZH_ALLOWED, " ", page.inner_text("body"))
    return sorted({text[max(0, m.start() - 12):m.end() + 12] for m in re.finditer(r"[A-Za-z]{2,}", text)})


def test_level_switch_in_both_languages(fresh_server):
    """Province → city → province in zh and en: the city map (with the inset) and ranking, a city's region
    page, and no untranslated (Latin) word in the Chinese DOM."""
    from playwright.sync_api import expect, sync_playwright

    from nqpf import assets

    if not assets.available():
        pytest.skip("ECharts and its map not fetched (run make setup)")
    expect.set_options(timeout=60_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, bypass_csp=True)  # see the walkthrough
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(fresh_server + "/")
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        assert _latin_words(page) == []
        page.select_option("#level-select", "city")
        page.wait_for_selector("body[data-level='city']", timeout=180_000)
        page.wait_for_selector("#page-overview[data-shown^='2015|']", timeout=60_000)
        assert page.evaluate("S.charts.map.getOption().series[0].map") == "nqpf_china_city"
        n = page.evaluate("S.charts.map.getOption().series[0].data.filter(d => d.unit).length")
        assert n > 150 and page.evaluate("S.charts.map.getOption().series[0].data.filter(d => d.inset).length") == 1
        _check_echarts_inset(page, "#map")
        expect(page.locator("#level-note")).to_be_visible()
        expect(page.locator("#click-hint")).to_contain_text("城市")
        assert _latin_words(page) == []
        page.wait_for_timeout(500)
        page.screenshot(path=SHOTS / "10_city_zh.png")
        _not_blank(SHOTS / "10_city_zh.png")
        # a city's region page, in Chinese
        page.click("#ranking-table-wrap summary")
        page.click("#ranking-list button[data-unit]")
        page.wait_for_selector("#region-body .section[data-section='guide']", timeout=120_000)
        assert _latin_words(page) == []
        page.screenshot(path=SHOTS / "11_city_region_zh.png", full_page=True)
        # English: the same level, English labels; then back to the provinces
        page.click("#lang-toggle")
        expect(page.locator("#title")).to_have_text("NQPF dashboard")
        expect(page.locator("#region-body .section").first.locator("h4")).to_have_text("Scores and ranks")
        page.click("#tab-overview")
        expect(page.locator("#level-note")).to_contain_text("City level")
        page.select_option("#level-select", "province")
        page.wait_for_selector("body[data-level='province']", timeout=60_000)
        page.wait_for_function("S.charts.map.getOption().series[0].map === 'nqpf_china'", timeout=60_000)
        assert page.evaluate("S.charts.map.getOption().series[0].data.filter(d => d.unit).length") == 31
        expect(page.locator("#level-note")).to_be_hidden()
        page.screenshot(path=SHOTS / "12_province_en.png")
        browser.close()
    assert not errors, errors


def test_chart_click_handlers_survive_a_slow_echarts(server):
    """ECharts (the second deferred script) arriving after the first API answers: the dashboard must still bind
    the map's and the ranking's click handlers. It once treated readyState "interactive" as ready, so a slow
    chart library left both charts without handlers (a CI run caught it as a flaky walkthrough)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900}, bypass_csp=True)

        def slow(route):
            time.sleep(1.5)  # the API answers (warm server) long before this script arrives
            route.continue_()

        page.route("**/static/echarts.min.js", slow)
        page.goto(server + "/")
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        got = page.evaluate("() => ['map', 'ranking'].map(k => (S.charts[k] && S.charts[k]._$handlers.click || []).length)")
        browser.close()
    assert got == [1, 1], got
