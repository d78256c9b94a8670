"""nqpf against R peers in one run, on the same CSV files, timed in-process on both sides (issue 19).

R side: ``Rscript`` with ``system.time`` around each call (user + system CPU and elapsed); nqpf side:
``time.perf_counter`` / process CPU around the same call. Each case: one warm-up call, then the median of
``--repeat`` calls on both sides — except R productivity's ``malm`` (tens of seconds per call): one call,
no warm-up. Peers: R Benchmarking (``malmq`` per pair of consecutive periods, ``dea`` per year) and R
productivity (``malm``). Outputs are compared unit by unit (max |Δ|; "(1/x)" = against the reciprocal).

    .venv/bin/python bench/bench_peers_r.py [--repeat 5] [--r-libs DIR[:DIR]] [--only malm,dea]

``--r-libs`` (or ``NQPF_BENCH_R_LIBS``) is prepended to R's ``.libPaths()``. Without ``Rscript`` or without
Benchmarking the script prints why and exits 0 (bench is not CI); without productivity only its rows are
skipped. Data: the synthetic panels of ``bench_small.py`` (3 inputs, 2 outputs, fixed seeds).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _common import cpu_seconds
from bench_small import panel

from nqpf.productivity.dea import dea
from nqpf.productivity.malmquist import malmquist

IN3, OUT2 = ["x0", "x1", "x2"], ["y0", "y1"]

R_PRELUDE = r"""
args <- commandArgs(trailingOnly = TRUE)
libs <- strsplit(args[1], ":", fixed = TRUE)[[1]]
.libPaths(c(libs[nzchar(libs)], .libPaths()))
reps <- as.integer(args[2]); out <- args[3]
have <- function(p) suppressWarnings(suppressMessages(requireNamespace(p, quietly = TRUE)))
if (!have("Benchmarking")) { cat("NO_BENCHMARKING\n"); quit(status = 0) }
suppressMessages(library(Benchmarking))
ver <- function(p) if (have(p)) as.character(packageVersion(p)) else "absent"
cat(sprintf("VERSION,R,%s\nVERSION,Benchmarking,%s\nVERSION,productivity,%s\n",
            paste(R.version$major, R.version$minor, sep = "."), ver("Benchmarking"), ver("productivity")))
tm <- function(name, f, n = reps) {
  if (n > 1) f()  # warm-up (slow peers: one timed call, no warm-up)
  t <- sapply(seq_len(n), function(i) { s <- system.time(f()); c(s[["elapsed"]], s[["user.self"]] + s[["sys.self"]]) })
  cat(sprintf("TIME,%s,%.6f,%.6f\n", name, median(t[1, ]), median(t[2, ])))
}
X <- c("x0", "x1", "x2"); Y <- c("y0", "y1")
"""

R_CASE = {
    "malmq": r"""
d <- read.csv(file.path(args[4], "{file}"))
yrs <- sort(unique(d$year))
run_malmq <- function() {{
  do.call(rbind, lapply(seq_len(length(yrs) - 1), function(t) {{
    a <- d[d$year == yrs[t], ]; b <- d[d$year == yrs[t + 1], ]
    r <- malmq(as.matrix(a[, X]), as.matrix(a[, Y]), NULL, as.matrix(b[, X]), as.matrix(b[, Y]), NULL,
               RTS = "crs", ORIENTATION = "in")
    data.frame(id = a$id, year = yrs[t + 1], m = r$m, tc = r$tc, ec = r$ec)
  }}))
}}
tm("{name}", run_malmq)
write.csv(run_malmq(), file.path(out, "{name}.csv"), row.names = FALSE)
""",
    "malm": r"""
if (have("productivity")) {{
  suppressMessages(library(productivity))
  d <- read.csv(file.path(args[4], "{file}"))
  d$idn <- as.integer(factor(d$id))
  run_malm <- function() malm(d, id.var = "idn", time.var = "year", x.vars = X, y.vars = Y, rts = "crs",
                              orientation = "in", parallel = FALSE)
  tm("{name}", run_malm, 1)
  r <- run_malm()$Changes
  write.csv(data.frame(id = levels(factor(d$id))[r$idn], year = r$Year.1, m = r$malmquist, tc = r$tech,
                       ec = r$effch), file.path(out, "{name}.csv"), row.names = FALSE)
}}
""",
    "dea": r"""
d <- read.csv(file.path(args[4], "{file}"))
run_dea <- function() {{
  do.call(rbind, lapply(sort(unique(d$year)), function(t) {{
    a <- d[d$year == t, ]
    data.frame(id = a$id, year = t, eff = eff(dea(as.matrix(a[, X]), as.matrix(a[, Y]), RTS = "crs",
                                                     ORIENTATION = "in", SLACK = {slack})))
  }}))
}}
tm("{name}", run_dea)
write.csv(run_dea(), file.path(out, "{name}.csv"), row.names = FALSE)
""",
}


def cases() -> list[tuple[str, str, str, pd.DataFrame, int]]:
    """(name, R kind, csv file, data, number of years/frontiers)."""
    return [
        ("malmquist CRS-I 31x13", "malmq", "p31.csv", panel(31, 13, s=2, seed=1), 0),
        ("malmquist CRS-I 100x10", "malmq", "p100.csv", panel(100, 10, s=2, seed=2), 0),
        ("malmquist CRS-I 100x10 (productivity)", "malm", "p100.csv", panel(100, 10, s=2, seed=2), 0),
        ("malmquist CRS-I 1000x10", "malmq", "p1000.csv", panel(1000, 10, s=2, seed=7), 0),
        ("DEA CCR-I 31 units x 13 years", "dea", "p31.csv", panel(31, 13, s=2, seed=1), 13),
        ("DEA CCR-I 31 x 13, R with slacks", "dea", "p31.csv", panel(31, 13, s=2, seed=1), 13),
        ("DEA CCR-I 1000 units", "dea", "big1000.csv", panel(1000, 1, s=2, seed=8), 1),
        ("DEA CCR-I 5000 units", "dea", "big5000.csv", panel(5000, 1, s=2, seed=6), 1),
    ]


def ours(kind: str, df: pd.DataFrame) -> pd.DataFrame:
    """nqpf's result as (id, year, m, tc, ec) or (id, year, eff)."""
    if kind in ("malmq", "malm"):
        r = malmquist(df, IN3, OUT2, id="id", period="year", rts="crs", orientation="input")
        return pd.DataFrame(
            {"id": r["unit"], "year": r["period"], "m": r["tfpch"], "tc": r["techch"], "ec": r["effch"]}
        )
    r = dea(df, IN3, OUT2, id="id", period="year", model="ccr")
    return pd.DataFrame({"id": r["unit"], "year": r["period"], "eff": r["efficiency"]})


def max_delta(a: pd.DataFrame, b: pd.DataFrame) -> tuple[float, float]:
    """(max |Δ| over the matched value columns, same against the reciprocal of b); inf if units do not match."""
    a, b = a.copy(), b.copy()
    for f in (a, b):
        f["id"], f["year"] = f["id"].astype(str), f["year"].astype(int)
    j = a.merge(b, on=["id", "year"], suffixes=("", "_r"))
    if len(j) != len(b):
        return float("inf"), float("inf")
    cols = [c for c in a.columns if c not in ("id", "year")]
    d, dr = 0.0, 0.0
    for c in cols:
        x, y = j[c].to_numpy(float), j[c + "_r"].to_numpy(float)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.any():
            d = max(d, float(np.max(np.abs(x[ok] - y[ok]))))
            dr = max(dr, float(np.max(np.abs(x[ok] - 1 / y[ok]))))
    return d, dr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--r-libs", default=os.environ.get("NQPF_BENCH_R_LIBS", ""))
    ap.add_argument("--only", default="", help="comma list of substrings of case names")
    a = ap.parse_args()
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("SKIPPED: Rscript not found (install R and the Benchmarking package to run this bench)")
        return
    only = [s.strip().lower() for s in a.only.split(",") if s.strip()]
    todo = [c for c in cases() if not only or any(o in c[0].lower() for o in only)]
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        script = R_PRELUDE
        for name, kind, file, df, _ in todo:
            if not (tmpd / file).exists():
                df.to_csv(tmpd / file, index=False, float_format="%.17g")
            slack = "TRUE" if "slacks" in name else "FALSE"
            script += R_CASE[kind].format(name=name, file=file, slack=slack)
        (tmpd / "peers.R").write_text(script)
        proc = subprocess.run(
            [rscript, "--vanilla", str(tmpd / "peers.R"), a.r_libs, str(a.repeat), str(tmpd), str(tmpd)],
            capture_output=True,
            text=True,
            check=False,
        )
        if "NO_BENCHMARKING" in proc.stdout:
            print(
                "SKIPPED: R package Benchmarking not found (give its library with --r-libs or NQPF_BENCH_R_LIBS)"
            )
            return
        if proc.returncode:
            print(f"R failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}", file=sys.stderr)
            sys.exit(1)
        ver, rtime = {}, {}
        for line in proc.stdout.splitlines():
            f = line.split(",")
            if f[0] == "VERSION":
                ver[f[1]] = f[2]
            elif f[0] == "TIME":
                rtime[",".join(f[1:-2])] = (float(f[-2]), float(f[-1]))
        try:
            load = f"{os.getloadavg()[0]:.1f}"
        except OSError:  # pragma: no cover
            load = "n/a"
        print(
            f"R {ver.get('R')}, Benchmarking {ver.get('Benchmarking')}, productivity {ver.get('productivity')}; "
            f"load average {load}; median of {a.repeat} after one warm-up call on each side"
        )
        print(
            f"{'case':40s} {'peer':28s} {'nqpf s':>8s} {'(CPU)':>7s} {'peer s':>8s} {'(CPU)':>7s} "
            f"{'ratio':>6s} {'CPU ratio':>9s} {'max |Δ|':>9s}"
        )
        for name, kind, _file, df, years in todo:
            peer = (
                "productivity malm"
                if kind == "malm"
                else f"Benchmarking {kind}" + ("+SLACK" if "slacks" in name else "")
            )
            peer += f" {ver.get('productivity' if kind == 'malm' else 'Benchmarking')}"
            if name not in rtime:
                print(f"{name:40s} {peer:28s} skipped (peer absent)")
                continue
            res = ours(kind, df)  # warm-up
            wall, cpu = [], []
            for _ in range(a.repeat):
                t0, c0 = time.perf_counter(), cpu_seconds()
                ours(kind, df)
                wall.append(time.perf_counter() - t0)
                cpu.append(cpu_seconds() - c0)
            w, c = statistics.median(wall), statistics.median(cpu)
            rw, rc = rtime[name]
            d, dr = max_delta(res, pd.read_csv(tmpd / f"{name}.csv"))
            dd = f"{d:.1e}" if d <= dr else f"{dr:.1e} (1/x)"
            per = f" [{1000 * w / years:.2f} ms/year]" if years > 1 else ""
            print(
                f"{name:40s} {peer:28s} {w:8.4f} {c:7.4f} {rw:8.4f} {rc:7.4f} {rw / w:6.1f}x {rc / max(c, 1e-9):8.1f}x "
                f"{dd:>9s}{per}",
                flush=True,
            )


if __name__ == "__main__":
    main()
