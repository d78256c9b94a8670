"""Markov chains. References: giddy.markov.Markov (PySAL) on the same classes; spatial Markov tables re-counted
here by hand from the spatial lag (second algorithm); steady state checked by π P = π."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.analysis import spatial as sp
from nqpf.analysis.markov import markov, spatial_markov, steady_state
from nqpf.errors import DataError, MethodError


def _panel(seed=0, n=31, T=10):
    rng = np.random.default_rng(seed)
    geo = sp.provinces_geo()
    units = geo["unit"].tolist()[:n]
    y = np.cumsum(rng.normal(0, 0.3, (n, T)), axis=1) + rng.normal(3, 1, (n, 1))
    return pd.DataFrame(
        [(u, 2000 + t, y[i, t]) for i, u in enumerate(units) for t in range(T)],
        columns=["unit", "period", "v"],
    ), y


def _matrix(res, lag="all"):
    sub = res[(res.kind == "transition") & (res.lag_class == lag)]
    k = int(sub["to_class"].max())
    return sub["value"].to_numpy().reshape(k, k), sub["count"].to_numpy().reshape(k, k)


def test_markov_against_giddy():
    from giddy.markov import Markov

    df, y = _panel()
    res = markov(df, "v", k=4)
    cuts = np.asarray(res.attrs["cutoffs"])
    cls = np.searchsorted(cuts, y, side="left")
    ref = Markov(cls, classes=np.arange(4), summary=False)
    P, C = _matrix(res)
    np.testing.assert_allclose(C, ref.transitions)
    np.testing.assert_allclose(P, ref.p)
    # pooled quartiles: each class holds a quarter of all unit-years
    counts = np.bincount(cls.ravel(), minlength=4)
    assert counts.sum() == 310 and counts.max() - counts.min() <= 1
    pi = res[res.kind == "steady_state"]["value"].to_numpy()
    np.testing.assert_allclose(pi @ P, pi, atol=1e-10)
    assert pi.sum() == pytest.approx(1.0)


def test_steady_state_known_chain():
    P = np.array([[0.9, 0.1], [0.5, 0.5]])  # π = (5/6, 1/6) by hand
    np.testing.assert_allclose(steady_state(P), [5 / 6, 1 / 6], atol=1e-12)


def test_spatial_markov_recount():
    df, y = _panel(1)
    w = sp.contiguity_weights()
    res = spatial_markov(df, "v", w, k=3, m=3)
    ids = [str(i) for i in w.id_order]
    Y = df.pivot(index="unit", columns="period", values="v").loc[ids].to_numpy()
    from libpysal.weights import lag_spatial

    L = lag_spatial(w, Y)  # same floating-point lag as giddy (a lag can sit exactly on a pooled quantile)
    cy = np.searchsorted(np.asarray(res.attrs["cutoffs"]), Y, side="left")
    cl = np.searchsorted(np.asarray(res.attrs["lag_cutoffs"]), L, side="left")
    # cut-offs are pooled quantiles of y and of W y
    np.testing.assert_allclose(res.attrs["cutoffs"], np.quantile(Y, [1 / 3, 2 / 3]))
    np.testing.assert_allclose(res.attrs["lag_cutoffs"], np.quantile(L, [1 / 3, 2 / 3]))
    for lag in range(3):
        counts = np.zeros((3, 3))
        for t in range(Y.shape[1] - 1):
            for i in range(Y.shape[0]):
                if cl[i, t] == lag:
                    counts[cy[i, t], cy[i, t + 1]] += 1
        _, C = _matrix(res, lag + 1)
        np.testing.assert_allclose(C, counts)
    _, Call = _matrix(res, "all")
    _, Cm = _matrix(markov(df, "v", cutoffs=res.attrs["cutoffs"]))
    np.testing.assert_allclose(Call, Cm)


def test_bad_input():
    df, _ = _panel(2)
    with pytest.raises(DataError, match="unbalanced"):
        markov(df.iloc[1:], "v")
    with pytest.raises(MethodError):
        markov(df[df.period == 2000], "v")
    w = sp.contiguity_weights(df.unit.unique()[:-1])
    with pytest.raises(DataError, match="in data but not in weights"):
        spatial_markov(df, "v", w)
