"""Growth accounting: textbook identities, a hand-computed case, and PWT 10.01's own rtfpna."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.errors import DataError, MethodError
from nqpf.productivity.growth import compare_with_pwt, ctfp_levels, growth_accounting

RAW = Path(__file__).resolve().parents[2] / "../shared/data/raw"
FOCUS = ["CHN", "USA", "DEU", "JPN"]


def test_hand_computed_two_years():
    d = pd.DataFrame(
        {
            "unit": ["A", "A"],
            "period": [2000, 2001],
            "Y": [100.0, 110.0],
            "K": [200.0, 220.0],
            "L": [50.0, 51.0],
            "s": [0.6, 0.64],
        }
    )
    t = growth_accounting(d, output="Y", capital="K", labour="L", share="s").table.iloc[1]
    expected = np.log(1.1) - 0.38 * np.log(1.1) - 0.62 * np.log(1.02)  # Törnqvist: mean share 0.62
    assert t["tfp_growth"] == pytest.approx(expected, abs=1e-14)
    s = growth_accounting(d, output="Y", capital="K", labour="L", share="s", method="solow").table.iloc[1]
    assert s["tfp_growth"] == pytest.approx(np.log(1.1) - 0.4 * np.log(1.1) - 0.6 * np.log(1.02), abs=1e-14)
    assert t["tfp_index"] == pytest.approx(np.exp(expected))


def test_recovers_hicks_neutral_growth_of_cobb_douglas():
    rng = np.random.default_rng(0)
    years = np.arange(1990, 2011)
    K = np.exp(np.cumsum(rng.normal(0.05, 0.02, len(years))))
    L = np.exp(np.cumsum(rng.normal(0.01, 0.01, len(years))))
    H = np.exp(np.cumsum(rng.normal(0.005, 0.002, len(years))))
    A = np.exp(0.015 * (years - 1990))
    Y = A * K**0.35 * (L * H) ** 0.65
    d = pd.DataFrame({"unit": "X", "period": years, "Y": Y, "K": K, "L": L, "H": H})
    t = growth_accounting(d, output="Y", capital="K", labour="L", hours="H", labour_share=0.65).table
    np.testing.assert_allclose(t["tfp_growth"].iloc[1:], 0.015, atol=1e-12)
    np.testing.assert_allclose(t["tfp_index"].iloc[-1], A[-1], rtol=1e-12)


def test_identity_and_gaps():
    rng = np.random.default_rng(1)
    rows = []
    for u in ["A", "B"]:
        for y in [2000, 2001, 2002, 2004, 2005]:
            rows.append(
                {
                    "unit": u,
                    "period": y,
                    "Y": rng.uniform(50, 100),
                    "K": rng.uniform(100, 200),
                    "L": rng.uniform(10, 20),
                    "h": rng.uniform(1, 3),
                    "s": rng.uniform(0.4, 0.7),
                }
            )
    d = pd.DataFrame(rows)
    d.loc[2, "K"] = np.nan
    t = growth_accounting(d, output="Y", capital="K", labour="L", hc="h", share="s").table
    ok = t["tfp_growth"].notna()
    np.testing.assert_allclose(
        t.loc[ok, "dln_y"],
        t.loc[ok, "contrib_k"] + t.loc[ok, "contrib_l"] + t.loc[ok, "tfp_growth"],
        atol=1e-14,
    )
    np.testing.assert_allclose(
        t.loc[ok, "contrib_l"], t.loc[ok, "contrib_emp"] + t.loc[ok, "contrib_hc"], atol=1e-14
    )
    # every NaN growth row says why
    assert (t.loc[~ok, "note"] != "").all()
    assert "gap in years" in t.loc[(t["unit"] == "A") & (t["period"] == 2004), "note"].iloc[0]
    assert "missing K" in t.loc[(t["unit"] == "A") & (t["period"] == 2002), "note"].iloc[0]


def test_bad_input():
    d = pd.DataFrame(
        {"unit": ["A", "A"], "period": [2000, 2001], "Y": [1.0, -1.0], "K": [1.0, 1.0], "L": [1.0, 1.0]}
    )
    with pytest.raises(DataError, match="unit 'A', period 2001: Y"):
        growth_accounting(d, output="Y", capital="K", labour="L", labour_share=0.6)
    with pytest.raises(MethodError):
        growth_accounting(d, output="Y", capital="K", labour="L")
    with pytest.raises(DataError, match="Z"):
        growth_accounting(d, output="Z", capital="K", labour="L", labour_share=0.6)


@pytest.fixture(scope="module")
def world():
    if not (RAW / "pwt1001" / "pwt1001.csv").exists():
        pytest.skip("shared raw data (../shared/data/raw/pwt1001) not available")
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    from build import world as wb

    return wb.build(RAW)["data"]


def test_tornqvist_reproduces_pwt_rtfpna(world):
    # PWT 10.01 builds rtfpna as a Törnqvist residual of rgdpna on rkna and emp*avh*hc with labsh
    # (Feenstra, Inklaar & Timmer 2015). PWT stores float32 (~7 significant digits), so log differences of
    # its series agree to ~1e-7; we assert 1e-6. Observed max |deviation| 1991-2019: CHN 1.3e-7, USA 1.1e-7,
    # DEU 1.1e-7, JPN 9.4e-8; correlation 1.000000.
    by_year, summary = compare_with_pwt(world, FOCUS)
    assert set(summary["unit"]) == set(FOCUS)
    assert (summary["n_years"] == 29).all()
    assert (summary["max_abs_deviation"] < 1e-6).all()
    assert (summary["correlation"] > 0.999999).all()
    # Solow (base-year share) differs from PWT's Törnqvist by at most ~1.3e-3 (CHN); a real but small difference
    _, s2 = compare_with_pwt(world, FOCUS, method="solow")
    assert (s2["max_abs_deviation"] < 5e-3).all() and (s2["max_abs_deviation"] > 1e-5).all()


def test_ctfp_levels_vs_theory(world):
    # Theory (seed 003 §4.1, citing GGDC): China 0.36 (2002) -> 0.44 (2023), +20.2 %; DEU -10.7 %, JPN -12.8 %.
    # PWT 10.01 ends 2019. It shows CHN 0.3630 in 2002 (confirms 0.36), 0.4361 in 2017 (+20.16 %) and
    # 0.4035 in 2019 (+11.2 %); 2023 cannot be checked with PWT 10.01.
    t = ctfp_levels(world, FOCUS, (2002, 2019)).set_index("unit")
    assert t.loc["CHN", "ctfp_2002"] == pytest.approx(0.36295, abs=1e-5)
    assert t.loc["CHN", "ctfp_2019"] == pytest.approx(0.40346, abs=1e-5)
    assert t.loc["USA", "ctfp_2019"] == pytest.approx(1.0)
    assert t.loc["DEU", "change_pct"] == pytest.approx(-10.80, abs=0.01)
    assert t.loc["JPN", "change_pct"] == pytest.approx(-11.73, abs=0.01)
    t17 = ctfp_levels(world, FOCUS, (2002, 2017)).set_index("unit")
    assert t17.loc["CHN", "change_pct"] == pytest.approx(20.16, abs=0.01)
    with pytest.raises(DataError, match="2023"):
        ctfp_levels(world, FOCUS, (2002, 2023))


def test_cli_growth_and_world(world, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import nqpf.cli.main as main

    main.register_commands()
    import nqpf.cli.cmd_tfp as cmd

    monkeypatch.setattr(
        cmd, "_dataset", lambda name: world
    )  # the builder's output stands in for load("world")
    out = tmp_path / "g.csv"
    r = CliRunner().invoke(
        main.app,
        [
            "tfp",
            "growth",
            "--data",
            "world",
            "--output",
            "rgdpna",
            "--capital",
            "rkna",
            "--labour",
            "emp",
            "--hc",
            "hc",
            "--hours",
            "avh",
            "--share-col",
            "labsh",
            "--countries",
            "CHN,USA",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    g = pd.read_csv(out)
    assert set(g["unit"]) == {"CHN", "USA"} and "tfp_growth" in g.columns
    r = CliRunner().invoke(main.app, ["tfp", "world", "--out", str(tmp_path / "w")])
    assert r.exit_code == 0, r.output
    s = pd.read_csv(tmp_path / "w" / "tfp_growth_summary.csv")
    assert (s["max_abs_deviation"] < 1e-6).all()
    # a file panel with a constant share
    f = tmp_path / "p.csv"
    pd.DataFrame(
        {"id": ["a", "a"], "year": [1, 2], "Y": [1.0, 2.0], "K": [1.0, 2.0], "L": [1.0, 2.0]}
    ).to_csv(f, index=False)
    r = CliRunner().invoke(
        main.app,
        [
            "tfp",
            "growth",
            "--data",
            str(f),
            "--id",
            "id",
            "--period",
            "year",
            "--output",
            "Y",
            "--capital",
            "K",
            "--labour",
            "L",
            "--labour-share",
            "0.6",
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert pd.read_csv(tmp_path / "o.csv")["tfp_growth"].iloc[1] == pytest.approx(0.0, abs=1e-15)
