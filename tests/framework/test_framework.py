"""Framework trees: loading, navigation, validation (all problems listed), safe formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.errors import FrameworkError
from nqpf.framework import builtin_names, evaluate_formula, load_framework, parse_formula

MINIMAL = """
name: example
nodes:
  - {id: index}
  - {id: A, parent: index}
  - {id: x1, parent: A, direction: 1}
  - {id: x2, parent: A, direction: -1}
"""


def test_minimal_form_from_yaml_file(tmp_path):
    p = tmp_path / "example.yaml"
    p.write_text(MINIMAL, encoding="utf-8")
    fw = load_framework(p)
    assert fw.name == "example" and fw.root == "index"
    assert fw.leaves == ["x1", "x2"]
    assert fw.children("A") == ["x1", "x2"] and fw.parent("x1") == "A" and fw.parent("index") is None
    assert fw.label("A", "zh") == "A"  # falls back to the id
    assert list(fw.nodes["level"]) == [0, 1, 2, 2]
    assert fw.direction("x2") == -1
    fw.validate(["x1", "x2"])
    with pytest.raises(FrameworkError, match="series missing from the data: x2"):
        fw.validate(["x1"])


def test_minimal_form_runs_through_build_index(tmp_path):
    from nqpf.index import build_index

    p = tmp_path / "example.yaml"
    p.write_text(MINIMAL, encoding="utf-8")
    df = pd.DataFrame(
        {
            "unit": ["a", "b", "c"] * 2,
            "period": [2020] * 3 + [2021] * 3,
            "x1": [1.0, 2, 3, 4, 5, 6],
            "x2": [6.0, 5, 4, 3, 2, 1],
        }
    )
    res = build_index(df, p)
    # x1 and x2 both rise over rows after direction: identical normalised columns → equal entropy weights
    np.testing.assert_allclose(
        res.weights.set_index("node").loc[["x1", "x2"], "effective_weight"], [0.5, 0.5]
    )
    st = res.score_table()["index"]
    expected = (df.set_index(["unit", "period"])["x1"] - 1) / 5  # both columns equal (x1 − 1)/5 after min-max
    np.testing.assert_allclose(st.loc[expected.index].to_numpy(), expected.to_numpy())


def test_validation_lists_all_structural_problems():
    spec = {
        "name": "broken",
        "nodes": [
            {"id": "r1"},
            {"id": "r2"},  # two roots
            {"id": "a", "parent": "ghost", "direction": 1},  # unknown parent
            {"id": "b", "parent": "r1"},  # leaf without direction
            {"id": "b", "parent": "r1", "direction": 1},  # duplicate id
            {"id": "c1", "parent": "c2"},
            {"id": "c2", "parent": "c1"},  # cycle
            {"id": "d", "parent": "r1", "direction": 2},  # bad direction
            {"id": "e", "parent": "r1", "direction": 1, "formula": "__import__('os')"},  # not arithmetic
        ],
    }
    fw = load_framework(spec)
    codes = sorted(p.code for p in fw.problems())
    for code in (
        "many_roots",
        "unknown_parent",
        "no_direction",
        "duplicate_id",
        "cycle",
        "bad_direction",
        "bad_formula",
    ):
        assert code in codes, code
    with pytest.raises(FrameworkError) as ei:
        fw.validate()
    assert len(ei.value.problems) == len(codes)


def test_default_direction_documented_behaviour():
    spec = {"name": "d", "default_direction": 1, "nodes": [{"id": "i"}, {"id": "x", "parent": "i"}]}
    fw = load_framework(spec)
    assert fw.direction("x") == 1 and not fw.problems()


@pytest.mark.parametrize("bad", ["a.b", "f(a)", "a[0]", "a if b else c", "lambda: 1", "a < b", "b's'", "''", "True"])
def test_formula_refuses_non_arithmetic(bad):
    with pytest.raises(FrameworkError, match="not allowed|not valid"):
        parse_formula(bad, node="n")


def test_formula_evaluates_per_row_and_division_by_zero_is_gap():
    cols = {"rd": np.array([2.0, 3.0, 1.0]), "gdp": np.array([100.0, 0.0, 50.0])}
    out = evaluate_formula("rd / gdp * 100 + -(1 - 1) ** 2", cols)
    np.testing.assert_allclose(out, [2.0, np.nan, 2.0])


def test_formula_leaf_in_pipeline():
    from nqpf.index import build_index

    df = pd.DataFrame(
        {
            "unit": list("abcd"),
            "period": 2020,
            "rd": [1.0, 2, 3, 4],
            "gdp": [10.0, 10, 10, 20],
            "y": [3.0, 1, 2, 4],
        }
    )
    fw = {
        "name": "f",
        "nodes": [
            {"id": "i"},
            {"id": "rd_int", "parent": "i", "direction": 1, "formula": "rd / gdp * 100"},
            {"id": "yy", "parent": "i", "direction": 1, "series": "y"},
        ],
    }
    res = build_index(df, fw)
    np.testing.assert_allclose(res.values["rd_int"].to_numpy(), [10, 20, 30, 20])
    np.testing.assert_allclose(res.values["yy"].to_numpy(), [3, 1, 2, 4])


def test_builtins_load_and_are_structurally_valid():
    names = builtin_names()
    assert "data-asset" in names
    for n in names:
        fw = load_framework(n)
        fw.validate()
        for leaf in fw.leaves:
            assert fw.node(leaf)["theory"], f"{n}: indicator {leaf} lacks a theory citation"


def test_unknown_builtin_and_missing_file():
    with pytest.raises(FrameworkError, match="unknown framework 'nope'"):
        load_framework("nope")
    with pytest.raises(FrameworkError, match="not found"):
        load_framework("missing.yaml")


@pytest.mark.parametrize("name", ["nqpf-core", "nqpf-core-rich", "nqpf-33131", "nqpf-world"])
def test_builtin_validates_against_its_dataset(name):
    """Every series a built-in framework names exists in its dataset (both ship with the package: a missing one
    fails, issue 18.7)."""
    import nqpf.datasets as ds

    assert name in builtin_names()
    fw = load_framework(name)
    fw.validate(ds.load(fw.meta["dataset"]))


@pytest.mark.parametrize(
    ("name", "kw"), [("nqpf-core", {}), ("nqpf-core-rich", {"impute": "linear-carry+group-mean"})]
)
def test_builtin_runs_on_real_data_with_identities(name, kw):
    """End to end on the shipped dataset: finite scores, leaves' effective weights sum to 1, index = Σ w z."""
    import nqpf.datasets as ds
    from nqpf.index import build_index

    assert name in builtin_names()
    fw = load_framework(name)
    data = ds.load(fw.meta["dataset"])
    res = build_index(data, fw, **kw)
    assert np.isfinite(res.S).all()
    w = res.weights.set_index("node").loc[fw.leaves, "effective_weight"].to_numpy()
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(res.Z @ w, res.score_table()[fw.root].to_numpy(), atol=1e-12)
    assert (
        res.manifest["periods"][0] == fw.meta["periods"][0]
        and res.manifest["periods"][-1] == fw.meta["periods"][1]
    )
