"""Timing of the city level (issue 17): the city index, 1,000 uncertainty runs, within/between decomposition.

Target (issue 17 §6): the city index with 1,000 uncertainty runs on ~300 cities × 20 years stays interactive in
the dashboard, ≤ 3 s server time. Inputs: the real ``cn_cities`` dataset with ``city-structure-green``
(the units complete in 2005-2015 after the framework's gap filling), and a random lognormal panel of
300 × 20 × 8 with the same 5-dimension shape (timing only; its numbers mean nothing).

Run: ``.venv/bin/python bench/bench_cities.py``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from _common import cpu_seconds, lognormal_panel

import nqpf.datasets as ds
from nqpf.analysis.inequality import within_between
from nqpf.index import build_index
from nqpf.uncertainty.montecarlo import run_uncertainty

TARGET_S = 3.0
VARY = ("treat", "normalize", "weights", "perturb", "aggregate", "exclude")


def timed(fn):
    t0, c0 = time.perf_counter(), cpu_seconds()
    out = fn()
    return out, round(time.perf_counter() - t0, 3), round(cpu_seconds() - c0, 3)


def main() -> None:
    warnings.simplefilter("ignore")
    cc = ds.load("cn_cities")
    rows = []
    res, dt, dc = timed(lambda: build_index(cc, "city-structure-green"))
    U = res.scores["unit"].nunique()
    T = res.scores["period"].nunique()
    rows.append(("index, real cn_cities x city-structure-green", f"{U} x {T} x 8", dt, dc, None))
    n = int(np.ceil(1000 / (len(VARY) + 2)))
    kept = sorted(res.scores["unit"].unique())
    data = cc.data[cc.data["unit"].isin(kept)]
    _, dt, dc = timed(lambda: run_uncertainty(data, "city-structure-green", samples=n, seed=1, vary=VARY))
    rows.append(("1,000 uncertainty runs, real", f"{U} x {T} x 8", dt, dc, TARGET_S))
    long, fw = lognormal_panel(300, 20, 8, 5, seed=0, start=2004, name="city300")
    _, dt, dc = timed(lambda: build_index(long, fw))
    rows.append(("index, random", "300 x 20 x 8", dt, dc, None))
    _, dt, dc = timed(lambda: run_uncertainty(long, fw, samples=n, seed=1, vary=VARY))
    rows.append(("1,000 uncertainty runs, random", "300 x 20 x 8", dt, dc, TARGET_S))
    w = cc.wide(["gdp_nominal", "population_resident"]).dropna().reset_index()
    w["gdppc"] = w["gdp_nominal"] / w["population_resident"] * 1e4
    w["province"] = w["unit"].str[:2]
    w = w[w["period"].between(2004, 2023)]
    _, dt, dc = timed(lambda: within_between(w, "gdppc", "province", "period", unit="unit"))
    rows.append(("within/between (Theil T, L, Dagum), real GDP per head", f"{w['unit'].nunique()} x 20 years", dt,
                 dc, None))
    print(f"{'case':58} {'shape':16} {'wall s':>7} {'cpu s':>7} target")
    for case, shape, dt, dc, tgt in rows:
        ok = "" if tgt is None else (f"<= {tgt} s " + ("met" if dt <= tgt else "MISSED"))
        print(f"{case:58} {shape:16} {dt:7.3f} {dc:7.3f} {ok}")


if __name__ == "__main__":
    main()
