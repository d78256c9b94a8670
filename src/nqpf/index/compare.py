"""Agreement between two composite scores: rank correlations per period and the largest disagreements.

``compare_scores(a, b)`` takes each side as an :class:`~nqpf.index.IndexResult` (its root score), a tidy frame
``unit, period, score`` (a ``node`` column is filtered to the root / ``index`` node when present; a ``value``
column is accepted for ``score``), or a ``(Dataset, indicator)`` pair such as
``(nqpf.datasets.load("cn_provinces"), "nqpf_score_127ww")``. Units and periods are matched exactly; only
pairs present on both sides are used, and how many were dropped is reported, never hidden.

Per period: ``n``, Spearman ρ and Kendall τ-b (scipy.stats, ties averaged), Pearson r of the scores; and per
unit-period the ranks on both sides (1 = best, average ranks for ties) and their difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nqpf.errors import DataError


@dataclass
class Comparison:
    """``by_period`` (period, n, spearman, kendall, pearson), ``pairs`` (unit, period, score_a, score_b,
    rank_a, rank_b, rank_diff), ``names`` (a, b), ``unmatched`` (rows of a / b without a partner)."""

    by_period: pd.DataFrame
    pairs: pd.DataFrame
    names: tuple[str, str]
    unmatched: dict[str, int]

    def disagreements(self, n: int = 5, period: int | None = None) -> pd.DataFrame:
        """The ``n`` unit-periods with the largest |rank_a − rank_b| (of one period if given)."""
        p = self.pairs if period is None else self.pairs[self.pairs["period"] == period]
        return p.reindex(p["rank_diff"].abs().sort_values(ascending=False, kind="stable").index).head(n)

    def summary(self) -> dict[str, Any]:
        bp = self.by_period
        return {
            "a": self.names[0],
            "b": self.names[1],
            "periods": int(len(bp)),
            "spearman_min": float(bp["spearman"].min()),
            "spearman_mean": float(bp["spearman"].mean()),
            "kendall_min": float(bp["kendall"].min()),
            "unmatched": dict(self.unmatched),
        }


def _side(x: Any, what: str) -> tuple[pd.DataFrame, str]:
    from nqpf.index.result import IndexResult

    if isinstance(x, IndexResult):
        df = x.index_scores()[["unit", "period", "score"]]
        return df, x.framework.name
    if isinstance(x, tuple) and len(x) == 2 and hasattr(x[0], "data"):
        ds, ind = x
        d = ds.data[ds.data["indicator"] == ind]
        if d.empty:
            raise DataError(f"compare: {what}: the dataset has no indicator {ind!r}")
        return d.rename(columns={"value": "score"})[["unit", "period", "score"]], str(ind)
    if isinstance(x, pd.DataFrame):
        df = x.copy()
        if "score" not in df.columns and "value" in df.columns:
            df = df.rename(columns={"value": "score"})
        missing = [c for c in ("unit", "period", "score") if c not in df.columns]
        if missing:
            raise DataError(
                f"compare: {what} lacks column(s) {missing}; give unit, period and score (or value) columns"
            )
        if "node" in df.columns:
            roots = [n for n in ("index",) if n in set(df["node"])]
            node = roots[0] if roots else df["node"].iloc[0]
            df = df[df["node"] == node]
        dup = df.duplicated(["unit", "period"])
        if dup.any():
            r = df[dup].iloc[0]
            raise DataError(
                f"compare: {what} has {int(dup.sum())} duplicated unit-period row(s), e.g. unit {r['unit']!r} "
                f"period {r['period']}; keep one score per unit and period"
            )
        return df[["unit", "period", "score"]], what
    raise DataError(f"compare: {what} must be an IndexResult, a DataFrame (unit, period, score) or (dataset, name)")


def compare_scores(a: Any, b: Any, *, names: tuple[str, str] | None = None) -> Comparison:
    """Rank agreement of two scores per period (module docstring)."""
    from scipy import stats

    da, na = _side(a, "a")
    db, nb = _side(b, "b")
    for d in (da, db):
        d["unit"] = d["unit"].astype(str)
        d["period"] = pd.to_numeric(d["period"], errors="raise").astype(int)
        d["score"] = pd.to_numeric(d["score"], errors="coerce").astype(float)
    da, db = da.dropna(subset=["score"]), db.dropna(subset=["score"])
    m = da.merge(db, on=["unit", "period"], suffixes=("_a", "_b"), how="inner")
    if m.empty:
        raise DataError(
            "compare: no unit-period appears on both sides; check that both use the same unit ids "
            f"(a: {list(da['unit'].unique()[:3])}, b: {list(db['unit'].unique()[:3])}) and years"
        )
    unmatched = {"a": int(len(da) - len(m)), "b": int(len(db) - len(m))}
    rows, parts = [], []
    for p, g in m.groupby("period", sort=True):
        g = g.copy()
        g["rank_a"] = g["score_a"].rank(ascending=False, method="average")
        g["rank_b"] = g["score_b"].rank(ascending=False, method="average")
        parts.append(g)
        n = len(g)
        if n >= 3:
            rho = stats.spearmanr(g["score_a"], g["score_b"]).statistic
            tau = stats.kendalltau(g["score_a"], g["score_b"]).statistic
            r = stats.pearsonr(g["score_a"], g["score_b"]).statistic
        else:
            rho = tau = r = np.nan
        rows.append({"period": int(p), "n": n, "spearman": rho, "kendall": tau, "pearson": r})
    pairs = pd.concat(parts, ignore_index=True)
    pairs["rank_diff"] = pairs["rank_a"] - pairs["rank_b"]
    return Comparison(
        by_period=pd.DataFrame(rows),
        pairs=pairs[["unit", "period", "score_a", "score_b", "rank_a", "rank_b", "rank_diff"]],
        names=names or (na, nb),
        unmatched=unmatched,
    )
