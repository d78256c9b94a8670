"""Periods written as text: ``2015年`` / ``"2015"`` are read as years like the data layer reads them (was an
AttributeError after the whole Malmquist run, a ValueError in growth/firm TFP/SFA); anything else is a
DataError naming column, row and unit before any frontier is solved."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.cli.main import app, register_commands
from nqpf.errors import DataError
from nqpf.productivity import malmquist
from nqpf.productivity.firm_tfp import firm_tfp
from nqpf.productivity.growth import growth_accounting
from nqpf.productivity.sfa import sfa

register_commands()


def _panel(n_units: int = 8, years=range(2015, 2019), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [
        {"unit": f"U{u}", "year": y, "K": rng.uniform(1, 10), "L": rng.uniform(1, 10), "Y": rng.uniform(1, 10)}
        for u in range(n_units)
        for y in years
    ]
    return pd.DataFrame(rows)


def _as_text(df: pd.DataFrame, col: str = "year", fmt: str = "{}年") -> pd.DataFrame:
    return df.assign(**{col: [fmt.format(y) for y in df[col]]})


def test_malmquist_reads_years_written_2015nian():
    df = _panel()
    ref = malmquist(df, ["K", "L"], ["Y"], id="unit", period="year")
    for fmt in ("{}年", "{}", "{}年度"):
        got = malmquist(_as_text(df, fmt=fmt), ["K", "L"], ["Y"], id="unit", period="year")
        pd.testing.assert_frame_equal(got, ref)
        assert got.attrs["manifest"]["periods"] == [2015, 2016, 2017, 2018]


def test_malmquist_refuses_a_non_year_before_solving(monkeypatch):
    M = importlib.import_module("nqpf.productivity.malmquist")  # the package exports the function by that name

    def no_lp(*a, **k):
        raise AssertionError("the frontiers were solved before the bad period was found")

    monkeypatch.setattr(M, "_Distances", no_lp)
    df = _as_text(_panel())
    df.loc[5, "year"] = "2016a"
    with pytest.raises(DataError) as e:
        malmquist(df, ["K", "L"], ["Y"], id="unit", period="year")
    msg = str(e.value)
    assert "column 'year', row 7 (unit 'U1')" in msg and "'2016a'" in msg
    assert "write every period as a year (2015)" in msg


def test_malmquist_cli_years_written_2015nian(tmp_path):
    p = tmp_path / "m.csv"
    _as_text(_panel()).to_csv(p, index=False)
    out = tmp_path / "o.csv"
    args = ["malmquist", "--data", str(p), "--id", "unit", "--period", "year", "--inputs", "K,L", "--outputs", "Y"]
    r = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert r.exit_code == 0, (r.output, r.exception)
    res = pd.read_csv(out)
    assert sorted(res["year"].unique()) == [2016, 2017, 2018] and len(res) == 24  # the --period name is kept


def test_growth_firm_sfa_read_years_written_as_text():
    df = _panel(6, range(2012, 2023), seed=1).rename(columns={"year": "period"})
    txt = _as_text(df, "period")
    kw = dict(output="Y", capital="K", labour="L", labour_share=0.6)
    pd.testing.assert_frame_equal(growth_accounting(txt, **kw).table, growth_accounting(df, **kw).table)
    kw = dict(output="Y", capital="K", labour="L", unit="unit", period="period", method="ols")
    pd.testing.assert_frame_equal(firm_tfp(txt, **kw).tfp, firm_tfp(df, **kw).tfp)
    kw = dict(output="Y", inputs=["K", "L"], unit="unit", period="period", model="bc92")
    pd.testing.assert_frame_equal(sfa(txt, **kw).efficiencies, sfa(df, **kw).efficiencies)
    bad = txt.copy()
    bad.loc[3, "period"] = "二〇一五"
    for f, kw in (
        (growth_accounting, dict(output="Y", capital="K", labour="L", labour_share=0.6)),
        (firm_tfp, dict(output="Y", capital="K", labour="L", unit="unit", period="period", method="ols")),
        (sfa, dict(output="Y", inputs=["K", "L"], unit="unit", period="period", model="bc92")),
    ):
        with pytest.raises(DataError, match=r"column 'period', row 5 \(unit 'U0'\)"):
            f(bad, **kw)
