"""Action guide: the knowledge base's policy paths ranked by the evidence for one region.

For every path of ``paths.yaml`` the guide looks at the indicators of the concepts it acts on
(``concept_indicators``) and asks three questions of the data — never of a model of effects:

1. **Weak indicators.** Each indicator is min–max normalised over all units and years of the panel
   (direction from the dataset catalogue's ``direction_hint``; indicators without a direction are not
   used), so values are comparable across years. An indicator *triggers* the path when the region's value
   is at least ``min_gap`` below the mean of its nearest peers (from the profile).
2. **Obstacles.** Framework indicators among the region's top ``k_obstacles`` obstacle degrees that belong
   to the path's concepts also trigger it — unless the region is above its peers on that indicator (then it
   is a relative strength, however far from the best value it is).
3. **Trajectories of peers.** For the largest gaps, other units that once stood at or below the region's
   current value and rose by at least the gap within ``window`` years are listed with their start and end
   values and with the path's other indicators that rose most over the same years. This is a description
   of what happened in their data; it is not evidence that the path caused it.

Evidence score of a path = mean over its available indicators of max(0, −gap) + the sum of the obstacle
degrees of its triggering framework indicators. It is multiplied by a type factor: 1 if the path suits
one of the region's types (typology) or all types, ``off_type_factor`` otherwise — so regions of different
types get different rankings for the same gaps. Paths with no trigger are not recommended; paths whose
concepts have no indicator in the data are reported as not assessable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nqpf.errors import DataError
from nqpf.guide.knowledge import KnowledgeBase, concept_indicators, default_knowledge


@dataclass
class Recommendation:
    path_id: str
    citation: str
    title: str
    summary: str
    score: float
    evidence: float
    type_factor: float
    suits_region: bool
    triggers: pd.DataFrame          # indicator, concept, value, peer_mean, gap, obstacle, reason
    peer_trajectories: pd.DataFrame  # indicator, peer, start_year, start_value, end_year, end_value, gain, co_movers
    why: str


@dataclass
class ActionGuide:
    unit: str
    year: int
    region_types: list[str]
    recommendations: list[Recommendation]
    not_triggered: list[str]
    not_assessable: list[dict]      # path_id, concepts without indicators
    evidence_matrix: pd.DataFrame   # indicator, concept(s), value, peer_mean, gap
    manifest: dict = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "rank": i + 1, "path": r.path_id, "title": r.title, "citation": r.citation, "score": r.score,
            "evidence": r.evidence, "type_factor": r.type_factor,
            "triggers": ", ".join(r.triggers["indicator"].tolist()), "why": r.why}
            for i, r in enumerate(self.recommendations)])


def pooled_normalise(data: pd.DataFrame, indicators: list[str], directions: dict[str, int]) -> pd.DataFrame:
    """Wide (unit, period) × indicator table min–max normalised over all units and years, direction applied."""
    d = data[data["indicator"].isin(indicators)]
    w = d.pivot_table(index=["unit", "period"], columns="indicator", values="value", aggfunc="first")
    out = {}
    for c in w.columns:
        s = w[c].astype(float)
        lo, hi = s.min(), s.max()
        if not np.isfinite(lo) or hi <= lo:
            continue
        z = (s - lo) / (hi - lo)
        out[c] = 1.0 - z if directions.get(c, 0) < 0 else z
    return pd.DataFrame(out, index=w.index)


def action_guide(profile, placement, data: pd.DataFrame, *, catalogue: pd.DataFrame | None = None,
                 kb: KnowledgeBase | None = None, lang: str = "en", min_gap: float = 0.05,
                 k_obstacles: int = 5, window: int = 5, off_type_factor: float = 0.6,
                 max_peers: int = 3, directions_override: dict[str, int] | None = None,
                 labels: dict[str, str] | None = None, leaf_series: dict[str, str] | None = None) -> ActionGuide:
    """Rank the knowledge base's paths for ``profile.unit`` in ``profile.year`` (see module docstring).

    ``placement``: a :class:`nqpf.guide.typology.Placement` (or None: all paths get factor 1 and the guide
    says the region is untyped); ``data``: the long panel; ``catalogue``: the dataset's indicator table
    (``indicator, direction_hint``); ``directions_override``: indicator → +1/−1 (e.g. a framework's
    directions) taking precedence over the catalogue. Indicators with no known direction are not used.
    """
    kb = kb or default_knowledge()
    unit, year = profile.unit, profile.year
    data = data.assign(unit=data["unit"].astype(str), period=data["period"].astype(int))
    avail = set(data["indicator"].unique())
    cmap = concept_indicators(kb, avail)
    directions: dict[str, int] = {}
    if catalogue is not None and "direction_hint" in catalogue:
        directions = {str(i): int(d) if np.isfinite(d) else 0
                      for i, d in zip(catalogue["indicator"], catalogue["direction_hint"].astype(float), strict=True)}
    if directions_override:
        directions.update({str(k): int(v) for k, v in directions_override.items()})
    used = sorted({i for v in cmap.values() for i in v if directions.get(i, 0) != 0})
    no_direction = sorted({i for v in cmap.values() for i in v if directions.get(i, 0) == 0})
    Z = pooled_normalise(data, used, directions)
    if (unit, year) not in Z.index:
        raise DataError(f"unit {unit!r} has no data for the guide's indicators in {year}")
    peers = profile.peers["unit"].astype(str).tolist()
    cur = Z.xs(year, level="period")
    v = cur.loc[unit]
    pm = cur.reindex(peers).mean()
    ev = pd.DataFrame({"indicator": Z.columns, "value": v.to_numpy(dtype=float),
                       "peer_mean": pm.reindex(Z.columns).to_numpy(dtype=float)})
    ev["gap"] = ev["value"] - ev["peer_mean"]
    ev["concepts"] = [", ".join(c for c, inds in cmap.items() if i in inds) for i in ev["indicator"]]
    gap = dict(zip(ev["indicator"], ev["gap"], strict=True))

    obst: dict[str, float] = {}
    if profile.obstacles is not None:
        ob = profile.obstacles[(profile.obstacles["level"] == "indicator") & (profile.obstacles["rank"] <= k_obstacles)]
        ls = leaf_series or {}
        obst = {ls.get(n, n): float(o) for n, o in zip(ob["node"].astype(str), ob["obstacle"], strict=True)}
    types = []
    if placement is not None:
        types = [placement.digital_real, *placement.data_economy]
    tset = set(types)

    recs, not_trig, not_assess = [], [], []
    for p in kb.paths:
        inds = [i for c in p.concepts for i in cmap.get(c, [])]
        inds = list(dict.fromkeys(inds))
        empty = [c for c in p.concepts if not cmap.get(c)]
        usable = [i for i in inds if i in gap and np.isfinite(gap[i])]
        # an obstacle triggers only when the region is not above its peers on it (else it is a relative strength)
        obs_inds = [i for i in obst if (i in inds or _in_concepts_by_name(i, p, cmap))
                    and not (np.isfinite(gap.get(i, np.nan)) and gap[i] > 0)]
        if not usable and not obs_inds:
            not_assess.append({"path_id": p.id, "concepts_without_indicators": empty,
                               "indicators_without_direction": [i for i in inds if i in no_direction]})
            continue
        trig = []
        for i in usable:
            if gap[i] <= -min_gap:
                trig.append({"indicator": i, "concept": _concept_of(i, p, cmap), "value": float(v[i]),
                             "peer_mean": float(pm[i]), "gap": float(gap[i]), "obstacle": obst.get(i, np.nan),
                             "reason": "below_peers" + ("+obstacle" if i in obst else "")})
        for i in obs_inds:
            if not any(t["indicator"] == i for t in trig):
                trig.append({"indicator": i, "concept": _concept_of(i, p, cmap),
                             "value": float(v[i]) if i in v.index else np.nan,
                             "peer_mean": float(pm[i]) if i in pm.index else np.nan,
                             "gap": float(gap.get(i, np.nan)), "obstacle": obst[i], "reason": "obstacle"})
        if not trig:
            not_trig.append(p.id)
            continue
        tdf = pd.DataFrame(trig).sort_values("gap", kind="mergesort").reset_index(drop=True)
        evidence = float(np.mean([max(0.0, -gap[i]) for i in usable])) if usable else 0.0
        evidence += float(np.nansum([t["obstacle"] for t in trig if t["reason"] != "below_peers"]))
        fits = p.suits_type(tset) if types else True
        factor = 1.0 if fits else off_type_factor
        traj = _peer_trajectories(Z, unit, year, tdf, inds, window=window, max_peers=max_peers,
                                  names=getattr(profile, "unit_names", None) or {}, labels=labels or {})
        recs.append(Recommendation(
            path_id=p.id, citation=p.citation, title=p.title[lang], summary=p.summary[lang],
            score=evidence * factor, evidence=evidence, type_factor=factor, suits_region=fits, triggers=tdf,
            peer_trajectories=traj, why=_why(tdf, fits, types, lang, labels or {})))
    recs.sort(key=lambda r: (-r.score, r.path_id))
    return ActionGuide(unit=unit, year=year, region_types=types, recommendations=recs, not_triggered=not_trig,
                       not_assessable=not_assess, evidence_matrix=ev.sort_values("gap").reset_index(drop=True),
                       manifest={"min_gap": min_gap, "k_obstacles": k_obstacles, "window": window,
                                 "off_type_factor": off_type_factor, "normalisation": "min-max pooled over units "
                                 "and years, catalogue direction", "peers": peers, "knowledge_base": kb.source,
                                 "indicators_without_direction": no_direction, "causal_claims": "none"})


def _in_concepts_by_name(indicator: str, p, cmap: dict) -> bool:
    return any(indicator in cmap.get(c, []) for c in p.concepts)


def _concept_of(indicator: str, p, cmap: dict) -> str:
    for c in p.concepts:
        if indicator in cmap.get(c, []):
            return c
    return ""


def _peer_trajectories(Z: pd.DataFrame, unit: str, year: int, triggers: pd.DataFrame, path_inds: list[str], *,
                       window: int, max_peers: int, names: dict, labels: dict | None = None) -> pd.DataFrame:
    """Units that started at or below the region's current value and gained at least the gap (descriptive)."""
    rows = []
    for t in triggers.head(3).itertuples():
        i = t.indicator
        if i not in Z.columns or not np.isfinite(t.gap) or t.gap >= 0:
            continue
        need = -t.gap
        cands = []
        by_unit = Z[i].dropna().unstack("period")  # one row per unit: years as plain dict lookups below
        for u, su in zip(by_unit.index, by_unit.to_dict("records"), strict=True):
            if u == unit:
                continue
            for t0 in range(year - window, year):
                t1 = min(year, t0 + window)
                v0, v1 = su.get(t0, np.nan), su.get(t1, np.nan)
                if not (np.isfinite(v0) and np.isfinite(v1)):
                    continue
                if v0 <= t.value + 1e-12 and v1 - v0 >= need:
                    cands.append((v1 - v0, u, t0, t1, v0, v1))
                    break
        cands.sort(reverse=True)
        for gain, u, t0, t1, v0, v1 in cands[:max_peers]:
            co = []
            for j in path_inds:
                if j == i or j not in Z.columns:
                    continue
                a, b = Z[j].get((u, t0), np.nan), Z[j].get((u, t1), np.nan)
                if np.isfinite(a) and np.isfinite(b):
                    co.append((b - a, j))
            co.sort(reverse=True)
            rows.append({"indicator": i, "peer": u, "peer_name": names.get(u, u), "start_year": t0,
                         "start_value": v0, "end_year": t1, "end_value": v1, "gain": gain,
                         "co_movers": ", ".join(f"{(labels or {}).get(j, j)} (+{d:.2f})" for d, j in co[:3] if d > 0)})
    return pd.DataFrame(rows, columns=["indicator", "peer", "peer_name", "start_year", "start_value", "end_year",
                                       "end_value", "gain", "co_movers"])


def _why(tdf: pd.DataFrame, fits: bool, types: list[str], lang: str, labels: dict[str, str]) -> str:
    from nqpf.i18n import t

    parts = []
    below = tdf[tdf["reason"].str.startswith("below_peers")]
    if len(below):
        parts.append(t("guide.why.below", lang, n=len(below),
                       items=", ".join(f"{labels.get(r.indicator, r.indicator)} ({r.gap:+.2f})"
                                      for r in below.head(3).itertuples())))
    ob = tdf[tdf["reason"].str.contains("obstacle")]
    if len(ob):
        parts.append(t("guide.why.obstacle", lang,
                       items=", ".join(f"{labels.get(r.indicator, r.indicator)} ({r.obstacle:.1%})"
                                      for r in ob.head(3).itertuples())))
    if types:
        parts.append(t("guide.why.fits" if fits else "guide.why.offtype", lang))
    return " ".join(parts)
