"""A guide per industry (CIP 4.0, dataset ``cn_industries``): its TFP path, its place in the digital economy and
the paths that apply (``industries.yaml``).

TFP path: yearly TFP growth in log points (value-added and gross-output basis, CIP sheets 4.5.x), the cumulated
index A_t / A_0 = exp(Σ_{s≤t} Δln A_s) from the first year, mean growth over sub-periods and the industry's rank
among the 37 industries on it; contribution to aggregate TFP growth d̄_j Δln A_j^{GO} with the dataset's
two-period Domar weight (Domar 1961; Hulten 1978). Digital place: the CIP ICT-producing classification
(electronic and telecom equipment, information and computer services; instruments partially). The data carry no
ICT-using intensity (ICT capital services or ICT intermediate inputs by industry): that stays a gap and is said.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from nqpf.errors import DataError
from nqpf.guide.knowledge import default_knowledge
from nqpf.guide.sources import cite

SUBPERIODS = ((1988, 2000), (2001, 2007), (2008, 2017))


@lru_cache(maxsize=1)
def industry_catalogue() -> dict:
    return yaml.safe_load(resources.files("nqpf.guide").joinpath("industries.yaml").read_text(encoding="utf-8"))


@dataclass
class IndustryGuide:
    industry: str
    name: str
    klass: str
    class_label: str
    ict_group: str                 # the dataset's group: ICT-producing, ICT-producing (partial), other
    tfp: pd.DataFrame              # period, tfp_va, tfp_go, index_va, index_go, domar_weight, contribution
    periods: pd.DataFrame          # start, end, mean_tfp_va, rank_va, n_industries, mean_tfp_go, contribution
    paths: list[dict]              # path_id, title, citation, basis
    cases: list[dict]              # case id, title, citation
    missing: list[dict] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)


def industry_guide(data, industry: str, *, units: pd.DataFrame | None = None, lang: str = "en") -> IndustryGuide:
    """The guide of one CIP industry (``data``: the cn_industries long panel or a Dataset)."""
    if hasattr(data, "data"):
        units = units if units is not None else data.units
        data = data.data
    cat = industry_catalogue()
    if industry not in cat["industries"]:
        raise DataError(f"industry {industry!r} is not a CIP 4.0 industry; known: {sorted(cat['industries'])}")
    d = data.assign(unit=data["unit"].astype(str), period=data["period"].astype(int))
    need = ["tfp_va", "tfp_go", "domar_weight"]
    w = d[d["indicator"].isin(need)].pivot_table(index=["unit", "period"], columns="indicator", values="value")
    miss = [c for c in need if c not in w.columns]
    if miss:
        raise DataError(f"industry guide: indicator(s) {miss} missing; use the cn_industries dataset")
    inds = [u for u in w.index.get_level_values(0).unique() if u in cat["industries"]]
    if industry not in inds:
        raise DataError(f"industry {industry!r} has no TFP data; industries with data: {sorted(inds)[:5]}…")
    x = w.xs(industry, level=0).sort_index()
    tfp = pd.DataFrame({"period": x.index.astype(int), "tfp_va": x["tfp_va"].to_numpy(float),
                        "tfp_go": x["tfp_go"].to_numpy(float), "domar_weight": x["domar_weight"].to_numpy(float)})
    tfp["index_va"] = np.exp(tfp["tfp_va"].fillna(0.0).cumsum())
    tfp["index_go"] = np.exp(tfp["tfp_go"].fillna(0.0).cumsum())
    tfp["contribution"] = tfp["domar_weight"] * tfp["tfp_go"]
    rows = []
    for a, b in SUBPERIODS:
        sub = w[(w.index.get_level_values(1) >= a) & (w.index.get_level_values(1) <= b)]
        means = sub["tfp_va"].groupby(level=0).mean().reindex(inds).dropna()
        if industry not in means.index:
            continue
        own = tfp[(tfp["period"] >= a) & (tfp["period"] <= b)]
        rows.append({"start": a, "end": b, "mean_tfp_va": float(means[industry]),
                     "rank_va": int(means.rank(ascending=False, method="min")[industry]), "n_industries": len(means),
                     "mean_tfp_go": float(own["tfp_go"].mean()), "contribution": float(own["contribution"].sum())})
    periods = pd.DataFrame(rows)
    info = cat["industries"][industry]
    klass = info["class"]
    cdef = cat["classes"][klass]
    kb = default_knowledge()
    last = periods.iloc[-1] if len(periods) else None
    lagging = last is not None and last["rank_va"] > last["n_industries"] / 2
    paths = []
    for pid in cdef["paths"]:
        p = kb.path(pid)
        paths.append({"path_id": pid, "title": p.title[lang], "citation": p.cite(lang),
                      "basis": cite(cdef["citation"], lang), "tfp_lagging": bool(lagging)})
    cases = [{"case": c.id, "title": c.title[lang], "citation": cite(c.citation, lang)}
             for c in kb.cases if c.id in (info.get("cases") or [])]
    grp = ""
    if units is not None and "group" in units:
        g = units.loc[units["unit"].astype(str) == industry, "group"]
        grp = str(g.iloc[0]) if len(g) else ""
    name = info["zh"] if lang == "zh" else _en_name(units, industry)
    return IndustryGuide(
        industry=industry, name=name, klass=klass, class_label=cdef["label"][lang], ict_group=grp, tfp=tfp,
        periods=periods, paths=paths, cases=cases,
        missing=[{"section": "digital_intensity", "what": "ICT-using intensity",
                  "needs": ["ICT capital services or ICT intermediate inputs by industry"], "reason": ""}],
        manifest={"subperiods": SUBPERIODS, "index": "exp(cumulated log TFP growth), first year = 1",
                  "contribution": "dataset domar_weight × tfp_go"})


def _en_name(units: pd.DataFrame | None, industry: str) -> str:
    if units is None or "name_en" not in units:
        return industry
    s = units.loc[units["unit"].astype(str) == industry, "name_en"]
    return str(s.iloc[0]) if len(s) else industry
