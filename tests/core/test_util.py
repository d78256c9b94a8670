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


# ---------------------------------------------------------------- formula injection (OWASP CSV injection)
INJECTED = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"]


def test_csv_writer_neutralises_formula_text_but_not_numbers(tmp_path):
    import csv

    df = pd.DataFrame({"unit": [*INJECTED, "北京", "-3.2"], "value": [-3.2, 1, 2, 3, 4, 5, 6, 7],
                       "=HYPERLINK(\"x\")": range(8)})
    p = write_csv_atomic(tmp_path / "scores.csv", df)
    rows = list(csv.reader(p.open(encoding="utf-8", newline="")))
    assert rows[0] == ["unit", "value", "'=HYPERLINK(\"x\")"]
    assert [r[0] for r in rows[1:]] == ["'" + v for v in INJECTED] + ["北京", "-3.2"]  # "-3.2" is a number
    assert rows[1][1] == "-3.2"  # numeric column untouched: a negative number stays a number
    assert df["unit"].iloc[0] == INJECTED[0]  # the caller's frame is not modified
    raw = write_csv_atomic(tmp_path / "raw.csv", df, raw_text=True)
    assert [r[0] for r in csv.reader(raw.open(encoding="utf-8", newline=""))][1:] == [*INJECTED, "北京", "-3.2"]


def test_one_neutraliser_shared_with_the_dashboard():
    from nqpf import _util
    from nqpf.web import security

    assert security.neutralise_cell is _util.neutralise_cell and security.neutralise_frame is _util.neutralise_frame
    assert _util.neutralise_cell(-3.2) == -3.2 and _util.neutralise_cell("-x") == "'-x"
    df = pd.DataFrame({"a": ["ok", "fine"], "b": [1.0, -2.0]})
    assert _util.neutralise_frame(df) is df  # nothing to neutralise: no copy


def test_csv_text_with_a_carriage_return_stays_in_its_cell(tmp_path):
    import csv

    df = pd.DataFrame({"unit": ["a\r=1+1", "b"], "v": [1.0, -2.0]})  # unquoted, a CR starts a new row
    for raw in (False, True):
        p = write_csv_atomic(tmp_path / "cr.csv", df, raw_text=raw)
        rows = list(csv.reader(p.open(encoding="utf-8", newline="")))
        assert rows == [["unit", "v"], ["a\r=1+1", "1.0"], ["b", "-2.0"]]
        assert pd.read_csv(p)["unit"].tolist() == ["a\r=1+1", "b"]
