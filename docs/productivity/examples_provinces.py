"""Provincial green TFP (GML, SBM with bad outputs) on the `cn_provinces` dataset — numbers in malmquist.md.

Inputs: capital_stock (PIM, 2000 prices), employment (urban units + private/individual: a proxy, ends 2019),
energy_consumption (10⁴ tce). Good output: gdp_real_rpi_2011prices (nominal GDP deflated by the RPI — NOT an
official real GDP; the raw data hold no provincial GDP volume index). Bad outputs: co2 (CEADs, Mt), so2.
Window 2011–2019 (employment ends 2019); Tibet has no CEADs CO2, so 30 provinces.

    .venv/bin/python docs/productivity/examples_provinces.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import nqpf.datasets as nds
from nqpf.data.panel import to_wide
from nqpf.productivity import dea, malmquist

INPUTS = ["capital_stock", "employment", "energy_consumption"]
GOOD = ["gdp_real_rpi_2011prices"]
BADS = ["co2", "so2"]


def geo(x: pd.Series) -> float:
    return float(np.exp(np.log(x.dropna()).mean()))


def main() -> None:
    ds = nds.load("cn_provinces")
    cols = INPUTS + GOOD + BADS
    w = to_wide(ds.data[ds.data.indicator.isin(cols)]).reset_index()
    w = w[(w.period >= 2011) & (w.period <= 2019)].dropna(subset=cols)
    w = w[(w[cols] > 0).all(axis=1)]
    full = w.groupby("unit")["period"].nunique() == 9
    w = w[w.unit.isin(full[full].index)]
    names = ds.units.set_index("unit")["name_en"]
    print(f"panel: {w.unit.nunique()} provinces x {w.period.nunique()} years (2011-2019)")

    gml = malmquist(w, INPUTS, GOOD, undesirable=BADS, id="unit", period="period", index="gml")
    mq = malmquist(w, INPUTS, GOOD, id="unit", period="period")
    print(
        f"GML (global DDF, direction (y, -b)): geometric mean tfpch {geo(gml.tfpch):.4f}, effch {geo(gml.effch):.4f}, "
        f"techch {geo(gml.techch):.4f}; infeasible {int((gml.status != 'optimal').sum())}"
    )
    print(
        f"Malmquist (no bads, CRS):            geometric mean tfpch {geo(mq.tfpch):.4f}, effch {geo(mq.effch):.4f}, "
        f"techch {geo(mq.techch):.4f}"
    )
    by_year = gml.groupby("period")["tfpch"].apply(geo)
    print("GML tfpch by year (geometric mean over provinces):", by_year.round(4).to_dict())
    last = gml[gml.period == 2019].set_index("unit")["cum_tfpch"].sort_values()
    print(
        "cumulative GML 2011->2019, lowest 5:",
        {names.get(u, u): round(v, 3) for u, v in last.head(5).items()},
    )
    print(
        "cumulative GML 2011->2019, highest 5:",
        {names.get(u, u): round(v, 3) for u, v in last.tail(5).items()},
    )

    cs = w[w.period == 2019]
    sbm = dea(cs, INPUTS, GOOD, undesirable=BADS, id="unit", model="sbm", orientation="none").set_index(
        "unit"
    )
    eff = sbm.index[sbm.efficiency >= 1 - 1e-9]
    print(
        f"SBM-undesirable 2019: mean {sbm.efficiency.mean():.3f}; efficient: {[names.get(u, u) for u in eff]}"
    )


if __name__ == "__main__":
    main()
