"""Dashboard API through FastAPI's test client: contracts, storage, limits, JSON errors, formula injection."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from nqpf.index import build_index
from nqpf.web import create_app

LOCAL = "http://127.0.0.1"  # the server answers loopback Host names only
OCTET = {"content-type": "application/octet-stream"}  # the upload content type it requires


def test_default_run_matches_library(client, default_run):
    # the API's scores are the library's scores (a second path to the same numbers)
    assert default_run["settings"]["periods"] == "2012-2023"  # the framework's own coverage window
    # … and its declared method, resolved by the same rule as the library's
    assert default_run["settings"]["weights"] == "fixed" and default_run["settings"]["treat"] == "skewkurt"
    assert default_run["settings"]["options"] == {"impute_limit": 1}
    lib = build_index("cn_provinces", "nqpf-core").scores
    api = pd.DataFrame(client.get(f"/api/runs/{default_run['id']}/scores").json())
    m = lib.merge(api, on=["unit", "period", "node"], suffixes=("_lib", "_api"))
    assert len(m) == len(lib) == len(api)
    assert (m["score_lib"] - m["score_api"]).abs().max() < 1e-12
    assert (m["rank_lib"] == m["rank_api"]).all()


def test_ranking_sorted_and_named(client, default_run):
    p = max(default_run["periods"])
    body = client.get(f"/api/runs/{default_run['id']}/ranking", params={"period": p}).json()
    ranks = [r["rank"] for r in body["rows"]]
    assert ranks == sorted(ranks) and ranks[0] == 1
    assert len(body["rows"]) == default_run["units"]


def test_recompute_changes_method_and_reports_shift(client, default_run):
    r = client.post("/api/runs", json={"weights": "equal", "normalize": "zscore"})
    assert r.status_code == 200, r.text
    other = r.json()
    p = max(other["periods"])
    body = client.get(f"/api/runs/{other['id']}/ranking", params={"period": p, "base": default_run["id"]}).json()
    shifts = [row["shift"] for row in body["rows"]]
    assert sum(shifts) == 0  # rank shifts of a permutation sum to zero
    assert any(s != 0 for s in shifts)


def test_runs_survive_restart(tmp_path):
    from fastapi.testclient import TestClient

    with TestClient(create_app(tmp_path), base_url=LOCAL) as c:
        rid = c.post("/api/runs", json={}).json()["id"]
        first = c.get(f"/api/runs/{rid}/scores").json()
    with TestClient(create_app(tmp_path), base_url=LOCAL) as c:
        assert c.get(f"/api/runs/{rid}/scores").json() == first
    assert {p.name for p in tmp_path.iterdir()} <= {"nqpf.sqlite", "nqpf.sqlite-wal", "nqpf.sqlite-shm", "tmp"}


def test_unknown_ids_are_json_404(client):
    for url in ("/api/runs/run_nope/scores", "/api/uploads/up_nope", "/api/runs/../../etc/passwd/scores"):
        r = client.get(url)
        assert r.status_code == 404
        assert "error" in r.json()


def test_bad_settings_are_json_422(client):
    r = client.post("/api/runs", json={"weights": "magic"})
    assert r.status_code == 422 and r.json()["error"] == "invalid request"
    r = client.post("/api/runs", json={"framework": "no-such-framework"})
    assert r.status_code == 422 and "no-such-framework" in r.json()["error"]
    r = client.post("/api/runs", json={"dataset": "nope"})
    assert r.status_code == 422 and "cn_provinces" in r.json()["error"]


def test_upload_limit_enforced(client):
    big = b"unit,period,x\n" + b"110000,2020,1\n" * 20_000  # > 200 kB limit of the fixture
    r = client.post("/api/uploads", headers=OCTET, params={"filename": "big.csv"}, content=big)
    assert r.status_code == 413 and "limit" in r.json()["error"]


def test_upload_broken_file_lists_rows(client):
    text = "unit,period,rd,patents\n北京,2020,1.5,10\n北京,2020,1.6,10\nAtlantis,2021,2,3\n上海,20x1,abc,4\n"
    r = client.post("/api/uploads", headers=OCTET, params={"filename": "broken.csv"}, content=text.encode("gbk"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is False
    wheres = " ".join(p["where"] for p in body["report"]["problems"])
    assert "row" in wheres
    assert any("Atlantis" in (p["message"] + p["where"]) for p in body["report"]["problems"])


def test_upload_content_checked_not_extension(client):
    r = client.post("/api/uploads", headers=OCTET, params={"filename": "data.xlsx"}, content=b"\x00\x01garbage")
    assert r.status_code in (200, 422)
    body = r.json()
    assert (body.get("ok") is False) or ("error" in body)


def test_upload_good_file_and_compute(client):
    rows = ["unit,period,a,b,c"]
    vals = {"北京": (9, 1, 5), "上海": (8, 2, 6), "广东": (7, 3, 9), "四川": (3, 5, 2)}
    for name, (a, b, c) in vals.items():
        for y in (2020, 2021):
            rows.append(f"{name},{y},{a + (y - 2020)},{b},{c}")
    r = client.post("/api/uploads", headers=OCTET, params={"filename": "good.csv"}, content="\n".join(rows).encode("utf-8"))
    body = r.json()
    assert body["ok"] is True, body
    run = client.post("/api/runs", json={"upload": body["id"], "dataset": None, "framework": "auto"})
    assert run.status_code == 200, run.text
    ranking = client.get(f"/api/runs/{run.json()['id']}/ranking", params={"period": 2021}).json()
    assert sorted(r["rank"] for r in ranking["rows"]) == [1, 2, 3, 4]
    assert {r["unit"] for r in ranking["rows"]} == {"110000", "310000", "440000", "510000"}  # names normalised


def test_csv_download_neutralises_formulas(client):
    rows = ["unit,period,a,b", "=cmd|' /C calc'!A0,2020,1,2", "@SUM(1),2020,2,3", "+x,2020,3,1", "-y,2020,4,5"]
    r = client.post("/api/uploads", headers=OCTET, params={"filename": "inj.csv", "units": "none"}, content="\n".join(rows).encode())
    body = r.json()
    assert body["ok"] is True, body
    run = client.post("/api/runs", json={"upload": body["id"], "dataset": None, "framework": "auto"}).json()
    csv_text = client.get(f"/api/runs/{run['id']}/download/scores.csv").content.decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(csv_text)) for c in row]
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert any(c.startswith("'=") for c in cells)


def test_openapi_lists_api(client):
    spec = client.get("/openapi.json").json()
    assert "/api/runs" in spec["paths"] and "/api/uploads" in spec["paths"]


def test_rank_intervals_bracket_nominal_rank(client, default_run):
    p = max(default_run["periods"])
    body = client.get(f"/api/runs/{default_run['id']}/ranking", params={"period": p, "intervals": True}).json()
    rows = body["rows"]
    assert all(1 <= r["rank_p05"] <= r["rank_p95"] <= len(rows) for r in rows)
    # nominal ranks need not lie inside a 5-95 % band, but for most units they do
    inside = sum(r["rank_p05"] <= r["rank"] <= r["rank_p95"] for r in rows)
    assert inside >= 0.7 * len(rows)
    # the cached second call gives the same band
    again = client.get(f"/api/runs/{default_run['id']}/ranking", params={"period": p, "intervals": True}).json()
    assert again["rows"] == rows


def test_ranking_dimension_and_unknown_node(client, default_run):
    p = max(default_run["periods"])
    dim = client.get(f"/api/runs/{default_run['id']}/ranking", params={"period": p, "node": "laborers"}).json()
    lib = build_index("cn_provinces", "nqpf-core").scores
    lib = lib[(lib["node"] == "laborers") & (lib["period"] == p)].set_index("unit")["rank"]
    assert {r["unit"]: r["rank"] for r in dim["rows"]} == {str(k): int(v) for k, v in lib.items()}
    r = client.get(f"/api/runs/{default_run['id']}/ranking", params={"period": p, "node": "nope"})
    assert r.status_code == 404 and "laborers" in r.json()["error"]
    r = client.get(f"/api/runs/{default_run['id']}/ranking", params={"period": 1990})
    assert r.status_code == 422 and "2023" in r.json()["error"]


def test_region_profile_and_guide(client, default_run):
    r = client.get(f"/api/runs/{default_run['id']}/regions/440000", params={"period": 2022, "lang": "en"})
    assert r.status_code == 200, r.text
    body = r.json()
    keys = [s["key"] for s in body["sections"]]
    assert keys[0] == "scores" and "guide" in keys and "type" in keys
    scores = body["sections"][0]["rows"]
    ranking = client.get(f"/api/runs/{default_run['id']}/ranking", params={"period": 2022}).json()["rows"]
    gd_rank = next(x["rank"] for x in ranking if x["unit"] == "440000")
    assert scores[0]["rank"] == gd_rank  # the profile's overall rank is the ranking's
    guide = next(s for s in body["sections"] if s["key"] == "guide")
    assert guide["items"] and all(i["title"] and i["why"] for i in guide["items"])
    zh = client.get(f"/api/runs/{default_run['id']}/regions/440000", params={"period": 2022, "lang": "zh"}).json()
    assert zh["name"] == "广东"
    assert client.get(f"/api/runs/{default_run['id']}/regions/999999", params={"period": 2022}).status_code == 404


def test_productivity_views(client):
    w = client.get("/api/productivity/world").json()
    assert {r["unit"] for r in w["growth"]} == {"CHN", "USA", "DEU", "JPN"}
    usa = [r["value"] for r in w["levels"] if r["unit"] == "USA"]
    assert usa and all(abs(v - 1) < 1e-6 for v in usa)  # ctfp is relative to the USA (PWT definition)
    # growth accounting reproduces PWT's rtfpna growth (see nqpf.productivity.growth.compare_with_pwt)
    assert all(c["max_abs_deviation"] < 1e-3 for c in w["check"])
    p = client.get("/api/productivity/provinces", params={"lang": "en"}).json()
    assert 25 <= len(p["rows"]) <= 31 and "proxy" in p["note"] and "540000" in p["note"]
    for row in p["rows"]:  # GML = EC × TC per year, so the means cannot both be far from the index
        assert row["cum_tfpch"] > 0 and row["tfpch"] > 0


def test_mapping_to_framework(client):
    lines = ["unit,period,rd,pat,edu"]
    for i, name in enumerate(["北京", "上海", "广东", "四川", "河南", "湖北"]):
        for y in (2020, 2021):
            lines.append(f"{name},{y},{i + 1 + (y - 2020)},{(i * 3) % 6 + 1},{6 - i}")
    up = client.post("/api/uploads", headers=OCTET, params={"filename": "m.csv"}, content="\n".join(lines).encode()).json()
    assert up["ok"], up
    mapping = {"rd_intensity_calc": "rd", "invention_grants_per_10k": "pat", "students_higher_edu_per_10k": "edu"}
    r = client.post("/api/runs", json={"upload": up["id"], "framework": "nqpf-core", "mapping": mapping,
                                       "weights": "equal"})
    assert r.status_code == 200, r.text
    nodes = client.get(f"/api/runs/{r.json()['id']}/labels").json()["nodes"]
    assert {n["id"] for n in nodes if n["is_leaf"]} == set(mapping)
    assert {"index", "laborers", "means_of_labor", "means_technology"} <= {n["id"] for n in nodes}
    # equal weights, min-max: the root score is a mean of the mapped leaves' normalised values (textbook identity)
    s = pd.DataFrame(client.get(f"/api/runs/{r.json()['id']}/scores", params={"period": 2021}).json())
    assert s["score"].between(0, 1).all()
    bad = client.post("/api/runs", json={"upload": up["id"], "framework": "nqpf-core", "mapping": {"nope": "rd"}})
    assert bad.status_code == 422 and "rd_intensity_calc" in bad.json()["error"]
    bad = client.post("/api/runs", json={"upload": up["id"], "framework": "nqpf-core",
                                         "mapping": {"rd_intensity_calc": "zzz"}})
    assert bad.status_code == 422 and "edu" in bad.json()["error"]
    bad = client.post("/api/runs", json={"framework": "nqpf-core", "mapping": {"rd_intensity_calc": "rd"}})
    assert bad.status_code == 422


def test_auto_framework_equal_weights_is_mean(client):
    rows = ["unit,period,a,b", "110000,2020,1,4", "310000,2020,3,2", "440000,2020,2,6"]
    up = client.post("/api/uploads", headers=OCTET, params={"filename": "ab.csv"}, content="\n".join(rows).encode()).json()
    run = client.post("/api/runs", json={"upload": up["id"], "framework": "auto", "weights": "equal"}).json()
    s = pd.DataFrame(client.get(f"/api/runs/{run['id']}/scores", params={"node": "index"}).json()).set_index("unit")
    # min-max: a -> 0, 1, .5 ; b -> .5, 0, 1 ; equal-weight mean -> .25, .5, .75
    assert s.loc["110000", "score"] == pytest.approx(0.25)
    assert s.loc["310000", "score"] == pytest.approx(0.5)
    assert s.loc["440000", "score"] == pytest.approx(0.75)


def test_reports_download_and_xlsx_neutralised(client):
    rows = ["unit,period,a,b", "=HYPERLINK(\"x\"),2020,1,2", "@SUM(1),2020,2,3", "+x,2020,3,1", "-y,2020,4,5",
            "ok,2020,5,5"]
    up = client.post("/api/uploads", headers=OCTET, params={"filename": "inj.csv", "units": "none"}, content="\n".join(rows).encode())
    run = client.post("/api/runs", json={"upload": up.json()["id"], "framework": "auto"}).json()
    r = client.get(f"/api/runs/{run['id']}/download/report.xlsx", params={"period": 2020})
    assert r.status_code == 200, r.text
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(r.content))
    texts = [c.value for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(v.startswith(("=", "+", "@")) for v in texts)
    assert any(v.startswith("'=HYPERLINK") for v in texts)
    assert not any(c.data_type == "f" for ws in wb for row in ws.iter_rows() for c in row)
    h = client.get(f"/api/runs/{run['id']}/download/report.html", params={"period": 2020, "lang": "zh"})
    assert h.status_code == 200 and h.headers["content-type"].startswith("text/html") and "<html" in h.text.lower()
    assert h.headers["content-disposition"].startswith("attachment")


def test_request_timeout_is_json_504(tmp_path):
    from fastapi.testclient import TestClient

    with TestClient(create_app(tmp_path, request_timeout=0.05), base_url=LOCAL) as c:
        r = c.post("/api/runs", json={"weights": "critic"})  # an index build takes > 0.05 s
        assert r.status_code == 504 and "longer than" in r.json()["error"]
        assert c.get("/api/health").json() == {"status": "ok"}


def test_errors_are_json_never_tracebacks(client):
    for method, url, kw in [("get", "/api/nope", {}), ("post", "/api/runs", {"content": b"{not json"}),
                            ("get", "/api/runs/x/ranking", {"params": {"period": "abc"}}),
                            ("post", "/api/uploads", {"content": b""})]:
        r = getattr(client, method)(url, **kw)
        assert 400 <= r.status_code < 500
        body = r.json()
        assert "error" in body and "Traceback" not in r.text


def test_dashboard_cache_dedupes_and_evicts(tmp_path):
    import threading
    import time as _time

    from nqpf.web.app import Dashboard

    d = Dashboard(tmp_path, max_upload_bytes=1, max_rows=1, max_cols=1, max_cached=3)
    calls = []

    def slow():
        calls.append(1)
        _time.sleep(0.05)
        return 42

    ts = [threading.Thread(target=lambda: d.cached(("result", "x"), slow)) for _ in range(20)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert len(calls) == 1  # 20 concurrent askers, one computation
    d.put(("dataset", "keep"), 1)
    for i in range(10):
        d.put(("run", str(i)), i)
    keys = set(d._cache)
    assert ("dataset", "keep") in keys  # pinned entries are never evicted
    assert {k for k in keys if k[0] == "run"} == {("run", "7"), ("run", "8"), ("run", "9")}


def test_mapped_tree_equals_flat_auto_under_leaf_weights(client):
    # identity: with weight_scope='leaves' and arithmetic aggregation the root is the leaf-weighted sum of the
    # normalised leaves, whatever the tree; so mapping a, b, c onto nqpf-core leaves in different dimensions
    # must give the same root scores as the flat 'auto' framework over a, b, c
    lines = ["unit,period,a,b,c"]
    for i, name in enumerate(["北京", "上海", "广东", "四川", "河南"]):
        for y in (2020, 2021):
            lines.append(f"{name},{y},{i + y - 2019},{5 - i},{(i * 7) % 5 + 1}")
    up = client.post("/api/uploads", headers=OCTET, params={"filename": "g.csv"}, content="\n".join(lines).encode()).json()
    same = {"weights": "entropy", "treat": "none", "impute": "none"}  # nqpf-core declares its own method
    auto = client.post("/api/runs", json={"upload": up["id"], "framework": "auto", **same}).json()
    mapped = client.post("/api/runs", json={"upload": up["id"], "framework": "nqpf-core", **same, "mapping": {
        "rd_intensity_calc": "a", "invention_grants_per_10k": "b", "students_higher_edu_per_10k": "c"}}).json()
    sa = pd.DataFrame(client.get(f"/api/runs/{auto['id']}/scores", params={"node": "index"}).json())
    sm = pd.DataFrame(client.get(f"/api/runs/{mapped['id']}/scores", params={"node": "index"}).json())
    m = sa.merge(sm, on=["unit", "period"])
    assert len(m) == 10 and (m["score_x"] - m["score_y"]).abs().max() < 1e-12
    dims = pd.DataFrame(client.get(f"/api/runs/{mapped['id']}/scores", params={"node": "laborers"}).json())
    assert len(dims) == 10  # the tree really has its dimensions
