"""Typology rules (typology.yaml) on the real cn_provinces data give the placements the rules imply.

Reference = the rule itself recomputed independently here: each measure's within-year percentile
p = (r − 1)/(n − 1) with average ranks (scipy.stats.rankdata), scores as means of percentiles, then the
stated thresholds. Named provinces are checked against the placement their values imply, and the placements
the source documents name (the national computing hubs of seed 004's glossary item 8; the provinces seed 002
§2.2 names for high-end manufacturing and R&D) are checked to hold.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from scipy.stats import rankdata

from nqpf.errors import DataError, ValidationError
from nqpf.guide.typology import classify, classify_all, load_typology, validate_typology

YEAR = 2021


def _independent_scores(cn, year):
    typ = load_typology()
    d = cn.data[cn.data["period"] == year]
    w = d.pivot_table(index="unit", columns="indicator", values="value")
    pct = {}
    for mid, m in typ.measures.items():
        s = w[m["numerator"]].dropna()
        pct[mid] = dict(zip(s.index, (rankdata(s.to_numpy()) - 1) / (len(s) - 1), strict=True))
    scores = {}
    for sid, sdef in typ.scores.items():
        vals = {}
        for u in w.index:
            ps = [pct[m].get(u, np.nan) for m in sdef["measures"]]
            vals[u] = float(np.mean(ps)) if all(np.isfinite(ps)) else np.nan
        scores[sid] = vals
    return scores


def test_scores_match_independent_recomputation(cn):
    ref = _independent_scores(cn, YEAR)
    got = classify_all(cn.data, YEAR).set_index("unit")
    for sid, vals in ref.items():
        for u, v in vals.items():
            g = got.loc[u, sid]
            assert (np.isnan(v) and np.isnan(g)) or g == pytest.approx(v, abs=1e-12), (sid, u)


def test_named_provinces_follow_their_rules(cn):
    ref = _independent_scores(cn, YEAR)
    di, idg = ref["digital_industrialisation"], ref["industrial_digitalisation"]
    # Zhejiang: both scores >= 0.55 (software/GDP, high-tech revenue/GDP; e-commerce/GDP, industrial R&D/GDP, PKU
    # digital finance all in the top third) -> digital–real integration (rule 1).
    assert di["330000"] >= 0.55 and idg["330000"] >= 0.55
    assert classify(cn.data, "330000", YEAR).digital_real == "integration"
    # Guangdong likewise.
    assert classify(cn.data, "440000", YEAR).digital_real == "integration"
    # Anhui: industrial digitalisation >= 0.35 and exceeds digital industrialisation by >= 0.1 (its software
    # revenue/GDP is mid-table while industrial R&D/GDP and digital finance are high) -> industrial-digitalisation-led.
    assert idg["340000"] >= 0.35 and idg["340000"] - di["340000"] >= 0.1 and di["340000"] < 0.55
    assert classify(cn.data, "340000", YEAR).digital_real == "industrial_digitalisation_led"
    # Tibet: no software revenue in the data -> the digital-industrialisation score is missing, no rule using it
    # can hold -> emerging; a gap stays a gap.
    assert np.isnan(di["540000"])
    p = classify(cn.data, "540000", YEAR)
    assert p.digital_real == "emerging"
    assert "software_gdp" in p.scores.set_index("score").loc["digital_industrialisation", "missing"]


def test_every_placement_is_what_the_rules_imply(cn):
    ref = _independent_scores(cn, YEAR)
    typ = load_typology()
    got = classify_all(cn.data, YEAR).set_index("unit")
    for u in got.index:
        vals = {s: ref[s][u] for s in ref}
        expect = None
        for rule in typ.digital_real:
            ok = True
            for c in rule["conditions"]:
                r = vals[c["right"]] if isinstance(c["right"], str) else c["right"]
                thr = r + c.get("offset", 0.0)
                left = vals[c["left"]]
                ok &= bool(np.isfinite(left) and np.isfinite(thr) and (left >= thr if c["op"] == ">=" else left < thr))
            if ok:
                expect = rule["type"]
                break
        assert got.loc[u, "digital_real"] == expect, u
        de = {t for t in typ.data_economy["types"] if np.isfinite(vals[t]) and vals[t] >= typ.data_economy["threshold"]}
        de |= {t for t, f in typ.fact_types().items() if u in typ.facts[f]["units"]}
        assert set(filter(None, got.loc[u, "data_economy"].split(","))) == de, u


def test_evidence_lists_rule_values_and_thresholds(cn):
    p = classify(cn.data, "330000", YEAR)
    first = p.evidence[0]
    assert first["kind"] == "digital_real" and first["type"] == "integration" and first["holds"]
    c = first["conditions"][0]
    assert c["threshold"] == 0.55 and c["left_value"] >= 0.55 and c["holds"]
    assert {e["type"] for e in p.evidence if e["kind"] == "data_economy"} == {
        "data_driven", "digital_trading", "application_scenario"}
    fact = [e for e in p.evidence if e["kind"] == "fact"]
    assert [(e["type"], e["fact"], e["citation"], e["holds"]) for e in fact] == [
        ("data_production", "compute_hub_west", "seed 004 glossary 8", False)]


def test_unknown_unit_and_year_list_valid_ones(cn):
    with pytest.raises(DataError, match="units with data"):
        classify(cn.data, "999999", YEAR)
    with pytest.raises(DataError, match="available years"):
        classify(cn.data, "330000", 1990)


def test_validator_catches_bad_rules(tmp_path):
    raw = yaml.safe_load(open(_builtin(), encoding="utf-8"))
    raw["digital_real"][0]["conditions"][0]["left"] = "no_such_score"
    raw["scores"]["data_driven"]["measures"].append("no_such_measure")
    codes = [p.code for p in validate_typology(raw)]
    assert "typology.rule" in codes and "typology.score" in codes
    bad = tmp_path / "typ.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError) as ei:
        load_typology(bad)
    assert len(ei.value.problems) >= 2


def _builtin():
    from importlib import resources

    return str(resources.files("nqpf.guide").joinpath("typology.yaml"))


def test_typology_indicators_exist_in_cn_provinces(cn):
    missing = load_typology().indicators() - set(cn.data["indicator"])
    assert not missing, f"typology.yaml names indicators that cn_provinces lacks: {sorted(missing)}"


@pytest.mark.parametrize("year", [2021, 2022])
def test_seed_placements_hold(cn, year):
    """Placements the sources name: the four western national computing hubs (seed 004, glossary item 8) are
    data-production regions and no other province is (Tibet no longer is: per-head cable length is not data
    production); Shandong, Jiangsu and Anhui, named by seed 002 §2.2 for high-end manufacturing and R&D, have an
    industrial-digitalisation score >= 0.7 with industrial R&D/GDP in the top third."""
    ca = classify_all(cn.data, year).set_index("unit")
    dp = sorted(u for u in ca.index if "data_production" in ca.loc[u, "data_economy"].split(","))
    assert dp == ["150000", "520000", "620000", "640000"]
    assert ca.loc["620000", "data_economy_primary"] == "data_production"
    assert ca.loc["640000", "data_economy_primary"] == "data_production"
    ref = _independent_scores(cn, year)
    mt = {m: s for m, s in _pct(cn, year).items()}
    for u in ("370000", "320000", "340000"):
        assert ref["industrial_digitalisation"][u] >= 0.7, u
        assert mt["industrial_rd_gdp"][u] >= 2 / 3, u


def _pct(cn, year):
    typ = load_typology()
    w = cn.data[cn.data["period"] == year].pivot_table(index="unit", columns="indicator", values="value")
    out = {}
    for mid, m in typ.measures.items():
        s = w[m["numerator"]].dropna()
        out[mid] = dict(zip(s.index, (rankdata(s.to_numpy()) - 1) / (len(s) - 1), strict=True))
    return out


def test_types_split_the_provinces(cn):
    """Calibration (typology.yaml): in 2022 no digital–real type holds more than a third of the 31 provinces and
    every type holds at least three; 'emerging' is no longer the default for half of them."""
    counts = classify_all(cn.data, 2022)["digital_real"].value_counts().to_dict()
    assert counts == {"integration": 10, "emerging": 10, "digital_industrialisation_led": 6,
                      "industrial_digitalisation_led": 5}
    assert max(counts.values()) <= 31 / 3 and min(counts.values()) >= 3


def test_unknown_fact_in_typology_is_reported(tmp_path):
    raw = yaml.safe_load(open(_builtin(), encoding="utf-8"))
    raw["data_economy"]["facts"]["data_production"] = "no_such_fact"
    bad = tmp_path / "typ.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match="invalid") as ei:
        load_typology(bad)
    assert any("no_such_fact" in p.message for p in ei.value.problems)
