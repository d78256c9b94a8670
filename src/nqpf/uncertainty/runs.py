"""The runs of an uncertainty analysis: from the Saltelli design to the reduced outputs.

:func:`design_runs` turns the design's points into each run's block, weight-table, aggregation, exclusion and
perturbation ids; :func:`execute` evaluates them by period chunks on a backend (two passes: each run's
largest |score|, then :func:`nqpf.uncertainty._kernel.chunk_reduce`); :func:`assemble` puts the chunk
reductions together; :func:`tables` and :func:`leave_one_out` make the output tables and
:func:`analysis_manifest` the manifest.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf._util import package_versions
from nqpf.uncertainty._kernel import chunk_reduce, chunk_rows, chunk_scale, rank_matrix, score_runs
from nqpf.uncertainty.backends import Executor
from nqpf.uncertainty.model import Model
from nqpf.uncertainty.sampling import SaltelliDesign, saltelli_design, to_discrete
from nqpf.uncertainty.settings import FACTORS, Execution, Outputs, Perturbation, Sampling


@dataclass(frozen=True)
class Runs:
    """Every run of the design (``n (k + 2)``, design order): the option index of each factor (``choice``) and
    the ids the evaluator reads — block, weight-table row, aggregation, exclusion, perturbation-bank entry
    (−1 = none) — and the bank itself (``bank × leaves`` uniform draws, or None)."""

    design: SaltelliDesign
    choice: dict[str, np.ndarray]
    blk: np.ndarray
    wid: np.ndarray
    agg: np.ndarray
    exc: np.ndarray
    bank_ids: np.ndarray
    bank: np.ndarray | None

    @property
    def n(self) -> int:
        return len(self.blk)


def design_runs(model: Model, opts: dict, varying: list[str], samples: int, seed: int,
                perturbation: Perturbation) -> Runs:
    """The runs of a Saltelli design of ``samples`` base points over the ``varying`` factors; weight tables
    are computed once per (block, weighting, exclusion). The perturbation bank is drawn from
    ``SeedSequence(seed, spawn_key=(0x5E,))`` (independent of the task seeds); with ``uniform`` its entry 0
    leaves the weights unperturbed, so the nominal configuration is one point of the sampled space."""
    design = saltelli_design(int(samples), len(varying), int(seed))
    U = design.matrix()
    n_runs = U.shape[0]
    choice = {f: np.zeros(n_runs, dtype=np.int64) for f in FACTORS}
    for j, f in enumerate(varying):
        choice[f] = to_discrete(U[:, j], len(opts[f]))
    blk = np.array([model.blocks[(opts["impute"][a], opts["treat"][b], opts["normalize"][c])]
                    for a, b, c in zip(choice["impute"], choice["treat"], choice["normalize"], strict=True)])
    exc = choice["exclude"] if "exclude" in varying else np.zeros(n_runs, dtype=np.int64)
    keys = np.stack([blk, choice["weights"], exc], axis=1)
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    wid_u = np.array([model.weight_id(int(b), opts["weights"][int(w)], int(e)) for b, w, e in uniq])
    bank_ids, bank = np.full(n_runs, -1), None
    if "perturb" in varying:
        bank_ids = np.array(opts["perturb"])[choice["perturb"]]
        ss = np.random.SeedSequence(int(seed), spawn_key=(0x5E,))  # independent of the task seeds
        bank = np.random.default_rng(ss).random((perturbation.bank, len(model.leaves)))
        bank = np.minimum(np.maximum(bank, np.finfo(float).tiny), np.nextafter(1.0, 0.0))
        if perturbation.mode == "uniform":
            bank[0] = 0.5  # entry 0 leaves the weights unperturbed: the nominal configuration is in the sampled space
    return Runs(design, choice, blk, wid_u[inv.reshape(-1)], choice["aggregate"], exc, bank_ids, bank)


@dataclass(frozen=True)
class Plan:
    """How the runs are evaluated: backend and workers, period chunks (positions), runs per batch and the
    batches ``(run ids, blk, wid, agg, exc, bank)``, grouped by (block, aggregation, exclusion)."""

    backend: str
    workers: int
    work: int
    chunks: list[np.ndarray]
    per_chunk: int
    batch_size: int
    batches: list[tuple]


def batches_of(runs: Runs, batch_size: int) -> list[tuple]:
    """Batches of ``batch_size`` runs grouped by (block, aggregation, exclusion) so that a batch reads few
    blocks: ``(run ids, blk, wid, agg, exc, bank)``."""
    order = np.lexsort((runs.exc, runs.agg, runs.blk))
    return [(idx, runs.blk[idx], runs.wid[idx], runs.agg[idx], runs.exc[idx], runs.bank_ids[idx])
            for idx in (order[s0:s0 + int(batch_size)] for s0 in range(0, runs.n, int(batch_size)))]


def execute(ctx: dict, plan: Plan, ex: Executor, payload: dict, *, seed: int, progress, clock
            ) -> tuple[list[dict], int]:
    """Evaluate every run on every period chunk on the executor ``ex``: first each run's largest |score| (the
    tie scale of the ranks, over all periods), then the chunk reductions
    (:func:`~nqpf.uncertainty._kernel.chunk_reduce`; ``payload`` holds ``r_nom`` over all rows, ``top_k``,
    ``keep``, ``sobol``). The context is shared with the workers once; only reductions come back. Returns
    (the chunk reductions in chunk order, the number of workers that ran a task)."""
    n_runs, chunks, batches = payload["n_runs"], plan.chunks, plan.batches
    total_tasks = 2 * len(chunks)
    ex.share({key: v for key, v in ctx.items() if key != "_cache"})  # derived arrays are rebuilt per chunk
    cb1 = (lambda done: progress(done, total_tasks)) if progress else None
    scale = np.zeros(n_runs)
    for part in ex.map(chunk_scale, [(c, batches, n_runs) for c in chunks], seed=int(seed), progress=cb1):
        np.maximum(scale, part, out=scale)
    clock.lap("runs_scale")
    payloads = []
    for c in chunks:
        rows = chunk_rows(c, ctx["n_units"], ctx["n_periods"])
        payloads.append({"periods": c, "batches": batches, "n_runs": n_runs, "scale": scale,
                         "r_nom": payload["r_nom"][rows], "top_k": payload["top_k"], "keep": payload["keep"],
                         "sobol": payload["sobol"]})
    cb2 = (lambda done: progress(len(chunks) + done, total_tasks)) if progress else None
    parts = ex.map(chunk_reduce, payloads, seed=int(seed), progress=cb2)
    clock.lap("runs")
    return parts, max(1, len(ex.used))


def assemble(parts: list[dict], n_runs: int, n_rows: int, k: int, unit_sensitivity: bool,
             keep_runs) -> dict[str, Any]:
    """The chunk reductions put together over all unit-periods (each part is released once copied):
    ``qs``/``qr`` (3 × rows), ``p_top``, ``p_bottom``, ``below``, ``equal``, ``shift`` (each run's mean
    absolute rank shift: Σ|rank − nominal| are integers, exact in int64, divided once), ``S1``/``ST``/``rv``
    (or None) and ``scores``/``ranks`` (with ``keep_runs``, else None)."""
    out: dict[str, Any] = {"qs": np.empty((3, n_rows)), "qr": np.empty((3, n_rows))}
    for name in ("p_top", "p_bottom", "below", "equal"):
        out[name] = np.empty(n_rows)
    shift_sum = np.zeros(n_runs, dtype=np.int64)
    s1 = st = rv = None
    if unit_sensitivity:
        s1, st, rv = np.empty((k, n_rows)), np.empty((k, n_rows)), np.empty(n_rows)
    keep = keep_runs is not False and keep_runs is not None
    scores = ranks = None
    if keep:
        scores, ranks = run_matrices(keep_runs, n_runs, n_rows)
    for i, part in enumerate(parts):
        rows = part["rows"]
        for name in ("qs", "qr"):
            out[name][:, rows] = part[name]
        for name in ("p_top", "p_bottom", "below", "equal"):
            out[name][rows] = part[name]
        shift_sum += part["shift_sum"]
        if unit_sensitivity:
            s1[:, rows], st[:, rows], rv[rows] = part["S1"], part["ST"], part["variance"]
        if keep:
            scores[:, rows], ranks[:, rows] = part["scores"], part["ranks"]
        parts[i] = None
    if keep and not isinstance(keep_runs, bool):
        scores, ranks = finish_run_files(keep_runs, scores, ranks)
    out.update(shift=shift_sum.astype(float) / n_rows, S1=s1, ST=st, rv=rv, scores=scores, ranks=ranks)
    return out


def run_matrices(keep_runs, n_runs: int, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Run × unit-period matrices of scores (float64) and ranks (int32): in memory (``keep_runs=True``) or
    memory-mapped ``.npy`` files in the folder ``keep_runs`` (written under temporary names, see
    :func:`finish_run_files`)."""
    if isinstance(keep_runs, bool):
        return np.empty((n_runs, n_rows)), np.empty((n_runs, n_rows), dtype=np.int32)
    d = Path(keep_runs)
    d.mkdir(parents=True, exist_ok=True)
    fmt = np.lib.format
    return (fmt.open_memmap(d / ".scores.npy.tmp", mode="w+", dtype=np.float64, shape=(n_runs, n_rows)),
            fmt.open_memmap(d / ".ranks.npy.tmp", mode="w+", dtype=np.int32, shape=(n_runs, n_rows)))


def finish_run_files(keep_runs, scores: np.memmap, ranks: np.memmap) -> tuple[np.ndarray, np.ndarray]:
    """Flush the run matrices, rename them to ``scores.npy`` and ``ranks.npy`` (atomic rename) and reopen
    them read-only, memory-mapped."""
    d = Path(keep_runs)
    out = []
    for name, arr in (("scores", scores), ("ranks", ranks)):
        arr.flush()
        del arr
        os.replace(d / f".{name}.npy.tmp", d / f"{name}.npy")
        out.append(np.load(d / f"{name}.npy", mmap_mode="r"))
    return out[0], out[1]


def tables(red: dict, units: np.ndarray, pers: np.ndarray, r_nom: np.ndarray, s_nom: np.ndarray, kk: int,
           varying: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """``rank_intervals``, ``rank_probabilities`` and ``unit_sensitivity`` (None unless computed) from the
    assembled reductions ``red`` (:func:`assemble`)."""
    qs, qr, pers = red["qs"], red["qr"], pers.astype("int64")
    rank_intervals = pd.DataFrame({
        "unit": units, "period": pers, "rank_nominal": r_nom,
        "rank_median": qr[1], "rank_p05": qr[0], "rank_p95": qr[2],
        "score_median": qs[1], "score_p05": qs[0], "score_p95": qs[2]})
    rank_probs = pd.DataFrame({
        "unit": units, "period": pers, "rank_nominal": r_nom, "score_nominal": s_nom, "k": kk,
        "p_top_k": red["p_top"], "p_bottom_k": red["p_bottom"],
        "nominal_percentile": red["below"] + 0.5 * red["equal"],
        "nominal_inside": (r_nom >= qr[0]) & (r_nom <= qr[2])})
    unit_sens = None
    if red["S1"] is not None:
        k, rows = len(varying), len(units)
        unit_sens = pd.DataFrame({
            "unit": np.tile(units, k), "period": np.tile(pers, k),
            "factor": np.repeat(varying, rows),
            "first_order": red["S1"].reshape(-1), "total_order": red["ST"].reshape(-1),
            "rank_variance": np.tile(red["rv"], k)})
    return rank_intervals, rank_probs, unit_sens


def runs_table(runs: Runs, opts: dict, varying: list[str], shift: np.ndarray) -> pd.DataFrame:
    """One row per run: its design block (A, B, AB_factor), the option of every factor, its mean absolute
    rank shift."""
    out = pd.DataFrame({f: (np.array(opts[f], dtype=object)[runs.choice[f]] if f in varying
                            else np.array([opts[f][0]] * runs.n, dtype=object)) for f in FACTORS})
    out.insert(0, "block", np.repeat(["A", "B"] + [f"AB_{f}" for f in varying], runs.design.n))
    out["mean_abs_rank_shift"] = shift
    return out


def leave_one_out(model: Model, ctx: dict, b0: int, weights: str, r_nom: np.ndarray,
                  w_nom: pd.Series) -> pd.DataFrame:
    """Rank shifts when each indicator is dropped from the nominal configuration (block ``b0``, weighting
    ``weights``; ``w_nom``: the nominal effective weight of each leaf)."""
    L = len(model.leaves)
    labels = [f"indicator:{x}" for x in model.leaves]
    pos = {lab: e for e, (lab, _) in enumerate(model.exclusions)}
    for lab, x in zip(labels, model.leaves, strict=True):
        if lab not in pos:
            m = np.array([y != x for y in model.leaves])
            pos[lab] = len(model.exclusions)
            model.exclusions.append((lab, m))
    ctx = dict(ctx)
    ctx["masks"] = np.array([m for _, m in model.exclusions])  # with any exclusions added above
    wid = np.array([model.weight_id(b0, weights, pos[lab]) for lab in labels])
    ctx["W"] = np.array(model.W_rows)
    scores = score_runs(ctx, np.full(L, b0), wid, np.zeros(L, dtype=np.int64),
                        np.array([pos[lab] for lab in labels]), np.full(L, -1))
    ranks = rank_matrix(scores, ctx["n_units"], ctx["n_periods"])
    d = np.abs(ranks - r_nom[None])
    return pd.DataFrame({
        "indicator": model.leaves,
        "weight_nominal": [float(w_nom[x]) for x in model.leaves],
        "mean_abs_rank_shift": d.mean(axis=1),
        "max_abs_rank_shift": d.max(axis=1),
        "share_changed": (d > 0).mean(axis=1),
    })


def analysis_manifest(st: Any, sampling: Sampling, perturbation: Perturbation, outputs: Outputs,
                      execution: Execution, plan: Plan, runs: Runs, seed: int, kk: int, workers_used: int,
                      laps: dict[str, float]) -> dict:
    """The analysis' manifest (``docs/uncertainty.md``); ``st``: the setup of :mod:`nqpf.uncertainty.montecarlo`
    (framework, nominal build and settings, options, varied factors, notes); ``laps``: phase timings (s);
    ``nominal_outside`` is added by the caller."""
    keep_runs = outputs.keep_runs
    return {
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "framework": st.fw.name, "framework_hash": st.fw.hash,
        "data": st.build.manifest.get("data"), "input_hash": st.build.manifest.get("input_hash"),
        "nominal": dict(st.nominal),
        "index_options": {k: ("given" if k == "groups" else v) for k, v in st.index_options.items()},
        "design": {"scheme": "Saltelli 2010 A/B/AB_i, scrambled Sobol' (scipy.stats.qmc)",
                   "base_samples": int(sampling.samples), "factors": st.varying, "runs": int(runs.n),
                   "seed": int(seed)},
        "factors": {f: {"options": [str(o) for o in st.opts[f]] if f != "perturb" else
                        {"bank": perturbation.bank, "mode": perturbation.mode, "amount": perturbation.amount,
                         "dirichlet_concentration": perturbation.dirichlet_concentration},
                        "varied": f in st.varying} for f in FACTORS},
        "exclude_mode": sampling.exclude,
        "estimators": {"first_order": "Saltelli et al. 2010", "total_order": "Jansen 1999",
                       "output": "mean absolute rank shift from the nominal ranking",
                       "bootstrap": {"resamples": outputs.n_boot, "level": outputs.level, "kind": "percentile"}},
        "quantiles": "numpy.quantile, linear interpolation, over all runs (exact: computed per period chunk "
                     "on every run's values)",
        "top_k": kk,
        "execution": {"requested": execution.backend, "backend": plan.backend, "workers": plan.workers,
                      "work_cells": int(plan.work), "batch_size": plan.batch_size, "batches": len(plan.batches),
                      "chunks": len(plan.chunks), "periods_per_chunk": int(plan.per_chunk),
                      "workers_used": workers_used, "scheduler": execution.scheduler,
                      "keep_runs": outputs.keep if isinstance(keep_runs, bool) or keep_runs is None
                      else str(keep_runs)},
        "notes": st.notes, "versions": package_versions(("dask", "distributed", "SALib")),
        "timings_s": laps,
        "nominal_in_space": bool(perturbation.mode == "uniform" or "perturb" not in st.varying),
    }


def nominal_outside(rank_probs: pd.DataFrame, intervals: pd.DataFrame) -> dict[str, Any]:
    """Unit-periods whose nominal rank lies outside their 5–95 % interval, and why: the nominal configuration is
    one point of the sampled space, so this happens when most alternatives agree with each other against it
    (the nominal percentile is then below 5 % or above 95 %)."""
    bad = rank_probs[~rank_probs["nominal_inside"]]
    rows = bad.merge(intervals[["unit", "period", "rank_p05", "rank_p95"]], on=["unit", "period"])
    return {
        "count": int(len(rows)),
        "of": int(len(rank_probs)),
        "why": "the nominal configuration is one point of the sampled space; a nominal rank falls outside its "
               "5-95 % interval when more than 95 % of the alternatives rank the unit on the same side of it "
               "(nominal_percentile < 0.05 or > 0.95)",
        "cases": [
            {"unit": str(r.unit), "period": int(r.period), "rank_nominal": int(r.rank_nominal),
             "rank_p05": float(r.rank_p05), "rank_p95": float(r.rank_p95),
             "nominal_percentile": float(r.nominal_percentile)}
            for r in rows.itertuples()
        ][:200],
    }
