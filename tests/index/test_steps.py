"""Each pipeline step on its own, against hand computations or a second algorithm."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nqpf.errors import MethodError
from nqpf.index import (
    build_index,
    carry_nearest,
    combine_weights,
    cv_weights,
    grey,
    group_mean,
    impute_frame,
    interpolate_linear,
    log_ct,
    minmax,
    normalize_array,
    pca_weights,
    treat_array,
    treat_skewkurt,
    winsorize,
    zscore,
)

NAN = np.nan


# --- imputation ---------------------------------------------------------------------------------------------
def test_linear_interpolation_uses_years_not_positions():
    years = np.array([2010, 2011, 2013, 2014])
    A = np.array([[1.0, NAN, NAN, 7.0], [NAN, 2.0, NAN, 8.0]]).reshape(2, 4, 1)
    B = interpolate_linear(A, years)
    # unit 0: between 2010 (1) and 2014 (7): slope 1.5/yr → 2011: 2.5, 2013: 5.5 (np.interp as second algorithm)
    np.testing.assert_allclose(B[0, :, 0], np.interp(years, [2010, 2014], [1, 7]))
    # unit 1: leading gap stays (no extrapolation); 2013 between 2011 (2) and 2014 (8) → 6
    assert np.isnan(B[1, 0, 0]) and B[1, 2, 0] == pytest.approx(6.0)


def test_carry_nearest_with_limit_and_ties_take_earlier():
    years = np.array([2010, 2011, 2012, 2013, 2014, 2015])
    A = np.array([NAN, 3.0, NAN, 5.0, NAN, NAN]).reshape(1, 6, 1)
    B = carry_nearest(A, years, limit=1)
    np.testing.assert_array_equal(B[0, :, 0], [3.0, 3.0, 3.0, 5.0, 5.0, NAN])  # 2012 tie → earlier (3)
    assert np.isnan(carry_nearest(A, years, limit=0)[0, 0, 0])


def test_group_mean_same_period():
    A = np.array([[[1.0]], [[3.0]], [[NAN]], [[10.0]]])  # 4 units × 1 period × 1 indicator
    B = group_mean(A, np.array([0, 0, 0, 1]))
    assert B[2, 0, 0] == pytest.approx(2.0)


def test_impute_frame_logs_every_cell():
    idx = pd.MultiIndex.from_product([["a", "b"], [2000, 2001, 2002]], names=["unit", "period"])
    w = pd.DataFrame({"x": [1, NAN, 3, 4, 5, NAN], "y": [NAN, 1, 1, 2, NAN, 2]}, index=idx)
    out, log = impute_frame(w, "linear-carry", limit=1)
    assert not out.isna().any().any()
    assert len(log) == w.isna().sum().sum() == 4
    assert set(log.columns) == {"unit", "period", "indicator", "method", "value"}
    assert out.loc[("a", 2001), "x"] == 2.0 and out.loc[("b", 2002), "x"] == 5.0


# --- outliers -----------------------------------------------------------------------------------------------
def test_winsorize_quantiles():
    x = np.arange(101, dtype=float).reshape(-1, 1)
    y, n = winsorize(x, 0.05, 0.95)
    assert y.min() == 5 and y.max() == 95 and n[0] == 10


def test_skewkurt_rule_winsorises_outlier_and_passes():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(10, 1, 60), [60.0]])
    s, k = stats.skew(x, bias=False), stats.kurtosis(x, bias=False)
    assert s >= 2 and k >= 3.5  # fails the rule before treatment
    y, rec = treat_skewkurt(x)
    assert rec["action"] == "winsorised" and rec["points"] == 1
    assert y.max() == pytest.approx(np.sort(x)[-2])  # the outlier is set to the next value inward
    assert not (abs(stats.skew(y, bias=False)) >= 2 and stats.kurtosis(y, bias=False) >= 3.5)


def test_skewkurt_falls_back_to_log_ct():
    x = np.concatenate([np.ones(30), np.linspace(2, 5, 10), [1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5]])
    y, rec = treat_skewkurt(x, winmax=2)
    assert rec["action"] == "log_CT"
    np.testing.assert_allclose(y, np.log(x - x.min() + 0.01 * (x.max() - x.min())))
    np.testing.assert_allclose(log_ct(x), y)


def test_treat_array_log_and_records():
    X = np.array([[1.0, 5], [2, 6], [3, 700]])
    Y, log = treat_array(X, "log", names=["a", "b"], columns=["b"])
    np.testing.assert_array_equal(Y[:, 0], X[:, 0])
    assert log == [{"indicator": "b", "action": "log_CT", "points": 3}]


# --- normalisation ------------------------------------------------------------------------------------------
def test_minmax_per_group_and_zscore_against_scipy():
    X = np.array([[1.0, 10], [2, 20], [3, 40], [10, 5]])
    g = np.array([0, 0, 1, 1])
    Z = minmax(X, [1, -1], groups=g)
    np.testing.assert_allclose(Z, [[0, 1], [1, 0], [0, 0], [1, 1]])
    np.testing.assert_allclose(zscore(X, [1, -1]), stats.zscore(X, ddof=1) * [1, -1])


def test_minmax_period_warns_years_incomparable():
    with pytest.warns(UserWarning, match="incomparable"):
        normalize_array(np.array([[1.0], [2.0], [3.0], [5.0]]), [1], "minmax-period", periods=[1, 1, 2, 2])


def test_ratio_to_base_year_and_reference_unit():
    X = np.array([[2.0, 4.0], [3.0, 2.0], [4.0, 8.0], [6.0, 4.0]])
    units = np.array(["a", "a", "b", "b"])
    periods = np.array([2000, 2001, 2000, 2001])
    Z = normalize_array(X, [1, -1], "ratio", units=units, periods=periods, base_year=2000)
    np.testing.assert_allclose(Z, [[1, 1], [1.5, 2], [1, 1], [1.5, 2]])
    Z = normalize_array(X, [1, 1], "ratio", units=units, periods=periods, ref_unit="b")
    np.testing.assert_allclose(Z, [[0.5, 0.5], [0.5, 0.5], [1, 1], [1, 1]])
    with pytest.raises(MethodError, match="exactly one"):
        normalize_array(X, [1, 1], "ratio", units=units, periods=periods)


def test_vector_normalisation_reflects_cost_columns():
    X = np.array([[3.0], [4.0]])
    np.testing.assert_allclose(normalize_array(X, [1], "vector"), [[0.6], [0.8]])
    np.testing.assert_allclose(normalize_array(X, [-1], "vector"), [[0.8], [0.6]])


# --- weights and aggregation --------------------------------------------------------------------------------
def test_cv_weights_hand():
    Z = np.array([[1.0, 2.0], [3.0, 2.5], [5.0, 3.0]])
    cv = np.array([2 / 3, 0.5 / 2.5])
    np.testing.assert_allclose(cv_weights(Z), cv / cv.sum())


def test_pca_weights_against_svd():
    """Second algorithm: eigen-decomposition via SVD of the standardised matrix."""
    rng = np.random.default_rng(5)
    base = rng.normal(size=(50, 1))
    Z = np.hstack([base + rng.normal(scale=s, size=(50, 1)) for s in (0.2, 0.4, 2.0, 3.0)])
    S = (Z - Z.mean(0)) / Z.std(0, ddof=1)
    _, sv, vt = np.linalg.svd(S, full_matrices=False)
    lam = sv**2 / (len(Z) - 1)
    keep = lam > 1
    w = (vt[keep].T ** 2) @ lam[keep]
    np.testing.assert_allclose(pca_weights(Z), w / w.sum(), atol=1e-10)


def test_combine_weights():
    np.testing.assert_allclose(combine_weights([0.5, 0.5], [0.8, 0.2], alpha=0.25), [0.725, 0.275])
    np.testing.assert_allclose(combine_weights([0.5, 0.5], [0.8, 0.2], method="multiplicative"), [0.8, 0.2])


def test_grey_relational_hand():
    """Deng's grade with ρ = 0.5 against the column best: Δ = |1 − z|, Δmin = 0, Δmax = 1 → ξ = 0.5/(Δ + 0.5)."""
    Z = np.array([[1.0, 0.0], [0.5, 1.0]])
    xi = 0.5 / (np.abs(1 - Z) + 0.5)
    np.testing.assert_allclose(grey(Z, [0.5, 0.5]), xi.mean(axis=1))


def test_ahp_and_combination_in_pipeline():
    rng = np.random.default_rng(2)
    df = pd.DataFrame(
        [(f"u{u}", y, k, rng.uniform(1, 5)) for u in range(6) for y in (2020, 2021) for k in ("x1", "x2")],
        columns=["unit", "period", "indicator", "value"],
    )
    fw = {
        "name": "a",
        "nodes": [
            {"id": "i", "ahp": [[1, 3], ["1/3", 1]]},
            {"id": "x1", "parent": "i", "direction": 1},
            {"id": "x2", "parent": "i", "direction": 1},
        ],
    }
    res = build_index(df, fw, weights="ahp")
    np.testing.assert_allclose(res.weights.set_index("node").loc[["x1", "x2"], "weight"], [0.75, 0.25])
    res2 = build_index(df, fw, weights="ahp+entropy", alpha=0.4)
    from nqpf.index import entropy_weights

    w_o = entropy_weights(res.Z)
    np.testing.assert_allclose(
        res2.weights.set_index("node").loc[["x1", "x2"], "effective_weight"],
        0.4 * np.array([0.75, 0.25]) + 0.6 * w_o,
        atol=1e-12,
    )


# --- result object, Excel, CLI ------------------------------------------------------------------------------
@pytest.fixture()
def small():
    rng = np.random.default_rng(11)
    df = pd.DataFrame(
        [
            (f"u{u}", y, k, rng.uniform(1, 5))
            for u in range(5)
            for y in (2020, 2021)
            for k in ("x1", "x2", "x3")
        ],
        columns=["unit", "period", "indicator", "value"],
    )
    fw = {
        "name": "s",
        "nodes": [
            {"id": "i", "label_zh": "指数"},
            {"id": "A", "parent": "i"},
            {"id": "x1", "parent": "A", "direction": 1},
            {"id": "x2", "parent": "A", "direction": -1},
            {"id": "x3", "parent": "i", "direction": 1},
        ],
    }
    return df, fw


def test_result_tables_and_manifest(small):
    df, fw = small
    res = build_index(df, fw, aggregate={1: "topsis", 0: "arithmetic"})
    assert list(res.scores.columns) == ["unit", "period", "node", "score", "rank"]
    assert len(res.scores) == 5 * 2 * 5
    assert list(res.weights.columns) == ["node", "parent", "weight", "effective_weight"]
    assert res.manifest["aggregation_by_node"] == {"A": "topsis", "i": "arithmetic"}
    for key in ("input_hash", "framework_hash", "settings", "versions", "warnings", "imputation_log"):
        assert key in res.manifest
    json.dumps(res.manifest, default=str)
    sw = res.strengths_weaknesses(n=1)
    assert set(sw["kind"]) == {"strength", "weakness"} and len(sw) == 10
    one = sw[(sw["unit"] == "u0") & (sw["kind"] == "strength")].iloc[0]
    ranks = res.scores[
        (res.scores["unit"] == "u0")
        & (res.scores["period"] == 2021)
        & res.scores["node"].isin(["x1", "x2", "x3"])
    ]
    assert one["rank"] == ranks["rank"].min()
    # same input → same hashes and results; changed input → different input hash
    res_b = build_index(df.sample(frac=1, random_state=1), fw, aggregate={1: "topsis", 0: "arithmetic"})
    assert res_b.manifest["input_hash"] == res.manifest["input_hash"]
    assert res_b.manifest["framework_hash"] == res.manifest["framework_hash"]
    np.testing.assert_array_equal(res_b.S, res.S)
    assert res_b.manifest["result_hash"] == res.manifest["result_hash"]
    assert build_index(df, fw).manifest["result_hash"] != res.manifest["result_hash"]
    df2 = df.copy()
    df2.loc[0, "value"] += 1e-9
    assert build_index(df2, fw).manifest["input_hash"] != res.manifest["input_hash"]


def test_to_excel_atomic(small, tmp_path):
    df, fw = small
    res = build_index(df, fw)
    p = res.to_excel(tmp_path / "out.xlsx", lang="zh")
    book = pd.read_excel(p, sheet_name=None)
    assert {"scores", "ranks", "weights", "normalized", "manifest"} <= set(book)
    assert "指数" in set(book["nodes"]["label"])
    assert [f.name for f in tmp_path.iterdir()] == ["out.xlsx"]  # no temp file left behind


def test_cli_index_writes_contract_files(small, tmp_path):
    from typer.testing import CliRunner

    from nqpf.cli.main import app, register_commands

    register_commands()
    df, fw = small
    import yaml

    (tmp_path / "fw.yaml").write_text(yaml.safe_dump(fw, allow_unicode=True), encoding="utf-8")
    wide = df.pivot(index=["unit", "period"], columns="indicator", values="value").reset_index()
    wide.to_csv(tmp_path / "wide.csv", index=False)
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = CliRunner().invoke(
            app,
            [
                "index",
                "--data",
                str(tmp_path / "wide.csv"),
                "--framework",
                str(tmp_path / "fw.yaml"),
                "--weights",
                "critic",
                "--out",
                str(out),
            ],
        )
    assert r.exit_code == 0, r.output
    scores = pd.read_csv(out / "scores.csv", dtype={"unit": str})
    assert list(scores.columns) == ["unit", "period", "node", "score", "rank"]
    assert list(pd.read_csv(out / "weights.csv").columns) == ["node", "parent", "weight", "effective_weight"]
    man = json.loads((out / "manifest.json").read_text())
    assert man["settings"]["weights"] == "critic"
    ref = build_index(df, fw, weights="critic").scores
    np.testing.assert_allclose(scores["score"], ref["score"], atol=1e-12)


def test_rank_within_periods_matches_scipy_rankdata():
    """Second algorithm: scipy.stats.rankdata(method='min') on −scores along the unit axis."""
    from scipy.stats import rankdata

    from nqpf.index.pipeline import rank_within_periods

    rng = np.random.default_rng(9)
    U, T, N = 23, 4, 5
    S = rng.integers(0, 6, size=(U * T, N)).astype(float)  # many ties
    ref = rankdata(-S.reshape(U, T, N), axis=0, method="min").reshape(U * T, N)
    np.testing.assert_array_equal(rank_within_periods(S, U, T), ref)


def test_skew_kurt_matches_scipy():
    from nqpf.index.treat import skew_kurt

    x = np.random.default_rng(4).lognormal(size=57)
    s, k = skew_kurt(x)
    assert s == pytest.approx(stats.skew(x, bias=False), rel=1e-12)
    assert k == pytest.approx(stats.kurtosis(x, fisher=True, bias=False), rel=1e-12)


def test_dataframe_wrappers_equal_array_functions():
    from nqpf.index import aggregate_frame, entropy_weights, treat_frame, weights_frame

    rng = np.random.default_rng(8)
    idx = pd.MultiIndex.from_product([["a", "b", "c"], [2020, 2021]], names=["unit", "period"])
    raw = pd.DataFrame(rng.lognormal(size=(6, 3)), index=idx, columns=["x", "y", "z"])
    t, log = treat_frame(raw, "winsorize", q_low=0.1, q_high=0.9)
    assert t.shape == raw.shape and len(log) == 3
    Z = pd.DataFrame(minmax(raw.to_numpy(), [1, 1, -1]), index=idx, columns=raw.columns)
    w = weights_frame(Z, "entropy")
    np.testing.assert_allclose(w.to_numpy(), entropy_weights(Z.to_numpy()))
    s = aggregate_frame(Z, w.to_dict())
    np.testing.assert_allclose(s.to_numpy(), Z.to_numpy() @ w.to_numpy())
