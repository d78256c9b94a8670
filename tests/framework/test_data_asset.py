"""The built-in ``data-asset`` framework on a small user-style data catalogue made up in this test.

The catalogue below is illustrative test input only (four data products of an imagined organisation); the
framework ships no numbers. The checks are structural and against hand reasoning: dominance, directions,
dimension membership and the identity index = Σ effective weights × normalised values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.framework import load_framework
from nqpf.index import build_index

DIMENSIONS = ["credibility", "shareability", "utility", "quality", "scarcity", "timeliness"]


def catalogue() -> pd.DataFrame:
    """A wide catalogue: one row per data product and year, one column per framework field."""
    base = {
        # product: provenance%, rights, certified, open grade, licensed users, api, calls, apps, revenue,
        #          completeness%, error%, consistency%, substitutes, exclusive%, lag days, updates/yr
        "prod_weather": [95, 1, 1, 3, 120, 1, 2.0e6, 40, 300, 99, 0.5, 98, 1, 60, 1, 365],
        "prod_traffic": [80, 1, 0, 2, 40, 1, 8.0e5, 12, 150, 95, 1.5, 93, 3, 35, 7, 52],
        "prod_survey": [60, 0, 0, 1, 5, 0, 1.0e4, 2, 10, 88, 4.0, 85, 6, 10, 90, 1],
        "prod_registry": [90, 1, 1, 1, 15, 1, 2.0e5, 8, 80, 97, 0.8, 96, 0, 80, 30, 12],
    }
    fields = load_framework("data-asset").leaves
    rows = []
    for year, scale in ((2023, 1.0), (2024, 1.1)):
        for prod, vals in base.items():
            rec = {"unit": prod, "period": year}
            for f, v in zip(fields, vals, strict=True):
                rec[f] = float(v) * (
                    scale if f in ("share_licensed_users", "util_calls", "util_revenue") else 1.0
                )
            rows.append(rec)
    return pd.DataFrame(rows)


def test_framework_shape_and_theory():
    fw = load_framework("data-asset")
    assert fw.children(fw.root) == DIMENSIONS
    assert all(len(fw.children(d)) >= 2 for d in DIMENSIONS)
    assert fw.meta["theory"] == "seed 001 §3.4; seed 000 §3.2"
    assert fw.label("scarcity", "zh") == "稀缺性" and fw.label("timeliness", "en") == "Timeliness"
    # every leaf carries a definition and a theory citation; no stray keys (e.g. from unquoted commas in YAML)
    assert [
        c
        for c in fw.nodes.columns
        if c
        not in (
            "id",
            "parent",
            "label_zh",
            "label_en",
            "theory",
            "direction",
            "unit",
            "series",
            "formula",
            "weight",
            "target",
            "level",
        )
    ] == ["definition"]
    assert all(fw.node(x)["definition"] and fw.node(x)["theory"] for x in fw.leaves)
    neg = [x for x in fw.leaves if fw.direction(x) == -1]
    assert sorted(neg) == ["qual_error_rate", "scar_substitutes", "time_update_lag"]


def test_catalogue_scores_follow_dominance():
    res = build_index(catalogue(), "data-asset", weights="equal")
    st = res.score_table()
    # prod_weather is at least as good as prod_survey on every field (after directions) → higher everywhere
    for node in ["data_asset_value", *DIMENSIONS]:
        for year in (2023, 2024):
            assert st.loc[("prod_weather", year), node] > st.loc[("prod_survey", year), node], node
    # the survey product is worst on every field → index 0 under min-max and equal weights within years
    assert st.loc[("prod_survey", 2023), "data_asset_value"] == pytest.approx(0.0, abs=1e-12)
    # scarcity: the registry has no substitutes and the most exclusive fields → best scarcity score
    top = res.scores[(res.scores["node"] == "scarcity") & (res.scores["rank"] == 1)]
    assert set(top["unit"]) == {"prod_registry"}


def test_catalogue_entropy_identity_and_strengths():
    res = build_index(catalogue(), "data-asset")  # entropy over the pooled catalogue
    fw = res.framework
    w = res.weights.set_index("node").loc[fw.leaves, "effective_weight"].to_numpy()
    np.testing.assert_allclose(res.Z @ w, res.score_table()["data_asset_value"].to_numpy(), atol=1e-12)
    sw = res.strengths_weaknesses(n=2)
    reg = sw[(sw["unit"] == "prod_registry") & (sw["kind"] == "strength")]
    # the registry is first (rank 1, tied) on rights, certification, substitutes and exclusive fields;
    # its two listed strengths must be among those, its weaknesses among its worst-ranked fields
    assert set(reg["node"]) <= {
        "cred_rights_registered",
        "cred_certified",
        "scar_substitutes",
        "scar_exclusive_fields",
    }
    assert (reg["rank"] == 1).all()
    weak = sw[(sw["unit"] == "prod_registry") & (sw["kind"] == "weakness")]
    ranks = res.scores[
        (res.scores["unit"] == "prod_registry")
        & (res.scores["period"] == 2024)
        & res.scores["node"].isin(fw.leaves)
    ]["rank"]
    assert weak["rank"].max() == ranks.max()
