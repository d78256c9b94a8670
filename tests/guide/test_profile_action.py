"""Regional profile and action guide on the real cn_provinces data (small test framework).

References: peers recomputed with scipy's cdist; trend slope with numpy.polyfit; coupling with the
two-system identity C = 2·sqrt(U1·U2)/(U1 + U2), D = sqrt(C·T) (textbook coupling-coordination model);
obstacle degrees sum to 1 by construction; peer trajectories re-checked on an independently pooled
min–max normalisation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from nqpf.errors import DataError
from nqpf.guide.action import action_guide
from nqpf.guide.knowledge import concept_indicators, default_knowledge
from nqpf.guide.profile import build_profile
from nqpf.guide.typology import classify

YEAR = 2021


@pytest.fixture(scope="module")
def anhui(cn, small_index):
    return build_profile(small_index, "340000", YEAR, units=cn.units, data=cn.data, lang="en")


def test_peers_are_nearest_on_dimension_scores(small_index, anhui):
    fw = small_index.framework
    dims = fw.children(fw.root)
    sc = small_index.scores
    w = sc[(sc["period"] == YEAR) & sc["node"].isin(dims)].pivot(index="unit", columns="node", values="score")[dims]
    d = pd.Series(cdist(w.loc[["340000"]].to_numpy(), w.to_numpy())[0], index=w.index).drop("340000")
    expect = d.sort_values(kind="mergesort").index[:5].tolist()
    assert anhui.peers["unit"].tolist() == expect
    assert anhui.peers["distance"].to_numpy() == pytest.approx(d[expect].to_numpy())


def test_scores_means_and_trend(small_index, anhui):
    sc = small_index.scores
    root = small_index.framework.root
    cur = sc[(sc["period"] == YEAR) & (sc["node"] == root)].set_index("unit")["score"]
    r = anhui.scores.set_index("node").loc[root]
    assert r["score"] == pytest.approx(cur["340000"])
    assert r["national_mean"] == pytest.approx(cur.mean())
    assert r["peer_mean"] == pytest.approx(cur[anhui.peers["unit"]].mean())
    assert r["rank"] == int((cur > cur["340000"]).sum() + 1)
    h = sc[(sc["unit"] == "340000") & (sc["node"] == root) & (sc["period"].between(YEAR - 4, YEAR))]
    assert r["slope"] == pytest.approx(np.polyfit(h["period"], h["score"], 1)[0])
    prev = sc[(sc["unit"] == "340000") & (sc["node"] == root) & (sc["period"] == YEAR - 1)]["score"].iloc[0]
    assert r["change"] == pytest.approx(cur["340000"] - prev)


def test_strengths_weaknesses_in_normalised_units(small_index, anhui):
    nz = small_index.normalized
    nw = nz[nz["period"] == YEAR].pivot(index="unit", columns="indicator", values="value")
    gap = nw.loc["340000"] - nw.loc[anhui.peers["unit"]].mean()
    assert anhui.weaknesses["indicator"].iloc[0] == gap.idxmin()
    assert anhui.strengths["indicator"].iloc[0] == gap.idxmax()
    assert (anhui.weaknesses["gap_peers"] < 0).all() and (anhui.strengths["gap_peers"] > 0).all()


def test_obstacles_and_coupling(anhui):
    ob = anhui.obstacles
    assert ob[ob["level"] == "indicator"]["obstacle"].sum() == pytest.approx(1.0)
    c = anhui.coupling
    assert c["systems"] == ["digital_economy", "real_economy"]
    u1, u2 = c["U"]
    assert c["C"] == pytest.approx(2 * np.sqrt(u1 * u2) / (u1 + u2))
    assert c["T"] == pytest.approx((u1 + u2) / 2)
    assert c["D"] == pytest.approx(np.sqrt(c["C"] * c["T"]))
    assert anhui.productivity is not None and "cao_dai_gtfp" in set(anhui.productivity["indicator"])


def test_uncertainty_intervals_are_attached(cn, small_index):
    unc = pd.DataFrame({"unit": ["340000"], "period": [YEAR], "rank_p05": [9.0], "rank_p95": [16.0]})
    p = build_profile(small_index, "340000", YEAR, units=cn.units, uncertainty=unc)
    r = p.scores.iloc[0]
    assert (r["rank_p05"], r["rank_p95"]) == (9.0, 16.0)
    with pytest.raises(DataError, match="rank_p05"):
        build_profile(small_index, "340000", YEAR, uncertainty=pd.DataFrame({"unit": ["340000"]}))


def test_unknown_unit_or_year_lists_valid(small_index):
    with pytest.raises(DataError, match=r"valid units: \['110000'"):
        build_profile(small_index, "999999", YEAR)
    with pytest.raises(DataError, match=r"valid years: \[2016, 2017"):
        build_profile(small_index, "340000", 2030)


def _guide(cn, prof, unit):
    return action_guide(prof, classify(cn.data, unit, YEAR), cn.data, catalogue=cn.indicators, lang="en")


def test_every_recommendation_cites_a_path_and_names_its_triggers(cn, anhui):
    kb = default_knowledge()
    g = _guide(cn, anhui, "340000")
    assert g.recommendations, "Anhui is below its peers on several indicators; the guide cannot be empty"
    cmap = concept_indicators(kb, set(cn.data["indicator"]))
    ev = g.evidence_matrix.set_index("indicator")
    facts = set(kb.facts_of("340000"))
    for r in g.recommendations:
        p = kb.path(r.path_id)                      # raises if the entry does not exist
        assert r.citation_ids == p.citations and r.citation == p.cite("en")
        assert r.why
        bonus = max([kb.facts[f].get("weight", 0) for f in p.applies_if_facts if f in facts], default=0)
        assert len(r.triggers) >= 1 or bonus > 0
        allowed = {i for c in p.concepts for i in cmap[c]}
        for t in r.triggers.itertuples():
            assert t.indicator in allowed
            if t.reason == "below_peers":
                assert ev.loc[t.indicator, "gap"] <= -g.manifest["min_gap"]
            else:                                   # an obstacle that is not a relative strength
                assert not ev.loc[t.indicator, "gap"] > 0 if t.indicator in ev.index else True
        specific = any(b["id"] != "all" for b in r.applies_because)
        expect = (1.0 if specific else g.manifest["generic_factor"]) if r.applies_because \
            else g.manifest["off_type_factor"]
        assert r.type_factor == expect
        assert r.score == pytest.approx(r.evidence * r.type_factor)
    # ordering: paths bringing new evidence are in descending score order; a covered path's triggers all
    # trigger paths above it
    seen: set[str] = set()
    uncovered = []
    for r in g.recommendations:
        inds = set(r.triggers["indicator"])
        if r.covered_by:
            assert inds <= seen and set(r.covered_by) <= {x.path_id for x in uncovered + g.recommendations}
        else:
            uncovered.append(r)
        seen |= inds
    scores = [r.score for r in uncovered]
    assert scores == sorted(scores, reverse=True)


def test_guides_differ_by_type(cn, small_index):
    """Anhui (industrial-digitalisation-led) and Guizhou (emerging, a national computing hub) get factors from
    their own types and facts."""
    kb = default_knowledge()
    out = {}
    for u in ("340000", "520000"):
        prof = build_profile(small_index, u, YEAR, units=cn.units, data=cn.data)
        g = _guide(cn, prof, u)
        out[u] = (g.region_types, {r.path_id: r for r in g.recommendations})
    assert out["340000"][0][0] == "industrial_digitalisation_led" and out["520000"][0][0] == "emerging"
    assert "data_production" in out["520000"][0]
    common = set(out["340000"][1]) & set(out["520000"][1])
    differ = [p for p in common if out["340000"][1][p].type_factor != out["520000"][1][p].type_factor]
    assert differ, "the same path should be weighted differently for regions of different types"
    for p in differ:
        for u in ("340000", "520000"):
            r = out[u][1][p]
            types = set(out[u][0])
            facts = set(kb.facts_of(u))
            path = kb.path(p)
            applies = path.suits_type(types) or bool(set(path.applies_if_facts) & facts) or any(
                b["kind"] == "concept" for b in r.applies_because)
            assert (r.type_factor > 0.6) == applies


def test_peer_trajectories_are_what_the_data_show(cn, small_index):
    prof = build_profile(small_index, "520000", YEAR, units=cn.units, data=cn.data)
    g = _guide(cn, prof, "520000")
    rows = pd.concat([r.peer_trajectories for r in g.recommendations], ignore_index=True)
    assert len(rows), "Guizhou's gaps were closed by comparable provinces in 2016-2021"
    cat = cn.indicators.set_index("indicator")["direction_hint"]
    for r in rows.drop_duplicates(["indicator", "peer"]).itertuples():
        s = cn.data[cn.data["indicator"] == r.indicator].set_index(["unit", "period"])["value"]
        z = (s - s.min()) / (s.max() - s.min())
        if cat[r.indicator] < 0:
            z = 1 - z
        assert z[(r.peer, r.start_year)] == pytest.approx(r.start_value)
        assert z[(r.peer, r.end_year)] == pytest.approx(r.end_value)
        own = g.evidence_matrix.set_index("indicator").loc[r.indicator]
        assert r.start_value <= own["value"] + 1e-12 and r.gain >= -own["gap"] - 1e-12
    assert g.manifest["causal_claims"] == "none"


def test_guide_without_placement_or_relative_obstacles(cn, anhui):
    """Untyped region: every path gets factor 1; a profile without relative obstacles (older callers) falls
    back to the classic obstacle degrees and says so in the manifest."""
    import dataclasses

    g = action_guide(anhui, None, cn.data, catalogue=cn.indicators, lang="zh")
    assert g.region_types == [] and all(r.type_factor == 1.0 for r in g.recommendations)
    assert g.manifest["obstacles"] == "relative"
    old = dataclasses.replace(anhui, relative_obstacles=None, panel=None)
    g2 = action_guide(old, classify(cn.data, "340000", YEAR), cn.data, catalogue=cn.indicators)
    assert g2.manifest["obstacles"] == "global" and g2.recommendations
    top = set(old.obstacles[(old.obstacles["level"] == "indicator") & (old.obstacles["rank"] <= 5)]["node"])
    for r in g2.recommendations:
        for t in r.triggers.itertuples():
            if t.reason == "obstacle":
                assert t.indicator in top
