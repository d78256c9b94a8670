"""Dashboard server times of the level switch and the productivity view, in-process (FastAPI's test client).

* City run with the default uncertainty (issue 17.6, target ≤ 3 s): ``POST /api/runs`` on cn_cities with
  city-structure-green, then ``GET /ranking?intervals=true`` (the Monte Carlo band the overview shows), each
  on a fresh app (nothing cached but the imports; the first, import-warming repetition is not counted).
* Productivity view (issue 19, target ≤ 300 ms): ``/api/productivity/world`` + ``/api/productivity/provinces``
  as the tab loads them, median of 10 after one warm-up call; the first (computing) call is shown too.

Run: ``.venv/bin/python bench/bench_web_city.py [--reps 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings

from fastapi.testclient import TestClient

from nqpf.web import create_app

LOCAL = "http://127.0.0.1"
CITY = {"dataset": "cn_cities", "framework": "city-structure-green"}
PROD = ("/api/productivity/world?lang=zh", "/api/productivity/provinces?lang=zh")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def city_run(c: TestClient) -> tuple[float, float]:
    """(run s, run + rank intervals s) of one city run on a fresh app."""
    t0 = time.perf_counter()
    r = c.post("/api/runs", json=CITY)
    r.raise_for_status()
    t_run = time.perf_counter() - t0
    c.get(f"/api/runs/{r.json()['id']}/ranking", params={"period": 2015, "intervals": True}).raise_for_status()
    return t_run, time.perf_counter() - t0


def productivity(c: TestClient) -> tuple[float, float]:
    """(first call s, median of 10 after a warm-up s) of the productivity tab's two requests."""
    view = lambda: [c.get(u).raise_for_status() for u in PROD]  # noqa: E731
    first = _timed(view)
    view()
    return first, statistics.median(_timed(view) for _ in range(10))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    runs = []
    for k in range(args.reps + 1):
        with TestClient(create_app(tempfile.mkdtemp()), base_url=LOCAL) as c:
            t = city_run(c)
            if k == 0:
                first, med = productivity(c)
                continue
            runs.append(t)
    run = statistics.median(t[0] for t in runs)
    total = statistics.median(t[1] for t in runs)
    print(f"city run (cn_cities, city-structure-green): {run:.2f} s; with rank intervals {total:.2f} s "
          f"(median of {args.reps}, fresh app each; target ≤ 3 s): {'met' if total <= 3 else 'NOT met'}")
    print(f"productivity view (world + provinces): first call {first * 1000:.0f} ms, then median of 10 "
          f"{med * 1000:.1f} ms (target ≤ 300 ms): {'met' if med <= 0.3 else 'NOT met'}")


if __name__ == "__main__":
    main()
