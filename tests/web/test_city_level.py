"""The dashboard's level switch (issue 17.5): a city run on the shipped cn_cities data with the city framework,
its ranking (display ranks, city names), a city's region page and the city map with the 南海诸岛 inset."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from nqpf.index import build_index
from nqpf.index.result import display_rank
from nqpf.report import geo as G
from nqpf.report import geo_city


@pytest.fixture(scope="module")
def city_run(client):
    r = client.get("/api/runs/default", params={"level": "city"})
    assert r.status_code == 200, r.text
    return r.json()


def test_city_run_is_the_librarys_city_index(client, city_run):
    assert city_run["source"] == "dataset:cn_cities"
    assert city_run["settings"]["framework"] == "city-structure-green"
    assert city_run["settings"]["periods"] == "2005-2015"  # the framework's own window
    assert 150 <= city_run["units"] <= 340
    lib = build_index("cn_cities", "city-structure-green")
    api = pd.DataFrame(client.get(f"/api/runs/{city_run['id']}/scores", params={"node": "index"}).json())
    lib_root = lib.scores[lib.scores["node"] == "index"]
    m = lib_root.merge(api, on=["unit", "period", "node"], suffixes=("_lib", "_api"))
    assert len(m) == len(lib_root) == len(api)
    assert (m["score_lib"] - m["score_api"]).abs().max() < 1e-12
    again = client.get("/api/runs/default", params={"level": "city"}).json()
    assert again["id"] == city_run["id"]  # computed once per server


def test_city_ranking_has_names_and_display_ranks(client, city_run):
    body = client.get(f"/api/runs/{city_run['id']}/ranking",
                      params={"period": 2015, "lang": "zh", "intervals": True}).json()
    rows = body["rows"]
    assert len(rows) == city_run["units"]
    by = {r["unit"]: r for r in rows}
    assert by["320100"]["name_zh"] == "南京市" and by["320100"]["name_en"] == "Nanjing"
    scores = pd.Series([r["score"] for r in rows])
    assert [r["rank"] for r in rows] == list(display_rank(scores))
    assert all(1 <= r["rank_p05"] <= r["rank_p95"] <= len(rows) for r in rows)


def test_ranking_ties_on_the_printed_score(client, default_run):
    """Issue 13.5 on the ranking tab: units whose scores print equal (4 decimals) share the best rank."""
    p = max(default_run["periods"])
    rows = client.get(f"/api/runs/{default_run['id']}/ranking", params={"period": p}).json()["rows"]
    shown = [f"{r['score']:.4f}" for r in rows]
    for s in set(shown):
        assert len({r["rank"] for r, x in zip(rows, shown, strict=True) if x == s}) == 1
    assert [r["rank"] for r in rows] == list(display_rank(pd.Series([r["score"] for r in rows])))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_city_region_page(client, city_run, lang):
    r = client.get(f"/api/runs/{city_run['id']}/regions/320100", params={"period": 2015, "lang": lang})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == ("南京市" if lang == "zh" else "Nanjing")
    assert body["group"] == ("江苏" if lang == "zh" else "Jiangsu")  # the parent province by name, not its code
    keys = [s["key"] for s in body["sections"]]
    assert keys[:4] == ["scores", "peers", "strengths", "weaknesses"] and "guide" in keys
    peers = next(s for s in body["sections"] if s["key"] == "peers")["rows"]
    assert peers and not any(str(p["group"]).isdigit() for p in peers)
    assert {c["node"] for c in body["charts"]["radar"]}  # the dimensions of the city framework


def test_city_map_has_the_inset_and_every_ranked_city(client, city_run):
    r = client.get("/api/geo/cities")
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    gj = json.loads(r.content)
    info = gj[G.INFO_KEY]
    assert info["map_name"] != G.ECHARTS_MAP_NAME  # both levels stay registered in the page
    inset = [f for f in gj["features"] if G.is_inset(f)]
    assert len(inset) == 1 and inset[0]["properties"]["id"] == G.INSET_ID
    assert info["inset_items"]["zh"][0]["name"] == G.INSET_NAME
    ref = geo_city.city_geometry()
    assert info["caption"] == {lang: G.caption(ref, lang) for lang in ("zh", "en")}
    assert "示意图" in info["caption"]["zh"]
    codes = {f["properties"]["id"] for f in gj["features"]}
    assert codes == {f["properties"]["id"] for f in ref["features"]}
    ranked = {x["unit"] for x in client.get(f"/api/runs/{city_run['id']}/ranking", params={"period": 2015}).json()["rows"]}
    assert ranked <= codes
    plain = client.get("/api/geo/cities", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and json.loads(plain.content)["features"] == gj["features"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_download_from_the_city_run(client, city_run, lang):
    """Issue 17: the report download of a city run is the city-level report (the run the dashboard holds,
    not a provincial rebuild): every ranked city in it, the map's 南海诸岛 inset, no raw ids in the zh page."""
    r = client.get(f"/api/runs/{city_run['id']}/download/report.html", params={"period": 2015, "lang": lang})
    assert r.status_code == 200, r.text[:500]
    html = r.text
    assert ("南京市" if lang == "zh" else "Nanjing") in html
    assert G.INSET_NAME in html  # the South China Sea islands inset of the city map
    assert not re.search(r"<td[^>]*>\s*(\d{6})\s*</td>\s*<td[^>]*>\s*\1\s*</td>", html)  # a code as its name
    assert ("内置数据集" if lang == "zh" else "built-in dataset cn_cities") in html  # not "data you provided"
    if lang == "zh":
        assert "city-structure-green" not in html and "dataset:cn_cities" not in html
    x = client.get(f"/api/runs/{city_run['id']}/download/report.xlsx", params={"period": 2015, "lang": lang})
    assert x.status_code == 200, x.text[:500]
    from io import BytesIO

    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(x.content), read_only=True)
    cells = [c for ws in wb for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert ("南京市" if lang == "zh" else "Nanjing") in cells
