"""The result of :func:`nqpf.index.build_index`."""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np
import pandas as pd

from nqpf._util import atomic_path
from nqpf.framework import Framework

EXCEL_MAX_ROWS = 1_048_575


def _str_col(labels, codes: np.ndarray) -> pd.Series:
    """A pandas string column ``labels[codes]`` built without per-element Python work."""
    return pd.Series(pd.array(np.asarray(labels, dtype=object), dtype="str").take(codes))


class IndexResult:
    """Scores of every node × unit × period with everything needed to explain and regenerate them.

    ``scores``: unit, period, node, score, rank (rank 1 = best within node and period, ties share the best
    rank); ``weights``: node, parent, weight (within its parent), effective_weight (share in the root);
    ``normalized``: unit, period, indicator, value; ``contributions``: unit, period, node, child, contribution,
    share (contribution / node score); ``values``: leaf values after imputation and treatment (wide);
    ``manifest``: settings, hashes, versions, warnings, imputation log. The long tables are built on first
    access. Array views for re-use (e.g. uncertainty analysis): ``units``, ``periods`` (row labels of the
    blocks, unit-major), ``Z`` (rows × leaves, normalised), ``S`` (rows × nodes in ``node_ids`` order),
    ``R`` (ranks, same shape), ``X`` (rows × leaves, values fed to normalisation).
    """

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
    ):
        self.framework = framework
        self.weights = weights
        self.manifest = manifest
        self.settings = settings
        self.imputation_log = imputation_log
        self.unit_labels = np.asarray(unit_labels, dtype=object)
        self.years = np.asarray(years, dtype="int64")
        self.node_ids = list(node_ids)
        self.Z, self.S, self.R, self.X = Z, S, R, X
        self._within, self._methods = within, methods
        T = len(self.years)
        self._row_u = np.repeat(np.arange(len(self.unit_labels)), T)
        self.units = self.unit_labels[self._row_u]
        self.periods = np.tile(self.years, len(self.unit_labels))

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

    @functools.cached_property
    def diagnostics(self):
        """Artefact checks (:func:`nqpf.index.diagnostics.diagnose` with default thresholds): weight
        concentration, single drivers, outliers, small denominators, rank jumps, long imputation."""
        from nqpf.index.diagnostics import diagnose

        return diagnose(self)

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

    def to_excel(self, path: str | os.PathLike, *, lang: str = "en", raw_text: bool = False) -> str:
        """Write an .xlsx workbook atomically: scores (wide), ranks (wide), weights, normalized (wide),
        contributions (when it fits), manifest (key/value). Text cells and headers starting with = + - @ get a
        leading ' (no live formulas from unit or indicator names) unless ``raw_text``."""
        from nqpf._util import neutralise_frame

        safe = (lambda df: df) if raw_text else neutralise_frame  # noqa: E731
        idx = pd.MultiIndex.from_arrays([self.units, self.periods], names=["unit", "period"])
        labels = [self.framework.label(n, lang) for n in self.node_ids]
        scores = pd.DataFrame(self.S, index=idx, columns=self.node_ids).reset_index()
        ranks = pd.DataFrame(self.R, index=idx, columns=self.node_ids).reset_index()
        norm = pd.DataFrame(self.Z, index=idx, columns=self.framework.leaves).reset_index()
        w = self.weights.copy()
        w.insert(1, "label", [self.framework.label(n, lang) for n in w["node"]])
        man = pd.DataFrame(
            [{"key": k, "value": _flat(v)} for k, v in self.manifest.items() if k not in ("imputation_log",)]
        )
        with atomic_path(path) as tmp:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                safe(scores).to_excel(xw, sheet_name="scores", index=False)
                safe(ranks).to_excel(xw, sheet_name="ranks", index=False)
                safe(w).to_excel(xw, sheet_name="weights", index=False)
                safe(norm).to_excel(xw, sheet_name="normalized", index=False)
                if len(self.contributions) <= EXCEL_MAX_ROWS:
                    safe(self.contributions).to_excel(xw, sheet_name="contributions", index=False)
                if len(self.imputation_log) and len(self.imputation_log) <= EXCEL_MAX_ROWS:
                    safe(self.imputation_log).to_excel(xw, sheet_name="imputation_log", index=False)
                safe(pd.DataFrame({"node": self.node_ids, "label": labels})).to_excel(
                    xw, sheet_name="nodes", index=False
                )
                safe(man).to_excel(xw, sheet_name="manifest", index=False)
        return str(path)


def _flat(v: Any) -> str:
    import json

    from nqpf._util import _json_default

    if isinstance(v, str):
        return v
    s = json.dumps(v, ensure_ascii=False, default=_json_default)
    return s if len(s) < 32000 else s[:32000] + "…"
