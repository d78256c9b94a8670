"""Distribution dynamics: Markov chains on quantile classes and spatial Markov chains (PySAL ``giddy``).

Classes are fixed over time (pooled cut-offs): the k-quantiles of all unit-period values (or cut-offs you
give); class c (1…k) holds values in (cut_{c−1}, cut_c]. A transition is a unit's move from its class in
period t to its class in t+1 (consecutive periods present in the data). P_cd = n_cd / Σ_d n_cd.
Spatial Markov (Rey 2001) conditions P on the class of the unit's spatial lag (W y) at t, with the lag
classed by the pooled quantiles of the lag (giddy ``Spatial_Markov(fixed=True)``).
Steady state π solves π P = π, Σ π = 1; a class that is never an origin has an all-zero row — its row is
reported with count 0 and probability NaN, and the steady state of that table is not computed (NaN, with
a note in the manifest).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from nqpf import _util
from nqpf.analysis._common import manifest, numeric_column, require_columns
from nqpf.errors import DataError, MethodError

__all__ = ["quantile_cutoffs", "markov", "spatial_markov", "steady_state"]


def quantile_cutoffs(y, k: int) -> np.ndarray:
    """Pooled k-quantile upper bounds (k − 1 interior cut-offs)."""
    if k < 2:
        raise MethodError("markov: need at least two classes")
    return np.quantile(np.asarray(y, dtype="float64"), np.arange(1, k) / k)


def steady_state(P: np.ndarray) -> np.ndarray:
    """Stationary distribution π of a row-stochastic P (π P = π, Σ π = 1), by least squares."""
    P = np.asarray(P, dtype="float64")
    k = P.shape[0]
    if np.isnan(P).any():
        return np.full(k, np.nan)
    A = np.vstack([P.T - np.eye(k), np.ones((1, k))])
    b = np.concatenate([np.zeros(k), [1.0]])
    pi, _, rank, _ = np.linalg.lstsq(A, b, rcond=None)
    if rank < k:  # reducible chain with several closed classes: π is not unique
        warnings.warn(
            "steady_state: the chain has several closed classes; the steady state is not unique", stacklevel=2
        )
    return np.clip(pi, 0, None) / np.clip(pi, 0, None).sum()


def _panel(df, value, unit, period):
    require_columns(df, [value, unit, period], what="markov input")
    y = numeric_column(df, value, id_cols=[unit, period], what="markov input")
    wide = pd.DataFrame({"u": df[unit].astype(str).to_numpy(), "t": df[period].to_numpy(), "y": y})
    if wide.duplicated(["u", "t"]).any():
        raise DataError("markov input: repeated (unit, period) rows; keep one value per unit and period")
    Y = wide.pivot(index="u", columns="t", values="y").sort_index(axis=1)
    if Y.isna().any().any():
        gaps = Y.isna().stack()
        gaps = gaps[gaps].index.tolist()[:10]
        raise DataError(
            f"markov input: unbalanced panel; missing (unit, period) e.g. {gaps}; balance it first"
        )
    if Y.shape[1] < 2:
        raise MethodError("markov: needs at least two periods")
    return Y


def _classify(Y: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    return np.searchsorted(cuts, Y, side="left")  # 0-based classes


def _table(cls: np.ndarray, k: int, lag_label, note: list) -> pd.DataFrame:
    counts = np.zeros((k, k))
    np.add.at(counts, (cls[:, :-1].ravel(), cls[:, 1:].ravel()), 1)
    return _rows(counts, lag_label, note)


def _rows(counts: np.ndarray, lag_label, note: list) -> pd.DataFrame:
    k = counts.shape[0]
    rs = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        P = np.where(rs > 0, counts / np.where(rs > 0, rs, 1), np.nan)
    empty = [c + 1 for c in range(k) if rs[c, 0] == 0]
    if empty:
        note.append(
            f"lag class {lag_label}: origin class(es) {empty} never observed; steady state not computed"
        )
    pi = steady_state(P)
    rows = [
        (lag_label, "transition", i + 1, j + 1, counts[i, j], P[i, j]) for i in range(k) for j in range(k)
    ]
    rows += [(lag_label, "steady_state", np.nan, j + 1, np.nan, pi[j]) for j in range(k)]
    return pd.DataFrame(rows, columns=["lag_class", "kind", "from_class", "to_class", "count", "value"])


def markov(df, value, unit="unit", period="period", *, k: int = 4, cutoffs=None, relative: bool = False):
    """Classic Markov chain on k pooled-quantile classes.

    Returns ``lag_class ('all'), kind ('transition'|'steady_state'), from_class, to_class, count, value``
    (value = transition probability or steady-state share). ``relative=True`` divides each period by its
    cross-section mean first. Cut-offs are in ``attrs["cutoffs"]``. Cross-checked against giddy.Markov
    in the tests.
    """
    Y = _panel(df, value, unit, period).to_numpy()
    if relative:
        Y = Y / Y.mean(axis=0, keepdims=True)
    cuts = np.asarray(cutoffs, dtype="float64") if cutoffs is not None else quantile_cutoffs(Y, k)
    k = len(cuts) + 1
    note: list = []
    out = _table(_classify(Y, cuts), k, "all", note)
    out.attrs["cutoffs"] = cuts.tolist()
    out.attrs["manifest"] = manifest("markov", value=value, k=k, cutoffs=cuts.tolist(), relative=relative)
    out.attrs["manifest"]["warnings"] += note
    return out


def spatial_markov(
    df, value, w, unit="unit", period="period", *, k: int = 4, m: int | None = None, relative: bool = False
):
    """Spatial Markov chain (giddy ``Spatial_Markov``, fixed pooled cut-offs for y and for W y).

    Returns the same columns as :func:`markov`, one table per lag class 1…m (``lag_class``) plus the
    pooled table (``lag_class = 'all'``). Units must match the ids of ``w``.
    """
    from giddy.markov import Spatial_Markov

    Yf = _panel(df, value, unit, period)
    ids = [str(i) for i in w.id_order]
    missing, extra = sorted(set(ids) - set(Yf.index)), sorted(set(Yf.index) - set(ids))
    if missing or extra:
        raise DataError(
            f"spatial_markov: units in weights but not in data {missing}; in data but not in weights "
            f"{extra}; build the weights on the data's units"
        )
    if w.islands:
        raise MethodError(f"spatial_markov: island(s) {list(w.islands)} have no spatial lag; link them first")
    Y = Yf.loc[ids].to_numpy()
    if relative:
        Y = Y / Y.mean(axis=0, keepdims=True)
    m = m or k
    with _util.ignore_warnings():
        sm = Spatial_Markov(Y, w, k=k, m=m, fixed=True, fill_empty_classes=False)
    note: list = []
    parts = [_rows(np.asarray(sm.T[i], dtype="float64"), i + 1, note) for i in range(m)]
    parts.append(_rows(_pooled_counts(sm), "all", note))
    out = pd.concat(parts, ignore_index=True)
    out.attrs["cutoffs"] = np.asarray(sm.cutoffs).tolist()
    out.attrs["lag_cutoffs"] = np.asarray(sm.lag_cutoffs).tolist()
    out.attrs["manifest"] = manifest(
        "spatial_markov",
        value=value,
        k=k,
        m=m,
        relative=relative,
        cutoffs=out.attrs["cutoffs"],
        lag_cutoffs=out.attrs["lag_cutoffs"],
    )
    out.attrs["manifest"]["warnings"] += note
    return out


def _pooled_counts(sm) -> np.ndarray:
    return np.asarray(sm.T, dtype="float64").sum(axis=0)
