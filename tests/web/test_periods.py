"""A reversed period range is a 422 naming the fix, not a 500 (``nqpf.data.parse.check_period_range``)."""

from __future__ import annotations


def test_reversed_periods_are_a_clear_422(client):
    r = client.post("/api/runs", json={"periods": "2022-2012"})
    assert r.status_code == 422, r.text
    assert "runs backwards and selects no year; write 2012-2022" in r.text
    assert client.post("/api/runs", json={"periods": "2012-2022"}).status_code == 200
