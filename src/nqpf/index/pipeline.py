"""``build_index``: data + framework → grid → impute → treat → normalise → weight → aggregate → rank →
:class:`IndexResult`. The grid stage (input handling) is here; the others are in :mod:`nqpf.index.stages`;
each writes to the build's :class:`~nqpf.index.log.Log` (``result.log``); :func:`run_stages` stops early.

Work is done on numpy blocks: rows = unit-periods (unit-major, periods ascending, a full grid), columns =
leaves. Weight scope:

* ``leaves`` (default, common practice): weights over all leaves jointly; a node's score is the aggregate of
  its leaves with their weights renormalised inside the node (arithmetic: ``Σ w_l z_l / Σ w_l``, so the index
  is ``Σ w_l z_l``); a node's effective weight is the sum of its leaves'.
* ``parent``: bottom-up, at each parent the weights are computed from its children's scores (leaves: their
  normalised values), and the children aggregated; effective weight = product of weights along the path.

Subjective weights (``fixed``, ``ahp``) are always within a parent; their effective leaf weight is the
product along the path (identical in both scopes). ``equal`` means 1/L over all leaves with the ``leaves``
scope and 1/(number of children) at each parent with the ``parent`` scope. Combinations are written
``"fixed+entropy"``, ``"ahp+critic"`` (subjective+objective; ``combine="linear"|"multiplicative"``,
``alpha`` = subjective share, default 0.5).
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf._util import package_versions
from nqpf.errors import DataError, MethodError
from nqpf.framework import Framework, load_framework
from nqpf.index import stages
from nqpf.index.log import STAGES, Log
from nqpf.index.registry import (  # noqa: F401  (re-exported: the names used to live here)
    ENGINE_DEFAULTS,
    OPTIONS,
    WEIGHT_METHODS,
    framework_method,
    parse_periods,
    resolve_method,
)
from nqpf.index.registry import parse_weights as _parse_weights  # noqa: F401  (re-exported)
from nqpf.index.registry import periods_setting as _periods_setting
from nqpf.index.result import IndexResult
from nqpf.index.spec import IndexSpec, file_hash
from nqpf.index.stages import MIN_UNITS, rank_within_periods  # noqa: F401  (re-exported)
from nqpf.index.stages import objective as _objective  # noqa: F401  (re-exported for the uncertainty layer)


@functools.lru_cache(maxsize=1)
def _versions() -> dict:
    return package_versions()


# --------------------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------------------
def _resolve_data(data: Any, units: str = "none") -> tuple[pd.DataFrame | None, pd.DataFrame | None, dict]:
    """Return (long, wide, info) — exactly one of long/wide set. Wide is indexed by (unit, period).

    A file path is read with ``nqpf.read`` (``units``: "province" maps names to GB/T 2260 codes, "none"
    keeps ids), a dataset name with ``nqpf.datasets.load``."""
    info: dict = {}
    if isinstance(data, str | Path) and not isinstance(data, pd.DataFrame):
        p = Path(str(data))
        if p.exists():
            info["source"] = str(p)
            try:
                from nqpf.data.io import read  # written in parallel; optional
            except ImportError:
                read = None
            if read is not None:
                df = read(p, units=units)
            else:
                df = pd.read_csv(p) if p.suffix.lower() in (".csv", ".txt") else pd.read_excel(p)
            data = df
        else:
            import nqpf.datasets as ds

            info["dataset"] = str(data)
            data = ds.load(str(data))
    if hasattr(data, "data") and isinstance(data.data, pd.DataFrame):
        units = getattr(data, "units", None)
        if isinstance(units, pd.DataFrame) and "group" in units.columns:
            info["groups"] = dict(zip(units["unit"].astype(str), units["group"], strict=False))
        info.setdefault("dataset", getattr(data, "name", None))
        data = data.data
    if not isinstance(data, pd.DataFrame):
        raise DataError(
            f"data must be a DataFrame, a Dataset, a dataset name or a file path; got {type(data).__name__}"
        )
    if {"indicator", "value"}.issubset(data.columns):
        return data, None, info
    w = data
    if isinstance(w.index, pd.MultiIndex) and list(w.index.names) == ["unit", "period"]:
        w = w.reset_index()
    elif not {"unit", "period"}.issubset(w.columns):
        raise DataError(
            "data: a long table needs columns unit, period, indicator, value; a wide table needs "
            f"columns unit, period and one column per indicator (found {list(data.columns)[:8]})"
        )
    w = w.rename(columns={c: str(c) for c in w.columns})
    return None, w, info


def _grid_long(long: pd.DataFrame, needed: list[str], periods: list[int] | None) -> tuple:
    """(units, years, series, block) of a long table (see :func:`_grid`)."""
    from nqpf.data.panel import LONG_COLUMNS, check_long

    miss = [c for c in LONG_COLUMNS if c not in long.columns]
    if miss:
        check_long(long)  # raises with the contract's message
    icode, icats = pd.factorize(long["indicator"])
    jall = pd.Index(needed).get_indexer(pd.Index(icats).astype(str))[icode]  # −1 = not needed
    keep = jall >= 0
    per = pd.to_numeric(long["period"], errors="coerce").to_numpy(dtype=float)
    val = pd.to_numeric(long["value"], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(per) | (per != np.round(per)) | (np.isnan(val) & long["value"].notna().to_numpy())
    if bad[keep].any():
        check_long(long[keep])  # raises naming the first bad row
    if periods is not None:
        keep &= np.isin(per, periods)
    ucode, units = pd.factorize(long["unit"].astype(str)[keep], sort=True)
    per, val, jcode = per[keep].astype("int64"), val[keep], jall[keep]
    tcode, years = pd.factorize(per, sort=True)
    series = list(needed)  # a series with no rows in the periods stays all-NaN (reported by name later)
    T, J = len(years), len(series)
    flat = (ucode * T + tcode) * max(J, 1) + jcode
    if len(flat) and np.bincount(flat, minlength=len(units) * T * max(J, 1)).max() > 1:
        check_long(long[keep])  # raises naming the duplicate
    block = np.full((len(units) * T, J), np.nan)
    block.reshape(-1)[flat] = val
    return units, years, series, block


def _wide_column(wide: pd.DataFrame, c: str) -> pd.Series:
    col = wide[c]
    if pd.api.types.is_numeric_dtype(col):
        return col
    conv = pd.to_numeric(col, errors="coerce")
    bad = conv.isna() & col.notna()
    if bad.any():
        r = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"data: row {r}, column {c!r}: value {col.iloc[r]!r} is not a number; clean it or read the file "
            "with nqpf.read"
        )
    return conv


def _grid_wide(wide: pd.DataFrame, needed: list[str], periods: list[int] | None) -> tuple:
    """(units, years, series, block) of a wide table (see :func:`_grid`)."""
    per = pd.to_numeric(wide["period"], errors="coerce").to_numpy(dtype=float)
    if np.isnan(per).any() or (per != np.round(per)).any():
        r = int(np.flatnonzero(np.isnan(per) | (per != np.round(per)))[0])
        raise DataError(
            f"data: row {r}: period {wide['period'].iloc[r]!r} is not a year; periods must be whole "
            "years such as 2020"
        )
    keep = np.isin(per, periods) if periods is not None else np.ones(len(per), bool)
    series = [c for c in needed if c in wide.columns]
    vals = np.empty((int(keep.sum()), len(series)))
    for j, c in enumerate(series):
        vals[:, j] = _wide_column(wide, c).to_numpy(dtype=float)[keep]
    ucode, units = pd.factorize(wide["unit"].astype(str)[keep], sort=True)
    tcode, years = pd.factorize(per[keep].astype("int64"), sort=True)
    flat = ucode * len(years) + tcode
    if len(flat) and np.bincount(flat, minlength=len(units) * len(years)).max() > 1:
        dup = int(np.flatnonzero(np.bincount(flat) > 1)[0])
        raise DataError(
            f"data: duplicate rows for unit {units[dup // len(years)]!r}, period "
            f"{years[dup % len(years)]}; keep one row per unit and period"
        )
    block = np.full((len(units) * len(years), len(series)), np.nan)
    block[flat] = vals
    return units, years, series, block


def _grid(
    long: pd.DataFrame | None, wide: pd.DataFrame | None, needed: list[str], periods: list[int] | None
) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """(units sorted, years sorted, series, block) where block[u*T + t, j] is series j of unit u in year t
    over the full unit × period grid (NaN where absent). Vectorised; bad rows fall back to
    :func:`nqpf.data.panel.check_long` for its detailed message."""
    units, years, series, block = (_grid_long(long, needed, periods) if long is not None
                                   else _grid_wide(wide, needed, periods))
    if block.size == 0 or not len(units):
        raise DataError(
            f"no data for the framework's series {needed[:10]} in periods "
            f"{'all' if periods is None else f'{min(periods)}-{max(periods)}'}"
        )
    return np.asarray(units, dtype=object).astype(str), np.asarray(years, dtype="int64"), series, block


def _filter_units(long: pd.DataFrame | None, wide: pd.DataFrame | None, keep) -> tuple:
    """Rows of the units in ``keep`` (the ``unit_filter`` of a spec); unknown units are refused by name."""
    t = long if long is not None else wide
    ids = t["unit"].astype(str)
    miss = [u for u in keep if u not in set(ids)]
    if miss:
        have = sorted(set(ids))
        raise DataError(
            f"unit_filter: unit(s) {miss[:10]} not in the data; its units are e.g. {have[:10]} "
            f"({len(have)} in all); give ids as they appear after reading"
        )
    t = t[ids.isin(set(keep)).to_numpy()]
    return (t, None) if long is not None else (None, t)


# --------------------------------------------------------------------------------------------------------
# stage 1: grid
# --------------------------------------------------------------------------------------------------------
def _periods(fw: Framework, periods) -> tuple[Any, str]:
    """The periods asked for and where they came from: the argument, else the framework's declared span
    (first, last year); ``"all"`` = every year (None)."""
    if periods is None and isinstance(fw.meta.get("periods"), list | tuple) and len(fw.meta["periods"]) == 2:
        return tuple(fw.meta["periods"]), "framework"
    if isinstance(periods, str) and periods.strip().lower() == "all":
        return None, "all"
    return periods, "argument"


def input_hash(units: np.ndarray, years: np.ndarray, series: list[str], block: np.ndarray) -> str:
    """blake2b-256 of the unit × period × series block, the unit ids, the years and the series names."""
    h = hashlib.blake2b(digest_size=32)
    for part in (np.ascontiguousarray(block).tobytes(), "|".join(units).encode(), years.tobytes(),
                 "|".join(series).encode()):
        h.update(part)
    return h.hexdigest()


def grid(data: Any, framework: Any, periods: Any, opt: dict, log: Log) -> stages.Grid:
    """Stage 1: read ``data`` (long or wide DataFrame, Dataset, dataset name or file; ``opt['units']``), keep
    ``opt['unit_filter']`` and the periods (argument, else the framework's span; ``"all"``) and lay the
    framework's leaves out on the full unit × period grid. Refuses fewer than ``min_units`` units and leaves
    with no data in the periods."""
    with log.stage("grid"):
        fw = load_framework(framework)
        fw.validate()
        periods, source = _periods(fw, periods)
        pers = parse_periods(periods)
        units_mode = opt.get("units") or ("province" if fw.meta.get("dataset") == "cn_provinces" else "none")
        long, wide, info = _resolve_data(data, units_mode)
        if opt.get("unit_filter") is not None:
            long, wide = _filter_units(long, wide, opt["unit_filter"])
        available = set(long["indicator"].astype(str).unique()) if long is not None else set(wide.columns)
        fw.validate(sorted(available))
        needed = list(dict.fromkeys(s for leaf in fw.leaves for s in fw.series_of(leaf)))
        units, years, series, block = _grid(long, wide, needed, pers)
        ihash = input_hash(units, years, series, block)
        min_units = int(opt.get("min_units", MIN_UNITS))
        if len(units) < min_units:
            raise MethodError(
                f"only {len(units)} unit(s) {list(units)} in the data; a composite index needs at least "
                f"{min_units} units to normalise and weight"
            )
        X0 = fw.leaf_matrix(block, series)
        allmiss = [c for c, m in zip(fw.leaves, np.isnan(X0).all(axis=0), strict=True) if m]
        if allmiss:
            raise DataError(
                f"indicator(s) {allmiss} have no data at all in the chosen periods; drop them from the "
                "framework, change periods, or supply the series"
            )
        log.record("grid", units=len(units), periods=[int(y) for y in years], leaves=len(fw.leaves))
    return stages.Grid(fw, units, years, fw.leaves, X0, ihash, info, periods, pers, source)


# --------------------------------------------------------------------------------------------------------
# the pipeline
# --------------------------------------------------------------------------------------------------------
def build_index(
    data: Any,
    framework: Any = None,
    *,
    impute: str | None = None,
    treat: str | None = None,
    normalize: str | None = None,
    weights: str | None = None,
    weight_scope: str | None = None,
    aggregate: str | dict | None = None,
    periods=None,
    unit_filter=None,
    rank_nodes: str | list[str] = "all",
    **options: Any,
) -> IndexResult:
    """Build a composite index (see module docstring and ``docs/index/``).

    ``build_index(spec)`` builds an :class:`~nqpf.index.spec.IndexSpec` (checking its data and framework
    hashes); ``build_index(data, framework, ...)`` is the same as ``build_index(IndexSpec.from_args(data,
    framework, ...))``. Either way ``result.spec`` is the spec and ``result.regen(**changes)`` rebuilds it.
    ``unit_filter``: the units kept (ids as in the data, after reading); None keeps all.

    A step or option left unset (None) takes the framework's declared ``method:`` value if it has one (published
    systems carry theirs), else the engine default (:data:`ENGINE_DEFAULTS`: impute none, treat none, normalize
    minmax-global, weights entropy, scope leaves, aggregate arithmetic). ``manifest["settings"]`` holds the
    resolved values and ``manifest["settings_source"]`` where each came from (argument / framework / default).

    Options: ``impute_limit`` (carry, years, 2; None = no limit), ``groups`` (unit → group for group-mean; a
    Dataset's ``units.group`` by default), ``winsorize_q`` ((0.01, 0.99)), ``winmax`` (5), ``treat_columns``,
    ``base_year`` / ``ref_unit`` / ``ratio_scale`` (ratio normalisation), ``entropy_shift`` (0), ``minmax_eps``
    (0: min–max denominator constant), ``ahp`` ({node: matrix}), ``ahp_force`` (False), ``max_cr`` (0.1),
    ``combine`` ('linear'), ``alpha`` (0.5), ``zero_rule`` ('shift'), ``delta`` (0.01), ``rho`` (0.5),
    ``min_units`` (3), ``drop_incomplete_units`` (False: units with gaps left after imputation are dropped,
    warned about and listed in ``manifest["dropped_units"]``), ``units`` (reading a file: "province" or "none";
    default "province" when the framework's ``dataset`` is cn_provinces, else "none").
    """
    if isinstance(data, IndexSpec):
        extra = dict(options, framework=framework, impute=impute, treat=treat, normalize=normalize,
                     weights=weights, weight_scope=weight_scope, aggregate=aggregate, periods=periods,
                     unit_filter=unit_filter)
        return _build_spec(data, sorted(k for k, v in extra.items() if v is not None), rank_nodes)
    if framework is None:
        raise MethodError("build_index: give a framework (built-in id, YAML path or definition), or an IndexSpec")
    given = dict(impute=impute, treat=treat, normalize=normalize, weights=weights, weight_scope=weight_scope,
                 aggregate=aggregate)
    call = {k: v for k, v in dict(options, **given).items() if v is not None}
    fw, steps, options, source = _resolve_call("build_index", framework, given, options, unit_filter)
    log = Log()  # this build's notes: context-local, so concurrent builds never mix them
    with log.stage("build"):
        res = _build(data, fw, steps, periods, options, log, rank_nodes)
    res.manifest["warnings"] = list(log.notes)
    res.manifest["settings_source"] = source
    # what res.spec is made of (on first access; a file is hashed now, before it can change) and the builder
    pin = file_hash(data) if isinstance(data, str | Path) and Path(str(data)).is_file() else None
    res._spec_args = (data, framework, dict(call, periods=periods, unit_filter=unit_filter, data_hash=pin))  # noqa: SLF001
    res._builder = build_index  # noqa: SLF001
    return res


def _resolve_call(who: str, framework: Any, given: dict, options: dict, unit_filter) -> tuple:
    """(framework, steps, options, source of each setting) of a call: unknown options refused, ``unit_filter``
    as a list of ids, unset steps and options filled by :func:`resolve_method`."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise MethodError(f"{who}: unknown option(s) {unknown}; known: {sorted(OPTIONS)}")
    options = dict(options)
    if unit_filter is not None:
        options["unit_filter"] = [str(u) for u in ([unit_filter] if isinstance(unit_filter, str) else unit_filter)]
    fw = load_framework(framework)
    steps, options, source = resolve_method(fw, **given, **options)
    if steps["weight_scope"] not in ("leaves", "parent"):
        raise MethodError(f"weight_scope must be 'leaves' or 'parent', got {steps['weight_scope']!r}")
    return fw, {k: steps[k] for k in ENGINE_DEFAULTS}, options, source


def run_stages(data: Any, framework: Any, *, until: str = "normalise", periods=None, unit_filter=None,
               rank_nodes: str | list[str] = "all", **steps_and_options: Any) -> dict[str, Any]:
    """The stages of :func:`build_index` up to and including ``until`` (one of
    :data:`nqpf.index.log.STAGES`), with the same arguments and settings rule, without assembling a result:
    e.g. the normalised matrix of one imputation method (``until="normalise"``) for the uncertainty analysis.
    Returns ``{stage: output, "log": Log, "steps": …, "options": …}``; outputs as in :mod:`nqpf.index.stages`
    (``treat`` → (X, treatment log)). Each output is bit-identical to the corresponding block of a build."""
    if until not in STAGES:
        raise MethodError(f"run_stages: until={until!r} is not a stage; choose one of {list(STAGES)}")
    given = {k: steps_and_options.pop(k, None) for k in ENGINE_DEFAULTS}
    fw, steps, opt, _ = _resolve_call("run_stages", framework, given, steps_and_options, unit_filter)
    log = Log()
    out: dict[str, Any] = {"log": log, "steps": steps, "options": opt}
    with log.stage("build"):
        g = out["grid"] = grid(data, fw, periods, opt, log)
        chain = [
            ("impute", lambda: stages.impute(g, steps["impute"], opt, log)),
            ("treat", lambda: stages.treat(out["impute"].X, steps["treat"], g.leaves, opt, log)),
            ("normalise", lambda: stages.normalise(out["treat"][0], g.framework, out["impute"].units, g.years,
                                                   steps["normalize"], opt, log)),
            ("weight", lambda: stages.weight(out["normalise"], g.framework, steps["weights"],
                                             steps["weight_scope"], opt, log)),
            ("aggregate", lambda: stages.aggregate(out["normalise"], g.framework, out["weight"],
                                                   steps["aggregate"], opt, log)),
            ("rank", lambda: stages.rank(out["aggregate"].S, g.framework, len(out["impute"].units),
                                         len(g.years), rank_nodes, log)),
        ]
        for name, run in chain[: STAGES.index(until)]:
            out[name] = run()
    return out


def _build_spec(spec: IndexSpec, extra: list[str], rank_nodes="all") -> IndexResult:
    """``build_index(spec)``: the spec's data and framework (hashes checked) with its steps and options."""
    if extra:
        raise MethodError(
            f"build_index(spec): give no other arguments (got {extra}); change the spec with spec.replace(...)"
        )
    res = build_index(spec.load_data(), spec.load_framework(), rank_nodes=rank_nodes, **spec.build_kwargs())
    res._spec = spec  # noqa: SLF001
    return res


# --------------------------------------------------------------------------------------------------------
# the stages in order, the manifest
# --------------------------------------------------------------------------------------------------------
DEFAULT_OPTIONS: dict[str, Any] = {
    "impute_limit": 2,
    "winsorize_q": [0.01, 0.99],
    "winmax": 5,
    "entropy_shift": 0.0,
    "minmax_eps": 0.0,
    "max_cr": 0.1,
    "combine": "linear",
    "alpha": 0.5,
    "zero_rule": "shift",
    "delta": 0.01,
    "rho": 0.5,
}


def _build(data, framework, steps: dict, periods, opt: dict, log: Log, rank_nodes="all") -> IndexResult:
    """grid → impute → treat → normalise → weight → aggregate → rank, each writing to ``log``."""
    g = grid(data, framework, periods, opt, log)
    fw = g.framework
    im = stages.impute(g, steps["impute"], opt, log)
    X, treat_log = stages.treat(im.X, steps["treat"], g.leaves, opt, log)
    Z = stages.normalise(X, fw, im.units, g.years, steps["normalize"], opt, log)
    plan = stages.weight(Z, fw, steps["weights"], steps["weight_scope"], opt, log)
    ag = stages.aggregate(Z, fw, plan, steps["aggregate"], opt, log)
    R = stages.rank(ag.S, fw, len(im.units), len(g.years), rank_nodes, log)
    wtab = pd.DataFrame(
        {
            "node": fw.ids,
            "parent": [fw.parent(n) or "" for n in fw.ids],
            "weight": [ag.within[n] for n in fw.ids],
            "effective_weight": [ag.effective[n] for n in fw.ids],
        }
    )
    return IndexResult(
        framework=fw,
        weights=wtab,
        manifest=_manifest(g, im, steps, opt, treat_log, plan.ahp, ag),
        imputation_log=im.table,
        settings={"framework": fw, **steps, "periods": g.periods, **opt},
        unit_labels=im.units,
        years=g.years,
        node_ids=fw.ids,
        Z=Z,
        S=ag.S,
        R=R,
        X=X,
        within=ag.within,
        methods=ag.methods,
        stages={"raw": im.raw, "imputed": im.X, "treated": X, "normalised": Z, "aggregated": ag.S},
        log=log,
    )


def _manifest(g: stages.Grid, im: stages.Imputed, steps: dict, opt: dict, treat_log, ahp: dict,
              ag: stages.Aggregated) -> dict:
    """The manifest of a build (``docs/index/results.md``); ``warnings`` and ``settings_source`` are filled in
    by :func:`build_index`."""
    fw, conc = g.framework, ag.concentration
    settings = {**steps, "periods": _periods_setting(g.selection, g.periods_source),
                **{k: v for k, v in opt.items() if k != "groups"}}
    if "groups" in opt:
        settings["groups"] = "given"
    zero_rule = (
        f"geometric: {opt.get('zero_rule', 'shift')} (delta {opt.get('delta', 0.01)}); "
        f"{ag.geo_zero_rows} row-node block(s) had a zero input"
        if "geometric" in ag.methods.values() else None
    )
    return {
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "framework": fw.name,
        "framework_source": fw.source,
        "framework_hash": fw.hash,
        "data": g.info.get("dataset") or g.info.get("source") or "DataFrame",
        "input_hash": g.input_hash,
        "input_hash_algorithm": "blake2b-256 of the unit × period × series block, unit ids, years, series names; "
        "result_hash: blake2b-256 of the score block (rows × nodes)",
        "units": len(im.units),
        "periods": [int(y) for y in g.years],
        "indicators": g.leaves,
        "settings": settings,
        "defaults": dict(DEFAULT_OPTIONS, winsorize_q=list(DEFAULT_OPTIONS["winsorize_q"])),
        "aggregation_by_node": ag.methods,
        "zero_rule": zero_rule,
        "treatment_log": treat_log,
        "ahp": ahp,
        "imputation_log": im.table.to_dict("records") if len(im.table) else [],
        "imputed_cells": int(len(im.table)),
        "dropped_units": im.dropped,
        "weight_concentration": {k: conc[k] for k in ("max_leaf", "max_weight", "top3_weight", "herfindahl",
                                                      "effective_number", "flagged", "limits")},
        "periods_source": g.periods_source,
        "versions": dict(_versions()),
        "warnings": [],
        "result_hash": hashlib.blake2b(np.ascontiguousarray(ag.S).tobytes(), digest_size=32).hexdigest(),
    }
