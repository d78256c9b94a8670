"""Monte Carlo uncertainty and variance-based sensitivity analysis over the index pipeline's choices.

The analysis varies an :class:`nqpf.index.IndexSpec`: the spec is the nominal configuration (its data,
framework, periods, steps and options), and every run is the same index with some of its choices replaced.
``run_uncertainty(spec=spec)``, or the keyword form ``run_uncertainty(data, framework, impute=…, …)``, which
builds the spec (:meth:`IndexSpec.from_args`); the other knobs are grouped in
:mod:`nqpf.uncertainty.settings` (:class:`Sampling`, :class:`Perturbation`, :class:`Outputs`,
:class:`Execution`), whose fields are accepted as keywords too.

Factors (each a discrete choice; a Sobol' coordinate u picks option ``floor(u m)``, see
:mod:`nqpf.uncertainty.sampling`):

==============  ===========================================================================================
``impute``      missing-data method (only when the data have gaps)
``treat``       outlier rule
``normalize``   normalisation
``weights``     weighting method (weights recomputed on each run's normalised data and kept indicators)
``perturb``     weight perturbation: one of ``bank`` pre-drawn perturbations (seeded) applied to the run's
                weights — ``uniform``: ``w_l (1 + x (2v_l − 1))`` with v ~ U(0,1) (±x, default ±25 %);
                ``dirichlet``: ``w' ~ Dirichlet(c w)`` (mean w, concentration c), via
                ``w'_l ∝ Gamma⁻¹(v_l; c w_l)``; then renormalised
``aggregate``   aggregation method of the index (root) over its leaves
``exclude``     nothing, or drop one indicator (``exclude="indicator"``), one dimension (a child of the
                root, ``"dimension"``) or either (``"both"``)
==============  ===========================================================================================

Every run is an index of the same framework with the leaves weight scope: normalise → weights over the kept
leaves → perturbation → aggregation of the root over the kept leaves → ranks within each period (1 = best,
ties share the best rank, as :func:`nqpf.index.build_index`). It is vectorised across runs:

* each (impute, treat, normalise) block is built **once** and cached with the index's own stages
  (:class:`nqpf.uncertainty.model.Model`: :func:`nqpf.index.pipeline.run_stages` up to ``impute`` once per
  imputation method, then :func:`nqpf.index.stages.treat` and :func:`nqpf.index.stages.normalise`; no
  weights, aggregation or ranks of every node per combination);
* weights are computed once per (block, method, exclusion) with :mod:`nqpf.index.weights`;
* a batch of runs is scored as matrix products ``(runs × leaves) @ (leaves × unit-periods)``: arithmetic
  ``Σ w z``; geometric (shift rule) ``exp(Σ w ln(z + δ)) − δ``; TOPSIS ``D± = sqrt(Σ w² (z − z±)²)``
  (exact, since ``max_i w z_il = w max_i z_il`` for w ≥ 0); grey relational ``Σ w ξ`` with ξ per exclusion;
  the same formulas as :mod:`nqpf.index.aggregate` (checked against it in the tests).

A dropped indicator or dimension is removed from the weighting and the aggregation (objective weights are
recomputed on the kept leaves; subjective weights are renormalised within each parent). Normalisation,
treatment and imputation act column by column, so they are unaffected by dropping other columns.

Streaming: the runs are evaluated by period chunks (all units of some periods; ranks are within period), each
chunk reduced at once to the outputs below (:func:`nqpf.uncertainty._kernel.chunk_reduce`), so memory is
bounded by one chunk's runs × unit-periods matrices, not all of them; every output equals the unchunked
computation bit for bit (tested against the pre-streaming implementation's saved outputs). A first cheap pass
gives each run's largest |score| over all periods (the tie scale of the ranks). Per-run scores and ranks are
kept only with ``keep_runs`` (True: in memory; a folder: memory-mapped ``scores.npy`` / ``ranks.npy``).

Outputs per unit and period (over all ``n (k + 2)`` runs of the Saltelli design): median, 5 % and 95 %
quantiles of score and rank (linear interpolation), probability of a top-k / bottom-k rank and the
nominal rank's percentile in its distribution. Sensitivity (Saltelli 2010 first order, Jansen 1999 total
order, bootstrap CIs) of every varied factor on the mean absolute rank shift from the nominal ranking and
on each unit-period's rank. A leave-one-indicator-out table gives the rank shifts when each indicator is
dropped from the nominal configuration.
"""

from __future__ import annotations

import itertools
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf._protocol import ResultProtocol, ensure_manifest
from nqpf.errors import DataError, MethodError
from nqpf.framework import Framework, load_framework
from nqpf.index import build_index
from nqpf.index.spec import IndexSpec
from nqpf.uncertainty._kernel import column_stats as _column_stats
from nqpf.uncertainty._kernel import evaluate_batch as _evaluate_batch
from nqpf.uncertainty._kernel import rank_matrix as _rank_matrix
from nqpf.uncertainty._kernel import score_runs as _score_runs
from nqpf.uncertainty.backends import Executor, check_scheduler, resolve_backend
from nqpf.uncertainty.estimators import sensitivity_table
from nqpf.uncertainty.model import (
    SEPARABLE_WEIGHTS,
    Model,
    check_geometric,
    load_data,
    one_blas_thread,
    quiet,
    resolve_options,
)
from nqpf.uncertainty.model import Model as _Model  # noqa: F401  (re-exported: the old private name)
from nqpf.uncertainty.model import load_data as _load_data  # noqa: F401  (re-exported: the old private name)
from nqpf.uncertainty.runs import (
    Plan,
    Runs,
    analysis_manifest,
    assemble,
    batches_of,
    design_runs,
    execute,
    leave_one_out,
    nominal_outside,
    runs_table,
    tables,
)
from nqpf.uncertainty.settings import (
    AGGREGATIONS,
    DEFAULT_OPTIONS,
    FACTORS,
    Execution,
    Outputs,
    Perturbation,
    Sampling,
    split_keywords,
)

__all__ = ["FACTORS", "DEFAULT_OPTIONS", "UncertaintyResult", "run_uncertainty", "evaluate_configs",
           "Sampling", "Perturbation", "Outputs", "Execution", "AGGREGATIONS", "SEPARABLE_WEIGHTS"]

#: With backend="auto", runs × unit-periods × indicators below this stay in this process. The runs are
#: cheap matrix products; measured on 2 cores (bench/bench_scale.py), spawning workers, shipping the blocks
#: and returning every run's scores and ranks cost more than they save up to county scale (1.3·10⁹ cells).
AUTO_PROCESSES_MIN_WORK = 10_000_000_000
#: Default batch: about this many (run × unit-period × indicator) cells per task (16 to 1,024 runs).
BATCH_CELLS = 80_000_000
#: Target size of one period chunk's score (float64) and rank (int32) matrices over all runs, in bytes.
CHUNK_BYTES = 256 * 2**20
RANK_COLUMNS = ["unit", "period", "rank_nominal", "rank_median", "rank_p05", "rank_p95", "score_median",
                "score_p05", "score_p95"]
SENS_COLUMNS = ["factor", "first_order", "total_order", "first_order_ci_low", "first_order_ci_high",
                "total_order_ci_low", "total_order_ci_high"]


# --------------------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------------------
@dataclass
class UncertaintyResult(ResultProtocol):
    """Tables of an uncertainty/sensitivity analysis (columns documented in ``docs/uncertainty.md``).

    ``rank_intervals``: unit, period, rank_nominal, rank_median, rank_p05, rank_p95, score_median, score_p05,
    score_p95. ``rank_probabilities``: unit, period, rank_nominal, score_nominal, k, p_top_k, p_bottom_k,
    nominal_percentile, nominal_inside. ``sensitivity``: factor, first_order, total_order and their CI bounds
    (output: mean absolute rank shift). ``unit_sensitivity``: unit, period, factor, first_order, total_order,
    rank_variance. ``leave_one_out``: indicator, weight_nominal, mean_abs_rank_shift, max_abs_rank_shift,
    share_changed. ``runs``: one row per run (its option of every factor and its mean absolute rank shift).
    """

    rank_intervals: pd.DataFrame
    rank_probabilities: pd.DataFrame
    sensitivity: pd.DataFrame
    unit_sensitivity: pd.DataFrame | None
    leave_one_out: pd.DataFrame
    runs: pd.DataFrame
    manifest: dict
    #: runs × unit-periods scores (float64) and ranks (int32), only with ``keep_runs`` (else None)
    scores: np.ndarray | None = field(repr=False, default=None)
    ranks: np.ndarray | None = field(repr=False, default=None)

    # --- results protocol (nqpf._protocol): summary/to_latex/to_excel/plot from ResultProtocol -------------
    kind = "uncertainty"  # plot kinds: 'intervals'

    def __post_init__(self) -> None:
        ensure_manifest(self.manifest, self.kind)  # the common manifest keys (schema nqpf.manifest/1)

    def summary(self, period: int | None = None, *, lang: str = "en", **kw) -> pd.DataFrame:
        """Rank intervals of ``period`` (default latest): code, name, nominal and median rank, 5 %/95 % rank."""
        return super().summary(lang=lang, period=period, **kw)

    def to_frame(self) -> pd.DataFrame:
        """The rank intervals: unit, period, rank_nominal, rank_median, rank_p05, rank_p95, score_median,
        score_p05, score_p95."""
        return self.rank_intervals[RANK_COLUMNS]

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables of :meth:`write`'s folder form (:data:`OUTPUT_FILES`; unit_sensitivity when computed)."""
        return {"rank_intervals": self.to_frame(), "sensitivity": self.sensitivity[SENS_COLUMNS],
                "rank_probabilities": self.rank_probabilities, "leave_one_out": self.leave_one_out,
                "unit_sensitivity": self.unit_sensitivity}

    def write(self, path: str | os.PathLike, *, lang: str = "en", raw_text: bool = False,
              force: bool = True) -> Path:
        """:meth:`nqpf._protocol.ResultProtocol.write`; a folder (``path`` without suffix) gets every table as
        CSV plus ``manifest.json``. ``force`` defaults to True here (``nqpf uncertainty`` and ``nqpf demo``
        rewrite their output folder). Text cells that would start a spreadsheet formula get a leading
        apostrophe unless ``raw_text``."""
        return super().write(path, lang=lang, raw_text=raw_text, force=force)


#: Files :meth:`UncertaintyResult.write` writes into its folder (unit_sensitivity.csv when computed).
OUTPUT_FILES = ("rank_intervals.csv", "sensitivity.csv", "rank_probabilities.csv", "leave_one_out.csv",
                "unit_sensitivity.csv", "manifest.json")


# --------------------------------------------------------------------------------------------------------
# the analysis
# --------------------------------------------------------------------------------------------------------
class _Clock:
    """Wall-clock laps of the analysis' phases (for the manifest)."""

    def __init__(self) -> None:
        self.t = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self.t, 3)
        self.t = now


@dataclass
class _Setup:
    """What the runs are made of: the framework, the nominal configuration (``nominal``: its steps and periods;
    ``index_options``; the nominal build's root scores, rows, manifest and weights in ``build``), every
    factor's options (nominal first), the varied factors, the model and the notes for the manifest."""

    fw: Framework
    nominal: dict
    index_options: dict
    build: _Nominal | None = None
    opts: dict = field(default_factory=dict)
    varying: list[str] = field(default_factory=list)
    model: Model | None = None
    notes: list[str] = field(default_factory=list)


@one_blas_thread
def run_uncertainty(data: Any = None, framework: Any = None, *, spec: IndexSpec | None = None,
                    sampling: Sampling | None = None, perturbation: Perturbation | None = None,
                    outputs: Outputs | None = None, execution: Execution | None = None, seed: int | None = None,
                    progress=None, **keywords: Any) -> UncertaintyResult:
    """Monte Carlo uncertainty and Sobol' sensitivity of the index ranking (module docstring).

    The index is ``spec`` (an :class:`~nqpf.index.IndexSpec`, also accepted as the first argument; its steps
    and options are the nominal configuration, unset ones resolved by
    :func:`nqpf.index.registry.resolve_method`), or the spec of ``data``, ``framework`` and the index's own
    keywords (``impute`` … ``aggregate``, ``periods``, ``unit_filter``, options such as ``winsorize_q``), as
    :func:`nqpf.index.build_index` takes them. The other settings come in groups
    (:mod:`nqpf.uncertainty.settings`), each field also accepted as a keyword that overrides the group:
    :class:`Sampling` (``samples``: base sample size n, the model runs ``n (k + 2)`` times for k varied
    factors; ``vary``; ``options``: factor → option list, default :data:`DEFAULT_OPTIONS`, the nominal setting
    always first; ``exclude``), :class:`Perturbation` (keywords ``perturb``, ``perturb_amount``,
    ``dirichlet_concentration``, ``perturb_bank``), :class:`Outputs` (``top_k``, ``n_boot``, ``level``,
    ``unit_sensitivity``, ``keep_runs``: also return every run's scores and ranks — True: in memory; a folder:
    memory-mapped ``scores.npy`` and ``ranks.npy``) and :class:`Execution` (``backend``, ``workers``,
    ``scheduler``, ``batch_size``, ``connect_timeout``, ``dask_processes``, ``worker_start_timeout``: seconds
    the processes backend waits for its workers, then a
    :class:`~nqpf.uncertainty.backends.BackendError` naming the missing ``if __name__ == "__main__":`` guard).
    ``seed``: default the spec's, else 0. ``progress(done, total)`` is called as tasks finish (two per period
    chunk).
    """
    groups, rest = split_keywords({Sampling: sampling, Perturbation: perturbation, Outputs: outputs,
                                   Execution: execution}, keywords)
    if isinstance(data, IndexSpec):
        spec, data = data, None
    if spec is None:
        if data is None or framework is None:
            raise MethodError("run_uncertainty: give data and a framework, or spec=IndexSpec(...)")
        spec = IndexSpec.from_args(data, framework, **rest)
    elif data is not None or framework is not None or rest:
        given = (["data"] if data is not None else []) + (["framework"] if framework is not None else []) + sorted(rest)
        raise MethodError(f"run_uncertainty(spec=...): give no other index settings (got {given}); change the spec "
                          "with spec.replace(...)")
    seed = seed if seed is not None else (spec.seed if spec.seed is not None else 0)
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise MethodError(f"seed must be a non-negative integer, got {seed!r}")
    return _analyse(spec, groups[Sampling], groups[Perturbation], groups[Outputs], groups[Execution], int(seed),
                    progress)


def _settings(spec: IndexSpec) -> _Setup:
    """The framework, nominal steps and periods, and index options of ``spec``, resolved (unset steps and
    options take the framework's declared method, else the engine default)."""
    fw = spec.load_framework()
    kw = spec.resolved().build_kwargs()
    if kw.pop("weight_scope") != "leaves":
        raise MethodError("uncertainty analysis supports weight_scope='leaves' only")
    nominal = {k: kw.pop(k) for k in ("impute", "treat", "normalize", "weights", "aggregate")}
    if not isinstance(nominal["aggregate"], str):
        raise MethodError("uncertainty analysis needs one aggregation method for the index (a string), "
                          f"got {nominal['aggregate']!r}")
    nominal["periods"] = kw.pop("periods", None)
    return _Setup(fw, nominal, kw)


def _prepare(spec: IndexSpec, st: _Setup, sampling: Sampling, perturbation: Perturbation, clock: _Clock) -> None:
    """Read the data once (reduced to a wide table of the framework's series), build the nominal index (the
    spec), resolve every factor's options and set up the model in ``st``."""
    data = load_data(spec.load_data(), st.fw, st.nominal["periods"], st.index_options)
    steps = {k: v for k, v in st.nominal.items() if k != "periods"}
    res, msgs = quiet(build_index, data, st.fw, rank_nodes="index", periods=st.nominal["periods"], **steps,
                      **st.index_options)
    st.notes.extend(f"nominal: {m}" for m in dict.fromkeys(msgs))
    # keep only what the analysis reads of the nominal build (its node × unit-period arrays are large)
    st.build = _Nominal(np.array(res.S[:, res.node_ids.index(st.fw.root)]), res.units, res.periods,
                        res.manifest, res.weights)
    del res
    has_gaps = st.build.manifest.get("imputed_cells", 0) > 0
    st.opts, st.varying = resolve_options(sampling.vary, sampling.options, st.nominal, st.fw, has_gaps,
                                          perturbation.bank, st.notes)
    for n in st.notes:
        if "dropped" in n:
            warnings.warn(n, UserWarning, stacklevel=5)  # the caller of run_uncertainty
    st.model = Model(data, st.fw, st.nominal, st.opts, sampling.exclude, st.index_options, st.notes)
    if "exclude" in st.varying and len(st.model.exclusions) < 2:
        st.varying.remove("exclude")
        st.notes.append(f"factor 'exclude' dropped: nothing can be dropped with exclude={sampling.exclude!r} "
                        "(a single option)")
        warnings.warn(st.notes[-1], UserWarning, stacklevel=5)  # the caller of run_uncertainty
    st.opts["exclude"] = [label for label, _ in st.model.exclusions] if "exclude" in st.varying else ["none"]
    if not st.varying:
        raise MethodError("uncertainty analysis: no factor varies (every factor has a single option); "
                          f"vary at least one of {', '.join(FACTORS)} with two or more options")
    clock.lap("nominal")


@dataclass(frozen=True)
class _Nominal:
    """What the analysis reads of the nominal build: the root's scores, the rows' units and periods, the
    manifest and the weights table."""

    S_root: np.ndarray
    units: np.ndarray
    periods: np.ndarray
    manifest: dict
    weights: pd.DataFrame


def _nominal_ranks(ctx: dict, b0: int, w0: int, build: _Nominal) -> tuple[np.ndarray, np.ndarray]:
    """Scores and ranks of the vectorised evaluator at the nominal settings, checked against the engine's
    build (an internal error if they differ by more than 1e-9 relative)."""
    s_nom = _score_runs(ctx, np.array([b0]), np.array([w0]), np.array([0]), np.array([0]), np.array([-1]))
    r_nom = _rank_matrix(s_nom, ctx["n_units"], ctx["n_periods"])[0]
    s_nom = s_nom[0]
    gap = float(np.max(np.abs(s_nom - build.S_root)))
    if not gap <= 1e-9 * max(1.0, float(np.max(np.abs(s_nom)))):
        raise MethodError(f"internal check failed: the Monte Carlo evaluator differs from build_index by {gap:.3g} "
                          "at the nominal settings; please report this with the data and framework")
    return s_nom, r_nom


def _backend(st: _Setup, n_runs: int, execution: Execution) -> tuple[str, int, int]:
    """(backend, workers, work cells): ``auto`` stays in this process below :data:`AUTO_PROCESSES_MIN_WORK`
    cells (runs × unit-periods × indicators)."""
    requested = "dask" if execution.scheduler else execution.backend
    work = n_runs * len(st.build.units) * len(st.fw.leaves)
    if requested == "auto" and work < AUTO_PROCESSES_MIN_WORK:
        requested = "sequential"  # too little work to repay worker start-up (≈1 s per spawned worker)
    name, workers = resolve_backend(requested, len(np.unique(st.build.periods)), execution.workers)
    return name, workers, work


def _plan(runs: Runs, ctx: dict, n_leaves: int, execution: Execution, backend: tuple[str, int, int]) -> Plan:
    """Period chunks and batches: a chunk holds whole periods, its score and rank matrices near
    :data:`CHUNK_BYTES`, at least two chunks per worker (one period per chunk with a remote scheduler, whose
    worker count is unknown here: the most parallel split); a batch about :data:`BATCH_CELLS` cells."""
    n_runs, n_units, n_periods = runs.n, ctx["n_units"], ctx["n_periods"]
    be_name, be_workers, work = backend
    per_chunk = max(1, CHUNK_BYTES // (12 * n_runs * n_units))
    per_chunk = min(per_chunk, max(1, -(-n_periods // (2 * (n_periods if execution.scheduler else be_workers)))))
    chunks = [np.arange(p0, min(n_periods, p0 + per_chunk)) for p0 in range(0, n_periods, per_chunk)]
    batch_size = execution.batch_size
    if batch_size is None:
        batch_size = int(np.clip(BATCH_CELLS // (n_units * per_chunk * n_leaves), 16, 1024))
    return Plan(be_name, be_workers, work, chunks, per_chunk, int(batch_size), batches_of(runs, batch_size))


def _analyse(spec: IndexSpec, sampling: Sampling, perturbation: Perturbation, outputs: Outputs,
             execution: Execution, seed: int, progress) -> UncertaintyResult:
    """The analysis of ``spec`` (see :func:`run_uncertainty`). The workers start once the nominal index is
    built; they build the blocks (``execution.blocks``, when their tasks run in processes) and evaluate the
    runs."""
    st = _settings(spec)
    if execution.scheduler is not None:
        check_scheduler(execution.scheduler, execution.connect_timeout)  # fail fast, before any work
    clock = _Clock()
    _prepare(spec, st, sampling, perturbation, clock)
    model, opts, varying, opt = st.model, st.opts, st.varying, st.index_options
    backend = _backend(st, sampling.samples * (len(varying) + 2), execution)
    with Executor(backend[0], workers=backend[1], n_tasks=len(np.unique(st.build.periods)),
                  scheduler=execution.scheduler, connect_timeout=execution.connect_timeout,
                  dask_processes=execution.dask_processes, start_timeout=execution.worker_start_timeout) as ex:
        on_workers = ex.isolated and (execution.blocks == "workers"
                                      or (execution.blocks == "auto" and execution.scheduler is not None))
        model.build_blocks(ex if on_workers else None)
        clock.lap("blocks")
        runs = design_runs(model, opts, varying, sampling.samples, seed, perturbation)
        agg_names = list(dict.fromkeys(opts["aggregate"]))
        check_geometric(model, itertools.product(range(len(model.Z)), agg_names))
        b0 = model.blocks[(opts["impute"][0], opts["treat"][0], opts["normalize"][0])]
        w0 = model.weight_id(b0, opts["weights"][0], 0)  # the nominal weights (a table row before ctx["W"])
        ctx = model.context(agg_names, perturbation.mode, perturbation.amount, perturbation.dirichlet_concentration,
                            runs.bank, opt.get("zero_rule", "shift"), float(opt.get("delta", 0.01)),
                            float(opt.get("rho", 0.5)))
        ctx["colstats"] = _column_stats(model.Z)
        clock.lap("weights")
        s_nom, r_nom = _nominal_ranks(ctx, b0, w0, st.build)
        kk = int(min(max(outputs.top_k, 1), ctx["n_units"]))
        plan = _plan(runs, ctx, len(model.leaves), execution, backend)
        parts, workers_used = execute(
            ctx, plan, ex, {"n_runs": runs.n, "r_nom": r_nom, "top_k": kk, "keep": outputs.keep,
                            "sobol": (runs.design.n, len(varying)) if outputs.unit_sensitivity else None},
            seed=seed, progress=progress, clock=clock)
    red = assemble(parts, runs.n, ctx["n_rows"], len(varying), outputs.unit_sensitivity, outputs.keep_runs)
    del parts
    rank_intervals, rank_probs, unit_sens = tables(red, st.build.units, st.build.periods, r_nom, s_nom, kk, varying)
    clock.lap("summaries")
    yA, yB, yAB = runs.design.split(red["shift"])
    sens = sensitivity_table(yA, yB, yAB, varying, n_boot=outputs.n_boot, seed=seed, level=outputs.level)
    clock.lap("sensitivity")
    w_nom = st.build.weights.set_index("node")["effective_weight"]
    loo = leave_one_out(model, ctx, b0, opts["weights"][0], r_nom, w_nom)
    clock.lap("leave_one_out")
    manifest = analysis_manifest(st, sampling, perturbation, outputs, execution, plan, runs, seed, kk,
                                 workers_used, clock.laps)
    manifest["execution"]["blocks"] = "workers" if on_workers else "client"
    manifest["nominal_outside"] = nominal_outside(rank_probs, rank_intervals)
    return UncertaintyResult(rank_intervals=rank_intervals, rank_probabilities=rank_probs, sensitivity=sens,
                             unit_sensitivity=unit_sens, leave_one_out=loo,
                             runs=runs_table(runs, opts, varying, red["shift"]), manifest=manifest,
                             scores=red["scores"], ranks=red["ranks"])


@one_blas_thread
def evaluate_configs(data: Any, framework: Any, configs: list[dict], *, periods=None, **index_options: Any
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Root scores and ranks (each ``configs × unit-periods``) of explicit configurations, by the vectorised
    evaluator of the Monte Carlo. A config has keys ``impute, treat, normalize, weights, aggregate`` and
    optionally ``exclude`` (``"none"``, ``"indicator:ID"`` or ``"dimension:ID"``). Used to cross-check the
    evaluator against :func:`nqpf.index.build_index`."""
    if not configs:
        raise MethodError("evaluate_configs: no configurations given")
    fw = load_framework(framework)
    data = load_data(data, fw, periods, index_options)
    keys = ("impute", "treat", "normalize", "weights", "aggregate")
    missing = [c for c in configs if any(k not in c for k in keys)]
    if missing:
        raise MethodError(f"evaluate_configs: every config needs keys {keys}; got {missing[0]}")
    opts = {k: list(dict.fromkeys(c[k] for c in configs)) for k in keys}
    nominal = {**{k: opts[k][0] for k in keys}, "periods": periods}
    modes = {str(c.get("exclude", "none")).split(":")[0] for c in configs}
    mode = "both" if "dimension" in modes else "indicator"
    model = Model(data, fw, nominal, opts, mode, index_options, [])
    model.build_blocks()
    pos = {lab: e for e, (lab, _) in enumerate(model.exclusions)}
    try:
        exc = np.array([pos[str(c.get("exclude", "none"))] for c in configs])
    except KeyError as exc_:
        raise DataError(f"evaluate_configs: unknown exclusion {exc_}; use 'indicator:ID' or 'dimension:ID'") from None
    blk = np.array([model.blocks[(c["impute"], c["treat"], c["normalize"])] for c in configs])
    wid = np.array([model.weight_id(int(b), c["weights"], int(e)) for b, c, e in zip(blk, configs, exc, strict=True)])
    agg = np.array([opts["aggregate"].index(c["aggregate"]) for c in configs])
    check_geometric(model, [(int(b), c["aggregate"]) for b, c in zip(blk, configs, strict=True)])
    ctx = model.context(opts["aggregate"], "uniform", 0.1, 1.0, None, index_options.get("zero_rule", "shift"),
                        float(index_options.get("delta", 0.01)), float(index_options.get("rho", 0.5)))
    return _evaluate_batch(ctx, (blk, wid, agg, exc, np.full(len(configs), -1)), None)
