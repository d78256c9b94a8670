"""Issue 13 item 5: ranks shown to readers tie on the displayed precision ('min' method, 1, 2, 2, 2, 2, 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf.index.result import display_rank, shown_values


def test_min_method_on_printed_values():
    v = [0.9, 0.7, 0.7, 0.7, 0.7, 0.1]
    assert display_rank(v).tolist() == [1, 2, 2, 2, 2, 6]
    # 1.000000000000277 and 1.0 both print 1.0000: they tie (the unrounded 'min' rank would put the first alone)
    v = [1.000000000000277, 1.0, 1.0, 0.9999999999999999, 0.99994, 0.99995001, np.nan]
    r = display_rank(v, digits=4)
    assert r.iloc[:4].tolist() == [1, 1, 1, 1]
    assert pd.isna(r.iloc[6])
    # 0.99995001 prints 1.0000 (ties with the leaders); 0.99994 prints 0.9999 (rank 6)
    assert r.iloc[5] == 1 and r.iloc[4] == 6
    assert pd.Series(v).rank(ascending=False, method="min").iloc[:4].tolist() == [1, 2, 2, 4]


def test_display_rank_agrees_with_printed_strings():
    """Independent reference: rank the printed strings (as decimals) with a plain sort."""
    rng = np.random.default_rng(5)
    v = np.round(rng.uniform(0, 1, 400), 5) + rng.normal(0, 1e-9, 400)  # many near-ties at 4 decimals
    printed = [f"{x:.4f}" for x in v]
    ref = [1 + sum(float(q) > float(p) for q in printed) for p in printed]
    assert display_rank(v, digits=4).tolist() == ref
    assert np.array_equal(shown_values(v, 4), np.array([float(p) for p in printed]))


def test_ascending_and_groups():
    r = display_rank([3.0, 1.0, 1.00001, 2.0], digits=3, ascending=True, by=["a", "a", "a", "b"])
    assert r.tolist() == [3, 1, 1, 1]


def test_green_tfp_table_ties(cn, quiet):
    """The report's green-TFP table (Cao & Dai GTFP, 2022): Guangdong's 1.000000000000277 and the frontier's
    1.0 (and 0.99999999999999…) all print 1.0000 and must share rank 1; the first value below prints less."""
    from nqpf.report.build import _load_inputs, _names, _tfp_section

    inp = _load_inputs("cn_provinces", None)
    raw = cn.data[(cn.data["indicator"] == "cao_dai_gtfp") & (cn.data["period"] == 2022)].dropna(subset=["value"])
    assert (raw["value"] > 1).sum() >= 1 and (raw["value"] == 1).sum() >= 2  # the case of the issue is in the data
    sec = _tfp_section(inp, 2022, "en", _names(inp, "en"))
    tb = next(b for b in sec.blocks if getattr(b, "sheet", "") == "tfp_cao_dai_gtfp")
    vcol = next(c for c in tb.df.columns if c not in ("Code", "Name", "Rank") and tb.df[c].dtype.kind == "f")
    df = tb.df
    shown = [tb.formats[vcol].format(x) for x in df[vcol]]
    top = [i for i, s in enumerate(shown) if s == "1.0000"]
    assert len(top) >= 5
    assert set(df["Rank"].iloc[top]) == {1}
    nxt = len(top)
    assert df["Rank"].iloc[nxt] == nxt + 1  # 'min': the next distinct printed value ranks after all the ties
    # every pair printed equal has equal ranks, and ranks never decrease down the table
    for s in set(shown):
        assert df["Rank"][[x == s for x in shown]].nunique() == 1
    assert df["Rank"].is_monotonic_increasing


def test_index_display_scores_keep_stored_ranks():
    from nqpf.index import build_index

    rows = []
    for u, s in (("a", 0.5), ("b", 0.5 + 1e-12), ("c", 0.2)):
        for ind in ("x1", "x2"):
            rows.append({"unit": u, "period": 2020, "indicator": ind, "value": s})
    fw = {"name": "t", "root": "idx", "nodes": [{"id": "idx", "label": {"en": "I", "zh": "指"}},
                                                  {"id": "x1", "parent": "idx", "direction": 1, "label": {"en": "x1", "zh": "一"}},
                                                  {"id": "x2", "parent": "idx", "direction": 1, "label": {"en": "x2", "zh": "二"}}]}
    res = build_index(pd.DataFrame(rows), fw, normalize="minmax-global", weights="equal")
    root = res.index_scores().set_index("unit")["rank"]
    shown = res.display_scores()
    shown = shown[shown["node"] == res.framework.root].set_index("unit")["rank"]
    assert root["b"] == 1 and root["a"] == 2  # stored ranks rank the unrounded scores
    assert shown["a"] == shown["b"] == 1 and shown["c"] == 3


def test_report_ranking_and_profile_ranks_follow_the_printed_scores(cn, quiet):
    """The national ranking table and the regional profile rank what they print: equal printed scores, equal
    ranks; reference: ranks recomputed from the printed strings."""
    from nqpf.guide.profile import build_profile
    from nqpf.index import build_index
    from nqpf.report.build import _display_profile_ranks, _load_inputs, _ranking

    res = build_index(cn, "nqpf-core")
    inp = _load_inputs("cn_provinces", None)
    rk = _ranking(res, inp, 2023, "en", None)
    printed = [f"{v:.4f}" for v in rk["score"]]
    ref = [1 + sum(float(q) > float(p) for q in printed) for p in printed]
    assert rk["rank"].tolist() == ref
    prof = build_profile(res, "340000", 2023, units=inp.units, data=inp.data)
    _display_profile_ranks(prof, res, "340000", 2023)
    ds = res.display_scores()
    for r in prof.scores.itertuples():
        want = ds[(ds["unit"] == "340000") & (ds["period"] == 2023) & (ds["node"] == r.node)]["rank"].item()
        assert r.rank == want
    nz = res.normalized[res.normalized["period"] == 2023]
    for r in prof.strengths.itertuples():
        col = nz[nz["indicator"] == r.indicator]
        shown = {u: f"{v:.4f}" for u, v in zip(col["unit"], col["value"], strict=True)}
        assert r.rank == 1 + sum(float(x) > float(shown["340000"]) for x in shown.values())
