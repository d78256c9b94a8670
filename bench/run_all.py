"""Run every benchmark in one process group, one after the other, and keep each one's output.

Usage: ``python bench/run_all.py [--only index,dea,...]``. Output: ``bench/results/<name>.txt`` plus a
summary on stdout. Timings depend on the machine and its load; the figures quoted in bench/README.md were
taken on the project's 2-core reference machine. Peer tools (pymcdm, scikit-criteria, pyfrontier) come from
``bench/requirements.txt`` (``make bench`` installs them).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["index", "uncertainty", "dea", "small", "analysis", "scale", "web", "cities", "cli"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", default=",".join(BENCHES), help="comma-separated subset of " + ",".join(BENCHES))
    args = ap.parse_args()
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    failed = []
    for name in [b.strip() for b in args.only.split(",") if b.strip()]:
        script = HERE / f"bench_{name}.py"
        if not script.exists():
            print(f"[skip] {name}: no {script.name}")
            continue
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
        took = time.perf_counter() - t0
        (out_dir / f"{name}.txt").write_text(proc.stdout + ("\n--- stderr ---\n" + proc.stderr if proc.stderr else ""),
                                             encoding="utf-8")
        status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
        if proc.returncode != 0:
            failed.append(name)
        print(f"== {name} ({status}, {took:.0f} s) ==")
        print(proc.stdout.strip())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
