"""Coupling coordination. References: the formulas of the module docstring — standard C = n(ΠU)^{1/n}/ΣU (AM–GM
gives C ∈ [0, 1], C = 1 iff all U equal) and the adjusted C of 王淑佳 et al. (2021, 自然资源学报 36(3)); the
hand-computed values below follow those formulas step by step (no published table with numbers was available)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.analysis.coupling import coupling, coupling_degree, coupling_from_index, grade_label, grade_level
from nqpf.errors import MethodError, ValidationError

unit_floats = st.floats(0, 1, allow_nan=False)


@settings(max_examples=80, deadline=None)
@given(st.lists(unit_floats, min_size=2, max_size=6), st.sampled_from(["standard", "adjusted"]))
def test_range_zero_one(u, variant):
    C = coupling_degree(np.array([u]), variant)[0]
    assert 0.0 <= C <= 1.0
    df = pd.DataFrame([u], columns=[f"s{i}" for i in range(len(u))])
    r = coupling(df, list(df.columns), variant=variant)
    assert 0 <= r["D"].iloc[0] <= 1 and 0 <= r["T"].iloc[0] <= 1


@given(st.floats(0.001, 1), st.integers(2, 6))
def test_equal_u_gives_c_one(x, n):
    assert coupling_degree(np.full((1, n), x), "standard")[0] == pytest.approx(1.0)
    assert coupling_degree(np.full((1, n), x), "adjusted")[0] == pytest.approx(1.0)


def test_hand_values_two_systems():
    # U = (0.2, 0.8): standard C = 2·sqrt(0.16)/1.0 = 0.8; adjusted C = sqrt((1 − 0.6)·(0.2/0.8)) = sqrt(0.1)
    r = coupling(pd.DataFrame({"id": ["x"], "a": [0.2], "b": [0.8]}), ["a", "b"])
    assert r["C"].iloc[0] == pytest.approx(0.8)
    assert r["T"].iloc[0] == pytest.approx(0.5)
    assert r["D"].iloc[0] == pytest.approx(np.sqrt(0.4))
    assert r["grade_level"].iloc[0] == 7  # D = 0.632 ∈ [0.6, 0.7) → 初级协调
    ra = coupling(pd.DataFrame({"a": [0.2], "b": [0.8]}), ["a", "b"], variant="adjusted")
    assert ra["C"].iloc[0] == pytest.approx(np.sqrt(0.1))


def test_hand_values_three_systems_and_weights():
    # U = (0.3, 0.6, 0.9): standard C = 3·(0.162)^{1/3}/1.8; adjusted: mean |diff| = (0.3+0.6+0.3)/3 = 0.4,
    # Π(U/max) = (1/3)(2/3)(1) = 2/9 → C = sqrt(0.6 · (2/9)^{1/2})
    U = np.array([[0.3, 0.6, 0.9]])
    assert coupling_degree(U, "standard")[0] == pytest.approx(3 * 0.162 ** (1 / 3) / 1.8)
    assert coupling_degree(U, "adjusted")[0] == pytest.approx(np.sqrt(0.6 * np.sqrt(2 / 9)))
    r = coupling(pd.DataFrame(U, columns=list("abc")), list("abc"), weights=[0.5, 0.3, 0.2])
    assert r["T"].iloc[0] == pytest.approx(0.15 + 0.18 + 0.18)


def test_zero_conventions_and_grades():
    assert coupling_degree(np.zeros((1, 2)))[0] == 0.0
    assert coupling_degree(np.array([[0.0, 0.5]]))[0] == 0.0
    assert list(grade_level([0.0, 0.0999, 0.1, 0.55, 0.9, 1.0])) == [1, 1, 2, 6, 10, 10]
    assert grade_label(1, "zh") == "极度失调" and grade_label(10, "zh") == "优质协调"
    assert grade_label(6, "en") == "Barely coordinated"


def test_validation():
    with pytest.raises(ValidationError, match="outside"):
        coupling(pd.DataFrame({"id": ["p", "q"], "a": [0.5, 1.5], "b": [0.5, 0.5]}), ["a", "b"])
    with pytest.raises(ValidationError):
        coupling(pd.DataFrame({"a": [np.nan], "b": [0.5]}), ["a", "b"])
    with pytest.raises(MethodError):
        coupling(pd.DataFrame({"a": [0.5], "b": [0.5]}), ["a", "b"], weights=[0.7, 0.7])
    with pytest.raises(MethodError):
        coupling(pd.DataFrame({"a": [0.5]}), ["a"])
    with pytest.raises(MethodError):
        coupling_degree(np.array([[0.5, 0.5]]), "classic")


class _FakeResult:
    def __init__(self):
        rows = []
        for u, (d, r) in {"A": (0.2, 0.8), "B": (0.5, 0.5)}.items():
            rows += [
                (u, 2020, "digital_economy", d, 1),
                (u, 2020, "real_economy", r, 1),
                (u, 2020, "root", 0.5, 1),
                (u, 2020, "x1", 0.1, 1),
            ]
        self.scores = pd.DataFrame(rows, columns=["unit", "period", "node", "score", "rank"])
        self.normalized = pd.DataFrame({"unit": ["A"], "period": [2020], "indicator": ["x1"], "value": [0.1]})


def test_from_index_default_nodes():
    r = coupling_from_index(_FakeResult())
    assert list(r.columns[:4]) == ["unit", "period", "digital_economy", "real_economy"]
    assert r.set_index("unit").loc["A", "C"] == pytest.approx(0.8)
    assert r.set_index("unit").loc["B", "C"] == pytest.approx(1.0)
    with pytest.raises(MethodError, match="not in the index"):
        coupling_from_index(_FakeResult(), systems=["digital_economy", "nope"])
