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

    # --- peers on the dimension profile
    X = wide[dims].astype(float)
    d = np.sqrt(((X - X.loc[unit]) ** 2).sum(axis=1)).drop(unit).sort_values(kind="mergesort")
    peer_ids = d.index[:n_peers].tolist()
    peers = pd.DataFrame({"unit": peer_ids, "name": [names.get(u, u) for u in peer_ids],
                          "group": [groups.get(u) for u in peer_ids], "distance": d.iloc[:n_peers].to_numpy()})

    # --- scores of root and dimensions
    rows = []
    hist = sc[(sc["unit"] == unit) & (sc["node"].isin([root, *dims]))]
    lo_year = year - trend_years + 1
    for lvl, node in [(0, root)] + [(1, n) for n in dims]:
        r = cur[(cur["unit"] == unit) & (cur["node"] == node)].iloc[0]
        h = hist[(hist["node"] == node) & (hist["period"] <= year)].sort_values("period")
        prev = h[h["period"] == year - 1]["score"]
        hw = h[h["period"] >= lo_year]
        col = wide[node]
        rows.append({
            "node": node, "level": lvl, "score": float(r["score"]), "rank": int(r["rank"]),
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
    if uncertainty is not None:
        u = uncertainty.copy()
        need = {"unit", "rank_p05", "rank_p95"}
        if not need <= set(u.columns):
            raise DataError(f"uncertainty table needs columns {sorted(need)}; it has {list(u.columns)}")
        u = u[u["unit"].astype(str) == unit]
        if "period" in u:
            u = u[u["period"].astype(int) == year]
        for i, node in enumerate(scores["node"]):
            m = u[u["node"] == node] if "node" in u else (u if node == root else u.iloc[0:0])
            if len(m):
                scores.loc[i, "rank_p05"] = float(m["rank_p05"].iloc[0])
                scores.loc[i, "rank_p95"] = float(m["rank_p95"].iloc[0])
    else:
        missing.append({"section": "uncertainty", "what": "rank intervals",
                        "needs": ["an uncertainty result (nqpf.uncertainty) with rank_p05, rank_p95"], "reason": ""})

    # --- indicators: normalised value vs peers
    nz = res.normalized.assign(unit=res.normalized["unit"].astype(str), period=res.normalized["period"].astype(int))
    nw = nz[nz["period"] == year].pivot(index="unit", columns="indicator", values="value")
    dim_of = {}
    for dd in dims:
        for leaf in fw.leaves_of(dd):
            dim_of[leaf] = dd
    ind = pd.DataFrame({
        "indicator": nw.columns,
        "dimension": [dim_of.get(c, root) for c in nw.columns],
        "value": nw.loc[unit].to_numpy(dtype=float),
        "national_mean": nw.mean().to_numpy(dtype=float),
        "peer_mean": nw.loc[peer_ids].mean().to_numpy(dtype=float) if peer_ids else np.nan,
    })
    ind["gap_peers"] = ind["value"] - ind["peer_mean"]
    ind["rank"] = pd.array(nw.rank(ascending=False, method="min").loc[unit].to_numpy(dtype=float), dtype="Int64")
    ind = ind.sort_values("gap_peers", ascending=False, kind="mergesort").reset_index(drop=True)
    strengths = ind[ind["gap_peers"] > 0].head(n_items).reset_index(drop=True)
    weaknesses = ind[ind["gap_peers"] < 0].sort_values("gap_peers", kind="mergesort").head(n_items).reset_index(drop=True)

    # --- obstacles
    obstacles = None
    try:
        from nqpf.analysis.obstacle import obstacle_degree

        ob = obstacle_degree(nz[(nz["period"] == year)], res.weights, level=1)
        ob = ob[(ob["unit"].astype(str) == unit)]
        obstacles = ob[["node", "level", "obstacle", "deviation", "rank"]].reset_index(drop=True)
    except ImportError:
        missing.append({"section": "obstacles", "what": "obstacle degree", "needs": ["nqpf.analysis.obstacle"],
                        "reason": "module not installed"})
    except NQPFError as exc:
        missing.append({"section": "obstacles", "what": "obstacle degree", "needs": [], "reason": str(exc)})
    rel = None
    try:
        import warnings as _w

        from nqpf.analysis.obstacle import relative_obstacle_degree

        ref = [str(u) for u in (reference_units if reference_units is not None else peer_ids)]
        with _w.catch_warnings():
            _w.simplefilter("ignore")
            ro = relative_obstacle_degree(nz[nz["period"] == year], res.weights, {unit: ref}, level=1)
        rel = ro[["node", "level", "value", "frontier", "frontier_unit", "deviation", "obstacle", "rank"]] \
            .reset_index(drop=True)
    except ImportError:
        pass
    except NQPFError as exc:
        missing.append({"section": "obstacles", "what": "obstacle degree relative to peers", "needs": [],
                        "reason": str(exc)})

    # --- coupling of digital and real-economy dimensions
    coup = None
    try:
        from nqpf.analysis.coupling import coupling_from_index

        cdf = coupling_from_index(res, systems=coupling_systems, lang=lang)
        row = cdf[(cdf["unit"].astype(str) == unit) & (cdf["period"].astype(int) == year)]
        if len(row):
            r = row.iloc[0]
            systems = [c for c in cdf.columns if c not in ("unit", "period", "C", "T", "D", "grade_level", "grade")]
            coup = {"systems": systems, "U": [float(r[s]) for s in systems], "C": float(r["C"]), "T": float(r["T"]),
                    "D": float(r["D"]), "grade": str(r["grade"]),
                    "D_national_mean": float(cdf[cdf["period"].astype(int) == year]["D"].mean())}
    except ImportError:
        missing.append({"section": "coupling", "what": "coupling coordination", "needs": ["nqpf.analysis.coupling"],
                        "reason": "module not installed"})
    except NQPFError as exc:
        missing.append({"section": "coupling", "what": "coupling coordination",
                        "needs": ["two dimensions: digital economy and real economy"], "reason": str(exc)})

    # --- TFP / efficiency from the data, when present
    prod = None
    if data is not None:
        dd = data.assign(unit=data["unit"].astype(str), period=data["period"].astype(int))
        have = [c for c in TFP_CANDIDATES if c in set(dd["indicator"].unique())]
        prow = []
        for c in have:
            s = dd[(dd["indicator"] == c) & (dd["period"] == year)].set_index("unit")["value"].dropna()
            if unit not in s.index:
                continue
            prev = dd[(dd["indicator"] == c) & (dd["period"] == year - 1) & (dd["unit"] == unit)]["value"]
            prow.append({"indicator": c, "value": float(s[unit]), "rank": int(s.rank(ascending=False, method="min")[unit]),
                         "n_units": int(len(s)), "national_mean": float(s.mean()),
                         "change": float(s[unit] - prev.iloc[0]) if len(prev) and np.isfinite(prev.iloc[0]) else np.nan})
        prod = pd.DataFrame(prow) if prow else None
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
