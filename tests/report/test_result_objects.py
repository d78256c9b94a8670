"""Issue 13 item 9: result objects give a paper-ready summary(), booktabs to_latex() with notes (golden files
under tests/report/golden/; regenerate with NQPF_UPDATE_GOLDEN=1 after a deliberate change), to_excel() and the
standard figures through plot(). The numbers of each summary are checked against an independent reference."""

from __future__ import annotations

import math
import os
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from nqpf.errors import DataError, MethodError
from nqpf.index import build_index
from nqpf.report.results import PLOTS, result_kind

GOLDEN = Path(__file__).parent / "golden"


def _golden(name: str, text: str) -> None:
    p = GOLDEN / name
    if os.environ.get("NQPF_UPDATE_GOLDEN") == "1":
        p.write_text(text, encoding="utf-8")
    assert p.exists(), f"golden file {p} missing: run with NQPF_UPDATE_GOLDEN=1 once and review it"
    assert text == p.read_text(encoding="utf-8"), f"LaTeX differs from {p.name}"


# ------------------------------------------------------------------------------------------- small inputs
PROVS = ["110000", "310000", "440000", "510000", "620000"]


@pytest.fixture(scope="module")
def small_index():
    """Five provinces, two years, two dimensions of one indicator each; equal weights, min-max over the panel:
    scores are hand-computable (below)."""
    x1 = {2020: [10, 8, 6, 4, 2], 2021: [12, 9, 6, 5, 2]}
    x2 = {2020: [1, 5, 3, 2, 1], 2021: [2, 6, 3, 2, 1]}
    rows = [(u, y, ind, float(v[y][i])) for ind, v in (("x1", x1), ("x2", x2)) for y in (2020, 2021)
            for i, u in enumerate(PROVS)]
    fw = {"name": "tiny", "root": "idx", "nodes": [
        {"id": "idx", "label_en": "Index", "label_zh": "指数"},
        {"id": "d1", "parent": "idx", "label_en": "Dim one", "label_zh": "维度一"},
        {"id": "d2", "parent": "idx", "label_en": "Dim two", "label_zh": "维度二"},
        {"id": "x1", "parent": "d1", "direction": 1, "label_en": "x1", "label_zh": "指标一"},
        {"id": "x2", "parent": "d2", "direction": 1, "label_en": "x2", "label_zh": "指标二"}]}
    df = pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"])
    return build_index(df, fw, normalize="minmax-global", weights="equal", weight_scope="parent")


def test_index_summary_numbers(small_index):
    tab = small_index.summary()
    assert result_kind(small_index) == "index"
    # hand computation: min-max over the pooled panel, x1 in [2, 12], x2 in [1, 6]; index = mean of the two
    x1 = np.array([12, 9, 6, 5, 2]) - 2
    x2 = np.array([2, 6, 3, 2, 1]) - 1
    ref = dict(zip(PROVS, 0.5 * x1 / 10 + 0.5 * x2 / 5, strict=True))
    assert list(tab.columns) == ["Rank", "Code", "Name", "Score", "Dim one", "Dim two"]
    for r in tab.itertuples(index=False):
        assert r.Score == pytest.approx(ref[r.Code], abs=1e-12)
    assert tab["Name"].iloc[0] == "Shanghai" and tab["Rank"].tolist() == [1, 2, 3, 4, 5]
    assert tab.attrs["caption"] == "Index ranking, 2021" and len(tab.attrs["notes"]) == 2
    zh = small_index.summary(lang="zh", period=2020)
    assert list(zh.columns)[:4] == ["排名", "代码", "名称", "得分"] and "北京" in set(zh["名称"])
    with pytest.raises(DataError, match="period 1999"):
        small_index.summary(period=1999)


def test_index_latex_golden(small_index, tmp_path):
    tex = small_index.to_latex(label="tab:idx")
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex and r"\textit{Notes:}" in tex
    _golden("index_summary_en.tex", tex)
    _golden("index_summary_zh.tex", small_index.to_latex(lang="zh", period=2020))
    p = tmp_path / "t.tex"
    assert small_index.to_latex(p) == p.read_text(encoding="utf-8")


def test_index_with_intervals(small_index, tmp_path):
    iv = pd.DataFrame({"unit": PROVS, "period": 2021, "rank_nominal": [2, 1, 3, 4, 5],
                       "rank_p05": [1.0, 1.0, 2.5, 4.0, 5.0], "rank_p95": [3.0, 2.0, 3.0, 4.0, 5.0]})
    tab = small_index.summary(uncertainty=iv)
    assert tab.loc[tab["Code"] == "440000", "Rank 5 %"].item() == 2.5
    assert b"<svg" in small_index.plot("ranking", uncertainty=iv, fmt="svg")
    _golden("rank_intervals_en.tex", iv.nqpf.to_latex())
    x = iv.nqpf.summary()
    assert x["Nominal rank"].tolist() == [1, 2, 3, 4, 5] and x["Code"].iloc[0] == "310000"


def test_dea_summary_against_ratio_formula(tmp_path):
    """One input, one output, CRS: CCR efficiency = (y/x) / max(y/x) (Cooper, Seiford & Tone 2007, ch. 1)."""
    from nqpf.productivity import dea

    d = pd.DataFrame({"unit": ["A", "B", "C", "D", "E"], "x": [2.0, 4.0, 3.0, 5.0, 4.0],
                      "y": [1.0, 2.0, 3.0, 4.0, 2.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = dea(d, ["x"], ["y"], id="unit", model="ccr", orientation="input")
    assert e.nqpf.kind == "dea"
    tab = e.nqpf.summary()
    ratio = d.set_index("unit")["y"] / d.set_index("unit")["x"]
    ref = ratio / ratio.max()
    for r in tab.itertuples(index=False):
        assert r.Efficiency == pytest.approx(ref[r.Code], abs=1e-9)
    # A, B, E all print 0.5000: one shared rank ('min'), after C (1.0000) and D (0.8000)
    assert dict(zip(tab["Code"], tab["Rank"], strict=True)) == {"C": 1, "D": 2, "A": 3, "B": 3, "E": 3}
    _golden("dea_summary_en.tex", e.nqpf.to_latex())
    wb = load_workbook(e.nqpf.to_excel(tmp_path / "dea.xlsx"))
    ws = wb["dea"]
    assert ws.freeze_panes is not None
    head = [c.value for c in ws[3]]
    j = head.index("Efficiency") + 1
    assert ws.cell(4, j).number_format == "0.0000"
    assert "about" in wb.sheetnames and any("frontier" in str(c.value) for c in wb["about"]["B"])


def _panel() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for u in "ABCDEF":
        k, lab = rng.uniform(1, 3), rng.uniform(1, 3)
        for t in range(2015, 2019):
            y = (k ** 0.4) * (lab ** 0.6) * (1.02 ** (t - 2015)) * rng.uniform(0.8, 1.0)
            rows.append((u, t, k, lab, y))
            k, lab = k * rng.uniform(1.0, 1.1), lab * rng.uniform(0.98, 1.04)
    return pd.DataFrame(rows, columns=["unit", "period", "k", "l", "y"])


def test_malmquist_summary_is_geometric_and_adds_up():
    from nqpf.productivity import malmquist

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = malmquist(_panel(), ["k", "l"], ["y"], id="unit", period="period", index="malmquist")
    tab = m.nqpf.summary()
    assert m.nqpf.kind == "malmquist" and tab["Code"].iloc[-1] == "All units"
    for r in tab.itertuples(index=False):
        assert r[1] == pytest.approx(r[2] * r[3], rel=1e-12)  # TFP change = efficiency change × technical change
    for u, g in m.groupby("unit"):
        row = tab[tab["Code"] == u].iloc[0]
        assert row["TFP change"] == pytest.approx(math.prod(g["tfpch"]) ** (1 / len(g)), rel=1e-12)
    assert tab["Pairs"].iloc[-1] == len(m)
    _golden("malmquist_summary_en.tex", m.nqpf.to_latex(digits=4))
    for kind in PLOTS["malmquist"]:
        assert b"<svg" in m.nqpf.plot(kind, fmt="svg")


def test_convergence_and_dagum_summaries():
    from nqpf.analysis import beta_cross_section, dagum, kde_over_time, sigma

    rng = np.random.default_rng(11)
    rows = [(u, t, float(np.exp(rng.normal(0, 0.5)) * (1 + 0.02 * t))) for u in range(12) for t in range(5)]
    df = pd.DataFrame(rows, columns=["unit", "period", "y"]).assign(unit=lambda d: d["unit"].astype(str))
    sg = sigma(df, "y")
    st = sg.nqpf.summary()
    assert list(st.columns) == ["Year", "σ (ln)", "CV", "n"]
    assert st["σ (ln)"].iloc[0] == pytest.approx(np.log(df[df["period"] == 0]["y"]).std(ddof=0), rel=1e-12)
    b = beta_cross_section(df, "y")
    bt = b.nqpf.summary()
    assert bt.iloc[0, 0] == "β" and bt.iloc[0, 1].startswith(f"{b['beta'].iloc[0]:.4f}")
    _golden("beta_summary_en.tex", b.nqpf.to_latex())
    dg = dagum(df.assign(g=lambda d: np.where(d["unit"].astype(int) < 6, "a", "b")), "y", "g", period="period",
               unit="unit")
    tab = dg.nqpf.summary()
    v = dg.set_index(["period", "component"])["value"]
    for r in tab.itertuples(index=False):
        assert r[1] == pytest.approx(r[2] + r[3] + r[4], rel=1e-12)  # G = Gw + Gnb + Gt (Dagum 1997)
        assert r[1] == pytest.approx(v[(r[0], "G")], rel=1e-15)
    assert b"<svg" in dg.nqpf.plot("contributions", fmt="svg") and b"<svg" in dg.nqpf.plot("trend", fmt="svg")
    k = kde_over_time(df, "y")
    ks = k.nqpf.summary()
    assert ks["n"].tolist() == [12] * 5
    assert b"<svg" in k.nqpf.plot(fmt="svg") and b"<svg" in sg.nqpf.plot(fmt="svg")
    with pytest.raises(MethodError, match="no standard figure"):
        b.nqpf.plot()
    with pytest.raises(DataError, match="choose one of"):
        sg.nqpf.plot("map")


def test_sfa_result_methods(tmp_path):
    from nqpf.productivity.sfa import sfa

    rng = np.random.default_rng(7)
    n = 200
    lk, ll = rng.normal(1, 0.5, n), rng.normal(1, 0.5, n)
    ly = 0.5 + 0.4 * lk + 0.5 * ll + rng.normal(0, 0.1, n) - np.abs(rng.normal(0, 0.3, n))
    df = pd.DataFrame({"unit": [f"u{i % 20}" for i in range(n)], "period": [2000 + i // 20 for i in range(n)],
                       "y": np.exp(ly), "k": np.exp(lk), "l": np.exp(ll)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sfa(df, output="y", inputs=["k", "l"], unit="unit", period="period")
    tab = res.summary()
    assert list(tab.columns) == ["Term", "Estimate", "Std. error"]
    assert tab["Estimate"].tolist() == res.summary_table()["estimate"].tolist()
    tex = res.to_latex()
    assert r"\begin{tabular}{lll}" in tex and "Standard errors in parentheses" in tex
    assert load_workbook(res.to_excel(tmp_path / "sfa.xlsx"))["sfa"].freeze_panes is not None
    assert b"<svg" in res.plot(fmt="svg")


SVG = "{http://www.w3.org/2000/svg}"


def test_index_figures_and_map_inset(small_index, tmp_path):
    from nqpf import assets

    for kind in ("ranking", "trend"):
        assert b"<svg" in small_index.plot(kind, fmt="svg")
    with pytest.raises(DataError, match="unit="):
        small_index.plot("radar")
    with pytest.raises(DataError, match="three dimensions"):
        small_index.plot("radar", unit="440000")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real = build_index("cn_provinces", "nqpf-core")  # four dimensions
    svg = real.plot("radar", unit="340000", fmt="svg")
    assert svg.count(b"<path") > 8
    if not assets.available():
        pytest.skip("ECharts map not fetched (run make setup)")
    svg = small_index.plot("map", fmt="svg")
    ids = {g.get("id") for g in ET.fromstring(svg).iter(f"{SVG}g")}
    assert "nanhai-inset" in ids  # the map drawn from a result carries the 南海诸岛 inset
    p = small_index.plot("map", path=tmp_path / "m.png", lang="zh")
    assert p.stat().st_size > 10_000


def test_uncertainty_result_methods(small_index):
    from nqpf.uncertainty.montecarlo import UncertaintyResult

    iv = pd.DataFrame({"unit": PROVS, "period": 2021, "rank_nominal": [2, 1, 3, 4, 5],
                       "rank_median": [2.0, 1.0, 3.0, 4.0, 5.0],
                       "rank_p05": [1.0, 1.0, 2.5, 4.0, 5.0], "rank_p95": [3.0, 2.0, 3.0, 4.0, 5.0]})
    u = UncertaintyResult(rank_intervals=iv, rank_probabilities=pd.DataFrame(), sensitivity=pd.DataFrame(),
                          unit_sensitivity=None, leave_one_out=pd.DataFrame(), runs=pd.DataFrame(),
                          manifest={"design": {"runs": 64}})
    tab = u.summary()
    assert tab["Median rank"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0] and "64 Monte Carlo runs" in tab.attrs["notes"][0]
    assert r"\bottomrule" in u.to_latex() and b"<svg" in u.plot(fmt="svg")
    assert small_index.summary(uncertainty=u)["Rank 95 %"].tolist() == [2.0, 3.0, 3.0, 4.0, 5.0]
