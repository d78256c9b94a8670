"""Issue 20: the same code runs on a Dask scheduler given by address (a multi-worker cluster on loopback
TCP, as a remote cluster would be reached) and gives byte-identical files to the sequential and processes
backends; the context is scattered once and only reductions come back."""

from __future__ import annotations

import warnings

import pytest

from conftest import synthetic_panel
from nqpf.uncertainty.montecarlo import run_uncertainty

distributed = pytest.importorskip("distributed")

KW = dict(samples=16, seed=11, n_boot=50, vary=["treat", "normalize", "weights", "perturb", "aggregate", "exclude"])
FILES = ("rank_intervals.csv", "rank_probabilities.csv", "sensitivity.csv", "leave_one_out.csv",
         "unit_sensitivity.csv")


def test_scheduler_address_on_loopback_equals_sequential_and_processes(tmp_path):
    long, fw = synthetic_panel(U=30, T=5, L=9, seed=8)
    cluster = distributed.LocalCluster(n_workers=3, threads_per_worker=1, processes=False, protocol="tcp://",
                                       host="127.0.0.1", dashboard_address=None)
    try:
        addr = cluster.scheduler_address
        assert addr.startswith("tcp://127.0.0.1:")
        runs = {"seq": dict(backend="sequential"), "proc": dict(backend="processes", workers=2),
                "dask": dict(scheduler=addr)}
        for name, b in runs.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = run_uncertainty(long, fw, **KW, **b)
            res.write(tmp_path / name)
            if name == "dask":
                ex = res.manifest["execution"]
                assert ex["backend"] == "dask" and ex["scheduler"] == addr and ex["chunks"] >= 3
                assert ex["workers_used"] >= 2  # the tasks really ran on several workers of the cluster
            if name == "proc":
                assert res.manifest["execution"]["workers_used"] == 2
    finally:
        cluster.close()
    for f in FILES:
        ref = (tmp_path / "seq" / f).read_bytes()
        assert (tmp_path / "proc" / f).read_bytes() == ref, f
        assert (tmp_path / "dask" / f).read_bytes() == ref, f
