"""Issue 11, item 11: DNS rebinding, CSRF, content types, security headers, upload quota and deletion, temp
clean-up, loopback bind. Through FastAPI's test client (the real-server versions are in test_hostile.py and
scripts/reliability_table.py)."""

from __future__ import annotations

import inspect

import pytest
from fastapi.testclient import TestClient

from nqpf.web import create_app
from nqpf.web.security import allowed_host_names, check_request, host_name

LOCAL = "http://127.0.0.1:8000"
OCTET = {"content-type": "application/octet-stream"}
GOOD = b"unit,period,x\n110000,2020,1\n120000,2020,2\n"


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("sec")


@pytest.fixture(scope="module")
def c(app_dir):
    with TestClient(create_app(app_dir, max_uploads=3, allowed_hosts=["nqpf.lan"]), base_url=LOCAL) as client:
        yield client


def _up(c, headers=None, body=GOOD, **params):
    return c.post("/api/uploads", params={"filename": "g.csv", **params}, content=body,
                  headers=OCTET if headers is None else headers)


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "LOCALHOST.", "[::1]:8000", "127.8.9.1",
                                  "nqpf.lan:8000"])
def test_loopback_and_named_hosts_answered(c, host):
    r = c.get("/api/health", headers={"host": host})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "localhost.evil",
                                  "nqpf.lan.evil.example", "0.0.0.0:8000", "192.168.1.5"])
def test_foreign_host_refused(c, host):
    # a DNS-rebinding page reaches 127.0.0.1 under its own name: refused before any route runs
    for method, url in (("get", "/"), ("get", "/api/runs"), ("post", "/api/uploads")):
        r = getattr(c, method)(url, headers={"host": host, **OCTET})
        assert r.status_code == 400 and r.json()["code"] == "host_not_allowed", (method, url, r.text)


def test_cross_site_state_changes_refused(c):
    before = len(c.get("/api/uploads").json())
    for extra in ({"origin": "https://evil.example"}, {"origin": "null"}, {"origin": "http://127.0.0.1:9999"},
                  {"origin": "http://localhost:8000"},  # same host name, other origin
                  {"referer": "https://evil.example/page"}):
        r = _up(c, headers={**OCTET, **extra})
        assert (r.status_code, r.json()["code"]) == (403, "origin_forbidden"), (extra, r.text)
        r = c.post("/api/runs", json={}, headers=extra)
        assert r.status_code == 403, extra
    assert len(c.get("/api/uploads").json()) == before  # nothing was stored
    # reading is not a state change; a same-origin page and non-browser clients may post
    assert c.get("/api/uploads", headers={"origin": "https://evil.example"}).status_code == 200
    r = _up(c, headers={**OCTET, "origin": LOCAL, "referer": LOCAL + "/"})
    assert r.status_code == 200 and r.json()["ok"] is True
    c.delete(f"/api/uploads/{r.json()['id']}")


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded", "application/json"])
def test_upload_needs_its_content_type(c, ctype):
    r = _up(c, headers={} if ctype is None else {"content-type": ctype})
    assert (r.status_code, r.json()["code"]) == (415, "unsupported_media_type"), r.text


def test_multipart_upload_accepted(c):
    r = c.post("/api/uploads", files={"file": ("mine.csv", GOOD, "text/csv")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True and body["filename"] == "mine.csv" and body["n_rows"] == 2
    c.delete(f"/api/uploads/{body['id']}")
    bad = c.post("/api/uploads", files={"other": ("x.csv", GOOD, "text/csv")})
    assert bad.status_code == 422 and "file" in bad.json()["error"]


def test_security_headers_on_pages_api_and_errors(c):
    for url in ("/", "/static/app.js", "/api/health", "/api/nope"):
        h = c.get(url).headers
        assert h["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert "script-src 'self'" in h["content-security-policy"]
        assert h["referrer-policy"] == "no-referrer" and h["x-frame-options"] == "DENY"
    assert "content-security-policy" in c.get("/", headers={"host": "evil.example"}).headers
    # the API docs page loads Swagger UI from its CDN: a wider policy there only, still unframeable
    docs = c.get("/docs").headers["content-security-policy"]
    assert "cdn.jsdelivr.net" in docs and "frame-ancestors 'none'" in docs
    assert "cdn.jsdelivr.net" not in c.get("/").headers["content-security-policy"]


def test_quota_and_delete(c):
    for u in c.get("/api/uploads").json():
        assert c.delete(f"/api/uploads/{u['id']}").json() == {"id": u["id"], "deleted": True}
    ids = [_up(c).json()["id"] for _ in range(3)]
    r = _up(c)
    assert (r.status_code, r.json()["code"]) == (413, "quota_exceeded") and "DELETE" in r.json()["error"]
    assert c.delete(f"/api/uploads/{ids[0]}", headers={"origin": "https://evil.example"}).status_code == 403
    assert c.delete(f"/api/uploads/{ids[0]}").status_code == 200
    assert c.get(f"/api/uploads/{ids[0]}").status_code == 404
    assert c.delete(f"/api/uploads/{ids[0]}").status_code == 404  # already gone
    assert _up(c).status_code == 200  # room again
    # a run from a deleted upload cannot start
    gone = ids[1]
    c.delete(f"/api/uploads/{gone}")
    assert c.post("/api/runs", json={"upload": gone, "dataset": None, "framework": "auto"}).status_code == 404


def test_upload_size_limit_streaming_and_declared(tmp_path):
    with TestClient(create_app(tmp_path, max_upload_bytes=1000), base_url=LOCAL) as c:
        r = _up(c, body=b"unit,period,x\n" + b"110000,2020,1\n" * 200)
        assert (r.status_code, r.json()["code"]) == (413, "upload_too_large")

        def chunks():  # no Content-Length: the limit holds while streaming
            for _ in range(200):
                yield b"110000,2020,1\n"

        r = c.post("/api/uploads", content=chunks(), headers=OCTET)
        assert (r.status_code, r.json()["code"]) == (413, "upload_too_large")
        assert c.get("/api/uploads").json() == []


def test_temp_copies_removed_on_start(tmp_path):
    left = tmp_path / "tmp" / "tmpabc123"
    left.mkdir(parents=True)
    (left / "upload.xlsx").write_bytes(b"half a file")
    (tmp_path / "tmp" / "stray.bin").write_bytes(b"x")
    create_app(tmp_path)
    assert list((tmp_path / "tmp").iterdir()) == []


def test_bind_is_loopback_by_default_and_host_joins_allowed():
    from nqpf.cli import cmd_serve

    default = inspect.signature(cmd_serve.serve).parameters["host"].default
    assert default.default == "127.0.0.1"
    assert allowed_host_names(["0.0.0.0", "::"]) == allowed_host_names()  # a wildcard bind names no host
    assert "box.local" in allowed_host_names(["Box.Local."])
    assert host_name("[::1]:80") == "::1" and host_name("Example.COM:1") == "example.com"


def test_check_request_rules():
    allowed = allowed_host_names()
    check_request("GET", {"host": "localhost:1"}, allowed)
    check_request("POST", {"host": "localhost:1"}, allowed)  # curl: no Origin, no Referer
    check_request("POST", {"host": "localhost:1", "origin": "http://localhost:1"}, allowed)
    for headers in ({"host": "localhost:1", "origin": "http://localhost:2"},
                    {"host": "localhost:1", "origin": "file://"},
                    {"host": "localhost:1", "referer": "http://evil/"},
                    {"host": ""}):
        with pytest.raises(Exception) as e:
            check_request("DELETE", headers, allowed)
        assert e.value.code in ("origin_forbidden", "host_not_allowed")
