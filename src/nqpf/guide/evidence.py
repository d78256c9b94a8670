"""The evidence of the action guide (:mod:`nqpf.guide.action`): the pooled normalisation, concept levels,
the exemplar rule, the diagnosis against the sources' obstacles, the case library and peer trajectories."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from nqpf.guide.knowledge import KnowledgeBase
from nqpf.guide.sources import cite


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


def concept_levels(cur: pd.DataFrame, cmap: dict) -> pd.DataFrame:
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


def labels_from_catalogue(catalogue: pd.DataFrame | None, lang: str) -> dict[str, str]:
    col = "name_zh" if lang == "zh" else "name_en"
    if catalogue is None or col not in catalogue:
        return {}
    return dict(zip(catalogue["indicator"].astype(str), catalogue[col].astype(str), strict=True))


def exemplar_rule(panel: pd.DataFrame | None, unit: str, year: int, pool: set[str], start_ranks: int,
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


def diagnose(ob: pd.DataFrame | None, ev: pd.DataFrame, cmap: dict, ls: dict, lang: str, labels: dict,
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


def region_cases(kb: KnowledgeBase, unit: str, peers: list[str], same_type: set[str], lang: str,
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


def concept_of(indicator: str, p, cmap: dict) -> str:
    for c in p.concepts:
        if indicator in cmap.get(c, []):
            return c
    return ""


def peer_trajectories(Z: pd.DataFrame, unit: str, year: int, triggers: pd.DataFrame, path_inds: list[str], *,
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
