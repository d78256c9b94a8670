"""The result of :func:`nqpf.index.build_index`."""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np
import pandas as pd

from nqpf._util import atomic_path
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


def _str_col(labels, codes: np.ndarray) -> pd.Series:
    """A pandas string column ``labels[codes]`` built without per-element Python work."""
    return pd.Series(pd.array(np.asarray(labels, dtype=object), dtype="str").take(codes))


class IndexResult:
    """Scores of every node × unit × period with everything needed to explain and regenerate them.

    ``scores``: unit, period, node, score, rank (rank 1 = best within node and period, ties share the best
    rank; ranks of the unrounded scores — tables for readers use :meth:`display_scores`, whose ranks tie on the
    scores as printed with 4 decimals); ``weights``: node, parent, weight (within its parent), effective_weight (share in the root);
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
        stages: dict | None = None,
        log: Log | None = None,
    ):
        self.framework = framework
        self.weights = weights
        self.manifest = manifest
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

    # --- paper-ready outputs (nqpf.report.results, imported when called: the report layer sits above) ---
    def summary(self, period: int | None = None, *, lang: str = "en", top: int | None = None,
                uncertainty=None, unit_names: dict | None = None) -> pd.DataFrame:
        """Paper-ready ranking of ``period`` (default latest): rank (ties as shown, 4 decimals), code, name,
        score, the first-level dimensions, and the 5 %/95 % rank quantiles when ``uncertainty`` is given;
        caption, notes and column formats in ``.attrs``."""
        from nqpf.report.results import summary

        return summary(self, lang=lang, period=period, top=top, uncertainty=uncertainty, unit_names=unit_names)

    def to_latex(self, path: str | os.PathLike | None = None, *, lang: str = "en", caption: str | None = None,
                 label: str = "", notes: list[str] | None = None, **kw) -> str:
        """Booktabs LaTeX of :meth:`summary` with its notes (written atomically to ``path`` when given)."""
        from nqpf.report.results import latex

        return latex(self, path, lang=lang, caption=caption, label=label, notes=notes, **kw)

    def plot(self, kind: str = "ranking", *, lang: str = "en", path: str | os.PathLike | None = None,
             fmt: str | None = None, **kw):
        """Standard figures: 'ranking' (bars, or rank intervals with ``uncertainty=``), 'trend' (``units=``),
        'radar' (``unit=``), 'map' (China map with the 南海诸岛 inset) — PNG/SVG at ``path`` or bytes."""
        from nqpf.report.results import plot

        return plot(self, kind, lang=lang, path=path, fmt=fmt, **kw)

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
        from nqpf.data.units import province
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
        out = {}
        for u in ids:
            try:
                p = province(u)
            except (KeyError, ValueError, NQPFError):
                return {}
            out[u] = p.name_zh if lang == "zh" else p.name_en
        return out

    def to_excel(self, path: str | os.PathLike, *, lang: str = "en", raw_text: bool = False,
                 units: pd.DataFrame | dict | None = None) -> str:
        """Write a reader's workbook atomically (the quality of the report workbook): README (framework, data,
        settings, sources, what each sheet holds), scores and ranks (wide: code, name, year, one column per
        node under its label in ``lang``; ranks tie on the scores as shown, 4 decimals — :func:`display_rank`),
        weights (labels, parent, direction, weight and effective weight as %), contributions (when it fits),
        normalized, imputation_log, nodes (id, label) and manifest (key/value). Number formats per column,
        frozen panes below the header and right of the id columns, column widths from the contents. Unit names
        from ``units`` (see :meth:`unit_names`). Text cells starting with = + - @ get a leading ' (no live
        formulas from unit or indicator names) unless ``raw_text``."""
        from openpyxl import Workbook
        from openpyxl.styles import Font

        from nqpf.i18n import t
        from nqpf.report.excel import safe_text, write_table

        fw = self.framework
        L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
        keep = (lambda v: v) if raw_text else safe_text  # noqa: E731
        names = self.unit_names(lang, units)
        lab = {n: fw.label(n, lang) for n in self.node_ids}
        c_unit, c_name, c_per = L("report.col.unit"), L("report.col.name"), L("common.period")
        ids = pd.DataFrame({c_unit: self.units.astype(str), c_name: [names.get(str(u), str(u)) for u in self.units],
                            c_per: self.periods})
        if not names:
            ids = ids.drop(columns=[c_name])
        nid = ids.shape[1]

        def wide(M, cols):
            heads = _unique([lab.get(c, c) for c in cols])
            return pd.concat([ids, pd.DataFrame(M, columns=heads)], axis=1), heads

        scores, sh = wide(self.S, self.node_ids)
        disp = self.display_scores()
        Rd = disp["rank"].to_numpy(dtype=float).reshape(self.S.shape)
        ranks, rh = wide(Rd, self.node_ids)
        norm, nh = wide(self.Z, fw.leaves)
        w = self.weights
        c_w, c_ew = L("report.xlsx.weight"), L("report.xlsx.effective_weight")
        weights = pd.DataFrame({
            L("report.xlsx.node"): w["node"].astype(str), L("report.col.indicator"): [lab.get(n, n) for n in w["node"]],
            L("report.xlsx.parent"): ["" if p is None or (isinstance(p, float) and p != p) else lab.get(p, str(p))
                                      for p in w["parent"]],
            L("report.ind.col.direction"): [L("report.ind.direction." + ("neg" if fw.direction(n) < 0 else "pos"))
                                            if n in fw.leaves else "" for n in w["node"]],
            c_w: w["weight"].astype(float).to_numpy(), c_ew: w["effective_weight"].astype(float).to_numpy()})
        sheets = [("scores", L("report.xlsx.sheet_scores"), scores, {h: "0.0000" for h in sh}),
                  ("ranks", L("report.xlsx.sheet_ranks"), ranks, {h: "0" for h in rh}),
                  ("weights", L("report.xlsx.sheet_weights"), weights, {c_w: "0.0%", c_ew: "0.0%"}),
                  ("normalized", L("report.xlsx.sheet_normalized"), norm, {h: "0.0000" for h in nh})]
        if len(self.contributions) <= EXCEL_MAX_ROWS:
            sheets.append(self._contributions_sheet(L, names, lab, (c_unit, c_name, c_per)))
        wb = Workbook()
        readme = wb.active
        readme.title = "README"
        self._readme(readme, lang, keep, [(name, what) for name, what, _, _ in sheets])
        for name, _what, df, fmts in sheets:
            ws = wb.create_sheet(name)
            write_table(ws, _neutral(df, raw_text), formats=fmts,
                        freeze_cols=nid if name != "weights" else 2)
        if len(self.imputation_log) and len(self.imputation_log) <= EXCEL_MAX_ROWS:
            write_table(wb.create_sheet("imputation_log"), _neutral(self.imputation_log, raw_text))
        nodes = pd.DataFrame({"node": self.node_ids, "label": [lab[n] for n in self.node_ids]})
        write_table(wb.create_sheet("nodes"), _neutral(nodes, raw_text))
        man = pd.DataFrame(
            [{"key": k, "value": _flat(v)} for k, v in self.manifest.items() if k not in ("imputation_log",)]
        )
        write_table(wb.create_sheet("manifest"), _neutral(man, raw_text), widths={"key": 26, "value": 100})
        for ws in wb.worksheets[1:]:
            ws.sheet_properties.tabColor = "2C7FB8"
        readme.cell(row=1, column=1).font = Font(bold=True, size=13)
        with atomic_path(path) as tmp:
            wb.save(tmp)
        return str(path)

    def _contributions_sheet(self, L, names: dict, lab: dict, id_cols: tuple[str, str, str]) -> tuple:
        """The contributions sheet of :meth:`to_excel`: (name, description, table, number formats)."""
        c, (c_unit, c_name, c_per) = self.contributions, id_cols
        c_ct, c_sh = L("report.xlsx.contribution"), L("report.xlsx.share")
        ct = pd.DataFrame({c_unit: c["unit"].astype(str)})
        if names:
            ct[c_name] = [names.get(u, u) for u in ct[c_unit]]
        ct[c_per] = c["period"].to_numpy()
        ct[L("report.xlsx.parent")] = [lab.get(n, n) for n in c["node"]]
        ct[L("report.xlsx.child")] = [lab.get(n, n) for n in c["child"]]
        ct[c_ct], ct[c_sh] = c["contribution"].to_numpy(), c["share"].to_numpy()
        return "contributions", L("report.xlsx.sheet_contributions"), ct, {c_ct: "0.0000", c_sh: "0.0%"}

    def _readme(self, ws, lang: str, keep, sheets: list[tuple[str, str]]) -> None:
        """The README sheet: title, framework, data, units and years, settings in words, sources, sheets."""
        from openpyxl.styles import Alignment, Font

        from nqpf.i18n import t

        L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
        fw = self.framework
        st = self.manifest.get("settings", {})
        rows: list[tuple[str, str]] = [
            (L("report.meta.framework"), f"{fw.label(fw.root, lang)} ({fw.name})"),
            (L("report.meta.data"), str(self.manifest.get("data", ""))),
            (L("report.meta.units"), str(len(self.unit_labels))),
            (L("report.xlsx.years"), f"{int(self.years.min())}–{int(self.years.max())}"),
        ]
        try:
            from nqpf.report.build import _setting_label
        except ImportError:  # pragma: no cover - the report layer ships with the package
            _setting_label = None
        for k in ("impute", "treat", "normalize", "weights", "weight_scope", "aggregate"):
            if k in st:
                step = t("index.step." + ("weights" if k == "weight_scope" else k), lang)
                val = _setting_label(k, st[k], lang) if _setting_label else str(st[k])
                rows.append((step, val))
        rows.append((L("report.xlsx.rank_rule_key"), L("report.xlsx.rank_rule")))
        ws.cell(row=1, column=1, value=keep(L("report.xlsx.title", framework=fw.label(fw.root, lang))))
        r = 3
        for k, v in rows:
            ws.cell(row=r, column=1, value=keep(k)).font = Font(bold=True)
            ws.cell(row=r, column=2, value=keep(v)).alignment = Alignment(wrap_text=True, vertical="top")
            r += 1
        cites = self._sources(lang)
        if cites:
            r += 1
            ws.cell(row=r, column=1, value=keep(L("report.section.sources"))).font = Font(bold=True)
            for i, (c, inds) in enumerate(cites, 1):
                r += 1
                ws.cell(row=r, column=1, value=f"[{i}]")
                ws.cell(row=r, column=2, value=keep(f"{c} — {inds}")).alignment = Alignment(wrap_text=True)
        r += 2
        ws.cell(row=r, column=1, value=keep(L("report.xlsx.sheets"))).font = Font(bold=True)
        for name, what in [*sheets, ("nodes", L("report.xlsx.sheet_nodes")),
                           ("manifest", L("report.xlsx.sheet_manifest"))]:
            r += 1
            ws.cell(row=r, column=1, value=name)
            ws.cell(row=r, column=2, value=keep(what)).alignment = Alignment(wrap_text=True)
        ws.column_dimensions["A"].width = 24
        ws.column_dimensions["B"].width = 110

    def _sources(self, lang: str) -> list[tuple[str, str]]:
        """(citation, indicators it supplies) for the leaves, from the built-in dataset's catalogue."""
        name = str(self.manifest.get("data", ""))
        try:
            import nqpf.datasets as D

            if name not in D.names():
                return []
            cat = D.load(name).indicators
            from nqpf.report.build import Inputs, _leaf_sources
        except (ImportError, KeyError, AttributeError):
            return []
        per, order, _ = _leaf_sources(self, Inputs(pd.DataFrame(), None, cat, name))
        sep = "、" if lang == "zh" else "; "
        fw = self.framework
        return [(c, sep.join(fw.label(x, lang) for x in fw.leaves if c in per[x])) for c in order]


@pd.api.extensions.register_dataframe_accessor("nqpf")
class ResultAccessor:
    """``df.nqpf``: the paper-ready outputs of the tidy results of ``dea``, ``malmquist``, ``sigma``,
    ``beta_cross_section``, ``beta_panel``, ``dagum``, ``kde_over_time`` and rank-interval tables (recognised by
    their columns, :func:`nqpf.report.results.result_kind`): ``summary()``, ``to_latex()``, ``to_excel()``,
    ``plot()``. Registered when :mod:`nqpf.index.result` is imported (the productivity and analysis modules do)."""

    def __init__(self, df: pd.DataFrame):
        self._df = df

    @property
    def kind(self) -> str:
        from nqpf.report.results import result_kind

        return result_kind(self._df)

    def summary(self, *, lang: str = "en", **kw) -> pd.DataFrame:
        from nqpf.report.results import summary

        return summary(self._df, lang=lang, **kw)

    def to_latex(self, path: str | os.PathLike | None = None, *, lang: str = "en", **kw) -> str:
        from nqpf.report.results import latex

        return latex(self._df, path, lang=lang, **kw)

    def to_excel(self, path: str | os.PathLike, *, lang: str = "en", **kw):
        from nqpf.report.results import excel

        return excel(self._df, path, lang=lang, **kw)

    def plot(self, kind: str | None = None, *, lang: str = "en", path: str | os.PathLike | None = None,
             fmt: str | None = None, **kw):
        from nqpf.report.results import plot

        return plot(self._df, kind, lang=lang, path=path, fmt=fmt, **kw)


def _unique(heads: list[str]) -> list[str]:
    """Column headers made unique (a label used twice gets ' (2)')."""
    seen: dict[str, int] = {}
    out = []
    for h in heads:
        k = seen.get(h, 0) + 1
        seen[h] = k
        out.append(h if k == 1 else f"{h} ({k})")
    return out


def _neutral(df: pd.DataFrame, raw_text: bool) -> pd.DataFrame:
    """``write_table`` neutralises text cells; with ``raw_text`` the caller wants them as they are, so the frame
    is wrapped to skip that (see ``nqpf.report.excel.write_table``)."""
    df = df.copy()
    df.attrs["raw_text"] = bool(raw_text)
    return df


def _flat(v: Any) -> str:
    import json

    from nqpf._util import _json_default

    if isinstance(v, str):
        return v
    s = json.dumps(v, ensure_ascii=False, default=_json_default)
    return s if len(s) < 32000 else s[:32000] + "…"
