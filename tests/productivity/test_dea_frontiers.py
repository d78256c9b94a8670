"""One frontier per period (issue 19: the panel is converted once, not per period) and the split LP engine
(issue 18: ``_lp`` re-exports the parts that moved to ``_lp_model`` / ``_lp_highs`` / ``_lp_batch``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.errors import DataError
from nqpf.productivity import _lp
from nqpf.productivity.dea import dea


def _panel(layout: str, period_dtype: str = "int") -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 3 * 12
    Z = rng.uniform(1, 100, (n, 4))
    # the block pandas holds is a copy (to_numpy gives a Fortran-ordered array) or a view of Z (C-ordered, as
    # a pivot_table result): a column sum, hence the scaling, depends on that order
    df = pd.DataFrame(Z, columns=["x0", "x1", "y0", "y1"], copy=layout == "F")
    years = np.repeat([2001, 2000, 2002], 12)
    ids = np.tile([f"u{i:02d}" for i in range(12)], 3)
    df = df.assign(id=ids, year=years.astype(str) if period_dtype == "str" else years)
    return df


@pytest.mark.parametrize("layout", ["F", "C"])
@pytest.mark.parametrize("period_dtype", ["int", "str"])
@pytest.mark.parametrize("model", ["ccr", "bcc"])
def test_period_frontiers_equal_separate_calls_exactly(layout, period_dtype, model):
    """``dea(..., period=)`` gives bit for bit the frame of one call per period (scaling included, whatever
    the memory layout of the data), with the period column of the period's own type and one frame built."""
    df = _panel(layout, period_dtype)
    together = dea(df, ["x0", "x1"], ["y0", "y1"], id="id", period="year", model=model)
    parts = []
    for per, g in df.groupby("year", sort=True):
        one = dea(g, ["x0", "x1"], ["y0", "y1"], id="id", model=model)
        one.insert(1, "period", per)
        parts.append(one)
    pd.testing.assert_frame_equal(together, pd.concat(parts, ignore_index=True), check_exact=True)
    assert list(together["period"].unique()) == sorted(df["year"].unique())
    rows = together.attrs["peer_weights"].frame()
    assert set(rows["period"]) == set(df["year"])


def test_period_errors_name_the_period():
    df = _panel("F")
    dup = df.copy()
    dup.loc[13, "id"] = "u00"  # year 2000 has u00 twice
    with pytest.raises(DataError, match=r"\['u00'\] occur more than once in period 2000"):
        dea(dup, ["x0", "x1"], ["y0", "y1"], id="id", period="year")
    zero = df.copy()
    zero.loc[30, ["y0", "y1"]] = 0.0
    with pytest.raises(DataError, match=r"unit\(s\) \['u06'\] have all outputs zero"):
        dea(zero, ["x0", "x1"], ["y0", "y1"], id="id", period="year")


def test_lp_module_keeps_its_names():
    """Callers (malmquist, dea, tests, bench) keep importing the engine from ``_lp``."""
    for name in ("Family", "Solved", "solve_points", "radial_family", "slack_family", "sbm_family",
                 "ddf_family", "tech_matrix", "default_seeds", "batch_slack", "_batch_radial", "_batchable",
                 "_solve_chunk", "available_cpus", "n_jobs_default", "BATCH_MIN"):  # fmt: skip
        assert hasattr(_lp, name), name


def test_batch_min_switch_still_routes_to_highs(monkeypatch):
    """``_lp.BATCH_MIN`` is read where the batched path is chosen: raising it sends every LP to HiGHS."""
    rng = np.random.default_rng(2)
    Z = rng.uniform(1, 10, (30, 4))
    fam = _lp.radial_family(2, 2, "crs", "input")
    T = _lp.tech_matrix(fam, Z)
    assert _lp._batchable(fam, T, Z, None)
    monkeypatch.setattr(_lp, "BATCH_MIN", 10**9)
    assert not _lp._batchable(fam, T, Z, None)


def test_period_groups_are_those_of_groupby():
    """``dea``'s frontier split (row positions, issue 19) is pandas' ``groupby(period, sort=True)``: sorted
    keys, rows in their order, rows without a period left out."""
    from nqpf.productivity.dea import _groups

    df = pd.DataFrame({"year": [2003, 2001, np.nan, 2003, 2001, 2002, np.nan], "v": range(7)})
    got = [(per, rows.tolist()) for per, rows in _groups(df, "year")]
    ref = [(per, g.index.tolist()) for per, g in df.groupby("year", sort=True)]
    assert got == ref
    txt = df.assign(year=df["year"].map(lambda v: None if pd.isna(v) else f"y{int(v)}"))
    assert [(p, r.tolist()) for p, r in _groups(txt, "year")] == [
        (p, g.index.tolist()) for p, g in txt.groupby("year", sort=True)]
