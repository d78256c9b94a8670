"""Source anomalies: planted spikes/jumps/repeats are found, shared changes are not a unit's anomaly, and the
cases quoted in issue 'headline index' are caught on the shipped data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import nqpf.datasets as ds
from nqpf.data.anomalies import find_anomalies
from nqpf.data.validate import validate


def _panel(X: np.ndarray, years=None, name="x") -> pd.DataFrame:
    years = list(range(2010, 2010 + X.shape[1])) if years is None else years
    return pd.DataFrame(
        [(f"u{u}", years[t], name, X[u, t]) for u in range(X.shape[0]) for t in range(X.shape[1])],
        columns=["unit", "period", "indicator", "value"],
    )


def _smooth(U=8, T=8, seed=0):
    rng = np.random.default_rng(seed)
    return 100 * np.exp(np.cumsum(rng.normal(0.05, 0.02, size=(U, T)), axis=1))


def test_planted_spike_jump_and_repeat_are_found_and_nothing_else():
    X = _smooth()
    X[1, 4] *= 3.0  # spike: up and back
    X[2, 5:] *= 4.0  # jump: a level break that stays
    X[3, 2] = X[3, 1]
    X[3, 3] = X[3, 1]  # stale: three equal values
    a = find_anomalies(_panel(X))
    got = set(zip(a["check"], a["unit"], a["period"], strict=True))
    assert got == {("spike", "u1", 2014), ("jump", "u2", 2015), ("stale", "u3", 2012), ("stale", "u3", 2013)}
    sp = a[a["check"] == "spike"].iloc[0]
    assert sp["ratio"] == pytest.approx(X[1, 4] / X[1, 3]) and sp["previous"] == X[1, 3]
    st = a[a["check"] == "stale"].iloc[0]
    assert st["run_start"] == 2011 and st["run_length"] == 3


def test_a_change_every_unit_shares_is_a_common_break_not_a_unit_jump():
    X = _smooth()
    X[:, 4:] *= 5.0  # nationwide rebasing
    a = find_anomalies(_panel(X))
    assert list(a["check"]) == ["common_break"] and a["period"].iloc[0] == 2014 and a["unit"].iloc[0] == ""
    assert a["ratio"].iloc[0] == pytest.approx(np.median(X[:, 4] / X[:, 3]))


def test_series_with_zeros_only_get_the_repeat_check():
    X = _smooth()
    X[0, 0] = 0.0
    X[0, 3] *= 5  # would be a spike, but the series has a zero: no ratios
    X[5, 6] = X[5, 5]  # a single repeat (two equal values) is reported
    a = find_anomalies(_panel(X))
    assert ("u0" not in set(a["unit"])) and set(zip(a["check"], a["unit"], strict=True)) == {("stale", "u5")}


def test_issue_cases_on_the_shipped_data():
    a = find_anomalies(ds.load("cn_provinces").data)
    sw = a[a["indicator"] == "switch_capacity_mobile"]
    # Tibet 448 → 2,423 (万户) in 2016; Liaoning 6,406 → 13,111 → 6,775 around 2015; 78 exact repeats
    tib = sw[(sw["unit"] == "540000") & (sw["check"] == "jump")]
    assert list(tib["period"]) == [2016] and tib["previous"].iloc[0] == 448 and tib["value"].iloc[0] == 2423
    ln = sw[(sw["unit"] == "210000") & (sw["check"] == "spike")]
    assert list(ln["period"]) == [2015] and round(ln["value"].iloc[0]) == 13111
    assert (sw["check"] == "stale").sum() == 78
    cb = a[a["check"] == "common_break"].set_index("indicator")["period"]
    assert cb.loc["telecom_business_volume"] == 2021  # rebasing of the changing constant prices
    assert cb.loc["so2"] == 2016  # second pollution-source census revision


def test_validate_reports_them_as_warnings_in_both_languages(tmp_path):
    p = tmp_path / "sp.csv"
    p.write_text(
        "province,year,gdp\n北京,2015,100\n北京,2016,300\n北京,2017,102\n天津,2015,50\n天津,2016,52\n"
        "天津,2017,54\n河北,2015,30\n河北,2016,30\n河北,2017,30\n",
        encoding="utf-8",
    )
    rep = validate(p)
    w = {(x.code, x.unit, x.extra.get("period")) for x in rep.problems if x.severity == "warning"}
    assert ("value_spike", "110000", 2016) in w and ("value_stale", "130000", 2017) in w
    assert not [x for x in rep.problems if x.severity == "error"]
    zh = [x.message for x in validate(p, lang="zh").problems if x.code == "value_spike"][0]
    assert "100 → 300 → 102" in zh and not any(c.isascii() and c.isalpha() for c in zh)
