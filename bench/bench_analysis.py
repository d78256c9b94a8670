"""Timings of the analysis layer (issue 5 targets): Dagum decomposition on 2,800 counties × 12 years ≤ 5 s;
global Moran's I with 999 permutations on 2,800 units ≤ 5 s. Synthetic inputs (timing only, never shipped).

Run: .venv/bin/python bench/bench_analysis.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd


def _timeit(f, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    from libpysal.weights import lat2W

    from nqpf.analysis import spatial
    from nqpf.analysis.inequality import dagum, theil

    rng = np.random.default_rng(0)
    n, T = 2800, 12
    prov = rng.integers(0, 31, n)
    region = np.array(["East", "Central", "West", "Northeast"])[prov % 4]
    df = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n), T).astype(str),
            "period": np.tile(np.arange(2011, 2011 + T), n),
            "value": rng.lognormal(0, 0.6, n * T),
            "province": np.repeat(prov, T).astype(str),
            "region": np.repeat(region, T),
        }
    )
    rows = []
    rows.append(("dagum 2,800 × 12, 4 regions", _timeit(lambda: dagum(df, "value", "region", "period")), 5.0))
    rows.append(
        (
            "dagum 2,800 × 12, 31 provinces (465 pairs)",
            _timeit(lambda: dagum(df, "value", "province", "period")),
            5.0,
        )
    )
    rows.append(
        ("theil T 2,800 × 12, 31 groups", _timeit(lambda: theil(df, "value", "province", "period")), None)
    )

    w = lat2W(56, 50)  # 2,800-unit rook lattice
    w.transform = "r"
    ids = [str(i) for i in w.id_order]
    w = spatial._to_w(
        {str(k): [str(v) for v in vs] for k, vs in w.neighbors.items()},
        {str(k): list(v) for k, v in w.weights.items()},
        "r",
    )
    one = pd.DataFrame({"unit": ids, "period": 2020, "value": rng.lognormal(0, 0.6, len(ids))})
    rows.append(
        (
            "moran I 2,800 units, 999 permutations",
            _timeit(lambda: spatial.moran(one, "value", w, permutations=999, seed=1)),
            5.0,
        )
    )
    rows.append(
        (
            "lisa 2,800 units, 999 permutations",
            _timeit(lambda: spatial.lisa(one, "value", w, permutations=999, seed=1)),
            None,
        )
    )
    rows.append(
        (
            "G* 2,800 units, 999 permutations",
            _timeit(lambda: spatial.hotspots(one, "value", w, permutations=999, seed=1), repeat=1),
            None,
        )
    )
    print(f"{'task':50s} {'best of 3 (s)':>14s} {'target':>8s}")
    for name, s, target in rows:
        flag = "" if target is None else ("OK" if s <= target else "SLOW")
        print(f"{name:50s} {s:14.3f} {'' if target is None else f'≤{target:.0f}s':>8s} {flag}")


if __name__ == "__main__":
    main()
