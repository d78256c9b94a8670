"""Domar aggregation (Domar 1961; Hulten 1978) on CIP 4.0 and on a small constructed economy."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.errors import DataError, MethodError
from nqpf.productivity.klems import ICT_CORE, domar_aggregate, domar_weights, ict_share

RAW = Path(__file__).resolve().parents[2] / "../shared/data/raw"


def _toy() -> pd.DataFrame:
    """Two industries; industry 1 sells half its output to industry 2 as intermediate input."""
    rows = []
    for t, (go1, go2, va1, va2, a1, a2) in {
        2000: (100.0, 150.0, 50.0, 100.0, np.nan, np.nan),
        2001: (110.0, 160.0, 55.0, 105.0, 0.02, 0.01),
    }.items():
        rows += [
            ("I1", t, "go_nominal", go1),
            ("I2", t, "go_nominal", go2),
            ("I1", t, "va_nominal", va1),
            ("I2", t, "va_nominal", va2),
            ("TOTAL", t, "va_nominal", va1 + va2),
            ("I1", t, "tfp_go", a1),
            ("I2", t, "tfp_go", a2),
            ("TOTAL", t, "tfp_va", np.nan),
            ("I1", t, "tfp_va", np.nan),
            ("I2", t, "tfp_va", np.nan),
            ("TOTAL", t, "go_nominal", go1 + go2),
            ("TOTAL", t, "tfp_go", np.nan),
        ]
    return pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"])


def test_toy_economy_by_hand():
    d = _toy()
    w = domar_weights(d).set_index(["unit", "period"])["domar_weight"]
    d1 = 0.5 * (100 / 150 + 110 / 160)
    d2 = 0.5 * (150 / 150 + 160 / 160)
    assert w[("I1", 2001)] == pytest.approx(d1)
    assert w[("I2", 2001)] == pytest.approx(d2)
    agg = domar_aggregate(d).aggregate.set_index("period")
    assert agg.loc[2001, "domar_tfp"] == pytest.approx(d1 * 0.02 + d2 * 0.01)
    assert agg.loc[2001, "sum_domar_weights"] > 1  # Hulten: weights sum to GO/VA > 1
    by_year, _ = ict_share(d, ict=("I1",), periods=((2001, 2001),))
    assert by_year["share_domar_pct"].iloc[0] == pytest.approx(100 * d1 * 0.02 / (d1 * 0.02 + d2 * 0.01))


@pytest.fixture(scope="module")
def cip():
    if not (RAW / "cip4_china_klems").exists():
        pytest.skip("shared raw data (../shared/data/raw/cip4_china_klems) not available")
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    from build import cn_industries

    return cn_industries.build(RAW)["data"]


def test_cip_domar_identities(cip):
    res = domar_aggregate(cip)
    agg = res.aggregate.set_index("period")
    # Σ d̄_j = ½(ΣGO_t/VA_t + ΣGO_{t-1}/VA_{t-1}) > 1 every year (intermediate deliveries)
    assert (agg["sum_domar_weights"] > 1).all()
    w = cip.pivot_table(index=["unit", "period"], columns="indicator", values="value")
    ratio = w.xs("TOTAL", level=0)["go_nominal"] / w.xs("TOTAL", level=0)["va_nominal"]
    expect = 0.5 * (ratio + ratio.shift(1))
    np.testing.assert_allclose(agg["sum_domar_weights"], expect.reindex(agg.index), rtol=1e-12)
    # the builder's domar_weight equals the function's
    mine = domar_weights(cip).set_index(["unit", "period"])["domar_weight"].dropna()
    shipped = w["domar_weight"].dropna()
    np.testing.assert_allclose(mine.sort_index(), shipped.reindex(mine.sort_index().index), rtol=1e-12)
    # Σ d̄_j A_j^GO equals Σ v̄_j A_j^VA (A^VA = A^GO · GO/VA), up to averaging of the two-period weights;
    # observed max gap 3.4e-5 over 1988-2017
    ind = w.drop(index="TOTAL", level=0)
    va_based = (ind["w_va"] * ind["tfp_va"]).groupby(level=1).sum(min_count=1)
    np.testing.assert_allclose(agg["domar_tfp"], va_based.reindex(agg.index), atol=1e-4)
    # contributions add up
    s = res.industries.groupby("period")["contribution"].sum(min_count=1).dropna()
    np.testing.assert_allclose(s, agg["domar_tfp"].reindex(s.index), atol=1e-15)


def test_cip_ict_share(cip):
    by_year, by_period = ict_share(cip)
    y12 = by_year.set_index("period").loc[2012]
    # CIP 4.0, 2012: ICT-producing (CIP21+CIP30) Domar contribution 0.389 log points of 0.897 -> 43.4 %;
    # vs CIP's aggregate TFP (VA basis, with reallocation) 0.506 -> 76.9 %. The theory's 33.2 % (seed 003 §4.1,
    # CAICT) is a different concept (digital economy incl. industrial digitalisation) - see docs.
    assert y12["ict_contribution"] == pytest.approx(0.003893, abs=2e-6)
    assert y12["share_domar_pct"] == pytest.approx(43.42, abs=0.01)
    assert y12["share_total_pct"] == pytest.approx(76.88, abs=0.01)
    full = by_period.set_index(["start", "end"]).loc[(1988, 2017)]
    assert full["share_domar_pct"] == pytest.approx(38.01, abs=0.01)
    assert bool(full["interpretable"])
    assert not bool(
        by_period.set_index(["start", "end"]).loc[(2013, 2017), "interpretable"]
    )  # negative aggregate
    # all industries together = 100 %
    allind = tuple(sorted(set(cip["unit"]) - {"TOTAL"}))
    by_all, _ = ict_share(cip, ict=allind)
    np.testing.assert_allclose(by_all["share_domar_pct"].dropna(), 100.0, atol=1e-9)
    with_22, _ = ict_share(cip, ict=(*ICT_CORE, "CIP22"))
    assert with_22.set_index("period").loc[2012, "share_domar_pct"] == pytest.approx(45.12, abs=0.01)


def test_bad_input(cip):
    with pytest.raises(MethodError, match="CIP99"):
        ict_share(cip, ict=("CIP99",))
    with pytest.raises(DataError, match="go_nominal"):
        domar_weights(cip[cip["indicator"] != "go_nominal"])


def test_cli_digital(cip, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import nqpf.cli.main as main

    main.register_commands()
    import nqpf.cli.cmd_tfp as cmd

    monkeypatch.setattr(cmd, "_dataset", lambda name: cip)  # the builder's output stands in for load()
    out = tmp_path / "d.csv"
    r = CliRunner().invoke(main.app, ["tfp", "digital", "--out", str(out)])
    assert r.exit_code == 0, r.output
    y = pd.read_csv(out).set_index("period")
    assert y.loc[2012, "share_domar_pct"] == pytest.approx(43.42, abs=0.01)
    assert (tmp_path / "d_periods.csv").exists()
