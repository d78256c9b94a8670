from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from nqpf.web import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("webdata"), max_upload_bytes=200_000)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture(scope="module")
def default_run(client):
    r = client.post("/api/runs", json={})
    assert r.status_code == 200, r.text
    return r.json()
