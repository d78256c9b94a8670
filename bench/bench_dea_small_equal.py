"""Bit-identity check for refactors of the DEA code (issue 18/19): run a fixed set of ``dea``, ``dea_arrays``,
``_lp.solve_points`` and ``malmquist`` calls and save or compare every output array exactly.

Cases: DEAP EG1 (Coelli 1996), the provinces of ``nqpf.datasets.load("cn_provinces")`` (31 units × 13 years:
employment, R&D and budget expenditure → GDP and patent grants, CO₂ as bad output), synthetic data from
``bench_small.panel`` at 40, 500 and 1,400 units; CCR/BCC/NIRS/NDRS in both orientations with and without
slacks, super-efficiency, SBM (three orientations, bad outputs, super-SBM), DDF (proportional, fixed
direction, deaR rho), full and column-generation modes, Malmquist CRS/VRS and GML.

    .venv/bin/python bench/bench_dea_small_equal.py --save /tmp/dea_before.npy
    .venv/bin/python bench/bench_dea_small_equal.py --compare /tmp/dea_before.npy

``--compare`` prints every case whose output differs (``np.array_equal``, NaN = NaN) and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np
import pandas as pd
from bench_small import panel

from nqpf.productivity import _lp
from nqpf.productivity.dea import dea, dea_arrays
from nqpf.productivity.malmquist import malmquist

EG1 = pd.DataFrame(
    {"firm": ["1", "2", "3", "4", "5"], "y": [1, 2, 3, 1, 2], "x1": [2, 2, 6, 3, 6], "x2": [5, 4, 6, 2, 2]}
)
PROV_IN = ["employment_urban_units", "rd_expenditure", "general_budget_expenditure"]
PROV_OUT = ["gdp_nominal", "patent_grant_total"]
IN3, OUT2 = ["x0", "x1", "x2"], ["y0", "y1"]


def provinces() -> pd.DataFrame:
    """Wide provincial panel ``unit, period`` + the DEA columns above (complete and positive in the data)."""
    from nqpf.datasets import load

    long = load("cn_provinces").data
    long = long[long["indicator"].isin(PROV_IN + PROV_OUT + ["co2_edgar"])]
    wide = long.pivot_table(index=["unit", "period"], columns="indicator", values="value").reset_index()
    wide.columns.name = None
    wide["unit"] = wide["unit"].astype(str)
    return wide


def _frame_arrays(df: pd.DataFrame) -> dict[str, np.ndarray]:
    out = {f"col:{c}": df[c].to_numpy() for c in df.columns}
    if "peer_weights" in df.attrs:
        out["peer_weights"] = np.array(list(df.attrs["peer_weights"]), dtype=object)
    return out


def _solved_arrays(res: _lp.Solved) -> dict[str, np.ndarray]:
    return {
        "status": np.array(res.status, dtype=object),
        "obj": res.obj,
        "extra": res.extra,
        "lam_idx": np.array([np.asarray(v).tolist() for v in res.lam_idx], dtype=object),
        "lam_val": np.array([np.asarray(v).tolist() for v in res.lam_val], dtype=object),
    }


def _dea_cases(prov: pd.DataFrame, p40: pd.DataFrame, p500: pd.DataFrame) -> dict[str, object]:
    cases: dict[str, object] = {}
    radial = [("ccr", "crs"), ("bcc", "vrs"), ("ccr", "nirs"), ("ccr", "ndrs")]
    for name, df, ins, outs, idc, per in (
        ("eg1", EG1, ["x1", "x2"], ["y"], "firm", None),
        ("prov", prov, PROV_IN, PROV_OUT, "unit", "period"),
        ("p40", p40, IN3, OUT2, "id", None),
        ("p500", p500, IN3, OUT2, "id", None),
    ):
        kw = dict(id=idc, period=per, n_jobs=1)
        for (model, rts), ori, sup, sl in (
            (mr, o, su, sl)
            for mr in radial
            for o in ("input", "output")
            for su in (False, True)
            for sl in (True, False)
        ):
            if name == "p500" and (rts in ("nirs", "ndrs") or not sl):
                continue
            key = f"dea {name} {model}/{rts} {ori} super={sup} slacks={sl}"
            cases[key] = lambda df=df, ins=ins, outs=outs, kw=kw, a=(model, rts, ori, sup, sl): dea(
                df, ins, outs, model=a[0], rts=a[1], orientation=a[2], super_eff=a[3], slacks=a[4], **kw
            )
        if name == "eg1":
            continue
        bads = ["co2_edgar"] if name == "prov" else ["b0"]
        for ori in ("none", "input", "output"):
            for sup in (False, True):
                cases[f"dea {name} sbm {ori} super={sup}"] = lambda df=df, ins=ins, outs=outs, b=bads, kw=kw, o=ori, su=sup: dea(
                    df, ins, outs, undesirable=b, model="sbm", orientation=o, super_eff=su, **kw
                )  # fmt: skip
        for sup in (False, True):
            cases[f"dea {name} ddf super={sup}"] = lambda df=df, ins=ins, outs=outs, b=bads, kw=kw, su=sup: dea(
                df, ins, outs, undesirable=b, model="ddf", orientation="none", super_eff=su, **kw
            )  # fmt: skip
        cases[f"dea {name} ddf rho"] = lambda df=df, ins=ins, outs=outs, kw=kw: dea(
            df, ins, outs, model="ddf", orientation="none", ddf_efficiency="rho", **kw
        )
        cases[f"dea {name} ddf fixed"] = lambda df=df, ins=ins, outs=outs, kw=kw: dea(
            df, ins, outs, model="ddf", direction={ins[0]: 1.0, outs[0]: 2.0}, **kw
        )
        cases[f"dea {name} ccr cg"] = lambda df=df, ins=ins, outs=outs, kw=kw: dea(
            df, ins, outs, model="ccr", mode="cg", **kw
        )
    return cases


def _array_cases() -> dict[str, object]:
    cases: dict[str, object] = {}
    Z = panel(1400, 1, s=2, seed=7)[IN3 + OUT2].to_numpy()
    for rts in ("crs", "vrs"):
        for ori in ("input", "output"):
            cases[f"dea_arrays 1400 {rts} {ori}"] = lambda r=rts, o=ori: dea_arrays(
                Z, 3, 2, 0, model="ccr" if r == "crs" else "bcc", orientation=o, rts=r, n_jobs=1
            )
    Zs = Z / Z.mean(axis=0)
    for kind in ("radial_in", "radial_out", "ddf"):
        fam = (
            _lp.ddf_family(3, 1, 1, "crs", weak=True)
            if kind == "ddf"
            else _lp.radial_family(3, 2, "vrs", kind.split("_")[1])
        )
        P = np.hstack([Zs, Zs * np.r_[0, 0, 0, 1, 1]]) if kind == "ddf" else Zs
        T = _lp.tech_matrix(fam, Zs)
        for mode in ("cg", "full"):
            pts = P if mode == "cg" else P[:120]
            cases[f"solve_points {kind} {mode}"] = lambda f=fam, T=T, p=pts, md=mode: _lp.solve_points(
                f, T, p, mode=md, n_jobs=1
            )
    return cases


def _malmquist_cases(p40: pd.DataFrame, g30: pd.DataFrame) -> dict[str, object]:
    return {
        "malmquist crs": lambda: malmquist(p40, IN3, OUT2, id="id", period="year", rts="crs"),
        "malmquist vrs": lambda: malmquist(p40, IN3, OUT2, id="id", period="year", rts="vrs"),
        "gml": lambda: malmquist(
            g30, IN3, ["y0"], undesirable=["b0", "b1"], id="id", period="year", index="gml"
        ),
    }


def run() -> dict[str, np.ndarray]:
    """Every case's output arrays, keyed ``case|array``."""
    prov = provinces()
    p40 = panel(40, 4, s=2, k=1, seed=11)
    p500 = panel(500, 1, s=2, k=1, seed=12)
    g30 = panel(30, 5, s=1, k=2, seed=13)
    cases = {
        **_dea_cases(prov, p40[p40.year == 2000], p500),
        **_array_cases(),
        **_malmquist_cases(p40, g30),
    }
    out: dict[str, np.ndarray] = {}
    warnings.simplefilter("ignore")
    for name, fn in cases.items():
        res = fn()
        if isinstance(res, pd.DataFrame):
            arrs = _frame_arrays(res)
        elif isinstance(res, _lp.Solved):
            arrs = _solved_arrays(res)
        else:
            arrs = {
                k: np.array([np.asarray(x).tolist() for x in v], dtype=object) if isinstance(v, list) else v
                for k, v in res.items()
            }
        out.update({f"{name}|{k}": v for k, v in arrs.items()})
    return out


def _equal(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True))
    if a.dtype.kind == "O":  # nested lists / mixed scalars: compare their text (NaN-safe, exact for floats)
        return [repr(x) for x in a.ravel()] == [repr(x) for x in b.ravel()]
    return bool(np.array_equal(a, b))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--save", default="")
    ap.add_argument("--compare", default="")
    a = ap.parse_args()
    got = run()
    if a.save:
        np.save(a.save, np.array([got], dtype=object), allow_pickle=True)
        print(f"saved {len(got)} arrays to {a.save}")
    if a.compare:
        ref = np.load(a.compare, allow_pickle=True)[0]
        bad = sorted(set(ref) ^ set(got)) + [k for k in ref if k in got and not _equal(ref[k], got[k])]
        print(f"{len(ref)} arrays compared; {len(bad)} differ")
        for k in bad:
            print("  DIFF", k)
        sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
