"""`nqpf analyze dagum|theil|coupling` refuse repeated unit-period rows like the index, naming unit, period
and file rows (a repeated row would count a unit twice)."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.cli.main import app, register_commands
from nqpf.errors import DataError

register_commands()
runner = CliRunner()

PANEL = """unit,region,year,score
110000,East,2020,1.0
120000,East,2020,2.0
110000,East,2020,5.0
610000,West,2020,3.0
620000,West,2020,4.0
"""
MESSAGE = "duplicate rows for unit '110000', period 2020 (rows 2, 4; 2 rows involved)"


@pytest.mark.parametrize("cmd", ["dagum", "theil"])
def test_inequality_refuses_duplicated_unit_period(tmp_path, cmd):
    p = tmp_path / "in.csv"
    p.write_text(PANEL)
    out = tmp_path / "o.csv"
    args = ["analyze", cmd, "--data", str(p), "--value", "score", "--group", "region", "--period", "year"]
    r = runner.invoke(app, [*args, "--out", str(out)])
    assert r.exit_code != 0 and isinstance(r.exception, DataError)
    assert MESSAGE in str(r.exception) and "keep one row per (unit, period)" in str(r.exception)
    assert not out.exists()
    p.write_text(PANEL.replace("110000,East,2020,5.0", "130000,East,2020,5.0"))  # another unit: fine
    r = runner.invoke(app, [*args, "--out", str(out)])
    assert r.exit_code == 0, r.output


def test_dagum_cross_section_duplicate_and_pooled_panel(tmp_path):
    p = tmp_path / "cs.csv"
    p.write_text("unit,region,score\na,E,1\nb,E,2\na,E,3\nc,W,4\n")
    out = tmp_path / "o.csv"
    args = ["analyze", "dagum", "--data", str(p), "--value", "score", "--group", "region", "--out", str(out)]
    r = runner.invoke(app, args)
    assert isinstance(r.exception, DataError) and "duplicate rows for unit 'a' (rows 2, 4" in str(r.exception)
    p.write_text(PANEL.replace("110000,East,2020,5.0", "110000,East,2021,5.0"))  # pooled over years: allowed
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output


def test_long_panel_input_is_checked_after_picking_the_indicator(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text(
        "unit,period,indicator,value,region\n110000,2020,s,1,E\n120000,2020,s,2,E\n610000,2020,s,3,W\n"
        "110000,2020,t,9,E\n110000,2020,s,4,E\n"
    )
    out = tmp_path / "o.csv"
    args = ["analyze", "dagum", "--data", str(p), "--value", "s", "--group", "region", "--period", "period"]
    r = runner.invoke(app, [*args, "--out", str(out)])
    assert isinstance(r.exception, DataError)
    assert "duplicate rows for unit '110000', period 2020 (rows 2, 6;" in str(r.exception)


def test_coupling_refuses_duplicated_unit_period(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("unit,period,a,b\n110000,2020,0.2,0.8\n120000,2020,0.5,0.5\n110000,2020,0.3,0.9\n")
    out = tmp_path / "co.csv"
    base = ["analyze", "coupling", "--data", str(p), "--systems", "a,b", "--out", str(out)]
    for extra in ([], ["--id", "unit,period"]):
        r = runner.invoke(app, [*base, *extra])
        assert r.exit_code != 0 and isinstance(r.exception, DataError)
        assert "duplicate rows for unit '110000', period 2020 (rows 2, 4;" in str(r.exception)
    assert not out.exists()
    p.write_text("unit,year,a,b\n110000,2020,0.2,0.8\n110000,2021,0.3,0.9\n")
    r = runner.invoke(app, base)
    assert r.exit_code == 0, r.output


def test_check_unique_message_matches_check_long():
    from nqpf.data.panel import check_unique

    df = pd.DataFrame({"unit": ["a", "b", "a"], "period": [2020, 2020, 2020]})
    with pytest.raises(
        DataError, match=r"^x: duplicate rows for unit 'a', period 2020 \(2 rows involved\); keep"
    ):
        check_unique(df, ["unit", "period"], name="x")
    check_unique(df.iloc[:2], ["unit", "period"])  # unique: no error
