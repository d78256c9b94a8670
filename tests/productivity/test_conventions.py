"""Issue 15 item 4: conventions made explicit as documented options, each with the peer's value.

* Output-oriented Malmquist: ``output_convention="distance"`` (default, Shephard distances 1/φ) vs
  ``"farrell"`` (φ, R Benchmarking 0.33 ``malmq``; numbers stored in ``data/benchmarking_slacks/malmq_bm.csv``
  by ``run_benchmarking_malmq.R``: period 0 = case0.csv, period 1 = case2.csv).
* Silverman's rule of thumb: IQR/1.34 (Silverman 1986; R 4.2.2 ``bw.nrd0``) vs IQR/1.349 (statsmodels
  ``bw_silverman``).
* DDF efficiency: ``ddf_efficiency="output"`` (default, 1/(1+β)) vs ``"rho"`` (deaR 1.5.3 ``model_dir`` +
  ``efficiencies``: (1 − β·mean g_x/x)/(1 + β·mean g_y/y), i.e. (1−β)/(1+β) for the direction (x, y)); deaR's
  numbers on its dataset Coelli_1998 stored in ``data/dear_ddf/`` by ``run_dear.R``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.analysis.density import bandwidth
from nqpf.errors import MethodError
from nqpf.productivity import dea, malmquist

DATA = Path(__file__).parent / "data" / "benchmarking_slacks"


@pytest.fixture(scope="module")
def panel():
    a = pd.read_csv(DATA / "case0.csv").assign(period=0)
    b = pd.read_csv(DATA / "case2.csv").assign(period=1)
    ids = np.arange(1, len(a) + 1)
    return pd.concat([a.assign(unit=ids), b.assign(unit=ids)], ignore_index=True)


def _run(panel, rts, ori, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = malmquist(panel, ["x1", "x2"], ["y1", "y2"], id="unit", period="period", rts=rts,
                      orientation="input" if ori == "in" else "output", **kw)
    r = r.assign(unit=r["unit"].astype(int)).set_index("unit")
    return r


@pytest.mark.parametrize("rts", ["crs", "vrs"])
@pytest.mark.parametrize("ori", ["in", "out"])
def test_malmquist_output_convention_against_benchmarking(panel, rts, ori):
    bm = pd.read_csv(DATA / "malmq_bm.csv")
    bm = bm[(bm["rts"] == rts) & (bm["orientation"] == ori)].set_index("unit")
    far = _run(panel, rts, ori, output_convention="farrell")
    dist = _run(panel, rts, ori)
    for ours, theirs in (("tfpch", "m"), ("techch", "tc"), ("effch", "ec")):
        x, y = far.loc[bm.index, ours].to_numpy(), bm[theirs].to_numpy()
        ok = np.isfinite(x) & np.isfinite(y)
        assert ok.sum() >= 56  # VRS: a few cross-period LPs are infeasible (NaN in both, or Inf/NaN in R)
        np.testing.assert_allclose(x[ok], y[ok], rtol=1e-12)  # farrell = Benchmarking
        d = dist.loc[bm.index, ours].to_numpy()
        if ori == "out":  # the default is the reciprocal of Benchmarking's output-oriented indices
            np.testing.assert_allclose(d[ok], 1 / y[ok], rtol=1e-12)
            assert np.abs(d[ok] - y[ok]).max() > 0.1
        else:  # input orientation: the same under both conventions
            np.testing.assert_array_equal(d, far.loc[bm.index, ours].to_numpy())
    assert far.attrs["manifest"]["output_convention"] == "farrell"
    if ori == "out":  # distances and cumulative indices follow the convention
        np.testing.assert_allclose(far["d_t_t"], 1 / dist["d_t_t"], rtol=1e-15)
        np.testing.assert_allclose(far["cum_tfpch"], 1 / dist["cum_tfpch"], rtol=1e-12)


def test_output_convention_is_validated(panel):
    with pytest.raises(MethodError, match="output_convention must be 'distance' or 'farrell'"):
        _run(panel, "crs", "out", output_convention="shepard")
    with pytest.raises(MethodError, match="radial Malmquist"):
        _run(panel, "crs", "out", output_convention="farrell", index="luenberger")


def test_silverman_divisor_conventions():
    """Outlier sample (the IQR term binds): R 4.2.2 ``bw.nrd0(y)`` = 0.52972165114941594 (printed %.17g);
    statsmodels' ``bw_silverman`` is recomputed here (it is installed with nqpf)."""
    from statsmodels.nonparametric.bandwidths import bw_silverman

    y = np.array([1, 2, 2.5, 3, 3.2, 3.4, 3.5, 4, 6, 15.0])
    assert bandwidth(y) == pytest.approx(0.52972165114941594, rel=1e-15)
    assert bandwidth(y, "silverman-1.349") == pytest.approx(float(bw_silverman(y)), rel=1e-15)
    assert bandwidth(y, "silverman") / bandwidth(y, "silverman-1.349") == pytest.approx(1.349 / 1.34, rel=1e-14)
    # when σ̂ is the smaller term both rules agree (R bw.nrd0 = 1.018563097708054 for this sample)
    z = np.array([0.5, 1.1, 1.9, 2.2, 3.8, 4.1, 5.0])
    assert bandwidth(z) == bandwidth(z, "silverman-1.349") == pytest.approx(1.018563097708054, rel=1e-15)
    with pytest.raises(MethodError, match="silverman-1.349"):
        bandwidth(y, "silverman-1.35")


@pytest.mark.parametrize("rts", ["crs", "vrs"])
@pytest.mark.parametrize(("direction", "orientation"), [("input_output", "none"), ("output", "output")])
def test_ddf_efficiency_rho_against_dear(rts, direction, orientation):
    c = pd.read_csv(DATA.parent / "dear_ddf" / "coelli_1998.csv")
    ref = pd.read_csv(DATA.parent / "dear_ddf" / "dear_model_dir.csv")
    ref = ref[(ref["rts"] == rts) & (ref["direction"] == direction)].set_index("dmu")
    kw = dict(id="dmus", model="ddf", orientation=orientation, rts=rts)
    rho = dea(c, ["input1", "input2"], ["output"], ddf_efficiency="rho", **kw).set_index("unit").loc[ref.index]
    dflt = dea(c, ["input1", "input2"], ["output"], **kw).set_index("unit").loc[ref.index]
    np.testing.assert_allclose(rho["beta"], ref["beta"], atol=1e-12)
    np.testing.assert_allclose(rho["efficiency"], ref["rho"], atol=1e-12)
    np.testing.assert_allclose(dflt["efficiency"], 1 / (1 + ref["beta"]), atol=1e-12)
    if direction == "output":  # the two conventions coincide for the output direction
        np.testing.assert_allclose(dflt["efficiency"], rho["efficiency"], atol=1e-15)
    if rts == "crs" and direction == "input_output":
        # identity: with g = (x, y) under CRS, (1−β)/(1+β) is the CCR input efficiency (DEAP EG1: 0.5, 1, 0.833,
        # 0.714, 1 — Coelli 1996), while 1/(1+β) is not
        ccr = dea(c, ["input1", "input2"], ["output"], id="dmus").set_index("unit").loc[ref.index, "efficiency"]
        np.testing.assert_allclose(rho["efficiency"], ccr, atol=1e-12)
        assert abs(dflt.loc["DMU1", "efficiency"] - 0.75) < 1e-12
        assert rho.attrs["manifest"]["ddf_efficiency"] == "deaR rho"


def test_ddf_efficiency_option_is_validated():
    c = pd.read_csv(DATA.parent / "dear_ddf" / "coelli_1998.csv").assign(b=1.0)
    with pytest.raises(MethodError, match="ddf_efficiency must be"):
        dea(c, ["input1"], ["output"], id="dmus", model="ddf", ddf_efficiency="beta")
    with pytest.raises(MethodError, match="without undesirable outputs"):
        dea(c, ["input1"], ["output"], undesirable="b", id="dmus", model="ddf", ddf_efficiency="rho")
    with pytest.raises(MethodError, match="applies to model='ddf'"):
        dea(c, ["input1"], ["output"], id="dmus", model="ccr", ddf_efficiency="rho")
