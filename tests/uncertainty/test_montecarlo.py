"""Monte Carlo over pipeline choices: the vectorised evaluator against build_index (a second algorithm),
exact zero sensitivity of a choice that cannot change ranks, reproducibility, backends, bad input."""

from __future__ import annotations

import copy
import itertools
import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import synthetic_panel
from nqpf.errors import MethodError
from nqpf.index import build_index
from nqpf.uncertainty.montecarlo import _rank_matrix, evaluate_configs, run_uncertainty

SMALL = {"n_boot": 50}


def _engine_root(long, fw, **cfg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = build_index(long, fw, **cfg)
    col = res.node_ids.index(res.framework.root)
    return res, res.S[:, col]


def test_evaluator_equals_build_index_for_every_combination(small_panel):
    long, fw = small_panel
    configs = []
    methods = itertools.cycle(["entropy", "critic", "pca", "equal", "cv"])
    for t, n, a in itertools.product(["none", "log"], ["minmax-global", "rank", "zscore"],
                                     ["arithmetic", "geometric", "topsis", "grey"]):
        w = next(methods)
        if n == "zscore" and (a == "geometric" or w in ("entropy", "cv")):
            w = "critic" if n == "zscore" else w  # build_index refuses entropy/CV on negative values
            if a == "geometric":
                continue  # and geometric aggregation of negative values
        configs.append({"impute": "none", "treat": t, "normalize": n, "weights": w, "aggregate": a})
    assert len(configs) == 22 and {c["weights"] for c in configs} == {"entropy", "critic", "pca", "equal", "cv"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores, ranks = evaluate_configs(long, fw, configs)
    for c, s, r in zip(configs, scores, ranks, strict=True):
        res, ref = _engine_root(long, fw, **c)
        np.testing.assert_allclose(s, ref, rtol=0, atol=1e-12, err_msg=str(c))
        # ranks: the engine's scores ranked with the same tie rule give the same ranks
        U, T = len(np.unique(res.units)), len(np.unique(res.periods))
        assert np.array_equal(r, _rank_matrix(ref[None], U, T)[0]), c


@pytest.mark.parametrize("weights,aggregate", [("critic", "grey"), ("pca", "topsis"), ("entropy", "geometric"),
                                               ("equal", "arithmetic")])
def test_dropping_an_indicator_or_dimension_equals_rebuilding_without_it(small_panel, weights, aggregate):
    long, fw = small_panel
    cfg = {"impute": "none", "treat": "none", "normalize": "minmax-global", "weights": weights, "aggregate": aggregate}
    fw_x = copy.deepcopy(fw)
    fw_x["nodes"] = [n for n in fw_x["nodes"] if n["id"] != "x04"]
    fw_d = copy.deepcopy(fw)
    fw_d["nodes"] = [n for n in fw_d["nodes"] if n["id"] != "D1" and n.get("parent") != "D1"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s, _ = evaluate_configs(long, fw, [dict(cfg, exclude="indicator:x04"), dict(cfg, exclude="dimension:D1")])
    np.testing.assert_allclose(s[0], _engine_root(long, fw_x, **cfg)[1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(s[1], _engine_root(long, fw_d, **cfg)[1], rtol=0, atol=1e-12)


def test_fixed_weights_drop_renormalises_within_parent(small_panel):
    long, fw = small_panel
    fw2 = copy.deepcopy(fw)
    for n in fw2["nodes"]:
        if n.get("parent"):
            n["weight"] = 1.0 + (hash(n["id"]) % 3 if n["id"].startswith("D") else int(n["id"][1:]) % 4)
    cfg = {"impute": "none", "treat": "none", "normalize": "minmax-global", "weights": "fixed",
           "aggregate": "arithmetic"}
    fw3 = copy.deepcopy(fw2)
    fw3["nodes"] = [n for n in fw3["nodes"] if n["id"] != "x04"]
    s, _ = evaluate_configs(long, fw2, [cfg, dict(cfg, exclude="indicator:x04")])
    np.testing.assert_allclose(s[0], _engine_root(long, fw2, **cfg)[1], atol=1e-12)
    np.testing.assert_allclose(s[1], _engine_root(long, fw3, **cfg)[1], atol=1e-12)


def test_monotone_treatment_under_rank_normalisation_has_exactly_zero_effect(small_panel):
    long, fw = small_panel
    # log_CT is strictly increasing, so rank-normalised values, hence every run's ranks, cannot change
    res = run_uncertainty(long, fw, samples=32, seed=4, vary=["treat", "weights", "aggregate"], normalize="rank", weights="critic",
                          options={"treat": ["none", "log"], "weights": ["critic", "equal"],
                                   "aggregate": ["arithmetic", "topsis"]}, backend="sequential", **SMALL)
    sens = res.sensitivity.set_index("factor")
    assert sens.loc["treat", "first_order"] == 0.0 and sens.loc["treat", "total_order"] == 0.0
    assert sens.loc["treat", "total_order_ci_high"] == 0.0
    us = res.unit_sensitivity[res.unit_sensitivity["factor"] == "treat"]
    assert (us["first_order"] == 0.0).all() and (us["total_order"] == 0.0).all()
    # while the other choices do matter
    assert sens.loc["weights", "total_order"] > 0 and sens.loc["aggregate", "total_order"] > 0


def test_outputs_are_consistent_with_the_runs(small_panel):
    long, fw = small_panel
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "factor 'impute' dropped" (tested below)
        res = run_uncertainty(long, fw, samples=32, seed=1, top_k=3, backend="sequential", keep_runs=True,
                              **SMALL)
    ri, rp = res.rank_intervals, res.rank_probabilities
    R, S = res.ranks, res.scores
    assert R.shape == (32 * (len(res.manifest["design"]["factors"]) + 2), len(ri))
    np.testing.assert_array_equal(ri["rank_median"], np.median(R, axis=0))
    np.testing.assert_allclose(ri["score_p95"], np.quantile(S, 0.95, axis=0))
    assert ((ri["rank_p05"] <= ri["rank_median"]) & (ri["rank_median"] <= ri["rank_p95"])).all()
    np.testing.assert_allclose(rp["p_top_k"], (R <= 3).mean(axis=0))
    U = len(ri["unit"].unique())
    np.testing.assert_allclose(rp["p_bottom_k"], (R > U - 3).mean(axis=0))
    # nominal ranks are the engine's (no ties in this panel)
    nom, ref = _engine_root(long, fw)
    col = nom.node_ids.index("index")
    np.testing.assert_array_equal(ri["rank_nominal"], nom.R[:, col])
    np.testing.assert_allclose(rp["score_nominal"], ref, atol=1e-12)
    # mean absolute rank shift of every run, from the ranks
    np.testing.assert_allclose(res.runs["mean_abs_rank_shift"],
                               np.abs(R - ri["rank_nominal"].to_numpy()[None]).mean(axis=1))
    # leave-one-out: rebuilding without the indicator gives the same mean rank shift
    fw_x = copy.deepcopy(fw)
    fw_x["nodes"] = [n for n in fw_x["nodes"] if n["id"] != "x02"]
    nom_x, _ = _engine_root(long, fw_x)
    shift = np.abs(nom_x.R[:, nom_x.node_ids.index("index")] - nom.R[:, col]).mean()
    loo = res.leave_one_out.set_index("indicator")
    assert loo.loc["x02", "mean_abs_rank_shift"] == pytest.approx(shift, abs=1e-12)
    assert set(res.sensitivity["factor"]) == set(res.manifest["design"]["factors"])


def test_same_seed_same_files_and_identical_across_backends(small_panel, tmp_path):
    long, fw = small_panel
    kw = dict(samples=16, seed=7, batch_size=40, vary=["normalize", "weights", "perturb", "aggregate", "exclude"],
              **SMALL)
    names = ["rank_intervals.csv", "sensitivity.csv", "rank_probabilities.csv", "unit_sensitivity.csv",
             "leave_one_out.csv"]
    runs = {
        "seq": dict(backend="sequential"),
        "seq_again": dict(backend="sequential"),
        "proc1": dict(backend="processes", workers=1),
        "proc2": dict(backend="processes", workers=2),
        "dask": dict(backend="dask", workers=2, dask_processes=False),
    }
    for name, b in runs.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = run_uncertainty(long, fw, **kw, **b)
        assert res.manifest["execution"]["batches"] > 2
        res.write(tmp_path / name)
    for f in names:
        ref = (tmp_path / "seq" / f).read_bytes()
        for name in runs:
            assert (tmp_path / name / f).read_bytes() == ref, (name, f)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        other = run_uncertainty(long, fw, **dict(kw, seed=8), backend="sequential")
    other.write(tmp_path / "other")
    assert (tmp_path / "other" / "rank_intervals.csv").read_bytes() != (tmp_path / "seq" / "rank_intervals.csv").read_bytes()
    head = pd.read_csv(tmp_path / "seq" / "rank_intervals.csv", nrows=1)
    assert list(head.columns) == ["unit", "period", "rank_nominal", "rank_median", "rank_p05", "rank_p95",
                                  "score_median", "score_p05", "score_p95"]


def test_dirichlet_perturbation_keeps_weights_on_the_simplex(small_panel):
    long, fw = small_panel
    res = run_uncertainty(long, fw, samples=16, seed=2, vary=["perturb"], perturb="dirichlet",
                          dirichlet_concentration=20.0, **SMALL)
    assert res.sensitivity["factor"].tolist() == ["perturb"]
    # backend "auto" keeps this little work in the calling process
    assert res.manifest["execution"]["requested"] == "auto" and res.manifest["execution"]["backend"] == "sequential"
    # the perturbation does move the ranking
    assert res.runs["mean_abs_rank_shift"].max() > 0


def test_gaps_make_imputation_a_factor():
    long, fw = synthetic_panel(seed=3, gaps=0.05)
    res = run_uncertainty(long, fw, samples=16, seed=0, impute="linear-carry", vary=["impute", "weights"],
                          options={"impute": ["linear-carry", "group-mean"]}, backend="sequential", **SMALL)
    assert res.sensitivity["factor"].tolist() == ["impute", "weights"]
    assert res.sensitivity.set_index("factor").loc["impute", "total_order"] > 0


def test_bad_input_messages(small_panel):
    long, fw = small_panel
    with pytest.raises(MethodError, match="at least 16 base samples"):
        run_uncertainty(long, fw, samples=8, backend="sequential")
    with pytest.warns(UserWarning, match="factor 'normalize' dropped: it has a single option"):
        res = run_uncertainty(long, fw, samples=16, vary=["normalize", "weights"],
                              options={"normalize": ["minmax-global"]}, backend="sequential", **SMALL)
    assert res.sensitivity["factor"].tolist() == ["weights"]
    assert any("single option" in n for n in res.manifest["notes"])
    with pytest.raises(MethodError, match="no factor varies"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_uncertainty(long, fw, samples=16, vary=["normalize"], options={"normalize": ["rank"]},
                        normalize="rank", backend="sequential")
    with pytest.raises(MethodError, match="geometric.*zscore|zscore.*geometric"):
        run_uncertainty(long, fw, samples=16, vary=["normalize", "aggregate"],
                        options={"normalize": ["minmax-global", "zscore"], "aggregate": ["arithmetic", "geometric"]},
                        weights="equal", backend="sequential")
    one_dim, fw1 = synthetic_panel(D=1)
    with pytest.warns(UserWarning, match="factor 'exclude' dropped"):
        res = run_uncertainty(one_dim, fw1, samples=16, vary=["weights", "exclude"], exclude="dimension",
                              backend="sequential", **SMALL)
    assert res.sensitivity["factor"].tolist() == ["weights"]
    with pytest.raises(MethodError, match="unknown factor"):
        run_uncertainty(long, fw, samples=16, vary=["colour"], backend="sequential")


def test_unreachable_scheduler_is_a_clear_error(small_panel):
    import time

    long, fw = small_panel
    t0 = time.monotonic()
    with pytest.raises(MethodError, match="cannot reach the Dask scheduler"):
        run_uncertainty(long, fw, samples=16, vary=["weights"], scheduler="tcp://127.0.0.1:1",
                        connect_timeout=2.0, **SMALL)
    assert time.monotonic() - t0 < 15


def test_rank_matrix_equals_scipy_min_ranks_with_ties():
    from scipy.stats import rankdata

    rng = np.random.default_rng(0)
    S = rng.integers(0, 5, size=(7, 9 * 4)).astype(float) / 4.0  # many exact ties; unit-major 9 units × 4 periods
    got = _rank_matrix(S, 9, 4)
    ref = rankdata(-S.reshape(7, 9, 4), axis=1, method="min").reshape(7, 36)
    assert np.array_equal(got, ref)
    # a last-bit difference does not split a tie
    S2 = S.copy()
    S2[0, 0] = np.nextafter(S2[0, 0], 1.0)
    assert np.array_equal(_rank_matrix(S2, 9, 4), got)
