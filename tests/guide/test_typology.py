"""Typology rules (typology.yaml) on the real cn_provinces data give the placements the rules imply.

Reference = the rule itself recomputed independently here: each measure's within-year percentile
p = (r − 1)/(n − 1) with average ranks (scipy.stats.rankdata), scores as means of percentiles, then the
stated thresholds. Named provinces are checked against the placement their values imply.
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
    # Zhejiang: both scores >= 0.55 (software/GDP, telecom per head; e-commerce/GDP, industrial R&D/GDP, PKU
    # digital finance all in the top third) -> digital–real integration (rule 1).
    assert di["330000"] >= 0.55 and idg["330000"] >= 0.55
    assert classify(cn.data, "330000", YEAR).digital_real == "integration"
    # Guangdong likewise.
    assert classify(cn.data, "440000", YEAR).digital_real == "integration"
    # Anhui: industrial digitalisation >= 0.5 and exceeds digital industrialisation by >= 0.1 (its software
    # revenue/GDP is mid-table while industrial R&D/GDP and digital finance are high) -> industrial-digitalisation-led.
    assert idg["340000"] >= 0.5 and idg["340000"] - di["340000"] >= 0.1 and di["340000"] < 0.55
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
        assert set(filter(None, got.loc[u, "data_economy"].split(","))) == de, u


def test_evidence_lists_rule_values_and_thresholds(cn):
    p = classify(cn.data, "330000", YEAR)
    first = p.evidence[0]
    assert first["kind"] == "digital_real" and first["type"] == "integration" and first["holds"]
    c = first["conditions"][0]
    assert c["threshold"] == 0.55 and c["left_value"] >= 0.55 and c["holds"]
    assert {e["type"] for e in p.evidence if e["kind"] == "data_economy"} == {
        "data_production", "data_driven", "digital_trading", "application_scenario"}


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
