"""Every table-writing command picks the format by the output's extension, keeps the user's --id/--period
column names (the result merges back onto the input), and `nqpf dea` writes its peers as a tidy λ table.

References: DEAP 2.1 example EG1 (Coelli 1996, "A Guide to DEAP Version 2.1", §6.1; 5 firms, 2 inputs,
1 output; CRS input-oriented TE 0.5, 1, 0.833, 0.714, 1) and the envelopment identity of the input-oriented
CCR model (Cooper, Seiford & Tone 2007, eq. 3.18): Σ_j λ_j x_ij = θ* x_io − s⁻_i and Σ_j λ_j y_rj = y_ro + s⁺_r."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.cli.main import app, register_commands
from nqpf.data.tables import read_table
from nqpf.errors import DataError

register_commands()
runner = CliRunner()

# DEAP EG1 with a dummy-free second period (the same firms a year later, inputs +10 %)
EG1 = pd.DataFrame({"firm": ["1", "2", "3", "4", "5"], "y": [1, 2, 3, 1, 2], "x1": [2, 2, 6, 3, 6],
                    "x2": [5, 4, 6, 2, 2]})  # fmt: skip
PANEL = pd.concat(
    [EG1.assign(year=2020), EG1.assign(year=2021, x1=EG1.x1 * 1.1, y=EG1.y * [1, 1.2, 1, 1.5, 1])]
)
EXTS = [".csv", ".xlsx", ".dta", ".parquet"]


def _read(path):
    return read_table(path, dtype={"firm": str})


def _dea(src, out, *extra):
    args = ["dea", "--data", str(src), "--id", "firm", "--inputs", "x1,x2", "--outputs", "y", "--model", "ccr",
            "--orientation", "input", "--out", str(out), *extra]  # fmt: skip
    return runner.invoke(app, args)


@pytest.mark.parametrize("ext", EXTS)
def test_dea_writes_the_format_of_the_extension_with_the_users_id(tmp_path, ext):
    src = tmp_path / "eg1.csv"
    EG1.to_csv(src, index=False)
    out = tmp_path / f"eff{ext}"
    r = _dea(src, out)
    assert r.exit_code == 0, (r.output, r.exception)
    magic = {".csv": b"firm,", ".xlsx": b"PK", ".dta": b"<stata_dta>", ".parquet": b"PAR1"}[ext]
    assert out.read_bytes().startswith(magic)
    got = _read(out)
    assert "unit" not in got.columns and got["firm"].astype(str).tolist() == EG1["firm"].tolist()
    assert got["efficiency"].round(3).tolist() == [0.5, 1.0, 0.833, 0.714, 1.0]  # DEAP EG1
    merged = EG1.merge(got.assign(firm=got["firm"].astype(str)), on="firm", how="left", validate="1:1")
    assert merged["efficiency"].notna().all() and len(merged) == len(EG1)  # merges back without a rename
    peers = _read(tmp_path / f"eff_peers{ext}")
    assert list(peers.columns) == ["firm", "peer", "lambda"]


def _worst_residual(eff: pd.DataFrame, lambdas: dict[str, pd.Series]) -> float:
    """max |Σ λ_j z_j − target| over units and variables: target θ*x_o − s⁻ (inputs), y_o + s⁺ (output)."""
    data = EG1.set_index("firm")
    worst = 0.0
    for firm, lam in lambdas.items():
        theta = eff.loc[firm, "efficiency"]
        for x in ("x1", "x2"):
            target = theta * data.loc[firm, x] - eff.loc[firm, f"slack_{x}"]
            worst = max(worst, abs(float((lam * data.loc[lam.index, x]).sum()) - target))
        target_y = data.loc[firm, "y"] + eff.loc[firm, "slack_y"]
        worst = max(worst, abs(float((lam * data.loc[lam.index, "y"]).sum()) - target_y))
    return worst


def test_peer_lambdas_reproduce_the_projection(tmp_path):
    """The tidy λ reproduce the projected point θ*x_o − s⁻, y_o + s⁺ to 1e-9 (measured 1e-15 on EG1; the
    slack-stage λ are corrected onto the binding constraints); the readable 6-digit string does not (~1e-6).
    EG1's firm 4 has the textbook peers 2 and 5 with λ = 3/14 and 2/7 (DEAP EG1.OUT)."""
    src = tmp_path / "eg1.csv"
    EG1.to_csv(src, index=False)
    out = tmp_path / "eff.csv"
    assert _dea(src, out).exit_code == 0
    eff = pd.read_csv(out, dtype={"firm": str}).set_index("firm")
    peers = pd.read_csv(tmp_path / "eff_peers.csv", dtype={"firm": str, "peer": str})
    assert set(peers["firm"]) == set(EG1["firm"]) and (peers["lambda"] > 0).all()
    tidy = {f: g.set_index("peer")["lambda"] for f, g in peers.groupby("firm")}
    rounded = {f: pd.Series({p.split(":")[0]: float(p.split(":")[1]) for p in s.split(";")})
               for f, s in eff["peers"].items()}  # fmt: skip
    assert {f: set(v.index) for f, v in rounded.items()} == {f: set(v.index) for f, v in tidy.items()}
    assert _worst_residual(eff, tidy) < 1e-9
    assert _worst_residual(eff, rounded) > 1e-7  # so full precision is what makes the table usable
    assert tidy["4"].to_dict() == pytest.approx({"2": 3 / 14, "5": 2 / 7}, abs=1e-12)


@pytest.mark.parametrize("orientation", ["input", "output"])
def test_peer_lambdas_on_random_data_ccr(orientation):
    """300 random units, CCR: every unit's λ reproduce its projection to 1e-9 (measured ≤ 4e-12)."""
    from nqpf.productivity.dea import dea

    rng = np.random.default_rng(11)
    df = pd.DataFrame(rng.uniform(1, 10, (300, 4)), columns=["x0", "x1", "y0", "y1"])
    df.insert(0, "id", [f"u{j}" for j in range(300)])
    res = dea(df, ["x0", "x1"], ["y0", "y1"], id="id", model="ccr", orientation=orientation)
    lam = res.attrs["peer_weights"].frame()
    Z = df.set_index("id")[["x0", "x1", "y0", "y1"]]
    proj = Z.loc[lam["peer"]].to_numpy() * lam[["lambda"]].to_numpy()
    proj = pd.DataFrame(proj, columns=Z.columns).groupby(lam["unit"].to_numpy()).sum().loc[res["unit"]]
    r = res.set_index("unit")
    theta = r["efficiency"] if orientation == "input" else 1.0
    phi = 1.0 if orientation == "input" else r["phi"]
    tx = Z.loc[r.index, ["x0", "x1"]].mul(theta, axis=0) - r[["slack_x0", "slack_x1"]].to_numpy()
    ty = Z.loc[r.index, ["y0", "y1"]].mul(phi, axis=0) + r[["slack_y0", "slack_y1"]].to_numpy()
    err = np.abs(proj.to_numpy() - np.hstack([tx.to_numpy(), ty.to_numpy()]))
    assert err.max() < 1e-9


def test_dea_by_period_and_malmquist_keep_id_and_period_names_and_merge_back(tmp_path):
    src = tmp_path / "panel.dta"
    PANEL.to_stata(src, write_index=False, version=118)
    out = tmp_path / "d.dta"
    r = _dea(src, out, "--period", "year")
    assert r.exit_code == 0, (r.output, r.exception)
    got = _read(out)
    assert {"firm", "year"} <= set(got.columns) and not {"unit", "period"} & set(got.columns)
    m = PANEL.merge(got, on=["firm", "year"], how="inner", validate="1:1")
    assert len(m) == len(PANEL)
    peers = _read(tmp_path / "d_peers.dta")
    assert list(peers.columns) == ["firm", "year", "peer", "lambda"]
    mout = tmp_path / "m.parquet"
    args = ["malmquist", "--data", str(src), "--id", "firm", "--period", "year", "--inputs", "x1,x2",
            "--outputs", "y", "--technology", "contemporaneous", "--out", str(mout)]  # fmt: skip
    r = runner.invoke(app, args)
    assert r.exit_code == 0, (r.output, r.exception)
    mm = pd.read_parquet(mout)
    assert {"firm", "year", "year_from", "tfpch"} <= set(mm.columns)
    back = PANEL.merge(mm, on=["firm", "year"], how="inner", validate="1:1")
    assert len(back) == len(EG1) and back["tfpch"].notna().all()


def test_unknown_extension_is_refused_before_any_work(tmp_path):
    src = tmp_path / "eg1.csv"
    EG1.to_csv(src, index=False)
    r = _dea(src, tmp_path / "eff.json")
    assert isinstance(r.exception, DataError) and "--out" in str(r.exception) and ".dta" in str(r.exception)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eg1.csv"]


def test_sfa_tfp_analyze_write_real_stata_and_tex(tmp_path):
    rng = np.random.default_rng(3)
    n = 40
    df = pd.DataFrame({"firm": [f"f{i % 10}" for i in range(n)], "year": [2010 + i // 10 for i in range(n)],
                       "K": rng.uniform(1, 5, n), "L": rng.uniform(1, 5, n)})  # fmt: skip
    df["Y"] = np.exp(
        0.3 * np.log(df.K) + 0.6 * np.log(df.L) - np.abs(rng.normal(0, 0.2, n)) + rng.normal(0, 0.1, n)
    )
    df["grp"] = np.where(df.firm < "f5", "A", "B")
    src = tmp_path / "d.csv"
    df.to_csv(src, index=False)
    r = runner.invoke(app, ["sfa", "--data", str(src), "--output", "Y", "--inputs", "K,L", "--id", "firm",
                            "--period", "year", "--out", str(tmp_path / "s.dta")])  # fmt: skip
    assert r.exit_code == 0, (r.output, r.exception)
    s = _read(tmp_path / "s.dta")
    assert {"firm", "year", "efficiency"} <= set(s.columns) and (tmp_path / "s_params.dta").exists()
    assert len(df.merge(s, on=["firm", "year"], validate="1:1")) == n
    r = runner.invoke(app, ["tfp", "growth", "--data", str(src), "--id", "firm", "--period", "year", "--output",
                            "Y", "--capital", "K", "--labour", "L", "--labour-share", "0.6",
                            "--out", str(tmp_path / "g.xlsx")])  # fmt: skip
    assert r.exit_code == 0, (r.output, r.exception)
    g = pd.read_excel(tmp_path / "g.xlsx")
    assert {"firm", "year", "tfp_growth"} <= set(g.columns)
    r = runner.invoke(app, ["analyze", "dagum", "--data", str(src), "--value", "Y", "--group", "grp", "--period",
                            "year", "--out", str(tmp_path / "dg.tex")])  # fmt: skip
    assert r.exit_code == 0, (r.output, r.exception)
    assert r"\toprule" in (tmp_path / "dg.tex").read_text()
    r = runner.invoke(app, ["analyze", "dagum", "--data", str(src), "--value", "Y", "--group", "grp", "--period",
                            "year", "--out", str(tmp_path / "dg.dta")])  # fmt: skip
    assert r.exit_code == 0 and (tmp_path / "dg.dta").read_bytes().startswith(b"<stata_dta>")
    assert not (tmp_path / "dg.csv").exists()


def test_index_offers_dta_scores(tmp_path):
    rows = [(u, y, i, 1.0 + k + (y % 2) * (i == "x1")) for k, u in enumerate("abcd") for y in (2020, 2021)
            for i in ("x1", "x2")]  # fmt: skip
    data = tmp_path / "d.csv"
    pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"]).to_csv(data, index=False)
    fw = tmp_path / "fw.yaml"
    fw.write_text("name: t\nnodes:\n  - {id: i}\n  - {id: x1, parent: i, direction: 1}\n"
                  "  - {id: x2, parent: i, direction: -1}\n", encoding="utf-8")  # fmt: skip
    base = ["index", "--data", str(data), "--framework", str(fw), "--weights", "equal", "--units", "none"]
    r = runner.invoke(app, [*base, "--out", str(tmp_path / "c")])
    assert r.exit_code == 0, (r.output, r.exception)
    r = runner.invoke(app, [*base, "--out", str(tmp_path / "o"), "--format", "dta"])
    assert r.exit_code == 0, (r.output, r.exception)
    sc = _read(tmp_path / "o" / "scores.dta")
    ref = pd.read_csv(tmp_path / "c" / "scores.csv", dtype={"unit": str})
    pd.testing.assert_frame_equal(sc[ref.columns].astype(ref.dtypes.to_dict()), ref, check_exact=True)
    r = runner.invoke(app, [*base, "--out", str(tmp_path / "x"), "--format", "json"])
    assert isinstance(r.exception, DataError) and "--format" in str(r.exception)


def test_uncertainty_format_writes_the_same_tables(tmp_path):
    rows = [(u, y, i, 1.0 + k + (y % 2) * (i == "x1") + 0.3 * j) for k, u in enumerate("abcdef")
            for y in (2020, 2021) for j, i in enumerate(("x1", "x2", "x3"))]  # fmt: skip
    data = tmp_path / "d.csv"
    pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"]).to_csv(data, index=False)
    fw = tmp_path / "fw.yaml"
    fw.write_text("name: t\nnodes:\n  - {id: i}\n  - {id: x1, parent: i, direction: 1}\n"
                  "  - {id: x2, parent: i, direction: -1}\n  - {id: x3, parent: i, direction: 1}\n")  # fmt: skip
    base = ["uncertainty", "--data", str(data), "--framework", str(fw), "--samples", "16", "--vary",
            "weights,perturb", "--backend", "sequential", "--units", "none", "--bootstrap", "50"]  # fmt: skip
    for fmt in ("csv", "dta"):
        r = runner.invoke(app, [*base, "--out", str(tmp_path / fmt), "--format", fmt])
        assert r.exit_code == 0, (r.output, r.exception)
    for name in ("rank_intervals", "sensitivity"):
        a = pd.read_csv(tmp_path / "csv" / f"{name}.csv")
        b = read_table(tmp_path / "dta" / f"{name}.dta")
        assert list(b.columns) == list(a.columns)
        num = a.select_dtypes("number").columns
        np.testing.assert_allclose(b[num].to_numpy(float), a[num].to_numpy(float), rtol=1e-12)


def test_cli_readers_restore_names_nqpf_mapped_for_stata(tmp_path):
    """An input .dta written by nqpf with names Stata cannot hold is read back with the original names."""
    from nqpf.data.tables import write_table

    src = write_table(EG1.rename(columns={"x1": "科技投入", "x2": "else"}), tmp_path / "in.dta")
    assert {"v3", "v_else"} <= set(pd.read_stata(src).columns)
    out = tmp_path / "eff.csv"
    args = ["dea", "--data", str(src), "--id", "firm", "--inputs", "科技投入,else", "--outputs", "y",
            "--out", str(out)]  # fmt: skip
    r = runner.invoke(app, args)
    assert r.exit_code == 0, (r.output, r.exception)
    got = pd.read_csv(out, dtype={"firm": str})
    assert got["efficiency"].round(3).tolist() == [0.5, 1.0, 0.833, 0.714, 1.0]
    assert {"slack_科技投入", "slack_else"} <= set(got.columns)


def test_numeric_ids_keep_their_type_so_the_output_merges(tmp_path):
    """Ids of a .parquet/.dta input that are numbers come back as numbers (DEA compares ids as text)."""
    src = tmp_path / "p.parquet"
    num = PANEL.assign(firm=PANEL["firm"].astype("int64"))
    num.to_parquet(src, index=False)
    out = tmp_path / "d.dta"
    assert _dea(src, out, "--period", "year").exit_code == 0
    got = pd.read_stata(out)
    assert pd.api.types.is_integer_dtype(got["firm"])
    assert len(num.merge(got, on=["firm", "year"], validate="1:1")) == len(num)
    peers = pd.read_stata(tmp_path / "d_peers.dta")
    assert pd.api.types.is_integer_dtype(peers["peer"]) and set(peers["peer"]) <= set(num["firm"])
    r = runner.invoke(app, ["sfa", "--data", str(src), "--output", "y", "--inputs", "x1,x2", "--id", "firm",
                            "--period", "year", "--out", str(tmp_path / "s.parquet")])  # fmt: skip
    assert r.exit_code == 0, (r.output, r.exception)
    s = pd.read_parquet(tmp_path / "s.parquet")
    assert pd.api.types.is_integer_dtype(s["firm"]) and len(num.merge(s, on=["firm", "year"])) == len(num)
