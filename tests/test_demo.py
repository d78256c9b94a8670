"""The main job end to end on the embedded real data (small uncertainty sample to keep it quick)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from nqpf.cli.cmd_demo import run_demo


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    written = run_demo(out, "en", samples=64, unit="340000", seed=7, quiet=True)
    return out, written


def test_index_outputs_follow_the_contract(demo_out):
    out, _ = demo_out
    scores = pd.read_csv(out / "scores.csv", dtype={"unit": str})
    assert list(scores.columns) == ["unit", "period", "node", "score", "rank"]
    assert scores["unit"].nunique() == 31 and sorted(scores["period"].unique()) == list(range(2012, 2024))
    weights = pd.read_csv(out / "weights.csv")
    assert list(weights.columns) == ["node", "parent", "weight", "effective_weight"]
    leaves = weights[~weights["node"].isin(weights["parent"].dropna())]
    assert abs(leaves["effective_weight"].sum() - 1) < 1e-9  # effective leaf weights partition the index
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    # the default framework's declared method (nqpf-core v2), recorded with its source
    assert manifest["settings"]["weights"] == "fixed" and manifest["settings"]["treat"] == "skewkurt"
    assert manifest["settings"]["normalize"] == "minmax-global"
    assert manifest["settings_source"]["weights"] == "framework"
    diag = pd.read_csv(out / "diagnostics.csv", dtype={"unit": str})
    assert list(diag.columns) == ["check", "unit", "period", "indicator", "value", "detail"]
    assert not diag["check"].isin(["rank_jump", "single_driver", "weight_concentration"]).any()


def test_uncertainty_outputs(demo_out):
    out, _ = demo_out
    ri = pd.read_csv(out / "uncertainty" / "rank_intervals.csv")
    assert list(ri.columns) == ["unit", "period", "rank_nominal", "rank_median", "rank_p05", "rank_p95",
                                "score_median", "score_p05", "score_p95"]
    assert (ri["rank_p05"] <= ri["rank_p95"]).all()
    sens = pd.read_csv(out / "uncertainty" / "sensitivity.csv")
    assert {"factor", "first_order", "total_order"} <= set(sens.columns)


def test_explanations_on_the_real_index(demo_out):
    out, _ = demo_out
    dg = pd.read_csv(out / "analysis" / "dagum_region4.csv")
    piv = dg.pivot(index="period", columns="component", values="value")
    assert ((piv["Gw"] + piv["Gnb"] + piv["Gt"] - piv["G"]).abs() < 1e-12).all()  # Dagum (1997) identity
    th = pd.read_csv(out / "analysis" / "theil_region4.csv")
    t = th[th["measure"] == "T"].pivot(index="period", columns="component", values="value")
    assert ((t["between"] + t["within"] - t["total"]).abs() < 1e-12).all()  # Theil decomposition identity
    cc = pd.read_csv(out / "analysis" / "coupling_digital_real.csv")
    assert cc["C"].between(0, 1).all() and cc["D"].between(0, 1).all()
    for name in ("moran", "lisa", "markov", "obstacles_top3", "forecast", "sigma", "beta_absolute"):
        assert len(pd.read_csv(out / "analysis" / f"{name}.csv")) > 0, name


def test_reports_written_with_every_section(demo_out):
    out, written = demo_out
    html = written["report_national"].read_text(encoding="utf-8")
    for section in ("ranking", "map", "dagum", "convergence", "theil", "density", "spatial", "markov", "coupling",
                    "obstacles", "forecast", "sensitivity", "typology", "tfp"):
        assert f'id="{section}"' in html, section
    region = written["report_region"].read_text(encoding="utf-8")
    assert "Anhui" in region
    assert (out / "report_national_en.xlsx").stat().st_size > 10_000
