"""Execution backends: identical results in task order whatever the backend; per-task seeds; errors."""

from __future__ import annotations

import time

import numpy as np
import pytest

from nqpf.errors import NQPFError
from nqpf.uncertainty.backends import BackendError, run_tasks, task_seeds


def _task(ctx, payload, seed_seq):
    """Module-level (spawn-safe) task: uses the context, the payload and the task's own random stream."""
    rng = np.random.default_rng(seed_seq)
    return ctx["scale"] * payload + rng.random(3)


def test_task_seeds_are_spawned_children():
    a = task_seeds(5, 3)
    ref = np.random.SeedSequence(5).spawn(3)
    assert [s.spawn_key for s in a] == [s.spawn_key for s in ref]
    assert np.array_equal(np.random.default_rng(a[2]).random(3), np.random.default_rng(ref[2]).random(3))


@pytest.mark.parametrize("backend,workers", [("processes", 1), ("processes", 2)])
def test_processes_equal_sequential(backend, workers):
    payloads = [np.arange(3.0) + i for i in range(5)]
    ref = run_tasks(_task, payloads, context={"scale": 2.0}, seed=9, backend="sequential")
    got = run_tasks(_task, payloads, context={"scale": 2.0}, seed=9, backend=backend, workers=workers)
    assert len(got) == 5
    for r, g in zip(ref, got, strict=True):
        assert r.tobytes() == g.tobytes()
    # another seed changes the random part
    other = run_tasks(_task, payloads, context={"scale": 2.0}, seed=10, backend="sequential")
    assert ref[0].tobytes() != other[0].tobytes()


def test_dask_local_cluster_equals_sequential():
    payloads = [np.arange(3.0) + i for i in range(4)]
    ref = run_tasks(_task, payloads, context={"scale": 3.0}, seed=1, backend="sequential")
    done = []
    got = run_tasks(_task, payloads, context={"scale": 3.0}, seed=1, backend="dask", workers=2,
                    dask_processes=False, progress=done.append)
    assert [g.tobytes() for g in got] == [r.tobytes() for r in ref]
    assert done[-1] == 4


def test_unreachable_scheduler_fails_fast():
    t0 = time.monotonic()
    with pytest.raises(BackendError, match="cannot reach the Dask scheduler") as info:
        run_tasks(_task, [np.zeros(3)], context={"scale": 1.0}, scheduler="tcp://127.0.0.1:1", connect_timeout=2.0)
    assert isinstance(info.value, NQPFError)
    assert time.monotonic() - t0 < 10.0


def test_bad_backend_and_workers():
    with pytest.raises(BackendError, match="unknown backend"):
        run_tasks(_task, [1], backend="threads")
    with pytest.raises(BackendError, match="workers"):
        run_tasks(_task, [1], backend="processes", workers=0)
    with pytest.raises(BackendError, match="only used by the dask backend"):
        run_tasks(_task, [1], backend="processes", scheduler="tcp://127.0.0.1:1")


def _context_kind(ctx, payload, seed_seq):
    """Module-level task: how the worker sees the context's arrays."""
    return type(ctx["Z"][0]).__name__, float(ctx["Z"][0].sum()), type(ctx["small"]).__name__


def test_processes_context_is_memory_mapped_and_one_pool_serves_many_maps():
    from nqpf.uncertainty.backends import Executor

    Z = np.arange(200_000, dtype=float).reshape(1000, 200)  # 1.6 MB: far beyond a pipe buffer
    ctx = {"Z": [Z], "small": np.arange(3)}
    with Executor("processes", workers=2, context=ctx) as ex:
        first = ex.map(_context_kind, [0, 1, 2])
        again = ex.map(_context_kind, [0])
        tmp = ex._tmp
        assert sorted(p.suffix for p in tmp.iterdir()) == [".npy", ".pkl"]  # one array file + the small rest
    assert first[0] == ("memmap", float(Z.sum()), "ndarray") and again[0] == first[0]
    assert not tmp.exists()  # temporary files removed on exit
