"""Start-up of the command line (issue 15): ``nqpf --help`` and ``nqpf dea --help`` load no numeric stack and
parse only the catalogue files that hold help labels. Structural checks (modules loaded), never timings;
the timings are in bench/results/cli_startup.txt (bench/bench_cli.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import nqpf.i18n as i18n

#: Packages a help screen must not import (each costs 0.05–0.3 s; pandas also pulls in pyarrow).
HEAVY = ("pandas", "numpy", "scipy", "matplotlib", "highspy", "pyarrow", "statsmodels", "sklearn", "openpyxl",
         "pydantic")  # pydantic: typer checks option values with it; the help screens need no check

# Runs the CLI's entry point in a fresh interpreter and reports what it loaded. ``pre`` is imported first
# (the control case below shows that the probe does see a heavy import).
_PROBE = """
import json, sys
argv, pre, report = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
if pre:
    __import__(pre)
sys.argv = ["nqpf", *argv]
from nqpf.cli.main import main
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
import nqpf.i18n as i18n
with open(report, "w", encoding="utf-8") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules),
               "full_catalogue": i18n.catalogue.cache_info().currsize,
               "parsed_files": i18n._file.cache_info().currsize, "files": len(i18n._texts())}, fh)
"""


def _probe(tmp_path: Path, argv: list[str], pre: str = "") -> tuple[dict, str]:
    report = tmp_path / "report.json"
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("NQPF_LANG", None)
    run = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(argv), pre, str(report)],
                         capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return json.loads(report.read_text(encoding="utf-8")), run.stdout


def _heavy(modules: list[str]) -> list[str]:
    return sorted({m.split(".")[0] for m in modules} & set(HEAVY))


@pytest.mark.parametrize(
    "argv, shows",
    [
        (["--help"], "dea"),
        (["dea", "--help"], "--inputs"),
        (["--lang", "zh", "--help"], "命令"),
        (["dea", "--help", "--lang", "zh"], "选项"),
        (["malmquist", "--help"], "--period"),
        (["analyze", "--help"], "dagum"),
    ],
)
def test_help_loads_no_numeric_stack_and_not_the_whole_catalogue(tmp_path, argv, shows):
    rep, out = _probe(tmp_path, argv)
    assert rep["code"] == 0
    assert shows in out  # the help screen was really rendered
    assert _heavy(rep["modules"]) == []
    assert rep["full_catalogue"] == 0  # only the files holding cli.* labels were parsed
    assert 0 < rep["parsed_files"] < rep["files"]


_EVERY_HELP = """
import contextlib, io, json, sys
import typer.main
from nqpf.cli.main import app, main, register_commands
register_commands()
paths = []
def walk(group, pre):
    for name, cmd in group.commands.items():
        paths.append([*pre, name])
        if getattr(cmd, "commands", None):
            walk(cmd, [*pre, name])
walk(typer.main.get_command(app), [])
codes = {}
for path in paths:
    sys.argv = ["nqpf", *path, "--help"]
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main()
        except SystemExit as exc:
            codes[" ".join(path)] = exc.code or 0
print(json.dumps({"codes": codes, "modules": sorted(sys.modules)}))
"""


def test_every_commands_help_loads_no_numeric_stack():
    """All help screens (``nqpf <command> [<sub>] --help``), one after the other in one interpreter."""
    run = subprocess.run([sys.executable, "-c", _EVERY_HELP], capture_output=True, text=True, timeout=300,
                         env={k: v for k, v in os.environ.items() if k != "NQPF_LANG"})  # fmt: skip
    assert run.returncode == 0, run.stderr
    rep = json.loads(run.stdout.strip().splitlines()[-1])
    assert len(rep["codes"]) >= 20 and {"dea", "malmquist", "analyze dagum", "report"} <= set(rep["codes"])
    assert {k: v for k, v in rep["codes"].items() if v != 0} == {}
    assert _heavy(rep["modules"]) == []


def test_the_probe_sees_a_heavy_import(tmp_path):
    """Control: the same probe reports pandas once something on the path imports it (nqpf._util does)."""
    rep, _ = _probe(tmp_path, ["--help"], pre="nqpf._util")
    assert "pandas" in _heavy(rep["modules"])


# --- the lazy catalogue answers exactly as the full one -------------------------------------------------


def test_line_scan_finds_exactly_the_parsed_keys_of_every_file():
    full = i18n.catalogue()
    where = i18n._index()
    assert where is not None
    assert set(where) == set(full)
    for name in i18n._texts():
        assert i18n._file(name) is not None, name  # parsed keys == scanned keys


def test_lazy_lookups_equal_the_full_catalogue():
    full = i18n.catalogue()
    for key, labels in full.items():
        assert i18n.lookup(key) == labels
    for prefix in ("cli.", "cli.help.", "report.", "web.", "common."):
        assert i18n.labels(prefix) == {k: v for k, v in full.items() if k.startswith(prefix)}
    assert i18n.lookup("no.such.key") is None
    with pytest.raises(KeyError):
        i18n.t("no.such.key")


@pytest.mark.parametrize(
    "text, keys",
    [
        (
            'a.b: {zh: 甲, en: A}\n"q k": {zh: 乙, en: B}\n# note\nblock:\n  zh: 丙\n  en: C\n',
            ["a.b", "q k", "block"],
        ),
        ("? explicit.key\n: {zh: 甲, en: A}\n", None),  # a key form the scan does not read → no vouching
        ("{a.b: {zh: 甲, en: A}}\n", None),  # a flow mapping at the top
        ("a:b: {zh: 甲, en: A}\n", None),  # a colon inside a plain key
    ],
)
def test_scan_reads_plain_keys_and_gives_up_on_other_forms(text, keys):
    assert i18n._scan(text) == keys


def _swap_texts(monkeypatch, texts: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "cat"
    folder.mkdir()
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(i18n.resources, "files", lambda _name: folder)
    for f in (i18n.catalogue, i18n._texts, i18n._index, i18n._file):
        f.cache_clear()


@pytest.fixture
def clean_caches():
    yield
    for f in (i18n.catalogue, i18n._texts, i18n._index, i18n._file):
        f.cache_clear()


def test_keys_the_scan_cannot_vouch_for_come_from_the_full_catalogue(tmp_path, monkeypatch, clean_caches):
    _swap_texts(monkeypatch, {"a.yaml": "x.one: {zh: 一, en: one}\n",
                              "b.yaml": "? x.two\n: {zh: 二, en: two}\n"}, tmp_path)  # fmt: skip
    assert i18n._index() is None
    assert i18n.t("x.two", "zh") == "二"
    assert i18n.labels("x.") == {"x.one": {"zh": "一", "en": "one"}, "x.two": {"zh": "二", "en": "two"}}


def test_a_key_in_two_files_is_still_an_error_when_loading_lazily(tmp_path, monkeypatch, clean_caches):
    _swap_texts(monkeypatch, {"a.yaml": "x.one: {zh: 一, en: one}\n",
                              "b.yaml": "x.one: {zh: 壹, en: One}\n"}, tmp_path)  # fmt: skip
    with pytest.raises(ValueError, match="defined twice"):
        i18n.t("x.one")
    with pytest.raises(ValueError, match="defined twice"):
        i18n.labels("x.")


def test_a_bad_label_is_caught_in_the_file_that_is_loaded(tmp_path, monkeypatch, clean_caches):
    _swap_texts(monkeypatch, {"a.yaml": "x.one: {zh: 一, en: one}\n",
                              "b.yaml": "y.bad: {zh: 自动（所有指标, en: Automatic, all)}\n"}, tmp_path)  # fmt: skip
    assert i18n.t("x.one") == "one"  # the other file is not parsed for this
    with pytest.raises(ValueError, match="unexpected fields|lacks"):
        i18n.t("y.bad")
