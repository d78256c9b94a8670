"""Stages with an explicit log (issue 18, item 2) and ranks of the reported nodes only (issue 20, item 2).

References: the stage data sets are checked against formulas computed here with numpy/pandas (min–max
normalisation ``(x − min)/(max − min)``, and ``(max − x)/(max − min)`` for a negative indicator; the arithmetic
index ``Σ_l w_l z_l`` over leaves with their effective weights; competition "min" ranks from
``pandas.Series.rank``), not against the pipeline's own helpers. The threaded case reproduces the issue's
"warnings leak between concurrent builds" report."""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from nqpf import _util
from nqpf.errors import MethodError
from nqpf.index import IndexSpec, Log, build_index
from nqpf.index import stages as st
from nqpf.index.pipeline import grid, run_stages

FW = "nqpf-core-v1"  # complete data 2012–2022: no imputation needed
PERIOD_NOTE = "minmax-period: min-max within each period"


@pytest.fixture(scope="module")
def base():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return build_index("cn_provinces", FW, weights="equal")


# ---------------------------------------------------------------------------------------------------------
# the Log
# ---------------------------------------------------------------------------------------------------------
def test_log_files_notes_under_their_stage_once_and_releases_the_sink():
    log = Log()
    with pytest.warns(UserWarning) as got, log.stage("treat"):
        _util.warn("first")  # a step module warning through nqpf._util lands in the stage that called it
        _util.warn("first")  # deduplicated
        with log.stage("normalise"):
            log.warn("second")
        log.warn("third")  # back in the outer stage
    assert [str(w.message) for w in got] == ["first", "first", "second", "third"]  # Python warnings still go out
    assert log.notes == ["first", "second", "third"]
    assert log.by_stage("treat") == ["first", "third"]
    assert log.by_stage("normalise") == ["second"]
    assert log.current is None
    with pytest.warns(UserWarning):
        _util.warn("outside")  # no stage active: the log no longer receives notes
    assert "outside" not in log.notes
    log.record("impute", cells=3)
    log.record("impute", method="linear")
    assert log.records == {"impute": {"cells": 3, "method": "linear"}}


def test_build_notes_are_filed_by_stage_and_equal_the_manifest_warnings():
    with pytest.warns(UserWarning, match="minmax-period"):
        res = build_index("cn_provinces", FW, normalize="minmax-period", weights="equal")
    assert res.manifest["warnings"] == res.log.notes
    assert [m[: len(PERIOD_NOTE)] for m in res.log.by_stage("normalise")] == [PERIOD_NOTE]
    with pytest.warns(UserWarning, match="dropped"):
        drop = build_index("cn_provinces", "nqpf-core-rich", impute="none", drop_incomplete_units=True)
    notes = drop.log.by_stage("impute")
    assert len(notes) == 1 and "540000" in notes[0]  # Tibet has gaps in 2016–2022 (see PROVENANCE)
    assert drop.manifest["dropped_units"] == ["540000"] == drop.log.records["impute"]["dropped_units"]
    with pytest.warns(UserWarning, match="weight concentration"):
        conc = build_index("cn_provinces", FW, treat="log")  # log shifts weight onto a few leaves
    assert [m.split(":")[0] for m in conc.log.by_stage("weight")] == ["weight concentration"]
    assert conc.log.records["weight"]["concentration"]["flagged"] is True
    assert set(conc.log.records) == {"grid", "impute", "treat", "normalise", "weight", "aggregate", "rank"}


def test_concurrent_builds_keep_their_own_notes():
    """Issue 18: with process-global capture, 56 of 160 threaded builds stored another build's warnings."""
    kinds = ["minmax-period", "minmax-global"] * 12

    def one(norm):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return norm, build_index("cn_provinces", FW, normalize=norm, weights="equal", periods="2015-2019")

    with ThreadPoolExecutor(max_workers=6) as ex:
        out = list(ex.map(one, kinds))
    for norm, res in out:
        got = res.manifest["warnings"]
        if norm == "minmax-period":
            assert len(got) == 1 and got[0].startswith(PERIOD_NOTE), got
        else:
            assert got == [], got


# ---------------------------------------------------------------------------------------------------------
# the stages and their data sets
# ---------------------------------------------------------------------------------------------------------
def test_stages_run_by_hand_reproduce_build_index(base):
    opt: dict = {}
    log = Log()
    g = grid("cn_provinces", FW, None, opt, log)
    im = st.impute(g, "none", opt, log)
    X, _ = st.treat(im.X, "none", g.leaves, opt, log)
    Z = st.normalise(X, g.framework, im.units, g.years, "minmax-global", opt, log)
    plan = st.weight(Z, g.framework, "equal", "leaves", opt, log)
    ag = st.aggregate(Z, g.framework, plan, "arithmetic", opt, log)
    R = st.rank(ag.S, g.framework, len(im.units), len(g.years), "all", log)
    assert ag.S.tobytes() == base.S.tobytes() and R.tobytes() == base.R.tobytes()
    assert g.input_hash == base.manifest["input_hash"]
    assert np.shares_memory(im.X, g.X0) and X is im.X  # a stage that changes nothing copies nothing


def test_stage_data_sets_match_independent_formulas(base):
    fw, Zs = base.framework, base.stages["normalised"]
    X = base.stages["treated"]
    lo, hi = X.min(axis=0), X.max(axis=0)
    d = np.array([fw.direction(x) for x in fw.leaves])
    ref = np.where(d > 0, (X - lo) / (hi - lo), (hi - X) / (hi - lo))
    np.testing.assert_allclose(Zs, ref, rtol=0, atol=1e-12)
    w = base.weights.set_index("node")["effective_weight"]
    index = Zs @ w.loc[fw.leaves].to_numpy()  # arithmetic index over leaves: Σ_l w_l z_l
    np.testing.assert_allclose(base.stages["aggregated"][:, fw.ids.index(fw.root)], index, rtol=1e-12)
    assert set(base.stages) == {"raw", "imputed", "treated", "normalised", "aggregated"}
    tab = base.stage_table("normalised")
    assert tab.shape == (len(base.units), len(fw.leaves)) and tab.index.names == ["unit", "period"]
    with pytest.raises(MethodError, match="no data set 'weighted'"):
        base.stage_table("weighted")


def test_imputed_data_set_fills_only_the_gaps():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = build_index("cn_provinces", "nqpf-core")  # declares impute linear-carry, limit 1
    raw, imp = res.stages["raw"], res.stages["imputed"]
    gaps = np.isnan(raw)
    assert gaps.any() and not np.isnan(imp).any()
    np.testing.assert_array_equal(imp[~gaps], raw[~gaps])
    assert int(gaps.sum()) == res.manifest["imputed_cells"] == res.log.records["impute"]["imputed_cells"]


# ---------------------------------------------------------------------------------------------------------
# rank only the reported nodes
# ---------------------------------------------------------------------------------------------------------
def test_rank_index_only_equals_full_ranks_and_pandas_min_ranks(base):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = build_index("cn_provinces", FW, weights="equal", rank_nodes="index")
    fw = res.framework
    assert res.log.records["rank"]["nodes"] == [fw.root]
    assert res._R is None and list(res._rank_cols) == [fw.ids.index(fw.root)]  # noqa: SLF001
    root = res.ranks(fw.root)[:, 0]
    s = pd.Series(res.S[:, fw.ids.index(fw.root)])
    ref = s.groupby(res.periods).rank(method="min", ascending=False).astype("int64").to_numpy()
    np.testing.assert_array_equal(root, ref)
    assert res.manifest == {**base.manifest, "created": res.manifest["created"]}
    assert res.R.tobytes() == base.R.tobytes()  # the other nodes are ranked on first access
    pd.testing.assert_frame_equal(res.scores, base.scores)


def test_rank_a_list_of_nodes_and_refuse_unknown_ones(base):
    fw = base.framework
    pick = [fw.leaves[0], fw.internal[0]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = build_index(IndexSpec.from_args("cn_provinces", FW, weights="equal"), rank_nodes=pick)
        assert res.manifest["result_hash"] == base.manifest["result_hash"]
        np.testing.assert_array_equal(res.ranks(pick), base.R[:, [fw.ids.index(n) for n in pick]])
        with pytest.raises(MethodError, match=r"rank_nodes: node\(s\) \['no_such_node'\]"):
            build_index("cn_provinces", FW, weights="equal", rank_nodes=["no_such_node"])
    with pytest.raises(MethodError, match="not in the framework"):
        res.ranks(["no_such_node"])


def test_run_stages_stops_where_asked_and_matches_the_build():
    """The normalise-only path (issue 20 item 2): the same settings rule and the same bits as a build."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        full = build_index("cn_provinces", "nqpf-core", periods="2014-2020", impute_limit=2)
        out = run_stages("cn_provinces", "nqpf-core", until="normalise", periods="2014-2020", impute_limit=2)
    assert out["steps"]["impute"] == "linear-carry"  # the framework's declared method, as in the build
    assert out["normalise"].tobytes() == full.Z.tobytes()
    assert out["impute"].X.tobytes() == full.stages["imputed"].tobytes()
    assert set(out["log"].records) == {"grid", "impute", "treat", "normalise"}  # nothing weighted or ranked
    assert "weight" not in out and "rank" not in out
    with pytest.raises(MethodError, match="until='weights' is not a stage"):
        run_stages("cn_provinces", FW, until="weights")
    with pytest.raises(MethodError, match=r"run_stages: unknown option\(s\) \['alfa'\]"):
        run_stages("cn_provinces", FW, alfa=0.3)


def test_result_with_its_log_pickles_and_copies():
    import copy
    import pickle

    with pytest.warns(UserWarning, match="minmax-period"):
        res = build_index("cn_provinces", FW, normalize="minmax-period", weights="equal", rank_nodes="index")
    for other in (pickle.loads(pickle.dumps(res)), copy.deepcopy(res)):
        assert other.log.notes == res.log.notes and other.log.entries == res.log.entries
        assert other.log.by_stage("normalise") == res.log.by_stage("normalise") != []
        assert other.R.tobytes() == res.R.tobytes()
