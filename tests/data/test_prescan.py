"""Issue 11 item 9 on the command line and in the library: memory bombs refused from file metadata.

The corpus ``tests/data/hostile/`` is written by ``scripts/make_hostile.py``. Reference sizes are Excel's
sheet limits (1,048,576 rows × 16,384 columns = 17,179,869,184 cells; Microsoft, "Excel specifications and
limits") and the sizes each hostile file declares in its own bytes (make_hostile.CASES).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from nqpf.data.io import read
from nqpf.data.prescan import ENV, Limits, TooLarge, _area, _ref, prescan
from nqpf.errors import DataError

HOSTILE = Path(__file__).parent / "hostile"
NQPF = Path(sys.executable).with_name("nqpf")
AS_LIMIT = 2 * 1024**3  # address space of the CLI child processes

# file → (code, limit knob, exact English message after "<file>: ")
EXPECTED = {
    "xlsx_dimension.xlsx": ("sheet_too_large", "max_cells",
                            "sheet sheet1 extends to XFD1048576: 17,179,869,184 cells, over the limit of 10,000,000; "
                            "delete the far-away cells or formatting and save again"),
    "xlsx_merge.xlsx": ("merge_too_large", "max_cells",
                        "merged range A1:XFD1048576 on sheet sheet1 covers 17,179,869,184 cells, over the limit of "
                        "10,000,000; unmerge it and save again"),
    "parquet_rows.parquet": ("too_many_rows", "max_rows",
                             "the file declares 50,000,000 rows, over the limit of 5,000,000; split the file"),
    "dta_nobs.dta": ("too_many_rows", "max_rows",
                     "the file declares 4,000,000,000 rows, over the limit of 5,000,000; split the file"),
}


def _hint(knob: str) -> str:
    return (f"if the file is genuine, raise the limit with the environment variable {ENV[knob]} "
            f"(library: limits=Limits({knob}=...))")


def test_reference_geometry():
    assert _ref("XFD1048576") == (1_048_576, 16_384)
    assert _ref("$B$3") == (3, 2)
    assert _area("A1:XFD1048576") == (1_048_576, 16_384)
    assert 1_048_576 * 16_384 == 17_179_869_184
    assert _area("C2") == (1, 1)
    assert _area("B2:A1") == (2, 2)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_prescan_refuses_corpus(name):
    code, knob, text = EXPECTED[name]
    with pytest.raises(TooLarge) as ei:
        prescan(HOSTILE / name, Limits())
    assert ei.value.code == code and ei.value.knob == knob and ei.value.status == 413
    assert str(ei.value) == f"{name}: {text}; {_hint(knob)}"
    assert isinstance(ei.value, DataError)


def test_zip_bomb_ratio_and_budget():
    with pytest.raises(TooLarge) as ei:
        prescan(HOSTILE / "xlsx_zipbomb.xlsx", Limits())
    assert ei.value.code == "archive_bomb" and ei.value.knob == "max_ratio"
    assert "NQPF_MAX_RATIO" in str(ei.value) and "beyond the 200:1" in str(ei.value)
    prescan(HOSTILE / "xlsx_zipbomb.xlsx", Limits(max_ratio=10_000))  # 40 MB at ~1000:1: allowed when raised
    with pytest.raises(TooLarge) as ei:  # … but not beyond the unpacked budget
        prescan(HOSTILE / "xlsx_zipbomb.xlsx", Limits(max_ratio=10_000, max_unzipped=8 * 1024**2))
    assert ei.value.knob == "max_unzipped" and "NQPF_MAX_UNZIPPED_MB" in str(ei.value)


def test_cells_and_columns_limits():
    prescan(HOSTILE / "xlsx_cells.xlsx", Limits())  # 1,000,000 cells: below the default
    with pytest.raises(TooLarge) as ei:
        prescan(HOSTILE / "xlsx_cells.xlsx", Limits(max_cells=500_000))
    assert ei.value.code in ("too_many_cells", "sheet_too_large") and ei.value.knob == "max_cells"
    with pytest.raises(TooLarge) as ei:
        prescan(HOSTILE / "csv_wide.csv", Limits(max_cols=500))
    assert ei.value.code == "too_many_columns" and "6,002 columns" in str(ei.value)  # 2 key columns + 6,000 indicators


def test_chinese_message():
    with pytest.raises(TooLarge) as ei:
        prescan(HOSTILE / "xlsx_merge.xlsx", lang="zh")
    msg = str(ei.value)
    assert msg.startswith("xlsx_merge.xlsx: 工作表 sheet1 的合并单元格 A1:XFD1048576 覆盖 17,179,869,184 个单元格")
    assert "环境变量 NQPF_MAX_CELLS" in msg


def test_limits_from_env():
    lim = Limits.from_env({"NQPF_MAX_CELLS": "1_000", "NQPF_MAX_UNZIPPED_MB": "3", "NQPF_MAX_RATIO": "50"})
    assert lim == Limits(max_cells=1000, max_unzipped=3 * 1024**2, max_ratio=50.0)
    assert Limits.from_env({}) == Limits()
    for bad in ("-1", "0", "lots", "inf"):
        with pytest.raises(DataError, match="NQPF_MAX_ROWS"):
            Limits.from_env({"NQPF_MAX_ROWS": bad})


def _small_csv(tmp_path: Path) -> Path:
    p = tmp_path / "small.csv"
    p.write_text("province,year,gdp\n北京,2018,1\n天津,2018,2\n河北,2018,3\n", encoding="utf-8")
    return p


def test_read_takes_limits(tmp_path):
    p = _small_csv(tmp_path)
    assert len(read(p)) == 3
    with pytest.raises(TooLarge, match="3 rows, over the limit of 2"):
        read(p, limits=Limits(max_rows=2))


def test_read_uses_environment(tmp_path, monkeypatch):
    p = _small_csv(tmp_path)
    monkeypatch.setenv("NQPF_MAX_ROWS", "2")
    with pytest.raises(TooLarge, match="NQPF_MAX_ROWS"):
        read(p)


def test_nothing_is_loaded_before_the_refusal(monkeypatch):
    import openpyxl

    def boom(*a, **k):  # pragma: no cover - reached only if the pre-scan did not run first
        raise AssertionError("openpyxl was asked to load a memory bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", boom)
    monkeypatch.setattr(pd, "read_parquet", boom)
    for name in ("xlsx_merge.xlsx", "xlsx_dimension.xlsx", "parquet_rows.parquet"):
        with pytest.raises(TooLarge):
            read(HOSTILE / name)


def test_web_guard_keeps_its_names():
    from nqpf.web.guard import Limits as WebLimits
    from nqpf.web.guard import Rejected
    from nqpf.web.guard import prescan as web_prescan

    with pytest.raises(Rejected) as ei:
        web_prescan(HOSTILE / "xlsx_cells.xlsx", WebLimits())  # 1,000,000 cells > the upload limit 500,000
    assert ei.value.status == 413 and ei.value.code in ("too_many_cells", "sheet_too_large")
    assert ei.value.message("en").startswith("Sheet sheet1 ")
    with pytest.raises(Rejected) as ei:
        web_prescan(HOSTILE / "csv_wide.csv", WebLimits())
    assert ei.value.code == "too_many_columns"
    assert ei.value.message("en") == "Line 1 has 6,002 columns, over the limit of 500 indicators; split the file"


# ------------------------------------------------------------------------------ the CLI, memory-capped
_CAPPED = """
import os, resource, subprocess, sys
limit = int(sys.argv[1])
def cap():
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
proc = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, preexec_fn=cap)
_, status, usage = os.wait4(proc.pid, 0)
sys.stdout.flush()
print("\\n__capped__", os.waitstatus_to_exitcode(status), usage.ru_maxrss, flush=True)
"""


def _run_capped(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, int]:
    """Run ``nqpf args`` with RLIMIT_AS = 2 GB; (exit code, stdout+stderr, peak RSS in KB).

    A forked child starts with its parent's RSS high-water mark, and Linux carries it across ``exec``: forked
    from this (large) pytest process, ``nqpf`` would report pytest's peak, not its own. So a small Python
    launcher starts ``nqpf`` and reports the exit code and peak RSS of that grandchild on the last line.
    """
    full_env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1", **(env or {})}
    for k in ENV.values():
        if k not in (env or {}):
            full_env.pop(k, None)
    with open(os.devnull, "rb") as stdin, subprocess.Popen(
        [sys.executable, "-c", _CAPPED, str(AS_LIMIT), str(NQPF), *args], stdin=stdin, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, env=full_env,
    ) as proc:
        killer = threading.Timer(180, proc.kill)
        killer.start()
        try:
            out = proc.stdout.read().decode("utf-8", "replace")
        finally:
            killer.cancel()
        proc.wait()
    text, sep, tail = out.rpartition("__capped__")
    assert sep, out
    rc, peak = (int(x) for x in tail.split())
    return rc, text, peak


pytestmark_cli = pytest.mark.skipif(sys.platform != "linux" or not NQPF.exists(), reason="needs Linux + nqpf script")


@pytestmark_cli
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_index_refuses_under_memory_cap(name, tmp_path):
    code, knob, text = EXPECTED[name]
    rc, out, peak_kb = _run_capped(["index", "--data", str(HOSTILE / name), "--framework", "nqpf-core",
                                    "--out", str(tmp_path / "out")])
    assert rc == 2, out
    print(f"{name}: peak RSS {peak_kb / 1024:.0f} MB")
    assert peak_kb < 600 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB"  # the interpreter and pandas, nothing more
    flat = " ".join(out.split())
    assert f"error: {name}: {text}; {_hint(knob)}" in flat
    assert "internal error" not in flat and "MemoryError" not in flat
    assert not (tmp_path / "out").exists()  # refused before any output


@pytestmark_cli
@pytest.mark.parametrize("name", ["xlsx_merge.xlsx", "parquet_rows.parquet"])
def test_cli_validate_reports_the_refusal(name):
    code, knob, text = EXPECTED[name]
    rc, out, _ = _run_capped(["validate", str(HOSTILE / name)])
    flat = " ".join(out.replace("│", " ").split())
    assert rc == 1, out
    assert "unreadable" in flat and text.split(";")[0] in flat and ENV[knob] in flat


@pytestmark_cli
def test_cli_limit_from_environment(tmp_path):
    rc, out, _ = _run_capped(["validate", str(HOSTILE / "xlsx_cells.xlsx")], env={"NQPF_MAX_CELLS": "500000"})
    flat = " ".join(out.replace("│", " ").split())
    assert rc == 1 and "over the limit of 500,000" in flat and "NQPF_MAX_CELLS" in flat
