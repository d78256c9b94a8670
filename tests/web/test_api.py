"""Dashboard API through FastAPI's test client: contracts, storage, limits, JSON errors, formula injection."""

from __future__ import annotations

import csv
import io

import pandas as pd

from nqpf.index import build_index
from nqpf.web import create_app


def test_default_run_matches_library(client, default_run):
    # the API's scores are the library's scores (a second path to the same numbers)
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

    with TestClient(create_app(tmp_path)) as c:
        rid = c.post("/api/runs", json={}).json()["id"]
        first = c.get(f"/api/runs/{rid}/scores").json()
    with TestClient(create_app(tmp_path)) as c:
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
    r = client.post("/api/uploads", params={"filename": "big.csv"}, content=big)
    assert r.status_code == 413 and "limit" in r.json()["error"]


def test_upload_broken_file_lists_rows(client):
    text = "unit,period,rd,patents\n北京,2020,1.5,10\n北京,2020,1.6,10\nAtlantis,2021,2,3\n上海,20x1,abc,4\n"
    r = client.post("/api/uploads", params={"filename": "broken.csv"}, content=text.encode("gbk"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is False
    wheres = " ".join(p["where"] for p in body["report"]["problems"])
    assert "row" in wheres
    assert any("Atlantis" in (p["message"] + p["where"]) for p in body["report"]["problems"])


def test_upload_content_checked_not_extension(client):
    r = client.post("/api/uploads", params={"filename": "data.xlsx"}, content=b"\x00\x01garbage")
    assert r.status_code in (200, 422)
    body = r.json()
    assert (body.get("ok") is False) or ("error" in body)


def test_upload_good_file_and_compute(client):
    rows = ["unit,period,a,b,c"]
    vals = {"北京": (9, 1, 5), "上海": (8, 2, 6), "广东": (7, 3, 9), "四川": (3, 5, 2)}
    for name, (a, b, c) in vals.items():
        for y in (2020, 2021):
            rows.append(f"{name},{y},{a + (y - 2020)},{b},{c}")
    r = client.post("/api/uploads", params={"filename": "good.csv"}, content="\n".join(rows).encode("utf-8"))
    body = r.json()
    assert body["ok"] is True, body
    run = client.post("/api/runs", json={"upload": body["id"], "dataset": None, "framework": "auto"})
    assert run.status_code == 200, run.text
    ranking = client.get(f"/api/runs/{run.json()['id']}/ranking", params={"period": 2021}).json()
    assert sorted(r["rank"] for r in ranking["rows"]) == [1, 2, 3, 4]
    assert {r["unit"] for r in ranking["rows"]} == {"110000", "310000", "440000", "510000"}  # names normalised


def test_csv_download_neutralises_formulas(client):
    rows = ["unit,period,a,b", "=cmd|' /C calc'!A0,2020,1,2", "@SUM(1),2020,2,3", "+x,2020,3,1", "-y,2020,4,5"]
    r = client.post("/api/uploads", params={"filename": "inj.csv", "units": "none"}, content="\n".join(rows).encode())
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
