"""Provincial and industrial green TFP on the embedded data — the numbers in malmquist.md.

Every measure is a recipe of :mod:`nqpf.productivity.recipes` (the one definition the CLI ``nqpf tfp provinces``,
the report and the dashboard use): inputs, good and bad outputs, deflators, technology, orientation, years.

* provincial_green_tfp (whole economy, 2011–2019): inputs capital_stock, employment (proxy, ends 2019),
  energy_consumption; good output gdp_real_rpi_2011prices (RPI-deflated — NOT an official real GDP); bad outputs
  co2 (CEADs), so2. Tibet has no CEADs CO2, so 30 provinces.
* provincial_green_tfp_urban_labour (2011–2022): labour = employment_urban_units, the only provincial employment
  series reaching 2020–2023 (capital stock, RPI and CEADs CO2 end in 2022).
* industrial_green_tfp (industrial enterprises above designated size, 2011–2022) and industrial_green_tfp_nominal
  (2011–2023, value added at current prices): dataset cn_industrial_green.

    .venv/bin/python docs/productivity/examples_provinces.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf.productivity import dea, malmquist, recipes


def geo(x: pd.Series) -> float:
    return float(np.exp(np.log(x.dropna()).mean()))


def show(name: str) -> None:
    rec = recipes.get(name)
    res = rec.compute()
    summ = rec.summary(res)
    names = rec.unit_names("en")
    man = res.attrs["manifest"]
    print(f"\n== {name}: {len(man['units_kept'])} units x {rec.years[0]}-{rec.years[1]}; dropped {man['units_dropped']}")
    print(
        f"geometric mean tfpch {geo(res.tfpch):.4f}, effch {geo(res.effch):.4f}, techch {geo(res.techch):.4f}; "
        f"infeasible {int((res.status != 'optimal').sum())}"
    )
    by_year = res.groupby("period")["tfpch"].apply(geo)
    print("tfpch by year (geometric mean over units):", by_year.round(3).to_dict())
    cum = summ.set_index("unit")["cum_tfpch"]
    print(f"cumulative {rec.years[0]}->{rec.years[1]}, highest 5:", {names.get(u, u): round(v, 3) for u, v in cum.head(5).items()})
    print(f"cumulative {rec.years[0]}->{rec.years[1]}, lowest 5:", {names.get(u, u): round(v, 3) for u, v in cum.tail(5)[::-1].items()})


def main() -> None:
    for name in recipes.RECIPES:
        show(name)
    # radial Malmquist on the same inputs without the bads, and a 2019 SBM with the bads (same panel)
    rec = recipes.PROVINCIAL_GREEN_TFP
    w, _ = rec.panel()
    mq = malmquist(w, list(rec.inputs), list(rec.good), id="unit", period="period")
    print(
        f"\nMalmquist (no bads, CRS): geometric mean tfpch {geo(mq.tfpch):.4f}, effch {geo(mq.effch):.4f}, "
        f"techch {geo(mq.techch):.4f}"
    )
    cs = w[w.period == 2019]
    sbm = dea(cs, list(rec.inputs), list(rec.good), undesirable=list(rec.bad), id="unit", model="sbm",
              orientation="none").set_index("unit")
    names = rec.unit_names("en")
    eff = sbm.index[sbm.efficiency >= 1 - 1e-9]
    print(f"SBM-undesirable 2019: mean {sbm.efficiency.mean():.3f}; efficient: {[names.get(u, u) for u in eff]}")


if __name__ == "__main__":
    main()
