"""Streaming reductions (issue 20): results equal, bit for bit, those of the pre-streaming implementation.

``data/reference_{a,b,c}.npz`` hold the tables (and every run's scores and ranks) written by the code
before the period-chunk streaming was introduced (same inputs, seeds and options as ``CASES`` below), so
these tests compare against an independent earlier algorithm: whole run × unit-period matrices, quantiles
and Sobol' indices computed on them at once.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import synthetic_panel
from nqpf.uncertainty._kernel import quantiles_by_columns, rank_matrix
from nqpf.uncertainty.montecarlo import run_uncertainty

DATA = Path(__file__).parent / "data"
CASES = {
    "a": (dict(U=12, T=4, L=9), dict(samples=16, seed=3, n_boot=200)),
    "b": (dict(U=15, T=3, L=8, gaps=0.08, seed=2),
          dict(samples=16, seed=5, n_boot=100, impute="linear-carry", perturb="dirichlet", exclude="both", top_k=3,
               options={"aggregate": ["arithmetic", "geometric", "topsis", "grey"],
                        "weights": ["entropy", "critic", "equal", "cv"]})),
    "c": (dict(U=60, T=6, L=12, seed=4), dict(samples=32, seed=7, n_boot=100, top_k=4, batch_size=40)),
}
TABLES = ("rank_intervals", "rank_probabilities", "sensitivity", "unit_sensitivity", "leave_one_out", "runs")


def _run(key: str, **extra):
    pk, rk = CASES[key]
    long, fw = synthetic_panel(**pk)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_uncertainty(long, fw, backend="sequential", **{**rk, **extra})


def _assert_same(res, ref) -> None:
    for name in TABLES:
        df = getattr(res, name)
        cols = [k.split("/", 1)[1] for k in ref.files if k.startswith(name + "/")]
        assert list(df.columns) == cols, name
        for c in cols:
            got, want = df[c].to_numpy(), ref[f"{name}/{c}"]
            if got.dtype == object:
                got = got.astype(str)
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), f"{name}.{c} differs"


@pytest.mark.parametrize("key", sorted(CASES))
def test_bit_identical_to_pre_streaming_outputs(key):
    ref = np.load(DATA / f"reference_{key}.npz")
    res = _run(key, keep_runs=True)
    _assert_same(res, ref)
    assert res.scores.tobytes() == ref["scores"].tobytes()
    assert res.ranks.tobytes() == ref["ranks"].tobytes()


def test_runs_not_kept_by_default_and_memmap_files(tmp_path):
    ref = np.load(DATA / "reference_c.npz")
    res = _run("c")
    assert res.scores is None and res.ranks is None
    _assert_same(res, ref)
    res2 = _run("c", keep_runs=tmp_path / "runs")
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["ranks.npy", "scores.npy"]
    assert isinstance(res2.scores, np.memmap)
    assert np.load(tmp_path / "runs" / "scores.npy").tobytes() == ref["scores"].tobytes()
    assert np.load(tmp_path / "runs" / "ranks.npy").tobytes() == ref["ranks"].tobytes()


def test_chunking_does_not_change_results(monkeypatch):
    """One period per chunk and small batches give the same bytes as the default partition."""
    import nqpf.uncertainty._kernel as kernel
    import nqpf.uncertainty.montecarlo as mc

    ref = np.load(DATA / "reference_c.npz")
    monkeypatch.setattr(mc, "CHUNK_BYTES", 1)
    monkeypatch.setattr(kernel, "REDUCE_BYTES", 4096)  # column sub-chunks of a few columns
    res = _run("c", batch_size=7)
    assert res.manifest["execution"]["chunks"] == CASES["c"][0]["T"]
    _assert_same(res, ref)


def test_rank_matrix_with_global_scale_equals_whole_panel():
    rng = np.random.default_rng(1)
    U, T = 20, 5
    S = np.round(rng.random((7, U * T)), 3) * 10.0 ** rng.integers(-2, 3, size=(7, 1))  # ties and scales
    whole = rank_matrix(S, U, T)
    scale = np.max(np.abs(S), axis=1)
    for t in range(T):
        cols = np.arange(U) * T + t
        assert np.array_equal(rank_matrix(S[:, cols], U, 1, scale), whole[:, cols])


def test_quantiles_by_columns_equals_numpy():
    rng = np.random.default_rng(2)
    X = rng.integers(1, 50, size=(101, 37)).astype(np.int32)
    q = [0.05, 0.5, 0.95]
    assert quantiles_by_columns(X, q, max_bytes=8 * 101 * 3).tobytes() == np.quantile(X, q, axis=0).tobytes()


def test_blocks_equal_build_index_for_every_combination():
    """The normalise-only path gives exactly the engine's normalised matrix of each full build."""
    from nqpf.index import build_index
    from nqpf.uncertainty.montecarlo import _load_data, _Model

    long, fw_spec = synthetic_panel(U=14, T=4, L=7, seed=6, gaps=0.06)
    from nqpf.framework import load_framework

    fw = load_framework(fw_spec)
    opts = {"impute": ["linear-carry", "linear-carry+group-mean", "carry"], "treat": ["none", "winsorize", "skewkurt"],
            "normalize": ["minmax-global", "rank", "zscore", "minmax-period", "vector"]}
    groups = {f"u{i:03d}": i % 3 for i in range(14)}
    index_options = {"groups": groups, "winsorize_q": (0.05, 0.95)}
    data = _load_data(long, fw, None, index_options)
    nominal = {"impute": "linear-carry", "treat": "none", "normalize": "minmax-global", "weights": "equal",
               "aggregate": "arithmetic", "periods": None}
    model = _Model(data, fw, nominal, opts, "indicator", index_options, [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.build_blocks()
        assert len(model.Z) == 3 * 3 * 5
        for (imp, trt, nrm), b in model.blocks.items():
            ref = build_index(data, fw, impute=imp, treat=trt, normalize=nrm, weights="equal",
                              aggregate="arithmetic", **index_options)
            assert model.Z[b].tobytes() == np.ascontiguousarray(ref.Z).tobytes(), (imp, trt, nrm)


def test_memory_does_not_hold_every_run(monkeypatch):
    """Peak traced allocation stays well below the runs × unit-periods score and rank matrices that the
    pre-streaming code held in full (numpy reports its buffers to tracemalloc)."""
    import tracemalloc

    import nqpf.uncertainty._kernel as kernel
    import nqpf.uncertainty.montecarlo as mc

    long, fw = synthetic_panel(U=400, T=8, L=6, seed=9)
    monkeypatch.setattr(mc, "CHUNK_BYTES", 1)  # one period per chunk
    monkeypatch.setattr(kernel, "REDUCE_BYTES", 1 << 18)  # reductions in 256 KB column sub-chunks
    kw = dict(samples=64, seed=2, n_boot=20, vary=["normalize", "weights", "aggregate", "perturb"],
              backend="sequential", batch_size=32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_uncertainty(long, fw, **kw)  # warm caches (imports, framework parsing)
        tracemalloc.start()
        try:
            res = run_uncertainty(long, fw, **kw)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    n_runs, n_rows = res.manifest["design"]["runs"], len(res.rank_intervals)
    full = n_runs * n_rows * (8 + 4)  # float64 scores + int32 ranks of every run
    assert n_runs == 64 * 6 and full > 10e6
    assert peak < 0.5 * full, (peak, full)
