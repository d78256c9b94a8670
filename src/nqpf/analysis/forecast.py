"""Short-series forecasts: grey model GM(1,1) with its posterior-error check, and a statsmodels baseline.

GM(1,1) (Deng Julong 1982; as in Liu Sifeng et al., *Grey Systems: Theory and Applications*): x⁽¹⁾ is
the accumulated series, z⁽¹⁾(k) = ½(x⁽¹⁾(k) + x⁽¹⁾(k−1)), the grey equation x⁽⁰⁾(k) + a z⁽¹⁾(k) = b is
fitted by least squares, x̂⁽¹⁾(k+1) = (x⁽⁰⁾(1) − b/a) e^{−ak} + b/a and x̂⁽⁰⁾(k+1) = x̂⁽¹⁾(k+1) − x̂⁽¹⁾(k).
Posterior-error check on residuals e(k) = x⁽⁰⁾(k) − x̂⁽⁰⁾(k), k = 2…n: C = S_e / S_x (population standard
deviations) and P = share of |e(k) − ē| < 0.6745 S_x; grade good (C ≤ 0.35, P ≥ 0.95), qualified
(C ≤ 0.5, P ≥ 0.80), barely (C ≤ 0.65, P ≥ 0.70), else unqualified.
The baseline is Holt's linear-trend exponential smoothing (statsmodels). Out-of-sample error: both models
are refitted on all but the last ``holdout`` points and scored (MAPE, RMSE) on the held-out points.
Fewer than four points are refused (:class:`MethodError`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nqpf import _util
from nqpf.analysis._common import manifest, require_columns
from nqpf.errors import MethodError

__all__ = ["GM11", "gm11", "forecast", "forecast_panel"]

MIN_POINTS = 4


@dataclass
class GM11:
    """A fitted GM(1,1): parameters a (development coefficient), b (grey input), fitted x̂⁽⁰⁾, checks."""

    x0: np.ndarray
    a: float
    b: float
    fitted: np.ndarray
    C: float
    P: float
    grade: str
    ratio_ok: bool
    notes: list[str] = field(default_factory=list)

    def predict(self, steps: int) -> np.ndarray:
        """x̂⁽⁰⁾ for the ``steps`` periods after the sample."""
        n = len(self.x0)
        k = np.arange(n - 1, n + steps, dtype="float64")  # x̂⁽¹⁾ at 0-based k = n−1 … n+steps−1
        x1 = (self.x0[0] - self.b / self.a) * np.exp(-self.a * k) + self.b / self.a
        return np.diff(x1)


def _grade(C: float, P: float) -> str:
    if C <= 0.35 and P >= 0.95:
        return "good"
    if C <= 0.5 and P >= 0.80:
        return "qualified"
    if C <= 0.65 and P >= 0.70:
        return "barely"
    return "unqualified"


def gm11(x) -> GM11:
    """Fit GM(1,1) to a positive series of at least four points."""
    x0 = np.asarray(x, dtype="float64")
    if x0.ndim != 1 or len(x0) < MIN_POINTS:
        raise MethodError(
            f"GM(1,1): needs at least {MIN_POINTS} points, got {len(x0)}; do not forecast from fewer"
        )
    if np.isnan(x0).any():
        raise MethodError("GM(1,1): the series has gaps (NaN); fill them or shorten the series")
    if (x0 <= 0).any():
        raise MethodError("GM(1,1): needs strictly positive values (shift the series or use the baseline)")
    n = len(x0)
    x1 = np.cumsum(x0)
    z = 0.5 * (x1[1:] + x1[:-1])
    B = np.column_stack([-z, np.ones(n - 1)])
    (a, b), *_ = np.linalg.lstsq(B, x0[1:], rcond=None)
    if a == 0:
        raise MethodError("GM(1,1): development coefficient a = 0 (flat accumulated series); model undefined")
    k = np.arange(n, dtype="float64")
    x1hat = (x0[0] - b / a) * np.exp(-a * k) + b / a
    fitted = np.concatenate([[x0[0]], np.diff(x1hat)])
    e = x0[1:] - fitted[1:]
    S1 = x0.std()
    S2 = e.std()
    C = float(S2 / S1) if S1 > 0 else 0.0
    P = float(np.mean(np.abs(e - e.mean()) < 0.6745 * S1)) if S1 > 0 else 1.0
    sigma = x0[:-1] / x0[1:]
    lo, hi = np.exp(-2 / (n + 1)), np.exp(2 / (n + 1))
    ratio_ok = bool(((sigma > lo) & (sigma < hi)).all())
    notes = []
    if not ratio_ok:
        notes.append(f"level ratios outside ({lo:.4f}, {hi:.4f}); GM(1,1) is not well suited to this series")
    if abs(a) > 0.5:
        notes.append(f"|a| = {abs(a):.3f} > 0.5: medium/long-term GM(1,1) forecasts are unreliable")
    return GM11(x0, float(a), float(b), fitted, C, P, _grade(C, P), ratio_ok, notes)


def _holt(x: np.ndarray, steps: int) -> np.ndarray:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with _util.ignore_warnings():
        fit = ExponentialSmoothing(x, trend="add", initialization_method="estimated").fit()
    return np.asarray(fit.forecast(steps), dtype="float64")


def _errors(actual: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    mape = float(np.mean(np.abs((actual - pred) / actual)) * 100)
    rmse = float(np.sqrt(np.mean((actual - pred) ** 2)))
    return mape, rmse


def forecast(x, periods=None, *, steps: int = 3, holdout: int = 2) -> pd.DataFrame:
    """GM(1,1) and Holt forecasts for one series.

    Returns rows ``period, kind ('fit'|'forecast'), actual, gm11, holt`` plus, in ``attrs["diagnostics"]``:
    a, b, C, P, grade, level-ratio check, and out-of-sample MAPE/RMSE of both models on the last
    ``holdout`` points (NaN with a note when fewer than 4 + holdout points exist).
    """
    x0 = np.asarray(x, dtype="float64")
    m = gm11(x0)
    n = len(x0)
    per = np.arange(1, n + 1) if periods is None else np.asarray(periods)
    if len(per) != n:
        raise MethodError("forecast: periods and values differ in length")
    step = (per[-1] - per[-2]) if n > 1 else 1
    fut = per[-1] + step * np.arange(1, steps + 1)
    gm_f = m.predict(steps)
    holt_f = _holt(x0, steps)
    diag = {
        "a": m.a,
        "b": m.b,
        "C": m.C,
        "P": m.P,
        "grade": m.grade,
        "ratio_ok": m.ratio_ok,
        "notes": list(m.notes),
        "n": n,
        "holdout": holdout,
    }
    if holdout > 0 and n - holdout >= MIN_POINTS:
        train, test = x0[:-holdout], x0[-holdout:]
        diag["gm11_mape"], diag["gm11_rmse"] = _errors(test, gm11(train).predict(holdout))
        diag["holt_mape"], diag["holt_rmse"] = _errors(test, _holt(train, holdout))
    else:
        for k in ("gm11_mape", "gm11_rmse", "holt_mape", "holt_rmse"):
            diag[k] = float("nan")
        diag["notes"].append(
            f"out-of-sample error not computed: needs ≥ {MIN_POINTS + max(holdout, 1)} points"
        )
    fit_rows = pd.DataFrame({"period": per, "kind": "fit", "actual": x0, "gm11": m.fitted, "holt": np.nan})
    fc_rows = pd.DataFrame(
        {"period": fut, "kind": "forecast", "actual": np.nan, "gm11": gm_f, "holt": holt_f}
    )
    out = pd.concat([fit_rows, fc_rows], ignore_index=True)
    out.attrs["diagnostics"] = diag
    out.attrs["manifest"] = manifest("forecast", steps=steps, holdout=holdout, baseline="holt-additive")
    return out


def forecast_panel(
    df: pd.DataFrame,
    value: str,
    unit: str = "unit",
    period: str = "period",
    *,
    steps: int = 3,
    holdout: int = 2,
) -> pd.DataFrame:
    """:func:`forecast` for every unit: ``unit, period, kind, actual, gm11, holt, a, b, C, P, grade,
    gm11_mape, holt_mape``; the manifest in ``attrs["manifest"]``. A unit with fewer than four points
    raises MethodError naming it."""
    require_columns(df, [value, unit, period], what="forecast input")
    out = []
    for u, sub in df.sort_values(period).groupby(unit, sort=True):
        try:
            f = forecast(sub[value].to_numpy(), sub[period].to_numpy(), steps=steps, holdout=holdout)
        except MethodError as exc:
            raise MethodError(f"forecast: unit {u!r}: {exc}") from None
        d = f.attrs["diagnostics"]
        f.insert(0, "unit", u)
        for k in ("a", "b", "C", "P", "grade", "gm11_mape", "holt_mape"):
            f[k] = d[k]
        out.append(f)
    res = pd.concat(out, ignore_index=True)
    res.attrs = {"manifest": manifest("forecast_panel", value=value, steps=steps, holdout=holdout,
                                      baseline="holt-additive", units=len(out))}
    return res
