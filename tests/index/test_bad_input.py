"""Bad input gets a clear error naming the culprit (issue 3, 'Bad input gets')."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.errors import DataError, FrameworkError, MethodError
from nqpf.index import build_index, geometric

FW = {
    "name": "bad",
    "nodes": [
        {"id": "idx"},
        {"id": "A", "parent": "idx"},
        {"id": "x1", "parent": "A", "direction": 1},
        {"id": "x2", "parent": "A", "direction": -1},
        {"id": "x3", "parent": "idx", "direction": 1},
    ],
}


def panel(n_units=5, years=(2019, 2020, 2021), seed=0):
    rng = np.random.default_rng(seed)
    rows = [
        (f"u{u}", y, k, float(rng.uniform(1, 9)))
        for u in range(n_units)
        for y in years
        for k in ("x1", "x2", "x3")
    ]
    return pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"])


def test_all_missing_indicator_named():
    df = panel()
    df.loc[df["indicator"] == "x2", "value"] = np.nan
    with pytest.raises(DataError, match=r"\['x2'\].*no data at all"):
        build_index(df, FW)


def test_fewer_than_three_units():
    with pytest.raises(MethodError, match=r"only 2 unit\(s\).*at least 3"):
        build_index(panel(n_units=2), FW)


def test_gaps_refused_by_default_with_remedy():
    df = panel()
    df.loc[(df["unit"] == "u3") & (df["period"] == 2020) & (df["indicator"] == "x1"), "value"] = np.nan
    with pytest.raises(DataError, match=r"'x1': 1 cell\(s\), e\.g\. unit\(s\) \['u3'\].*impute="):
        build_index(df, FW)
    res = build_index(df, FW, impute="linear")
    assert res.manifest["imputed_cells"] == 1
    rec = res.manifest["imputation_log"][0]
    assert (rec["unit"], rec["period"], rec["indicator"], rec["method"]) == ("u3", 2020, "x1", "linear")


def test_ahp_inconsistency_error_names_node_and_cr():
    fw = {
        "name": "ahp",
        "nodes": [
            {"id": "idx", "ahp": [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]},
            {"id": "x1", "parent": "idx", "direction": 1},
            {"id": "x2", "parent": "idx", "direction": -1},
            {"id": "x3", "parent": "idx", "direction": 1},
        ],
    }
    with pytest.raises(MethodError, match=r"AHP at 'idx': consistency ratio CR = \d"):
        build_index(panel(), fw, weights="ahp")
    with pytest.warns(UserWarning, match="forced"):
        res = build_index(panel(), fw, weights="ahp", ahp_force=True)
    assert res.manifest["ahp"]["idx"]["cr"] > 0.1


def test_geometric_zero_rule_documented_in_manifest():
    # min-max gives exact zeros; the default rule shifts by δ = 0.01 and says so
    res = build_index(panel(), FW, aggregate="geometric")
    assert res.manifest["zero_rule"].startswith("geometric: shift (delta 0.01)")
    assert "had a zero input" in res.manifest["zero_rule"]
    assert np.isfinite(res.S).all()
    with pytest.raises(MethodError, match="zero input"):
        build_index(panel(), FW, aggregate="geometric", zero_rule="error")
    # hand check of the shift rule: Π (z + δ)^w − δ
    Z = np.array([[0.0, 1.0], [0.25, 0.64]])
    w = np.array([0.5, 0.5])
    np.testing.assert_allclose(geometric(Z, w), [(0.01 * 1.01) ** 0.5 - 0.01, (0.26 * 0.65) ** 0.5 - 0.01])
    np.testing.assert_allclose(geometric(Z, w, zero_rule="zero"), [0.0, 0.4])


def test_framework_unknown_series_lists_all():
    fw = {
        "name": "miss",
        "nodes": [
            {"id": "idx"},
            {"id": "x1", "parent": "idx", "direction": 1},
            {"id": "nope1", "parent": "idx", "direction": 1},
            {"id": "r", "parent": "idx", "direction": 1, "formula": "x2 / nope2 * 100"},
        ],
    }
    with pytest.raises(FrameworkError) as ei:
        build_index(panel(), fw)
    msg = str(ei.value)
    assert "2 series missing from the data: nope1, nope2" in msg
    assert {p.indicator for p in ei.value.problems} == {"nope1", "r"}


def test_unknown_option_and_method_names():
    with pytest.raises(MethodError, match="unknown option"):
        build_index(panel(), FW, entropy_shfit=0.1)
    with pytest.raises(MethodError, match="unknown weighting 'entropie'"):
        build_index(panel(), FW, weights="entropie")
    with pytest.raises(MethodError, match="unknown aggregation"):
        build_index(panel(), FW, aggregate={"idx": "median"})
    with pytest.raises(MethodError, match="unknown normalisation"):
        build_index(panel(), FW, normalize="softmax")


def test_entropy_on_zscore_refused_clearly():
    with pytest.raises(MethodError, match="non-negative"):
        build_index(panel(), FW, normalize="zscore")


def test_duplicate_rows_refused():
    df = pd.concat([panel(), panel().iloc[:1]])
    with pytest.raises(DataError, match="duplicate"):
        build_index(df, FW)


def test_wide_input_duplicates_and_text_cells_named():
    wide = panel().pivot(index=["unit", "period"], columns="indicator", values="value").reset_index()
    with pytest.raises(DataError, match=r"duplicate rows for unit 'u0', period 2019"):
        build_index(pd.concat([wide, wide.iloc[:1]]), FW)
    bad = wide.astype({"x2": object})
    bad.loc[3, "x2"] = "n/a"
    with pytest.raises(DataError, match=r"row 3, column 'x2': value 'n/a' is not a number"):
        build_index(bad, FW)


def test_impute_chain_and_drop_incomplete_units():
    df = panel(n_units=6, years=(2018, 2019, 2020, 2021))
    # u1: x1 missing in every year (no within-unit fill possible); u2: interior gap in x3
    df.loc[(df["unit"] == "u1") & (df["indicator"] == "x1"), "value"] = np.nan
    df.loc[(df["unit"] == "u2") & (df["period"] == 2019) & (df["indicator"] == "x3"), "value"] = np.nan
    with pytest.raises(DataError, match=r"'x1': 4 cell\(s\), e\.g\. unit\(s\) \['u1'\]"):
        build_index(df, FW, impute="linear")
    res = build_index(df, FW, impute="linear+group-mean")
    log = res.imputation_log
    assert len(log) == 5 and set(log["method"]) == {"linear", "group-mean"}
    others = df[(df["indicator"] == "x1") & (df["unit"] != "u1") & (df["period"] == 2018)]["value"].mean()
    got = log[(log["unit"] == "u1") & (log["period"] == 2018)]["value"].item()
    assert got == pytest.approx(others)  # group mean of the other units in the same year
    with pytest.warns(UserWarning, match=r"1 unit\(s\) dropped.*\['u1'\]"):
        res2 = build_index(df, FW, impute="linear", drop_incomplete_units=True)
    assert res2.manifest["dropped_units"] == ["u1"] and "u1" not in set(res2.scores["unit"])


def test_periods_default_from_framework_and_all():
    df = panel(years=(2018, 2019, 2020, 2021))
    fw = dict(FW, periods=[2019, 2020])
    res = build_index(df, fw)
    assert res.manifest["periods"] == [2019, 2020] and res.manifest["periods_source"] == "framework"
    assert build_index(df, fw, periods="all").manifest["periods"] == [2018, 2019, 2020, 2021]
    assert build_index(df, fw, periods="2018-2019").manifest["periods"] == [2018, 2019]
