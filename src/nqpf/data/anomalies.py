"""Suspicious values in a panel series, caught at the source: one-year spikes, level jumps and stale repeats.

``find_anomalies(long)`` checks every (unit, indicator) series of a long panel (``unit, period, indicator,
value``; consecutive observed years) and returns one row per finding with columns ``check, unit, indicator,
period, value, previous, next, detail``:

Changes are log changes in excess of the same year's median change across units (``min_units_common`` = 5 or
more units observed; else the raw change), so growth or a rebasing that every unit shares is not flagged.

``spike``   a value that leaves its neighbours and comes back: excess changes into and out of year t of
            opposite direction, both larger than ``max(ln(spike_ratio), k·m)`` in size, where ``m`` is the indicator's
            median absolute excess change over all units and years and ``k`` = ``volatility_k`` (4) (e.g. Liaoning 6,406 → 13,111 → 6,775:
            ×2.05 up and ×1.94 back).
``jump``    an excess one-year change larger than ``max(ln(jump_ratio), k·m)`` that does not revert (a level break
            or a definition change: e.g. Tibet's mobile switching capacity 448 → 2,423 万户 in 2016).
``common_break``  a year in which the median unit's change exceeds ``max(ln(common_ratio), k·m̃)`` (1.8) (``m̃``: the
            typical median change; one row per indicator and year, unit blank): a rebasing such as telecom business
            volume at changing constant prices, a definition break, or genuine nationwide growth.
``stale``   a non-zero value equal to the previous year's to the last digit (``stale_runs`` of ``min_run`` or more
            equal values are reported once per repeated year; often a carried-forward cell in a compilation).

Ratios are computed for positive series only (a series with zeros or negatives is checked for ``stale``
only). Nothing is changed: these are warnings for a person to look at, listed in ``docs/datasets.md`` for the
shipped data and by ``nqpf validate`` for a user's file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


def _nanmedian(A: np.ndarray, axis: int) -> np.ndarray:
    """nanmedian without the all-NaN warning (all-NaN slices give NaN)."""
    empty = np.isnan(A).all(axis=axis, keepdims=True)
    med = np.nanmedian(np.where(empty, 0.0, A), axis=axis)
    return np.where(np.squeeze(empty, axis=axis), np.nan, med)


COLUMNS = ["check", "unit", "indicator", "period", "value", "previous", "next", "ratio", "median_ratio", "run_start",
           "run_length", "detail"]


def find_anomalies(
    long: pd.DataFrame,
    *,
    spike_ratio: float = 1.8,
    jump_ratio: float = 2.5,
    volatility_k: float = 4.0,
    min_run: int = 2,
    min_units_common: int = 5,
    common_ratio: float = 1.8,
) -> pd.DataFrame:
    """Spikes, jumps and stale repeats of every (unit, indicator) series (module docstring)."""
    need = {"unit", "period", "indicator", "value"}
    if not need <= set(long.columns):
        from nqpf.errors import DataError

        raise DataError(f"find_anomalies needs columns {sorted(need)}; got {list(long.columns)}")
    d = long[["unit", "period", "indicator", "value"]].dropna(subset=["value"])
    d = d.assign(period=pd.to_numeric(d["period"]).astype(int), unit=d["unit"].astype(str))
    out: list[dict] = []
    for ind, g in d.groupby("indicator", sort=True):
        w = g.pivot_table(index="unit", columns="period", values="value", aggfunc="first")
        w = w.reindex(columns=range(int(w.columns.min()), int(w.columns.max()) + 1))
        s = _Series(ind, w.index.to_numpy(), w.columns.to_numpy(), w.to_numpy(dtype=float))
        if s.X.shape[1] < 2:
            continue
        out += _stale(s, min_run)
        if (s.X <= 0).any(axis=1).all():
            continue
        out += _changes(s, np.log(spike_ratio), np.log(jump_ratio), volatility_k, min_units_common, common_ratio)
    res = pd.DataFrame(out, columns=COLUMNS)
    return res.sort_values(["indicator", "unit", "period", "check"], kind="stable").reset_index(drop=True)


@dataclass
class _Series:
    """One indicator as a unit × consecutive-year block ``X`` (NaN = not observed)."""

    ind: Any
    units: np.ndarray
    years: np.ndarray
    X: np.ndarray

    def row(self, check: str, u: int, y: int, **more: Any) -> dict:
        """A finding at unit ``u``, year position ``y``: value, previous and next (NaN past the end)."""
        X = self.X
        return {"check": check, "unit": self.units[u], "indicator": self.ind, "period": int(self.years[y]),
                "value": X[u, y], "previous": X[u, y - 1], "next": X[u, y + 1] if y + 1 < X.shape[1] else np.nan,
                **more}  # fmt: skip


def _stale(s: _Series, min_run: int) -> list[dict]:
    """Non-zero values equal to the previous year's, in runs of at least ``min_run`` equal values (one row
    per repeated year)."""
    out = []
    eq = (s.X[:, 1:] == s.X[:, :-1]) & (s.X[:, 1:] != 0)
    for u in np.flatnonzero(eq.any(axis=1)):
        j = 0
        while j < eq.shape[1]:
            if not eq[u, j]:
                j += 1
                continue
            k = j
            while k < eq.shape[1] and eq[u, k]:
                k += 1
            if k - j + 1 >= min_run:
                for t in range(j + 1, k + 1):
                    out.append(s.row("stale", u, t, run_start=int(s.years[j]), run_length=k - j + 1,
                                     detail=f"equal to {int(s.years[t - 1])} ({k - j + 1} equal values from "
                                            f"{int(s.years[j])})"))  # fmt: skip
            j = k
    return out


def _changes(s: _Series, ls: float, lj: float, volatility_k: float, min_units_common: int,
             common_ratio: float) -> list[dict]:
    """Common breaks, spikes and jumps on the log changes of the positive series in excess of the year's
    median change across units (a change every unit shares — fast growth of the whole series, a national
    rebasing — is not a unit's anomaly); ``ls``/``lj`` the log spike/jump ratios."""
    X = s.X
    L = np.log(np.where(X > 0, X, np.nan))
    L[(X <= 0).any(axis=1)] = np.nan  # series with zeros/negatives: stale check only
    D = np.diff(L, axis=1)
    cnt = (~np.isnan(D)).sum(axis=0)
    med = np.where(cnt >= min_units_common, np.nan_to_num(_nanmedian(D, axis=0)), 0.0)
    E = D - med[None, :]
    out = _common_breaks(s, med, cnt >= min_units_common, volatility_k, common_ratio)
    ae = np.abs(E[~np.isnan(E)])
    m = float(np.median(ae)) if ae.size else 0.0  # pooled over units and years: robust to the outlier itself
    th_s, th_j = max(ls, volatility_k * m), max(lj, volatility_k * m)
    e1, e2 = E[:, :-1], -E[:, 1:]  # into year t, and back out of it
    with np.errstate(invalid="ignore"):
        spike = (np.sign(e1) == np.sign(e2)) & (np.minimum(np.abs(e1), np.abs(e2)) > th_s)
    spike &= ~np.isnan(e1) & ~np.isnan(e2)
    in_spike = np.zeros_like(E, dtype=bool)
    for u, t in zip(*np.nonzero(spike), strict=True):  # year t + 1 of the panel
        in_spike[u, t] = in_spike[u, t + 1] = True
        y = t + 1
        out.append(s.row("spike", u, y, ratio=float(np.exp(D[u, t])), median_ratio=float(np.exp(med[t])),
                         detail=f"{X[u, y - 1]:.6g} → {X[u, y]:.6g} → {X[u, y + 1]:.6g} (×{np.exp(D[u, t]):.2f} "
                                f"then ×{np.exp(D[u, t + 1]):.2f}; other units' median change "
                                f"×{np.exp(med[t]):.2f} and ×{np.exp(med[t + 1]):.2f})"))  # fmt: skip
    with np.errstate(invalid="ignore"):
        jump = (np.abs(E) > th_j) & ~in_spike
    for u, t in zip(*np.nonzero(jump), strict=True):
        y = t + 1
        out.append(s.row("jump", u, y, ratio=float(np.exp(D[u, t])), median_ratio=float(np.exp(med[t])),
                         detail=f"{X[u, y - 1]:.6g} → {X[u, y]:.6g} (×{np.exp(D[u, t]):.2f}; other units' median "
                                f"×{np.exp(med[t]):.2f}) and no return: a level break or a definition change?"))
    return out


def _common_breaks(s: _Series, med: np.ndarray, ok_med: np.ndarray, volatility_k: float,
                   common_ratio: float) -> list[dict]:
    """Years whose median log change ``med`` exceeds ``max(ln(common_ratio), k·m̃)`` (``m̃``: the median of
    ``|med|`` over the years with enough units, ``ok_med``; at least three such years needed)."""
    if ok_med.sum() < 3:
        return []
    mm = np.median(np.abs(med[ok_med]))
    th_c = max(np.log(common_ratio), volatility_k * mm)
    return [
        {"check": "common_break", "unit": "", "indicator": s.ind, "period": int(s.years[t + 1]),
         "value": float(np.exp(med[t])), "previous": np.nan, "next": np.nan, "ratio": float(np.exp(med[t])),
         "median_ratio": float(np.exp(mm)),
         "detail": f"the median unit changes ×{np.exp(med[t]):.2f} from {int(s.years[t])} (typical "
                   f"×{np.exp(mm):.2f}): a change every unit shares — a rebasing, a definition "
                   "break or real nationwide growth; check the source"}
        for t in np.flatnonzero(ok_med & (np.abs(med) > th_c))
    ]  # fmt: skip
