"""Timing of the Monte Carlo uncertainty/sensitivity analysis (issue 6, "Fast by design").

Target: 10,000 replications (index computations) on the demo panel (30 provinces × 11 years × ~35
indicators) in ≤ 10 s on 2 cores. A replication is one run of the pipeline (normalise → weights →
perturbation → aggregation → ranks) in the Saltelli design; with k = 6 varied factors (treat, normalize,
weights, perturb, aggregate, exclude; imputation drops out on gap-free data) the design has
n (k + 2) = 1,250 × 8 = 10,000 runs. The time covers everything: building the cached blocks with
build_index, the runs, quantiles, Sobol' indices on the mean rank shift (1,000 bootstrap resamples) and on
each unit-period's rank, and the leave-one-indicator-out table.

Inputs: the real ``cn_provinces`` dataset with the ``nqpf-core`` framework (31 provinces × 11 years × 19
indicators) and ``nqpf-core-rich`` when they load; always also a random panel of the stated shape
(30 × 11 × 35, lognormal values, timing only — its numbers mean nothing).

Run: ``.venv/bin/python bench/bench_uncertainty.py [--backends sequential,processes]``.
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

from nqpf.uncertainty.montecarlo import run_uncertainty

TARGET_S = 10.0
VARY = ("treat", "normalize", "weights", "perturb", "aggregate", "exclude")


def synthetic_panel(U: int = 30, T: int = 11, L: int = 35, D: int = 4, seed: int = 0):
    """Random lognormal panel and a D-dimension framework (timing input only)."""
    return lognormal_panel(U, T, L, D, seed=seed, start=2012, trend=0.05, noise=0.5, cost_mod=7, cost_rem=3,
                           unit_digits=4, name=f"random{L}")

def time_case(label: str, data, fw, backend: str, runs: int = 10_000, vary=VARY, **kw) -> dict:
    n = int(np.ceil(runs / (len(vary) + 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0, c0 = time.perf_counter(), cpu_seconds()
        res = run_uncertainty(
            data,
            fw,
            samples=n,
            seed=1,
            vary=vary,
            backend=backend,
            workers=2 if backend != "sequential" else None,
            **kw,
        )
        dt, dc = time.perf_counter() - t0, cpu_seconds() - c0
    d = res.manifest["design"]
    return {
        "case": label,
        "backend": backend,
        "runs": d["runs"],
        "factors": len(d["factors"]),
        "unit_periods": len(res.rank_intervals),
        "indicators": len(res.leave_one_out),
        "backend_used": f"{res.manifest['execution']['backend']}×{res.manifest['execution']['workers']}",
        "seconds": round(dt, 2),
        "cpu_seconds": round(dc, 2),
        "target_s": TARGET_S,
        "meets": dt <= TARGET_S,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backends", default="auto,sequential,processes")
    args = ap.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    cases = []
    try:
        import nqpf.datasets as ds
        from nqpf.framework import load_framework

        d = ds.load("cn_provinces")
        cases.append(
            (
                "cn_provinces × nqpf-core 2012-2022 (real)",
                d,
                load_framework("nqpf-core"),
                {"periods": "2012-2022"},
            )
        )
        try:
            rich = load_framework("nqpf-core-rich")
            per = rich.meta.get("periods")
            # it has gaps, some a unit's whole series (Tibet), which only group-mean imputation fills
            kw = {"impute": "group-mean"}
            if per:
                kw["periods"] = f"{per[0]}-{per[1]}"
            cases.append(
                (f"cn_provinces × nqpf-core-rich (real, {len(rich.leaves)} indicators)", d, rich, kw)
            )
        except Exception as exc:  # noqa: BLE001 - report and go on with the others
            print(f"(nqpf-core-rich not usable: {exc})")
    except Exception as exc:  # noqa: BLE001
        print(f"(real dataset/framework not available: {exc}; timing on the random panel only)")
    wide, fw = synthetic_panel()
    cases.append(("random panel 30 × 11 × 35 (timing only)", wide, fw, {}))
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    rows = []
    for label, data, fwk, kw in cases:
        for b in backends:
            try:
                rows.append(time_case(label, data, fwk, b, **kw))
            except Exception as exc:  # noqa: BLE001
                rows.append({"case": label, "backend": b, "error": str(exc)[:200]})
            print(rows[-1], flush=True)
    print(pd.DataFrame(rows).to_string(index=False))
    print(
        "seconds = wall clock; cpu_seconds = CPU time used (this process + workers). On a shared machine the\n"
        "wall time grows with the load average printed above; the CPU time does not."
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
