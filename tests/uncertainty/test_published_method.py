"""The uncertainty analysis runs a published system with its declared method (entropy+CRITIC, minmax_eps,
pooled-mean imputation), and its nominal run is build_index's result."""

from __future__ import annotations

import numpy as np

import nqpf.datasets as ds
from nqpf.index import build_index
from nqpf.uncertainty import run_uncertainty


def test_nominal_equals_build_index_for_a_framework_with_its_own_method():
    cn = ds.load("cn_provinces")
    res = build_index(cn, "published/127ww-2026")
    u = run_uncertainty(cn, "published/127ww-2026", samples=16, seed=1, n_boot=20, unit_sensitivity=False,
                        vary=["normalize", "weights"], backend="sequential", keep_runs=True)
    assert u.manifest["nominal"]["weights"] == "entropy+critic"
    nom = u.rank_probabilities.set_index(["unit", "period"])["score_nominal"]
    lib = res.index_scores().set_index(["unit", "period"])["score"]
    np.testing.assert_allclose(nom.loc[lib.index].to_numpy(), lib.to_numpy(), rtol=0, atol=1e-12)
    # the evaluator's nominal-configuration runs reproduce it too (weights computed by the same rule)
    first = u.runs.index[(u.runs["weights"] == "entropy+critic") & (u.runs["normalize"] == "minmax-global")]
    assert len(first) > 0
    np.testing.assert_allclose(u.scores[first[0]], u.rank_probabilities["score_nominal"].to_numpy(), atol=1e-12)
