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

Backends (issue 20): ``--backends sequential,processes,dask`` runs the uncertainty case alone, once per
backend, each in a fresh interpreter (so every case has its own peak RSS: the parent's and its largest
worker's), on ``--units`` firms × 15 years × 30 indicators with 1,000 runs, and prints a table of wall time,
CPU time, peak RSS, speed-up against sequential, the context size and the measured per-run cost; then a
projection table for 8, 32 and 128 workers from the measured numbers (model in :func:`projection`). Every row
carries the machine's load average (1, 5 and 15 minutes) just before and after its case, and the comparison
starts and ends with ``uptime``: on a shared machine wall times and speed-ups mean little when the load
exceeds the number of cores (CPU times are less affected). With worker processes (processes, Dask with
worker processes) the normalised blocks are built on the workers; ``phases_s`` gives the analysis' own
timings (``blocks`` includes the start of the workers).

Run: ``.venv/bin/python bench/bench_scale.py [--only county|firm] [--backend auto]`` or
``.venv/bin/python bench/bench_scale.py --backends sequential,processes,dask --units 5000 [--workers 2]
[--blocks auto|client|workers]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
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


def uncertainty_case(units: int, backend: str, workers: int, runs: int = 1000, blocks: str = "auto") -> dict:
    """One uncertainty analysis (firm-shaped panel, ``runs`` runs) in this interpreter; its measurements."""
    from nqpf.uncertainty.montecarlo import run_uncertainty

    wide, fw = synthetic(units, 15, 30)
    load_before = [round(x, 2) for x in os.getloadavg()]
    n = int(np.ceil(runs / (len(VARY) + 2)))
    kw = {"workers": workers, "blocks": blocks} if backend != "sequential" else {}
    if backend == "dask":
        kw["dask_processes"] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0, c0 = time.perf_counter(), cpu_seconds()
        res = run_uncertainty(wide, fw, samples=n, seed=1, vary=VARY, backend=backend, n_boot=1000, **kw)
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    ex, tm = res.manifest["execution"], res.manifest["timings_s"]
    n_blocks = len(res.manifest["factors"]["treat"]["options"]) * len(res.manifest["factors"]["normalize"]["options"])
    ctx_gb = n_blocks * units * 15 * 30 * 8 / 2**30  # the normalised blocks (float64), the bulk of the context
    runs_s = tm.get("runs_scale", 0.0) + tm["runs"]
    digest = pd.util.hash_pandas_object(res.rank_intervals, index=False).sum()
    return {
        "units": units, "backend": f"{ex['backend']}×{ex['workers']}", "blocks": ex.get("blocks"),
        "runs": res.manifest["design"]["runs"],
        "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "runs_phase_s": round(runs_s, 2),
        "serial_s": round(wall - runs_s, 2), "chunks": ex["chunks"], "workers_used": ex.get("workers_used"),
        "peak_rss_gb": round(peak_gb(), 3),
        "worker_peak_rss_gb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20, 3),
        "context_gb": round(ctx_gb, 3), "load_avg": round(os.getloadavg()[0], 2),
        "load_before": load_before, "load_after": [round(x, 2) for x in os.getloadavg()], "phases_s": tm,
        "result_digest": int(digest) & 0xFFFFFFFF,
    }


def projection(seq: dict, workers=(8, 32, 128), start_s: float = 1.5, periods: int = 15) -> pd.DataFrame:
    """Projected time and per-worker memory of the uncertainty case on ``w`` workers from a sequential run.

    Model: ``t(w) = serial + start + runs_phase / min(w, periods)`` — the serial parts (nominal build,
    blocks, weights, Sobol' on the rank shift, leave-one-out) stay in the client, the runs phase is split by
    period chunks (ranks are within period), so at most ``periods`` tasks run at once; ``start`` is the
    measured start-up of a worker pool (spawn, import, map the context). Per-worker memory = the context
    (normalised blocks) + one chunk's score and rank matrices (12 bytes × runs × units). Only the
    reductions travel back (≈ 20 float64 per unit-period and 1 int64 per run and chunk).
    """
    rows = []
    chunk_gb = 12 * seq["runs"] * seq["units"] / 2**30
    for w in workers:
        par = min(w, periods)
        t = seq["serial_s"] + start_s + seq["runs_phase_s"] / par
        rows.append({"workers": w, "parallel_tasks": par, "projected_s": round(t, 1),
                     "speed_up_vs_sequential": round(seq["wall_s"] / t, 2),
                     "per_worker_gb": round(seq["context_gb"] + chunk_gb, 2),
                     "returned_mb": round((20 * 8 * seq["units"] * periods + 8 * seq["runs"] * periods) / 2**20, 1)})
    return pd.DataFrame(rows)


def uptime() -> str:
    """``uptime`` of the machine (its load averages), or the load averages when the command is missing."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def compare_backends(units: int, backends: list[str], workers: int, blocks: str = "auto") -> None:
    print(f"start: {uptime()}", flush=True)
    rows = []
    for be in backends:
        code = (f"import sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r}); import json, "
                f"bench_scale as b\nif __name__ == '__main__':\n    print(json.dumps(b.uncertainty_case({units}, "
                f"{be!r}, {workers}, blocks={blocks!r})))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"{be}: failed\n{out.stderr[-2000:]}", flush=True)
            continue
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    seq = df[df["backend"].str.startswith("sequential")]
    if len(seq):
        df["speed_up"] = (float(seq["wall_s"].iloc[0]) / df["wall_s"]).round(2)
        df["identical_to_sequential"] = df["result_digest"] == int(seq["result_digest"].iloc[0])
    print(f"end: {uptime()}", flush=True)
    print(df.drop(columns=["result_digest", "phases_s"], errors="ignore").to_string(index=False))
    if len(seq):
        s0 = seq.iloc[0].to_dict()
        par = df[df["backend"].str.startswith("processes")]
        start = 1.5
        if len(par):  # measured overhead: the parallel wall time beyond an ideal split of the sequential one
            p0 = par.iloc[0]
            w = int(str(p0["backend"]).split("×")[1])
            start = max(0.0, float(p0["wall_s"]) - (s0["serial_s"] + s0["runs_phase_s"] / min(w, 15)))
        print(f"\nprojection from the sequential run (parallel overhead {start:.1f} s, measured on processes):")
        print(projection(s0, start_s=start).to_string(index=False))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=sorted(PANELS), default=None)
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--backends", default=None, help="e.g. sequential,processes,dask: compare backends")
    ap.add_argument("--units", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--blocks", default="auto", choices=("auto", "client", "workers"),
                    help="where parallel backends build the normalised blocks (Execution.blocks)")
    args = ap.parse_args()
    if args.backends:
        print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}", flush=True)
        compare_backends(args.units, args.backends.split(","), args.workers, args.blocks)
        return
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
