"""The dashboard's "your data" path on a file with one gap (issue 14 item 8): upload → report in the page's
language with its coverage table → gap filling → methods → report download naming the file."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest

from nqpf import datasets
from nqpf.i18n import catalogue, t
from nqpf.index import build_index

OCTET = {"content-type": "application/octet-stream"}
INDS = ["basic_research_share", "budget_exp_education", "budget_exp_science_tech", "disposable_income_per_capita"]
YEARS = (2015, 2020)
GAP = ("540000", 2018, "basic_research_share")  # Tibet, one value removed


def _wide() -> pd.DataFrame:
    """A wide sheet built from the shipped cn_provinces (complete for these indicators and years), with a
    code column 省辖市代码 and a per-unit serial number, as yearbook exports carry them."""
    d = datasets.load("cn_provinces").data
    d = d[d["indicator"].astype(str).isin(INDS) & d["period"].between(*YEARS)]
    w = d.pivot_table(index=["unit", "period"], columns="indicator", values="value", observed=True).reset_index()
    w.columns.name = None
    w["unit"] = w["unit"].astype(str)
    assert w[INDS].notna().all().all() and len(w) == 31 * 6  # the fixture is complete before the gap
    w.insert(2, "省辖市代码", w["unit"].astype(int))
    serial = {u: i + 1 for i, u in enumerate(sorted(w["unit"].unique()))}
    w["serial"] = w["unit"].map(serial)
    return w


def _csv(w: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    w.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def full() -> pd.DataFrame:
    return _wide()


@pytest.fixture(scope="module")
def gap_upload(client, full):
    w = full.copy()
    u, y, ind = GAP
    w.loc[(w["unit"] == u) & (w["period"] == y), ind] = np.nan
    r = client.post("/api/uploads", headers=OCTET, params={"filename": "gap.csv", "lang": "zh"}, content=_csv(w))
    assert r.status_code == 200, r.text
    return r.json()


def test_upload_with_a_gap_is_usable_and_reported_in_chinese(gap_upload):
    up = gap_upload
    assert up["ok"], up["report"]
    # code columns are never proposed as indicators: by name (省辖市代码) and by values (one fixed integer per unit)
    assert sorted(up["indicators"]) == sorted(INDS)
    codes = {p["column"]: p for p in up["report"]["problems"] if p["code"] == "code_column"}
    assert set(codes) == {"省辖市代码", "serial"}
    assert "列名" in codes["省辖市代码"]["message"] and "固定" in codes["serial"]["message"]
    # … and the validator's remarks on their values (a code never changes: "stale") are not shown either
    assert {p["code"] for p in up["report"]["problems"] if p["indicator"] in codes} == {"code_column"}
    gaps = [p for p in up["report"]["problems"] if p["code"] == "gaps"]
    assert [p["indicator"] for p in gaps] == [GAP[2]]
    # 31 units × 6 years = 186 unit-years, one removed (counted from the construction, not from the server)
    assert "186 个地区-年份中缺失 1 个（0.5%）" in gaps[0]["message"]
    for p in up["report"]["problems"]:  # the page's language: no English words, no command-line flags
        assert not re.search(r"[A-Za-z]{3,}", p["message"].replace(str(p.get("column") or ""), "")), p["message"]
        assert p["where"].startswith("文件 gap.csv"), p["where"]
    cov = up["report"]["coverage"]
    assert cov["periods"] == list(range(YEARS[0], YEARS[1] + 1))
    shares = {r["indicator"]: dict(zip(cov["periods"], r["shares"], strict=True)) for r in cov["rows"]}
    assert set(shares) == set(INDS)
    assert shares[GAP[2]][GAP[1]] == round(30 / 31, 4)
    assert all(v == 1.0 for ind, row in shares.items() for y, v in row.items() if (ind, y) != (GAP[2], GAP[1]))


def test_no_gap_filling_names_the_gap_in_dashboard_terms(client, gap_upload):
    r = client.post("/api/runs", params={"lang": "zh"},
                    json={"upload": gap_upload["id"], "dataset": None, "framework": "auto", "impute": "none"})
    assert r.status_code == 422
    msg = r.json()["error"]
    assert "西藏" in msg and GAP[2] in msg and "缺失值填补" in msg
    assert "impute=" not in msg and "drop_incomplete_units" not in msg and "540000" not in msg


def test_default_gap_filling_is_linear_interpolation(client, gap_upload, full):
    # default (nothing chosen, 'auto' declares no method): linear-carry, as `nqpf index` and `nqpf report`
    r = client.post("/api/runs", json={"upload": gap_upload["id"], "dataset": None, "framework": "auto"})
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["impute"] == "linear-carry"
    # reference: the same sheet with Tibet's 2018 value filled by hand, (v2017 + v2019) / 2 (linear
    # interpolation between the neighbouring years), gives the same scores
    u, y, ind = GAP
    w = full.copy()
    at = lambda yy: float(w.loc[(w["unit"] == u) & (w["period"] == yy), ind].iloc[0])  # noqa: E731
    w.loc[(w["unit"] == u) & (w["period"] == y), ind] = (at(y - 1) + at(y + 1)) / 2
    up2 = client.post("/api/uploads", headers=OCTET, params={"filename": "filled.csv"}, content=_csv(w)).json()
    r2 = client.post("/api/runs", json={"upload": up2["id"], "dataset": None, "framework": "auto", "impute": "none"})
    assert r2.status_code == 200, r2.text
    a = pd.DataFrame(client.get(f"/api/runs/{r.json()['id']}/scores").json())
    b = pd.DataFrame(client.get(f"/api/runs/{r2.json()['id']}/scores").json())
    m = a.merge(b, on=["unit", "period", "node"])
    assert len(m) == len(a) == len(b) and (m["score_x"] - m["score_y"]).abs().max() < 1e-9


def test_methods_form_applies_to_uploads(client, gap_upload):
    req = {"upload": gap_upload["id"], "dataset": None, "framework": "auto", "impute": "linear",
           "treat": "winsorize", "normalize": "zscore", "weights": "critic", "aggregate": "geometric"}
    r = client.post("/api/runs", json=req)
    if r.status_code == 422:  # geometric needs positive values; z-scores are not: the server says so
        req["normalize"] = "minmax-global"
        r = client.post("/api/runs", json=req)
    assert r.status_code == 200, r.text
    s = r.json()["settings"]
    assert {k: s[k] for k in ("impute", "treat", "normalize", "weights", "aggregate")} == {
        k: req[k] for k in ("impute", "treat", "normalize", "weights", "aggregate")}
    # a second path: the library on the upload's long table and the 'auto' framework (every column a +1 leaf)
    data = pd.DataFrame(client.get(f"/api/runs/{r.json()['id']}/scores").json())
    long = datasets.load("cn_provinces").data
    long = long[long["indicator"].astype(str).isin(INDS) & long["period"].between(*YEARS)].copy()
    long["unit"], long["indicator"] = long["unit"].astype(str), long["indicator"].astype(str)
    long = long[~((long["unit"] == GAP[0]) & (long["period"] == GAP[1]) & (long["indicator"] == GAP[2]))]
    fw = {"name": "auto", "nodes": [{"id": "index", "label_zh": "综合指数", "label_en": "Composite index"}]
          + [{"id": f"i_{i}", "parent": "index", "direction": 1, "series": i, "label_zh": i, "label_en": i}
             for i in sorted(INDS)]}
    lib = build_index(long[["unit", "period", "indicator", "value"]], fw,
                      **{k: req[k] for k in ("impute", "treat", "normalize", "weights", "aggregate")}).scores
    m = lib.assign(unit=lib["unit"].astype(str)).merge(data, on=["unit", "period", "node"])
    assert len(m) == len(lib) == len(data) and (m["score_x"] - m["score_y"]).abs().max() < 1e-9


def test_downloaded_report_names_the_uploaded_file(client, gap_upload):
    run = client.post("/api/runs", json={"upload": gap_upload["id"], "dataset": None, "framework": "auto"}).json()
    h = client.get(f"/api/runs/{run['id']}/download/report.html", params={"period": 2020, "lang": "en"})
    assert h.status_code == 200, h.text[:300]
    assert t("report.dataset.file", "en", name="gap.csv") in h.text
    assert t("report.dataset.frame", "en") not in h.text and "DataFrame" not in h.text


def test_interval_notes_come_from_the_catalogue(client, default_run):
    nodes = client.get(f"/api/runs/{default_run['id']}/labels").json()["nodes"]
    child = next(n["id"] for n in nodes if n["parent"] and not n["is_leaf"])
    for lang in ("zh", "en"):
        r = client.get(f"/api/runs/{default_run['id']}/ranking",
                       params={"period": 2022, "node": child, "intervals": True, "lang": lang}).json()
        assert r["intervals_note"] == catalogue()["web.intervals.root_only"][lang]


# ---------------------------------------------------------------------------------------------- in the browser
LATIN_OK = {"nqpf", "API", "English", "CSV", "XLSX", "DTA", "JSON", "HTML", "Excel", "TOPSIS", "CRITIC", "PCA",
            "GB/T", "ECharts", "Malmquist", "Luenberger", "GML", "PWT", "ctfp", "CO2", "CEADs", "Törnqvist",
            "GDP", "run", "gap", "csv", "make", "setup", "manifest",
            "unit", "period", "indicator", "value"}  # the last four: the column names a long file must carry


def _latin_words(text: str, allowed: set[str]) -> list[str]:
    """Runs of Latin letters in ``text`` that are neither allowed terms nor data ids (snake_case names)."""
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]{2,}", text)
    return sorted({w for w in words if w not in allowed and "_" not in w and not re.fullmatch(r"[a-f0-9]{16}", w)})


@pytest.mark.browser
def test_own_data_walkthrough_in_the_browser(tmp_path, full):
    """Upload a sheet with one gap → see the Chinese report and coverage table → no gap filling is refused in
    Chinese → default gap filling computes → switch method (the upload is recomputed) → overview says which run
    it shows and goes back → region page → download. Screenshots at 1280 and 768 px; no stray English in zh."""
    import shutil
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    import httpx

    pw = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("Debian's chromium is not installed (make browser-deps installs it)")
    shots = Path(__file__).resolve().parents[2] / "out" / "screenshots" / "own_data"
    shots.mkdir(parents=True, exist_ok=True)
    w = full.copy()
    u, y, ind = GAP
    w.loc[(w["unit"] == u) & (w["period"] == y), ind] = np.nan
    sheet = tmp_path / "gap.csv"
    sheet.write_bytes(_csv(w))

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(Path(sys.executable).with_name("nqpf")), "serve", "--port", str(port),
                             "--data-dir", str(tmp_path / "serve")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # 2 cores shared with other tests: start-up can be slow
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("nqpf serve did not start")
                time.sleep(0.2)
        pw.expect.set_options(timeout=60_000)
        with pw.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            for width in (1280, 768):
                page = browser.new_page(viewport={"width": width, "height": 900}, accept_downloads=True, bypass_csp=True)
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.goto(base + "/")
                page.wait_for_selector("body[data-ready='1']", timeout=60_000)
                # the region tab shows the region its selector names (not a blank page)
                page.click("#tab-region")
                page.wait_for_selector("#region-body .section", timeout=60_000)
                sel = page.eval_on_selector("#unit-select", "el => el.options[el.selectedIndex].text")
                pw.expect(page.locator("#region-title")).to_contain_text(sel)
                # methods are offered by name: 熵值法, CRITIC法, …, never by code
                opts = page.eval_on_selector_all("#methods-form select[name='weights'] option", "els => els.map(e => e.text)")
                assert "熵值法" in opts and not {"entropy", "critic"} & set(opts)
                page.click("#tab-data")
                page.set_input_files("#file-input", str(sheet))
                page.wait_for_selector("#problems tr.problem", timeout=60_000)
                assert page.locator("#coverage tbody tr").count() == len(INDS)
                assert "省辖市代码" not in page.inner_text("#mapping-table")
                page.screenshot(path=shots / f"1_upload_zh_{width}.png", full_page=True)
                page.select_option("#upload-impute", "none")
                page.click("#compute-upload")
                pw.expect(page.locator("#upload-result .sev-error")).to_contain_text("西藏")
                page.select_option("#upload-impute", "")  # back to the default (linear-carry)
                page.click("#compute-upload")
                page.wait_for_selector("#upload-run", timeout=60_000)
                first = page.evaluate("S.run")
                assert page.evaluate("S.last.settings.impute") == "linear-carry"
                # the methods form applies to the upload
                page.click("#tab-methods")
                page.select_option("#methods-form select[name='weights']", "critic")
                page.wait_for_function(f"S.run !== '{first}' && S.last.settings.weights === 'critic'", timeout=60_000)
                assert page.evaluate("S.last.source").startswith("upload:")
                pw.expect(page.locator("#shift-note")).to_contain_text("31")
                page.screenshot(path=shots / f"2_methods_zh_{width}.png", full_page=True)
                # the overview names the run it shows and offers the way back
                page.click("#tab-overview")
                pw.expect(page.locator("#run-desc")).to_contain_text("gap.csv")
                pw.expect(page.locator("#back-default")).to_be_visible()
                page.wait_for_timeout(300)
                page.screenshot(path=shots / f"3_overview_zh_{width}.png", full_page=True)
                texts = {tab: None for tab in ("overview", "region", "methods", "data")}
                for tab in texts:
                    page.click(f"#tab-{tab}")
                    if tab == "region":
                        page.wait_for_selector("#region-body .section", timeout=60_000)
                        # the report's radar (this region vs the national mean) and trend charts
                        assert page.evaluate("S.charts['region-radar'].getOption().series[0].data.length") == 2
                        assert page.evaluate("S.charts['region-trend'].getOption().series.length") >= 1
                        page.wait_for_timeout(300)
                        page.screenshot(path=shots / f"5_region_zh_{width}.png", full_page=True)
                    texts[tab] = page.inner_text(f"#page-{tab}")
                stray = {tab: _latin_words(x, LATIN_OK | set(INDS) | {"serial"}) for tab, x in texts.items()}
                assert not any(stray.values()), stray
                page.click("#tab-downloads")
                with page.expect_download(timeout=120_000) as dl:
                    page.click("#download-report")
                target = tmp_path / f"report_{width}.html"
                dl.value.save_as(target)
                assert t("report.dataset.frame", "zh") not in target.read_text(encoding="utf-8")
                page.click("#tab-overview")
                page.click("#back-default")
                pw.expect(page.locator("#back-default")).to_be_hidden()
                # English: the same page, nothing left in Chinese from the upload report's headings
                page.click("#lang-toggle")
                pw.expect(page.locator("#title")).to_have_text("NQPF dashboard")
                page.click("#tab-data")
                page.screenshot(path=shots / f"4_data_en_{width}.png", full_page=True)
                assert not errors, errors
                page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_region_view_carries_the_report_charts(client, default_run):
    r = client.get(f"/api/runs/{default_run['id']}/regions/420000", params={"period": 2022, "lang": "zh"}).json()
    c = r["charts"]
    sc = next(s for s in r["sections"] if s["key"] == "scores")["rows"]
    # the radar is the scores table's dimension rows (its first row is the overall index), same numbers
    assert [x["score"] for x in c["radar"]] == [x["score"] for x in sc[1:]]
    assert [x["national_mean"] for x in c["radar"]] == [x["national_mean"] for x in sc[1:]]
    # the trend line of each node ends at the year's score in the run's own score table
    s = pd.DataFrame(client.get(f"/api/runs/{default_run['id']}/scores", params={"period": 2022}).json())
    s = s[s["unit"].astype(str) == "420000"].set_index("node")["score"]
    last = {x["node"]: x["score"] for x in c["trend"] if x["period"] == 2022}
    assert last and all(abs(v - s[n]) < 1e-12 for n, v in last.items())
    assert c["trend"][0]["node"] == "index" and c["radar_title"] == catalogue()["web.region.radar"]["zh"]
