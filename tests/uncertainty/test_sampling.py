"""Saltelli A/B/AB_i design and discrete mapping."""

from __future__ import annotations

import numpy as np
import pytest

from nqpf.errors import MethodError
from nqpf.uncertainty.sampling import saltelli_design, to_discrete


def test_design_structure_and_seed():
    d = saltelli_design(32, 4, seed=7)
    M = d.matrix()
    assert M.shape == (32 * 6, 4) and d.n_runs == 192
    assert np.all((M >= 0) & (M < 1))
    for i in range(4):
        AB = M[(2 + i) * 32:(3 + i) * 32]
        assert np.array_equal(AB[:, i], d.B[:, i])
        assert np.array_equal(np.delete(AB, i, axis=1), np.delete(d.A, i, axis=1))
    assert np.array_equal(saltelli_design(32, 4, seed=7).A, d.A)
    assert not np.array_equal(saltelli_design(32, 4, seed=8).A, d.A)
    yA, yB, yAB = d.split(np.arange(d.n_runs))
    assert yA[0] == 0 and yB[0] == 32 and yAB.shape == (4, 32) and yAB[1, 0] == 96


def test_discrete_mapping_is_balanced():
    d = saltelli_design(1024, 1, seed=0)
    idx = to_discrete(d.A[:, 0], 3)
    counts = np.bincount(idx, minlength=3)
    assert counts.sum() == 1024 and np.all(np.abs(counts - 1024 / 3) <= 2)  # Sobol' points are balanced
    assert to_discrete(np.array([0.0, 0.999999999]), 5).tolist() == [0, 4]


def test_bad_inputs():
    with pytest.raises(MethodError):
        saltelli_design(16, 0, seed=0)
    with pytest.raises(MethodError):
        saltelli_design(16, 2, seed=-1)
    with pytest.raises(MethodError, match="n\\(k\\+2\\)"):
        saltelli_design(16, 2, seed=0).split(np.zeros(5))
