"""Issue 18 item 5: one results protocol (nqpf._protocol) for every result kind — the same members, one manifest
schema, ``write`` round trips through ``nqpf.read`` / ``read_table``, and the renderers are looked up by name."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nqpf
from nqpf._protocol import (
    COMMON_KEYS,
    MANIFEST_SCHEMA,
    RENDERERS,
    ResultProtocol,
    ensure_manifest,
    manifest,
    render,
)
from nqpf.data.tables import read_table
from nqpf.errors import DataError, MethodError
from nqpf.index import build_index

SRC = Path(__file__).resolve().parents[2] / "src" / "nqpf"
MEMBERS = ("kind", "manifest", "to_frame", "tables", "summary", "to_latex", "to_excel", "plot", "write")
PROVS = ["110000", "310000", "440000", "510000", "620000"]


@pytest.fixture(scope="module")
def index_result():
    rng = np.random.default_rng(5)
    rows = [(u, y, ind, float(rng.uniform(1, 10))) for ind in ("x1", "x2") for y in (2020, 2021) for u in PROVS]
    nodes = [{"id": "idx"}, {"id": "d1", "parent": "idx"}, {"id": "d2", "parent": "idx"},
             {"id": "x1", "parent": "d1", "direction": 1}, {"id": "x2", "parent": "d2", "direction": 1}]
    fw = {"name": "tiny", "root": "idx", "nodes": [dict(n, label_en=n["id"], label_zh=n["id"]) for n in nodes]}
    df = pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"])
    return build_index(df, fw, normalize="minmax-global", weights="equal", weight_scope="parent")


@pytest.fixture(scope="module")
def sfa_result():
    from nqpf.productivity import sfa

    rng = np.random.default_rng(7)
    logs = rng.normal(1, 0.5, (120, 2))  # ln k, ln l; Cobb-Douglas frontier with a half-normal inefficiency
    ly = 0.5 + logs @ [0.4, 0.5] + rng.normal(0, 0.1, 120) - np.abs(rng.normal(0, 0.3, 120))
    df = pd.DataFrame(np.exp(np.column_stack([ly, logs])), columns=["y", "k", "l"])
    df.insert(0, "unit", [f"u{i % 12}" for i in range(120)])
    df.insert(1, "period", [2000 + i // 12 for i in range(120)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sfa(df, output="y", inputs=["k", "l"], unit="unit", period="period")


@pytest.fixture(scope="module")
def uncertainty_result():
    from nqpf.uncertainty.montecarlo import RANK_COLUMNS, SENS_COLUMNS, UncertaintyResult

    iv = pd.DataFrame({"unit": PROVS, "period": 2021, "rank_nominal": [2, 1, 3, 4, 5],
                       "rank_median": [2.0, 1.0, 3.0, 4.0, 5.0], "rank_p05": [1.0, 1.0, 2.5, 4.0, 5.0],
                       "rank_p95": [3.0, 2.0, 3.0, 4.0, 5.0], "score_median": 0.5, "score_p05": 0.4,
                       "score_p95": 0.6})[RANK_COLUMNS]
    sens = pd.DataFrame([["weights", 0.2, 0.3, 0.1, 0.3, 0.2, 0.4]], columns=SENS_COLUMNS)
    return UncertaintyResult(rank_intervals=iv, rank_probabilities=pd.DataFrame({"unit": PROVS}),
                             sensitivity=sens, unit_sensitivity=None,
                             leave_one_out=pd.DataFrame({"indicator": ["x1"]}), runs=pd.DataFrame(),
                             manifest={"design": {"runs": 64}})


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    rows = [(f"u{u:02d}", 2010 + t, float(np.exp(rng.normal(0, 0.5)) * (1 + 0.02 * t)), "ab"[u % 2])
            for u in range(12) for t in range(6)]
    return pd.DataFrame(rows, columns=["unit", "period", "y", "g"])


def _analysis_results(panel: pd.DataFrame) -> dict[str, pd.DataFrame]:
    from nqpf import analysis as A

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "sigma": A.sigma(panel, "y"),
            "cv": A.cv(panel, "y", period="period"),
            "beta_cross_section": A.beta_cross_section(panel, "y"),
            "beta_panel": A.beta_panel(panel, "y"),
            "forecast_panel": A.forecast_panel(panel, "y", steps=2, holdout=1),
            "dagum": A.dagum(panel, "y", "g", period="period", unit="unit"),
            "theil": A.theil(panel, "y", "g", period="period"),
            "kde_over_time": A.kde_over_time(panel, "y"),
            "markov": A.markov(panel, "y", k=3),
        }


def test_every_result_kind_has_the_same_protocol_members(index_result, sfa_result, uncertainty_result, panel):
    frames = _analysis_results(panel)
    objects = {"index": index_result, "sfa": sfa_result, "uncertainty": uncertainty_result,
               **{f"df:{k}": v.nqpf for k, v in frames.items()}}
    for name, obj in objects.items():
        assert isinstance(obj, ResultProtocol), name
        missing = [m for m in MEMBERS if not hasattr(obj, m)]
        assert not missing, (name, missing)
        frame = obj.to_frame()
        assert isinstance(frame, pd.DataFrame) and len(frame), name
    for obj in (index_result, sfa_result, uncertainty_result):
        assert {"unit", "period"} <= set(obj.to_frame().columns), obj.kind
    assert index_result.to_frame() is index_result.scores
    assert [index_result.kind, sfa_result.kind, uncertainty_result.kind] == ["index", "sfa", "uncertainty"]
    assert frames["sigma"].nqpf.kind == "sigma" and frames["beta_cross_section"].nqpf.kind == "beta"


def test_manifests_of_every_kind_share_one_schema(index_result, sfa_result, uncertainty_result, panel):
    required = set(COMMON_KEYS)
    for obj in (index_result, sfa_result, uncertainty_result):
        assert required <= set(obj.manifest), (obj.kind, sorted(required - set(obj.manifest)))
        assert obj.manifest["schema"] == MANIFEST_SCHEMA and obj.manifest["kind"] == obj.kind
    for name, df in _analysis_results(panel).items():
        man = df.attrs.get("manifest")  # written by the function itself, not completed by the accessor
        assert man is not None, f"{name} carries no manifest"
        assert required <= set(man), (name, sorted(required - set(man)))
        assert man["schema"] == MANIFEST_SCHEMA and man["kind"] == "analysis" and man["method"], name
        assert man["versions"] and man["created"], name
    assert index_result.manifest["result_hash"]  # the kind's own keys stay


def test_manifest_and_ensure_manifest():
    m = manifest("demo", method="m", settings={"a": 1}, extra_key=3)
    assert list(m)[: len(COMMON_KEYS)] == list(COMMON_KEYS) and m["extra_key"] == 3
    old = {"kind": "old", "warnings": ["w"], "x": 1}
    same = ensure_manifest(old, "new")
    assert same is old and old["kind"] == "old" and old["warnings"] == ["w"] and old["x"] == 1
    assert set(COMMON_KEYS) <= set(old) and old["created"] is None
    assert ensure_manifest(None, "k")["kind"] == "k"
    with pytest.raises(DataError, match="must be a dict"):
        ensure_manifest(["not", "a", "dict"], "k")  # type: ignore[arg-type]


@pytest.mark.parametrize("ext", ["csv", "xlsx", "dta", "parquet"])
def test_write_round_trips_through_read(index_result, ext, tmp_path):
    p = index_result.write(tmp_path / f"scores.{ext}")
    back = nqpf.read(p, indicator_col="node", value_col="score")
    want = index_result.scores.rename(columns={"node": "indicator", "score": "value"})
    key = ["unit", "period", "indicator"]
    got = back.assign(unit=back["unit"].astype(str), indicator=back["indicator"].astype(str))
    got = got.sort_values(key).reset_index(drop=True)
    want = want.assign(unit=want["unit"].astype(str)).sort_values(key).reset_index(drop=True)
    assert got[key].astype(str).equals(want[key].astype(str))
    tol = 1e-15 if ext == "xlsx" else 0  # openpyxl may round the 17th significant digit
    np.testing.assert_allclose(got["value"].to_numpy(float), want["value"].to_numpy(float), rtol=tol, atol=0)
    table = read_table(p)
    assert list(table.columns) == ["unit", "period", "node", "score", "rank"]
    assert table["rank"].astype(int).tolist() == index_result.scores["rank"].astype(int).tolist()
    man = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert man["result_hash"] == index_result.manifest["result_hash"] and man["kind"] == "index"
    assert man["output_files"][p.name]["format"] == ext
    assert "output_files" not in index_result.manifest  # the result's own manifest is not changed


def test_write_refuses_existing_files_unless_forced(index_result, tmp_path):
    p = index_result.write(tmp_path / "s.csv")
    with pytest.raises(DataError, match="force=True"):
        index_result.write(p)
    assert index_result.write(p, force=True) == p


def test_write_folder_holds_the_tables_and_the_manifest(index_result, sfa_result, uncertainty_result, tmp_path):
    index_result.write(tmp_path / "idx")
    assert {f.name for f in (tmp_path / "idx").iterdir()} >= {"scores.csv", "weights.csv", "normalized.csv",
                                                              "manifest.json"}
    sfa_result.write(tmp_path / "sfa")
    assert {f.name for f in (tmp_path / "sfa").iterdir()} == {"params.csv", "efficiencies.csv", "ols.csv",
                                                              "manifest.json"}
    from nqpf.uncertainty.montecarlo import OUTPUT_FILES

    out = uncertainty_result.write(tmp_path / "unc")
    assert {f.name for f in out.iterdir()} == set(OUTPUT_FILES) - {"unit_sensitivity.csv"}
    uncertainty_result.write(tmp_path / "unc")  # rewriting its folder stays allowed (CLI and demo do)
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["design"] == {"runs": 64} and man["schema"] == MANIFEST_SCHEMA


def test_merge_loses_attrs_and_write_keeps_the_manifest(panel, tmp_path):
    from nqpf.analysis import sigma

    sg = sigma(panel, "y")
    merged = sg.merge(pd.DataFrame({"period": sg["period"], "extra": 1}), on="period")
    assert "manifest" not in merged.attrs  # documented: pandas drops attrs in merge
    assert merged.nqpf.manifest["method"] is None  # the accessor then gives an empty manifest of the schema
    for doc in (nqpf._protocol.__doc__, type(sg.nqpf).__doc__):
        assert "merge" in doc
    p = sg.nqpf.write(tmp_path / "sigma.parquet")
    man = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert man["method"] == "sigma" and man["settings"]["value"] == "y"
    assert man["created"] == sg.attrs["manifest"]["created"]
    back = read_table(p)
    np.testing.assert_array_equal(back["sigma_log"].to_numpy(), sg["sigma_log"].to_numpy())


def test_coefficient_tables_share_one_column_convention(panel, sfa_result):
    from nqpf.analysis import beta_cross_section, beta_panel

    for tab in (beta_panel(panel, "y"), beta_cross_section(panel, "y")):
        assert {"std_error", "t", "p_value"} <= set(tab.columns)
        np.testing.assert_array_equal(tab["se"].to_numpy(), tab["std_error"].to_numpy())  # one release only
    bp = beta_panel(panel, "y")
    assert list(bp.columns[:5]) == ["term", "estimate", "std_error", "t", "p_value"]
    np.testing.assert_allclose(bp["t"], bp["estimate"] / bp["std_error"], rtol=1e-15)
    assert {"estimate", "std_error", "p_value"} <= set(sfa_result.params.columns)


def test_renderers_are_looked_up_by_name(index_result):
    assert set(RENDERERS) >= {"summary", "latex", "excel", "plot"}
    for op, where in RENDERERS.items():
        module, _, name = where.partition(":")
        assert module.startswith("nqpf.report.") and name, op
    with pytest.raises(MethodError, match="no renderer"):
        render("html", index_result)
    assert render("summary", index_result).equals(index_result.summary())


def test_protocol_module_imports_the_base_only():
    """nqpf._protocol is layer 1: stdlib, numpy, pandas, nqpf._util, nqpf.errors (and nqpf.data.tables)."""
    tree = ast.parse((SRC / "_protocol.py").read_text(encoding="utf-8"))
    mods = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    mods |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert {m for m in mods if m and m.startswith("nqpf")} <= {"nqpf._util", "nqpf.errors", "nqpf.data.tables"}


def test_productivity_exports_every_function_lazily():
    code = ("import sys, nqpf.productivity as P; "
            "assert not [m for m in sys.modules if m.startswith('nqpf.productivity.')], sys.modules; "
            "from nqpf.productivity.sfa import SFAResult; "
            "assert callable(P.sfa) and P.SFAResult is SFAResult; "
            "assert all(getattr(P, n) is not None for n in P.__all__); "
            "assert callable(P.dea) and callable(P.malmquist) and callable(P.firm_tfp); "
            "assert P.recipes is sys.modules['nqpf.productivity.recipes']")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
