"""ML / Luenberger with ``bad_disposability`` = "equality" (weak, default) or "inequality" (free), issue 15 item 3.

Published reference (inequality form): DataEnvelopmentAnalysis.jl (Javier Barbero), file test/malmluen.jl, commit
338c0d2373d852e3c15b4357a9ca01a1f7e31bfc (repository HEAD when fetched; the file last changed in 23b9d682,
2024-06-27; package version 0.9.2), testset "MalmquistLuenbergerDEAModel": 5 DMUs, 1 input (all ones), 1 good
output, 1 bad output, 2 and 3 periods; stored expected ``prodchange`` (:Prod = ML, :EC, :TC).

That package's ``malmluen`` solves ``deaenv`` (src/deaenv.jl) LPs:
max β s.t. Σλx ≤ x0 − βGx, Σλy ≥ y0 + βGy, Σλb ≤ b0 − βGb, λ ≥ 0 — **bad outputs as an inequality**, CRS (the only
returns to scale it accepts), defaults Gx = :Zeros, Gy = :Observed, Gb = :Observed, refperiod = :Geomean. These are
matched explicitly below: ``bad_disposability="inequality"``, ``rts="crs"``, ``technology="contemporaneous"``,
``direction=None`` (= nqpf's proportional (0, y, b): y + βy, b − βb, the evaluated unit's own data, as Gy/Gb =
:Observed), and the geometric-mean ML, EC = (1+D_t(t))/(1+D_{t+1}(t+1)), TC = ML/EC, which is the same
construction as malmluen's :Geomean. (malmluen's extra row ``maxB ≥ b0`` has no variables and never binds.)

The equality (weak disposability) form keeps its published checks in test_malmquist.py; here it is checked to be
the default and, on the same data, to report the infeasible LPs (unit, period pair, which LP) in the result.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from nqpf.errors import MethodError
from nqpf.productivity import malmquist

# DataEnvelopmentAnalysis.jl test/malmluen.jl: Y[:,:,t], B[:,:,t] for DMUs 1–5 (X = ones); periods 1, 2, 3
_Y = [[7, 5, 1, 3, 4], [8, 5.5, 2, 2, 4], [8, 5.5, 2, 2, 4]]
_B = [[2, 5, 3, 3, 2], [1, 3, 2, 4, 1], [0.5, 2, 0.5, 3, 0.5]]
JL = pd.DataFrame(
    [
        dict(dmu=f"d{i + 1}", t=t + 1, x=1.0, y=float(_Y[t][i]), b=float(_B[t][i]))
        for t in range(3)
        for i in range(5)
    ]
)

# test/malmluen.jl, 2 periods: prodchange(mlprod), (mlprod, :EC), (mlprod, :TC) — tested there with ≈ (rtol √eps)
JL_PROD_2 = [1.3702375781, 1.1, 1.1259778360, 0.91624569458, 1.2792042981]
JL_EC_2 = [1.0, 0.9625, 1.027173913, 119 / 144, 21 / 22]
JL_TC_2 = [1.3702375781, 1.1428571429, 1.0961900625, 1.1087342859, 1.3401187885]
# test/malmluen.jl, 3 periods (columns: pair 1→2, pair 2→3) — tested there with atol = 1e-5
JL_PROD_3 = [[1.37024, 1.22474], [1.1, 1.0], [1.12598, 1.25245], [0.916246, 1.01484], [1.2792, 1.26491]]
JL_EC_3 = [[1.0, 1.0], [0.9625, 1.0], [1.02717, 1.11111], [0.826389, 0.980392], [0.954545, 1.0]]
JL_TC_3 = [[1.37024, 1.22474], [1.14286, 1.0], [1.09619, 1.1272], [1.10873, 1.03514], [1.34012, 1.264910]]


def _ml(df: pd.DataFrame, **kw) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*constant")  # the input is all ones, as in the Julia test
        return malmquist(df, "x", "y", undesirable="b", id="dmu", period="t", **kw)


def _wide(r: pd.DataFrame, col: str) -> np.ndarray:
    return r.pivot(index="unit", columns="period", values=col).sort_index().to_numpy()


def test_inequality_matches_dataenvelopmentanalysis_jl_two_periods():
    r = _ml(
        JL[JL.t <= 2], index="ml", bad_disposability="inequality", rts="crs", technology="contemporaneous"
    )
    r = r.set_index("unit").sort_index()
    assert (r["status"] == "optimal").all()
    assert r.attrs["manifest"]["bad_disposability"] == "inequality"
    assert "Y^b λ ≤ b" in r.attrs["manifest"]["bad_outputs"]
    for col, ref in (("tfpch", JL_PROD_2), ("effch", JL_EC_2), ("techch", JL_TC_2)):
        # the Julia values are printed to 10–11 significant digits
        assert np.abs(r[col].to_numpy() - np.array(ref)).max() < 1e-9, col


def test_inequality_matches_dataenvelopmentanalysis_jl_three_periods():
    r = _ml(JL, index="ml", bad_disposability="inequality")
    assert (r["status"] == "optimal").all() and not r.attrs["manifest"]["infeasible_pairs"]
    for col, ref in (("tfpch", JL_PROD_3), ("effch", JL_EC_3), ("techch", JL_TC_3)):
        assert np.abs(_wide(r, col) - np.array(ref)).max() < 1e-5, col  # the Julia test's own atol
    # cumulative ML chains the pairs
    d1 = r[r.unit == "d1"].sort_values("period")
    assert d1["cum_tfpch"].iloc[-1] == pytest.approx(np.prod(d1["tfpch"]), rel=1e-12)


def test_equality_is_the_default_and_reports_infeasible_pairs():
    with pytest.warns(UserWarning, match="gml") as rec:
        eq = _ml(JL, index="ml")
    with pytest.warns(UserWarning, match="gml"):
        eq2 = _ml(JL, index="ml", bad_disposability="equality")
    pd.testing.assert_frame_equal(eq, eq2)
    assert eq.attrs["manifest"]["bad_disposability"] == "equality"
    assert "Y^b λ = b" in eq.attrs["manifest"]["bad_outputs"]
    msg = " ".join(str(w.message) for w in rec)
    assert (
        "2 of 10 unit-pair(s)" in msg
        and "infeasible_pairs" in msg
        and "bad_disposability='inequality'" in msg
    )
    # d2 in period t, (y, b) = (5, 5) at t=1, against technology t+1 under Y^bλ = 5(1−β), Y^gλ ≥ 5(1+β), Σλ ≤ 1
    # (x = 1): needs Σλ(y+b) ≥ 10 but max(y+b) over the period-2 units is 9 ⇒ D_{t+1}(t) infeasible; same at t=2.
    bad = eq[eq["status"] != "optimal"]
    assert sorted(zip(bad.unit, bad.period_from, bad.period, strict=True)) == [("d2", 1, 2), ("d2", 2, 3)]
    assert (bad["status"] == "infeasible").all() and bad["tfpch"].isna().all() and bad["techch"].isna().all()
    assert bad["reason"].str.contains("cross-period D_{t+1}(t) LP infeasible", regex=False).all()
    # the same-period distances still exist: effch is reported
    assert np.isfinite(bad["effch"]).all()
    table = pd.DataFrame(eq.attrs["manifest"]["infeasible_pairs"])
    assert list(table.columns) == ["unit", "period_from", "period", "lp", "status"]
    assert table.values.tolist() == [
        ["d2", 1, 2, "cross-period D_{t+1}(t)", "infeasible"],
        ["d2", 2, 3, "cross-period D_{t+1}(t)", "infeasible"],
    ]
    assert eq.attrs["manifest"]["n_infeasible_pairs"] == 2
    # every NaN index of the result carries a reason: no silent NaN
    nan_rows = eq[["tfpch", "effch", "techch", "cum_tfpch", "cum_effch", "cum_techch"]].isna().any(axis=1)
    assert (eq.loc[nan_rows, "reason"].str.len() > 0).all()
    # feasible units are the same under both forms here (their LPs do not bind on the bad-output row's sign)
    ineq = _ml(JL, index="ml", bad_disposability="inequality")
    for u in ("d3", "d4", "d5"):
        assert np.allclose(eq.loc[eq.unit == u, "tfpch"], ineq.loc[ineq.unit == u, "tfpch"], atol=1e-10)


def test_gml_is_feasible_under_equality_where_ml_is_not():
    r = _ml(JL, index="gml")
    assert (r["status"] == "optimal").all() and r["tfpch"].notna().all()
    assert r.attrs["manifest"]["infeasible_pairs"] == []


def test_cumulative_nan_after_an_infeasible_pair_is_explained():
    # d2's period-3 data equal its period-2 data: pair 2→3 becomes feasible (each point is in the other's
    # technology), pair 1→2 stays infeasible, so cum_* of 2→3 is NaN — with a reason
    df = JL.copy()
    df.loc[(df.dmu == "d2") & (df.t == 3), ["y", "b"]] = [5.5, 3.0]
    with pytest.warns(UserWarning, match="1 of 10"):
        r = _ml(df, index="ml")
    row = r[(r.unit == "d2") & (r.period == 3)].iloc[0]
    assert row["status"] == "optimal" and np.isfinite(row["tfpch"]) and np.isnan(row["cum_tfpch"])
    assert "earlier pair of this unit is infeasible" in row["reason"]


def _ddf_ineq(x0, y0, b0, Xr, Yr, Br) -> float:
    """Literal CRS DDF with direction (0, y0, b0) and free disposability of bads (scipy linprog, unscaled):
    max β s.t. Σλx ≤ x0, Σλy ≥ y0 + βy0, Σλb ≤ b0 − βb0, λ ≥ 0. NaN if no optimum."""
    n = len(Xr)
    c = np.r_[-1.0, np.zeros(n)]
    A = np.vstack(
        [np.c_[np.zeros((Xr.shape[1], 1)), Xr.T], np.c_[y0[:, None], -Yr.T], np.c_[b0[:, None], Br.T]]
    )
    b = np.r_[x0, -y0, b0]
    res = linprog(c, A_ub=A, b_ub=b, bounds=[(None, None)] + [(0, None)] * n, method="highs")
    return res.x[0] if res.status == 0 else np.nan


def _random_panel(n: int, T: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n):
        base = rng.uniform(1, 10, 5)
        for t in range(T):
            rows.append(
                dict(
                    id=f"u{u}",
                    year=2000 + t,
                    k=base[0] * rng.uniform(0.8, 1.2) * 1.03**t,
                    l=base[1] * rng.uniform(0.8, 1.2),
                    y=base[2] * rng.uniform(0.7, 1.3) * 1.05**t,
                    co2=base[3] * rng.uniform(0.7, 1.3),
                    so2=base[4] * rng.uniform(0.7, 1.3),
                )
            )
    return pd.DataFrame(rows)


def test_luenberger_inequality_matches_literal_lp_and_ml_distances():
    df = _random_panel(12, 3, 5)
    kw = dict(undesirable=["co2", "so2"], id="id", period="year", bad_disposability="inequality")
    lu = malmquist(df, ["k", "l"], "y", index="luenberger", **kw)
    ml = malmquist(df, ["k", "l"], "y", index="ml", **kw)
    assert (lu["status"] == "optimal").all() and (ml["status"] == "optimal").all()
    # Luenberger and ML read the same four distances
    for c in ("d_t_t", "d_t_t1", "d_t1_t", "d_t1_t1"):
        assert np.allclose(lu[c], ml[c], atol=1e-12)
    # distances against a literal linprog formulation on unscaled data
    data = {y: df[df.year == y].set_index("id") for y in df.year.unique()}

    def arr(d, cols):
        return d[cols].to_numpy(float)

    worst = 0.0
    for _, r in lu.iterrows():
        t0, t1 = data[r.period_from], data[r.period]
        for col, pt, ref in (("d_t_t", t0, t0), ("d_t_t1", t1, t0), ("d_t1_t", t0, t1), ("d_t1_t1", t1, t1)):
            p = pt.loc[r.unit]
            v = _ddf_ineq(
                p[["k", "l"]].to_numpy(float),
                p[["y"]].to_numpy(float),
                p[["co2", "so2"]].to_numpy(float),
                arr(ref, ["k", "l"]),
                arr(ref, ["y"]),
                arr(ref, ["co2", "so2"]),
            )
            worst = max(worst, abs(v - r[col]))
    assert worst < 1e-7
    # Chambers, Färe & Grosskopf (1996) indicator from those distances
    L = 0.5 * ((lu.d_t1_t - lu.d_t1_t1) + (lu.d_t_t - lu.d_t_t1))
    assert np.allclose(lu["tfpch"], L, atol=1e-12)
    assert np.allclose(lu["tfpch"], lu["effch"] + lu["techch"], atol=1e-12)
    # free disposability enlarges every technology: D^ineq ≥ D^eq wherever the equality LP is feasible
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eq = malmquist(df, ["k", "l"], "y", index="luenberger", **{**kw, "bad_disposability": "equality"})
    for c in ("d_t_t", "d_t_t1", "d_t1_t", "d_t1_t1"):
        ok = eq[c].notna()
        assert (lu.loc[ok, c] >= eq.loc[ok, c] - 1e-9).all()


def test_inequality_column_generation_equals_full_lp():
    df = _random_panel(40, 3, 6)
    kw = dict(undesirable=["co2", "so2"], id="id", period="year", index="ml", bad_disposability="inequality")
    full = malmquist(df, ["k", "l"], "y", mode="full", **kw)
    cg = malmquist(df, ["k", "l"], "y", mode="cg", **kw)
    for c in ("tfpch", "effch", "techch", "d_t_t1", "d_t1_t"):
        assert np.allclose(full[c], cg[c], atol=1e-9, equal_nan=True)


def test_bad_disposability_validation():
    with pytest.raises(MethodError, match="bad_disposability"):
        _ml(JL, index="ml", bad_disposability="weak-ish")
    with pytest.raises(MethodError, match="bad_disposability"):
        malmquist(JL, "x", "y", id="dmu", period="t", bad_disposability="inequality")
    # case-insensitive; GML accepts the option too
    r = _ml(JL, index="gml", bad_disposability="Inequality")
    assert r.attrs["manifest"]["bad_disposability"] == "inequality"
