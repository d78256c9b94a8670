"""Transparent typology of regions (rules in ``typology.yaml``; seed 002 §5 and §4.3).

Measures are ratios of raw indicators; each is turned into a within-year percentile
``p = (r - 1) / (n - 1)`` (average ranks, ascending) among the units with data; a score is the mean
percentile of its measures. Rules with explicit thresholds then place the region; a data-economy type may
instead be placed by a documented fact (``data_economy.facts``; facts.yaml with its source), e.g. the national
computing hubs as data-production regions. Every placement comes with its evidence (the rule, the values and
the thresholds, or the fact and its citation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from nqpf.errors import DataError, FrameworkError, Problem, ValidationError

OPS = {">=": np.greater_equal, "<": np.less}


@dataclass(frozen=True)
class Typology:
    measures: dict
    scores: dict
    types: dict
    digital_real: list
    data_economy: dict
    source: str
    min_share: float = 1.0
    facts: dict = field(default_factory=dict)     # fact id -> {label, citation, units} (facts.yaml)

    def fact_types(self) -> dict[str, str]:
        """Data-economy type -> fact id for the types placed by a documented fact."""
        return dict(self.data_economy.get("facts") or {})

    def type_ids(self) -> set[str]:
        return set(self.types)

    def type_label(self, type_id: str, lang: str) -> str:
        return self.types[type_id]["label"][lang]

    def indicators(self) -> set[str]:
        out: set[str] = set()
        for m in self.measures.values():
            out.add(m["numerator"])
            if m.get("denominator"):
                out.add(m["denominator"])
        return out


def validate_typology(raw: dict, file: str | None = None, known_facts: set[str] | None = None) -> list[Problem]:
    """Structural checks: every score names defined measures, every rule names defined scores/types."""
    out: list[Problem] = []

    def err(code: str, msg: str) -> None:
        out.append(Problem("error", code, msg, file=file))

    for key in ("measures", "scores", "types", "digital_real", "data_economy"):
        if key not in (raw or {}):
            err("typology.structure", f"missing top-level key {key!r}")
    if out:
        return out
    for mid, m in raw["measures"].items():
        if not (m or {}).get("numerator"):
            err("typology.measure", f"measure {mid!r} needs a numerator indicator")
        if not all(((m or {}).get("label") or {}).get(lang) for lang in ("zh", "en")):
            err("typology.label", f"measure {mid!r} needs label.zh and label.en")
    for sid, s in raw["scores"].items():
        for key in ("label", "note"):
            v = s.get(key)
            if v is not None and (not isinstance(v, dict) or set(v) != {"zh", "en"}):
                err("typology.label", f"score {sid!r}: {key} must be exactly {{zh, en}} (quote texts with commas)")
        for mid in s.get("measures") or []:
            if mid not in raw["measures"]:
                err("typology.score", f"score {sid!r} names unknown measure {mid!r}")
        if not s.get("measures"):
            err("typology.score", f"score {sid!r} has no measures")
    for tid, tdef in raw["types"].items():
        if not all(((tdef or {}).get("label") or {}).get(lang) for lang in ("zh", "en")):
            err("typology.label", f"type {tid!r} needs label.zh and label.en")
    for i, rule in enumerate(raw["digital_real"]):
        if rule.get("type") not in raw["types"]:
            err("typology.rule", f"digital_real rule {i + 1} places into unknown type {rule.get('type')!r}")
        for c in rule.get("conditions") or []:
            if c.get("left") not in raw["scores"]:
                err("typology.rule", f"digital_real rule {i + 1}: unknown score {c.get('left')!r}")
            if c.get("op") not in OPS:
                err("typology.rule", f"digital_real rule {i + 1}: op must be one of {list(OPS)}")
            r = c.get("right")
            if not isinstance(r, int | float) and r not in raw["scores"]:
                err("typology.rule", f"digital_real rule {i + 1}: right side {r!r} is neither a number nor a score")
    if raw["digital_real"] and raw["digital_real"][-1].get("conditions"):
        err("typology.rule", "the last digital_real rule must have no conditions (the fallback type)")
    for tid in raw["data_economy"].get("types") or []:
        if tid not in raw["types"] or tid not in raw["scores"]:
            err("typology.data_economy", f"data-economy type {tid!r} needs both a type and a score of that name")
    for tid, fid in (raw["data_economy"].get("facts") or {}).items():
        if tid not in raw["types"]:
            err("typology.data_economy", f"fact-placed type {tid!r} is not a defined type")
        if known_facts is not None and fid not in known_facts:
            err("typology.data_economy", f"type {tid!r} is placed by unknown fact {fid!r}; known: {sorted(known_facts)}")
    thr = raw["data_economy"].get("threshold")
    if not isinstance(thr, int | float) or not 0 <= thr <= 1:
        err("typology.data_economy", "data_economy.threshold must be a number in [0, 1]")
    return out


def load_typology(path: str | Path | None = None, facts_path: str | Path | None = None) -> Typology:
    """Load and validate the typology (built-in ``typology.yaml`` and ``facts.yaml`` by default)."""
    if path is None:
        text = resources.files("nqpf.guide").joinpath("typology.yaml").read_text(encoding="utf-8")
        src = "nqpf/guide/typology.yaml"
    else:
        text, src = Path(path).read_text(encoding="utf-8"), str(path)
    raw = yaml.safe_load(text) or {}
    facts = load_facts(facts_path)
    problems = validate_typology(raw, src, known_facts=set(facts))
    if problems:
        raise ValidationError(f"typology {src} is invalid; fix the entries listed", problems)
    return Typology(raw["measures"], raw["scores"], raw["types"], raw["digital_real"], raw["data_economy"], src,
                    float(raw.get("min_share", 1.0)), facts)


def load_facts(path: str | Path | None = None) -> dict:
    """Documented facts (built-in ``facts.yaml`` by default): fact id -> {label, citation, units}."""
    if path is None:
        text = resources.files("nqpf.guide").joinpath("facts.yaml").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return dict((yaml.safe_load(text) or {}).get("facts") or {})


def _percentile(s: pd.Series) -> pd.Series:
    s = s.dropna()
    if len(s) < 2:
        return pd.Series(np.nan, index=s.index)
    return (s.rank(method="average") - 1.0) / (len(s) - 1.0)


def measure_table(data: pd.DataFrame, year: int, typ: Typology) -> pd.DataFrame:
    """Wide table (index unit) of each measure's raw value and within-year percentile ``<id>__pct``.

    ``data`` is a long panel (unit, period, indicator, value). Missing indicators give NaN columns.
    """
    d = data[data["period"] == year]
    if d.empty:
        raise DataError(f"no data for year {year}; available years: {sorted(data['period'].unique().tolist())}")
    wide = d.pivot_table(index="unit", columns="indicator", values="value", aggfunc="first")
    cols = {}
    for mid, m in typ.measures.items():
        num = wide[m["numerator"]] if m["numerator"] in wide else pd.Series(np.nan, index=wide.index)
        if m.get("denominator"):
            den = wide[m["denominator"]] if m["denominator"] in wide else pd.Series(np.nan, index=wide.index)
            den = den.where(den != 0)
            val = num / den
        else:
            val = num
        cols[mid] = val.astype(float)
        cols[f"{mid}__pct"] = _percentile(val.astype(float)).reindex(wide.index)
    return pd.DataFrame(cols, index=wide.index)


@dataclass
class Placement:
    """A region's typology placement with its evidence."""

    unit: str
    year: int
    digital_real: str
    data_economy: list[str]
    data_economy_primary: str | None
    scores: pd.DataFrame           # score, value (mean percentile), n_measures, missing
    measures: pd.DataFrame         # measure, raw, percentile, score
    evidence: list[dict] = field(default_factory=list)   # one per rule tried / data-economy test
    manifest: dict = field(default_factory=dict)


def _score_values(mt: pd.DataFrame, typ: Typology) -> pd.DataFrame:
    out = {}
    for sid, s in typ.scores.items():
        cols = [f"{m}__pct" for m in s["measures"]]
        share = mt[cols].notna().mean(axis=1)
        out[sid] = mt[cols].mean(axis=1, skipna=True).where(share >= typ.min_share - 1e-12)
    return pd.DataFrame(out, index=mt.index)


def classify_all(data: pd.DataFrame, year: int, typ: Typology | None = None) -> pd.DataFrame:
    """Placement of every unit in ``year``: columns unit, digital_real, data_economy (comma list), scores."""
    typ = typ or load_typology()
    mt = measure_table(data, year, typ)
    sv = _score_values(mt, typ)
    rows = []
    for u in sv.index:
        p = _place(u, year, mt, sv, typ)
        rows.append({"unit": u, "digital_real": p.digital_real, "data_economy": ",".join(p.data_economy),
                     "data_economy_primary": p.data_economy_primary,
                     **{s: float(sv.loc[u, s]) for s in sv.columns}})
    return pd.DataFrame(rows)


def classify(data: pd.DataFrame, unit: str, year: int, typ: Typology | None = None) -> Placement:
    """Place one unit; raises DataError listing valid units if ``unit`` has no data in ``year``."""
    typ = typ or load_typology()
    mt = measure_table(data, year, typ)
    if unit not in mt.index:
        raise DataError(f"unit {unit!r} has no data in {year}; units with data: {sorted(mt.index)}")
    sv = _score_values(mt, typ)
    return _place(unit, year, mt, sv, typ)


def _place(unit: str, year: int, mt: pd.DataFrame, sv: pd.DataFrame, typ: Typology) -> Placement:
    mrows = []
    for sid, s in typ.scores.items():
        for m in s["measures"]:
            mrows.append({"score": sid, "measure": m, "raw": float(mt.loc[unit, m]),
                          "percentile": float(mt.loc[unit, f"{m}__pct"]),
                          "n_units": int(mt[m].notna().sum())})
    mdf = pd.DataFrame(mrows)
    srows = []
    for sid in typ.scores:
        sub = mdf[mdf["score"] == sid]
        missing = sub.loc[sub["percentile"].isna(), "measure"].tolist()
        srows.append({"score": sid, "value": float(sv.loc[unit, sid]), "n_measures": int(sub["percentile"].notna().sum()),
                      "missing": missing})
    sdf = pd.DataFrame(srows)
    vals = dict(zip(sdf["score"], sdf["value"], strict=True))
    evidence: list[dict] = []
    placed = None
    for i, rule in enumerate(typ.digital_real):
        conds = []
        ok = True
        for c in rule.get("conditions") or []:
            left = vals[c["left"]]
            right = c["right"]
            rv = vals[right] if isinstance(right, str) else float(right)
            thr = rv + float(c.get("offset", 0.0))
            holds = bool(np.isfinite(left) and np.isfinite(thr) and OPS[c["op"]](left, thr))
            ok = ok and holds
            conds.append({"left": c["left"], "left_value": left, "op": c["op"], "right": right,
                          "right_value": rv, "offset": float(c.get("offset", 0.0)), "threshold": thr, "holds": holds})
        evidence.append({"kind": "digital_real", "rule": i + 1, "type": rule["type"], "conditions": conds, "holds": ok})
        if ok:
            placed = rule["type"]
            break
    thr = float(typ.data_economy["threshold"])
    de = []
    for tid in typ.data_economy["types"]:
        v = vals[tid]
        holds = bool(np.isfinite(v) and v >= thr)
        evidence.append({"kind": "data_economy", "type": tid, "conditions": [
            {"left": tid, "left_value": v, "op": ">=", "right": thr, "right_value": thr, "offset": 0.0,
             "threshold": thr, "holds": holds}], "holds": holds})
        if holds:
            de.append(tid)
    de.sort(key=lambda t: -vals[t])
    fact_de = []
    for tid, fid in typ.fact_types().items():
        f = typ.facts.get(fid) or {}
        holds = str(unit) in {str(u) for u in f.get("units", [])}
        evidence.append({"kind": "fact", "type": tid, "fact": fid, "citation": f.get("citation"),
                         "label": f.get("label"), "conditions": [], "holds": holds})
        if holds and tid not in de:
            fact_de.append(tid)
    de = fact_de + de
    return Placement(unit=unit, year=year, digital_real=placed or "emerging", data_economy=de,
                     data_economy_primary=de[0] if de else None, scores=sdf, measures=mdf, evidence=evidence,
                     manifest={"typology": typ.source, "year": year, "n_units": int(len(mt)),
                               "threshold_data_economy": thr})


def check_typology_data(data: pd.DataFrame, typ: Typology) -> list[str]:
    """Indicators the typology needs that the data lacks (empty list = all present)."""
    have = set(data["indicator"].unique())
    return sorted(typ.indicators() - have)


def require_typology_data(data: pd.DataFrame, typ: Typology) -> None:
    missing = check_typology_data(data, typ)
    need = typ.indicators()
    if len(missing) == len(need):
        raise FrameworkError(f"the data has none of the indicators the typology uses ({sorted(need)}); "
                             f"give a typology YAML whose measures name indicators of this dataset")
