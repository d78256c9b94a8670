"""The context-local notes of ``nqpf._util`` (issue 18: no process-global warning capture).

References: the state of :data:`warnings.filters` before and after (it must be the same list, entry for entry,
whatever the interleaving of threads), and the messages each thread warned itself."""

from __future__ import annotations

import random
import threading
import time
import warnings

from nqpf import _util


def test_ignore_warnings_leaves_the_filters_as_found_under_threads():
    before = list(warnings.filters)
    rng = random.Random(0)
    delays = [[rng.random() * 1e-3 for _ in range(30)] for _ in range(8)]

    def worker(ds):
        for d in ds:
            with _util.ignore_warnings():
                time.sleep(d)

    threads = [threading.Thread(target=worker, args=(ds,)) for ds in delays]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert warnings.filters == before


def test_ignore_warnings_silences_third_party_warnings_and_keeps_a_filter_added_inside():
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with _util.ignore_warnings():
            warnings.warn("from a library", RuntimeWarning, stacklevel=1)
            warnings.filterwarnings("error", message="added inside")  # another thread's filter, say
        assert [str(w.message) for w in rec] == []
        assert warnings.filters[0][0] == "error"  # kept when the ignore entry was removed
        warnings.warn("after", RuntimeWarning, stacklevel=1)
        assert [str(w.message) for w in rec] == ["after"]


def test_sinks_nest_and_quiet_notes_does_not_warn():
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with _util.collect_notes() as outer:
            with _util.quiet_notes() as inner:
                _util.warn("one")
                _util.warn("one")
            _util.warn("two")
        assert inner == ["one"] and outer == ["one", "two"]
        assert [str(w.message) for w in rec] == ["two"]  # "one" was only recorded


def test_threads_record_only_their_own_notes():
    barrier = threading.Barrier(6)
    got: dict[int, list[str]] = {}

    def worker(i):
        with _util.quiet_notes() as sink:
            for k in range(50):
                barrier.wait() if k == 0 else None
                _util.warn(f"thread {i} note {k}")
        got[i] = sink

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for i in range(6):
        assert got[i] == [f"thread {i} note {k}" for k in range(50)]


def test_no_process_global_warning_capture_outside_the_cli():
    """Library code runs in the dashboard's threads: only the CLI (one command per process) and the Stata
    writer's rename guard (never called by the dashboard) may swap the global filter list."""
    import ast
    from pathlib import Path

    import nqpf

    root = Path(nqpf.__file__).parent
    allowed = {"data/tables.py"}
    found = []
    for p in root.rglob("*.py"):
        rel = p.relative_to(root).as_posix()
        if rel.startswith("cli/") or rel in allowed:
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "catch_warnings":
                found.append(f"{rel}:{node.lineno}")
    assert found == [], found
