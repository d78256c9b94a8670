"""Reference clustered SEs of the two-way (and one-way) FE β-convergence regression from linearmodels.

Run in an environment with linearmodels 7.1 (not an nqpf dependency):  python run_linearmodels.py
Model: Δln y_it = β ln y_i,t−1 + α_i [+ γ_t] + ε_it, PanelOLS(...).fit(cov_type="clustered", cluster_entity=True)
with linearmodels' defaults (debiased=True, auto_df=True, count_effects=True). Writes linearmodels.csv.
"""

from pathlib import Path

import linearmodels
import numpy as np
import pandas as pd
from linearmodels.panel import PanelOLS

here = Path(__file__).parent
d = pd.read_csv(here / "panel.csv").sort_values(["unit", "period"])
d["ly"] = np.log(d["y"])
d["ly_lag"] = d.groupby("unit")["ly"].shift(1)
d["growth"] = d["ly"] - d["ly_lag"]
d = d.dropna().set_index(["unit", "period"])
rows = []
for te in (False, True):
    r = PanelOLS(d["growth"], d[["ly_lag"]], entity_effects=True, time_effects=te).fit(
        cov_type="clustered", cluster_entity=True)
    rows.append(dict(time_effects=te, coef=repr(float(r.params["ly_lag"])), se=repr(float(r.std_errors["ly_lag"])),
                     nobs=int(r.nobs), version=linearmodels.__version__))
pd.DataFrame(rows).to_csv(here / "linearmodels.csv", index=False)
print(pd.DataFrame(rows))
