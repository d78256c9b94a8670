"""The nominal configuration is one point of the sampled space (uniform weight perturbation, bank entry 0), and
nominal ranks outside their interval are reported with the reason."""

from __future__ import annotations

import numpy as np

import nqpf.datasets as ds
from nqpf.uncertainty import run_uncertainty


def test_bank_entry_zero_reproduces_the_nominal_scores_exactly():
    cn = ds.load("cn_provinces")
    u = run_uncertainty(cn, "nqpf-core", samples=16, seed=3, vary=["perturb"], perturb_bank=4, n_boot=20,
                        unit_sensitivity=False, backend="sequential", keep_runs=True)
    nominal = u.rank_probabilities["score_nominal"].to_numpy()
    runs = u.runs
    zero = np.flatnonzero(runs["perturb"].astype(int).to_numpy() == 0)
    assert len(zero) > 0
    np.testing.assert_allclose(u.scores[zero], np.broadcast_to(nominal, (len(zero), nominal.size)), rtol=0,
                               atol=1e-14)
    others = np.flatnonzero(runs["perturb"].astype(int).to_numpy() != 0)
    assert np.abs(u.scores[others] - nominal).max() > 1e-6  # the other entries really perturb
    assert u.manifest["nominal_in_space"] is True


def test_nominal_outside_is_counted_and_explained():
    cn = ds.load("cn_provinces")
    u = run_uncertainty(cn, "nqpf-core", samples=32, seed=7, n_boot=20, unit_sensitivity=False,
                        backend="sequential")
    no = u.manifest["nominal_outside"]
    rp = u.rank_probabilities
    assert no["count"] == int((~rp["nominal_inside"]).sum()) and no["of"] == len(rp)
    for c in no["cases"]:
        assert c["rank_nominal"] < c["rank_p05"] or c["rank_nominal"] > c["rank_p95"]
        assert c["nominal_percentile"] < 0.05 or c["nominal_percentile"] > 0.95
    assert "sampled space" in no["why"]
