"""Scale benchmarks (issue 6, "Scale"): county- and firm-scale panels.

Panels (synthetic lognormal inputs, seed 0 — timing only, their numbers mean nothing):
  county  2,800 units × 12 years × 40 indicators (33,600 unit-years)
  firm    5,000 units × 15 years × 30 indicators (75,000 unit-years)
Targets on 2 cores: composite index (build_index, defaults) ≤ 2 s; uncertainty analysis with 1,000
replications ≤ 60 s; DEA CCR (input-oriented, 3 inputs × 2 outputs) per year ≤ 10 s; memory ≤ 4 GB
(peak resident set size of this process, which runs everything; each case is also timed on its own).

The uncertainty case varies treat, normalize, weights, perturb, aggregate and exclude (k = 6, default
options) with n = 125 base samples: n (k + 2) = 1,000 runs; ``--backend`` chooses the backend (default
auto, which uses worker processes on 2 cores for this much work).

Run: ``.venv/bin/python bench/bench_scale.py [--only county|firm] [--backend auto]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings

import numpy as np
import pandas as pd
from _common import cpu_seconds, lognormal_panel

PANELS = {"county": (2800, 12, 40), "firm": (5000, 15, 30)}
TARGETS = {"index_s": 2.0, "uncertainty_s": 60.0, "dea_per_year_s": 10.0, "peak_rss_gb": 4.0}
VARY = ("treat", "normalize", "weights", "perturb", "aggregate", "exclude")


def synthetic(U: int, T: int, L: int, D: int = 5, seed: int = 0):
    return lognormal_panel(U, T, L, D, seed=seed, start=2010, trend=0.03, noise=0.6, cost_mod=9, cost_rem=4,
                           unit_digits=5, name=f"scale{L}")


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run_panel(name: str, backend: str) -> dict:
    from nqpf.index import build_index
    from nqpf.uncertainty.montecarlo import run_uncertainty

    U, T, L = PANELS[name]
    wide, fw = synthetic(U, T, L)
    row: dict = {"panel": f"{name} {U}×{T}×{L}"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0, c0 = time.perf_counter(), cpu_seconds()
        build_index(wide, fw)
        row["index_s"] = round(time.perf_counter() - t0, 2)
        row["index_cpu_s"] = round(cpu_seconds() - c0, 2)
        n = int(np.ceil(1000 / (len(VARY) + 2)))
        t0, c0 = time.perf_counter(), cpu_seconds()
        res = run_uncertainty(wide, fw, samples=n, seed=1, vary=VARY, backend=backend, n_boot=1000)
        row["uncertainty_s"] = round(time.perf_counter() - t0, 2)
        row["uncertainty_cpu_s"] = round(cpu_seconds() - c0, 2)
        row["uncertainty_runs"] = res.manifest["design"]["runs"]
        row["uncertainty_backend"] = (
            f"{res.manifest['execution']['backend']}×{res.manifest['execution']['workers']}"
        )
        del res
    try:
        from nqpf.productivity.dea import dea
    except ImportError:
        row["dea_per_year_s"] = "n/a (nqpf.productivity.dea not present)"
    else:
        rng = np.random.default_rng(1)
        df = pd.DataFrame({"unit": np.repeat(wide.index.levels[0], T), "period": np.tile(np.arange(T), U)})
        for c in ("k", "l", "e", "y1", "y2"):
            df[c] = rng.uniform(1, 100, len(df))
        t0, c0 = time.perf_counter(), cpu_seconds()
        out = dea(
            df,
            ["k", "l", "e"],
            ["y1", "y2"],
            id="unit",
            period="period",
            model="ccr",
            orientation="input",
            slacks=False,
        )
        row["dea_per_year_s"] = round((time.perf_counter() - t0) / T, 2)
        row["dea_per_year_cpu_s"] = round((cpu_seconds() - c0) / T, 2)
        row["dea_rows"] = len(out)
    row["peak_rss_gb"] = round(peak_gb(), 2)
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=sorted(PANELS), default=None)
    ap.add_argument("--backend", default="auto")
    args = ap.parse_args()
    print(
        f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f} (…_s = wall clock, …_cpu_s = CPU time of "
        "this process and its workers; on a shared machine wall time grows with the load)",
        flush=True,
    )
    rows = []
    for name in [args.only] if args.only else list(PANELS):
        rows.append(run_panel(name, args.backend))
        print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    print(df.to_string(index=False))
    for key, lim in TARGETS.items():
        vals = pd.to_numeric(df.get(key), errors="coerce")
        if vals is not None and vals.notna().any():
            worst = float(vals.max())
            print(f"{key}: worst {worst} vs target ≤ {lim}: {'meets' if worst <= lim else 'MISSES'}")


if __name__ == "__main__":
    main()
