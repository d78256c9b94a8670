"""Issue 20: backend="processes" from a script without an ``if __name__ == "__main__":`` guard fails with
a clear error instead of hanging (it used to block forever writing the context into a pipe)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
BODY = """
import sys, warnings
sys.path.insert(0, {here!r})
from conftest import synthetic_panel
from nqpf.uncertainty.montecarlo import run_uncertainty

def main():
    long, fw = synthetic_panel(U=200, T=5, L=10)  # context ≈ 0.5 MB, far beyond a pipe buffer (64 KB)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = run_uncertainty(long, fw, samples=16, seed=1, n_boot=20, unit_sensitivity=False,
                              vary=["normalize", "weights"], backend="processes", workers=2)
    print("OK", len(res.rank_intervals))
"""


def _script(tmp_path: Path, guarded: bool) -> Path:
    call = 'if __name__ == "__main__":\n    main()\n' if guarded else "main()\n"
    p = tmp_path / ("guarded.py" if guarded else "unguarded.py")
    p.write_text(textwrap.dedent(BODY.format(here=str(HERE))) + call, encoding="utf-8")
    return p


@pytest.mark.skipif(sys.platform == "win32", reason="uses the coreutils `timeout` command")
def test_unguarded_script_raises_instead_of_hanging(tmp_path):
    proc = subprocess.run(["timeout", "150", sys.executable, str(_script(tmp_path, guarded=False))],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode != 124, "the unguarded script hung (killed by timeout)"
    assert proc.returncode != 0
    assert "BackendError" in proc.stderr
    assert 'if __name__ == "__main__":' in proc.stderr
    assert "--backend sequential" in proc.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="uses the coreutils `timeout` command")
def test_guarded_script_runs(tmp_path):
    proc = subprocess.run(["timeout", "150", sys.executable, str(_script(tmp_path, guarded=True))],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "OK 1000"


def test_worker_start_timeout_names_the_guard(monkeypatch):
    """Workers that do not answer within the start timeout give the guard message (simulated hang)."""
    import nqpf.uncertainty.backends as be

    monkeypatch.setattr(be, "_ping", _slow_ping)
    t0 = time.monotonic()
    with pytest.raises(be.BackendError, match=r"__main__.*no answer within 4 s"):
        with be.Executor("processes", workers=1, context={"x": 1}, start_timeout=4.0):
            pass
    # waited for the timeout, then stopped the stuck worker instead of waiting for its 60 s sleep
    assert 4.0 <= time.monotonic() - t0 < 30.0


def _slow_ping() -> int:
    time.sleep(60)
    return 0
