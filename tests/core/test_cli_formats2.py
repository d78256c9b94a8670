"""`nqpf tfp provinces`, `nqpf compare --out` and `nqpf demo --format` write their tables through
:func:`nqpf.data.tables.write_table`: a .dta or .xlsx reads back equal to the CSV of the same run, and a .dta
carries the catalogue's column labels as Stata variable labels.

Reference for the compare table: Spearman ρ, Kendall τ-b and Pearson r per period recomputed with scipy.stats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.cli.main import app, register_commands
from nqpf.data.tables import read_table
from nqpf.errors import DataError
from nqpf.i18n import t

register_commands()
runner = CliRunner()


def _ok(args):
    r = runner.invoke(app, ["--lang", "en", *args])
    assert r.exit_code == 0, (r.output, r.exception)
    return r


def assert_same_table(got: pd.DataFrame, ref: pd.DataFrame, what: str = "") -> None:
    """Same columns in the same order, same rows; numbers equal to 1e-12, text equal (missing = "")."""
    assert list(got.columns) == list(ref.columns), what
    assert len(got) == len(ref), what
    for c in ref.columns:
        a, b = pd.to_numeric(got[c], errors="coerce"), pd.to_numeric(ref[c], errors="coerce")
        if a.notna().sum() == got[c].notna().sum() and b.notna().sum() == ref[c].notna().sum() and (
            a.notna().any() or b.notna().any()
        ):
            np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-12, atol=0, err_msg=f"{what} {c}")
        else:
            def text(s: pd.Series) -> list[str]:
                return s.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)).tolist()

            assert text(got[c]) == text(ref[c]), f"{what} {c}"


def _read(path, unit="unit"):
    return read_table(path, dtype={unit: str})


# ---------------------------------------------------------------------------------------------- tfp provinces
@pytest.fixture(scope="module")
def provinces(tmp_path_factory):
    pytest.importorskip("openpyxl")
    from nqpf import datasets

    if "cn_provinces" not in datasets.names():
        pytest.skip("embedded dataset cn_provinces not built")
    d = tmp_path_factory.mktemp("prov")
    for ext in (".csv", ".dta", ".xlsx"):
        _ok(["tfp", "provinces", "--out", str(d / f"gml{ext}")])
    return d


@pytest.mark.parametrize("ext", [".dta", ".xlsx"])
def test_tfp_provinces_table_and_summary_follow_the_extension(provinces, ext):
    for stem in ("gml", "gml_summary"):
        ref = _read(provinces / f"{stem}.csv")
        got = _read(provinces / f"{stem}{ext}")
        assert len(ref) > 0
        assert_same_table(got, ref, f"{stem}{ext}")
    assert (provinces / "gml_manifest.json").exists()


def test_tfp_provinces_dta_has_variable_labels_from_the_catalogue(provinces):
    with pd.io.stata.StataReader(provinces / "gml.dta") as rd:
        labels = rd.variable_labels()
    for col in ("tfpch", "effch", "techch"):
        assert labels[col] == t(f"productivity.col.{col}", "en")  # e.g. tfpch → "TFP change"
    assert labels["unit"] == ""  # no catalogue label: none invented
    with pd.io.stata.StataReader(provinces / "gml_summary.dta") as rd:
        assert rd.variable_labels()["tfpch"] == "TFP change"


def test_tfp_provinces_refuses_a_non_table_extension(tmp_path):
    r = runner.invoke(app, ["tfp", "provinces", "--out", str(tmp_path / "gml.txt")])
    assert isinstance(r.exception, DataError) and "--out" in str(r.exception)
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------------------------------------------- compare
def _scores(tmp_path):
    rng = np.random.default_rng(3)
    a = pd.DataFrame([(f"{u}0000", p, float(rng.random())) for u in range(11, 23) for p in (2020, 2021, 2022)],
                     columns=["unit", "period", "score"])  # fmt: skip
    b = a.assign(score=a["score"] + rng.normal(0, 0.2, len(a)))
    pa, pb = tmp_path / "a.csv", tmp_path / "b.csv"
    a.to_csv(pa, index=False)
    b.to_csv(pb, index=False)
    return a, b, pa, pb


def test_compare_out_follows_the_extension(tmp_path):
    pytest.importorskip("openpyxl")
    from scipy import stats

    a, b, pa, pb = _scores(tmp_path)
    for ext in (".csv", ".dta", ".xlsx"):
        _ok(["compare", str(pa), str(pb), "--out", str(tmp_path / f"cmp{ext}")])
    ref = pd.read_csv(tmp_path / "cmp.csv")
    for ext in (".dta", ".xlsx"):
        assert_same_table(read_table(tmp_path / f"cmp{ext}"), ref, ext)
    assert ref["period"].tolist() == [2020, 2021, 2022] and (ref["n"] == 12).all()
    for r in ref.itertuples():
        x = a[a["period"] == r.period]["score"].to_numpy()
        y = b[b["period"] == r.period]["score"].to_numpy()
        assert r.spearman == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
        assert r.kendall == pytest.approx(stats.kendalltau(x, y)[0], abs=1e-12)
        assert r.pearson == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
    with pd.io.stata.StataReader(tmp_path / "cmp.dta") as rd:
        labels = rd.variable_labels()
    assert labels["spearman"] == t("index.compare.spearman", "en") == "Spearman"
    assert labels["n"] == ""  # the catalogue's "n" only repeats the name


def test_compare_refuses_a_non_table_extension_before_any_work(tmp_path):
    _, _, pa, pb = _scores(tmp_path)
    r = runner.invoke(app, ["compare", str(pa), str(pb), "--out", str(tmp_path / "cmp.json")])
    assert isinstance(r.exception, DataError) and "--out" in str(r.exception)
    assert not (tmp_path / "cmp.json").exists()


# ------------------------------------------------------------------------------------------------------- demo
@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    """The demo in three formats (small uncertainty sample; the HTML/Excel reports, format-independent, are
    skipped to keep the test quick)."""
    pytest.importorskip("openpyxl")
    from nqpf import datasets

    if "cn_provinces" not in datasets.names():
        pytest.skip("embedded dataset cn_provinces not built")
    import nqpf.report.build as build
    from nqpf.cli.cmd_demo import run_demo

    mp = pytest.MonkeyPatch()
    mp.setattr(build, "build_report", lambda **kw: kw["out"])
    try:
        d = tmp_path_factory.mktemp("demo")
        written = {ext: run_demo(d / ext[1:], "en", samples=16, unit="340000", seed=7, quiet=True, ext=ext)
                   for ext in (".csv", ".dta", ".xlsx")}  # fmt: skip
    finally:
        mp.undo()
    return d, written


@pytest.mark.parametrize("ext", [".dta", ".xlsx"])
def test_demo_tables_follow_the_format(demo_runs, ext):
    d, written = demo_runs
    keys = {k for k, p in written[".csv"].items() if p.suffix == ".csv"}
    assert {"scores", "weights", "diagnostics", "rank_intervals", "sensitivity", "analysis_dagum_region4",
            "analysis_forecast"} <= keys  # fmt: skip
    assert all(written[ext][k].suffix == ext and written[ext][k].exists() for k in keys)
    csvs = sorted((d / "csv").rglob("*.csv"))
    assert len(csvs) >= 18  # 3 index tables, 5 uncertainty tables, 10 analyses
    for csv in csvs:
        rel = csv.relative_to(d / "csv").with_suffix(ext)
        assert_same_table(_read(d / ext[1:] / rel), _read(csv), str(rel))
    assert not list((d / ext[1:]).rglob("*.csv"))  # every table in the chosen format
    if ext == ".dta":
        with pd.io.stata.StataReader(d / "dta" / "weights.dta") as rd:
            assert rd.variable_labels()["effective_weight"] == t("index.col.effective_weight", "en")


def test_demo_refuses_an_unknown_format_before_any_work(tmp_path):
    r = runner.invoke(app, ["demo", "--out", str(tmp_path / "d"), "--format", "json"])
    assert isinstance(r.exception, DataError) and "--format" in str(r.exception)
    assert not (tmp_path / "d").exists()
