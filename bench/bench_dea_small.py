"""DEA CCR on 31 units per year (issue 19 target: ≤ 5 ms CPU per year after the first call) and the large-n
path (1,000 and 5,000 units must not get slower), optionally against a baseline version of the DEA code in
the same run.

Cases: CCR input-oriented with slacks, ``dea(..., period=)`` on the 31 provinces × 13 years of
``nqpf.datasets.load("cn_provinces")`` (employment, R&D and budget expenditure → GDP and patent grants) and
on the synthetic 31 × 13 panel of ``bench_small.panel``; ``dea`` on 1,000 and 5,000 synthetic units
(``n_jobs=1``, so the CPU time is this process's). Each case: one warm-up call, then the median of
``--repeat`` (≥ 20; a quarter of it for the large cases) CPU times (``time.process_time``); baseline and
current calls alternate.

    .venv/bin/python bench/bench_dea_small.py [--repeat 21] [--baseline HEAD] [--profile]

``--baseline REV`` loads ``dea.py`` and ``_lp.py`` of git revision REV (``git show``) as a second copy of the
code; ``--profile`` prints the cProfile of the provincial case (every version) after a warm-up call.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import pstats
import re
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from bench_dea_small_equal import PROV_IN, PROV_OUT, provinces
from bench_small import panel

from nqpf.productivity.dea import dea as current_dea

ROOT = Path(__file__).resolve().parents[1]
IN3, OUT2 = ["x0", "x1", "x2"], ["y0", "y1"]


def baseline_dea(rev: str) -> Callable[..., pd.DataFrame]:
    """``dea`` of git revision ``rev``: its ``dea.py``, ``_lp.py`` and ``_lp_*.py`` (``git show``) loaded as
    modules ``base_<name>`` outside the package, their imports of each other rewritten to those."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout

    def load(name: str):
        text = git("show", f"{rev}:src/nqpf/productivity/{name}.py")
        text = re.sub(r"from nqpf\.productivity\.(_lp\w*) import", r"from base_\1 import", text)
        text = re.sub(r"from nqpf\.productivity import (_lp\w*)\n", r"import base_\1 as \1\n", text)
        mod = importlib.util.module_from_spec(importlib.util.spec_from_loader(f"base_{name}", loader=None))
        sys.modules[mod.__name__] = mod
        try:
            exec(compile(text, f"{rev}:{name}.py", "exec"), mod.__dict__)
        except ImportError:  # imports a part not loaded yet: retried after the others
            del sys.modules[mod.__name__]
            return None
        return mod

    files = git("ls-tree", "--name-only", rev, "src/nqpf/productivity/").split()
    pending = [Path(f).stem for f in files if Path(f).name.startswith("_lp")] + ["dea"]
    mods: dict[str, object] = {}
    while pending:
        loaded = {name: mod for name in pending if (mod := load(name)) is not None}
        if not loaded:
            raise ImportError(f"cannot load {pending} of {rev}")
        mods.update(loaded)
        pending = [name for name in pending if name not in loaded]
    return mods["dea"].dea


def cases(dea: Callable[..., pd.DataFrame]) -> dict[str, tuple[Callable[[], object], int]]:
    """name → (call, number of yearly frontiers it solves)."""
    prov = provinces()
    p31 = panel(31, 13, s=2, seed=1)
    big = {n: panel(n, 1, s=2, seed=6) for n in (1000, 5000)}
    out = {
        "CCR-I provinces 31x13": (
            lambda: dea(prov, PROV_IN, PROV_OUT, id="unit", period="period", model="ccr"),
            13,
        ),
        "CCR-I synthetic 31x13": (lambda: dea(p31, IN3, OUT2, id="id", period="year", model="ccr"), 13),
    }
    for n, df in big.items():
        out[f"CCR-I {n} units"] = (lambda df=df: dea(df, IN3, OUT2, id="id", model="ccr", n_jobs=1), 1)
    return out


def cpu_medians(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    """Median CPU seconds of each call, the calls alternating (so load changes hit every version alike)."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, acc in zip(fns, times, strict=True):
            c0 = time.process_time()
            fn()
            acc.append(time.process_time() - c0)
    return [statistics.median(t) for t in times]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=21)
    ap.add_argument("--baseline", default="")
    ap.add_argument("--profile", action="store_true")
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    versions = {"current": cases(current_dea)}
    if a.baseline:
        versions[a.baseline] = cases(baseline_dea(a.baseline))
    print(f"CPU ms (time.process_time), median of {a.repeat} after one warm-up call; per year for panels")
    print(f"{'case':24s}" + "".join(f"{v:>14s}" for v in versions))
    for name, (_, years) in versions["current"].items():
        fns = [v[name][0] for v in versions.values()]
        for fn in fns:
            fn()
        meds = cpu_medians(fns, a.repeat if years > 1 else max(3, a.repeat // 4))
        print(f"{name:24s}" + "".join(f"{1000 * x / years:14.2f}" for x in meds), flush=True)
    for version, vcases in versions.items() if a.profile else ():
        fn = vcases["CCR-I provinces 31x13"][0]
        fn()
        prof = cProfile.Profile()
        prof.runcall(fn)
        print(f"\n--- cProfile, {version}, CCR-I provinces 31x13 (one call after a warm-up)")
        pstats.Stats(prof).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
