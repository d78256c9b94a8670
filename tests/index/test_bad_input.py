"""Bad input gets a clear error naming the culprit (issue 3, 'Bad input gets')."""

from __future__ import annotations

import warnings

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


@pytest.mark.parametrize(
    "periods, fw_span",
    [((2018, 2021), None), ("2019-2021", None), ([2018, 2021], None), ("all", [2019, 2020]), (None, [2019, 2021])],
)
def test_manifest_settings_regenerate_the_result(periods, fw_span):
    """Issue 18: ``build_index(data, framework, **manifest['settings'])`` rebuilds the same scores. A contiguous
    range used to be written as ``[lo, hi]`` and read back as two years (an 11-year index rebuilt as 2 years)."""
    df = panel(years=(2017, 2018, 2019, 2020, 2021))
    fw = dict(FW) if fw_span is None else dict(FW, periods=fw_span)
    res = build_index(df, fw, periods=periods)
    settings = res.manifest["settings"]
    again = build_index(df, fw, **settings)
    assert again.manifest["periods"] == res.manifest["periods"]
    assert again.manifest["result_hash"] == res.manifest["result_hash"]


def test_manifest_writes_a_range_as_a_range():
    df = panel(years=tuple(range(2012, 2023)))
    res = build_index(df, FW, periods=(2012, 2022))
    assert res.manifest["settings"]["periods"] == "2012-2022"
    assert len(build_index(df, FW, **res.manifest["settings"]).manifest["periods"]) == 11
    assert build_index(df, FW, periods="all").manifest["settings"]["periods"] == "all"
    assert build_index(df, FW, periods=[2012, 2015]).manifest["settings"]["periods"] == [2012, 2015]


def test_threaded_builds_record_only_their_own_warnings():
    """Issue 18: ``warnings.catch_warnings`` is process-global, so concurrent builds (the dashboard builds in
    threads) stored each other's warnings (56 of 160 wrong). Notes are now collected per context."""
    from concurrent.futures import ThreadPoolExecutor

    df = panel(n_units=12, years=tuple(range(2010, 2022)))
    df.loc[df["indicator"] == "x3", "value"] = 1.0  # constant → a warning in every build
    kinds = [dict(normalize="minmax-period"), dict(normalize="minmax-global"), dict(weights="equal")]
    with pytest.warns(UserWarning):
        expected = [build_index(df, FW, **k).manifest["warnings"] for k in kinds]
    assert len({tuple(e) for e in expected}) == 3  # three different warning lists
    jobs = [i % 3 for i in range(120)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ThreadPoolExecutor(8) as ex:
            got = list(ex.map(lambda i: build_index(df, FW, **kinds[i]).manifest["warnings"], jobs))
    wrong = sum(g != expected[i] for g, i in zip(got, jobs, strict=True))
    assert wrong == 0, f"{wrong} of {len(jobs)} threaded builds recorded another build's warnings"
