"""Atomic writes: a failed write leaves the old file intact; permissions follow the umask like open()."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from nqpf._util import atomic_path, write_csv_atomic, write_json_atomic


def test_failed_write_keeps_existing_file(tmp_path):
    target = tmp_path / "scores.csv"
    target.write_text("precious", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("crash mid-write")
    assert target.read_text(encoding="utf-8") == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]  # no temporary left behind


def test_overwrite_false_refuses(tmp_path):
    target = tmp_path / "x.json"
    write_json_atomic(target, {"a": 1})
    with pytest.raises(FileExistsError):
        with atomic_path(target, overwrite=False):
            pass


def test_mode_follows_umask(tmp_path):
    old = os.umask(0o022)
    try:
        p = write_csv_atomic(tmp_path / "a.csv", pd.DataFrame({"x": [1]}))
        ref = tmp_path / "ref.txt"
        ref.write_text("r")
    finally:
        os.umask(old)
    assert (p.stat().st_mode & 0o777) == (ref.stat().st_mode & 0o777) == 0o644
