"""The pieces of malmquist() against literal implementations: cumulative chains with restarts and NaN,
pairs and rows independent of the row order of the data, repeated unit/period rows refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.errors import DataError
from nqpf.productivity.malmquist import _cumulative, malmquist


def _literal_cumulative(units: list[str], tt: list[int], vals: np.ndarray, additive: bool):
    """Per unit in period order: c = s ∘ v at the first pair and after a missing one, else c_prev ∘ v."""
    cum = np.full(len(vals), np.nan)
    restart = np.zeros(len(vals), bool)
    last: dict[str, int] = {}
    for q in range(len(vals)):  # rows are in period order, as malmquist() lists its pairs
        u = units[q]
        restart[q] = u in last and last[u] != tt[q] - 1
        last[u] = tt[q]
    acc: dict[str, float] = {}
    for q in sorted(range(len(vals)), key=lambda q: (units[q], tt[q])):
        u = units[q]
        prev = (0.0 if additive else 1.0) if (u not in acc or restart[q]) else acc[u]
        acc[u] = prev + vals[q] if additive else prev * vals[q]
        cum[q] = acc[u]
    return cum, restart


@pytest.mark.parametrize("additive", [False, True])
def test_cumulative_matches_the_literal_chain(additive):
    rng = np.random.default_rng(11)
    rows = [(u, t) for t in range(9) for u in ("b", "a", "c", "d") if rng.uniform() < 0.75]
    units = [u for u, _ in rows]
    tt = np.array([t for _, t in rows])
    codes = pd.factorize(np.array(units, dtype=object), sort=True)[0]
    vals = {c: rng.lognormal(0, 0.1, len(rows)) for c in ("tfpch", "effch", "techch")}
    vals["tfpch"][[3, 10]] = np.nan  # infeasible pairs break their chain until it restarts
    out = {c: v.copy() for c, v in vals.items()}
    reason = np.full(len(rows), "", dtype=object)
    order = _cumulative(out, codes, tt, reason, additive)
    for c in ("tfpch", "effch", "techch"):
        want, restart = _literal_cumulative(units, tt.tolist(), vals[c], additive)
        np.testing.assert_array_equal(out[f"cum_{c}"], want)  # bit for bit, NaN in the same places
    assert [units[q] for q in order] == sorted(units)
    assert [("restarts" in r) for r in reason] == restart.tolist()
    broken = np.isnan(out["cum_tfpch"]) & np.isfinite(vals["tfpch"])
    assert [("earlier pair" in r) for r in reason] == broken.tolist()


def _panel(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_u, years = 8, range(2015, 2020)
    df = pd.DataFrame([(f"u{i}", y) for y in years for i in range(n_u)], columns=["unit", "year"])
    df["K"], df["L"] = rng.uniform(1, 10, len(df)), rng.uniform(1, 10, len(df))
    df["Y"] = np.sqrt(df["K"] * df["L"]) * rng.lognormal(0, 0.2, len(df))
    return df.drop(index=[9, 20]).reset_index(drop=True)  # u1 misses 2016, u4 misses 2017


def test_result_does_not_depend_on_the_row_order():
    df = _panel()
    a = malmquist(df, ["K", "L"], ["Y"], id="unit", period="year")
    b = malmquist(df.sample(frac=1, random_state=5), ["K", "L"], ["Y"], id="unit", period="year")
    # the LPs see the reference units in row order: the optimum is the same to rounding
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-10, atol=1e-12)
    assert a.attrs["manifest"]["missing_pairs"] == b.attrs["manifest"]["missing_pairs"]
    assert list(a["unit"]) == sorted(a["unit"])


def test_repeated_unit_period_rows_are_refused():
    df = _panel()
    df = pd.concat([df, df.iloc[[4]]], ignore_index=True)
    with pytest.raises(DataError, match=r"unit/period pairs occur twice: \[\['u4', 2015\]\]"):
        malmquist(df, ["K", "L"], ["Y"], id="unit", period="year")
