"""Country DEA, Malmquist and GML on PWT 10.01 + WDI CO2 (the `world` dataset) — the numbers in malmquist.md.

Variables (constant 2017 PPP levels, built the way PWT builds rgdpna-type series: the 2017 PPP level
times the national-accounts growth path):
  Y  = rgdpo_2017 · rgdpna_t / rgdpna_2017     real GDP, mil. 2017 US$ (PPP)
  K  = cn_2017 · rnna_t / rnna_2017            capital stock, mil. 2017 US$ (PPP)
  L  = emp_t · hc_t                            persons engaged × human-capital index
  B  = en_atm_co2e_kt                          CO2 emissions, kt (WDI; the series ends in 2014)
Sample: every country with all five series in every year of the window (balanced panel).

    .venv/bin/python docs/productivity/examples_world.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import nqpf.datasets as nds
from nqpf.data.panel import to_wide
from nqpf.productivity import dea, malmquist

FOCUS = ["CHN", "USA", "DEU", "JPN", "IND", "GBR", "KOR", "BRA"]


def build(first: int, last: int, with_co2: bool) -> pd.DataFrame:
    ds = nds.load("world")
    need = ["rgdpo", "rgdpna", "cn", "rnna", "emp", "hc"] + (["en_atm_co2e_kt"] if with_co2 else [])
    w = to_wide(ds.data[ds.data.indicator.isin(need)]).reset_index()
    base = w[w.period == 2017].set_index("unit")
    w = w[(w.period >= first) & (w.period <= last)].copy()
    w["Y"] = w["unit"].map(base["rgdpo"] / base["rgdpna"]) * w["rgdpna"]
    w["K"] = w["unit"].map(base["cn"] / base["rnna"]) * w["rnna"]
    w["L"] = w["emp"] * w["hc"]
    cols = ["Y", "K", "L"] + (["en_atm_co2e_kt"] if with_co2 else [])
    w = w.dropna(subset=cols)
    w = w[(w[cols] > 0).all(axis=1)]
    full = w.groupby("unit")["period"].nunique() == (last - first + 1)
    w = w[w.unit.isin(full[full].index)]
    return w.rename(columns={"en_atm_co2e_kt": "CO2"})[
        ["unit", "period"] + [c if c != "en_atm_co2e_kt" else "CO2" for c in cols]
    ]


def geo(x: pd.Series) -> float:
    return float(np.exp(np.log(x.dropna()).mean()))


def main() -> None:
    t0 = time.perf_counter()
    p = build(1995, 2014, with_co2=True)
    print(f"panel 1995-2014 with CO2: {p.unit.nunique()} countries x {p.period.nunique()} years")

    cs = p[p.period == 2014]
    ccr = dea(cs, ["K", "L"], ["Y"], id="unit", model="ccr", orientation="input").set_index("unit")
    bcc = dea(cs, ["K", "L"], ["Y"], id="unit", model="bcc", orientation="input").set_index("unit")
    sbm = dea(cs, ["K", "L"], ["Y"], undesirable="CO2", id="unit", model="sbm", orientation="none").set_index(
        "unit"
    )
    ssbm = dea(
        cs, ["K", "L"], ["Y"], undesirable="CO2", id="unit", model="sbm", orientation="none", super_eff=True
    ).set_index("unit")
    print("\nDEA 2014 (inputs K, L; output Y; SBM adds CO2 as bad output)")
    print(f"  CCR efficient: {sorted(ccr.index[ccr.efficiency >= 1 - 1e-9])}")
    print(f"  SBM-undesirable efficient: {sorted(sbm.index[sbm.efficiency >= 1 - 1e-9])}")
    tab = pd.DataFrame(
        {
            "CCR": ccr.efficiency,
            "BCC": bcc.efficiency,
            "SBM_CO2": sbm.efficiency,
            "superSBM_CO2": ssbm.efficiency,
        }
    ).loc[[c for c in FOCUS if c in ccr.index]]
    print(tab.round(3).to_string())
    print(
        f"  means: CCR {ccr.efficiency.mean():.3f}  BCC {bcc.efficiency.mean():.3f}  SBM {sbm.efficiency.mean():.3f}"
    )

    mq = malmquist(p, ["K", "L"], "Y", id="unit", period="period", index="malmquist", rts="crs")
    gml = malmquist(p, ["K", "L"], "Y", undesirable="CO2", id="unit", period="period", index="gml")
    print("\nMalmquist (CRS, contemporaneous, input) and GML (global DDF, direction (y, -CO2)), 1995-2014")
    print(
        f"  Malmquist: geometric mean tfpch {geo(mq.tfpch):.4f}, effch {geo(mq.effch):.4f}, "
        f"techch {geo(mq.techch):.4f}; infeasible rows {int((mq.status != 'optimal').sum())}"
    )
    print(
        f"  GML:       geometric mean tfpch {geo(gml.tfpch):.4f}, effch {geo(gml.effch):.4f}, "
        f"techch {geo(gml.techch):.4f}; infeasible rows {int((gml.status != 'optimal').sum())}"
    )
    last_m = mq[mq.period == 2014].set_index("unit")
    last_g = gml[gml.period == 2014].set_index("unit")
    rows = []
    for c in FOCUS:
        if c in last_m.index:
            rows.append(
                {
                    "unit": c,
                    "M_cum_tfpch": last_m.loc[c, "cum_tfpch"],
                    "M_cum_effch": last_m.loc[c, "cum_effch"],
                    "M_cum_techch": last_m.loc[c, "cum_techch"],
                    "GML_cum_tfpch": last_g.loc[c, "cum_tfpch"],
                    "GML_cum_effch": last_g.loc[c, "cum_effch"],
                    "GML_cum_techch": last_g.loc[c, "cum_techch"],
                }
            )
    print("  cumulative 1995->2014 (product of yearly indices):")
    print(pd.DataFrame(rows).set_index("unit").round(3).to_string())
    chn = mq[mq.unit == "CHN"].set_index("period")[["tfpch", "effch", "techch"]]
    print("  China yearly Malmquist tfpch, 5-year geometric means:")
    for a, b in ((1996, 2000), (2001, 2005), (2006, 2010), (2011, 2014)):
        print(f"    {a}-{b}: {geo(chn.loc[a:b, 'tfpch']):.4f}")

    p2 = build(1995, 2019, with_co2=False)
    mq2 = malmquist(p2, ["K", "L"], "Y", id="unit", period="period")
    chn2 = mq2[mq2.unit == "CHN"].set_index("period")
    print(
        f"\nMalmquist without CO2, 1995-2019 ({p2.unit.nunique()} countries): geometric mean tfpch "
        f"{geo(mq2.tfpch):.4f}; China cumulative tfpch {chn2['cum_tfpch'].iloc[-1]:.3f}, 2015-2019 mean "
        f"{geo(chn2.loc[2015:2019, 'tfpch']):.4f}"
    )
    print(f"\n(total {time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
