"""Where a small Malmquist call spends its CPU time: the LPs (every ``_Distances.eval``) against everything
else (checks, pairs, indices, cumulative chains, the result frame) — issue 19, fixed costs.

Cases: the ``bench_small.py`` panels — Malmquist CRS on 100 × 10 and 31 × 13, GML with two bad outputs
(CO2, SO2 in spirit) on 30 × 11. Each case: one warm-up call, then the median of ``--repeat`` calls of this
process's CPU time (``time.process_time``; the small cases run no worker processes).

    .venv/bin/python bench/bench_malmquist_profile.py [--repeat 21]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings

from bench_small import _malm, panel

import nqpf.productivity.malmquist  # noqa: F401 - the module (the package attribute is the function)

CASES = {
    "malmquist CRS 100x10": (lambda: panel(100, 10, s=2, seed=2), "malmquist", False),
    "malmquist CRS 31x13": (lambda: panel(31, 13, s=2, seed=1), "malmquist", False),
    "GML CO2+SO2 30x11": (lambda: panel(30, 11, s=1, k=2, seed=3), "gml", True),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=21)
    args = ap.parse_args()
    cls = sys.modules["nqpf.productivity.malmquist"]._Distances
    plain = cls.eval
    lp_time = [0.0]

    def timed(self, *a, **k):
        t0 = time.process_time()
        try:
            return plain(self, *a, **k)
        finally:
            lp_time[0] += time.process_time() - t0

    cls.eval = timed
    warnings.simplefilter("ignore")
    print(f"{'case':24s} {'total ms':>9s} {'LP ms':>9s} {'other ms':>9s} {'other %':>8s}")
    for name, (make, index, bads) in CASES.items():
        df = make()
        _malm(df, index, "crs", bads)
        tot, lp = [], []
        for _ in range(args.repeat):
            lp_time[0] = 0.0
            t0 = time.process_time()
            _malm(df, index, "crs", bads)
            tot.append(time.process_time() - t0)
            lp.append(lp_time[0])
        t, p = statistics.median(tot), statistics.median(lp)
        other = statistics.median([a - b for a, b in zip(tot, lp, strict=True)])
        print(f"{name:24s} {1e3 * t:9.1f} {1e3 * p:9.1f} {1e3 * other:9.1f} {100 * other / t:7.1f}%")
    cls.eval = plain


if __name__ == "__main__":
    main()
