"""The model of an uncertainty analysis: the normalised blocks, weight tables and option lists of every run.

:class:`Model` holds, for one framework and data, every normalised block of an (impute, treat, normalise)
combination — built with the index's own stages (:func:`nqpf.index.pipeline.run_stages` up to ``impute``
once per imputation method, then :func:`nqpf.index.stages.treat` and :func:`nqpf.index.stages.normalise`),
so each block is the engine's normalised matrix bit for bit without the weights, aggregation and ranks a full
build also computes — and the leaf weights of every (block, weighting, exclusion), computed once. It hands
the vectorised evaluator (:mod:`nqpf.uncertainty._kernel`) its context.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf import _util
from nqpf.errors import MethodError, NQPFError
from nqpf.framework import Framework
from nqpf.index import stages
from nqpf.index import weights as wts
from nqpf.index.pipeline import run_stages
from nqpf.index.registry import parse_weights
from nqpf.uncertainty.backends import Executor
from nqpf.uncertainty.settings import AGGREGATIONS, DEFAULT_OPTIONS, FACTORS

#: Weighting methods computed column by column (dropping a leaf = renormalising the others).
SEPARABLE_WEIGHTS = ("entropy", "cv", "equal")


# --------------------------------------------------------------------------------------------------------
# input, warnings, BLAS threads
# --------------------------------------------------------------------------------------------------------
def load_data(data: Any, fw: Framework, periods, index_options: dict) -> Any:
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


def quiet(func, *args, **kwargs) -> tuple[Any, list[str]]:
    """``func(*args, **kwargs)`` with its warnings captured; returns (result, messages for the manifest)."""
    with _util.quiet_notes() as notes:  # context-local: concurrent analyses keep their own notes
        out = func(*args, **kwargs)
    return out, list(notes)


def one_blas_thread(func):
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


def check_geometric(model: Model, pairs) -> None:
    """Refuse geometric aggregation of a block with negative normalised values (as build_index does)."""
    for b, a in pairs:
        if a == "geometric" and np.nanmin(model.Z[b]) < 0:
            key = [k for k, v in model.blocks.items() if v == b][0]
            raise MethodError(f"uncertainty analysis: aggregate='geometric' needs non-negative normalised values, "
                              f"but normalize={key[2]!r} gives negatives; remove one of the two options")


def resolve_options(vary, options, nominal, fw, has_gaps, perturb_bank, notes) -> tuple[dict, list[str]]:
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


# --------------------------------------------------------------------------------------------------------
# leaf weights with exclusions
# --------------------------------------------------------------------------------------------------------
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
    subj, obj = parse_weights(method)
    idx = np.flatnonzero(kept_mask)
    names = [leaves[i] for i in idx]
    w = np.zeros(len(leaves))
    w_o = None
    if obj is not None:
        # the same objective weights as build_index (incl. two objective methods combined, e.g. entropy+critic;
        # with a subjective part the objective is a single method, so combine/alpha are not used here)
        w_o = stages.objective(Z[:, idx], obj, names, shift=float(opts.get("entropy_shift", 0.0)),
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
# the model
# --------------------------------------------------------------------------------------------------------
class Model:
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
    def _stages(self, until: str, **steps: Any) -> tuple[dict, list[str]]:
        """:func:`~nqpf.index.pipeline.run_stages` up to ``until`` at the nominal periods and options with
        ``steps`` (the others as the framework declares, else the engine default); (output, warnings)."""
        return quiet(run_stages, self.data, self.fw, until=until, periods=self.nominal["periods"], **steps,
                     **self.index_options)

    def build_blocks(self, executor: Executor | None = None) -> None:
        """Normalised blocks of every (impute, treat, normalize) combination without rebuilding the index
        (:meth:`block_group` per imputation method), in that nested order. With ``executor`` (whose tasks run
        in their own processes) the groups are built on its workers, one task per (imputation, treatment),
        and come back in task order — the same blocks and notes."""
        if executor is None:
            groups = (self.block_group(imp, list(self.options["treat"])) for imp in self.options["impute"])
        else:
            executor.share(self)
            groups = executor.map(block_group_task, [(imp, [trt]) for imp in self.options["impute"]
                                                     for trt in self.options["treat"]])
        for g in groups:
            if self.units is None:
                self.units, self.periods = g["units"], g["periods"]
            elif not (np.array_equal(self.units, g["units"]) and np.array_equal(self.periods, g["periods"])):
                raise MethodError("uncertainty analysis: the imputation methods keep different units (some drop "
                                  "incomplete units); remove drop_incomplete_units or vary fewer imputation "
                                  "methods")
            for where, msgs in g["notes"]:
                self._note(where, msgs)
            for key, Z in g["blocks"]:
                self.blocks[key] = len(self.Z)
                self.Z.append(Z)

    def block_group(self, imp: str, treats: list[str]) -> dict:
        """The blocks of imputation ``imp`` under each treatment in ``treats`` and every normalisation: the
        index's stages run up to ``impute`` (:func:`~nqpf.index.pipeline.run_stages`), then
        :func:`nqpf.index.stages.treat` and :func:`nqpf.index.stages.normalise` with the resolved options —
        the blocks of a full build, bit for bit (checked in the tests), without the weights, aggregation
        and ranks of every node that a full build also computes. Returns ``units``, ``periods`` (per row),
        ``blocks`` (``[((imp, trt, nrm), Z)]``) and ``notes`` (``[(where, messages)]``)."""
        try:
            out, msgs = self._stages("impute", impute=imp)
        except NQPFError as exc:
            raise type(exc)(f"uncertainty analysis: impute={imp!r} fails: {exc}; remove this option") from None
        im, years = out["impute"], out["grid"].years
        group = {"units": np.repeat(im.units, len(years)), "periods": np.tile(years, len(im.units)),
                 "blocks": [], "notes": [(f"impute={imp}", msgs)]}
        for trt in treats:
            self._treated_blocks(imp, trt, out, group)
        return group

    def _treated_blocks(self, imp: str, trt: str, out: dict, group: dict) -> None:
        """The blocks of imputation ``imp`` (``out``: its stages) treated by ``trt``, one per normalisation,
        appended to ``group``."""
        im, years, opt, log = out["impute"], out["grid"].years, out["options"], out["log"]
        X = None
        for nrm in self.options["normalize"]:
            try:
                with _util.quiet_notes() as rec:
                    if X is None:  # treated once per (impute, treat)
                        X, _ = stages.treat(im.X, trt, self.leaves, opt, log)
                    Z = stages.normalise(X, self.fw, im.units, years, nrm, opt, log)
            except NQPFError as exc:
                raise type(exc)(f"uncertainty analysis: the combination impute={imp!r}, treat={trt!r}, "
                                f"normalize={nrm!r} fails: {exc}; remove one of these options") from None
            group["notes"].append((f"impute={imp}, treat={trt}, normalize={nrm}", list(rec)))
            group["blocks"].append(((imp, trt, nrm), np.ascontiguousarray(Z, dtype=float)))
            del Z

    def _note(self, where: str, msgs: list[str]) -> None:
        for m in msgs:
            note = f"{where}: {m}"
            if note not in self.notes:
                self.notes.append(note)

    def subjective_within(self, method: str) -> dict | None:
        subj, _ = parse_weights(method)
        if subj is None:
            return None
        if subj not in self.within:
            out, _ = self._stages("weight", impute=self.nominal["impute"], treat=self.nominal["treat"],
                                  normalize=self.nominal["normalize"], weights=subj)
            self.within[subj] = dict(out["weight"].within)
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
                with _util.quiet_notes():
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


def block_group_task(model: Model, payload: tuple[str, list[str]], seed_seq) -> dict:
    """Executor task: :meth:`Model.block_group` of one imputation method and its treatments, on a worker
    (``model`` is the shared context; the blocks are deterministic, ``seed_seq`` is not needed)."""
    return model.block_group(*payload)
