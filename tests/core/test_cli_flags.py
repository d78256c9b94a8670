"""Library options exposed as CLI flags: each flag's output equals the library call with that option, differs
from the default where the option changes the numbers, and a misuse names the flag (exit 2).

References:
* DEAP 2.1 example EG1 (Coelli 1996, "A Guide to DEAP Version 2.1", §6.1): CRS input-oriented TE 0.5, 1,
  0.833, 0.714, 1. Under CRS the DDF with direction (x, y) gives β* with θ* = (1 − β*)/(1 + β*) (Chambers,
  Chung & Färe 1996; Färe & Grosskopf 2000) — the deaR ρ of ``--ddf-efficiency rho``.
* Under CRS the Shephard output distance is the reciprocal of the input distance, so the output- and
  input-oriented Malmquist indices coincide (Färe, Grosskopf, Norris & Zhang 1994, AER 84(1), fn. 8); the
  Farrell convention (R Benchmarking ``malmq``) is their reciprocal.
* Silverman's rule with IQR/1.349: statsmodels ``bw_silverman`` (an independent implementation).
* Clustered s.e. (module docstring of nqpf.analysis.convergence): statsmodels c = G/(G−1)·(N−1)/(N−K), Stata
  ``xtreg, fe vce(cluster)`` c = G/(G−1)·(N−1)/(N−K−1) (one regressor, unit effects only), linearmodels
  c = N/(N−K): the s.e. scale as √c with identical coefficients.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.cli.main import app, register_commands
from nqpf.errors import MethodError

register_commands()
runner = CliRunner()

EG1 = pd.DataFrame({"firm": ["1", "2", "3", "4", "5"], "y": [1, 2, 3, 1, 2], "x1": [2, 2, 6, 3, 6],
                    "x2": [5, 4, 6, 2, 2]})  # fmt: skip
DEAP_EG1_TE = [0.5, 1.0, 0.833, 0.714, 1.0]


def _ok(args):
    r = runner.invoke(app, ["--lang", "en", *args])
    assert r.exit_code == 0, (r.output, r.exception)
    return r


def _refused(args, *words):
    r = runner.invoke(app, ["--lang", "en", *args])
    assert r.exit_code != 0
    msg = str(r.exception) + r.output
    assert isinstance(r.exception, MethodError), msg
    for w in words:
        assert w in msg, msg
    return msg


# ----------------------------------------------------------------------------------------- dea --ddf-efficiency
def _dea_args(src, out, *extra):
    return ["dea", "--data", str(src), "--id", "firm", "--inputs", "x1,x2", "--outputs", "y", "--model", "ddf",
            "--orientation", "none", "--out", str(out), *extra]  # fmt: skip


def test_dea_ddf_efficiency_rho_equals_the_library_and_deap(tmp_path):
    from nqpf.productivity.dea import dea

    src = tmp_path / "eg1.csv"
    EG1.to_csv(src, index=False)
    _ok(_dea_args(src, tmp_path / "rho.csv", "--ddf-efficiency", "rho"))
    _ok(_dea_args(src, tmp_path / "default.csv"))
    rho = pd.read_csv(tmp_path / "rho.csv", dtype={"firm": str})
    default = pd.read_csv(tmp_path / "default.csv", dtype={"firm": str})
    lib = dea(EG1, ["x1", "x2"], ["y"], id="firm", model="ddf", orientation="none", ddf_efficiency="rho")
    np.testing.assert_allclose(rho["efficiency"], lib["efficiency"], rtol=1e-12)
    np.testing.assert_allclose(rho["beta"], lib["beta"], rtol=1e-12, atol=1e-15)
    assert rho["efficiency"].round(3).tolist() == DEAP_EG1_TE  # (1 − β)/(1 + β) = CCR input TE under CRS
    b = default["beta"].to_numpy()
    np.testing.assert_allclose(default["efficiency"], 1 / (1 + b), rtol=1e-12)  # the default 1/(1+β*)
    np.testing.assert_allclose(rho["efficiency"], (1 - b) / (1 + b), rtol=1e-9, atol=1e-12)
    assert not np.allclose(rho["efficiency"], default["efficiency"])  # units 1, 3, 4 are inefficient


def test_dea_ddf_efficiency_misuse_names_the_flags(tmp_path):
    src = tmp_path / "eg1.csv"
    EG1.assign(co2=[1, 2, 1, 2, 1]).to_csv(src, index=False)
    out = tmp_path / "o.csv"
    _refused(_dea_args(src, out, "--ddf-efficiency", "phi"), "--ddf-efficiency", "output | rho")
    args = [a if a != "ddf" else "ccr" for a in _dea_args(src, out, "--ddf-efficiency", "rho")]
    _refused([a if a != "none" else "input" for a in args], "--ddf-efficiency rho", "--model ddf")
    _refused(_dea_args(src, out, "--ddf-efficiency", "rho", "--undesirable", "co2"), "--undesirable")
    assert not out.exists()  # refused before any work


# ----------------------------------------------------------------------------------- malmquist --output-convention
PANEL = pd.concat([EG1.assign(year=2020),
                   EG1.assign(year=2021, x1=EG1.x1 * 1.1, y=EG1.y * [1, 1.2, 1, 1.5, 1]),
                   EG1.assign(year=2022, x2=EG1.x2 * 0.9, y=EG1.y * [1.3, 1, 1.1, 1, 0.8])])  # fmt: skip
INDEX_COLS = ["tfpch", "effch", "techch"]


def _malm(src, out, *extra):
    return ["malmquist", "--data", str(src), "--id", "firm", "--period", "year", "--inputs", "x1,x2",
            "--outputs", "y", "--out", str(out), *extra]  # fmt: skip


def test_malmquist_output_convention_farrell_equals_the_library_and_is_the_reciprocal(tmp_path):
    from nqpf.productivity.malmquist import malmquist

    src = tmp_path / "panel.csv"
    PANEL.to_csv(src, index=False)
    _ok(_malm(src, tmp_path / "far.csv", "--orientation", "output", "--output-convention", "farrell"))
    _ok(_malm(src, tmp_path / "dist.csv", "--orientation", "output"))
    _ok(_malm(src, tmp_path / "inp.csv", "--orientation", "input"))
    _ok(_malm(src, tmp_path / "inp_far.csv", "--orientation", "input", "--output-convention", "farrell"))
    far, dist, inp, inp_far = (pd.read_csv(tmp_path / f"{n}.csv", dtype={"firm": str})
                               for n in ("far", "dist", "inp", "inp_far"))  # fmt: skip
    lib = malmquist(PANEL, ["x1", "x2"], ["y"], id="firm", period="year", orientation="output",
                    output_convention="farrell")  # fmt: skip
    assert len(far) == len(lib) == 10
    np.testing.assert_allclose(far[INDEX_COLS], lib[INDEX_COLS], rtol=1e-12)
    ok = far["tfpch"].notna()
    assert ok.sum() == 10 and not np.allclose(far.loc[ok, "tfpch"], dist.loc[ok, "tfpch"])
    np.testing.assert_allclose(far[INDEX_COLS], 1 / dist[INDEX_COLS], rtol=1e-9)  # Farrell = 1 / Shephard
    np.testing.assert_allclose(dist[INDEX_COLS], inp[INDEX_COLS], rtol=1e-8)  # CRS: both orientations agree
    pd.testing.assert_frame_equal(inp_far[INDEX_COLS], inp[INDEX_COLS])  # input orientation: no change


def test_malmquist_output_convention_misuse_names_the_flags(tmp_path):
    src = tmp_path / "panel.csv"
    PANEL.to_csv(src, index=False)
    out = tmp_path / "o.csv"
    _refused(_malm(src, out, "--output-convention", "shephard"), "--output-convention", "distance | farrell")
    _refused(_malm(src, out, "--index", "luenberger", "--output-convention", "farrell"), "--index malmquist")
    assert not out.exists()


# ------------------------------------------------------------------------------------- analyze kde --bw
def _skewed(tmp_path):
    """Two periods of heavy-tailed values: IQR/1.34 < σ, so the IQR term sets Silverman's bandwidth."""
    rng = np.random.default_rng(20240611)
    rows = [(f"u{i}", p, float(v)) for p in (2020, 2021) for i, v in enumerate(rng.standard_t(2, 40) + p - 2020)]
    df = pd.DataFrame(rows, columns=["unit", "period", "score"])
    src = tmp_path / "skewed.csv"
    df.to_csv(src, index=False)
    return df, src


def test_kde_silverman_1349_equals_the_library_and_statsmodels(tmp_path):
    from statsmodels.nonparametric.bandwidths import bw_silverman

    from nqpf.analysis.density import kde_over_time

    df, src = _skewed(tmp_path)
    base = ["analyze", "kde", "--data", str(src), "--value", "score", "--period", "period", "--grid", "64"]
    _ok([*base, "--bw", "silverman-1.349", "--out", str(tmp_path / "k1349.csv")])
    _ok([*base, "--out", str(tmp_path / "k134.csv")])
    got = pd.read_csv(tmp_path / "k1349.csv")
    default = pd.read_csv(tmp_path / "k134.csv")
    lib = kde_over_time(df, "score", "period", bw="silverman-1.349", grid_size=64)
    np.testing.assert_allclose(got[["x", "density", "bandwidth"]], lib[["x", "density", "bandwidth"]], rtol=1e-12)
    for p, sub in df.groupby("period"):
        h = got.loc[got["period"] == p, "bandwidth"].iloc[0]
        assert h == pytest.approx(float(bw_silverman(sub["score"].to_numpy())), rel=1e-12)
        h0 = default.loc[default["period"] == p, "bandwidth"].iloc[0]
        assert h0 / h == pytest.approx(1.349 / 1.34, rel=1e-12)  # the IQR term is the smaller one here
    assert not np.allclose(got["density"], default["density"])


def test_kde_bad_bandwidth_names_the_flag(tmp_path):
    _, src = _skewed(tmp_path)
    base = ["analyze", "kde", "--data", str(src), "--value", "score", "--out", str(tmp_path / "k.csv")]
    _refused([*base, "--bw", "silvermann"], "--bw", "silverman-1.349")
    _refused([*base, "--bw", "-0.5"], "--bw", "positive")
    assert not (tmp_path / "k.csv").exists()


# ----------------------------------------------------------------------------- analyze convergence --se-dof
def _panel(tmp_path):
    rng = np.random.default_rng(7)
    g, t = 9, 8
    ly = rng.normal(0, 0.5, g)
    rows = []
    for p in range(2010, 2010 + t):
        rows += [(f"r{i}", p, float(np.exp(v))) for i, v in enumerate(ly)]
        ly = ly + 0.05 - 0.2 * (ly - ly.mean()) + rng.normal(0, 0.05, g)
    df = pd.DataFrame(rows, columns=["unit", "period", "y"])
    src = tmp_path / "panel.csv"
    df.to_csv(src, index=False)
    return df, src


@pytest.mark.parametrize("conv", ["stata", "linearmodels"])
def test_beta_panel_se_dof_equals_the_library_and_scales_the_se(tmp_path, conv):
    from nqpf.analysis.convergence import beta_panel

    df, src = _panel(tmp_path)
    base = ["analyze", "convergence", "--data", str(src), "--value", "y", "--test", "beta-panel"]
    _ok([*base, "--se-dof", conv, "--out", str(tmp_path / f"{conv}.csv")])
    _ok([*base, "--out", str(tmp_path / "default.csv")])
    got = pd.read_csv(tmp_path / f"{conv}.csv")
    default = pd.read_csv(tmp_path / "default.csv")
    lib = beta_panel(df, "y", "unit", "period", kind="conditional", se_dof=conv)
    assert got["term"].tolist() == lib["term"].tolist()
    np.testing.assert_allclose(got[["coef", "se", "t", "p_value"]], lib[["coef", "se", "t", "p_value"]], rtol=1e-10)
    np.testing.assert_allclose(got["coef"], default["coef"], rtol=1e-12)  # the point estimate does not change
    n, g, k = int(got["n_obs"].iloc[0]), int(got["n_units"].iloc[0]), 1
    assert (n, g) == (63, 9)
    c_sm = g / (g - 1) * (n - 1) / (n - k)
    c = g / (g - 1) * (n - 1) / (n - k - 1) if conv == "stata" else n / (n - k)
    np.testing.assert_allclose(got["se"] / default["se"], np.sqrt(c / c_sm), rtol=1e-10)
    assert not np.allclose(got["se"], default["se"])


def test_se_dof_misuse_names_the_flag(tmp_path):
    _, src = _panel(tmp_path)
    base = ["analyze", "convergence", "--data", str(src), "--value", "y", "--out", str(tmp_path / "c.csv")]
    _refused([*base, "--test", "beta-panel", "--se-dof", "eviews"], "--se-dof", "statsmodels | stata")
    _refused([*base, "--test", "sigma", "--se-dof", "stata"], "--se-dof", "--test beta-panel")
    assert not (tmp_path / "c.csv").exists()


def test_new_flags_have_chinese_help():
    """Each new flag is described in the catalogue in both languages (nqpf.cli.main.localise_help)."""
    import re

    from nqpf.i18n import catalogue

    cat = catalogue()
    for key in ("cli.opt.dea.ddf_efficiency", "cli.opt.malmquist.output_convention", "cli.opt.analyze.kde.bw",
                "cli.opt.analyze.convergence.se_dof", "cli.opt.demo.fmt", "cli.opt.tfp.provinces.out"):  # fmt: skip
        assert re.search(r"[\u4e00-\u9fff]", cat[key]["zh"]) and cat[key]["en"], key
    r = runner.invoke(app, ["--lang", "zh", "analyze", "convergence", "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "按地区聚类标准误" in r.output, r.output
