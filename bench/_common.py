"""Helpers shared by the benchmark scripts (run as ``python bench/<script>.py``, so this folder is on sys.path)."""

from __future__ import annotations

import resource

import numpy as np
import pandas as pd


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (worker processes)."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def lognormal_panel(U: int, T: int, L: int, D: int, *, seed: int = 0, start: int = 2010, trend: float = 0.03,
                    noise: float = 0.6, cost_mod: int = 9, cost_rem: int = 4, unit_digits: int = 5,
                    name: str = "synthetic"):
    """Random lognormal panel (unit effect + common trend + noise) and a D-dimension framework dict.

    Indicator j is a cost indicator (direction −1) when ``j % cost_mod == cost_rem``. Timing input only.
    """
    rng = np.random.default_rng(seed)
    units = [f"u{i:0{unit_digits}d}" for i in range(U)]
    years = np.arange(start, start + T)
    X = np.exp(
        0.8 * rng.normal(size=(U, 1, 1))
        + trend * np.arange(T)[None, :, None]
        + rng.normal(scale=noise, size=(U, T, L))
    )
    ind = [f"x{j:02d}" for j in range(L)]
    wide = pd.DataFrame(
        X.reshape(U * T, L),
        columns=ind,
        index=pd.MultiIndex.from_product([units, years], names=["unit", "period"]),
    )
    nodes = [{"id": "index"}] + [{"id": f"D{d}", "parent": "index"} for d in range(D)]
    nodes += [
        {"id": x, "parent": f"D{j % D}", "direction": -1 if j % cost_mod == cost_rem else 1}
        for j, x in enumerate(ind)
    ]
    return wide, {"name": name, "nodes": nodes}
