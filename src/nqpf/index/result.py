"""The result of :func:`nqpf.index.build_index`."""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np
import pandas as pd

from nqpf._protocol import ResultProtocol, ensure_manifest, render, result_kind
from nqpf.errors import MethodError
from nqpf.framework import Framework
from nqpf.index.log import Log
from nqpf.index.spec import IndexSpec
from nqpf.index.stages import rank_within_periods

EXCEL_MAX_ROWS = 1_048_575
DISPLAY_DIGITS = 4  # decimals of scores in reports, tables and workbooks; display ranks tie on them


def shown_values(a, digits: int = DISPLAY_DIGITS) -> np.ndarray:
    """``a`` rounded to ``digits`` decimals as printed (``'%.{digits}f'``, the decimal rounding of the binary
    value); non-finite values become NaN."""
    a = np.asarray(a, dtype=float)
    out = np.full(a.shape, np.nan)
    ok = np.isfinite(a)
    if ok.any():
        out[ok] = np.char.mod(f"%.{int(digits)}f", a[ok]).astype(float)
    return out


def display_rank(values, *, digits: int = DISPLAY_DIGITS, ascending: bool = False, by=None) -> pd.Series:
    """Ranks for display: 'min' ranks (ties share the best rank: 1, 2, 2, 2, 2, 6) of ``values`` rounded to
    ``digits`` decimals exactly as they are printed (``f"{v:.{digits}f}"``), so that values shown equal get equal
    ranks (1.000000000000277 and 1.0 both print 1.0000 and tie). Missing values get no rank (<NA>).

    ``ascending=False``: rank 1 = largest; ``by``: optional group labels (an array, or a list of arrays, of the
    same length) to rank within. Returns a nullable-integer Series aligned with ``values``. The stored index ranks
    (``IndexResult.R``) stay ranks of the unrounded scores; every table shown to readers uses this.
    """
    s = pd.Series(values).astype(float)
    shown = pd.Series(shown_values(s.to_numpy(), digits), index=s.index)
    if by is None:
        r = shown.rank(method="min", ascending=ascending, na_option="keep")
    else:
        several = isinstance(by, list) and len(by) > 0 and np.ndim(by[0]) > 0
        keys = [np.asarray(b) for b in by] if several else np.asarray(by)
        r = shown.groupby(keys, sort=False).rank(method="min", ascending=ascending, na_option="keep")
    return r.astype("Int64")


def province_names(units, lang: str = "en") -> dict[str, str]:
    """unit → GB/T 2260 province name in ``lang`` when every unit is a province code, else {}."""
    from nqpf.data.units import province
    from nqpf.errors import NQPFError

    out = {}
    for u in dict.fromkeys(str(u) for u in units):
        try:
            p = province(u)
        except (KeyError, ValueError, NQPFError):
            return {}
        out[u] = p.name_zh if lang == "zh" else p.name_en
    return out


def _str_col(labels, codes: np.ndarray) -> pd.Series:
    """A pandas string column ``labels[codes]`` built without per-element Python work."""
    return pd.Series(pd.array(np.asarray(labels, dtype=object), dtype="str").take(codes))


class IndexResult(ResultProtocol):
    """Scores of every node × unit × period with everything needed to explain and regenerate them.

    ``scores``: unit, period, node, score, rank (rank 1 = best within node and period, ties share the best
    rank; ranks of the unrounded scores — tables for readers use :meth:`display_scores`, whose ranks tie on the
    scores as printed with 4 decimals); ``weights``: node, parent, weight (within its parent), effective_weight (share in the root);
    ``normalized``: unit, period, indicator, value; ``contributions``: unit, period, node, child, contribution,
    share (contribution / node score); ``values``: leaf values after imputation and treatment (wide);
    ``manifest``: settings, hashes, versions, warnings, imputation log. The long tables are built on first
    access. Array views for re-use (e.g. uncertainty analysis): ``units``, ``periods`` (row labels of the
    blocks, unit-major), ``Z`` (rows × leaves, normalised), ``S`` (rows × nodes in ``node_ids`` order),
    ``R`` (ranks, same shape), ``X`` (rows × leaves, values fed to normalisation). The results protocol
    (:class:`nqpf._protocol.ResultProtocol`): :meth:`to_frame` = ``scores``, :meth:`write`, the renderers.
    """

    kind = "index"

    def __init__(
        self,
        *,
        framework: Framework,
        weights: pd.DataFrame,
        manifest: dict,
        settings: dict,
        imputation_log: pd.DataFrame,
        unit_labels: np.ndarray,
        years: np.ndarray,
        node_ids: list,
        Z: np.ndarray,
        S: np.ndarray,
        R: np.ndarray,
        X: np.ndarray,
        within: dict,
        methods: dict,
        stages: dict | None = None,
        log: Log | None = None,
    ):
        self.framework = framework
        self.weights = weights
        self.manifest = ensure_manifest(manifest, "index")
        self.settings = settings
        self.imputation_log = imputation_log
        self.unit_labels = np.asarray(unit_labels, dtype=object)
        self.years = np.asarray(years, dtype="int64")
        self.node_ids = list(node_ids)
        self.Z, self.S, self.X = Z, S, X
        # R: the full rows × nodes block, or {column: ranks} of the nodes ranked at build time (rank_nodes);
        # the others are ranked on first access (:meth:`ranks`, :attr:`R`)
        self._R, self._rank_cols = (None, dict(R)) if isinstance(R, dict) else (R, None)
        self._within, self._methods = within, methods
        # the data sets of the stages (rows × leaves, the last rows × nodes), as COINr keeps coin$Data:
        # raw (after the grid), imputed, treated, normalised, aggregated; a stage that changed nothing shares
        # its input's array. ``log``: the build's Log (notes by stage, stage records).
        self.stages: dict[str, np.ndarray] = dict(stages or {})
        self.log = log
        T = len(self.years)
        self._row_u = np.repeat(np.arange(len(self.unit_labels)), T)
        self.units = self.unit_labels[self._row_u]
        self.periods = np.tile(self.years, len(self.unit_labels))

    @property
    def R(self) -> np.ndarray:
        """Ranks, rows × nodes (1 = best within node and period; ties share the best rank)."""
        if self._R is None:
            self._R = self.ranks(self.node_ids)
            self._rank_cols = None
        return self._R

    @R.setter
    def R(self, value: np.ndarray) -> None:
        self._R, self._rank_cols = value, None

    def ranks(self, nodes) -> np.ndarray:
        """Ranks (rows × len(nodes)) of ``nodes`` (ids), computing only those not ranked yet (a build with
        ``rank_nodes=`` ranks some nodes only). Equal to the matching columns of :attr:`R`."""
        nodes = [nodes] if isinstance(nodes, str) else list(nodes)
        unknown = [n for n in nodes if n not in self.node_ids]
        if unknown:
            raise MethodError(f"ranks: node(s) {unknown} are not in the framework; its nodes: {self.node_ids}")
        cols = [self.node_ids.index(n) for n in nodes]
        if self._R is not None:
            return self._R[:, cols]
        miss = sorted(set(cols) - set(self._rank_cols))
        if miss:
            block = rank_within_periods(self.S[:, miss], len(self.unit_labels), len(self.years))
            self._rank_cols.update({c: block[:, i] for i, c in enumerate(miss)})
        if not cols:
            return np.empty((self.S.shape[0], 0), dtype="int64")
        return np.column_stack([self._rank_cols[c] for c in cols])

    def stage_table(self, name: str) -> pd.DataFrame:
        """The data set of stage ``name`` (a key of :attr:`stages`) as a wide table indexed by (unit, period)."""
        if name not in self.stages:
            raise MethodError(f"stage_table: no data set {name!r}; this result keeps {sorted(self.stages)}")
        cols = self.node_ids if name == "aggregated" else self.framework.leaves
        idx = pd.MultiIndex.from_arrays([self.units, self.periods], names=["unit", "period"])
        return pd.DataFrame(self.stages[name], index=idx, columns=cols)

    @functools.cached_property
    def scores(self) -> pd.DataFrame:
        N, n = len(self.node_ids), self.S.shape[0]
        return pd.DataFrame(
            {
                "unit": _str_col(self.unit_labels, np.repeat(self._row_u, N)),
                "period": np.repeat(self.periods, N),
                "node": _str_col(self.node_ids, np.tile(np.arange(N), n)),
                "score": self.S.reshape(-1),
                "rank": self.R.reshape(-1),
            }
        )

    @functools.cached_property
    def normalized(self) -> pd.DataFrame:
        leaves = self.framework.leaves
        L, n = len(leaves), self.Z.shape[0]
        return pd.DataFrame(
            {
                "unit": _str_col(self.unit_labels, np.repeat(self._row_u, L)),
                "period": np.repeat(self.periods, L),
                "indicator": _str_col(leaves, np.tile(np.arange(L), n)),
                "value": self.Z.reshape(-1),
            }
        )

    @functools.cached_property
    def values(self) -> pd.DataFrame:
        idx = pd.MultiIndex.from_arrays([self.units, self.periods], names=["unit", "period"])
        return pd.DataFrame(self.X, index=idx, columns=self.framework.leaves)

    @functools.cached_property
    def contributions(self) -> pd.DataFrame:
        """contribution of child c to parent p: w_c·s_c (arithmetic; sums to the parent score). For the other
        aggregations the parent score is shared in proportion to w_c·s_c (see docs/index/aggregate.md)."""
        fw, S = self.framework, self.S
        col = {n: i for i, n in enumerate(self.node_ids)}
        n = S.shape[0]
        blocks, shares, node_codes, child_codes = [], [], [], []
        for p in fw.internal:
            kids = fw.children(p)
            C = S[:, [col[k] for k in kids]] * np.array([self._within[k] for k in kids])
            sp = S[:, [col[p]]]
            if self._methods.get(p) != "arithmetic":
                tot = C.sum(axis=1, keepdims=True)
                C = np.divide(C, tot, out=np.zeros_like(C), where=tot != 0) * sp
            blocks.append(C)
            shares.append(np.divide(C, sp, out=np.full_like(C, np.nan), where=sp != 0))
            node_codes.append(np.full(len(kids), col[p]))
            child_codes.append(np.array([col[k] for k in kids]))
        C, H = np.hstack(blocks), np.hstack(shares)
        m = C.shape[1]
        nc, cc = np.concatenate(node_codes), np.concatenate(child_codes)
        return pd.DataFrame(
            {
                "unit": _str_col(self.unit_labels, np.repeat(self._row_u, m)),
                "period": np.repeat(self.periods, m),
                "node": _str_col(self.node_ids, np.tile(nc, n)),
                "child": _str_col(self.node_ids, np.tile(cc, n)),
                "contribution": C.reshape(-1),
                "share": H.reshape(-1),
            }
        )

    def display_scores(self, digits: int = DISPLAY_DIGITS) -> pd.DataFrame:
        """``scores`` with ``rank`` re-computed for display: :func:`display_rank` within node and period, so that
        scores equal at ``digits`` decimals share the best rank. The stored ``rank`` (and ``R``, the
        manifest's hashes) keep ranking the unrounded scores."""
        key = int(digits)
        cache = self.__dict__.setdefault("_display_cache", {})
        if key not in cache:
            sc = self.scores
            r = display_rank(sc["score"], digits=key, by=[sc["node"].to_numpy(), sc["period"].to_numpy()])
            cache[key] = sc.assign(rank=r.to_numpy())
        return cache[key]

    @functools.cached_property
    def diagnostics(self):
        """Artefact checks (:func:`nqpf.index.diagnostics.diagnose` with default thresholds): weight
        concentration, single drivers, outliers, small denominators, rank jumps, long imputation."""
        from nqpf.index.diagnostics import diagnose

        return diagnose(self)

    # --- specification (issue 18): the spec of this result and rebuilding it with changes ---------------------
    @functools.cached_property
    def spec(self) -> IndexSpec:
        """The :class:`~nqpf.index.spec.IndexSpec` that built this result, with the data and framework hashes
        pinned: ``build_index(res.spec)`` and ``IndexSpec.from_json(res.spec.to_json())`` rebuild the same
        ``result_hash``. Steps the call left unset stay unset (they resolve to the framework's declared method,
        else the engine default; :meth:`IndexSpec.resolved` writes them out). A DataFrame is hashed when
        this is first read, so do not modify it in between."""
        spec = getattr(self, "_spec", None)
        if spec is None:
            args = getattr(self, "_spec_args", None)
            if args is None:
                raise MethodError("this IndexResult was not made by build_index, so it has no spec")
            data, framework, kw = args
            spec = IndexSpec.from_args(data, framework, **kw)
        return spec.pinned()

    def regen(self, **changes: Any) -> IndexResult:
        """A new result built from :attr:`spec` with ``changes`` (spec fields such as ``weights="critic"`` or
        ``periods="2015-2020"``, or option names such as ``alpha=0.3``); this result is left unchanged."""
        spec = self.spec.replace(**changes)
        builder = getattr(self, "_builder", None)
        if builder is None:
            raise MethodError("this IndexResult was not made by build_index, so it cannot be rebuilt")
        return builder(spec)

    def __repr__(self) -> str:
        return (
            f"IndexResult(framework={self.framework.name!r}, units={len(self.unit_labels)}, "
            f"periods={int(self.years.min())}-{int(self.years.max())}, nodes={len(self.node_ids)})"
        )

    def score_table(self, node: str | None = None) -> pd.DataFrame:
        """Wide scores: rows (unit, period), one column per node (or one node as a Series-like frame)."""
        df = pd.DataFrame(
            self.S,
            index=pd.MultiIndex.from_arrays([self.units, self.periods], names=["unit", "period"]),
            columns=self.node_ids,
        )
        return df if node is None else df[[node]]

    def index_scores(self) -> pd.DataFrame:
        """Root scores and ranks: unit, period, score, rank."""
        root = self.framework.root
        return self.scores.loc[self.scores["node"] == root, ["unit", "period", "score", "rank"]].reset_index(
            drop=True
        )

    def strengths_weaknesses(self, n: int = 3, period: int | None = None) -> pd.DataFrame:
        """Per unit, the ``n`` indicators with the best and the worst rank in ``period`` (default: latest).

        Columns: unit, period, kind ('strength' | 'weakness'), order (1 = most marked), node, rank, score.
        """
        leaves = self.framework.leaves
        per = int(np.max(self.periods)) if period is None else int(period)
        m = self.periods == per
        if not m.any():
            raise KeyError(f"period {per} is not in the result")
        cols = [self.node_ids.index(x) for x in leaves]
        R = self.R[m][:, cols]
        S = self.S[m][:, cols]
        units = self.units[m]
        n = min(n, max(1, len(leaves) // 2))
        # stable sort by rank, then by score (desc) to break ties deterministically
        order = np.lexsort((-S, R), axis=-1)
        rows = []
        for kind, pick in (("strength", order[:, :n]), ("weakness", order[:, ::-1][:, :n])):
            U = np.repeat(units, n)
            J = pick.reshape(-1)
            ii = np.repeat(np.arange(len(units)), n)
            rows.append(
                pd.DataFrame(
                    {
                        "unit": U,
                        "period": per,
                        "kind": kind,
                        "order": np.tile(np.arange(1, n + 1), len(units)),
                        "node": np.asarray(leaves, dtype=object)[J],
                        "rank": R[ii, J],
                        "score": S[ii, J],
                    }
                )
            )
        return (
            pd.concat(rows, ignore_index=True).sort_values(["unit", "kind", "order"]).reset_index(drop=True)
        )

    # --- paper-ready outputs (renderers of the report layer, looked up by name: nqpf._protocol.RENDERERS) ---
    def summary(self, period: int | None = None, *, lang: str = "en", top: int | None = None,
                uncertainty=None, unit_names: dict | None = None) -> pd.DataFrame:
        """Paper-ready ranking of ``period`` (default latest): rank (ties as shown, 4 decimals), code, name,
        score, the first-level dimensions, and the 5 %/95 % rank quantiles when ``uncertainty`` is given;
        caption, notes and column formats in ``.attrs``."""
        return render("summary", self, lang=lang, period=period, top=top, uncertainty=uncertainty,
                      unit_names=unit_names)

    def to_latex(self, path: str | os.PathLike | None = None, *, lang: str = "en", caption: str | None = None,
                 label: str = "", notes: list[str] | None = None, **kw) -> str:
        """Booktabs LaTeX of :meth:`summary` with its notes (written atomically to ``path`` when given)."""
        return render("latex", self, path=path, lang=lang, caption=caption, label=label, notes=notes, **kw)

    def plot(self, kind: str = "ranking", *, lang: str = "en", path: str | os.PathLike | None = None,
             fmt: str | None = None, **kw):
        """Standard figures: 'ranking' (bars, or rank intervals with ``uncertainty=``), 'trend' (``units=``),
        'radar' (``unit=``), 'map' (China map with the 南海诸岛 inset) — PNG/SVG at ``path`` or bytes."""
        return render("plot", self, kind=kind, lang=lang, path=path, fmt=fmt, **kw)

    def unit_names(self, lang: str = "en", units: pd.DataFrame | dict | None = None) -> dict[str, str]:
        """unit → name in ``lang``: from ``units`` (a dict, or a table with unit and name_zh/name_en), else from
        the built-in dataset the index was built on (``manifest['data']``), else GB/T 2260 province names when
        the units are province codes, else {} (ids are shown as they are)."""
        ids = [str(u) for u in self.unit_labels]
        if isinstance(units, dict):
            return {str(k): str(v) for k, v in units.items()}
        col = "name_zh" if lang == "zh" else "name_en"
        if isinstance(units, pd.DataFrame) and {"unit", col} <= set(units.columns):
            return dict(zip(units["unit"].astype(str), units[col].astype(str), strict=True))
        from nqpf.errors import NQPFError

        name = str(self.manifest.get("data", ""))
        try:  # a built-in dataset names its units (provinces, cities, …)
            import nqpf.datasets as D

            if name in D.names():
                tab = D.load(name).units
                if {"unit", col} <= set(tab.columns) and set(ids) <= set(tab["unit"].astype(str)):
                    return dict(zip(tab["unit"].astype(str), tab[col].astype(str), strict=True))
        except (ImportError, KeyError, NQPFError):
            pass
        return province_names(ids, lang)

    def to_excel(self, path: str | os.PathLike, *, lang: str = "en", raw_text: bool = False,
                 units: pd.DataFrame | dict | None = None) -> str:
        """Write a reader's workbook atomically: README (framework, data, settings, sources, sheets), scores and
        ranks (wide, labels in ``lang``; ranks tie on the scores as shown), weights, contributions (when it
        fits), normalized, imputation_log, nodes and manifest (renderer ``workbook``,
        :func:`nqpf.report.results_workbook.index_workbook`). Unit names from ``units`` (see
        :meth:`unit_names`). Text cells starting with = + - @ get a leading ' unless ``raw_text``."""
        return render("workbook", self, path=path, lang=lang, raw_text=raw_text, units=units)

    # --- results protocol (nqpf._protocol) ------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """The tidy scores table (:attr:`scores`): unit, period, node, score, rank."""
        return self.scores

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables of :meth:`write`'s folder form: scores, weights, normalized and, when any cell was
        filled, imputation_log."""
        out = {"scores": self.scores, "weights": self.weights, "normalized": self.normalized}
        if len(self.imputation_log):
            out["imputation_log"] = self.imputation_log
        return out


@pd.api.extensions.register_dataframe_accessor("nqpf")
class ResultAccessor(ResultProtocol):
    """``df.nqpf``: the results protocol for the tidy results of ``dea``, ``malmquist``, ``sigma``,
    ``beta_cross_section``, ``beta_panel``, ``dagum``, ``kde_over_time``, the other analysis functions and
    rank-interval tables (kind recognised by their columns, :func:`nqpf._protocol.result_kind`): ``manifest``
    (``df.attrs["manifest"]`` completed to the common schema; pandas drops ``attrs`` in ``merge``, so take it
    before merging), ``to_frame()``, ``summary()``, ``to_latex()``, ``to_excel()``, ``plot()``, ``write()``.
    Registered when :mod:`nqpf.index.result` is imported (the productivity and analysis modules do)."""

    def __init__(self, df: pd.DataFrame):
        self._df = df

    @property
    def kind(self) -> str:  # type: ignore[override]
        return result_kind(self._df)

    @property
    def manifest(self) -> dict:  # type: ignore[override]
        """``df.attrs["manifest"]`` with the common keys (an empty manifest of this kind when there is none)."""
        return ensure_manifest(self._df.attrs.get("manifest"), self.kind)

    def _target(self) -> pd.DataFrame:
        return self._df

    def to_frame(self) -> pd.DataFrame:
        """The table itself (a copy, ``attrs`` included)."""
        return self._df.copy()
