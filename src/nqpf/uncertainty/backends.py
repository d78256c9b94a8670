"""Execution backends for batches of independent tasks: sequential, local processes, Dask distributed.

A job is a list of *payloads* (one per task, e.g. a batch of Monte Carlo runs) and a shared, read-only
*context* (e.g. normalised data blocks). Every task calls ``func(context, payload, seed_seq)`` where
``seed_seq`` is the task's own :class:`numpy.random.SeedSequence`, child ``b`` of
``SeedSequence(seed).spawn(n_tasks)`` for task ``b`` — so a task's random numbers depend only on
``(seed, task id)``, never on which worker ran it. Results are returned in task order, so any reduction the
caller does is in a fixed order and the outcome is bit-for-bit the same whatever the backend and the number
of workers (provided the caller's partition of the work into tasks does not depend on the worker count).

``func`` must be a module-level function (spawn-safe: it is pickled by reference).

Backends
  ``sequential``  in this process.
  ``processes``   ``concurrent.futures.ProcessPoolExecutor`` with the ``spawn`` start method; the context is
                  sent once per worker (initializer), not once per task.
  ``dask``        ``dask.distributed``: connect to ``scheduler`` (e.g. ``tcp://10.0.0.5:8786``) or start a
                  ``LocalCluster`` with ``workers`` single-threaded workers (``processes=False`` runs them as
                  threads in this process). The context is scattered (broadcast) once. Workers of a remote
                  cluster need the same nqpf version installed.
  ``auto``        ``processes`` when the machine has more than one core and there is more than one task,
                  else ``sequential``.

An unreachable scheduler raises :class:`BackendError` after ``connect_timeout`` seconds (default 5).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np

from nqpf.errors import MethodError

__all__ = ["BACKENDS", "BackendError", "check_scheduler", "resolve_backend", "run_tasks", "task_seeds"]

BACKENDS = ("auto", "sequential", "processes", "dask")

# Context of this worker process, set once by the pool initializer (process-local, never shared).
_WORKER_CONTEXT: dict[str, Any] = {}


class BackendError(MethodError):
    """An execution backend cannot be started or reached (bad option, unreachable scheduler …)."""


def task_seeds(seed: int, n_tasks: int) -> list[np.random.SeedSequence]:
    """Per-task seed sequences ``SeedSequence(seed).spawn(n_tasks)`` (task b gets child b)."""
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise BackendError(f"seed must be a non-negative integer, got {seed!r}")
    return np.random.SeedSequence(int(seed)).spawn(int(n_tasks))


def resolve_backend(backend: str, n_tasks: int, workers: int | None = None) -> tuple[str, int]:
    """Concrete backend name and worker count for ``backend`` (``auto`` resolved)."""
    if backend not in BACKENDS:
        raise BackendError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    ncpu = os.cpu_count() or 1
    if workers is not None and workers < 1:
        raise BackendError(f"workers must be at least 1, got {workers}")
    if backend == "auto":
        backend = "processes" if ncpu > 1 and n_tasks > 1 else "sequential"
    if backend == "sequential":
        return backend, 1
    w = workers if workers is not None else min(ncpu, max(n_tasks, 1))
    return backend, int(w)


def _init_worker(context: Any) -> None:
    _WORKER_CONTEXT["context"] = context


def _call_in_worker(func: Callable, payload: Any, ss: np.random.SeedSequence) -> Any:
    return func(_WORKER_CONTEXT["context"], payload, ss)


def _call_with_context(func: Callable, context: Any, payload: Any, ss: np.random.SeedSequence) -> Any:
    return func(context, payload, ss)


def run_tasks(func: Callable[[Any, Any, np.random.SeedSequence], Any], payloads: Sequence[Any], *,
              context: Any = None, seed: int = 0, backend: str = "auto", workers: int | None = None,
              scheduler: str | None = None, connect_timeout: float = 5.0,
              progress: Callable[[int], None] | None = None, dask_processes: bool = True) -> list[Any]:
    """Run ``func(context, payload_b, seed_b)`` for every payload; results in payload order.

    ``progress(n_done)`` is called after each finished task (in completion order; results are still
    returned in task order). ``scheduler`` implies the Dask backend.
    """
    n = len(payloads)
    seeds = task_seeds(seed, n)
    if scheduler is not None and backend in ("auto", "dask"):
        backend = "dask"
    elif scheduler is not None:
        raise BackendError(f"--scheduler is only used by the dask backend, not {backend!r}")
    name, w = resolve_backend(backend, n, workers)
    if n == 0:
        return []
    if name == "sequential":
        out = []
        for b, (p, ss) in enumerate(zip(payloads, seeds, strict=True)):
            out.append(func(context, p, ss))
            if progress:
                progress(b + 1)
        return out
    if name == "processes":
        return _run_processes(func, payloads, seeds, context, w, progress)
    return _run_dask(func, payloads, seeds, context, w, scheduler, connect_timeout, progress, dask_processes)


def _run_processes(func, payloads, seeds, context, workers, progress) -> list[Any]:
    import multiprocessing as mp

    results: list[Any] = [None] * len(payloads)
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(context,)) as pool:
        futs = {pool.submit(_call_in_worker, func, p, ss): b
                for b, (p, ss) in enumerate(zip(payloads, seeds, strict=True))}
        done = 0
        for f in as_completed(futs):
            results[futs[f]] = f.result()
            done += 1
            if progress:
                progress(done)
    return results


def _connect(scheduler: str, timeout: float):
    from distributed import Client

    try:
        return Client(scheduler, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise BackendError(
            f"cannot reach the Dask scheduler at {scheduler!r} within {timeout:g} s ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no answer'}); check the address and that the scheduler "
            "is running (dask scheduler), or use --backend processes"
        ) from None
    except ValueError as exc:
        raise BackendError(f"invalid Dask scheduler address {scheduler!r}: {exc}; use e.g. tcp://HOST:8786") from None


def check_scheduler(scheduler: str, timeout: float = 5.0) -> None:
    """Connect to a Dask scheduler and disconnect; :class:`BackendError` within ``timeout`` s if unreachable
    (call before long preparatory work so that a wrong address fails fast)."""
    _connect(scheduler, timeout).close()


def _run_dask(func, payloads, seeds, context, workers, scheduler, timeout, progress, processes) -> list[Any]:
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is not None:
        client = _connect(scheduler, timeout)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                               dashboard_address=None)
        client = Client(cluster, set_as_default=False)
    try:
        ctx = client.scatter(context, broadcast=True) if context is not None else None
        token = uuid.uuid4().hex
        futs = [client.submit(_call_with_context, func, ctx, p, ss, pure=False, key=f"nqpf-task-{token}-{b}")
                for b, (p, ss) in enumerate(zip(payloads, seeds, strict=True))]
        results: list[Any] = []
        for f in futs:  # in task order (progress advances as the earliest pending task finishes)
            results.append(f.result())
            if progress:
                progress(len(results))
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
