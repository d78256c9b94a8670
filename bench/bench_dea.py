"""Benchmark of nqpf's DEA / GML against the full LP and pyfrontier (issue 4, Performance).

Data: uniform random on [1, 100], seed 0 — CCR input-oriented with 3 inputs and 2 outputs at 500, 2,000,
10,000 and 50,000 units; SBM (non-oriented, CRS) with 3 inputs, 2 outputs and one bad output at 2,000 units;
GML on 2,800 units × 12 periods (2 inputs, 1 good, 1 bad). Targets on 2 cores: 10,000-unit CCR ≤ 5 s,
50,000 ≤ 60 s, GML ≤ 60 s; the fast path must equal the full LP within 1e-8 wherever the full LP is run.

    .venv/bin/python bench/bench_dea.py [--quick] [--sizes 500,2000,10000,50000] [--full-max 10000]

``pyfrontier`` is optional (``pip install pyfrontier``; bench only) — it is timed at 200 and 500 units.
The timings depend on machine load: the script prints the 1-minute load average next to them.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import time

import numpy as np
import pandas as pd
from _common import cpu_seconds

from nqpf.productivity._lp import available_cpus
from nqpf.productivity.dea import dea_arrays
from nqpf.productivity.malmquist import malmquist


def load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:  # pragma: no cover
        return "n/a"


CPU: list[float] = []


def timed(fn):
    """Run ``fn``; return (result, wall seconds). The CPU seconds (this process + worker processes) of the
    last call are kept in ``CPU[-1]``: on a machine shared with other jobs, CPU/2 estimates the 2-core wall time."""
    t0, c0 = time.perf_counter(), cpu_seconds()
    out = fn()
    CPU.append(cpu_seconds() - c0)
    return out, time.perf_counter() - t0


def sample_check(Z: np.ndarray, eff: np.ndarray, jobs: int, k: int = 200) -> float:
    """Max |fast − full LP| over ``k`` random units, each solved against all n units (no reduction, no CG)."""
    from nqpf.productivity import _lp

    Zs = Z / Z.mean(axis=0)
    fam = _lp.radial_family(3, 2, "crs", "input")
    T = _lp.tech_matrix(fam, Zs)
    sub = np.random.default_rng(1).choice(len(Z), k, replace=False)
    full = _lp.solve_points(fam, T, Zs[sub], mode="full", n_jobs=jobs, parallel_min=2 * k if jobs == 1 else 1)
    return float(np.max(np.abs(full.obj - eff[sub])))


def bench_ccr(sizes: list[int], full_max: int, jobs: int) -> list[dict]:
    rows = []
    for n in sizes:
        Z = np.random.default_rng(0).uniform(1, 100, (n, 5))
        fast, tf = timed(
            lambda Z=Z: dea_arrays(
                Z, 3, 2, 0, model="ccr", orientation="input", rts="crs", slacks=False, mode="cg", n_jobs=jobs
            )
        )
        row = {
            "case": "CCR-I 3x2",
            "n": n,
            "fast_s": round(tf, 2),
            "fast_cpu_s": round(CPU[-1], 2),
            "load": load(),
        }
        if n <= full_max:
            full, tfull = timed(
                lambda Z=Z: dea_arrays(
                    Z,
                    3,
                    2,
                    0,
                    model="ccr",
                    orientation="input",
                    rts="crs",
                    slacks=False,
                    mode="full",
                    n_jobs=jobs,
                )
            )
            row["full_lp_s"] = round(tfull, 2)
            row["max_abs_diff"] = float(np.max(np.abs(fast["efficiency"] - full["efficiency"])))
        else:  # full LP (all n columns) on a random sample of units
            row["sample_max_abs_diff"] = sample_check(Z, fast["efficiency"], jobs)
        _, ts = timed(
            lambda Z=Z: dea_arrays(
                Z, 3, 2, 0, model="ccr", orientation="input", rts="crs", slacks=True, mode="cg", n_jobs=jobs
            )
        )
        row["fast_with_slacks_peers_s"] = round(ts, 2)
        rows.append(row)
        print(row, flush=True)
    return rows


def bench_sbm(n: int, jobs: int) -> dict:
    Z = np.random.default_rng(0).uniform(1, 100, (n, 6))
    fast, tf = timed(
        lambda Z=Z: dea_arrays(Z, 3, 2, 1, model="sbm", orientation="none", rts="crs", mode="cg", n_jobs=jobs)
    )
    full, tfull = timed(
        lambda Z=Z: dea_arrays(
            Z, 3, 2, 1, model="sbm", orientation="none", rts="crs", mode="full", n_jobs=jobs
        )
    )
    row = {
        "case": "SBM 3x2 + 1 bad",
        "n": n,
        "fast_s": round(tf, 2),
        "fast_cpu_s": round(CPU[-2], 2),
        "full_lp_s": round(tfull, 2),
        "max_abs_diff": float(np.max(np.abs(fast["efficiency"] - full["efficiency"]))),
        "load": load(),
    }
    print(row, flush=True)
    return row


def bench_gml(n: int, periods: int, jobs: int) -> dict:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.uniform(1, 100, (n * periods, 4)), columns=["k", "l", "y", "co2"])
    df["id"] = np.tile(np.arange(n), periods).astype(str)
    df["year"] = np.repeat(np.arange(2000, 2000 + periods), n)
    res, tf = timed(
        lambda: malmquist(
            df, ["k", "l"], "y", undesirable="co2", id="id", period="year", index="gml", n_jobs=jobs
        )
    )
    row = {
        "case": "GML 2x1+1 bad",
        "n": f"{n}x{periods}",
        "fast_s": round(tf, 2),
        "fast_cpu_s": round(CPU[-1], 2),
        "load": load(),
        "lp_count": res.attrs["manifest"]["n_lp"],
        "infeasible_rows": int((res["status"] != "optimal").sum()),
    }
    print(row, flush=True)
    return row


def bench_gml_check(n: int, periods: int, jobs: int) -> dict:
    """Fast path vs full LP for GML on a size where the full LP is affordable."""
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.uniform(1, 100, (n * periods, 4)), columns=["k", "l", "y", "co2"])
    df["id"] = np.tile(np.arange(n), periods).astype(str)
    df["year"] = np.repeat(np.arange(2000, 2000 + periods), n)
    kw = dict(undesirable="co2", id="id", period="year", index="gml", n_jobs=jobs)
    fast, tf = timed(lambda: malmquist(df, ["k", "l"], "y", mode="cg", **kw))
    full, tfull = timed(lambda: malmquist(df, ["k", "l"], "y", mode="full", **kw))
    diff = max(
        float(np.nanmax(np.abs(fast[c].to_numpy() - full[c].to_numpy()))) for c in ("tfpch", "d_g_t", "d_t_t")
    )
    row = {
        "case": "GML check",
        "n": f"{n}x{periods}",
        "fast_s": round(tf, 2),
        "full_lp_s": round(tfull, 2),
        "max_abs_diff": diff,
        "load": load(),
    }
    print(row, flush=True)
    return row


def bench_pyfrontier(sizes: list[int], jobs: int) -> list[dict]:
    try:
        from Pyfrontier.frontier_model import EnvelopDEA
    except ImportError:
        print("pyfrontier not installed: pip install pyfrontier (bench only)")
        return []
    ver = importlib.metadata.version("pyfrontier")
    rows = []
    for n in sizes:
        Z = np.random.default_rng(0).uniform(1, 100, (n, 5))
        m = EnvelopDEA("CRS", "in")
        _, tp = timed(lambda m=m, Z=Z: m.fit(Z[:, :3], Z[:, 3:]))
        theirs = np.array([r.score for r in m.results])
        ours, to = timed(
            lambda Z=Z: dea_arrays(
                Z, 3, 2, 0, model="ccr", orientation="input", rts="crs", slacks=True, mode="auto", n_jobs=jobs
            )
        )
        row = {
            "case": f"pyfrontier {ver} CCR-I",
            "n": n,
            "pyfrontier_s": round(tp, 2),
            "nqpf_s": round(to, 3),
            "pyfrontier_cpu_s": round(CPU[-2], 2),
            "nqpf_cpu_s": round(CPU[-1], 3),
            "ratio": round(tp / to, 1),
            "max_abs_diff": float(np.max(np.abs(theirs - ours["efficiency"]))),
            "load": load(),
        }
        rows.append(row)
        print(row, flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="500,2000,10000,50000")
    ap.add_argument("--full-max", type=int, default=10000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--skip", default="", help="comma list of: ccr,sbm,gml,gmlcheck,pyfrontier")
    a = ap.parse_args()
    skip = set(a.skip.split(","))
    sizes = [500, 2000] if a.quick else [int(s) for s in a.sizes.split(",")]
    print(f"cores available: {available_cpus()}, jobs: {a.jobs}")
    if "ccr" not in skip:
        bench_ccr(sizes, a.full_max, a.jobs)
    if "sbm" not in skip:
        bench_sbm(2000, a.jobs)
    if "gmlcheck" not in skip:
        bench_gml_check(200, 4, a.jobs)
    if "gml" not in skip:
        bench_gml(300 if a.quick else 2800, 12, a.jobs)
    if "pyfrontier" not in skip:
        bench_pyfrontier([200, 500], a.jobs)


if __name__ == "__main__":
    main()
