"""Timings of the composite-index engine (issue 3, Performance). Synthetic random inputs, timing only.

1. full pipeline (build_index, long input) on 31 units × 13 years × 40 indicators — target ≤ 50 ms;
2. firm-level panel 5,000 units × 15 years × 30 indicators (wide input) — target ≤ 2 s and ≤ 1 GB peak
   (peak = tracemalloc peak of Python allocations during one run, plus the process max RSS);
3. entropy-TOPSIS on the same matrix in nqpf, pymcdm and scikit-criteria (if installed), as time ratios,
   with a numerical cross-check where the conventions coincide (pymcdm TOPSIS with min-max normalisation).

Run: ``.venv/bin/python bench/bench_index.py``.
"""

from __future__ import annotations

import importlib.metadata
import resource
import statistics
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

from nqpf.index import build_index, entropy_weights, minmax, topsis


def framework(n_leaves: int, dims: int = 4, subs: int = 2) -> dict:
    nodes = [{"id": "index"}]
    leaves_per = n_leaves // (dims * subs)
    k = 0
    for d in range(dims):
        nodes.append({"id": f"D{d}", "parent": "index"})
        for s in range(subs):
            nodes.append({"id": f"D{d}S{s}", "parent": f"D{d}"})
            cnt = leaves_per if (d, s) != (dims - 1, subs - 1) else n_leaves - k
            for _ in range(cnt):
                nodes.append({"id": f"x{k:03d}", "parent": f"D{d}S{s}", "direction": -1 if k % 5 == 4 else 1})
                k += 1
    return {"name": f"bench{n_leaves}", "nodes": nodes}


def wide_panel(n_units: int, n_years: int, n_ind: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units = np.repeat([f"U{i:05d}" for i in range(n_units)], n_years)
    years = np.tile(np.arange(2010, 2010 + n_years), n_units)
    vals = rng.lognormal(mean=1.0, sigma=0.8, size=(n_units * n_years, n_ind))
    df = pd.DataFrame(vals, columns=[f"x{k:03d}" for k in range(n_ind)])
    df.insert(0, "period", years)
    df.insert(0, "unit", units)
    return df


CPU: dict[str, float] = {}


def timeit(fn, repeat: int, key: str | None = None) -> tuple[float, float]:
    """Median and best wall time; the median CPU time of the process goes to ``CPU[key]`` (less sensitive to
    other processes on a shared machine — the wall figures are the ones the targets refer to)."""
    ts, cs = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
        cs.append(time.process_time() - c0)
    if key:
        CPU[key] = statistics.median(cs)
    return statistics.median(ts), min(ts)


def bench_provinces() -> None:
    fw = framework(40)
    wide = wide_panel(31, 13, 40, seed=1)
    long = wide.melt(id_vars=["unit", "period"], var_name="indicator", value_name="value")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build_index(long, fw)  # warm-up (imports)
        med, best = timeit(lambda: build_index(long, fw), 20, "prov")
        med_w, _ = timeit(lambda: build_index(wide, fw), 20)
        med_t, _ = timeit(lambda: build_index(long, fw, aggregate="topsis", weights="critic"), 20)
    print(
        f"[1] 31×13×40 full pipeline (long input, minmax+entropy+arithmetic): median {med * 1e3:.1f} ms "
        f"(best {best * 1e3:.1f} ms, CPU {CPU['prov'] * 1e3:.1f} ms) — target ≤ 50 ms: "
        f"{'PASS' if med <= 0.05 else 'FAIL'}"
    )
    print(
        f"    wide input: median {med_w * 1e3:.1f} ms; CRITIC + TOPSIS at every node: median {med_t * 1e3:.1f} ms"
    )


def bench_firms() -> None:
    fw = framework(30, dims=3, subs=2)
    wide = wide_panel(5000, 15, 30, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        med, best = timeit(lambda: build_index(wide, fw), 3, "firm")
        tracemalloc.start()
        build_index(wide, fw)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB → MiB on Linux
    ok = med <= 2.0 and peak / 2**20 <= 1024
    print(
        f"[2] 5,000×15×30 firm panel (wide input): median {med:.2f} s (best {best:.2f} s, CPU {CPU['firm']:.2f} s), "
        f"tracemalloc peak {peak / 2**20:.0f} MiB, process max RSS {rss:.0f} MiB — target ≤ 2 s, ≤ 1 GB: "
        f"{'PASS' if ok else 'FAIL'}"
    )


def bench_entropy_topsis() -> None:
    for n, k in ((403, 40), (75_000, 30)):
        _compare(n, k)


def _compare(n: int, k: int) -> None:
    rng = np.random.default_rng(3)
    X = rng.lognormal(1.0, 0.8, size=(n, k))
    types = np.where(np.arange(k) % 5 == 4, -1, 1)

    def ours():
        Z = minmax(X, types)
        return topsis(Z, entropy_weights(Z))

    reps = 30 if n < 1000 else 5
    t_ours, _ = timeit(ours, reps)
    line = f"[3] entropy-TOPSIS {n}×{k}: nqpf {t_ours * 1e3:.2f} ms"
    try:
        from pymcdm import normalizations as pn
        from pymcdm import weights as pw
        from pymcdm.methods import TOPSIS as PTOPSIS

        pt = PTOPSIS(pn.minmax_normalization)

        def pym():
            return pt(X, pw.entropy_weights(X), types)

        t_p, _ = timeit(pym, reps)
        # cross-check where conventions coincide: same weights, min-max normalisation, pooled ideals
        Z = minmax(X, types)
        w = entropy_weights(Z)
        diff = np.max(np.abs(pt(X, w, types) - topsis(Z, w)))
        line += (
            f"; pymcdm {importlib.metadata.version('pymcdm')} {t_p * 1e3:.2f} ms "
            f"(pymcdm/nqpf = {t_p / t_ours:.1f}×; same-weights max |Δ closeness| = {diff:.1e})"
        )
    except ImportError:
        line += "; pymcdm not installed"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import skcriteria as skc
            from skcriteria.agg.topsis import TOPSIS as STOPSIS
            from skcriteria.pipelines import mkpipe
            from skcriteria.preprocessing.invert_objectives import InvertMinimize
            from skcriteria.preprocessing.scalers import MinMaxScaler
            from skcriteria.preprocessing.weighters import EntropyWeighter

            pipe = mkpipe(InvertMinimize(), MinMaxScaler(target="matrix"), EntropyWeighter(), STOPSIS())
            dm = skc.mkdm(X, [max if t > 0 else min for t in types])

            def skc_run():
                return pipe.evaluate(dm)

            t_s, _ = timeit(skc_run, reps)
        line += (
            f"; scikit-criteria {importlib.metadata.version('scikit-criteria')} {t_s * 1e3:.2f} ms "
            f"(skc/nqpf = {t_s / t_ours:.1f}×)"
        )
    except ImportError:
        line += "; scikit-criteria not installed"
    print(line)


if __name__ == "__main__":
    import os

    print(
        f"numpy {np.__version__}, pandas {pd.__version__}; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs (wall times inflate when the machine is shared)"
    )
    bench_provinces()
    bench_firms()
    bench_entropy_topsis()
