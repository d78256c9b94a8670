"""Action guide: the knowledge base's policy paths ranked by the evidence for one region.

For every path of ``paths.yaml`` the guide looks at the indicators of the concepts it acts on
(``concept_indicators``) and asks questions of the data — never of a model of effects:

1. **Weak indicators.** Each indicator is min–max normalised over all units and years of the panel
   (direction from the dataset catalogue's ``direction_hint``; indicators without a direction are not
   used), so values are comparable across years. An indicator *triggers* the path when the region's value
   is at least ``min_gap`` below the mean of its nearest peers (from the profile).
2. **Obstacles relative to peers.** Framework indicators among the region's top ``k_obstacles`` obstacle
   degrees measured against the frontier of its peers (``profile.relative_obstacles``: what holds the region
   back relative to regions like it, not relative to the national best) that belong to the path's concepts also
   trigger it — unless the region is above its peers' mean on that indicator.
3. **Applicability.** A path applies to the region (factor 1) when it suits one of the region's types, when a
   documented fact named by the path holds (facts.yaml, e.g. a national computing hub), or when the region's
   within-year percentile on a named concept reaches the path's threshold; a path that applies only because it
   suits every type gets ``generic_factor`` (the sources' point is that there is no single model: what is
   specific to a region outranks what is generic, for equal evidence); otherwise its score is multiplied by
   ``off_type_factor``. A documented fact with a ``weight`` (facts.yaml, e.g. a western national computing hub)
   adds that weight to the evidence of the paths that name it, so a national role the sources assign to the
   region is recommended even where the data show no gap. When a ``not_applicable`` condition of the path holds (the sources' own argument against
   it, e.g. frontier projects without a research base, seed 004 §2.3), the path is not recommended and is listed
   with the reason and the number behind it.
4. **Exemplars.** For the largest gaps, other units are listed that were *plausible peers*: of the region's type
   or among its nearest peers, at a similar starting rank on the index (within ``start_ranks``), not far behind it
   now (rank at most ``behind_ranks`` below), whose index score rose at least as much as the region's since the
   start year (a better trajectory), who started at or below the region's current value on the indicator
   and rose by at least the gap within ``window`` years, with the path's other indicators that rose most over the
   same years. This describes what happened in their data; it is not evidence that the path caused it.

Evidence score of a path = mean over its available indicators of max(0, −gap) + the sum of the relative
obstacle degrees of its triggering framework indicators (+ the weight of a documented fact); score = evidence
× factor. Paths are ordered by score, except that a path all of whose triggers already trigger higher-ranked
paths (the same evidence under another heading) is ordered by ``score × covered_factor`` (``covered_by``). The guide also lists the
source obstacles the region shows (obstacles.yaml), the region's relative strengths to build on (seed 004 §2.3),
its own cases and those of comparable regions (cases.yaml), and the documented facts that apply to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from nqpf.errors import DataError, NQPFError
from nqpf.guide.knowledge import KnowledgeBase, concept_indicators, default_knowledge
from nqpf.guide.sources import cite


@dataclass
class Recommendation:
    path_id: str
    citation: str                    # in the reader's language (titles and sections of the sources)
    title: str
    summary: str
    score: float
    evidence: float
    type_factor: float
    suits_region: bool
    triggers: pd.DataFrame          # indicator, concept, value, peer_mean, gap, obstacle, reason
    peer_trajectories: pd.DataFrame  # indicator, peer, start_year, start_value, end_year, end_value, gain, co_movers
    why: str
    citation_ids: tuple[str, ...] = ()
    applies_because: list[dict] = field(default_factory=list)   # {kind: type|fact|concept, id, value}
    cautions: list[str] = field(default_factory=list)           # in the reader's language, with citation
    covered_by: list[str] = field(default_factory=list)         # higher paths already carrying all its triggers


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
    not_applicable: list[dict] = field(default_factory=list)   # path_id, title, concept, percentile, max_pct, reason
    diagnosis: pd.DataFrame | None = None     # source obstacle: id, label, citation, share, rank, shown, evidence
    strengths: pd.DataFrame | None = None     # indicator, concept, value, peer_mean, gap (build on these)
    cases: pd.DataFrame | None = None         # case id, title, relation (own|comparable), units, paths, mechanism
    facts: list[dict] = field(default_factory=list)            # fact id, label, citation
    concept_levels: dict = field(default_factory=dict)         # concept -> within-year percentile
    targets: pd.DataFrame | None = None       # source targets for the region / nation: distance, annual pace

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "rank": i + 1, "path": r.path_id, "title": r.title, "citation": r.citation, "score": r.score,
            "evidence": r.evidence, "type_factor": r.type_factor,
            "triggers": ", ".join(r.triggers["indicator"].tolist()), "why": r.why}
            for i, r in enumerate(self.recommendations)])

    def summary_lines(self, k: int = 3, names: dict | None = None) -> list[str]:
        """The guide in a few sentences in its language (``manifest['lang']``): the top ``k`` recommendations
        with their evidence and sources, the source obstacles shown, strengths to build on, cases, paths not
        advised and the targets — every number taken from the guide's tables."""
        from nqpf.i18n import t

        lang = self.manifest.get("lang", "en")
        names = names or {}
        sep = "、" if lang == "zh" else ", "
        out = [t("guide.summary.rec", lang, rank=i + 1, title=r.title, citation=r.citation, why=r.why)
               for i, r in enumerate(self.recommendations[:k])]
        ex = self.exemplars(k)
        if ex:
            out.append(t("guide.summary.exemplars", lang, items=sep.join(names.get(u, u) for u in ex[:5])))
        if self.diagnosis is not None:
            d = self.diagnosis[self.diagnosis["shown"] & (self.diagnosis["id"] != "unmapped")].head(3)
            semi = "；" if lang == "zh" else "; "
            if len(d):
                out.append(t("guide.summary.obstacles", lang, items=sep.join(
                    f"{r.label} ({r.share:.0%}{semi}{r.citation})" for r in d.itertuples())))
            um = self.diagnosis[(self.diagnosis["id"] == "unmapped") & self.diagnosis["shown"]]
            if len(um):
                out.append(t("guide.summary.unmapped", lang, share=float(um["share"].iloc[0]),
                             items=um["evidence"].iloc[0]))
        if self.strengths is not None and len(self.strengths):
            out.append(t("guide.summary.strengths", lang, citation=cite("seed 004 §2.3", lang), items=sep.join(
                f"{r.label} ({r.gap:+.2f})" for r in self.strengths.head(3).itertuples())))
        for rel in ("own", "comparable"):
            c = self.cases[self.cases["relation"] == rel] if self.cases is not None else []
            if len(c):
                out.append(t(f"guide.summary.cases_{rel}", lang, items=sep.join(c["title"].head(3))))
        for n in self.not_applicable[:2]:
            out.append(t("guide.summary.not_applicable", lang, title=n["title"], reason=n["reason"],
                         label=n["concept_label"], pct=n["percentile"], citation=n["citation"]))
        if self.targets is not None:
            for r in self.targets.itertuples():
                if np.isfinite(r.pace_linear) and np.isfinite(r.target_year):
                    key = "guide.summary.target" if r.level == "national" else "guide.summary.target_region"
                    out.append(t(key, lang, label=r.label, current=r.current, unit=r.unit_of_measure,
                                 cy=r.current_year, target=r.target, ty=int(r.target_year), pace=r.pace_linear,
                                 citation=r.citation))
        return out

    def top_paths(self, k: int = 5) -> list[str]:
        return [r.path_id for r in self.recommendations[:k]]

    def exemplars(self, k: int = 6) -> list[str]:
        """Units named as exemplars in the top ``k`` recommendations (in order of appearance)."""
        out: list[str] = []
        for r in self.recommendations[:k]:
            for u in r.peer_trajectories["peer"].astype(str):
                if u not in out:
                    out.append(u)
        return out


TRIGGER_COLUMNS = ["indicator", "concept", "value", "peer_mean", "gap", "obstacle", "reason"]


@lru_cache(maxsize=1)
def source_obstacles() -> list[dict]:
    """The obstacles the sources diagnose (``obstacles.yaml``)."""
    text = resources.files("nqpf.guide").joinpath("obstacles.yaml").read_text(encoding="utf-8")
    return list((yaml.safe_load(text) or {}).get("obstacles") or [])


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


def _concept_levels(cur: pd.DataFrame, cmap: dict) -> pd.DataFrame:
    """Within-year percentile p = (r − 1)/(n − 1) (average ranks) of each unit's mean pooled-normalised value
    over a concept's indicators; units × concepts (NaN where a unit has none of them)."""
    out = {}
    for c, inds in cmap.items():
        cols = [i for i in inds if i in cur.columns]
        if not cols:
            continue
        m = cur[cols].mean(axis=1, skipna=True).dropna()
        if len(m) < 2:
            continue
        out[c] = ((m.rank(method="average") - 1.0) / (len(m) - 1.0)).reindex(cur.index)
    return pd.DataFrame(out, index=cur.index)


def _labels_from_catalogue(catalogue: pd.DataFrame | None, lang: str) -> dict[str, str]:
    col = "name_zh" if lang == "zh" else "name_en"
    if catalogue is None or col not in catalogue:
        return {}
    return dict(zip(catalogue["indicator"].astype(str), catalogue[col].astype(str), strict=True))


def action_guide(profile, placement, data: pd.DataFrame, *, catalogue: pd.DataFrame | None = None,
                 kb: KnowledgeBase | None = None, lang: str = "en", min_gap: float = 0.05,
                 k_obstacles: int = 5, window: int = 5, off_type_factor: float = 0.6,
                 max_peers: int = 3, directions_override: dict[str, int] | None = None,
                 labels: dict[str, str] | None = None, leaf_series: dict[str, str] | None = None,
                 start_ranks: int = 6, behind_ranks: int = 3, types_all: pd.DataFrame | None = None,
                 generic_factor: float = 0.8, covered_factor: float = 0.3) -> ActionGuide:
    """Rank the knowledge base's paths for ``profile.unit`` in ``profile.year`` (see module docstring).

    ``placement``: a :class:`nqpf.guide.typology.Placement` (or None: all paths get factor 1 and the guide
    says the region is untyped); ``data``: the long panel; ``catalogue``: the dataset's indicator table
    (``indicator, direction_hint``, names for labels); ``directions_override``: indicator → +1/−1 (e.g. a
    framework's directions) taking precedence over the catalogue. Indicators with no known direction are not
    used. ``types_all``: the typology of every unit that year (``classify_all``; computed when omitted and a
    placement is given) — used to pick exemplars of the region's type.
    """
    kb = kb or default_knowledge()
    unit, year = profile.unit, profile.year
    data = data.assign(unit=data["unit"].astype(str), period=data["period"].astype(int))
    avail = set(data["indicator"].unique())
    cmap = concept_indicators(kb, avail)
    labels = {**_labels_from_catalogue(catalogue, lang), **(labels or {})}
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
    levels_all = _concept_levels(cur, {c: [i for i in inds if i in cur.columns] for c, inds in cmap.items()})
    levels = {c: float(levels_all.loc[unit, c]) for c in levels_all.columns if np.isfinite(levels_all.loc[unit, c])}

    # obstacles: relative to the peers' frontier when the profile has them, else the classic model
    ls = leaf_series or {}
    obst: dict[str, float] = {}
    ob_src = getattr(profile, "relative_obstacles", None)
    ob_kind = "relative"
    if ob_src is None:
        ob_src, ob_kind = profile.obstacles, "global"
    if ob_src is not None:
        ob = ob_src[(ob_src["level"] == "indicator") & (ob_src["rank"] <= k_obstacles) & (ob_src["obstacle"] > 0)]
        obst = {ls.get(n, n): float(o) for n, o in zip(ob["node"].astype(str), ob["obstacle"], strict=True)}
    types = []
    if placement is not None:
        types = [placement.digital_real, *placement.data_economy]
    tset = set(types)
    facts = kb.facts_of(unit)
    fset = set(facts)

    if types_all is None and placement is not None:
        from nqpf.guide.typology import classify_all

        try:
            types_all = classify_all(data, year)
        except NQPFError:  # exemplars then come from the nearest peers only
            types_all = None
    same_type = set(peers)
    if types_all is not None and placement is not None:
        ta = types_all.assign(unit=types_all["unit"].astype(str))
        same_type |= set(ta.loc[ta["digital_real"] == placement.digital_real, "unit"])
    same_type.discard(unit)
    eligible = _exemplar_rule(getattr(profile, "panel", None), unit, year, same_type, start_ranks, behind_ranks)

    recs, not_trig, not_assess, not_appl = [], [], [], []
    for p in kb.paths:
        inds = [i for c in p.concepts for i in cmap.get(c, [])]
        inds = list(dict.fromkeys(inds))
        empty = [c for c in p.concepts if not cmap.get(c)]
        usable = [i for i in inds if i in gap and np.isfinite(gap[i])]
        obs_inds = [i for i in obst if i in inds and not (np.isfinite(gap.get(i, np.nan)) and gap[i] > 0)]
        if not usable and not obs_inds:
            not_assess.append({"path_id": p.id, "concepts_without_indicators": empty,
                               "indicators_without_direction": [i for i in inds if i in no_direction]})
            continue
        blocked = None
        for cond in p.not_applicable:
            lv = levels.get(cond["concept"])
            if lv is not None and lv <= float(cond["max_pct"]):
                blocked = {"path_id": p.id, "title": p.title[lang], "concept": cond["concept"],
                           "concept_label": kb.concept_label(cond["concept"], lang), "percentile": lv,
                           "max_pct": float(cond["max_pct"]), "reason": cond["reason"][lang],
                           "citation": cite(cond["citation"], lang), "citation_id": cond["citation"]}
                break
        if blocked:
            not_appl.append(blocked)
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
        bonus = max([float(kb.facts[f].get("weight", 0.0)) for f in p.applies_if_facts if f in fset], default=0.0)
        if not trig and bonus <= 0:
            not_trig.append(p.id)
            continue
        tdf = pd.DataFrame(trig, columns=TRIGGER_COLUMNS).sort_values("gap", kind="mergesort").reset_index(drop=True)
        evidence = float(np.mean([max(0.0, -gap[i]) for i in usable])) if usable else 0.0
        evidence += float(np.nansum([t["obstacle"] for t in trig if t["reason"] != "below_peers"]))
        evidence += bonus
        because = _applies_because(p, tset, fset, levels)
        fits = bool(because) if types else True
        specific = any(b["id"] != "all" for b in because)
        factor = (1.0 if specific else generic_factor) if fits else off_type_factor
        if not types:
            factor = 1.0
        traj = _peer_trajectories(Z, unit, year, tdf, inds, window=window, max_peers=max_peers,
                                  names=getattr(profile, "unit_names", None) or {}, labels=labels,
                                  eligible=eligible)
        recs.append(Recommendation(
            path_id=p.id, citation=p.cite(lang), title=p.title[lang], summary=p.summary[lang],
            score=evidence * factor, evidence=evidence, type_factor=factor, suits_region=fits, triggers=tdf,
            peer_trajectories=traj, why=_why(tdf, fits, types, lang, labels, because, kb),
            citation_ids=tuple(p.citations), applies_because=because,
            cautions=[f"{c['text'][lang]}（{cite(c['citation'], lang)}）" if lang == "zh"
                      else f"{c['text'][lang]} ({cite(c['citation'], lang)})" for c in p.cautions]))
    recs = _order(recs, covered_factor)
    diagnosis = _diagnose(ob_src, ev, cmap, ls, lang, labels, min_gap)
    strengths = ev[ev["gap"] >= min_gap].sort_values("gap", ascending=False, kind="mergesort").head(5)
    strengths = strengths.assign(label=strengths["indicator"].map(lambda i: labels.get(i, i))).reset_index(drop=True)
    cases = _cases(kb, unit, peers, same_type, lang, {r.path_id for r in recs[:5]})
    from nqpf.guide.targets import target_distances

    # the sources' targets concern China: shown for province codes (GB/T 2260) only
    targets = target_distances(unit=unit, data=data, lang=lang) if re.fullmatch(r"\d{6}", str(unit)) else None
    fact_rows = [{"fact": f, "label": kb.facts[f]["label"][lang], "citation": cite(kb.facts[f]["citation"], lang)}
                 for f in facts]
    return ActionGuide(unit=unit, year=year, region_types=types, recommendations=recs, not_triggered=not_trig,
                       not_assessable=not_assess, evidence_matrix=ev.sort_values("gap").reset_index(drop=True),
                       not_applicable=not_appl, diagnosis=diagnosis, strengths=strengths, cases=cases,
                       facts=fact_rows, concept_levels=levels, targets=targets,
                       manifest={"min_gap": min_gap, "k_obstacles": k_obstacles, "window": window,
                                 "off_type_factor": off_type_factor, "generic_factor": generic_factor,
                                 "covered_factor": covered_factor,
                                 "normalisation": "min-max pooled over units "
                                 "and years, catalogue direction", "peers": peers, "knowledge_base": kb.source,
                                 "obstacles": ob_kind, "exemplar_rule": {
                                     "pool": "same digital-real type or nearest peers", "start_ranks": start_ranks,
                                     "behind_ranks": behind_ranks, "window": window},
                                 "indicators_without_direction": no_direction, "causal_claims": "none",
                                 "lang": lang})


def _order(recs: list[Recommendation], covered_factor: float) -> list[Recommendation]:
    """Greedy ordering: at each step take the path with the highest score, where a path all of whose trigger
    indicators already trigger paths placed above it (the same evidence under another heading) counts with
    ``score × covered_factor``; such a path names the paths that cover it (``covered_by``)."""
    left = sorted(recs, key=lambda r: (-r.score, r.path_id))
    seen: set[str] = set()
    out: list[Recommendation] = []
    while left:
        keys = [r.score * (covered_factor if set(r.triggers["indicator"]) and set(r.triggers["indicator"]) <= seen
                           else 1.0) for r in left]
        best = left[int(np.argmax(keys))]
        inds = set(best.triggers["indicator"])
        if inds and inds <= seen:
            best.covered_by = [x.path_id for x in out if inds & set(x.triggers["indicator"])]
        out.append(best)
        seen |= inds
        left.remove(best)
    return out


def _applies_because(p, types: set[str], facts: set[str], levels: dict) -> list[dict]:
    out = []
    if "all" in p.suits:
        out.append({"kind": "type", "id": "all"})
    out += [{"kind": "type", "id": t} for t in p.suits if t in types]
    out += [{"kind": "fact", "id": f} for f in p.applies_if_facts if f in facts]
    for c in p.applies_if_concepts:
        lv = levels.get(c["concept"])
        if lv is not None and lv >= float(c["min_pct"]):
            out.append({"kind": "concept", "id": c["concept"], "value": lv, "min_pct": float(c["min_pct"])})
    return out


def _exemplar_rule(panel: pd.DataFrame | None, unit: str, year: int, pool: set[str], start_ranks: int,
                   behind_ranks: int):
    """A predicate (u, t0) -> bool: u is in the pool, its index rank at t0 is within ``start_ranks`` of the
    region's rank at t0, its rank in ``year`` is at most ``behind_ranks`` below the region's, and its index score
    rose at least as much as the region's from t0 to ``year`` (a better trajectory)."""
    if panel is None or panel.empty:
        return lambda u, t0: u in pool
    pn = panel.assign(unit=panel["unit"].astype(str), period=panel["period"].astype(int)).set_index(["unit", "period"])
    rk = pn["rank"].astype(float).to_dict()
    sc = pn["score"].astype(float).to_dict()

    def ok(u: str, t0: int) -> bool:
        if u not in pool:
            return False
        a0, b0 = rk.get((unit, t0)), rk.get((u, t0))
        a1, b1 = rk.get((unit, year)), rk.get((u, year))
        if None in (a0, b0, a1, b1):
            return False
        better = sc[(u, year)] - sc[(u, t0)] >= sc[(unit, year)] - sc[(unit, t0)]
        return abs(b0 - a0) <= start_ranks and b1 <= a1 + behind_ranks and better

    return ok


def _diagnose(ob: pd.DataFrame | None, ev: pd.DataFrame, cmap: dict, ls: dict, lang: str, labels: dict,
              min_gap: float) -> pd.DataFrame:
    """Which source obstacles (obstacles.yaml) the region shows: the sum of its obstacle degrees over the
    indicators mapped to each, and the indicators below the peers' mean by at least ``min_gap``."""
    obi = {}
    if ob is not None:
        o = ob[ob["level"] == "indicator"]
        obi = {ls.get(n, n): float(x) for n, x in zip(o["node"].astype(str), o["obstacle"], strict=True)}
    g = dict(zip(ev["indicator"], ev["gap"], strict=True))
    sep = "、" if lang == "zh" else ", "
    rows = []
    for so in source_obstacles():
        inds = list(dict.fromkeys([i for c in so.get("concepts") or [] for i in cmap.get(c, [])]
                                  + list(so.get("indicators") or [])))
        share = float(sum(obi.get(i, 0.0) for i in inds))
        below = [i for i in inds if np.isfinite(g.get(i, np.nan)) and g[i] <= -min_gap]
        measurable = any(i in obi or i in g for i in inds)
        items = sorted([(obi[i], i) for i in inds if obi.get(i, 0) > 0], reverse=True)[:3]
        evid = sep.join(f"{labels.get(i, i)} ({x:.1%})" for x, i in items)
        if below:
            evid += ("；" if lang == "zh" else "; ") if evid else ""
            evid += sep.join(f"{labels.get(i, i)} ({g[i]:+.2f})" for i in below[:3])
        rows.append({"id": so["id"], "label": so["label"][lang], "citation": cite(so["citation"], lang),
                     "citation_id": so["citation"], "share": share if measurable else np.nan,
                     "n_below_peers": len(below), "measurable": measurable, "evidence": evid})
    mapped = {i for so in source_obstacles() for c in so.get("concepts") or [] for i in cmap.get(c, [])} | {
        i for so in source_obstacles() for i in so.get("indicators") or []}
    rest = sorted([(x, i) for i, x in obi.items() if i not in mapped and x > 0], reverse=True)
    if obi:
        from nqpf.i18n import t

        rows.append({"id": "unmapped", "label": t("guide.diagnosis.unmapped", lang), "citation": "",
                     "citation_id": "", "share": float(sum(x for x, _ in rest)), "n_below_peers": 0,
                     "measurable": True,
                     "evidence": sep.join(f"{labels.get(i, i)} ({x:.1%})" for x, i in rest[:3])})
    df = pd.DataFrame(rows)
    df["rank"] = df["share"].rank(ascending=False, method="first")
    df["shown"] = df["measurable"] & ((df["share"] >= 0.15) | (df["n_below_peers"] >= 2))
    return df.sort_values(["rank"], na_position="last", kind="mergesort").reset_index(drop=True)


def _cases(kb: KnowledgeBase, unit: str, peers: list[str], same_type: set[str], lang: str,
           top_paths: set[str]) -> pd.DataFrame:
    """The region's own cases and those of comparable regions (nearest peers or the same type) that illustrate
    one of its top paths."""
    rows = []
    for c in kb.cases:
        if unit in c.units:
            rel = "own"
        elif set(c.units) & (set(peers) | same_type) and set(c.paths) & top_paths:
            rel = "comparable"
        else:
            continue
        rows.append({"case": c.id, "relation": rel, "title": c.title[lang], "industry": c.industry[lang],
                     "units": ", ".join(c.units), "paths": ", ".join(c.paths),
                     "shared_paths": ", ".join(p for p in c.paths if p in top_paths),
                     "mechanism": c.mechanism[lang], "indicators": ", ".join(c.indicators),
                     "source_figures": (c.source_figures or {}).get(lang, ""), "citation": cite(c.citation, lang)})
    df = pd.DataFrame(rows, columns=["case", "relation", "title", "industry", "units", "paths", "shared_paths",
                                     "mechanism", "indicators", "source_figures", "citation"])
    return df.sort_values("relation", key=lambda s: s.map({"own": 0, "comparable": 1}), kind="mergesort") \
        .reset_index(drop=True)


def _concept_of(indicator: str, p, cmap: dict) -> str:
    for c in p.concepts:
        if indicator in cmap.get(c, []):
            return c
    return ""


def _peer_trajectories(Z: pd.DataFrame, unit: str, year: int, triggers: pd.DataFrame, path_inds: list[str], *,
                       window: int, max_peers: int, names: dict, labels: dict | None = None,
                       eligible=None) -> pd.DataFrame:
    """Plausible peers (``eligible(u, t0)``) that started at or below the region's current value and gained at
    least the gap within ``window`` years (descriptive)."""
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
                if v0 <= t.value + 1e-12 and v1 - v0 >= need and (eligible is None or eligible(str(u), t0)):
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


def _why(tdf: pd.DataFrame, fits: bool, types: list[str], lang: str, labels: dict[str, str],
         because: list[dict] | None = None, kb: KnowledgeBase | None = None) -> str:
    from nqpf.i18n import t

    sep = "、" if lang == "zh" else ", "
    parts = []
    below = tdf[tdf["reason"].str.startswith("below_peers")]
    if len(below):
        parts.append(t("guide.why.below", lang, n=len(below),
                       items=sep.join(f"{labels.get(r.indicator, r.indicator)} ({r.gap:+.2f})"
                                      for r in below.head(3).itertuples())))
    ob = tdf[tdf["reason"].str.contains("obstacle")]
    if len(ob):
        parts.append(t("guide.why.obstacle_rel", lang,
                       items=sep.join(f"{labels.get(r.indicator, r.indicator)} ({r.obstacle:.1%})"
                                      for r in ob.head(3).itertuples())))
    if types:
        facts = [b for b in because or [] if b["kind"] == "fact"]
        levels = [b for b in because or [] if b["kind"] == "concept"]
        if facts and kb is not None:
            parts.append(t("guide.why.fact", lang, items=sep.join(
                f"{kb.facts[b['id']]['label'][lang]}（{cite(kb.facts[b['id']]['citation'], lang)}）" if lang == "zh"
                else f"{kb.facts[b['id']]['label'][lang]} ({cite(kb.facts[b['id']]['citation'], lang)})"
                for b in facts)))
        if levels and kb is not None:
            parts.append(t("guide.why.level", lang, items=sep.join(
                f"{kb.concept_label(b['id'], lang)} ({b['value']:.0%})" for b in levels)))
        specific = [b for b in because or [] if b["kind"] == "type" and b["id"] != "all"]
        if not facts and not levels:
            key = "guide.why.offtype" if not fits else ("guide.why.fits" if specific else "guide.why.generic")
            parts.append(t(key, lang))
    return " ".join(parts) if lang != "zh" else "".join(parts)
