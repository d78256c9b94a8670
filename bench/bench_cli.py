"""Start-up of the command line (issue 15: ``nqpf --help`` and ``nqpf dea --help`` in ≤ 0.3 s).

Each case starts a fresh interpreter ``--runs`` times (after one warm-up run) and reports the median and the
minimum wall-clock time, and the median CPU time (user + system) of the child, which is steadier on a loaded
machine. ``--before DIR`` also times another source tree (a folder holding ``nqpf/``, e.g. the last commit
exported with ``git archive HEAD src | tar -x -C /tmp/nqpf_head``), interleaved run by run with the current
one so that both see the same load. Also lists the heavy packages each help screen imports (expected: none).

    python bench/bench_cli.py [--runs 10] [--before /tmp/nqpf_head/src]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("pandas", "numpy", "scipy", "matplotlib", "highspy", "pyarrow", "pydantic")
CASES = (["--help"], ["dea", "--help"], ["--lang", "zh", "dea", "--help"])
_RUN = "import sys; sys.argv = ['nqpf', *sys.argv[1:]]; from nqpf.cli.main import main; main()"
_MODULES = (
    "import sys, json; out = sys.argv[1]; sys.argv = ['nqpf', *sys.argv[2:]]\n"
    "from nqpf.cli.main import main\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
    "open(out, 'w').write(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
)


def _env(src: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NQPF_LANG"}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def _once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one child run."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def _heavy(src: Path | None, args: list[str], tmp: Path) -> list[str]:
    subprocess.run([sys.executable, "-c", _MODULES, str(tmp), *args], env=_env(src), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return sorted(set(json.loads(tmp.read_text())) & set(HEAVY))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--before", type=Path, default=None, help="source folder of the code to compare with")
    a = ap.parse_args()
    script = Path(sys.executable).with_name("nqpf")
    trees: dict[str, Path | None] = {"now": None}
    if a.before is not None:
        trees = {"before": a.before.resolve(), "now": None}
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_cli_{os.getpid()}.json"
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; {a.runs} runs per case after one warm-up; seconds")  # fmt: skip
    base = [_once([sys.executable, "-c", "pass"], os.environ.copy()) for _ in range(a.runs)]
    print(f"bare interpreter (python -c pass): wall median {statistics.median(w for w, _ in base):.3f}")
    print(f"{'case':<28} {'code':<7} {'wall median':>11} {'wall min':>9} {'CPU median':>10}  heavy imports")
    for args in CASES:
        cmds = {k: [sys.executable, "-c", _RUN, *args] for k in trees}
        if script.exists():
            cmds["now (console script)"] = [str(script), *args]
        envs = {k: _env(trees.get(k)) for k in cmds}
        for k in cmds:
            _once(cmds[k], envs[k])  # warm-up: file caches
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in cmds}
        for _ in range(a.runs):  # interleaved, so that every tree sees the same load
            for k in cmds:
                times[k].append(_once(cmds[k], envs[k]))
        for k, ts in times.items():
            heavy = _heavy(trees.get(k.split()[0]), args, tmp)
            wall, cpu = [w for w, _ in ts], [c for _, c in ts]
            print(f"{'nqpf ' + ' '.join(args):<28} {k.split()[0]:<7} {statistics.median(wall):>11.3f} "
                  f"{min(wall):>9.3f} {statistics.median(cpu):>10.3f}  "
                  f"{', '.join(heavy) or '-'}{'  (console script)' if 'console' in k else ''}")  # fmt: skip
    tmp.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
