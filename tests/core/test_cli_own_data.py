"""The own-data tutorials (docs/tutorial-own-data.md and .zh.md) executed end to end (issue 14, item 7).

Each ``bash`` block's ``nqpf …`` lines run as a separate process (``nqpf.cli.main.main``) in a temporary
folder holding ``科技统计.xlsx``, a yearbook-style workbook built from the shipped raw NBS data
(tests/data/test_own_data_workbook.py); a ``yaml`` block starting ``# file: NAME`` is written to NAME where it
appears. A command annotated ``# exit code N`` / ``# 退出码 N`` must exit with N, every other with 0; no command
may print a traceback or a raw Python warning.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
_spec = importlib.util.spec_from_file_location("own_data_workbook", ROOT / "tests" / "data" / "test_own_data_workbook.py")
wb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wb)  # type: ignore[union-attr]

pytestmark = pytest.mark.skipif(not wb.RAW_CSV.exists(), reason="../shared/data/raw not available")

_EXIT = re.compile(r"#\s*(?:exit code|退出码)\s*(\d+)\s*$")


def tutorial_steps(md: str) -> list[tuple[str, str, int]]:
    """("file", name + "\\n" + text, 0) for yaml files, ("cmd", command, expected exit code) for nqpf lines,
    in document order."""
    steps: list[tuple[str, str, int]] = []
    for lang_, body in re.findall(r"```(\w+)\n(.*?)```", md, re.S):
        if lang_ == "yaml":
            first, _, rest = body.partition("\n")
            m = re.match(r"#\s*file:\s*(\S+)", first)
            if m:
                steps.append(("file", m.group(1) + "\n" + body, 0))
        elif lang_ == "bash":
            for line in body.splitlines():
                if line.strip().startswith("nqpf "):
                    m = _EXIT.search(line)
                    code = int(m.group(1)) if m else 0
                    cmd = line[: m.start()] if m else line
                    steps.append(("cmd", cmd.split("  #")[0].strip(), code))
    return steps


def _run(cmd: str, cwd: Path) -> subprocess.CompletedProcess:
    args = shlex.split(cmd)[1:]
    env = {k: v for k, v in os.environ.items() if k != "NQPF_LANG"}
    env["COLUMNS"] = "200"
    boot = "import sys; from nqpf.cli.main import main; sys.argv[0] = 'nqpf'; main()"
    return subprocess.run([sys.executable, "-c", boot, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env=env)  # fmt: skip


def _walk(doc: Path, tmp: Path) -> dict[str, subprocess.CompletedProcess]:
    wb.build_yearbook(tmp / "科技统计.xlsx")
    steps = tutorial_steps(doc.read_text(encoding="utf-8"))
    assert sum(1 for k, *_ in steps if k == "cmd") >= 7 and any(k == "file" for k, *_ in steps)
    outputs: dict[str, subprocess.CompletedProcess] = {}
    for kind, text, code in steps:
        if kind == "file":
            name, body = text.split("\n", 1)
            (tmp / name).write_text(body, encoding="utf-8")
            continue
        r = _run(text, tmp)
        both = r.stdout + r.stderr
        assert r.returncode == code, f"{text}\n{both}"
        assert "Traceback" not in both, f"{text}\n{both}"
        assert not re.search(r"\w+Warning\b|warnings\.warn|\.py:\d+", both), f"{text}\n{both}"  # no raw warnings
        outputs[text] = r
    return outputs


def _check_run(folder: Path, lang: str) -> pd.DataFrame:
    scores = pd.read_csv(folder / "scores.csv", dtype={"unit": str})
    from nqpf.data.units import MAINLAND_CODES, unit_name

    assert set(scores["unit"]) == set(MAINLAND_CODES)  # 全国 and 东部地区 rows are not units of the index
    names = dict(zip(scores["unit"], scores["name"], strict=False))
    assert names["110000"] == unit_name("110000", lang) == ("北京" if lang == "zh" else "Beijing")
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    cli = man["cli"]
    assert cli["read"]["units"] == "province" and cli["impute"] == "linear-carry+group-mean"
    assert set(cli["excluded_rows"]) == {"全国", "东部地区"} and len(cli["excluded_rows"]["全国"]) == 12
    return scores


def test_tutorial_zh(tmp_path):
    out = _walk(DOCS / "tutorial-own-data.zh.md", tmp_path)
    fail = next(r for c, r in out.items() if r.returncode == 2)
    msg = fail.stderr
    assert "--impute linear-carry+group-mean" in msg and "--drop-incomplete-units" in msg and "西藏" in msg
    assert "impute=" not in msg and "drop_incomplete_units" not in msg and "错误" in msg
    validate = next(r for c, r in out.items() if c.startswith("nqpf validate"))
    assert "省级行政区" in validate.stdout and "全国（12 行）" in validate.stdout.replace("\n", "")
    starter = (tmp_path / "科技统计.yaml").read_text(encoding="utf-8")
    assert starter.count("REVIEW") >= 8 and "专利申请受理量_合计" in starter
    _check_run(tmp_path / "结果" / "科技创新", "zh")
    index_out = next(r for c, r in out.items() if "科技创新.yaml --impute" in c).stdout
    assert "110000 北京" in index_out
    national = (tmp_path / "全国报告.html").read_text(encoding="utf-8")
    regional = (tmp_path / "湖北报告.html").read_text(encoding="utf-8")
    assert "湖北" in regional and "Hubei" not in regional
    assert "北京" in national and "Beijing" not in national and "DataFrame" not in national


def test_tutorial_en(tmp_path):
    out = _walk(DOCS / "tutorial-own-data.md", tmp_path)
    fail = next(r for c, r in out.items() if r.returncode == 2)
    assert "--impute linear-carry+group-mean" in fail.stderr and "impute=" not in fail.stderr
    _check_run(tmp_path / "results" / "sti", "en")
    assert "Hubei" in (tmp_path / "hubei.html").read_text(encoding="utf-8")
    national = (tmp_path / "national.html").read_text(encoding="utf-8")
    assert "Beijing" in national and "DataFrame" not in national
    assert "科技统计.xlsx" in national  # the report names the file it was built from, not the folder


def test_tutorials_say_the_same():
    """Both languages run the same commands (apart from --lang and output names) on the same framework."""
    zh = tutorial_steps((DOCS / "tutorial-own-data.zh.md").read_text(encoding="utf-8"))
    en = tutorial_steps((DOCS / "tutorial-own-data.md").read_text(encoding="utf-8"))
    assert [k for k, *_ in zh] == [k for k, *_ in en]
    assert [s for k, s, _ in zh if k == "file"] == [s for k, s, _ in en if k == "file"]
    assert [c for *_, c in zh] == [c for *_, c in en]
    verbs = [" ".join(s.split()[:2]) for k, s, _ in zh if k == "cmd"]
    assert verbs == [" ".join(s.split()[:2]) for k, s, _ in en if k == "cmd"]
