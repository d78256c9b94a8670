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

import numpy as np
import pandas as pd

from nqpf.errors import DataError, NQPFError
from nqpf.guide.evidence import (
    concept_levels,
    concept_of,
    diagnose,
    exemplar_rule,
    labels_from_catalogue,
    peer_trajectories,
    pooled_normalise,
    region_cases,
    source_obstacles,
)
from nqpf.guide.knowledge import KnowledgeBase, concept_indicators, default_knowledge
from nqpf.guide.sources import cite
from nqpf.guide.targets import target_distances

__all__ = ["ActionGuide", "Recommendation", "action_guide", "pooled_normalise", "source_obstacles"]


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
    knobs = {"min_gap": min_gap, "window": window, "off_type_factor": off_type_factor, "max_peers": max_peers,
             "generic_factor": generic_factor}
    c = _context(profile, placement, data, catalogue, kb, lang, labels, directions_override, leaf_series,
                 k_obstacles, types_all, start_ranks, behind_ranks)
    recs, not_trig, not_assess, not_appl = [], [], [], []
    for path in kb.paths:
        kind, item = _assess(path, c, kb, lang, knobs)
        {"rec": recs, "not_triggered": not_trig, "not_assessable": not_assess, "not_applicable": not_appl}[kind] \
            .append(item)
    recs = _order(recs, covered_factor)
    ev = c["ev"]
    strengths = ev[ev["gap"] >= min_gap].sort_values("gap", ascending=False, kind="mergesort").head(5)
    strengths = strengths.assign(label=strengths["indicator"].map(lambda i: c["labels"].get(i, i))) \
        .reset_index(drop=True)
    unit, facts = c["unit"], c["facts"]
    # the sources' targets concern China: shown for province codes (GB/T 2260) only
    targets = target_distances(unit=unit, data=c["data"], lang=lang) if re.fullmatch(r"\d{6}", str(unit)) else None
    manifest = {"min_gap": min_gap, "k_obstacles": k_obstacles, "window": window, "off_type_factor": off_type_factor,
                "generic_factor": generic_factor, "covered_factor": covered_factor,
                "normalisation": "min-max pooled over units and years, catalogue direction", "peers": c["peers"],
                "knowledge_base": kb.source, "obstacles": c["ob_kind"],
                "exemplar_rule": {"pool": "same digital-real type or nearest peers", "start_ranks": start_ranks,
                                  "behind_ranks": behind_ranks, "window": window},
                "indicators_without_direction": c["no_direction"], "causal_claims": "none", "lang": lang}
    return ActionGuide(
        unit=unit, year=c["year"], region_types=c["types"], recommendations=recs, not_triggered=not_trig,
        not_assessable=not_assess, evidence_matrix=ev.sort_values("gap").reset_index(drop=True),
        not_applicable=not_appl, diagnosis=diagnose(c["ob_src"], ev, c["cmap"], c["ls"], lang, c["labels"], min_gap),
        strengths=strengths, cases=region_cases(kb, unit, c["peers"], c["same_type"], lang, {r.path_id for r in recs[:5]}),
        facts=[{"fact": f, "label": kb.facts[f]["label"][lang], "citation": cite(kb.facts[f]["citation"], lang)}
               for f in facts],
        concept_levels=c["levels"], targets=targets, manifest=manifest)


def _directions(catalogue: pd.DataFrame | None, override: dict[str, int] | None) -> dict[str, int]:
    """Indicator → +1/−1/0 from the catalogue's ``direction_hint``, overridden by ``override``."""
    directions: dict[str, int] = {}
    if catalogue is not None and "direction_hint" in catalogue:
        directions = {str(i): int(d) if np.isfinite(d) else 0
                      for i, d in zip(catalogue["indicator"], catalogue["direction_hint"].astype(float), strict=True)}
    if override:
        directions.update({str(k): int(v) for k, v in override.items()})
    return directions


def _context(profile, placement, data, catalogue, kb, lang, labels, directions_override, leaf_series, k_obstacles,
             types_all, start_ranks, behind_ranks) -> dict:
    """Everything the paths are assessed against: the pooled-normalised panel ``Z``, the region's values ``v``
    and its peers' means ``pm``, the gaps, concept levels, obstacles, types, facts and the exemplar rule."""
    unit, year = profile.unit, profile.year
    data = data.assign(unit=data["unit"].astype(str), period=data["period"].astype(int))
    cmap = concept_indicators(kb, set(data["indicator"].unique()))
    directions = _directions(catalogue, directions_override)
    used = sorted({i for v in cmap.values() for i in v if directions.get(i, 0) != 0})
    Z = pooled_normalise(data, used, directions)
    if (unit, year) not in Z.index:
        raise DataError(f"unit {unit!r} has no data for the guide's indicators in {year}")
    peers = profile.peers["unit"].astype(str).tolist()
    cur = Z.xs(year, level="period")
    v, pm = cur.loc[unit], cur.reindex(peers).mean()
    ev = pd.DataFrame({"indicator": Z.columns, "value": v.to_numpy(dtype=float),
                       "peer_mean": pm.reindex(Z.columns).to_numpy(dtype=float)})
    ev["gap"] = ev["value"] - ev["peer_mean"]
    ev["concepts"] = [", ".join(c for c, inds in cmap.items() if i in inds) for i in ev["indicator"]]
    levels_all = concept_levels(cur, {c: [i for i in inds if i in cur.columns] for c, inds in cmap.items()})
    ls = leaf_series or {}
    ob_src, ob_kind = getattr(profile, "relative_obstacles", None), "relative"
    if ob_src is None:  # relative to the peers' frontier when the profile has them, else the classic model
        ob_src, ob_kind = profile.obstacles, "global"
    obst: dict[str, float] = {}
    if ob_src is not None:
        ob = ob_src[(ob_src["level"] == "indicator") & (ob_src["rank"] <= k_obstacles) & (ob_src["obstacle"] > 0)]
        obst = {ls.get(n, n): float(o) for n, o in zip(ob["node"].astype(str), ob["obstacle"], strict=True)}
    types = [placement.digital_real, *placement.data_economy] if placement is not None else []
    facts = kb.facts_of(unit)
    same_type = _same_type(data, year, unit, peers, placement, types_all)
    return {"unit": unit, "year": year, "data": data, "cmap": cmap, "Z": Z, "v": v, "pm": pm, "ev": ev,
            "labels": {**labels_from_catalogue(catalogue, lang), **(labels or {})}, "peers": peers,
            "no_direction": sorted({i for v in cmap.values() for i in v if directions.get(i, 0) == 0}),
            "gap": dict(zip(ev["indicator"], ev["gap"], strict=True)), "ls": ls, "obst": obst, "ob_src": ob_src,
            "ob_kind": ob_kind, "types": types, "tset": set(types), "facts": facts, "fset": set(facts),
            "levels": {c: float(levels_all.loc[unit, c]) for c in levels_all.columns
                       if np.isfinite(levels_all.loc[unit, c])},
            "same_type": same_type, "names": getattr(profile, "unit_names", None) or {},
            "eligible": exemplar_rule(getattr(profile, "panel", None), unit, year, same_type, start_ranks,
                                      behind_ranks)}


def _same_type(data, year, unit, peers, placement, types_all) -> set[str]:
    """The exemplar pool: the nearest peers and the units of the region's digital-real type (``types_all``, or
    :func:`~nqpf.guide.typology.classify_all` when omitted; peers only when it cannot be computed)."""
    if types_all is None and placement is not None:
        from nqpf.guide.typology import classify_all

        try:
            types_all = classify_all(data, year)
        except NQPFError:
            types_all = None
    pool = set(peers)
    if types_all is not None and placement is not None:
        ta = types_all.assign(unit=types_all["unit"].astype(str))
        pool |= set(ta.loc[ta["digital_real"] == placement.digital_real, "unit"])
    pool.discard(unit)
    return pool


def _blocked(path, c: dict, kb: KnowledgeBase, lang: str) -> dict | None:
    """The first ``not_applicable`` condition of ``path`` that holds for the region (the sources' own argument
    against the path), as a row of ``ActionGuide.not_applicable``; None when none holds."""
    for cond in path.not_applicable:
        lv = c["levels"].get(cond["concept"])
        if lv is not None and lv <= float(cond["max_pct"]):
            return {"path_id": path.id, "title": path.title[lang], "concept": cond["concept"],
                    "concept_label": kb.concept_label(cond["concept"], lang), "percentile": lv,
                    "max_pct": float(cond["max_pct"]), "reason": cond["reason"][lang],
                    "citation": cite(cond["citation"], lang), "citation_id": cond["citation"]}
    return None


def _triggers(path, c: dict, usable: list[str], obs_inds: list[str], min_gap: float) -> list[dict]:
    """Trigger rows: indicators at least ``min_gap`` below the peers' mean, then obstacle-only indicators."""
    v, pm, gap, obst, cmap = c["v"], c["pm"], c["gap"], c["obst"], c["cmap"]
    trig = [{"indicator": i, "concept": concept_of(i, path, cmap), "value": float(v[i]), "peer_mean": float(pm[i]),
             "gap": float(gap[i]), "obstacle": obst.get(i, np.nan),
             "reason": "below_peers" + ("+obstacle" if i in obst else "")}
            for i in usable if gap[i] <= -min_gap]
    for i in obs_inds:
        if not any(t["indicator"] == i for t in trig):
            trig.append({"indicator": i, "concept": concept_of(i, path, cmap),
                         "value": float(v[i]) if i in v.index else np.nan,
                         "peer_mean": float(pm[i]) if i in pm.index else np.nan,
                         "gap": float(gap.get(i, np.nan)), "obstacle": obst[i], "reason": "obstacle"})
    return trig


def _assess(path, c: dict, kb: KnowledgeBase, lang: str, knobs: dict) -> tuple[str, object]:
    """One path: ``("rec", Recommendation)``, or why not — ``not_assessable`` (no usable indicator),
    ``not_applicable`` (a condition against it holds) or ``not_triggered`` (no evidence)."""
    gap, obst, cmap = c["gap"], c["obst"], c["cmap"]
    inds = list(dict.fromkeys(i for k in path.concepts for i in cmap.get(k, [])))
    usable = [i for i in inds if i in gap and np.isfinite(gap[i])]
    obs_inds = [i for i in obst if i in inds and not (np.isfinite(gap.get(i, np.nan)) and gap[i] > 0)]
    if not usable and not obs_inds:
        return "not_assessable", {"path_id": path.id,
                                  "concepts_without_indicators": [k for k in path.concepts if not cmap.get(k)],
                                  "indicators_without_direction": [i for i in inds if i in c["no_direction"]]}
    blocked = _blocked(path, c, kb, lang)
    if blocked:
        return "not_applicable", blocked
    trig = _triggers(path, c, usable, obs_inds, knobs["min_gap"])
    bonus = max([float(kb.facts[f].get("weight", 0.0)) for f in path.applies_if_facts if f in c["fset"]], default=0.0)
    if not trig and bonus <= 0:
        return "not_triggered", path.id
    tdf = pd.DataFrame(trig, columns=TRIGGER_COLUMNS).sort_values("gap", kind="mergesort").reset_index(drop=True)
    evidence = float(np.mean([max(0.0, -gap[i]) for i in usable])) if usable else 0.0
    evidence += float(np.nansum([t["obstacle"] for t in trig if t["reason"] != "below_peers"]))
    evidence += bonus  # a separate addition: (e + o) + b, bit-identical to earlier releases
    because = _applies_because(path, c["tset"], c["fset"], c["levels"])
    fits = bool(because) if c["types"] else True
    specific = any(b["id"] != "all" for b in because)
    factor = ((1.0 if specific else knobs["generic_factor"]) if fits else knobs["off_type_factor"]) if c["types"] else 1.0
    traj = peer_trajectories(c["Z"], c["unit"], c["year"], tdf, inds, window=knobs["window"],
                             max_peers=knobs["max_peers"], names=c["names"], labels=c["labels"], eligible=c["eligible"])
    return "rec", Recommendation(
        path_id=path.id, citation=path.cite(lang), title=path.title[lang], summary=path.summary[lang],
        score=evidence * factor, evidence=evidence, type_factor=factor, suits_region=fits, triggers=tdf,
        peer_trajectories=traj, why=_why(tdf, fits, c["types"], lang, c["labels"], because, kb),
        citation_ids=tuple(path.citations), applies_because=because,
        cautions=[f"{k['text'][lang]}（{cite(k['citation'], lang)}）" if lang == "zh"
                  else f"{k['text'][lang]} ({cite(k['citation'], lang)})" for k in path.cautions])


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
