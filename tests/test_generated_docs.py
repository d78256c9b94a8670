"""Generated documentation is current: regenerating it changes nothing (a stale page fails the build)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "../shared/data/raw"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_framework_docs_are_current():
    r = _run("scripts/framework_docs.py", "--check")
    assert r.returncode == 0, r.stdout + r.stderr


def test_validity_page_is_current():
    if not (RAW / "nqp_spatial_127ww").is_dir():
        pytest.skip("shared raw data not available (the page quotes the exact 127ww reproduction)")
    r = _run("scripts/validity.py", "--check")
    assert r.returncode == 0, r.stdout + r.stderr


def test_anomaly_list_is_current(tmp_path):
    doc = tmp_path / "datasets.md"
    r = _run("scripts/build_datasets.py", "--docs", str(doc))
    assert r.returncode == 0, r.stderr
    assert doc.read_text(encoding="utf-8") == (ROOT / "docs" / "datasets.md").read_text(encoding="utf-8")
    fresh = (tmp_path / "anomalies_cn_provinces.csv").read_bytes()
    assert fresh == (ROOT / "docs" / "anomalies_cn_provinces.csv").read_bytes()
