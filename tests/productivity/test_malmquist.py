"""Malmquist / ML / GML / Luenberger against DEAP 2.1's published example and textbook identities.

Published reference: Coelli, T. (1996) "A Guide to DEAP Version 2.1", CEPA Working Paper 96/08 — example
EG4 (5 firms × 3 years, 1 output, 1 input, output-orientated Malmquist DEA), output file EG4.OUT,
"MALMQUIST INDEX SUMMARY" (effch, techch, pech, sech, tfpch per firm and year).
Identities: Färe, Grosskopf, Norris & Zhang (1994) decomposition tfpch = effch × techch; Oh (2010) GML is
circular (the product of GML over t→t+1→t+2 equals (1+D^G(t))/(1+D^G(t+2))); with no bad outputs and
direction (0, y) under CRS the ML index equals the output Malmquist index (1 + D = 1/E_output).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.errors import DataError, MethodError
from nqpf.productivity import malmquist

# DEAP 2.1 EG4.DTA: (y, x) for firms 1–5 in years 1, 2, 3 (year 3 repeats year 2).
_Y1 = [(1, 2), (2, 4), (3, 3), (4, 5), (5, 6)]
_Y2 = [(1, 2), (3, 4), (4, 3), (3, 5), (5, 5)]
EG4 = pd.DataFrame(
    [
        dict(firm=str(f), year=yr, y=y, x=x)
        for yr, d in ((1, _Y1), (2, _Y2), (3, _Y2))
        for f, (y, x) in enumerate(d, 1)
    ]
)


def random_panel(n: int, T: int, seed: int, bads: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n):
        base = rng.uniform(1, 10, 4)
        for t in range(T):
            g = 1.03**t
            rows.append(
                dict(
                    id=f"u{u}",
                    year=2000 + t,
                    k=base[0] * rng.uniform(0.8, 1.2) * g,
                    l=base[1] * rng.uniform(0.8, 1.2),
                    y=base[2] * rng.uniform(0.7, 1.3) * g**1.5,
                    co2=base[3] * rng.uniform(0.7, 1.3),
                )
            )
    df = pd.DataFrame(rows)
    return df if bads else df.drop(columns="co2")


def test_deap_eg4_malmquist_summary():
    r = malmquist(EG4, "x", "y", id="firm", period="year", orientation="output", rts="crs")
    y2 = r[r.period == 2].set_index("unit")
    # Coelli (1996) DEAP 2.1, EG4.OUT "MALMQUIST INDEX SUMMARY", year = 2 (firm: effch techch pech sech tfpch)
    published = {
        "1": (0.750, 1.333, 1.000, 0.750, 1.000),
        "2": (1.125, 1.333, 1.222, 0.920, 1.500),
        "3": (1.000, 1.333, 1.000, 1.000, 1.333),
        "4": (0.562, 1.333, 0.650, 0.865, 0.750),
        "5": (0.900, 1.333, 1.000, 0.900, 1.200),
    }
    for firm, vals in published.items():
        got = y2.loc[firm, ["effch", "techch", "pech", "sech", "tfpch"]].to_numpy(float)
        assert np.allclose(got, vals, atol=0.0015), (
            firm,
            got,
            vals,
        )  # DEAP prints 3 decimals (0.5625 → 0.562)
    # EG4.OUT, year = 3: every index 1.000 (the data of years 2 and 3 are identical)
    y3 = r[r.period == 3]
    assert np.allclose(y3[["effch", "techch", "pech", "sech", "tfpch"]].to_numpy(float), 1.0, atol=1e-9)
    # EG4.OUT mean row, year 2: tfpch 1.125 (geometric mean over firms)
    assert np.exp(np.log(y2["tfpch"]).mean()) == pytest.approx(1.125, abs=5e-4)
    # cumulative index over years 2 and 3
    assert np.allclose(r[r.period == 3].set_index("unit")["cum_tfpch"], y2["tfpch"])


def test_ml_without_bads_equals_output_malmquist_under_crs():
    ml = malmquist(EG4, "x", "y", id="firm", period="year", index="ml")
    mq = malmquist(EG4, "x", "y", id="firm", period="year", orientation="output")
    for c in ("tfpch", "effch", "techch"):
        assert np.allclose(ml[c], mq[c], atol=1e-9)
    # 1 + D_t(t) = 1 / E_t(t) (output orientation)
    assert np.allclose(1 + ml["d_t_t"], 1 / mq["d_t_t"], atol=1e-9)


@pytest.mark.parametrize(
    "index,technology",
    [
        ("malmquist", "contemporaneous"),
        ("malmquist", "sequential"),
        ("malmquist", "window"),
        ("malmquist", "global"),
        ("ml", "contemporaneous"),
        ("ml", "sequential"),
        ("gml", "global"),
        ("luenberger", "contemporaneous"),
    ],
)
def test_decomposition_identity_everywhere(index, technology):
    df = random_panel(25, 5, 1, bads=index != "malmquist")
    bads = None if index == "malmquist" else "co2"
    r = malmquist(
        df,
        ["k", "l"],
        "y",
        undesirable=bads,
        id="id",
        period="year",
        index=index,
        technology=technology,
        window=2,
    )
    ok = r["status"] == "optimal"
    assert ok.mean() > 0.5
    if index == "luenberger":
        assert np.allclose(r.loc[ok, "tfpch"], r.loc[ok, "effch"] + r.loc[ok, "techch"], atol=1e-12)
    else:
        assert np.allclose(r.loc[ok, "tfpch"], r.loc[ok, "effch"] * r.loc[ok, "techch"], rtol=1e-12)
    if "pech" in r:
        assert np.allclose(r.loc[ok, "effch"], r.loc[ok, "pech"] * r.loc[ok, "sech"], rtol=1e-12)
    # rows without a value carry a reason
    assert (r.loc[~ok, "reason"].str.len() > 0).all()
    assert set(r["period"]) == set(range(2001, 2005))


def test_gml_is_circular_and_uses_global_frontier():
    df = random_panel(20, 4, 2)
    r = malmquist(df, ["k", "l"], "y", undesirable="co2", id="id", period="year", index="gml")
    assert r.attrs["manifest"]["technology"] == "global"
    for _u, g in r.groupby("unit"):
        g = g.sort_values("period")
        # Oh (2010): GML chains — Π tfpch over consecutive pairs = (1 + D^G(first)) / (1 + D^G(last))
        assert np.prod(g["tfpch"]) == pytest.approx(
            (1 + g["d_g_t"].iloc[0]) / (1 + g["d_g_t1"].iloc[-1]), rel=1e-10
        )
        assert g["cum_tfpch"].iloc[-1] == pytest.approx(np.prod(g["tfpch"]), rel=1e-12)
    # the global frontier envelops every period: D^G ≥ D_t (contemporaneous)
    assert (r["d_g_t"] >= r["d_t_t"] - 1e-9).all()


def test_sequential_technology_has_no_regress_and_window1_is_contemporaneous():
    df = random_panel(20, 4, 3, bads=False)
    seq = malmquist(df, ["k", "l"], "y", id="id", period="year", technology="sequential")
    # sequential frontiers are nested (T_t ⊆ T_{t+1}) ⇒ E_t(d) ≥ E_{t+1}(d) ⇒ techch ≥ 1
    assert (seq["techch"] >= 1 - 1e-9).all()
    w1 = malmquist(df, ["k", "l"], "y", id="id", period="year", technology="window", window=1)
    con = malmquist(df, ["k", "l"], "y", id="id", period="year")
    assert np.allclose(w1["tfpch"], con["tfpch"], atol=1e-12)


def test_unbalanced_panel_skips_and_reports_pairs():
    df = EG4[~((EG4.firm == "2") & (EG4.year == 2))]
    with pytest.warns(UserWarning, match="unbalanced"):
        r = malmquist(df, "x", "y", id="firm", period="year")
    assert r[r.unit == "2"].empty  # firm 2 misses year 2: no 1→2 and no 2→3 pair
    miss = r.attrs["manifest"]["missing_pairs"]
    assert {(m["unit"], m["period"]) for m in miss} == {("2", 2), ("2", 3)}
    df2 = EG4[~((EG4.firm == "3") & (EG4.year == 2))].copy()
    extra = EG4[EG4.year == 3].assign(year=4)
    df2 = pd.concat([df2, extra])
    with pytest.warns(UserWarning, match="unbalanced"):
        r2 = malmquist(df2, "x", "y", id="firm", period="year")
    g = r2[r2.unit == "3"].set_index("period")
    assert list(g.index) == [4]  # only 3→4 remains for firm 3
    assert g.loc[4, "cum_tfpch"] == pytest.approx(g.loc[4, "tfpch"])


def test_vrs_cross_period_infeasibility_is_reported():
    df = pd.DataFrame(
        {"id": list("abcabc"), "t": [1, 1, 1, 2, 2, 2], "x": [1.0, 2, 3, 1, 2, 3], "y": [1.0, 2, 3, 1, 2, 9]}
    )
    with pytest.warns(UserWarning, match="1 of 3 unit-pair"):
        r = malmquist(df, "x", "y", id="id", period="t", rts="vrs").set_index("unit")
    # c's output 9 in t=2 cannot be produced by any convex combination of t=1 units (input-oriented VRS)
    assert r.loc["c", "status"] == "infeasible" and np.isnan(r.loc["c", "tfpch"])
    assert "D_t(t+1)" in r.loc["c", "reason"]
    assert r.attrs["manifest"]["infeasible_pairs"] == [
        {"unit": "c", "period_from": 1, "period": 2, "lp": "cross-period D_t(t+1)", "status": "infeasible"}
    ]
    assert r.loc["a", "status"] == "optimal"


def test_bad_input():
    with pytest.raises(MethodError, match="undesirable"):
        malmquist(EG4.assign(b=1.0), "x", "y", undesirable="b", id="firm", period="year")
    with pytest.raises(MethodError, match="global"):
        malmquist(EG4, "x", "y", id="firm", period="year", index="gml", technology="contemporaneous")
    with pytest.raises(DataError, match="twice"):
        malmquist(pd.concat([EG4, EG4.head(1)]), "x", "y", id="firm", period="year")
    with pytest.raises(DataError, match="strictly positive"):
        malmquist(EG4.assign(y=EG4.y.where(EG4.index != 0, 0)), "x", "y", id="firm", period="year")
    with pytest.raises(DataError, match="missing"):
        malmquist(EG4.assign(x=EG4.x.where(EG4.index != 4)), "x", "y", id="firm", period="year")
    with pytest.raises(MethodError, match="two periods"):
        malmquist(EG4[EG4.year == 1], "x", "y", id="firm", period="year")


def test_cli_malmquist_contract(tmp_path):
    from typer.testing import CliRunner

    from nqpf.cli.main import app, register_commands

    register_commands()
    src = tmp_path / "eg4.csv"
    EG4.to_csv(src, index=False)
    out = tmp_path / "m.csv"
    res = CliRunner().invoke(
        app,
        [
            "malmquist",
            "--data",
            str(src),
            "--id",
            "firm",
            "--period",
            "year",
            "--inputs",
            "x",
            "--outputs",
            "y",
            "--index",
            "malmquist",
            "--rts",
            "crs",
            "--technology",
            "contemporaneous",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out)
    assert {"firm", "year", "year_from", "tfpch", "effch", "techch", "pech", "sech", "cum_tfpch"} <= set(got.columns)
    assert got.loc[(got.firm == 2) & (got.year == 2), "tfpch"].item() == pytest.approx(1.5)  # DEAP EG4
    out2 = tmp_path / "g.csv"
    src2 = tmp_path / "p.csv"
    random_panel(10, 3, 4).to_csv(src2, index=False)
    res = CliRunner().invoke(
        app,
        [
            "malmquist",
            "--data",
            str(src2),
            "--id",
            "id",
            "--period",
            "year",
            "--inputs",
            "k,l",
            "--outputs",
            "y",
            "--undesirable",
            "co2",
            "--index",
            "gml",
            "--rts",
            "crs",
            "--technology",
            "global",
            "--out",
            str(out2),
        ],
    )
    assert res.exit_code == 0, res.output
    assert {"id", "year", "tfpch", "effch", "techch"} <= set(pd.read_csv(out2).columns)  # --id/--period names
