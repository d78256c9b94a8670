"""Command-line outputs: ``--out`` never replaces an input (nor do sidecars or files of an output folder);
table outputs neutralise spreadsheet formulas unless ``--raw-text``; reversed ``--periods`` are refused
before any work."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.cli.main import app, register_commands
from nqpf.errors import DataError

register_commands()
runner = CliRunner()

PANEL = "unit,region,year,K,L,Y,a,b\n" + "".join(
    f"U{u},{'East' if u < 3 else 'West'},{y},{1 + u + y % 3},{2 + (u * y) % 5},{3 + u},0.{u + 1},0.{9 - u}\n"
    for u in range(6)
    for y in (2020, 2021)
)


def _victim(tmp_path, name="victim.csv", text=PANEL):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p, p.read_bytes()


def _commands(data: str, out: str) -> dict[str, list[str]]:
    deaish = ["--id", "unit", "--inputs", "K,L", "--outputs", "Y"]
    return {
        "dea": ["dea", "--data", data, *deaish, "--period", "year", "--out", out],
        "malmquist": ["malmquist", "--data", data, *deaish, "--period", "year", "--out", out],
        "tfp growth": ["tfp", "growth", "--data", data, "--id", "unit", "--period", "year", "--output", "Y",
                       "--capital", "K", "--labour", "L", "--labour-share", "0.6", "--out", out],
        "tfp firm": ["tfp", "firm", "--data", data, "--id", "unit", "--period", "year", "--output", "Y",
                     "--capital", "K", "--labour", "L", "--method", "ols", "--out", out],
        "sfa": ["sfa", "--data", data, "--output", "Y", "--inputs", "K,L", "--out", out],
        "analyze dagum": ["analyze", "dagum", "--data", data, "--value", "Y", "--group", "region",
                          "--period", "year", "--out", out],
        "analyze coupling": ["analyze", "coupling", "--data", data, "--systems", "a,b", "--id", "unit,year",
                             "--out", out],
        "analyze kde": ["analyze", "kde", "--data", data, "--value", "Y", "--period", "year", "--out", out],
        "analyze forecast": ["analyze", "forecast", "--data", data, "--value", "Y", "--period", "year",
                             "--out", out],
        "uncertainty": ["uncertainty", "--data", data, "--framework", "nqpf-core", "--out", out],
        "report": ["report", "--data", data, "--framework", "nqpf-core", "--year", "2021", "--out", out],
    }


@pytest.mark.parametrize("cmd", list(_commands("d", "o")))
def test_out_that_is_the_data_file_is_refused(tmp_path, monkeypatch, cmd):
    victim, before = _victim(tmp_path)
    r = runner.invoke(app, _commands(str(victim), str(victim))[cmd])
    assert isinstance(r.exception, DataError), (r.output, r.exception)
    assert f"--out {victim} would overwrite the input file {victim} given with --data" in str(r.exception)
    assert "choose another --out path" in str(r.exception)
    assert victim.read_bytes() == before
    monkeypatch.chdir(tmp_path)  # the same file, written another way
    r = runner.invoke(app, _commands("victim.csv", f"./sub/../{victim.name}")[cmd])
    assert isinstance(r.exception, DataError) and "would overwrite the input file" in str(r.exception)
    assert victim.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["victim.csv"]


def test_sidecars_and_output_folders_do_not_replace_inputs(tmp_path):
    victim, before = _victim(tmp_path, "o_params.csv")  # tfp firm writes o.csv, o_params.csv, o_manifest.json
    r = runner.invoke(app, _commands(str(victim), str(tmp_path / "o.csv"))["tfp firm"])
    assert isinstance(r.exception, DataError)
    assert f"(it writes {victim})" in str(r.exception)
    folder = tmp_path / "res"
    folder.mkdir()
    victim2, before2 = _victim(folder, "rank_intervals.csv")
    r = runner.invoke(app, _commands(str(victim2), str(folder))["uncertainty"])
    assert isinstance(r.exception, DataError) and f"(it writes {victim2})" in str(r.exception)
    assert victim.read_bytes() == before and victim2.read_bytes() == before2


def test_other_inputs_are_protected_too(tmp_path):
    data, _ = _victim(tmp_path)
    groups, before = _victim(tmp_path, "groups.csv", "unit,grp\n" + "".join(f"U{u},G{u % 2}\n" for u in range(6)))
    args = ["analyze", "theil", "--data", str(data), "--value", "Y", "--group", "grp", "--groups", str(groups),
            "--period", "year", "--out", str(groups)]
    r = runner.invoke(app, args)
    assert isinstance(r.exception, DataError) and "given with --groups" in str(r.exception)
    assert groups.read_bytes() == before
    r = runner.invoke(app, ["validate", str(data), "--units", "none", "--json", str(data)])
    assert isinstance(r.exception, DataError)
    assert f"--json {data} would overwrite the input file {data} given with PATH" in str(r.exception)


def test_a_different_out_still_works(tmp_path):
    data, before = _victim(tmp_path)
    out = tmp_path / "eff.csv"
    r = runner.invoke(app, _commands(str(data), str(out))["dea"])
    assert r.exit_code == 0, (r.output, r.exception)
    assert len(pd.read_csv(out)) == 12 and data.read_bytes() == before


INJECTED = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)"]


def _injected_panel(tmp_path):
    text = PANEL
    for k, name in enumerate(INJECTED):
        text = text.replace(f"U{k},", f'"{name.replace(chr(34), chr(34) * 2)}",')
    p = tmp_path / "inj.csv"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("cmd", ["dea", "analyze coupling"])
def test_table_outputs_neutralise_formulas_unless_raw_text(tmp_path, cmd):
    data = _injected_panel(tmp_path)
    out = tmp_path / "out.csv"
    r = runner.invoke(app, _commands(str(data), str(out))[cmd])
    assert r.exit_code == 0, (r.output, r.exception)
    cells = [c for row in csv.reader(out.open(encoding="utf-8", newline="")) for c in row]
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert {"'" + v for v in INJECTED} <= set(cells)
    r = runner.invoke(app, [*_commands(str(data), str(out))[cmd], "--raw-text"])
    assert r.exit_code == 0, (r.output, r.exception)
    cells = {c for row in csv.reader(out.open(encoding="utf-8", newline="")) for c in row}
    assert set(INJECTED) <= cells


def test_negative_numbers_stay_numbers_in_cli_tables(tmp_path):
    data = tmp_path / "g.csv"
    pd.DataFrame({"unit": ["-a", "-a", "-a"], "year": [2020, 2021, 2022], "K": [1.0, 2.0, 4.0],
                  "L": [1.0, 1.0, 1.0], "Y": [4.0, 2.0, 1.0]}).to_csv(data, index=False)
    out = tmp_path / "g_out.csv"
    r = runner.invoke(app, _commands(str(data), str(out))["tfp growth"])
    assert r.exit_code == 0, (r.output, r.exception)
    res = pd.read_csv(out)
    assert (res["unit"] == "'-a").all()
    assert pd.api.types.is_float_dtype(res["tfp_growth"]) and (res["tfp_growth"].dropna() < 0).all()


@pytest.mark.parametrize("cmd", ["uncertainty", "report"])
def test_reversed_periods_are_refused_before_any_work(tmp_path, cmd):
    data, _ = _victim(tmp_path)
    args = [*_commands(str(data), str(tmp_path / "out"))[cmd], "--periods", "2022-2012"]
    r = runner.invoke(app, args)
    assert isinstance(r.exception, DataError), (r.output, r.exception)
    assert str(r.exception) == "--periods '2022-2012' runs backwards and selects no year; write 2012-2022"
    assert not (tmp_path / "out").exists()
