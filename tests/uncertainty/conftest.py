"""Shared fixtures of the uncertainty tests: a small synthetic panel and framework (test inputs only)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def synthetic_panel(U: int = 12, T: int = 4, L: int = 9, D: int = 3, seed: int = 0, gaps: float = 0.0):
    """Long panel of U units × T years × L positive, skewed indicators and a framework with D dimensions."""
    rng = np.random.default_rng(seed)
    units = [f"u{i:03d}" for i in range(U)]
    years = np.arange(2012, 2012 + T)
    base = rng.normal(size=(U, 1, 1))
    trend = 0.05 * np.arange(T)[None, :, None]
    X = np.exp(0.8 * base + trend + rng.normal(scale=0.5, size=(U, T, L)))
    if gaps:
        X[rng.random(X.shape) < gaps] = np.nan
    ind = [f"x{j:02d}" for j in range(L)]
    long = pd.DataFrame({"unit": np.repeat(units, T * L), "period": np.tile(np.repeat(years, L), U),
                         "indicator": np.tile(ind, U * T), "value": X.reshape(-1)})
    nodes = [{"id": "index"}] + [{"id": f"D{d}", "parent": "index"} for d in range(D)]
    for j, x in enumerate(ind):
        nodes.append({"id": x, "parent": f"D{j % D}", "direction": -1 if j % 7 == 3 else 1})
    return long, {"name": "synthetic", "nodes": nodes}


@pytest.fixture(scope="session")
def small_panel():
    return synthetic_panel()
