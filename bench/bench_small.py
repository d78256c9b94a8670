"""Small-panel productivity timings: where fixed per-call / per-period costs dominate (issue: Malmquist 100 × 10).

Cases (synthetic, fixed seeds; inputs uniform on [1, 100], good outputs = (Π inputs)^(0.5/m) × lognormal noise,
bad outputs positive): Malmquist CRS / VRS (index "malmquist", contemporaneous), GML and ML with two bad
outputs (CO2, SO2), each on 31 × 13, 30 × 11 (provincial sizes) and 100 × 10; DEA CCR input per year on
31 × 13 (``dea(..., period=)`` and one ``dea`` call per year); one large case (DEA CCR 5,000 units) to show
the large path did not slow down. Each case: one warm-up call, then the median of ``--repeat`` calls.

    .venv/bin/python bench/bench_small.py [--repeat 7] [--only gml,dea] [--save FILE] [--compare FILE]

``--save`` pickles every case's output DataFrame; ``--compare`` reports the max |Δ| of every numeric column
(and equality of the text columns) against such a file — used to check that speed-ups leave results unchanged.
R peers are timed side by side in ``bench_peers_r.py``. The ``peers`` column is compared by its λ values.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import time
import warnings

import numpy as np
import pandas as pd
from _common import cpu_seconds

from nqpf.productivity.dea import dea
from nqpf.productivity.malmquist import malmquist


def panel(U: int, T: int, m: int = 3, s: int = 1, k: int = 2, *, seed: int = 0) -> pd.DataFrame:
    """Balanced panel ``id, year, x0.., y0.., b0..`` (b0 = CO2, b1 = SO2 in spirit)."""
    rng = np.random.default_rng(seed)
    n = U * T
    X = rng.uniform(1, 100, (n, m))
    base = np.prod(X, axis=1) ** (0.5 / m)
    Y = base[:, None] * np.exp(rng.normal(scale=0.2, size=(n, s)))
    B = base[:, None] * rng.uniform(0.5, 1.5, (n, k))
    df = pd.DataFrame(
        np.hstack([X, Y, B]),
        columns=[f"x{i}" for i in range(m)] + [f"y{r}" for r in range(s)] + [f"b{q}" for q in range(k)],
    )
    df.insert(0, "year", np.repeat(np.arange(2000, 2000 + T), U))
    df.insert(0, "id", np.tile([f"p{i:03d}" for i in range(U)], T))
    return df


IN3 = ["x0", "x1", "x2"]


def _malm(df: pd.DataFrame, index: str, rts: str, bads: bool):
    outs = ["y0"] if bads else ["y0", "y1"]
    kw = dict(undesirable=["b0", "b1"]) if bads else {}
    return malmquist(df, IN3, outs, id="id", period="year", index=index, rts=rts, **kw)


def _dea_per_year_loop(df: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(
        [dea(g, IN3, ["y0", "y1"], id="id", model="ccr") for _, g in df.groupby("year", sort=True)],
        ignore_index=True,
    )


def cases() -> dict[str, tuple[callable, int]]:
    """name → (zero-argument callable, number of DEA frontiers / years it solves, for per-year figures)."""
    p31 = panel(31, 13, s=2, seed=1)
    p100 = panel(100, 10, s=2, seed=2)
    g30 = panel(30, 11, s=1, k=2, seed=3)
    g31 = panel(31, 13, s=1, k=2, seed=4)
    g100 = panel(100, 10, s=1, k=2, seed=5)
    big = panel(5000, 1, s=2, seed=6)

    def productivity_view():  # what the dashboard's productivity view computes when its cache is cold (real)
        from nqpf.productivity.recipes import PROVINCIAL_GREEN_TFP as recipe

        return recipe.summary(recipe.compute())

    return {
        "malmquist CRS 31x13": (lambda: _malm(p31, "malmquist", "crs", False), 0),
        "malmquist CRS 100x10": (lambda: _malm(p100, "malmquist", "crs", False), 0),
        "malmquist VRS 31x13": (lambda: _malm(p31, "malmquist", "vrs", False), 0),
        "malmquist VRS 100x10": (lambda: _malm(p100, "malmquist", "vrs", False), 0),
        "GML CO2+SO2 30x11": (lambda: _malm(g30, "gml", "crs", True), 0),
        "GML CO2+SO2 31x13": (lambda: _malm(g31, "gml", "crs", True), 0),
        "GML CO2+SO2 100x10": (lambda: _malm(g100, "gml", "crs", True), 0),
        "ML CO2+SO2 30x11": (lambda: _malm(g30, "ml", "crs", True), 0),
        "ML CO2+SO2 100x10": (lambda: _malm(g100, "ml", "crs", True), 0),
        "DEA CCR-I 31x13 period=": (
            lambda: dea(p31, IN3, ["y0", "y1"], id="id", period="year", model="ccr"),
            13,
        ),
        "DEA CCR-I 31x13 loop": (lambda: _dea_per_year_loop(p31), 13),
        "DEA CCR-I 5000 (large)": (lambda: dea(big, IN3, ["y0", "y1"], id="id", model="ccr"), 1),
        "dashboard productivity view (real GML)": (productivity_view, 0),
    }


def compare(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Max |Δ| over the numeric columns (inf if shapes/columns/text differ or NaN patterns differ)."""
    if list(a.columns) != list(b.columns) or len(a) != len(b) or list(a.dtypes) != list(b.dtypes):
        return float("inf")
    worst = 0.0
    for c in a.columns:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        if x.dtype.kind in "fiu" and y.dtype.kind in "fiu":
            x, y = x.astype(float), y.astype(float)
            if not np.array_equal(np.isnan(x), np.isnan(y)):
                return float("inf")
            ok = ~np.isnan(x)
            if ok.any():
                worst = max(worst, float(np.max(np.abs(x[ok] - y[ok]))))
        elif c == "peers":  # "id:λ;id:λ": compare the λ of every peer (a missing peer counts as λ = 0)
            for u, v in zip(x, y, strict=True):
                pu, pv = _peers(u), _peers(v)
                for key in pu.keys() | pv.keys():
                    worst = max(worst, abs(pu.get(key, 0.0) - pv.get(key, 0.0)))
        elif not (x == y).all():
            return float("inf")
    return worst


def _peers(text: object) -> dict[str, float]:
    if not isinstance(text, str) or not text:
        return {}
    return {k: float(v) for k, v in (item.rsplit(":", 1) for item in text.split(";"))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--only", default="", help="comma list of substrings of case names")
    ap.add_argument("--save", default="")
    ap.add_argument("--compare", default="")
    a = ap.parse_args()
    only = [s.strip().lower() for s in a.only.split(",") if s.strip()]
    ref = pickle.load(open(a.compare, "rb")) if a.compare else {}
    saved = {}
    try:
        load = f"{os.getloadavg()[0]:.1f}"
    except OSError:  # pragma: no cover
        load = "n/a"
    print(f"load average {load}; median of {a.repeat} after one warm-up call; CPU = this process + children")
    print(f"{'case':28s} {'median s':>10s} {'min s':>9s} {'CPU s':>8s} {'per year ms':>12s} {'max |Δ|':>10s}")
    warnings.simplefilter("ignore")
    for name, (fn, years) in cases().items():
        if only and not any(o in name.lower() for o in only):
            continue
        out = fn()  # warm-up (also the result compared / saved)
        saved[name] = out
        wall, cpu = [], []
        for _ in range(a.repeat if "large" not in name else max(1, min(a.repeat, 3))):
            t0, c0 = time.perf_counter(), cpu_seconds()
            fn()
            wall.append(time.perf_counter() - t0)
            cpu.append(cpu_seconds() - c0)
        med = statistics.median(wall)
        per = f"{1000 * med / years:.2f}" if years else ""
        d = f"{compare(out, ref[name]):.1e}" if name in ref else ""
        print(
            f"{name:28s} {med:10.4f} {min(wall):9.4f} {statistics.median(cpu):8.4f} {per:>12s} {d:>10s}",
            flush=True,
        )
    if a.save:
        with open(a.save, "wb") as fh:
            pickle.dump(saved, fh)


if __name__ == "__main__":
    main()
