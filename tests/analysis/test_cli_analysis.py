"""`nqpf analyze …` contracts (issue 5): dagum → period,component,value; coupling → id columns + C,T,D,grade."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.cli.main import app, register_commands

register_commands()
runner = CliRunner()
RAW = Path(__file__).resolve().parents[2] / "../shared/data/raw"


def _input(tmp_path):
    rng = np.random.default_rng(0)
    from nqpf.analysis.spatial import provinces_geo

    units = provinces_geo()["unit"].tolist()
    reg = {u: ("East" if u < "400000" else "West") for u in units}
    rows = [(u, reg[u], y, float(np.exp(rng.normal(0, 0.3)))) for u in units for y in range(2015, 2021)]
    df = pd.DataFrame(rows, columns=["unit", "region", "year", "score"])
    p = tmp_path / "in.csv"
    df.to_csv(p, index=False)
    return p, df


def test_dagum_contract(tmp_path):
    p, df = _input(tmp_path)
    out = tmp_path / "d.csv"
    r = runner.invoke(
        app,
        [
            "analyze",
            "dagum",
            "--data",
            str(p),
            "--value",
            "score",
            "--group",
            "region",
            "--period",
            "year",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    res = pd.read_csv(out)
    assert list(res.columns) == ["period", "component", "value"]
    comps = set(res["component"])
    assert {"G", "Gw", "Gnb", "Gt", "within:East", "within:West", "between:East|West", "share:Gw"} <= comps
    g = res[res.period == 2020].set_index("component")["value"]
    assert g["G"] == pytest.approx(g["Gw"] + g["Gnb"] + g["Gt"])


def test_coupling_contract(tmp_path):
    p = tmp_path / "c.csv"
    pd.DataFrame(
        {"unit": ["110000", "120000"], "period": [2020, 2020], "a": [0.2, 0.5], "b": [0.8, 0.5]}
    ).to_csv(p, index=False)
    out = tmp_path / "co.csv"
    r = runner.invoke(
        app,
        [
            "analyze",
            "coupling",
            "--data",
            str(p),
            "--systems",
            "a,b",
            "--variant",
            "adjusted",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    res = pd.read_csv(out, dtype={"unit": str})
    assert list(res.columns) == ["unit", "period", "C", "T", "D", "grade_level", "grade"]
    assert res["unit"].tolist() == ["110000", "120000"]
    assert res["C"].iloc[1] == pytest.approx(1.0)
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"unit": ["x"], "a": [1.5], "b": [0.2]}).to_csv(bad, index=False)
    r = runner.invoke(app, ["analyze", "coupling", "--data", str(bad), "--systems", "a,b", "--out", str(out)])
    assert r.exit_code != 0 and isinstance(r.exception, Exception)


@pytest.mark.parametrize(
    "args",
    [
        ["theil", "--value", "score", "--group", "region", "--period", "year"],
        ["convergence", "--value", "score", "--unit", "unit", "--period", "year", "--test", "beta-panel"],
        ["convergence", "--value", "score", "--unit", "unit", "--period", "year", "--test", "sigma"],
        ["convergence", "--value", "score", "--unit", "unit", "--period", "year", "--test", "beta-sar"],
        ["moran", "--value", "score", "--unit", "unit", "--period", "year", "--permutations", "99"],
        ["lisa", "--value", "score", "--unit", "unit", "--period", "year", "--permutations", "99"],
        [
            "lisa",
            "--value",
            "score",
            "--unit",
            "unit",
            "--period",
            "year",
            "--hotspots",
            "--permutations",
            "99",
        ],
        ["markov", "--value", "score", "--unit", "unit", "--period", "year", "--k", "3"],
        ["forecast", "--value", "score", "--unit", "unit", "--period", "year", "--steps", "2"],
        ["kde", "--value", "score", "--period", "year"],
    ],
)
def test_other_commands_run(tmp_path, args):
    p, _ = _input(tmp_path)
    out = tmp_path / "o.csv"
    r = runner.invoke(app, ["analyze", args[0], "--data", str(p), *args[1:], "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert len(pd.read_csv(out)) > 0


def test_long_panel_input_and_obstacle(tmp_path):
    long = pd.DataFrame(
        {
            "unit": ["a", "a", "b", "b"],
            "period": [2020] * 4,
            "indicator": ["i1", "i2"] * 2,
            "value": [0.2, 0.9, 0.6, 0.1],
        }
    )
    lp = tmp_path / "norm.csv"
    long.to_csv(lp, index=False)
    wp = tmp_path / "w.csv"
    pd.DataFrame(
        {
            "node": ["root", "i1", "i2"],
            "parent": ["", "root", "root"],
            "weight": [1, 0.5, 0.5],
            "effective_weight": [1, 0.5, 0.5],
        }
    ).to_csv(wp, index=False)
    out = tmp_path / "ob.csv"
    r = runner.invoke(
        app,
        ["analyze", "obstacle", "--data", str(lp), "--weights", str(wp), "--top-k", "1", "--out", str(out)],
    )
    assert r.exit_code == 0, r.output
    res = pd.read_csv(out)
    assert res.set_index("unit").loc["a", "node"] == "i1" and res.set_index("unit").loc["b", "node"] == "i2"
