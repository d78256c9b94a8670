"""Rank agreement between scores: against hand formulas, identities and the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.errors import DataError
from nqpf.index.compare import compare_scores


def _frame(seed: int, units=8, years=(2020, 2021, 2022)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        [(f"u{i}", y, rng.random()) for i in range(units) for y in years], columns=["unit", "period", "score"]
    )


def test_spearman_is_pearson_of_ranks_and_kendall_by_pair_count():
    a, b = _frame(1), _frame(2)
    c = compare_scores(a, b)
    for y, g in a.merge(b, on=["unit", "period"]).groupby("period"):
        ra, rb = g["score_x"].rank(), g["score_y"].rank()
        rho = np.corrcoef(ra, rb)[0, 1]
        x, z = g["score_x"].to_numpy(), g["score_y"].to_numpy()
        s = np.sign(np.subtract.outer(x, x)) * np.sign(np.subtract.outer(z, z))
        n = len(x)
        tau = s[np.triu_indices(n, 1)].sum() / (n * (n - 1) / 2)  # no ties: tau-b = tau-a
        row = c.by_period.set_index("period").loc[y]
        assert row["spearman"] == pytest.approx(rho, abs=1e-12)
        assert row["kendall"] == pytest.approx(tau, abs=1e-12)
        assert row["n"] == n


def test_identity_monotone_transform_and_reversal():
    a = _frame(3)
    b = a.assign(score=np.exp(5 * a["score"]))  # monotone: ranks unchanged
    c = compare_scores(a, b)
    assert np.allclose(c.by_period["spearman"], 1, atol=1e-14) and np.allclose(c.by_period["kendall"], 1, atol=1e-14)
    assert (c.pairs["rank_diff"] == 0).all()
    r = compare_scores(a, a.assign(score=-a["score"]))
    assert np.allclose(r.by_period["spearman"], -1)


def test_disagreements_and_unmatched_rows():
    a = _frame(4)
    b = a.copy()
    b.loc[(b["unit"] == "u0") & (b["period"] == 2022), "score"] = -1.0  # u0 falls to last in 2022
    b = pd.concat([b, pd.DataFrame([("zz", 2022, 0.5)], columns=b.columns)])
    c = compare_scores(a, b)
    top = c.disagreements(1, 2022).iloc[0]
    assert top["unit"] == "u0" and top["rank_b"] == 8
    assert c.unmatched == {"a": 0, "b": 1}


def test_bad_inputs_name_the_problem():
    a = _frame(5)
    with pytest.raises(DataError, match="duplicated unit-period"):
        compare_scores(pd.concat([a, a.iloc[:1]]), a)
    with pytest.raises(DataError, match="lacks column"):
        compare_scores(a.drop(columns="score"), a)
    with pytest.raises(DataError, match="no unit-period appears on both sides"):
        compare_scores(a, a.assign(unit="x" + a["unit"]))


def test_index_result_against_dataset_series_and_cli(tmp_path):
    import nqpf.datasets as ds
    from nqpf.cli import main
    from nqpf.index import build_index

    main.register_commands()
    cn = ds.load("cn_provinces")
    res = build_index(cn, "published/127ww-2026")
    c = compare_scores(res, (cn, "nqpf_score_127ww"))
    assert len(c.by_period) == 13 and c.by_period["spearman"].min() > 0.99
    out = tmp_path / "idx"
    r = CliRunner().invoke(main.app, ["index", "--data", "cn_provinces", "--framework", "published/127ww-2026",
                                      "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert (out / "diagnostics.csv").exists()
    r = CliRunner().invoke(main.app, ["compare", str(out / "scores.csv"), "cn_provinces:nqpf_score_127ww",
                                      "--out", str(tmp_path / "agree.csv")])
    assert r.exit_code == 0, r.output
    got = pd.read_csv(tmp_path / "agree.csv").set_index("period")["spearman"]
    np.testing.assert_allclose(got.to_numpy(), c.by_period.set_index("period")["spearman"].to_numpy(), atol=1e-12)
