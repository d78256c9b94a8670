"""Pre-scan limits on the command line (issue 11): ``--max-rows``, ``--max-cols``, ``--max-cells``,
``--max-unzipped-mb`` and ``--max-ratio`` on every command that reads a user's file.

A file over a limit given on the command line is refused before loading with
:class:`nqpf.data.prescan.TooLarge` (exit code 2 from the ``nqpf`` script, the message naming the flag), and
a raised limit lets the same file through. The fixture is a 6-row CSV (3 provinces × 2 years), so 5 rows
is below and 6 rows at the file's own size (:func:`nqpf.data.prescan._scan_text` counts data lines).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nqpf.cli.main import app, register_commands
from nqpf.data.prescan import ENV, MB, Limits, TooLarge
from nqpf.errors import DataError

register_commands()
runner = CliRunner()
HOSTILE = Path(__file__).parents[1] / "data" / "hostile"
NQPF = Path(sys.executable).with_name("nqpf")

ROWS = "province,year,gdp,rd\n北京,2018,2,3\n天津,2018,3,4\n河北,2018,4,5\n北京,2019,3,4\n天津,2019,4,6\n河北,2019,5,5\n"


@pytest.fixture
def files(tmp_path):
    data = tmp_path / "small.csv"
    data.write_text(ROWS, encoding="utf-8")
    fw = tmp_path / "small.yaml"
    r = runner.invoke(app, ["init-framework", str(data), "--out", str(fw)])
    assert r.exit_code == 0, (r.output, r.exception)
    return data, fw, tmp_path


def _invoke(args, env=None):
    clean = {k: None for k in ENV.values()}  # the limits come from the command line only
    return runner.invoke(app, ["--lang", "en", *args], env={**clean, **(env or {})})


# command → arguments (d = data file, f = framework YAML, o = output folder); True: succeeds on this file
COMMANDS = {
    "init-framework": (lambda d, f, o: ["init-framework", d, "--out", f"{o}/fw2.yaml"], True),
    "index": (lambda d, f, o: ["index", "--data", d, "--framework", f, "--out", f"{o}/run"], True),
    "framework check": (lambda d, f, o: ["framework", "check", f, "--data", d], True),
    "report": (lambda d, f, o: ["report", "--data", d, "--framework", f, "--uncertainty", "0",
                                "--out", f"{o}/r.html"], False),
    "uncertainty": (lambda d, f, o: ["uncertainty", "--data", d, "--framework", f, "--samples", "16",
                                     "--vary", "weights", "--backend", "sequential", "--out", f"{o}/u"], False),
    "compare": (lambda d, f, o: ["compare", d, d], False),
    "dea": (lambda d, f, o: ["dea", "--data", d, "--id", "province", "--inputs", "gdp", "--outputs", "rd",
                             "--period", "year", "--out", f"{o}/dea.csv"], True),
    "malmquist": (lambda d, f, o: ["malmquist", "--data", d, "--id", "province", "--period", "year", "--inputs",
                                   "gdp", "--outputs", "rd", "--out", f"{o}/m.csv"], True),
    "tfp growth": (lambda d, f, o: ["tfp", "growth", "--data", d, "--output", "gdp", "--capital", "rd",
                                    "--labour", "rd", "--out", f"{o}/g.csv"], False),
    "tfp firm": (lambda d, f, o: ["tfp", "firm", "--data", d, "--id", "province", "--period", "year", "--output",
                                  "gdp", "--capital", "rd", "--labour", "rd", "--out", f"{o}/f.csv"], False),
    "sfa": (lambda d, f, o: ["sfa", "--data", d, "--output", "gdp", "--inputs", "rd", "--out", f"{o}/s.csv"], False),
    "analyze theil": (lambda d, f, o: ["analyze", "theil", "--data", d, "--value", "gdp", "--unit", "province",
                                       "--period", "year", "--out", f"{o}/t.csv"], True),
    "analyze coupling": (lambda d, f, o: ["analyze", "coupling", "--data", d, "--systems", "gdp,rd", "--id",
                                          "province,year", "--out", f"{o}/c.csv"], False),
    "analyze moran": (lambda d, f, o: ["analyze", "moran", "--data", d, "--value", "gdp", "--unit", "province",
                                       "--period", "year", "--out", f"{o}/mo.csv"], False),
    "analyze obstacle": (lambda d, f, o: ["analyze", "obstacle", "--data", d, "--weights", d, "--out",
                                          f"{o}/ob.csv"], False),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_cli_limit_refuses_the_file_and_a_raised_one_lets_it_through(name, files):
    data, fw, tmp = files
    args, succeeds = COMMANDS[name]
    argv = args(str(data), str(fw), str(tmp))
    r = _invoke([*argv, "--max-rows", "5"])
    assert isinstance(r.exception, TooLarge), (name, r.output, r.exception)
    assert r.exception.code == "too_many_rows" and r.exception.knob == "max_rows"
    assert "the file declares 6 rows, over the limit of 5" in str(r.exception)
    assert r.exit_code != 0
    r = _invoke([*argv, "--max-rows", "6"])
    assert not isinstance(r.exception, TooLarge), (name, r.output, r.exception)
    if succeeds:
        assert r.exit_code == 0, (name, r.output, r.exception)


def test_validate_reports_the_refusal_and_exits_1(files):
    data, _, _ = files
    r = _invoke(["validate", str(data), "--max-rows", "5"])
    flat = " ".join(r.output.replace("│", " ").split())
    assert r.exit_code == 1 and "unreadable" in flat and "over the limit of 5" in flat, r.output
    assert _invoke(["validate", str(data), "--max-rows", "6"]).exit_code == 0


def test_a_flag_overrides_the_environment(files):
    data, _, _ = files
    argv = ["validate", str(data)]
    assert _invoke(argv, env={"NQPF_MAX_ROWS": "2"}).exit_code == 1
    assert _invoke([*argv, "--max-rows", "100"], env={"NQPF_MAX_ROWS": "2"}).exit_code == 0
    r = _invoke(["dea", "--data", str(data), "--id", "province", "--inputs", "gdp", "--outputs", "rd", "--out",
                 str(data.with_name("d.csv")), "--max-cols", "5000"], env={"NQPF_MAX_ROWS": "2"})  # fmt: skip
    assert isinstance(r.exception, TooLarge) and r.exception.knob == "max_rows"  # the other limits stay


def test_limits_from_the_flags():
    from nqpf.cli._options import file_limits

    assert file_limits() is None  # no flag: the reader's defaults or NQPF_MAX_*
    lim = file_limits(max_rows=7, max_unzipped_mb=3, max_ratio=50.0)
    assert lim == Limits(max_rows=7, max_unzipped=3 * MB, max_ratio=50.0)
    with pytest.raises(DataError, match="--max-unzipped-mb 0: give a positive number"):
        file_limits(max_unzipped_mb=0)


def test_non_positive_limit_names_the_flag(files):
    data, _, _ = files
    r = _invoke(["validate", str(data), "--max-cells", "0"])
    assert isinstance(r.exception, DataError) and "--max-cells 0: give a positive number" in str(r.exception)


def test_unzipped_limit_in_mb():
    """xlsx_zipbomb.xlsx unpacks to 40 MB at ~1000:1 (tests/data/test_prescan.py): refused at 8 MB."""
    r = _invoke(["validate", str(HOSTILE / "xlsx_zipbomb.xlsx"), "--max-ratio", "10000", "--max-unzipped-mb", "8"])
    flat = " ".join(r.output.replace("│", " ").split())
    assert r.exit_code == 1 and "NQPF_MAX_UNZIPPED_MB" in flat and "over the limit of 8 MB" in flat, r.output


def test_columns_limit(tmp_path):
    """csv_wide.csv has 6,002 fields on line 1 (tests/data/test_prescan.py); the limit allows 10 key columns."""
    r = _invoke(["analyze", "kde", "--data", str(HOSTILE / "csv_wide.csv"), "--value", "x", "--out", str(tmp_path / "k.csv"),
                 "--max-cols", "500"])  # fmt: skip
    assert isinstance(r.exception, TooLarge) and r.exception.code == "too_many_columns", (r.output, r.exception)
    assert "line 1 has 6,002 columns, over the limit of 500 indicators" in str(r.exception)


def test_reading_options_keep_their_place_on_the_help_screen():
    import typer

    cmd = typer.main.get_command(app).commands["index"]
    names = [p.name for p in cmd.params]
    read = ["units", "sheet", "encoding", "unit_col", "period_col", "special_regions", "indicator_col", "value_col",
            "header_rows"]  # fmt: skip
    k = names.index("ahp_force")
    assert names[k + 1 : k + 1 + len(read)] == read and names[k + 1 + len(read)] == "out"
    assert names[-5:] == ["max_rows", "max_cols", "max_cells", "max_unzipped_mb", "max_ratio"]


def test_chinese_help_of_the_limits():
    r = runner.invoke(app, ["--lang", "zh", "dea", "--help"], env={"COLUMNS": "300"})
    assert r.exit_code == 0 and "行数超过此值的文件在读取前即被拒绝" in r.output, r.output


def test_serve_passes_upload_limits(monkeypatch):
    import nqpf.web

    seen = {}

    class Stop(Exception):
        pass

    def fake_create_app(data_dir, **kw):
        seen.update(kw)
        raise Stop

    monkeypatch.setattr(nqpf.web, "create_app", fake_create_app)
    r = runner.invoke(app, ["serve", "--max-rows", "10", "--max-unzipped-mb", "3"])
    assert isinstance(r.exception, Stop), r.output
    assert seen["max_rows"] == 10 and seen["max_unzipped_bytes"] == 3 * MB
    assert "max_cols" not in seen and "max_cells" not in seen  # unset: the dashboard's own upload limits


@pytest.mark.skipif(sys.platform != "linux" or not NQPF.exists(), reason="needs the nqpf script")
@pytest.mark.parametrize("lang, hint", [("en", "; on the command line: --max-rows"),
                                        ("zh", "；或在命令行用 --max-rows 调高上限")])  # fmt: skip
def test_script_exits_2_and_names_the_flag(files, lang, hint):
    data, _, tmp = files
    env = {k: v for k, v in os.environ.items() if k not in ENV.values()} | {"COLUMNS": "400", "NO_COLOR": "1"}
    run = subprocess.run([str(NQPF), "--lang", lang, "dea", "--data", str(data), "--id", "province", "--inputs",
                          "gdp", "--outputs", "rd", "--out", str(tmp / "d.csv"), "--max-rows", "5"],
                         capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    flat = " ".join(run.stderr.split())
    assert run.returncode == 2, run.stderr
    assert "NQPF_MAX_ROWS" in flat and hint in flat
    assert not (tmp / "d.csv").exists()
