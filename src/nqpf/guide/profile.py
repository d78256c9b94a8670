"""Regional profile: where a unit stands in a year, on the index and each dimension, and why.

Built from an :class:`nqpf.index.IndexResult` (scores, ranks, normalised indicators, weights):

* scores and ranks of the root and its dimensions (children of the root) with the change against the
  previous year and the OLS slope over the last ``trend_years`` years; rank intervals (``rank_p05``,
  ``rank_p95``) when an uncertainty table is passed;
* position against the national mean, the mean of the unit's group (``units.group``) and its nearest
  peers — the ``n_peers`` units closest in Euclidean distance on the vector of dimension scores that year;
* strengths and weaknesses: the indicators furthest above / below the peers' mean, in normalised units;
* top obstacles: obstacle degree O_ij = F_j (1 − x'_ij) / Σ_j F_j (1 − x'_ij) (``nqpf.analysis.obstacle``),
  and relative to the frontier of similar regions (the unit and its peers, or ``reference_units``):
  O_ij = F_j (f_j − x'_ij) / Σ_j F_j (f_j − x'_ij), f_j = max over the group (``relative_obstacle_degree``);
* coupling coordination D = sqrt(C·T) of the digital and real-economy dimensions (``nqpf.analysis.coupling``);
* TFP / efficiency indicators of the dataset, when it has them.

Anything that cannot be computed is listed in ``missing`` with what it needs — never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nqpf import _util
from nqpf.errors import DataError, NQPFError

TFP_CANDIDATES = ("cao_dai_gtfp", "tfp", "rtfpna", "ctfp", "labor_productivity", "labour_productivity")


@dataclass
class Profile:
    unit: str
    year: int
    name: str
    group: str | None
    scores: pd.DataFrame        # node, level, score, rank, n_units, change, slope, national_mean, group_mean,
                                # peer_mean, rank_p05, rank_p95
    peers: pd.DataFrame         # unit, name, group, distance
    indicators: pd.DataFrame    # indicator, dimension, value, national_mean, peer_mean, gap_peers, rank
    strengths: pd.DataFrame
    weaknesses: pd.DataFrame
    obstacles: pd.DataFrame | None      # node, level, obstacle, deviation, rank
    coupling: dict | None               # systems, U, C, T, D, grade
    productivity: pd.DataFrame | None   # indicator, value, rank, n_units, change
    trend: pd.DataFrame                 # period, node, score, rank (the unit's history)
    missing: list[dict] = field(default_factory=list)   # {section, what, needs, reason}
    manifest: dict = field(default_factory=dict)
    unit_names: dict = field(default_factory=dict)      # unit -> display name (all units)
    relative_obstacles: pd.DataFrame | None = None      # node, level, value, frontier, frontier_unit, deviation,
                                                        # obstacle, rank (against the peers' frontier)
    panel: pd.DataFrame | None = None                   # unit, period, score, rank of the root (all units)


def _names(units: pd.DataFrame | None, lang: str) -> tuple[dict, dict]:
    if units is None or units.empty:
        return {}, {}
    col = "name_zh" if lang == "zh" and "name_zh" in units else ("name_en" if "name_en" in units else None)
    nm = dict(zip(units["unit"].astype(str), units[col].astype(str), strict=True)) if col else {}
    gr = dict(zip(units["unit"].astype(str), units["group"].astype(str), strict=True)) if "group" in units else {}
    return nm, gr


def check_unit_year(res, unit: str, year: int) -> None:
    """Raise :class:`DataError` listing valid units / years when ``unit`` or ``year`` is not in the result."""
    units = sorted(set(map(str, res.scores["unit"].unique())))
    years = sorted(set(int(p) for p in res.scores["period"].unique()))
    if int(year) not in years:
        raise DataError(f"year {year} is not in the index result; valid years: {years}")
    if str(unit) not in units:
        raise DataError(f"unit {unit!r} is not in the index result; valid units: {units}")


def _slope(periods: np.ndarray, values: np.ndarray) -> float:
    m = np.isfinite(values)
    if m.sum() < 3:
        return float("nan")
    x, y = periods[m].astype(float), values[m]
    x = x - x.mean()
    return float((x * (y - y.mean())).sum() / (x * x).sum())


def build_profile(res, unit: str, year: int, *, units: pd.DataFrame | None = None,
                  data: pd.DataFrame | None = None, uncertainty: pd.DataFrame | None = None,
                  coupling_systems: list[str] | None = None, n_peers: int = 5, trend_years: int = 5,
                  n_items: int = 5, lang: str = "en", reference_units: list[str] | None = None) -> Profile:
    """Profile of ``unit`` in ``year`` from an index result ``res``.

    ``units``: a dataset's unit table (unit, name_zh, name_en, group); ``data``: the long panel (for TFP
    indicators); ``uncertainty``: a table with unit, rank_p05, rank_p95 (optionally period, node) from
    ``nqpf.uncertainty``; ``coupling_systems``: the two node ids [digital, real] (default: the nodes whose
    ids contain 'digital' and 'real'); ``reference_units``: the group whose frontier the relative obstacles
    are measured against (default: the unit's ``n_peers`` nearest peers).
    """
    unit, year = str(unit), int(year)
    check_unit_year(res, unit, year)
    fw = res.framework
    root = fw.root
    dims = fw.children(root)
    names, groups = _names(units, lang)
    missing: list[dict] = []
    sc = res.scores.assign(unit=res.scores["unit"].astype(str), period=res.scores["period"].astype(int))
    cur = sc[sc["period"] == year]
    wide = cur.pivot(index="unit", columns="node", values="score")
    grp = groups.get(unit)
    peer_ids, peers = _peers(wide[dims].astype(float), unit, n_peers, names, groups)
    scores = _score_rows(sc, wide, unit, year, [root, *dims], trend_years, groups, peer_ids)
    _attach_intervals(scores, uncertainty, unit, year, root, missing)
    nz = res.normalized.assign(unit=res.normalized["unit"].astype(str), period=res.normalized["period"].astype(int))
    nz = nz[nz["period"] == year]
    ind = _indicator_table(nz, fw, unit, peer_ids)
    strengths = ind[ind["gap_peers"] > 0].head(n_items).reset_index(drop=True)
    weaknesses = ind[ind["gap_peers"] < 0].sort_values("gap_peers", kind="mergesort").head(n_items).reset_index(drop=True)
    ref = [str(u) for u in (reference_units if reference_units is not None else peer_ids)]
    obstacles, rel = _obstacles(nz, res.weights, unit, ref, missing)
    coup = _coupling(res, coupling_systems, lang, unit, year, missing)
    prod = _productivity(data, unit, year) if data is not None else None
    if prod is None:
        missing.append({"section": "productivity", "what": "TFP / efficiency",
                        "needs": [f"one of {list(TFP_CANDIDATES)} for this unit and year"], "reason": ""})

    trend = sc[(sc["unit"] == unit) & (sc["node"].isin([root, *dims]))][["period", "node", "score", "rank"]]
    return Profile(unit=unit, year=year, name=names.get(unit, unit), group=grp, scores=scores, peers=peers,
                   indicators=ind, strengths=strengths, weaknesses=weaknesses, obstacles=obstacles, coupling=coup,
                   productivity=prod, trend=trend.sort_values(["node", "period"]).reset_index(drop=True),
                   missing=missing, unit_names=names, relative_obstacles=rel,
                   panel=sc[sc["node"] == root][["unit", "period", "score", "rank"]].reset_index(drop=True),
                   manifest={"unit": unit, "year": year, "n_peers": n_peers, "trend_years": trend_years,
                             "peer_metric": "euclidean on dimension scores", "framework": fw.name,
                             "index_result_hash": res.manifest.get("result_hash")})


def _peers(X: pd.DataFrame, unit: str, n_peers: int, names: dict, groups: dict) -> tuple[list[str], pd.DataFrame]:
    """The ``n_peers`` units nearest to ``unit`` on the dimension scores ``X`` (Euclidean; ties by order)."""
    d = np.sqrt(((X - X.loc[unit]) ** 2).sum(axis=1)).drop(unit).sort_values(kind="mergesort")
    ids = d.index[:n_peers].tolist()
    return ids, pd.DataFrame({"unit": ids, "name": [names.get(u, u) for u in ids],
                              "group": [groups.get(u) for u in ids], "distance": d.iloc[:n_peers].to_numpy()})


def _score_rows(sc: pd.DataFrame, wide: pd.DataFrame, unit: str, year: int, nodes: list[str], trend_years: int,
                groups: dict, peer_ids: list[str]) -> pd.DataFrame:
    """Score, rank, one-year change, trend slope and national/group/peer means of the root and dimensions."""
    grp = groups.get(unit)
    cur = sc[sc["period"] == year]
    hist = sc[(sc["unit"] == unit) & (sc["node"].isin(nodes))]
    lo_year = year - trend_years + 1
    rows = []
    for lvl, node in enumerate(nodes):
        r = cur[(cur["unit"] == unit) & (cur["node"] == node)].iloc[0]
        h = hist[(hist["node"] == node) & (hist["period"] <= year)].sort_values("period")
        prev = h[h["period"] == year - 1]["score"]
        hw = h[h["period"] >= lo_year]
        col = wide[node]
        rows.append({
            "node": node, "level": min(lvl, 1), "score": float(r["score"]), "rank": int(r["rank"]),
            "n_units": int(col.notna().sum()),
            "change": float(r["score"] - prev.iloc[0]) if len(prev) else np.nan,
            "slope": _slope(hw["period"].to_numpy(), hw["score"].to_numpy(dtype=float)),
            "national_mean": float(col.mean()),
            "group_mean": float(col[[u for u in col.index if groups.get(u) == grp]].mean()) if grp else np.nan,
            "peer_mean": float(col.loc[peer_ids].mean()) if peer_ids else np.nan,
        })
    scores = pd.DataFrame(rows)
    scores["rank_p05"] = np.nan
    scores["rank_p95"] = np.nan
    return scores


def _attach_intervals(scores: pd.DataFrame, uncertainty: pd.DataFrame | None, unit: str, year: int, root: str,
                      missing: list[dict]) -> None:
    """Fill ``rank_p05``/``rank_p95`` of ``scores`` in place from an uncertainty table, or note it missing."""
    if uncertainty is None:
        missing.append({"section": "uncertainty", "what": "rank intervals",
                        "needs": ["an uncertainty result (nqpf.uncertainty) with rank_p05, rank_p95"], "reason": ""})
        return
    need = {"unit", "rank_p05", "rank_p95"}
    if not need <= set(uncertainty.columns):
        raise DataError(f"uncertainty table needs columns {sorted(need)}; it has {list(uncertainty.columns)}")
    u = uncertainty[uncertainty["unit"].astype(str) == unit]
    if "period" in u:
        u = u[u["period"].astype(int) == year]
    for i, node in enumerate(scores["node"]):
        m = u[u["node"] == node] if "node" in u else (u if node == root else u.iloc[0:0])
        if len(m):
            scores.loc[i, "rank_p05"] = float(m["rank_p05"].iloc[0])
            scores.loc[i, "rank_p95"] = float(m["rank_p95"].iloc[0])


def _indicator_table(nz: pd.DataFrame, fw, unit: str, peer_ids: list[str]) -> pd.DataFrame:
    """Normalised value of every indicator for ``unit`` against the national and peer means, sorted by the gap
    to the peers (largest strength first)."""
    nw = nz.pivot(index="unit", columns="indicator", values="value")
    dim_of = {leaf: dd for dd in fw.children(fw.root) for leaf in fw.leaves_of(dd)}
    ind = pd.DataFrame({
        "indicator": nw.columns,
        "dimension": [dim_of.get(c, fw.root) for c in nw.columns],
        "value": nw.loc[unit].to_numpy(dtype=float),
        "national_mean": nw.mean().to_numpy(dtype=float),
        "peer_mean": nw.loc[peer_ids].mean().to_numpy(dtype=float) if peer_ids else np.nan,
    })
    ind["gap_peers"] = ind["value"] - ind["peer_mean"]
    ind["rank"] = pd.array(nw.rank(ascending=False, method="min").loc[unit].to_numpy(dtype=float), dtype="Int64")
    return ind.sort_values("gap_peers", ascending=False, kind="mergesort").reset_index(drop=True)


def _obstacles(nz: pd.DataFrame, weights: pd.DataFrame, unit: str, ref: list[str],
               missing: list[dict]) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Obstacle degrees of ``unit``'s dimensions: absolute (distance to the ideal) and relative to the frontier
    of the reference units ``ref``; a failure is noted in ``missing``."""
    from nqpf.analysis.obstacle import obstacle_degree, relative_obstacle_degree

    obstacles = rel = None
    try:
        ob = obstacle_degree(nz, weights, level=1)
        obstacles = ob[ob["unit"].astype(str) == unit][["node", "level", "obstacle", "deviation", "rank"]] \
            .reset_index(drop=True)
    except NQPFError as exc:
        missing.append({"section": "obstacles", "what": "obstacle degree", "needs": [], "reason": str(exc)})
    try:
        with _util.quiet_notes():
            ro = relative_obstacle_degree(nz, weights, {unit: ref}, level=1)
        rel = ro[["node", "level", "value", "frontier", "frontier_unit", "deviation", "obstacle", "rank"]] \
            .reset_index(drop=True)
    except NQPFError as exc:
        missing.append({"section": "obstacles", "what": "obstacle degree relative to peers", "needs": [],
                        "reason": str(exc)})
    return obstacles, rel


def _coupling(res, systems: list[str] | None, lang: str, unit: str, year: int, missing: list[dict]) -> dict | None:
    """Coupling coordination of the digital and real-economy dimensions for ``unit`` in ``year``."""
    from nqpf.analysis.coupling import coupling_from_index

    try:
        cdf = coupling_from_index(res, systems=systems, lang=lang)
    except NQPFError as exc:
        missing.append({"section": "coupling", "what": "coupling coordination",
                        "needs": ["two dimensions: digital economy and real economy"], "reason": str(exc)})
        return None
    row = cdf[(cdf["unit"].astype(str) == unit) & (cdf["period"].astype(int) == year)]
    if not len(row):
        return None
    r = row.iloc[0]
    names = [c for c in cdf.columns if c not in ("unit", "period", "C", "T", "D", "grade_level", "grade")]
    return {"systems": names, "U": [float(r[s]) for s in names], "C": float(r["C"]), "T": float(r["T"]),
            "D": float(r["D"]), "grade": str(r["grade"]),
            "D_national_mean": float(cdf[cdf["period"].astype(int) == year]["D"].mean())}


def _productivity(data: pd.DataFrame, unit: str, year: int) -> pd.DataFrame | None:
    """The TFP/efficiency indicators of :data:`TFP_CANDIDATES` present in the long panel ``data`` for ``unit``."""
    dd = data.assign(unit=data["unit"].astype(str), period=data["period"].astype(int))
    rows = []
    for c in [c for c in TFP_CANDIDATES if c in set(dd["indicator"].unique())]:
        s = dd[(dd["indicator"] == c) & (dd["period"] == year)].set_index("unit")["value"].dropna()
        if unit not in s.index:
            continue
        prev = dd[(dd["indicator"] == c) & (dd["period"] == year - 1) & (dd["unit"] == unit)]["value"]
        rows.append({"indicator": c, "value": float(s[unit]), "rank": int(s.rank(ascending=False, method="min")[unit]),
                     "n_units": int(len(s)), "national_mean": float(s.mean()),
                     "change": float(s[unit] - prev.iloc[0]) if len(prev) and np.isfinite(prev.iloc[0]) else np.nan})
    return pd.DataFrame(rows) if rows else None
