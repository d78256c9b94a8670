"""Issue 15 items 7-8: one recipe per named measure, used identically by the CLI, the report, the dashboard and the
docs; the industrial green TFP panel 2011-2023 and the whole-economy labour gap, on the shipped real data."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import nqpf.datasets as ds
from nqpf.errors import DataError
from nqpf.productivity import recipes
from nqpf.productivity.malmquist import malmquist

REPO = Path(__file__).resolve().parents[2]
RAW = (REPO / "../shared/data/raw").resolve()
REC = recipes.PROVINCIAL_GREEN_TFP
NUM = ["cum_tfpch", "tfpch", "effch", "techch"]


@pytest.fixture(scope="module")
def prov():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = REC.compute()
    return res, REC.summary(res)


def _independent_panel(data: pd.DataFrame, cols: list[str], years: tuple[int, int]) -> pd.DataFrame:
    """The balanced positive panel, built without the recipe's code (pivot per indicator, then intersect)."""
    keep = None
    frames = []
    for c in cols:
        x = data[(data["indicator"] == c) & data["period"].between(*years)].dropna(subset=["value"])
        x = x[x["value"] > 0]
        full = x.groupby("unit")["period"].nunique()
        ok = set(full[full == years[1] - years[0] + 1].index)
        keep = ok if keep is None else keep & ok
        frames.append(x.set_index(["unit", "period"])["value"].rename(c))
    w = pd.concat(frames, axis=1).reset_index()
    return w[w["unit"].isin(keep)].sort_values(["unit", "period"], ignore_index=True)


def test_recipe_equals_the_documented_settings_on_an_independent_panel(prov):
    res, _ = prov
    d = ds.load("cn_provinces").data
    w = _independent_panel(d, REC.indicators, REC.years)
    assert w["unit"].nunique() == 30 and "540000" not in set(w["unit"])  # Tibet: no CEADs CO2
    ref = malmquist(w, ["capital_stock", "employment", "energy_consumption"], ["gdp_real_rpi_2011prices"],
                    undesirable=["co2", "so2"], id="unit", period="period", index="gml")
    a = res.sort_values(["unit", "period"], ignore_index=True)
    b = ref.sort_values(["unit", "period"], ignore_index=True)
    assert a["unit"].tolist() == b["unit"].tolist()
    np.testing.assert_allclose(a[["tfpch", "effch", "techch", "cum_tfpch"]], b[["tfpch", "effch", "techch",
                                                                                 "cum_tfpch"]], rtol=1e-9)
    man = res.attrs["manifest"]
    assert man["recipe"]["bad_outputs"] == ["co2", "so2"] and man["recipe"]["technology"] == "global"
    assert man["units_dropped"] == ["540000"]


def test_summary_is_the_product_of_the_pairs(prov):
    """Reference: cumulative index = product of the annual GML pairs; geometric mean = n-th root of it;
    Oh (2010): tfpch = effch x techch pair by pair."""
    res, summ = prov
    for r in summ.itertuples():
        grp = res[res["unit"] == r.unit]
        assert r.cum_tfpch == pytest.approx(float(np.prod(grp["tfpch"])), rel=1e-12)
        assert r.tfpch == pytest.approx(float(np.prod(grp["tfpch"])) ** (1 / len(grp)), rel=1e-12)
        assert r.tfpch == pytest.approx(r.effch * r.techch, rel=1e-12)
    assert summ["rank"].tolist() == sorted(summ["rank"]) and summ["rank"].iloc[0] == 1
    shown = summ["cum_tfpch"].map(lambda v: f"{v:.3f}")
    assert (shown.groupby(summ["rank"]).nunique() == 1).all()  # ties as shown share a rank


def test_cli_report_dashboard_and_docs_show_identical_numbers(prov, tmp_path):
    _, summ = prov
    ref = summ.set_index("unit")[NUM]
    # CLI
    import nqpf.cli.main as main

    main.register_commands()
    out = tmp_path / "gml.csv"
    r = CliRunner().invoke(main.app, ["--lang", "en", "tfp", "provinces", "--out", str(out)])
    assert r.exit_code == 0, (r.output, r.exception)
    cli = pd.read_csv(tmp_path / "gml_summary.csv", dtype={"unit": str}).set_index("unit")
    pd.testing.assert_frame_equal(cli.loc[ref.index, NUM], ref, check_exact=True)
    man = json.loads((tmp_path / "gml_manifest.json").read_text(encoding="utf-8"))
    assert man["recipe"] == REC.settings() and "ends in 2019" in man["note"]
    # dashboard
    from nqpf.web import views

    units = ds.load("cn_provinces").units

    class Dash:  # the two methods of nqpf.web.app.Dashboard the view uses
        def cached(self, key, compute):
            return compute()

        def dataset(self, name):
            return {"units": {c: list(units[c].astype(str)) for c in ("unit", "name_zh", "name_en")}}

    web = pd.DataFrame(views.province_efficiency(Dash(), "en")["rows"]).set_index("unit")
    pd.testing.assert_frame_equal(web.loc[ref.index, NUM], ref, check_exact=True)
    # national report (the TFP section on the dataset)
    from nqpf.i18n import t
    from nqpf.report import Table
    from nqpf.report.build import _load_inputs, _names, _tfp_section

    inp = _load_inputs("cn_provinces", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sec = _tfp_section(inp, 2021, "en", _names(inp, "en"))
    tab = [b for b in sec.blocks if isinstance(b, Table) and b.caption == REC.label("en")]
    assert len(tab) == 1
    rep = tab[0].df.set_index(t("report.col.unit", "en"))
    cols = [t("web.prod.cum_gml", "en", a=2011, b=2019), t("report.prod.gmean_gml", "en"),
            t("report.prod.gmean_effch", "en"), t("report.prod.gmean_techch", "en")]
    np.testing.assert_array_equal(rep.loc[ref.index, cols].to_numpy(float), ref.to_numpy(float))
    # docs: the numbers printed in malmquist.md are the recipe's (3 decimals)
    md = " ".join((REPO / "docs/productivity/malmquist.md").read_text(encoding="utf-8").split())
    names = REC.unit_names("en")
    for u in [*ref.index[:5], *ref.index[-5:]]:
        assert f"{names[u]} {ref.loc[u, 'cum_tfpch']:.3f}" in md, names[u]
    gm = float(np.exp(np.log(prov[0]["tfpch"]).mean()))
    assert f"tfpch {gm:.4f}" in md


def test_report_says_what_is_missing_and_the_note_states_the_gap():
    from nqpf.report import Missing
    from nqpf.report.build import _load_inputs, _names, _tfp_section

    d = ds.load("cn_provinces").data
    inp = _load_inputs(None, d[d["indicator"] != "so2"])
    sec = _tfp_section(inp, 2021, "zh", _names(inp, "zh"))
    miss = [b for b in sec.blocks if isinstance(b, Missing)]
    assert any("so2" in m.needs for m in miss)
    zh = REC.note("zh")
    assert "2019" in zh and "就业" in zh and not re.search(r"[a-z]{4,}", zh.replace("Malmquist", "").replace(
        "Luenberger", ""))  # no English words besides the index's name


def test_bad_names_and_inputs_raise_clear_errors():
    with pytest.raises(DataError, match="unknown measure 'nope'; choose one of provincial_green_tfp"):
        recipes.get("nope")
    d = ds.load("cn_provinces").data
    with pytest.raises(DataError, match=r"lack indicator\(s\) \['co2'\]"):
        REC.compute(d[d["indicator"] != "co2"])
    tiny = d[d["unit"].isin(["110000"])]
    with pytest.raises(DataError, match="fewer than 2 units"):
        REC.compute(tiny)


def test_cli_rejects_an_unknown_measure(tmp_path):
    exe = Path(sys.executable).with_name("nqpf")
    if not exe.exists():
        pytest.skip("nqpf console script not installed in this environment")
    r = subprocess.run([str(exe), "tfp", "provinces", "--measure", "x", "--out", str(tmp_path / "o.csv")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "unknown measure 'x'" in r.stderr and "--measure" not in r.stderr
    assert not (tmp_path / "o.csv").exists()


# ----------------------------------------------------------------------------------- item 8: through 2023
@pytest.mark.skipif(not RAW.is_dir(), reason="raw data folder not present")
def test_industrial_dataset_is_the_raw_panel():
    """Shipped values equal the raw yearbook cells; the RPI chain equals the independent cn_provinces build."""
    raw = pd.read_csv(RAW / "yumanlou_green_panel/green_energy_panel_long.csv", dtype={"province_code": str})
    ind = ds.load("cn_industrial_green")
    w = ind.wide()
    pairs = {"industrial_firms_employment": ("industrial_firms_avg_employment", 1.0),
             "industrial_firms_net_fixed_assets": ("industrial_firms_net_fixed_assets", 1.0),
             "va_industry": ("va_industry", 1.0), "industrial_so2": ("industrial_so2", 1.0),
             "energy_consumption": ("energy_consumption_total", 1.0), "co2_edgar": ("co2_edgar_v2024", 1e-6)}
    for ours, (var, scale) in pairs.items():
        r = raw[(raw["variable"] == var) & raw["year"].between(2011, 2023)]
        r = r.set_index(["province_code", "year"])["value"] * scale
        got = w[ours].dropna()
        assert len(got) == len(r), ours
        np.testing.assert_allclose(got.to_numpy(), r.reindex(got.index).to_numpy(), rtol=1e-15, err_msg=ours)
    assert w.loc["110000"].loc[2011, "industrial_firms_employment"] == 117.32  # Beijing 2011, raw cell
    assert w.loc["540000", "va_industry"].isna().all()  # Tibet: no industrial series
    cp = ds.load("cn_provinces").wide()
    both = w["rpi_chain_2011eq100"].dropna().index.intersection(cp["rpi_chain_2011eq100"].dropna().index)
    assert len(both) == 31 * 12
    np.testing.assert_allclose(w.loc[both, "rpi_chain_2011eq100"], cp.loc[both, "rpi_chain_2011eq100"], rtol=1e-14)
    np.testing.assert_allclose(w["va_industry_real_rpi_2011prices"].dropna(),
                               (w["va_industry"] / w["rpi_chain_2011eq100"] * 100).dropna(), rtol=1e-15)
    assert "INDUSTRIAL" in ind.manifest["notes"] and "industrial" in ind.title.lower()


def test_industrial_recipes_reach_2022_real_and_2023_nominal():
    for name, last in (("industrial_green_tfp", 2022), ("industrial_green_tfp_nominal", 2023)):
        rec = recipes.get(name)
        assert rec.sector == "industry" and rec.years == (2011, last)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = rec.compute()
        assert res["period"].max() == last and res["unit"].nunique() == 30
        assert (res["status"] == "optimal").all()  # global technology: always feasible
        np.testing.assert_allclose(res["tfpch"], res["effch"] * res["techch"], rtol=1e-12)
        for lang in ("zh", "en"):
            note = rec.note(lang, res)
            assert ("工业部门口径" in note) if lang == "zh" else ("INDUSTRIAL" in note)
    assert "current prices" in recipes.get("industrial_green_tfp_nominal").note("en")


@pytest.mark.skipif(not RAW.is_dir(), reason="raw data folder not present")
def test_whole_economy_labour_gap_is_stated_with_measured_coverage():
    """No provincial total employment after 2019: the urban-unit variant's stated coverage (19-24 % of national
    total employment, China Statistical Yearbook 2025 table 4-2) is what the data give."""
    nat = pd.read_csv(RAW / "nbs_national_employment_by_sector/nbs2025_C04-02_transcribed.csv").set_index("year")
    d = ds.load("cn_provinces").data
    urb = d[d["indicator"] == "employment_urban_units"].groupby("period")["value"].sum(min_count=31)
    share = (urb / nat["total"].reindex(urb.index)).loc[2011:2023]
    assert share.notna().all() and 0.185 <= share.min() and share.max() <= 0.245
    emp = d[d["indicator"] == "employment"].dropna(subset=["value"])
    assert emp["period"].max() == 2019  # the gap the default recipe states
    assert "19–24 %" in recipes.get("provincial_green_tfp_urban_labour").note("en")
    for name in ("provincial_green_tfp", "provincial_green_tfp_urban_labour"):
        assert "2020–2023" in recipes.get(name).note("en") and "2020–2023" in recipes.get(name).note("zh")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = recipes.get("provincial_green_tfp_urban_labour").compute()
    assert res["period"].max() == 2022 and res["unit"].nunique() == 30


def test_docs_example_uses_the_recipes():
    src = (REPO / "docs/productivity/examples_provinces.py").read_text(encoding="utf-8")
    assert "recipes.get(name)" in src and "gdp_real_rpi_2011prices\"]" not in src
    assert sys.modules.get("nqpf.productivity.recipes") is recipes
