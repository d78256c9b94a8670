"""Issue 11 item 6: outputs are durable (fsync before rename) and multi-file output sets are all or nothing."""

from __future__ import annotations

import errno
import os
import warnings
from pathlib import Path

import pytest

from nqpf._util import atomic_path, staged_dir, write_text_atomic


def _leftovers(folder: Path) -> list[str]:
    """Temporary files or staging folders that nqpf left behind in ``folder`` (recursively)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.name.endswith((".tmp", ".stage")) or p.name.startswith("."))


def test_fsync_before_rename(tmp_path, monkeypatch):
    events: list[tuple[str, str]] = []
    real_fsync, real_replace, real_open = os.fsync, os.replace, os.open
    fds: dict[int, str] = {}

    def rec_open(path, flags, *a, **k):
        fd = real_open(path, flags, *a, **k)
        fds[fd] = str(path)
        return fd

    def rec_fsync(fd):
        events.append(("fsync", fds.get(fd, "?")))
        return real_fsync(fd)

    def rec_replace(a, b):
        events.append(("replace", str(a)))
        return real_replace(a, b)

    monkeypatch.setattr(os, "open", rec_open)
    monkeypatch.setattr(os, "fsync", rec_fsync)
    monkeypatch.setattr(os, "replace", rec_replace)
    target = tmp_path / "out.csv"
    with atomic_path(target) as tmp:
        tmp.write_text("a,b\n1,2\n")
        tmp_name = str(tmp)
    kinds = [e[0] for e in events]
    assert ("fsync", tmp_name) in events and ("replace", tmp_name) in events
    assert kinds.index("fsync") < kinds.index("replace")  # data flushed before the name points at it
    if os.name == "posix":
        assert events[-1] == ("fsync", str(tmp_path))  # then the directory entry
    assert target.read_text() == "a,b\n1,2\n"


def test_failure_mid_write_keeps_previous_file(tmp_path):
    target = tmp_path / "scores.csv"
    write_text_atomic(target, "old\n")
    with pytest.raises(OSError, match="No space"), atomic_path(target) as tmp:
        with open(tmp, "w") as fh:
            fh.write("new, half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert target.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


def test_failure_in_fsync_keeps_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "scores.csv"
    write_text_atomic(target, "old\n")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError):
        write_text_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


def test_staged_dir_new_folder_appears_whole(tmp_path):
    out = tmp_path / "idx"
    with staged_dir(out) as stage:
        write_text_atomic(stage / "a.csv", "1\n")
        write_text_atomic(stage / "b.csv", "2\n")
        assert not out.exists()  # nothing visible until the set is complete
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "b.csv"]
    assert _leftovers(tmp_path) == []


def test_staged_dir_failure_leaves_old_set(tmp_path):
    out = tmp_path / "idx"
    with staged_dir(out) as stage:
        write_text_atomic(stage / "a.csv", "old a\n")
        write_text_atomic(stage / "b.csv", "old b\n")
    with pytest.raises(OSError), staged_dir(out) as stage:
        write_text_atomic(stage / "a.csv", "new a\n")
        raise OSError(errno.ENOSPC, "No space left on device")  # b.csv never written
    assert (out / "a.csv").read_text() == "old a\n" and (out / "b.csv").read_text() == "old b\n"
    assert _leftovers(tmp_path) == []
    # a successful run into the existing folder replaces the set and keeps other files
    (out / "notes.txt").write_text("mine\n")
    with staged_dir(out) as stage:
        write_text_atomic(stage / "a.csv", "new a\n")
        write_text_atomic(stage / "b.csv", "new b\n")
    assert (out / "a.csv").read_text() == "new a\n" and (out / "b.csv").read_text() == "new b\n"
    assert (out / "notes.txt").read_text() == "mine\n"
    assert _leftovers(tmp_path) == []


def test_staged_dir_permissions(tmp_path):
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    umask = os.umask(0o022)
    try:
        with staged_dir(tmp_path / "idx") as stage:
            write_text_atomic(stage / "a.csv", "1\n")
    finally:
        os.umask(umask)
    assert (tmp_path / "idx").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "idx" / "a.csv").stat().st_mode & 0o777 == 0o644


def _index(out: Path, *extra: str):
    from typer.testing import CliRunner

    from nqpf.cli import main

    main.register_commands()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CliRunner().invoke(main.app, ["index", "--data", "cn_provinces", "--framework", "nqpf-core",
                                             "--out", str(out), *extra])


def test_cli_index_out_is_all_or_nothing(tmp_path, monkeypatch):
    out = tmp_path / "idx"
    r = _index(out)
    assert r.exit_code == 0, r.output
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert {"scores.csv", "weights.csv", "diagnostics.csv", "manifest.json"} <= set(before)

    import nqpf.data.tables as tables

    real = tables.write_table
    calls = []

    def failing(df, path, *a, **k):  # the disk fills up at the third table (diagnostics)
        calls.append(Path(path).name)
        if len(calls) == 3:
            with open(path, "w") as fh:
                fh.write("half")
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(df, path, *a, **k)

    monkeypatch.setattr(tables, "write_table", failing)
    r = _index(out, "--weights", "equal")
    assert r.exit_code != 0
    assert calls[:2] == ["scores.csv", "weights.csv"]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # old set intact, byte for byte
    assert _leftovers(tmp_path) == []

    monkeypatch.setattr(tables, "write_table", real)
    r = _index(out, "--weights", "equal")  # the same run without the failure does change the files
    assert r.exit_code == 0, r.output
    assert (out / "weights.csv").read_bytes() != before["weights.csv"]
    assert _leftovers(tmp_path) == []
