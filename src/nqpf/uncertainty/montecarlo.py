"""Monte Carlo uncertainty and variance-based sensitivity analysis over the index pipeline's choices.

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

* each (impute, treat, normalise) block is built **once** and cached: :func:`nqpf.index.build_index` runs once
  per imputation method, treatment and normalisation are then applied with the engine's step functions
  (no weights, aggregation or ranks of every node per combination);
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

import datetime as _dt
import functools
import itertools
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from nqpf._util import package_versions, write_csv_atomic, write_json_atomic
from nqpf.errors import DataError, MethodError, NQPFError
from nqpf.framework import Framework, load_framework
from nqpf.index import build_index
from nqpf.index import weights as wts
from nqpf.index.pipeline import _objective, _parse_weights, resolve_method
from nqpf.uncertainty._kernel import chunk_reduce as _chunk_reduce
from nqpf.uncertainty._kernel import chunk_rows as _chunk_rows
from nqpf.uncertainty._kernel import chunk_scale as _chunk_scale
from nqpf.uncertainty._kernel import column_stats as _column_stats
from nqpf.uncertainty._kernel import evaluate_batch as _evaluate_batch
from nqpf.uncertainty._kernel import rank_matrix as _rank_matrix
from nqpf.uncertainty._kernel import score_runs as _score_runs
from nqpf.uncertainty.backends import START_TIMEOUT, Executor, check_scheduler, resolve_backend
from nqpf.uncertainty.estimators import MIN_BASE_SAMPLES, sensitivity_table
from nqpf.uncertainty.sampling import saltelli_design, to_discrete

__all__ = ["FACTORS", "DEFAULT_OPTIONS", "UncertaintyResult", "run_uncertainty", "evaluate_configs"]

FACTORS = ("impute", "treat", "normalize", "weights", "perturb", "aggregate", "exclude")
DEFAULT_OPTIONS: dict[str, tuple[str, ...]] = {
    "impute": ("linear-carry", "linear-carry+group-mean"),
    "treat": ("none", "winsorize", "skewkurt"),
    "normalize": ("minmax-global", "rank"),
    "weights": ("entropy", "critic", "equal"),
    "aggregate": ("arithmetic", "geometric", "topsis"),
}
#: With backend="auto", runs × unit-periods × indicators below this stay in this process. The runs are
#: cheap matrix products; measured on 2 cores (bench/bench_scale.py), spawning workers, shipping the blocks
#: and returning every run's scores and ranks cost more than they save up to county scale (1.3·10⁹ cells).
AUTO_PROCESSES_MIN_WORK = 10_000_000_000
#: Weighting methods computed column by column (dropping a leaf = renormalising the others).
SEPARABLE_WEIGHTS = ("entropy", "cv", "equal")
#: Default batch: about this many (run × unit-period × indicator) cells per task (16 to 1,024 runs).
BATCH_CELLS = 80_000_000
#: Target size of one period chunk's score (float64) and rank (int32) matrices over all runs, in bytes.
CHUNK_BYTES = 256 * 2**20
AGGREGATIONS = ("arithmetic", "geometric", "topsis", "grey")
RANK_COLUMNS = ["unit", "period", "rank_nominal", "rank_median", "rank_p05", "rank_p95", "score_median",
                "score_p05", "score_p95"]
SENS_COLUMNS = ["factor", "first_order", "total_order", "first_order_ci_low", "first_order_ci_high",
                "total_order_ci_low", "total_order_ci_high"]


# --------------------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------------------
@dataclass
class UncertaintyResult:
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

    # --- paper-ready outputs (nqpf.report.results, imported when called: the report layer sits above) ---
    def summary(self, period: int | None = None, *, lang: str = "en") -> pd.DataFrame:
        """Rank intervals of ``period`` (default latest): code, name, nominal and median rank, 5 %/95 % rank."""
        from nqpf.report.results import summary

        return summary(self, lang=lang, period=period)

    def to_latex(self, path: str | os.PathLike | None = None, *, lang: str = "en", **kw) -> str:
        """Booktabs LaTeX of :meth:`summary` with notes (written atomically to ``path`` when given)."""
        from nqpf.report.results import latex

        return latex(self, path, lang=lang, **kw)

    def to_excel(self, path: str | os.PathLike, *, lang: str = "en", **kw):
        """A workbook of :meth:`summary` (table, caption and notes), written atomically."""
        from nqpf.report.results import excel

        return excel(self, path, lang=lang, **kw)

    def plot(self, kind: str = "intervals", *, lang: str = "en", path: str | os.PathLike | None = None,
             fmt: str | None = None, **kw):
        """'intervals': each unit's 5–95 % rank interval with its nominal rank (PNG/SVG at ``path`` or bytes)."""
        from nqpf.report.results import plot

        return plot(self, kind, lang=lang, path=path, fmt=fmt, **kw)

    def write(self, out_dir: str | os.PathLike, *, raw_text: bool = False) -> dict[str, Path]:
        """Write every table as CSV plus ``manifest.json`` into ``out_dir`` (atomically); returns the paths
        (:data:`OUTPUT_FILES`). Text cells that would start a spreadsheet formula get a leading apostrophe
        unless ``raw_text`` (:func:`nqpf._util.write_csv_atomic`)."""
        d = Path(out_dir)
        d.mkdir(parents=True, exist_ok=True)
        tables = {
            "rank_intervals": self.rank_intervals[RANK_COLUMNS],
            "sensitivity": self.sensitivity[SENS_COLUMNS],
            "rank_probabilities": self.rank_probabilities,
            "leave_one_out": self.leave_one_out,
            "unit_sensitivity": self.unit_sensitivity,
        }
        paths = {
            name: write_csv_atomic(d / f"{name}.csv", df, raw_text=raw_text)
            for name, df in tables.items()
            if df is not None
        }
        paths["manifest"] = write_json_atomic(d / "manifest.json", self.manifest)
        return paths


#: Files :meth:`UncertaintyResult.write` writes into its folder (unit_sensitivity.csv when computed).
OUTPUT_FILES = ("rank_intervals.csv", "sensitivity.csv", "rank_probabilities.csv", "leave_one_out.csv",
                "unit_sensitivity.csv", "manifest.json")


# --------------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------------
def _load_data(data: Any, fw: Framework, periods, index_options: dict) -> Any:
    """Resolve a path or dataset name once and reduce it to a wide table of the framework's series.

    The many :func:`~nqpf.index.build_index` calls of an analysis then skip reading and pivoting. A
    Dataset's unit groups are passed on as the ``groups`` option (used by group-mean imputation).
    """
    if isinstance(data, str | Path):
        p = Path(str(data))
        if p.exists():
            from nqpf.data.io import read

            data = read(p)
        else:
            import nqpf.datasets as ds

            data = ds.load(str(data))
    if hasattr(data, "data") and isinstance(getattr(data, "data", None), pd.DataFrame):
        units = getattr(data, "units", None)
        if isinstance(units, pd.DataFrame) and "group" in units.columns and "groups" not in index_options:
            index_options["groups"] = dict(zip(units["unit"].astype(str), units["group"], strict=False))
        data = data.data
    if isinstance(data, pd.DataFrame) and {"unit", "period", "indicator", "value"}.issubset(data.columns):
        from nqpf.data.panel import check_long
        from nqpf.index import parse_periods

        needed = {s for leaf in fw.leaves for s in fw.series_of(leaf)}
        df = data[data["indicator"].astype(str).isin(needed)]
        pers = parse_periods(periods)
        if pers is not None:
            df = df[pd.to_numeric(df["period"], errors="coerce").isin(pers)]
        if len(df):
            df = check_long(df)
            wide = df.pivot(index=["unit", "period"], columns="indicator", values="value")
            wide.columns.name = None
            return wide
    return data


def _quiet_build(data, fw, **kw):
    """build_index with its warnings captured (returned as messages for the manifest)."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = build_index(data, fw, **kw)
    return res, [str(w.message) for w in rec]


def _nominal_outside(rank_probs: pd.DataFrame, intervals: pd.DataFrame) -> dict[str, Any]:
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


def _subjective_leaf_weights(fw: Framework, within: dict[str, float], kept: set[str]) -> np.ndarray:
    """Effective leaf weights from within-parent weights, renormalised within each parent over the children
    that keep at least one leaf (a dropped child's share goes to its siblings)."""
    alive = {n: any(x in kept for x in fw.leaves_of(n)) for n in fw.ids}
    eff = {fw.root: 1.0}

    def weight(n: str) -> float:
        if n in eff:
            return eff[n]
        p = fw.parent(n)
        sibs = [c for c in fw.children(p) if alive[c]]
        tot = sum(within.get(c, 0.0) for c in sibs)
        share = (within.get(n, 0.0) / tot) if (alive[n] and tot > 0) else 0.0
        eff[n] = weight(p) * share
        return eff[n]

    return np.array([weight(x) if x in kept else 0.0 for x in fw.leaves])


def _leaf_weights(fw: Framework, Z: np.ndarray, method: str, kept_mask: np.ndarray, within_subj: dict | None,
                  opts: dict) -> np.ndarray:
    """Leaf weights (sum 1, 0 on dropped leaves) for one block, method and exclusion (leaves scope)."""
    leaves = fw.leaves
    subj, obj = _parse_weights(method)
    idx = np.flatnonzero(kept_mask)
    names = [leaves[i] for i in idx]
    w = np.zeros(len(leaves))
    w_o = None
    if obj is not None:
        # the same objective weights as build_index (incl. two objective methods combined, e.g. entropy+critic;
        # with a subjective part the objective is a single method, so combine/alpha are not used here)
        w_o = _objective(Z[:, idx], obj, names, shift=float(opts.get("entropy_shift", 0.0)),
                         combine=opts.get("combine", "linear"), alpha=float(opts.get("alpha", 0.5)))
    if subj is not None:
        ws_full = _subjective_leaf_weights(fw, within_subj or {}, set(names))
        w_s = ws_full[idx]
        if w_s.sum() <= 0:
            raise MethodError(f"weights {method!r}: the kept indicators have subjective weight 0")
        w_s = w_s / w_s.sum()
        if w_o is None:
            w[idx] = w_s
        else:
            w[idx] = wts.combine_weights(w_s, w_o, method=opts.get("combine", "linear"),
                                         alpha=float(opts.get("alpha", 0.5)))
    else:
        w[idx] = w_o
    s = w.sum()
    if not s > 0:
        raise MethodError(f"weights {method!r}: every kept indicator has weight 0")
    return w / s


# --------------------------------------------------------------------------------------------------------
# the analysis
# --------------------------------------------------------------------------------------------------------
class _Model:
    """Cached blocks, weight tables and option lists for a framework and data; builds run contexts."""

    def __init__(self, data, fw: Framework, nominal: dict, options: dict[str, list], exclude_mode: str,
                 index_options: dict, notes: list[str]):
        self.data, self.fw, self.nominal, self.options = data, fw, nominal, options
        self.index_options = index_options
        self.notes = notes
        self.leaves = fw.leaves
        L = len(self.leaves)
        self.exclusions: list[tuple[str, np.ndarray]] = [("none", np.ones(L, bool))]
        if exclude_mode in ("indicator", "both"):
            for i, x in enumerate(self.leaves):
                m = np.ones(L, bool)
                m[i] = False
                self.exclusions.append((f"indicator:{x}", m))
        if exclude_mode in ("dimension", "both"):
            for d in fw.children(fw.root):
                lv = set(fw.leaves_of(d))
                m = np.array([x not in lv for x in self.leaves])
                if m.any():
                    self.exclusions.append((f"dimension:{d}", m))
        if exclude_mode not in ("indicator", "dimension", "both"):
            raise MethodError(f"exclude must be 'indicator', 'dimension' or 'both', got {exclude_mode!r}")
        self.blocks: dict[tuple[str, str, str], int] = {}
        self.Z: list[np.ndarray] = []
        self.units = self.periods = None
        self.within: dict[str, dict] = {}
        self.W_rows: list[np.ndarray] = []
        self.W_index: dict[tuple[int, str, int], int] = {}
        self._critic_stats: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    # blocks -------------------------------------------------------------------------------------------
    def build_blocks(self) -> None:
        """Normalised blocks of every (impute, treat, normalize) combination without rebuilding the index:
        :func:`~nqpf.index.build_index` runs once per imputation method (treat='none'; its ``X`` is the
        imputed matrix), then each treatment and normalisation is applied with the engine's own step
        functions (:func:`nqpf.index.treat.treat_array`, :func:`nqpf.index.normalize.normalize_array`) and
        the options ``build_index`` passes them — the same blocks, bit for bit (checked in the tests),
        without the weights, aggregation and ranks of every node that the full build also computes."""
        from nqpf.index import normalize as nrm_mod
        from nqpf.index import treat as trt_mod

        nom, opt = self.nominal, self.index_options
        q = opt.get("winsorize_q", (0.01, 0.99))
        dirs = np.array([self.fw.direction(x) for x in self.leaves], dtype=float)
        for imp in self.options["impute"]:
            try:
                base, msgs = _quiet_build(self.data, self.fw, impute=imp, treat="none",
                                          normalize=self.options["normalize"][0], weights="equal",
                                          aggregate="arithmetic", periods=nom["periods"], **opt)
            except NQPFError as exc:
                raise type(exc)(f"uncertainty analysis: impute={imp!r} fails: {exc}; remove this option") from None
            self._note(f"impute={imp}", msgs)
            if self.units is None:
                self.units, self.periods = base.units, base.periods
            elif not (np.array_equal(self.units, base.units) and np.array_equal(self.periods, base.periods)):
                raise MethodError("uncertainty analysis: the imputation methods keep different units (some drop "
                                  "incomplete units); remove drop_incomplete_units or vary fewer imputation "
                                  "methods")
            labels, years = np.asarray(base.unit_labels), np.asarray(base.years)
            U, T = len(labels), len(years)
            for trt in self.options["treat"]:
                X = None
                for nrm in self.options["normalize"]:
                    try:
                        with warnings.catch_warnings(record=True) as rec:
                            warnings.simplefilter("always")
                            if X is None:  # treated once per (impute, treat)
                                X, _ = trt_mod.treat_array(np.array(base.X, dtype=float), trt, names=self.leaves,
                                                           q_low=q[0], q_high=q[1],
                                                           winmax=int(opt.get("winmax", 5)),
                                                           columns=opt.get("treat_columns"))
                            Z = nrm_mod.normalize_array(
                                X, dirs, nrm, periods=np.tile(years, U),
                                units=np.repeat(labels, T) if nrm == "ratio" else None,
                                base_year=opt.get("base_year"), ref_unit=opt.get("ref_unit"),
                                scale=float(opt.get("ratio_scale", 1.0)), names=self.leaves,
                                eps=float(opt.get("minmax_eps", 0.0)))
                    except NQPFError as exc:
                        raise type(exc)(f"uncertainty analysis: the combination impute={imp!r}, treat={trt!r}, "
                                        f"normalize={nrm!r} fails: {exc}; remove one of these options") from None
                    self._note(f"impute={imp}, treat={trt}, normalize={nrm}", [str(w.message) for w in rec])
                    self.blocks[(imp, trt, nrm)] = len(self.Z)
                    self.Z.append(np.ascontiguousarray(Z, dtype=float))
                    del Z
            base = None  # release the build before the next imputation method's

    def _note(self, where: str, msgs: list[str]) -> None:
        for m in msgs:
            note = f"{where}: {m}"
            if note not in self.notes:
                self.notes.append(note)

    def subjective_within(self, method: str) -> dict | None:
        subj, _ = _parse_weights(method)
        if subj is None:
            return None
        if subj not in self.within:
            res, _ = _quiet_build(self.data, self.fw, impute=self.nominal["impute"], treat=self.nominal["treat"],
                                  normalize=self.nominal["normalize"], weights=subj, aggregate="arithmetic",
                                  periods=self.nominal["periods"], **self.index_options)
            self.within[subj] = dict(zip(res.weights["node"], res.weights["weight"], strict=True))
        return self.within[subj]

    def weight_id(self, b: int, method: str, e: int) -> int:
        key = (b, method, e)
        if key not in self.W_index and e > 0 and method in SEPARABLE_WEIGHTS:
            # weights computed column by column: those of the kept leaves, renormalised, are the weights
            # computed on the kept leaves alone
            base = self.W_rows[self.weight_id(b, method, 0)]
            w = np.where(self.exclusions[e][1], base, 0.0)
            if not w.sum() > 0:
                raise MethodError(f"uncertainty analysis: weights={method!r} give weight 0 to every indicator kept "
                                  f"when excluding {self.exclusions[e][0]!r}")
            self.W_index[key] = len(self.W_rows)
            self.W_rows.append(w / w.sum())
        if key not in self.W_index and e > 0 and method == "critic":
            self.W_index[key] = len(self.W_rows)
            self.W_rows.append(self._critic_subset(b, self.exclusions[e][1]))
        if key not in self.W_index:
            label, mask = self.exclusions[e]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    w = _leaf_weights(self.fw, self.Z[b], method, mask, self.subjective_within(method),
                                      self.index_options)
            except NQPFError as exc:
                bkey = [k for k, v in self.blocks.items() if v == b][0]
                raise MethodError(f"uncertainty analysis: weights={method!r} cannot be computed for impute={bkey[0]!r}, "
                                  f"treat={bkey[1]!r}, normalize={bkey[2]!r}, exclude={label!r}: {exc}; "
                                  "remove one of these options") from None
            self.W_index[key] = len(self.W_rows)
            self.W_rows.append(w)
        return self.W_index[key]

    def _critic_subset(self, b: int, kept: np.ndarray) -> np.ndarray:
        """CRITIC weights (Diakoulaki et al. 1995, ``w_j ∝ σ_j Σ_k (1 − r_jk)``) of the kept leaves from the
        block's σ and correlation matrix computed once (σ_j and r_jk do not depend on the other columns).
        Private helper: ``nqpf.index.weights.critic_weights`` takes only a matrix, and recomputing σ and R
        for each of the ~L exclusions dominated large panels. Same conventions as the engine (ddof = 1, a
        constant column has σ = 0 and correlations 0); checked against it in the tests."""
        if b not in self._critic_stats:
            Z = self.Z[b]
            sd = Z.std(axis=0, ddof=1)
            const = ~(sd > 0)
            Cs = (Z - Z.mean(axis=0)) / np.where(const, 1.0, sd)
            R = (Cs.T @ Cs) / (Z.shape[0] - 1)
            R[const, :] = 0.0
            R[:, const] = 0.0
            np.fill_diagonal(R, 1.0)
            self._critic_stats[b] = (sd, np.clip(R, -1.0, 1.0))
        sd, R = self._critic_stats[b]
        idx = np.flatnonzero(kept)
        C = sd[idx] * (1.0 - R[np.ix_(idx, idx)]).sum(axis=0)
        if not C.sum() > 0:
            raise MethodError("uncertainty analysis: CRITIC weights of the kept indicators are all 0 (no variation)")
        w = np.zeros(len(kept))
        w[idx] = C / C.sum()
        return w

    def context(self, aggregations: list[str], perturb: str, amount: float, conc: float,
                bank: np.ndarray | None, zero_rule: str, delta: float, rho: float) -> dict:
        n_units = len(np.unique(self.units))
        n_periods = len(np.unique(self.periods))
        ctx: dict[str, Any] = {
            "Z": self.Z, "W": np.array(self.W_rows), "aggregations": aggregations, "bank": bank,
            "perturb": perturb, "perturb_amount": amount, "dirichlet_concentration": conc,
            "n_rows": self.Z[0].shape[0], "n_units": n_units, "n_periods": n_periods,
            "zero_rule": zero_rule, "delta": delta,
        }
        if "geometric" in aggregations and zero_rule not in ("shift", "zero"):
            raise MethodError(f"uncertainty analysis supports zero_rule 'shift' or 'zero', not {zero_rule!r}")
        # arrays derived from the blocks (logs, TOPSIS distances, grey coefficients) are computed where they
        # are used (nqpf.uncertainty._kernel.derived), so only the blocks travel to worker processes
        ctx["rho"] = rho
        ctx["masks"] = np.array([m for _, m in self.exclusions])
        return ctx


class _Clock:
    """Wall-clock laps of the analysis' phases (for the manifest)."""

    def __init__(self) -> None:
        self.t = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self.t, 3)
        self.t = now


def _one_blas_thread(func):
    """Run ``func`` with BLAS limited to one thread (threadpoolctl, when installed): the many small
    matrix products here gain nothing from BLAS threads, and on a shared machine spinning BLAS threads cost
    far more than they save. The caller's setting is restored afterwards."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - optional
            return func(*args, **kwargs)
        with threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper


def _check_geometric(model: _Model, pairs) -> None:
    """Refuse geometric aggregation of a block with negative normalised values (as build_index does)."""
    for b, a in pairs:
        if a == "geometric" and np.nanmin(model.Z[b]) < 0:
            key = [k for k, v in model.blocks.items() if v == b][0]
            raise MethodError(f"uncertainty analysis: aggregate='geometric' needs non-negative normalised values, "
                              f"but normalize={key[2]!r} gives negatives; remove one of the two options")


def _resolve_options(vary, options, nominal, fw, has_gaps, perturb_bank, notes) -> tuple[dict, list[str]]:
    """Option lists of every factor (nominal first) and the names of the factors that vary."""
    vary = list(dict.fromkeys(vary))
    bad = [f for f in vary if f not in FACTORS]
    if bad:
        raise MethodError(f"unknown factor(s) {bad} in vary; choose from {', '.join(FACTORS)}")
    options = dict(options or {})
    unknown = [f for f in options if f not in FACTORS]
    if unknown:
        raise MethodError(f"options given for unknown factor(s) {unknown}; factors are {', '.join(FACTORS)}")
    out: dict[str, list] = {}
    for f in ("impute", "treat", "normalize", "weights", "aggregate"):
        nom = nominal[f]
        if f in vary:
            given = options.get(f)
            opts = list(given) if given is not None else list(DEFAULT_OPTIONS[f])
            if isinstance(given, str):
                opts = [s.strip() for s in given.split(",") if s.strip()]
            if f == "impute" and not has_gaps and given is None:
                opts = [nom]
                notes.append("factor 'impute' dropped: the data have no gaps, so the imputation method cannot "
                             "change any result")
            opts = [nom] + [o for o in opts if o != nom]
        else:
            opts = [nom]
        out[f] = opts
    if "aggregate" in vary:
        badagg = [a for a in out["aggregate"] if a not in AGGREGATIONS]
        if badagg:
            raise MethodError(f"unknown aggregation(s) {badagg}; choose from {AGGREGATIONS}")
    out["perturb"] = list(range(perturb_bank)) if "perturb" in vary else [-1]
    out["exclude"] = None  # filled from the model's exclusion list
    varying = []
    for f in FACTORS:
        if f not in vary:
            continue
        if f in ("perturb", "exclude"):
            varying.append(f)
            continue
        if len(out[f]) < 2:
            if not (f == "impute" and any("'impute' dropped" in n for n in notes)):
                notes.append(f"factor {f!r} dropped: it has a single option ({out[f][0]!r}), so it cannot vary")
            continue
        varying.append(f)
    return out, varying


@_one_blas_thread
def run_uncertainty(data: Any, framework: Any, *, samples: int = 256, seed: int = 0,
                    vary: tuple[str, ...] | list[str] = FACTORS, options: dict | None = None,
                    impute: str | None = None, treat: str | None = None, normalize: str | None = None,
                    weights: str | None = None, aggregate: str | None = None, periods=None,
                    perturb: str = "uniform", perturb_amount: float = 0.25, dirichlet_concentration: float = 50.0,
                    perturb_bank: int = 256, exclude: str = "indicator", top_k: int = 5, n_boot: int = 1000,
                    level: float = 0.95, unit_sensitivity: bool = True, backend: str = "auto",
                    workers: int | None = None, scheduler: str | None = None, batch_size: int | None = None,
                    connect_timeout: float = 5.0, dask_processes: bool = True, progress=None,
                    keep_runs: bool | str | os.PathLike = False, worker_start_timeout: float = START_TIMEOUT,
                    **index_options: Any) -> UncertaintyResult:
    """Monte Carlo uncertainty and Sobol' sensitivity of the index ranking (module docstring).

    ``samples`` is the base sample size n of the Saltelli design (the model is run ``n (k + 2)`` times for
    k varied factors; at least :data:`~nqpf.uncertainty.estimators.MIN_BASE_SAMPLES`). ``options`` maps a
    factor to its option list (default :data:`DEFAULT_OPTIONS`); the nominal settings (``impute`` …
    ``aggregate``, as in :func:`nqpf.index.build_index`; None = the framework's declared method, else the engine
    default — :func:`nqpf.index.pipeline.resolve_method`) are always the first option. ``progress(done,
    total)`` is called as tasks finish (two per period chunk). ``keep_runs``: also return every run's
    scores and ranks (True: in memory; a folder path: memory-mapped ``scores.npy`` and ``ranks.npy`` there);
    by default only the reductions are kept. ``worker_start_timeout``: seconds the processes backend waits
    for its workers (then :class:`~nqpf.uncertainty.backends.BackendError`, naming the missing
    ``if __name__ == "__main__":`` guard). ``index_options`` go to :func:`~nqpf.index.build_index`.
    """
    if not isinstance(samples, int | np.integer) or samples < MIN_BASE_SAMPLES:
        raise MethodError(f"too few samples: --samples {samples}; the Saltelli/Jansen estimators need at least "
                          f"{MIN_BASE_SAMPLES} base samples (the model then runs n(k+2) times); use e.g. 256")
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise MethodError(f"seed must be a non-negative integer, got {seed!r}")
    if perturb not in ("uniform", "dirichlet"):
        raise MethodError(f"perturb must be 'uniform' or 'dirichlet', got {perturb!r}")
    if not 0 < perturb_amount < 1:
        raise MethodError(f"perturb_amount must be in (0, 1) (a ±fraction of each weight), got {perturb_amount}")
    if not dirichlet_concentration > 0:
        raise MethodError(f"dirichlet_concentration must be > 0, got {dirichlet_concentration}")
    if perturb_bank < 2:
        raise MethodError(f"perturb_bank must be at least 2, got {perturb_bank}")
    if batch_size is not None and batch_size < 1:
        raise MethodError(f"batch_size must be at least 1, got {batch_size}")
    fw = load_framework(framework)
    steps, index_options, _src = resolve_method(
        fw, impute=impute, treat=treat, normalize=normalize, weights=weights,
        aggregate=aggregate, **index_options)
    impute, treat, normalize, weights, aggregate = (steps[k] for k in ("impute", "treat", "normalize", "weights",
                                                                        "aggregate"))
    if steps["weight_scope"] != "leaves":
        raise MethodError("uncertainty analysis supports weight_scope='leaves' only")
    if not isinstance(aggregate, str):
        raise MethodError("uncertainty analysis needs one aggregation method for the index (a string), "
                          f"got {aggregate!r}")
    if index_options.get("weight_scope", "leaves") != "leaves":
        raise MethodError("uncertainty analysis supports weight_scope='leaves' only")
    index_options.pop("weight_scope", None)

    if scheduler is not None:
        if backend not in ("auto", "dask"):
            raise MethodError(f"--scheduler is used by the dask backend only, not backend={backend!r}")
        check_scheduler(scheduler, connect_timeout)  # fail fast, before any work
    notes: list[str] = []
    clock = _Clock()
    data = _load_data(data, fw, periods, index_options)
    nominal_cfg = {"impute": impute, "treat": treat, "normalize": normalize, "weights": weights,
                   "aggregate": aggregate, "periods": periods}
    nominal, nom_msgs = _quiet_build(data, fw, impute=impute, treat=treat, normalize=normalize, weights=weights,
                                     aggregate=aggregate, periods=periods, **index_options)
    notes.extend(f"nominal: {m}" for m in dict.fromkeys(nom_msgs))
    # keep only what the analysis reads of the nominal build (its node × unit-period arrays are large)
    nominal = SimpleNamespace(S_root=np.array(nominal.S[:, nominal.node_ids.index(fw.root)]),
                              units=nominal.units, periods=nominal.periods, manifest=nominal.manifest,
                              weights=nominal.weights)
    has_gaps = nominal.manifest.get("imputed_cells", 0) > 0
    opts, varying = _resolve_options(vary, options, nominal_cfg, fw, has_gaps, perturb_bank, notes)
    for n in notes:
        if "dropped" in n:
            warnings.warn(n, UserWarning, stacklevel=3)

    model = _Model(data, fw, nominal_cfg, opts, exclude, index_options, notes)
    if "exclude" in varying and len(model.exclusions) < 2:
        varying.remove("exclude")
        notes.append(f"factor 'exclude' dropped: nothing can be dropped with exclude={exclude!r} (a single option)")
        warnings.warn(notes[-1], UserWarning, stacklevel=3)
    opts["exclude"] = [label for label, _ in model.exclusions] if "exclude" in varying else ["none"]
    if not varying:
        raise MethodError("uncertainty analysis: no factor varies (every factor has a single option); "
                          f"vary at least one of {', '.join(FACTORS)} with two or more options")
    clock.lap("nominal")
    model.build_blocks()

    k = len(varying)
    clock.lap("blocks")
    design = saltelli_design(int(samples), k, int(seed))
    U = design.matrix()
    n_runs = U.shape[0]
    choice = {f: np.zeros(n_runs, dtype=np.int64) for f in FACTORS}
    for j, f in enumerate(varying):
        choice[f] = to_discrete(U[:, j], len(opts[f]))
    # block, weight-table, aggregation, exclusion and bank ids of every run
    blk_of = np.array([model.blocks[(opts["impute"][a], opts["treat"][b], opts["normalize"][c])]
                       for a, b, c in zip(choice["impute"], choice["treat"], choice["normalize"], strict=True)])
    exc = choice["exclude"] if "exclude" in varying else np.zeros(n_runs, dtype=np.int64)
    keys = np.stack([blk_of, choice["weights"], exc], axis=1)
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    wid_u = np.array([model.weight_id(int(b), opts["weights"][int(w)], int(e)) for b, w, e in uniq])
    wid = wid_u[inv.reshape(-1)]
    agg_names = list(dict.fromkeys(opts["aggregate"]))
    agg = choice["aggregate"]
    bank_ids = np.array(opts["perturb"])[choice["perturb"]] if "perturb" in varying else np.full(n_runs, -1)
    bank = None
    if "perturb" in varying:
        ss = np.random.SeedSequence(int(seed), spawn_key=(0x5E,))  # independent of the task seeds
        bank = np.random.default_rng(ss).random((perturb_bank, len(model.leaves)))
        bank = np.minimum(np.maximum(bank, np.finfo(float).tiny), np.nextafter(1.0, 0.0))
        if perturb == "uniform":
            bank[0] = 0.5  # entry 0 leaves the weights unperturbed: the nominal configuration is in the sampled space
    _check_geometric(model, itertools.product(range(len(model.Z)), agg_names))
    b0 = model.blocks[(opts["impute"][0], opts["treat"][0], opts["normalize"][0])]
    w0 = model.weight_id(b0, opts["weights"][0], 0)  # the nominal weights (a table row before ctx["W"])
    ctx = model.context(agg_names, perturb, perturb_amount, dirichlet_concentration, bank,
                        index_options.get("zero_rule", "shift"), float(index_options.get("delta", 0.01)),
                        float(index_options.get("rho", 0.5)))
    ctx["colstats"] = _column_stats(model.Z)

    clock.lap("weights")
    # nominal: the vectorised evaluator at the nominal settings, checked against the engine -------------
    s_nom = _score_runs(ctx, np.array([b0]), np.array([w0]), np.array([0]), np.array([0]), np.array([-1]))
    r_nom = _rank_matrix(s_nom, ctx["n_units"], ctx["n_periods"])[0]
    s_nom = s_nom[0]
    gap = float(np.max(np.abs(s_nom - nominal.S_root)))
    if not gap <= 1e-9 * max(1.0, float(np.max(np.abs(s_nom)))):
        raise MethodError(f"internal check failed: the Monte Carlo evaluator differs from build_index by {gap:.3g} "
                          "at the nominal settings; please report this with the data and framework")
    units, pers = nominal.units, nominal.periods
    n_units, n_periods, n_rows = ctx["n_units"], ctx["n_periods"], ctx["n_rows"]
    kk = int(min(max(top_k, 1), n_units))

    # the runs, streamed by period chunks (ranks are within period, so a chunk is self-contained) --------
    requested = "dask" if scheduler else backend
    work = n_runs * n_rows * len(model.leaves)
    if requested == "auto" and work < AUTO_PROCESSES_MIN_WORK:
        requested = "sequential"  # too little work to repay worker start-up (≈1 s per spawned worker)
    be_name, be_workers = resolve_backend(requested, n_periods, workers)
    # chunk: whole periods, score and rank matrices near CHUNK_BYTES, and at least two chunks per worker
    per_chunk = max(1, CHUNK_BYTES // (12 * n_runs * n_units))
    # (a remote scheduler's worker count is unknown here: one period per chunk, the most parallel split)
    per_chunk = min(per_chunk, max(1, -(-n_periods // (2 * (n_periods if scheduler else be_workers)))))
    chunks = [np.arange(p0, min(n_periods, p0 + per_chunk)) for p0 in range(0, n_periods, per_chunk)]
    rows_c = n_units * per_chunk
    if batch_size is None:
        batch_size = int(np.clip(BATCH_CELLS // (rows_c * len(model.leaves)), 16, 1024))
    # runs grouped by (block, aggregation, exclusion) so that a batch reads few blocks
    order = np.lexsort((exc, agg, blk_of))
    batches = [(idx, blk_of[idx], wid[idx], agg[idx], exc[idx], bank_ids[idx])
               for idx in (order[s0:s0 + int(batch_size)] for s0 in range(0, n_runs, int(batch_size)))]
    keep = keep_runs is not False and keep_runs is not None
    total_tasks = 2 * len(chunks)
    shipped = {key: v for key, v in ctx.items() if key != "_cache"}  # derived arrays are rebuilt per chunk
    with Executor(be_name, workers=be_workers, context=shipped, n_tasks=len(chunks), scheduler=scheduler,
                  connect_timeout=connect_timeout, dask_processes=dask_processes,
                  start_timeout=worker_start_timeout) as ex:
        cb1 = (lambda done: progress(done, total_tasks)) if progress else None
        scale = np.zeros(n_runs)
        for part in ex.map(_chunk_scale, [(c, batches, n_runs) for c in chunks], seed=int(seed), progress=cb1):
            np.maximum(scale, part, out=scale)
        clock.lap("runs_scale")
        payloads = []
        for c in chunks:
            rows = _chunk_rows(c, n_units, n_periods)
            payloads.append({"periods": c, "batches": batches, "n_runs": n_runs, "scale": scale,
                             "r_nom": r_nom[rows], "top_k": kk, "keep": keep,
                             "sobol": (design.n, k) if unit_sensitivity else None})
        cb2 = (lambda done: progress(len(chunks) + done, total_tasks)) if progress else None
        parts = ex.map(_chunk_reduce, payloads, seed=int(seed), progress=cb2)
        workers_used = max(1, len(ex.used))
    clock.lap("runs")

    # assembly of the chunk reductions ---------------------------------------------------------------------
    qs, qr = np.empty((3, n_rows)), np.empty((3, n_rows))
    p_top, p_bottom, below, equal = (np.empty(n_rows) for _ in range(4))
    shift_sum = np.zeros(n_runs, dtype=np.int64)
    s1 = st = rv = None
    if unit_sensitivity:
        s1, st, rv = np.empty((k, n_rows)), np.empty((k, n_rows)), np.empty(n_rows)
    scores = ranks = None
    if keep:
        scores, ranks = _run_matrices(keep_runs, n_runs, n_rows)
    for i, part in enumerate(parts):
        rows = part["rows"]
        qs[:, rows], qr[:, rows] = part["qs"], part["qr"]
        p_top[rows], p_bottom[rows], below[rows], equal[rows] = (part[x] for x in ("p_top", "p_bottom", "below",
                                                                                    "equal"))
        shift_sum += part["shift_sum"]
        if unit_sensitivity:
            s1[:, rows], st[:, rows], rv[rows] = part["S1"], part["ST"], part["variance"]
        if keep:
            scores[:, rows], ranks[:, rows] = part["scores"], part["ranks"]
        parts[i] = None
    del parts
    if keep and not isinstance(keep_runs, bool):
        scores, ranks = _finish_run_files(keep_runs, scores, ranks)
    # Σ|rank − nominal| are integers (exact in int64), so this equals the mean over all rows at once
    shift = shift_sum.astype(float) / n_rows

    # distribution summaries --------------------------------------------------------------------------
    rank_intervals = pd.DataFrame({
        "unit": units, "period": pers.astype("int64"), "rank_nominal": r_nom,
        "rank_median": qr[1], "rank_p05": qr[0], "rank_p95": qr[2],
        "score_median": qs[1], "score_p05": qs[0], "score_p95": qs[2]})
    rank_probs = pd.DataFrame({
        "unit": units, "period": pers.astype("int64"), "rank_nominal": r_nom, "score_nominal": s_nom, "k": kk,
        "p_top_k": p_top, "p_bottom_k": p_bottom,
        "nominal_percentile": below + 0.5 * equal,
        "nominal_inside": (r_nom >= qr[0]) & (r_nom <= qr[2])})

    clock.lap("summaries")
    # sensitivity ---------------------------------------------------------------------------------------
    yA, yB, yAB = design.split(shift)
    sens = sensitivity_table(yA, yB, yAB, varying, n_boot=n_boot, seed=int(seed), level=level)
    unit_sens = None
    if unit_sensitivity:
        rows = len(units)
        unit_sens = pd.DataFrame({
            "unit": np.tile(units, k), "period": np.tile(pers.astype("int64"), k),
            "factor": np.repeat(varying, rows),
            "first_order": s1.reshape(-1), "total_order": st.reshape(-1),
            "rank_variance": np.tile(rv, k)})

    clock.lap("sensitivity")
    # leave one indicator out (nominal configuration) -----------------------------------------------------
    loo = _leave_one_out(model, ctx, opts, agg_names, r_nom, nominal)

    clock.lap("leave_one_out")
    runs = pd.DataFrame({f: (np.array(opts[f], dtype=object)[choice[f]] if f in varying
                             else np.array([opts[f][0]] * n_runs, dtype=object)) for f in FACTORS})
    runs.insert(0, "block", np.repeat(["A", "B"] + [f"AB_{f}" for f in varying], design.n))
    runs["mean_abs_rank_shift"] = shift

    manifest = {
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "framework": fw.name, "framework_hash": fw.hash,
        "data": nominal.manifest.get("data"), "input_hash": nominal.manifest.get("input_hash"),
        "nominal": {k2: v for k2, v in nominal_cfg.items()},
        "index_options": {k2: ("given" if k2 == "groups" else v) for k2, v in index_options.items()},
        "design": {"scheme": "Saltelli 2010 A/B/AB_i, scrambled Sobol' (scipy.stats.qmc)", "base_samples": int(samples),
                   "factors": varying, "runs": int(n_runs), "seed": int(seed)},
        "factors": {f: {"options": [str(o) for o in opts[f]] if f != "perturb" else
                        {"bank": perturb_bank, "mode": perturb, "amount": perturb_amount,
                         "dirichlet_concentration": dirichlet_concentration},
                        "varied": f in varying} for f in FACTORS},
        "exclude_mode": exclude,
        "estimators": {"first_order": "Saltelli et al. 2010", "total_order": "Jansen 1999",
                       "output": "mean absolute rank shift from the nominal ranking",
                       "bootstrap": {"resamples": n_boot, "level": level, "kind": "percentile"}},
        "quantiles": "numpy.quantile, linear interpolation, over all runs (exact: computed per period chunk "
                     "on every run's values)",
        "top_k": kk,
        "execution": {"requested": backend, "backend": be_name, "workers": be_workers, "work_cells": int(work),
                      "batch_size": int(batch_size), "batches": len(batches), "chunks": len(chunks),
                      "periods_per_chunk": int(per_chunk), "workers_used": workers_used, "scheduler": scheduler,
                      "keep_runs": keep if isinstance(keep_runs, bool) or keep_runs is None else str(keep_runs)},
        "notes": notes, "versions": package_versions(("dask", "distributed", "SALib")),
        "timings_s": clock.laps,
        "nominal_in_space": bool(perturb == "uniform" or "perturb" not in varying),
        "nominal_outside": _nominal_outside(rank_probs, rank_intervals),
    }
    return UncertaintyResult(rank_intervals=rank_intervals, rank_probabilities=rank_probs, sensitivity=sens,
                             unit_sensitivity=unit_sens, leave_one_out=loo, runs=runs, manifest=manifest,
                             scores=scores, ranks=ranks)


def _run_matrices(keep_runs, n_runs: int, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Run × unit-period matrices of scores (float64) and ranks (int32): in memory (``keep_runs=True``) or
    memory-mapped ``.npy`` files in the folder ``keep_runs`` (written under temporary names, see
    :func:`_finish_run_files`)."""
    if isinstance(keep_runs, bool):
        return np.empty((n_runs, n_rows)), np.empty((n_runs, n_rows), dtype=np.int32)
    d = Path(keep_runs)
    d.mkdir(parents=True, exist_ok=True)
    fmt = np.lib.format
    return (fmt.open_memmap(d / ".scores.npy.tmp", mode="w+", dtype=np.float64, shape=(n_runs, n_rows)),
            fmt.open_memmap(d / ".ranks.npy.tmp", mode="w+", dtype=np.int32, shape=(n_runs, n_rows)))


def _finish_run_files(keep_runs, scores: np.memmap, ranks: np.memmap) -> tuple[np.ndarray, np.ndarray]:
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


def _leave_one_out(model: _Model, ctx: dict, opts: dict, agg_names: list[str], r_nom: np.ndarray,
                   nominal) -> pd.DataFrame:
    """Rank shifts when each indicator is dropped from the nominal configuration."""
    b0 = model.blocks[(opts["impute"][0], opts["treat"][0], opts["normalize"][0])]
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
    wid = np.array([model.weight_id(b0, opts["weights"][0], pos[lab]) for lab in labels])
    ctx = dict(ctx)
    ctx["W"] = np.array(model.W_rows)
    scores = _score_runs(ctx, np.full(L, b0), wid, np.zeros(L, dtype=np.int64),
                         np.array([pos[lab] for lab in labels]), np.full(L, -1))
    ranks = _rank_matrix(scores, ctx["n_units"], ctx["n_periods"])
    d = np.abs(ranks - r_nom[None])
    w_nom = nominal.weights.set_index("node")["effective_weight"]
    return pd.DataFrame({
        "indicator": model.leaves,
        "weight_nominal": [float(w_nom[x]) for x in model.leaves],
        "mean_abs_rank_shift": d.mean(axis=1),
        "max_abs_rank_shift": d.max(axis=1),
        "share_changed": (d > 0).mean(axis=1),
    })


@_one_blas_thread
def evaluate_configs(data: Any, framework: Any, configs: list[dict], *, periods=None, **index_options: Any
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Root scores and ranks (each ``configs × unit-periods``) of explicit configurations, by the vectorised
    evaluator of the Monte Carlo. A config has keys ``impute, treat, normalize, weights, aggregate`` and
    optionally ``exclude`` (``"none"``, ``"indicator:ID"`` or ``"dimension:ID"``). Used to cross-check the
    evaluator against :func:`nqpf.index.build_index`."""
    if not configs:
        raise MethodError("evaluate_configs: no configurations given")
    fw = load_framework(framework)
    data = _load_data(data, fw, periods, index_options)
    keys = ("impute", "treat", "normalize", "weights", "aggregate")
    missing = [c for c in configs if any(k not in c for k in keys)]
    if missing:
        raise MethodError(f"evaluate_configs: every config needs keys {keys}; got {missing[0]}")
    opts = {k: list(dict.fromkeys(c[k] for c in configs)) for k in keys}
    nominal = {**{k: opts[k][0] for k in keys}, "periods": periods}
    modes = {str(c.get("exclude", "none")).split(":")[0] for c in configs}
    mode = "both" if "dimension" in modes else "indicator"
    model = _Model(data, fw, nominal, opts, mode, index_options, [])
    model.build_blocks()
    pos = {lab: e for e, (lab, _) in enumerate(model.exclusions)}
    try:
        exc = np.array([pos[str(c.get("exclude", "none"))] for c in configs])
    except KeyError as exc_:
        raise DataError(f"evaluate_configs: unknown exclusion {exc_}; use 'indicator:ID' or 'dimension:ID'") from None
    blk = np.array([model.blocks[(c["impute"], c["treat"], c["normalize"])] for c in configs])
    wid = np.array([model.weight_id(int(b), c["weights"], int(e)) for b, c, e in zip(blk, configs, exc, strict=True)])
    agg = np.array([opts["aggregate"].index(c["aggregate"]) for c in configs])
    _check_geometric(model, [(int(b), c["aggregate"]) for b, c in zip(blk, configs, strict=True)])
    ctx = model.context(opts["aggregate"], "uniform", 0.1, 1.0, None, index_options.get("zero_rule", "shift"),
                        float(index_options.get("delta", 0.01)), float(index_options.get("rho", 0.5)))
    return _evaluate_batch(ctx, (blk, wid, agg, exc, np.full(len(configs), -1)), None)

