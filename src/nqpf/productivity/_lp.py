"""HiGHS engine for DEA-type linear programmes: one model per LP family, updated per evaluated point.

Every DEA envelopment LP has the same shape: a few *point-specific* variables (θ, φ, β, t, slacks) and
one intensity column λ_j per reference unit whose entries are that unit's data in the technology rows
(inputs, good outputs, bad outputs, optionally the convexity row). Only costs, bounds and the
coefficients of the point-specific variables change from one evaluated point to the next, so the model
is built once and updated (HiGHS then hot-starts the simplex from the previous basis).

Exact column generation (``mode="cg"``): the LP is solved over a working set W of reference columns;
with row duals π the reduced cost of every reference column is ``d_j = c_j − π·T_j``; if no column has
``d_j < −tol`` the restricted optimum is optimal for the full LP (LP duality), otherwise the most
negative columns are added and the LP re-solved. W is shared by all points solved by one engine, so it
converges to the (small) set of frontier units and each later point costs one small LP plus one pricing
pass (a matrix–vector product over all n units). Infeasible or unbounded restricted LPs fall back to the
full LP (built lazily once), so infeasibility reported is that of the full LP.

Small CRS/VRS radial and DDF families (≥ ``BATCH_MIN`` points, ≤ 300 reference units, positive data) are
first solved for all points at once by a lock-step revised simplex with a per-point optimality certificate
(issue 19); uncertified points go to HiGHS. The parts (issue 18): :mod:`._lp_model` (LP families),
:mod:`._lp_highs` (engine, column generation, facet order), :mod:`._lp_batch` / :mod:`._lp_radial` (lock-step simplex); this
module chooses the path (:func:`solve_points`) and re-exports their names.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np

# the engine's parts, importable from here as before (tests, malmquist, dea, bench)
from nqpf.productivity._lp_batch import batch_slack  # noqa: F401 - re-exported
from nqpf.productivity._lp_highs import (  # noqa: F401 - default_seeds: re-exported
    FACET_KINDS,
    Solved,
    _facet_order,
    _solve_chunk,
    candidates,
    default_seeds,
)
from nqpf.productivity._lp_model import (  # noqa: F401 - the LP families: re-exported
    STATUS_OPTIMAL,
    Family,
    ddf_family,
    radial_family,
    sbm_family,
    slack_family,
    tech_matrix,
)
from nqpf.productivity._lp_radial import _batch_radial, batch_radial_many

BATCH_MIN = 8  # fewer points: HiGHS alone is as fast as the batched simplex set-up


def _batchable(fam: Family, T: np.ndarray, points: np.ndarray, lam_cost: np.ndarray | None) -> bool:
    """Small CRS or VRS radial families with positive data go to :func:`_batch_radial` first."""
    if fam.kind not in ("radial_in", "radial_out", "ddf"):
        return False
    R = fam.params["m"] + fam.params["s"] + fam.params["k"]
    if len(fam.lam_rows) != R and not (fam.row_lb[-1] == 1.0 and fam.row_ub[-1] == 1.0):  # CRS or VRS only
        return False
    if fam.kind == "ddf" and not np.all(np.isfinite(points[:, R : 2 * R])):
        return False
    if len(points) < BATCH_MIN or T.shape[1] > 300 or (lam_cost is not None and np.any(lam_cost != 0)):
        return False
    return bool(np.all(T > 0) and np.all(points[:, :R] > 0) and np.all(np.isfinite(points[:, :R])))


def _solve_batched(fam, T, points, excludes, lam_cost, seeds, progress) -> Solved:
    """:func:`_batch_radial` for every point; the points it cannot certify are solved by HiGHS."""
    npts = len(points)
    ok, obj, extra, li, lv = _batch_radial(fam, T, points, excludes)
    if not li:
        li, lv = [np.zeros(0, np.int64)] * npts, [np.zeros(0)] * npts
    out = Solved([STATUS_OPTIMAL if o else "" for o in ok], obj, extra, list(li), list(lv), 0)
    redo = np.flatnonzero(~ok)
    if redo.size:
        _scatter(out, redo, _solve_chunk((fam, T, lam_cost, "full", seeds, points[redo], excludes[redo])))
    if progress:
        progress(npts)
    return out


MERGE_CELLS = int(os.environ.get("NQPF_MERGE_CELLS", "2000000"))


def _merge_groups(idx: list[int], jobs) -> list[list[int]]:
    """Consecutive groups of the jobs ``idx`` whose lock-step tableaux (points × columns) add up to at most
    :data:`MERGE_CELLS` cells: merging saves the per-iteration call overhead of small technologies, while
    large tableaux are cheaper run one by one (finished points leave sooner)."""
    groups: list[list[int]] = []
    cells = 0
    for i in idx:
        c = len(jobs[i][1]) * (jobs[i][0].shape[1] + jobs[i][0].shape[0] + 1)
        if groups and cells + c <= MERGE_CELLS:
            groups[-1].append(i)
            cells += c
        else:
            groups.append([i])
            cells = c
    return groups


def solve_many(fam: Family, jobs: list[tuple[np.ndarray, np.ndarray]], **kw) -> list[Solved]:
    """:func:`solve_points` (mode "auto", no λ costs, no exclusions) of several technologies: ``jobs`` =
    [(T, points)]. The small batchable ones (:func:`_batchable`) run in one lock-step simplex
    (:func:`._lp_radial.batch_radial_many`), their uncertified points and the other jobs as
    :func:`solve_points` (with ``kw``). Same results as one :func:`solve_points` call per job (each point
    certified)."""
    out: list[Solved | None] = [None] * len(jobs)
    small = [i for i, (T, P) in enumerate(jobs) if kw.get("mode", "auto") in ("auto", "full") and T.shape[1] <= 300
             and _batchable(fam, T, P, None)]
    for grp in _merge_groups(small, jobs):
        many = batch_radial_many(fam, [jobs[i][0] for i in grp], [jobs[i][1] for i in grp],
                                 [np.full(len(jobs[i][1]), -1) for i in grp])
        for i, (ok, obj, extra, li, lv) in zip(grp, many, strict=True):
            T, P = jobs[i]
            res = Solved([STATUS_OPTIMAL if o else "" for o in ok], obj, extra, list(li), list(lv), 0)
            redo = np.flatnonzero(~ok)
            if redo.size:
                _scatter(res, redo, _solve_chunk((fam, T, None, "full", None, P[redo], np.full(redo.size, -1))))
            out[i] = res
    for i, (T, P) in enumerate(jobs):
        if out[i] is None:
            out[i] = solve_points(fam, T, P, **kw)
    return out  # type: ignore[return-value]


def available_cpus() -> int:
    """CPUs this process may run on, portably (issue 15 item 6: ``os.sched_getaffinity`` is Linux-only).

    ``os.sched_getaffinity(0)`` where the platform has it (respects taskset/cgroup CPU masks), else
    ``os.process_cpu_count()`` (Python ≥ 3.13, also affinity-aware), else ``os.cpu_count()``; at least 1.
    """
    getaffinity = getattr(os, "sched_getaffinity", None)
    if getaffinity is not None:
        try:
            return max(1, len(getaffinity(0)))
        except OSError:  # pragma: no cover - exotic kernels / sandboxes
            pass
    counter = getattr(os, "process_cpu_count", None) or os.cpu_count
    return max(1, counter() or 1)


def n_jobs_default() -> int:
    """Default number of worker processes: the available CPUs, capped at 8."""
    return max(1, min(available_cpus(), 8))


def _empty(fam: Family, npts: int) -> Solved:
    """A :class:`Solved` of ``npts`` unsolved points (status "", NaN values, no λ)."""
    return Solved(
        [""] * npts,
        np.full(npts, np.nan),
        np.full((npts, fam.n_extra), np.nan),
        [np.zeros(0, np.int64)] * npts,
        [np.zeros(0)] * npts,
        0,
    )


def _scatter(out: Solved, idx: np.ndarray, part: Solved) -> None:
    """Write the results of ``part`` (its points = ``idx`` of ``out``) into ``out``."""
    for q, j in enumerate(idx):
        out.status[j] = part.status[q]
        out.lam_idx[j], out.lam_val[j] = part.lam_idx[q], part.lam_val[q]
    out.obj[idx] = part.obj
    out.extra[idx] = part.extra


def solve_points(
    fam: Family,
    T: np.ndarray,
    points: np.ndarray,
    excludes: np.ndarray | None = None,
    *,
    lam_cost: np.ndarray | None = None,
    mode: str = "auto",
    seeds: np.ndarray | None = None,
    n_jobs: int | None = None,
    parallel_min: int = 3000,
    progress=None,
) -> Solved:
    """Solve ``fam`` for every row of ``points`` against reference columns ``T``.

    ``mode``: "full" (every λ column in the LP), "cg" (exact column generation) or "auto" (full for
    n ≤ 300, else cg). Points are split over ``n_jobs`` processes when there are ≥ ``parallel_min``.
    ``progress(k)`` is called with the number of points finished.
    """
    npts = len(points)
    if npts == 0:  # nothing to solve: no model to build
        return Solved([], np.zeros(0), np.zeros((0, fam.n_extra)), [], [], 0)
    if excludes is None:
        excludes = np.full(npts, -1)
    if mode == "auto":
        mode = "full" if T.shape[1] <= 300 else "cg"
    if mode == "cg" and np.all(np.asarray(excludes) < 0):
        C = candidates(fam, T)
        if C is not None and len(C) < T.shape[1]:
            return _solve_reduced(
                fam, T, C, points, excludes, lam_cost, seeds, n_jobs, parallel_min, progress
            )
    if mode == "cg_reduced":
        mode = "cg"
    if mode == "full" and _batchable(fam, T, points, lam_cost):
        return _solve_batched(fam, T, points, np.asarray(excludes), lam_cost, seeds, progress)
    n_jobs = n_jobs or n_jobs_default()
    if n_jobs > 1 and npts >= parallel_min:
        return _solve_parallel(fam, T, points, excludes, lam_cost, mode, seeds, n_jobs, progress)
    res = _solve_chunk((fam, T, lam_cost, mode, seeds, points, excludes))
    if progress:
        progress(npts)
    return res


def _solve_reduced(fam, T, C, points, excludes, lam_cost, seeds, n_jobs, parallel_min, progress) -> Solved:
    """:func:`solve_points` over the candidate reference units ``C`` only (:func:`candidates`: the others are
    dominated, so every LP value is unchanged); λ indices mapped back to the columns of ``T``."""
    pos = np.full(T.shape[1], -1)
    pos[C] = np.arange(len(C))
    sd = pos[np.asarray(seeds, dtype=np.int64)] if seeds is not None else np.zeros(0, np.int64)
    sd = sd[sd >= 0]
    res = solve_points(
        fam,
        np.ascontiguousarray(T[:, C]),
        points,
        excludes,
        lam_cost=None if lam_cost is None else np.asarray(lam_cost)[C],
        mode="cg_reduced",
        seeds=sd if sd.size else None,
        n_jobs=n_jobs,
        parallel_min=parallel_min,
        progress=progress,
    )
    res.lam_idx = [C[li] for li in res.lam_idx]
    return res


def _solve_parallel(fam, T, points, excludes, lam_cost, mode, seeds, n_jobs, progress) -> Solved:
    """The points over ``n_jobs`` forked processes. The parent solves a pilot (learning the working set W and
    dual vertices), sorts the remaining points by facet and gives each worker one contiguous block of that
    order, seeded with W."""
    npts = len(points)
    pil = min(256, npts // 4) if mode == "cg" and fam.kind in FACET_KINDS else 0
    head = np.arange(pil)
    rest = np.arange(pil, npts)
    parts: list[tuple[np.ndarray, Solved]] = []
    wseeds = seeds
    if pil:
        pres = _solve_chunk((fam, T, lam_cost, mode, seeds, points[head], excludes[head], True))
        if pres.duals:
            rest = rest[_facet_order(fam, points[rest], np.unique(np.array(pres.duals), axis=0))]
        wseeds = np.asarray(pres.w, dtype=np.int64)
        parts.append((head, pres))
        if progress:
            progress(pil)
    blocks = [b for b in np.array_split(rest, n_jobs) if b.size]
    args = [(fam, T, lam_cost, mode, wseeds, points[b], excludes[b], bool(pil)) for b in blocks]
    with ProcessPoolExecutor(n_jobs, mp_context=mp.get_context("fork")) as ex:
        for b, part in zip(blocks, ex.map(_solve_chunk, args), strict=True):
            parts.append((b, part))
            if progress:
                progress(len(part.status))
    out = _empty(fam, npts)
    for b, part in parts:
        _scatter(out, b, part)
        out.rounds += part.rounds
    return out
