"""DEA (CCR/BCC, SBM, super-efficiency, DDF) against published numbers, identities and a second algorithm.

Published references:
* Coelli, T. (1996) "A Guide to DEAP Version 2.1", CEPA Working Paper 96/08, Univ. of New England —
  example EG1 (5 firms, 1 output, 2 inputs, CRS input-orientated DEA; output file EG1.OUT, Section 6)
  and example EG4 (Malmquist DEA; its DISTANCES SUMMARY reports CRS and VRS output-orientated te per year).
Second algorithm: scipy.optimize.linprog (HiGHS through SciPy, but an independently written formulation —
for CCR/BCC the *multiplier* (dual) form, for SBM/DDF the envelopment form written from the papers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from nqpf.errors import DataError, MethodError
from nqpf.productivity import dea

# DEAP 2.1 EG1.DTA (Coelli 1996, Section 6.1): columns y, x1, x2 for firms 1–5.
EG1 = pd.DataFrame(
    {"firm": ["1", "2", "3", "4", "5"], "y": [1, 2, 3, 1, 2], "x1": [2, 2, 6, 3, 6], "x2": [5, 4, 6, 2, 2]}
)

# DEAP 2.1 EG4.DTA (Coelli 1996, Section 6.4): 5 firms, 1 output y, 1 input x; years 1, 2 (year 3 = year 2).
EG4_Y1 = pd.DataFrame({"firm": list("12345"), "y": [1, 2, 3, 4, 5], "x": [2, 4, 3, 5, 6]})
EG4_Y2 = pd.DataFrame({"firm": list("12345"), "y": [1, 3, 4, 3, 5], "x": [2, 4, 3, 5, 5]})


def random_data(n: int, seed: int, m: int = 2, s: int = 2, k: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols = [f"x{i}" for i in range(m)] + [f"y{r}" for r in range(s)] + [f"b{q}" for q in range(k)]
    df = pd.DataFrame(rng.uniform(1, 10, (n, m + s + k)), columns=cols)
    df.insert(0, "id", [f"u{j}" for j in range(n)])
    return df


# ---------------------------------------------------------------- published: DEAP 2.1 EG1 / EG4


def test_deap_eg1_crs_input_scores_slacks_peers():
    r = dea(EG1, ["x1", "x2"], ["y"], id="firm", model="ccr", orientation="input").set_index("unit")
    # Coelli (1996) DEAP 2.1 guide, EG1.OUT "EFFICIENCY SUMMARY": te = 0.500 1.000 0.833 0.714 1.000
    assert r["efficiency"].round(3).tolist() == [0.500, 1.000, 0.833, 0.714, 1.000]
    # EG1.OUT "SUMMARY OF INPUT SLACKS": firm 1 input 2 slack 0.500, every other slack 0.000
    assert r.loc["1", "slack_x2"] == pytest.approx(0.5, abs=1e-9)
    assert r.drop(index="1")[["slack_x1", "slack_x2", "slack_y"]].abs().to_numpy().max() < 1e-9
    # EG1.OUT "SUMMARY OF PEERS / PEER WEIGHTS": firm 3: 5 (0.500), 2 (1.000); firm 4: 5 (0.286), 2 (0.214)
    peers3 = dict(p.split(":") for p in r.loc["3", "peers"].split(";"))
    assert float(peers3["5"]) == pytest.approx(0.5, abs=1e-6) and float(peers3["2"]) == pytest.approx(
        1.0, abs=1e-6
    )
    peers4 = dict(p.split(":") for p in r.loc["4", "peers"].split(";"))
    assert round(float(peers4["5"]), 3) == 0.286 and round(float(peers4["2"]), 3) == 0.214
    # firm 1's peer is firm 2 with weight 0.500 (EG1.OUT)
    assert r.loc["1", "peers"] == "2:0.5"


@pytest.mark.parametrize(
    "data, crs, vrs",
    [
        # Coelli (1996) DEAP 2.1, EG4.OUT DISTANCES SUMMARY, year 1: crs te (t) and vrs te (output orientated)
        (EG4_Y1, [0.500, 0.500, 1.000, 0.800, 0.833], [1.000, 0.545, 1.000, 0.923, 1.000]),
        # EG4.OUT DISTANCES SUMMARY, year 2
        (EG4_Y2, [0.375, 0.563, 1.000, 0.450, 0.750], [1.000, 0.667, 1.000, 0.600, 1.000]),
    ],
)
def test_deap_eg4_distances_crs_vrs_output(data, crs, vrs):
    c = dea(data, "x", "y", id="firm", model="ccr", orientation="output")
    v = dea(data, "x", "y", id="firm", model="bcc", orientation="output")
    assert np.round(c["efficiency"].to_numpy() + 1e-12, 3).tolist() == crs
    assert np.round(v["efficiency"].to_numpy() + 1e-12, 3).tolist() == vrs
    assert np.allclose(c["phi"] * c["efficiency"], 1.0)


# ---------------------------------------------------------------- second algorithm (scipy multiplier form)


def ref_radial_multiplier(X, Y, o, rts, orientation):
    """Multiplier (dual) form: input: max u·y_o + u0 s.t. v·x_o = 1, u·y_j − v·x_j + u0 ≤ 0."""
    n, m = X.shape
    s = Y.shape[1]
    free0 = rts == "vrs"
    if orientation == "input":
        c = -np.r_[Y[o], np.zeros(m), [1.0] if free0 else []]
        A_ub = np.hstack([Y, -X] + ([np.ones((n, 1))] if free0 else []))
        A_eq = np.r_[np.zeros(s), X[o], [0.0] if free0 else []][None]
    else:  # min v·x_o + v0 s.t. u·y_o = 1, u·y_j − v·x_j − v0 ≤ 0 ; φ = optimum
        c = np.r_[np.zeros(s), X[o], [1.0] if free0 else []]
        A_ub = np.hstack([Y, -X] + ([-np.ones((n, 1))] if free0 else []))
        A_eq = np.r_[Y[o], np.zeros(m), [0.0] if free0 else []][None]
    bounds = [(0, None)] * (s + m) + ([(None, None)] if free0 else [])
    r = linprog(c, A_ub=A_ub, b_ub=np.zeros(n), A_eq=A_eq, b_eq=[1.0], bounds=bounds, method="highs")
    assert r.status == 0
    return -r.fun if orientation == "input" else r.fun


@pytest.mark.parametrize(
    "model,orientation", [("ccr", "input"), ("ccr", "output"), ("bcc", "input"), ("bcc", "output")]
)
def test_radial_matches_multiplier_form(model, orientation):
    df = random_data(40, 1, m=2, s=2)
    res = dea(df, ["x0", "x1"], ["y0", "y1"], id="id", model=model, orientation=orientation)
    X, Y = df[["x0", "x1"]].to_numpy(), df[["y0", "y1"]].to_numpy()
    rts = "vrs" if model == "bcc" else "crs"
    ref = np.array([ref_radial_multiplier(X, Y, o, rts, orientation) for o in range(len(df))])
    got = res["efficiency"].to_numpy() if orientation == "input" else res["phi"].to_numpy()
    assert np.max(np.abs(got - ref)) < 1e-8
    assert (res["efficiency"] <= 1 + 1e-9).all() and (res["efficiency"] > 0).all()


def ref_sbm(X, Y, B, o, rts="crs"):
    """Tone (2001/2004) non-oriented SBM, Charnes–Cooper form, written out for linprog."""
    n, m = X.shape
    s, k = Y.shape[1], B.shape[1]
    # variables: t, Λ (n), S- (m), Sg (s), Sb (k)
    nv = 1 + n + m + s + k
    c = np.zeros(nv)
    c[0] = 1.0
    c[1 + n : 1 + n + m] = -1.0 / (m * X[o])
    A_eq, b_eq = [], []
    for i in range(m):
        row = np.zeros(nv)
        row[0] = -X[o, i]
        row[1 : 1 + n] = X[:, i]
        row[1 + n + i] = 1
        A_eq.append(row)
        b_eq.append(0)
    for r in range(s):
        row = np.zeros(nv)
        row[0] = -Y[o, r]
        row[1 : 1 + n] = Y[:, r]
        row[1 + n + m + r] = -1
        A_eq.append(row)
        b_eq.append(0)
    for q in range(k):
        row = np.zeros(nv)
        row[0] = -B[o, q]
        row[1 : 1 + n] = B[:, q]
        row[1 + n + m + s + q] = 1
        A_eq.append(row)
        b_eq.append(0)
    row = np.zeros(nv)
    row[0] = 1
    row[1 + n + m : 1 + n + m + s] = 1 / ((s + k) * Y[o])
    row[1 + n + m + s :] = 1 / ((s + k) * B[o]) if k else []
    A_eq.append(row)
    b_eq.append(1)
    if rts == "vrs":
        row = np.zeros(nv)
        row[0] = -1
        row[1 : 1 + n] = 1
        A_eq.append(row)
        b_eq.append(0)
    r = linprog(c, A_eq=np.array(A_eq), b_eq=b_eq, bounds=[(0, None)] * nv, method="highs")
    assert r.status == 0
    return r.fun


@pytest.mark.parametrize("rts", ["crs", "vrs"])
def test_sbm_with_bad_output_matches_linprog(rts):
    df = random_data(35, 2, m=2, s=1, k=1)
    res = dea(df, ["x0", "x1"], ["y0"], undesirable=["b0"], id="id", model="sbm", orientation="none", rts=rts)
    X, Y, B = (df[c].to_numpy() for c in (["x0", "x1"], ["y0"], ["b0"]))
    ref = np.array([ref_sbm(X, Y, B, o, rts) for o in range(len(df))])
    assert np.max(np.abs(res["efficiency"].to_numpy() - ref)) < 1e-8
    # reported slacks reproduce the score: ρ = (1 − mean s⁻/x) / (1 + mean(s^g/y, s^b/b))
    num = 1 - (res["slack_x0"] / df["x0"] + res["slack_x1"] / df["x1"]) / 2
    den = 1 + (res["slack_y0"] / df["y0"] + res["slack_b0"] / df["b0"]) / 2
    assert np.max(np.abs(num / den - res["efficiency"])) < 1e-7


def test_sbm_not_above_ccr_and_equal_for_one_input_one_output():
    df = random_data(50, 3, m=2, s=2)
    ccr = dea(df, ["x0", "x1"], ["y0", "y1"], id="id", model="ccr")
    for orient in ("none", "input", "output"):
        sbm = dea(df, ["x0", "x1"], ["y0", "y1"], id="id", model="sbm", orientation=orient)
        # Tone (2001) Theorem: SBM score ≤ CCR score (input- or output-oriented CCR, equal under CRS)
        assert (sbm["efficiency"] <= ccr["efficiency"] + 1e-9).all()
    # with one input and one output under CRS both equal (y/x)/max(y/x) (analytic)
    one = dea(df, "x0", "y0", id="id", model="sbm", orientation="none")
    ratio = df["y0"] / df["x0"]
    assert np.allclose(one["efficiency"], ratio / ratio.max(), atol=1e-9)


def test_sbm_oriented_scores_are_the_published_ratios():
    df = random_data(30, 4, m=2, s=2)
    for orient in ("input", "output"):
        r = dea(df, ["x0", "x1"], ["y0", "y1"], id="id", model="sbm", orientation=orient)
        if orient == "input":  # Tone (2001) eq. (input SBM): 1 − (1/m)Σ s⁻/x
            score = 1 - (r["slack_x0"] / df["x0"] + r["slack_x1"] / df["x1"]) / 2
        else:  # 1 / (1 + (1/s)Σ s⁺/y)
            score = 1 / (1 + (r["slack_y0"] / df["y0"] + r["slack_y1"] / df["y1"]) / 2)
        assert np.allclose(score, r["efficiency"], atol=1e-7)


# ---------------------------------------------------------------- super-efficiency


def test_andersen_petersen_analytic_one_input_one_output():
    df = pd.DataFrame({"id": list("abcd"), "x": [2.0, 4.0, 5.0, 3.0], "y": [2.0, 3.0, 2.0, 1.5]})
    r = dea(df, "x", "y", id="id", super_eff=True).set_index("unit")
    ratio = df.set_index("id")["y"] / df.set_index("id")["x"]  # 1, .75, .4, .5
    # CRS, one input/output: the best unit's AP score = its ratio / second-best ratio (analytic)
    assert r.loc["a", "efficiency"] == pytest.approx(1.0 / 0.75, abs=1e-9)
    assert r.loc["b", "efficiency"] == pytest.approx(0.75, abs=1e-9)  # inefficient units keep θ
    assert r.loc["c", "efficiency"] == pytest.approx(ratio["c"], abs=1e-9)


def test_vrs_super_efficiency_infeasible_is_reported_not_raised():
    df = pd.DataFrame({"id": list("abcd"), "x": [1.0, 2.0, 3.0, 2.5], "y": [1.0, 2.0, 3.0, 1.0]})
    r = dea(df, "x", "y", id="id", model="bcc", orientation="input", super_eff=True).set_index("unit")
    # unit c has the largest output: no convex combination of the others produces y = 3 ⇒ LP infeasible
    assert r.loc["c", "status"] == "infeasible"
    assert "infeasible" in r.loc["c", "reason"] and np.isnan(r.loc["c", "efficiency"])
    # a = (1, 1): the others need input 2 for output ≥ 1 (unit b) ⇒ θ = 2; b lies on segment a–c ⇒ 1
    assert r.loc["a", "status"] == "optimal" and r.loc["a", "efficiency"] == pytest.approx(2.0, abs=1e-9)
    assert r.loc["b", "efficiency"] == pytest.approx(1.0, abs=1e-9)
    assert r.attrs["manifest"]["infeasible_units"] == ["c"]


def ref_super_sbm(X, Y, B, o):
    """Tone (2002) super-SBM (CRS) with bads (denominator 1 − mean(s^g/y, s^b/b)), CC-linearised."""
    n, m = X.shape
    s, k = Y.shape[1], B.shape[1]
    idx = [j for j in range(n) if j != o]
    nn = len(idx)
    nv = 1 + nn + m + s + k  # t, Λ, S-, Sg, Sb
    c = np.zeros(nv)
    c[0] = 1
    c[1 + nn : 1 + nn + m] = 1 / (m * X[o])
    A_ub, b_ub = [], []
    for i in range(m):  # XΛ − S⁻ − t x ≤ 0
        row = np.zeros(nv)
        row[0] = -X[o, i]
        row[1 : 1 + nn] = X[idx, i]
        row[1 + nn + i] = -1
        A_ub.append(row)
        b_ub.append(0)
    for r in range(s):  # −(YΛ + Sg − t y) ≤ 0 ; Sg − t y ≤ 0
        row = np.zeros(nv)
        row[0] = Y[o, r]
        row[1 : 1 + nn] = -Y[idx, r]
        row[1 + nn + m + r] = -1
        A_ub.append(row)
        b_ub.append(0)
        row = np.zeros(nv)
        row[0] = -Y[o, r]
        row[1 + nn + m + r] = 1
        A_ub.append(row)
        b_ub.append(0)
    for q in range(k):  # BΛ − Sb − t b ≤ 0
        row = np.zeros(nv)
        row[0] = -B[o, q]
        row[1 : 1 + nn] = B[idx, q]
        row[1 + nn + m + s + q] = -1
        A_ub.append(row)
        b_ub.append(0)
    eq = np.zeros(nv)
    eq[0] = 1
    eq[1 + nn + m : 1 + nn + m + s] = -1 / ((s + k) * Y[o])
    eq[1 + nn + m + s :] = -1 / ((s + k) * B[o])
    r = linprog(
        c, A_ub=np.array(A_ub), b_ub=b_ub, A_eq=eq[None], b_eq=[1], bounds=[(0, None)] * nv, method="highs"
    )
    assert r.status == 0
    return r.fun


def test_super_sbm_with_bad_output_matches_linprog():
    df = random_data(25, 5, m=2, s=1, k=1)
    plain = dea(df, ["x0", "x1"], ["y0"], undesirable="b0", id="id", model="sbm", orientation="none")
    sup = dea(
        df, ["x0", "x1"], ["y0"], undesirable="b0", id="id", model="sbm", orientation="none", super_eff=True
    )
    X, Y, B = (df[c].to_numpy() for c in (["x0", "x1"], ["y0"], ["b0"]))
    eff = np.flatnonzero(plain["efficiency"].to_numpy() >= 1 - 1e-9)
    assert eff.size >= 1
    for o in eff:
        assert sup["efficiency"].iloc[o] == pytest.approx(ref_super_sbm(X, Y, B, o), abs=1e-8)
        assert sup["efficiency"].iloc[o] >= 1 - 1e-9
    ineff = np.setdiff1d(np.arange(len(df)), eff)
    assert np.allclose(sup["efficiency"].to_numpy()[ineff], plain["efficiency"].to_numpy()[ineff])


# ---------------------------------------------------------------- DDF


def ref_ddf(X, Y, B, o, g):
    """max β s.t. Xλ ≤ x − βg_x, Yλ ≥ y + βg_y, Bλ = b − βg_b, λ ≥ 0 (CRS)."""
    n, m = X.shape
    s, _k = Y.shape[1], B.shape[1]
    c = np.r_[-1.0, np.zeros(n)]
    A_ub = np.vstack([np.c_[g[:m], X.T], np.c_[g[m : m + s], -Y.T]])
    b_ub = np.r_[X[o], -Y[o]]
    A_eq = np.c_[g[m + s :], B.T]
    r = linprog(
        c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=B[o], bounds=[(None, None)] + [(0, None)] * n, method="highs"
    )
    assert r.status == 0
    return -r.fun


def test_ddf_with_bad_output_matches_linprog_and_fixed_direction():
    df = random_data(30, 6, m=2, s=1, k=1)
    X, Y, B = (df[c].to_numpy() for c in (["x0", "x1"], ["y0"], ["b0"]))
    r = dea(df, ["x0", "x1"], ["y0"], undesirable="b0", id="id", model="ddf", orientation="output")
    ref = [ref_ddf(X, Y, B, o, np.r_[0, 0, Y[o], B[o]]) for o in range(len(df))]
    assert np.max(np.abs(r["beta"].to_numpy() - ref)) < 1e-8
    assert np.allclose(r["efficiency"], 1 / (1 + r["beta"]))
    fixed = dea(
        df, ["x0", "x1"], ["y0"], undesirable="b0", id="id", model="ddf", direction={"y0": 1.0, "b0": 1.0}
    )
    ref2 = [ref_ddf(X, Y, B, o, np.r_[0, 0, 1.0, 1.0]) for o in range(len(df))]
    assert np.max(np.abs(fixed["beta"].to_numpy() - ref2)) < 1e-8


# ---------------------------------------------------------------- fast path == full LP


@pytest.mark.parametrize(
    "kw",
    [
        dict(model="ccr", orientation="input"),
        dict(model="ccr", orientation="output"),
        dict(model="bcc", orientation="input"),
        dict(model="bcc", orientation="output", super_eff=True),
        dict(model="ccr", orientation="input", rts="nirs"),
        dict(model="sbm", orientation="none", undesirable="b0"),
        dict(model="sbm", orientation="none", undesirable="b0", super_eff=True),
        dict(model="ddf", orientation="output", undesirable="b0"),
    ],
)
def test_column_generation_equals_full_lp(kw):
    df = random_data(350, 7, m=3, s=2, k=1)
    kw = dict(kw)
    bads = kw.pop("undesirable", None)
    ins = ["x0", "x1", "x2"] if bads else ["x0", "x1", "x2", "b0"]
    args = dict(undesirable=bads, id="id", n_jobs=1, **kw)
    full = dea(df, ins, ["y0", "y1"], mode="full", **args)
    fast = dea(df, ins, ["y0", "y1"], mode="cg", **args)
    assert (full["status"] == fast["status"]).all()
    ok = full["status"] == "optimal"
    assert np.max(np.abs(full.loc[ok, "efficiency"] - fast.loc[ok, "efficiency"])) < 1e-8


def test_parallel_equals_serial():
    from nqpf.productivity import _lp

    df = random_data(800, 8, m=3, s=2)
    Z = df[["x0", "x1", "x2", "y0", "y1"]].to_numpy()
    Zs = Z / Z.mean(axis=0)
    fam = _lp.radial_family(3, 2, "crs", "input")
    T = _lp.tech_matrix(fam, Zs)
    one = _lp.solve_points(fam, T, Zs, mode="cg", n_jobs=1)
    two = _lp.solve_points(fam, T, Zs, mode="cg", n_jobs=2, parallel_min=100)
    assert np.max(np.abs(one.obj - two.obj)) < 1e-10


def test_units_invariance_and_period_frontiers():
    df = random_data(40, 9)
    df2 = df.assign(x0=df["x0"] * 1e6, y1=df["y1"] * 1e-4)
    a = dea(df, ["x0", "x1"], ["y0", "y1"], id="id", model="sbm", orientation="none")
    b = dea(df2, ["x0", "x1"], ["y0", "y1"], id="id", model="sbm", orientation="none")
    assert np.allclose(a["efficiency"], b["efficiency"], atol=1e-9)
    assert np.allclose(a["slack_x0"] * 1e6, b["slack_x0"], rtol=1e-6, atol=1e-6)
    panel = pd.concat([df.assign(year=2000), df2.assign(year=2001)])
    p = dea(panel, ["x0", "x1"], ["y0", "y1"], id="id", period="year")
    assert list(p.columns[:3]) == ["unit", "period", "efficiency"]
    one = dea(df, ["x0", "x1"], ["y0", "y1"], id="id")
    assert np.allclose(p.loc[p.period == 2000, "efficiency"], one["efficiency"])


# ---------------------------------------------------------------- bad input


def test_bad_input_messages():
    df = random_data(10, 10)
    with pytest.raises(DataError, match="missing for unit"):
        dea(df.assign(x0=df["x0"].where(df.index != 3)), ["x0", "x1"], ["y0"], id="id")
    with pytest.raises(DataError, match="u2"):
        dea(df.assign(y0=df["y0"].where(df.index != 2, -1.0)), ["x0", "x1"], ["y0"], id="id")
    with pytest.raises(DataError, match="strictly positive"):
        dea(
            df.assign(x1=df["x1"].where(df.index != 4, 0.0)),
            ["x0", "x1"],
            ["y0"],
            id="id",
            model="sbm",
            orientation="none",
        )
    with pytest.raises(MethodError, match="only 3 units"):
        dea(df.head(3), ["x0", "x1"], ["y0", "y1"], id="id")
    with pytest.raises(MethodError, match="undesirable"):
        dea(df, ["x0"], ["y0"], undesirable="y1", id="id", model="ccr")
    with pytest.raises(DataError, match="more than once"):
        dea(df.assign(id="same"), ["x0"], ["y0"], id="id")
    with pytest.raises(DataError, match="not in the data"):
        dea(df, ["nope"], ["y0"], id="id")
    with pytest.raises(DataError, match="period column"):
        dea(df, ["x0"], ["y0"], id="id", period="year")
    with pytest.raises(MethodError):
        dea(df, ["x0"], ["y0"], id="id", model="ccr", orientation="none")
    with pytest.warns(UserWarning, match="constant"):
        r = dea(df.assign(x1=5.0), ["x0", "x1"], ["y0"], id="id")
    assert "constant" in r.attrs["manifest"]["warnings"][0]


# ---------------------------------------------------------------- CLI contract


def test_cli_dea_contract(tmp_path):
    from typer.testing import CliRunner

    from nqpf.cli.main import app, register_commands

    register_commands()
    src = tmp_path / "eg1.csv"
    EG1.to_csv(src, index=False)
    out = tmp_path / "out.csv"
    res = CliRunner().invoke(
        app,
        [
            "dea",
            "--data",
            str(src),
            "--id",
            "firm",
            "--inputs",
            "x1,x2",
            "--outputs",
            "y",
            "--model",
            "ccr",
            "--orientation",
            "input",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out)
    assert {"firm", "efficiency", "status", "reason", "peers"} <= set(got.columns)  # the --id name is kept
    assert got["efficiency"].round(3).tolist() == [0.5, 1.0, 0.833, 0.714, 1.0]  # DEAP EG1 (as above)
    out2 = tmp_path / "out2.csv"
    res = CliRunner().invoke(
        app,
        [
            "dea",
            "--data",
            str(src),
            "--id",
            "firm",
            "--inputs",
            "x1,x2",
            "--outputs",
            "y",
            "--model",
            "bcc",
            "--orientation",
            "output",
            "--super",
            "--out",
            str(out2),
        ],
    )
    assert res.exit_code == 0, res.output
    got2 = pd.read_csv(out2)
    assert {"firm", "efficiency", "phi", "status"} <= set(got2.columns)


@pytest.mark.parametrize("kind", ["radial_in", "radial_out", "ddf"])
def test_facet_ordered_large_batches_equal_full_lp(kind):
    """Batches > 1024 points are solved in facet order after a pilot (a hot-start heuristic): same results."""
    from nqpf.productivity import _lp

    Z = np.random.default_rng(11).uniform(1, 100, (1400, 4))
    Zs = Z / Z.mean(axis=0)
    if kind == "ddf":
        fam = _lp.ddf_family(2, 1, 1, "crs", weak=True)
        P = np.hstack([Zs, Zs * np.r_[0, 0, 1, 1]])
    else:
        fam = _lp.radial_family(3, 1, "vrs", kind.split("_")[1])
        P = Zs
    T = _lp.tech_matrix(fam, Zs)
    fast = _lp.solve_points(fam, T, P, mode="cg", n_jobs=1)
    sub = np.random.default_rng(0).choice(len(P), 120, replace=False)
    full = _lp.solve_points(fam, T, P[sub], mode="full", n_jobs=1)
    assert np.max(np.abs(fast.obj[sub] - full.obj)) < 1e-8


# ---------------------------------------------------------------- portability (issue 15 item 6)


def test_dea_runs_without_sched_getaffinity(monkeypatch):
    """macOS/Windows have no ``os.sched_getaffinity``: the default worker count falls back portably."""
    import os

    from nqpf.productivity import _lp

    ref = dea(EG1, ["x1", "x2"], ["y"], id="firm", model="ccr")["efficiency"].to_numpy()
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.delattr(os, "process_cpu_count", raising=False)  # 3.13+: exercise the last fallback too
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # cpu_count() may return None: still ≥ 1 job
    assert _lp.available_cpus() == 1 and _lp.n_jobs_default() == 1
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert _lp.available_cpus() == 64 and _lp.n_jobs_default() == 8
    got = dea(EG1, ["x1", "x2"], ["y"], id="firm", model="ccr")["efficiency"].to_numpy()
    assert np.allclose(got, ref, atol=1e-12)
    # Coelli (1996) DEAP 2.1 EG1.OUT: te = 0.500 1.000 0.833 0.714 1.000
    assert np.round(got, 3).tolist() == [0.500, 1.000, 0.833, 0.714, 1.000]
