"""Industry guide (CIP 4.0): TFP path, Domar contribution, digital place and the paths that apply.

References: the Domar contribution is recomputed by a second algorithm (nqpf.productivity.klems.domar_aggregate,
which derives the two-period Domar weights from gross output and aggregate value added instead of reading the
dataset's weight); the cumulated index satisfies index_t / index_{t-1} = exp(Δln A_t); ranks via scipy.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.stats import rankdata

from nqpf.errors import DataError
from nqpf.guide.industry import industry_catalogue, industry_guide
from nqpf.guide.knowledge import default_knowledge


@pytest.fixture(scope="module")
def cip():
    import nqpf.datasets as D

    try:
        return D.load("cn_industries")
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"built-in dataset cn_industries not available: {exc}")


def test_tfp_path_and_domar_contribution(cip):
    from nqpf.productivity.klems import domar_aggregate

    g = industry_guide(cip, "CIP21", lang="en")
    t = g.tfp.dropna(subset=["tfp_va"])
    ratio = (t["index_va"] / t["index_va"].shift(1)).iloc[1:]
    assert ratio.to_numpy() == pytest.approx(np.exp(t["tfp_va"].iloc[1:].to_numpy()))
    ref = domar_aggregate(cip.data).industries
    ref = ref[ref["unit"] == "CIP21"].set_index("period")["contribution"].dropna()
    got = g.tfp.set_index("period")["contribution"].reindex(ref.index)
    assert got.to_numpy() == pytest.approx(ref.to_numpy(), rel=1e-6)
    # sub-period mean and rank among the 37 industries
    d = cip.data[(cip.data["indicator"] == "tfp_va") & cip.data["period"].between(2008, 2017)
                 & (cip.data["unit"] != "TOTAL")]
    means = d.groupby("unit")["value"].mean()
    r = g.periods.set_index("start").loc[2008]
    assert r["mean_tfp_va"] == pytest.approx(means["CIP21"])
    ranks = len(means) + 1 - rankdata(means.to_numpy(), method="max")
    assert r["rank_va"] == int(dict(zip(means.index, ranks, strict=True))["CIP21"])
    assert g.ict_group == "ICT-producing" and g.klass == "ict_producing"
    assert g.missing and g.missing[0]["section"] == "digital_intensity"


def test_every_industry_is_classified_and_paths_exist(cip):
    cat = industry_catalogue()
    kb = default_knowledge()
    inds = [u for u in cip.units["unit"].astype(str) if u != "TOTAL"]
    assert sorted(cat["industries"]) == sorted(inds)
    groups = dict(zip(cip.units["unit"].astype(str), cip.units["group"].astype(str), strict=True))
    case_ids = {c.id for c in kb.cases}
    for u, info in cat["industries"].items():
        assert (info["class"] == "ict_producing") == groups[u].startswith("ICT-producing"), u
        assert set(info.get("cases") or []) <= case_ids
        assert not re.search(r"[A-Za-z]", info["zh"])
    for c in cat["classes"].values():
        for pid in c["paths"]:
            kb.path(pid)


def test_industries_of_different_classes_get_different_paths(cip):
    a, b = industry_guide(cip, "CIP21", lang="zh"), industry_guide(cip, "CIP17", lang="zh")
    assert [p["path_id"] for p in a.paths] != [p["path_id"] for p in b.paths]
    assert a.name == "电子和通信设备制造业" and "seed" not in a.paths[0]["citation"]
    assert {c["case"] for c in industry_guide(cip, "CIP23").cases} >= {"shipbuilding", "chongqing_nev"}
    with pytest.raises(DataError, match="not a CIP 4.0 industry"):
        industry_guide(cip, "CIP99")
