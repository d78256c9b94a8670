"""Execution backends for batches of independent tasks: sequential, local processes, Dask distributed.

A job is a list of *payloads* (one per task) and a shared, read-only *context* (e.g. normalised data
blocks). Every task calls ``func(context, payload, seed_seq)`` where ``seed_seq`` is the task's own
:class:`numpy.random.SeedSequence`, child ``b`` of ``SeedSequence(seed).spawn(n_tasks)`` for task ``b`` — so
a task's random numbers depend only on ``(seed, task id)``, never on which worker ran it. Results are
returned in task order, so any reduction the caller does is in a fixed order and the outcome is bit-for-bit
the same whatever the backend and the number of workers (provided the caller's partition of the work into
tasks does not depend on the worker count).

``func`` must be a module-level function (spawn-safe: it is pickled by reference).

Backends
  ``sequential``  in this process.
  ``processes``   ``concurrent.futures.ProcessPoolExecutor`` with the ``spawn`` start method. The context's
                  arrays are written once to temporary ``.npy`` files and opened memory-mapped by every
                  worker (read-only; the operating system shares the pages); the rest of the context is a
                  small pickle file beside them. A worker receives only the file's path: CPython writes a
                  spawned child's start-up data into a pipe whose read end the parent itself keeps open
                  until the write ends, so a child that dies while starting (a script without an
                  ``if __name__ == "__main__":`` guard) blocked the parent for ever once that data exceeded
                  the pipe buffer (64 KiB). Workers must start within ``start_timeout`` seconds, else
                  :class:`BackendError` naming the missing guard.
  ``dask``        ``dask.distributed``: connect to ``scheduler`` (e.g. ``tcp://10.0.0.5:8786``) or start a
                  ``LocalCluster`` with ``workers`` single-threaded workers (``processes=False`` runs them as
                  threads in this process). The context is scattered (broadcast) once per :class:`Executor`,
                  however many task lists it runs. Workers of a remote cluster need the same nqpf version.

:meth:`Executor.share` replaces the context of running workers (Dask: scattered once more, the old one
released; processes: new ``.npy`` files, mapped by each worker at its next task), so one pool can first build
data on the workers and then run tasks on a context made from it.
  ``auto``        ``processes`` when the machine has more than one core and there is more than one task,
                  else ``sequential``.

An unreachable scheduler raises :class:`BackendError` after ``connect_timeout`` seconds (default 5).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, as_completed, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np

from nqpf.errors import MethodError

__all__ = ["BACKENDS", "BackendError", "Executor", "check_scheduler", "resolve_backend", "run_tasks",
           "task_seeds", "GUARD_MESSAGE"]

BACKENDS = ("auto", "sequential", "processes", "dask")
#: Seconds the processes backend waits for its workers to start (import nqpf, map the context).
START_TIMEOUT = 120.0
#: Arrays at least this large (bytes) travel to worker processes as memory-mapped .npy files.
NPY_MIN_BYTES = 1 << 12

GUARD_MESSAGE = (
    "the worker processes of backend 'processes' did not start (they died or hung while starting). With the "
    "'spawn' start method every worker re-imports the calling script, so a script that calls nqpf must put "
    "its code under an `if __name__ == \"__main__\":` guard; add the guard, or use backend='sequential' "
    "(CLI: --backend sequential)"
)

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


# --------------------------------------------------------------------------------------------------------
# context shipped as memory-mapped .npy files
# --------------------------------------------------------------------------------------------------------
class _NpyRef:
    """Placeholder of an array saved as ``path`` (opened read-only, memory-mapped, in the worker)."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path


def _dump(obj: Any, folder: Path, counter: list[int]) -> Any:
    """``obj`` with every large numeric array (in dicts, lists and tuples) replaced by an :class:`_NpyRef`."""
    if isinstance(obj, np.ndarray) and obj.dtype != object and obj.nbytes >= NPY_MIN_BYTES:
        counter[0] += 1
        path = folder / f"a{counter[0]}.npy"
        np.save(path, np.ascontiguousarray(obj), allow_pickle=False)
        return _NpyRef(str(path))
    if isinstance(obj, dict):
        return {k: _dump(v, folder, counter) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_dump(v, folder, counter) for v in obj)
    return obj


def _load(obj: Any) -> Any:
    if isinstance(obj, _NpyRef):
        return np.load(obj.path, mmap_mode="r", allow_pickle=False)
    if isinstance(obj, dict):
        return {k: _load(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_load(v) for v in obj)
    return obj


def _write_context(context: Any, folder: Path) -> str:
    """Save ``context`` into ``folder`` (large arrays as .npy files, the rest pickled); the pickle's path."""
    folder.mkdir(parents=True, exist_ok=True)
    ctx_file = folder / "context.pkl"
    with open(ctx_file, "wb") as fh:
        pickle.dump(_dump(context, folder, [0]), fh, protocol=pickle.HIGHEST_PROTOCOL)
    return str(ctx_file)


def _init_worker(path: str) -> None:
    with open(path, "rb") as fh:
        _WORKER_CONTEXT["context"] = _load(pickle.load(fh))
    _WORKER_CONTEXT["path"] = path


def _ping() -> int:
    return os.getpid()


def _call_in_worker(func: Callable, path: str, payload: Any, ss: np.random.SeedSequence) -> tuple[str, Any]:
    if _WORKER_CONTEXT.get("path") != path:  # the context was replaced (Executor.share) since this worker's last task
        _WORKER_CONTEXT.clear()
        _init_worker(path)
    return f"pid:{os.getpid()}", func(_WORKER_CONTEXT["context"], payload, ss)


def _call_with_context(func: Callable, context: Any, payload: Any, ss: np.random.SeedSequence) -> tuple[str, Any]:
    try:
        from distributed import get_worker

        where = get_worker().address
    except (ImportError, ValueError):  # pragma: no cover - not in a Dask worker
        where = f"pid:{os.getpid()}"
    return where, func(context, payload, ss)


def _bootstrapping() -> bool:
    """True while this process is a spawned child still importing the parent's main module (the script
    has no ``__main__`` guard and is starting workers again from its top level)."""
    return bool(getattr(mp.current_process(), "_inheriting", False))


# --------------------------------------------------------------------------------------------------------
# executor: one pool / cluster and one copy of the context for any number of task lists
# --------------------------------------------------------------------------------------------------------
class Executor:
    """Context manager running task lists on one backend; the workers and the context are set up once.

    ``map(func, payloads, seed=…, progress=…)`` returns ``[func(context, p_b, seed_b) for b]`` in task
    order (see the module docstring for the seeds).
    """

    def __init__(self, backend: str = "auto", *, workers: int | None = None, context: Any = None,
                 n_tasks: int = 2, scheduler: str | None = None, connect_timeout: float = 5.0,
                 dask_processes: bool = True, start_timeout: float = START_TIMEOUT) -> None:
        if scheduler is not None and backend in ("auto", "dask"):
            backend = "dask"
        elif scheduler is not None:
            raise BackendError(f"--scheduler is only used by the dask backend, not {backend!r}")
        self.name, self.workers = resolve_backend(backend, n_tasks, workers)
        self.context, self.scheduler, self.connect_timeout = context, scheduler, connect_timeout
        self.dask_processes, self.start_timeout = dask_processes, float(start_timeout)
        self._pool = self._tmp = self._client = self._cluster = self._ctx_future = self._ctx_file = None
        self._shared = 0  # contexts written so far (processes)
        #: Workers (process ids or Dask worker addresses) that ran at least one task.
        self.used: set[str] = set()

    # set-up / tear-down ---------------------------------------------------------------------------------
    def __enter__(self) -> Executor:
        try:
            if self.name == "processes":
                self._start_processes()
            elif self.name == "dask":
                self._start_dask()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start_processes(self) -> None:
        if _bootstrapping():
            raise BackendError(GUARD_MESSAGE)
        self._tmp = Path(tempfile.mkdtemp(prefix="nqpf-ctx-"))
        self._ctx_file = _write_context(self.context, self._tmp)
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=mp.get_context("spawn"),
                                         initializer=_init_worker, initargs=(self._ctx_file,))
        pings = [self._pool.submit(_ping) for _ in range(self.workers)]
        done, pending = wait(pings, timeout=self.start_timeout, return_when=FIRST_EXCEPTION)
        try:
            for f in done:
                f.result()
        except BrokenProcessPool:
            raise BackendError(GUARD_MESSAGE) from None
        if pending:
            raise BackendError(f"{GUARD_MESSAGE} (no answer within {self.start_timeout:g} s)")

    def _start_dask(self) -> None:
        from distributed import Client, LocalCluster

        if self.scheduler is not None:
            self._client = _connect(self.scheduler, self.connect_timeout)
        else:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                         processes=self.dask_processes, dashboard_address=None)
            self._client = Client(self._cluster, set_as_default=False)
        if self.context is not None:
            self._ctx_future = self._client.scatter(self.context, broadcast=True)

    @property
    def isolated(self) -> bool:
        """True when every task runs alone in a worker process (processes; Dask with worker processes or a
        remote scheduler), so that a task may swap process-wide state such as the warning filters."""
        return self.name == "processes" or (self.name == "dask" and (self.dask_processes or self.scheduler is not None))

    def share(self, context: Any) -> None:
        """Replace the context of the tasks to come (the workers keep running): Dask scatters it to every
        worker once and releases the previous one; the processes backend writes it to new files, which each
        worker maps at its next task."""
        self.context = context
        if self.name == "processes":
            self._shared += 1
            self._ctx_file = _write_context(context, self._tmp / f"c{self._shared}")
        elif self.name == "dask":
            old, self._ctx_future = self._ctx_future, None
            if context is not None:
                self._ctx_future = self._client.scatter(context, broadcast=True)
            _release(old)

    def close(self) -> None:
        """Stop the workers and remove the temporary context files."""
        if self._pool is not None:
            procs = list(getattr(self._pool, "_processes", {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:  # a worker stuck in start-up would keep the interpreter alive
                if p.is_alive():
                    p.terminate()
            for p in procs:
                p.join(timeout=10)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    # running --------------------------------------------------------------------------------------------
    def map(self, func: Callable[[Any, Any, np.random.SeedSequence], Any], payloads: Sequence[Any], *,
            seed: int = 0, progress: Callable[[int], None] | None = None) -> list[Any]:
        """``func(context, payload_b, seed_b)`` for every payload, results in payload order."""
        n = len(payloads)
        seeds = task_seeds(seed, n)
        if n == 0:
            return []
        if self.name == "sequential":
            out = []
            for b, (p, ss) in enumerate(zip(payloads, seeds, strict=True)):
                out.append(func(self.context, p, ss))
                if progress:
                    progress(b + 1)
            return out
        if self.name == "processes":
            results: list[Any] = [None] * n
            futs = {self._pool.submit(_call_in_worker, func, self._ctx_file, p, ss): b
                    for b, (p, ss) in enumerate(zip(payloads, seeds, strict=True))}
            try:
                for done, f in enumerate(as_completed(futs), start=1):
                    where, results[futs[f]] = f.result()
                    self.used.add(where)
                    if progress:
                        progress(done)
            except BrokenProcessPool as exc:
                raise BackendError(f"a worker process died while running a task ({exc}); if the machine ran out "
                                   "of memory, use fewer --workers or --backend sequential") from None
            return results
        token = uuid.uuid4().hex
        futs_d = [self._client.submit(_call_with_context, func, self._ctx_future, p, ss, pure=False,
                                      key=f"nqpf-task-{token}-{b}")
                  for b, (p, ss) in enumerate(zip(payloads, seeds, strict=True))]
        results = []
        for f in futs_d:  # in task order (progress advances as the earliest pending task finishes)
            where, res = f.result()
            self.used.add(where)
            results.append(res)
            f.release()
            if progress:
                progress(len(results))
        return results


def run_tasks(func: Callable[[Any, Any, np.random.SeedSequence], Any], payloads: Sequence[Any], *,
              context: Any = None, seed: int = 0, backend: str = "auto", workers: int | None = None,
              scheduler: str | None = None, connect_timeout: float = 5.0,
              progress: Callable[[int], None] | None = None, dask_processes: bool = True,
              start_timeout: float = START_TIMEOUT) -> list[Any]:
    """Run ``func(context, payload_b, seed_b)`` for every payload; results in payload order.

    ``progress(n_done)`` is called after each finished task (in completion order; results are still
    returned in task order). ``scheduler`` implies the Dask backend.
    """
    ex = Executor(backend, workers=workers, context=context, n_tasks=len(payloads), scheduler=scheduler,
                  connect_timeout=connect_timeout, dask_processes=dask_processes, start_timeout=start_timeout)
    if not payloads:
        return []
    with ex:
        return ex.map(func, payloads, seed=seed, progress=progress)


def _release(futures: Any) -> None:
    """Release scattered Dask futures (one, or a dict / list of them, as ``Client.scatter`` returns)."""
    items = futures.values() if isinstance(futures, dict) else futures if isinstance(futures, list) else [futures]
    for f in items:
        if f is not None:
            f.release()


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
