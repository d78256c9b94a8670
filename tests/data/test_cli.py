"""`nqpf validate` and `nqpf datasets` on the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import nqpf.cli.cmd_data  # noqa: F401 - registers the commands
from nqpf._util import sha256_file
from nqpf.cli.main import app, console

from ._build import multiheader_xlsx, write_nbs_csv
from .test_validate import BROKEN_LONG

runner = CliRunner()
NQPF = Path(sys.executable).with_name("nqpf")


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch):
    monkeypatch.setattr(console, "width", 400)


def test_validate_broken_gbk_csv_exit_1_and_json(tmp_path):
    p = tmp_path / "broken.csv"
    p.write_bytes(BROKEN_LONG.encode("gbk"))
    h = sha256_file(p)
    out = tmp_path / "rep.json"
    r = runner.invoke(app, ["validate", str(p), "--json", str(out)])
    assert r.exit_code == 1, r.output
    for needle in ("row 3", "row 5", "row 6", "row 7", "row 8", "row 9", "row 10", "row 15", "column D (value)",
                   "unit_unknown", "duplicate_conflict", "uom_mixed", "broken.csv"):  # fmt: skip
        assert needle in r.output, needle
    rep = json.loads(out.read_text(encoding="utf-8"))
    assert rep["n_errors"] == 8 and not rep["ok"]
    assert {(q["code"], q["row"]) for q in rep["problems"] if q["severity"] == "error"} >= {
        ("unit_unknown", 5),
        ("value_invalid", 7),
        ("unit_empty", 15),
    }
    assert sha256_file(p) == h


def test_validate_broken_excel_zh(tmp_path):
    body = [["北京市", 1, 2, "x", 1, 2, 3], ["天津市", 1, 2, 3, -1, 2, 3]]
    p = multiheader_xlsx(tmp_path / "b.xlsx", body=body)
    r = runner.invoke(app, ["--lang", "zh", "validate", str(p), "--sheet", "分省数据"])
    assert r.exit_code == 1
    assert "问题清单" in r.output and "不是数值" in r.output and "行 5" in r.output and "行 6" in r.output


def test_validate_clean_file_exit_0(tmp_path):
    p = write_nbs_csv(tmp_path / "gdp.csv", encoding="gbk")
    r = runner.invoke(app, ["validate", str(p)])
    assert r.exit_code == 0, r.output
    assert "0 error(s)" in r.output and "Coverage" in r.output


def test_validate_options(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("country,yr,gdp\nUSA,2020,1\nCHN,2020,2\n")
    assert runner.invoke(app, ["validate", str(p), "--units", "province"]).exit_code == 1  # not provinces
    r = runner.invoke(app, ["validate", str(p)])  # --units auto: countries are kept as ids (issue 14)
    assert r.exit_code == 0 and "not provinces" in r.output, r.output
    r = runner.invoke(
        app, ["validate", str(p), "--units", "none", "--unit-col", "country", "--period-col", "yr"]
    )
    assert r.exit_code == 0, r.output
    cat = tmp_path / "cat.yaml"
    cat.write_text("gdp: {unit_of_measure: 亿元, min_value: 1.5}\n")
    r = runner.invoke(
        app, ["validate", str(p), "--units", "none", "--period-col", "yr", "--catalogue", str(cat)]
    )
    assert r.exit_code == 1 and "out_of_range" in r.output


def test_datasets_command():
    import nqpf.datasets as ds

    tab = ds.list()  # the datasets ship with the package: a failure here is a broken build (issue 18.7)
    r = runner.invoke(app, ["datasets"])
    assert r.exit_code == 0, r.output
    for name in tab["name"]:
        assert name in r.output


@pytest.mark.skipif(not NQPF.exists(), reason="console script not installed")
def test_console_script_subprocess(tmp_path):
    p = tmp_path / "broken.csv"
    p.write_bytes(BROKEN_LONG.encode("gbk"))
    env = {**os.environ, "COLUMNS": "300"}
    r = subprocess.run([str(NQPF), "validate", str(p)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 1 and "row 5" in r.stdout
    r = subprocess.run([str(NQPF), "validate", str(tmp_path / "nope.csv")], capture_output=True, text=True, env=env,
                       timeout=60)  # fmt: skip
    assert r.returncode == 2 and "file not found" in r.stderr and "Traceback" not in r.stderr
