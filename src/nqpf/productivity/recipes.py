"""One recipe per named productivity measure: the single definition every consumer uses.

A :class:`Recipe` fixes everything that makes a number "provincial green TFP" (or another named measure):
the embedded dataset, inputs, good and bad outputs, how money series are deflated, the index, technology,
returns to scale, direction/orientation, the treatment of bad outputs and the years. The CLI
(``nqpf tfp provinces``), the national report, the dashboard and ``docs/productivity`` all call
:meth:`Recipe.compute` and :meth:`Recipe.summary`, so they show identical numbers.

Named measures (``RECIPES``):

* ``provincial_green_tfp`` — whole economy, 2011–2019: GML (Oh 2010; global technology, CRS, direction
  (y, −b), bad outputs weakly disposable) with inputs capital stock (PIM, 2000 prices), employment (proxy:
  urban units + private/individual, ends 2019), total energy; good output GDP deflated by the provincial RPI
  (2011 prices; no provincial GDP volume index exists in the raw data); bad outputs CO₂ (CEADs) and SO₂.
* ``provincial_green_tfp_urban_labour`` — the same with labour = urban-unit employment (城镇单位就业人员),
  the only provincial employment series in the raw data that covers 2020–2023; 2011–2022 (capital stock,
  RPI and CEADs CO₂ end in 2022). Urban-unit employment excludes private/individual and rural employment.
* ``industrial_green_tfp`` — INDUSTRIAL sector (industrial enterprises above designated size), 2011–2022:
  inputs average employment, net fixed assets, total energy; good output industrial value added deflated by
  the RPI; bad outputs industrial SO₂ and EDGAR CO₂ (dataset ``cn_industrial_green``).
* ``industrial_green_tfp_nominal`` — the same 2011–2023 with value added at current prices (2023 has no
  provincial price index in the raw data, so price change is part of this index).

The panel is balanced: units with every series present and positive in every year of the window (the rest are
listed as dropped with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from nqpf.errors import DataError
from nqpf.i18n import t

__all__ = ["RECIPES", "Recipe", "get"]

SUMMARY_DIGITS = 3  # the cumulative index is shown (and ranked) with 3 decimals


@dataclass(frozen=True)
class Recipe:
    """Definition of one named productivity measure (see the module docstring)."""

    name: str
    dataset: str
    inputs: tuple[str, ...]
    good: tuple[str, ...]
    bad: tuple[str, ...]
    years: tuple[int, int]
    deflators: dict[str, str] = field(default_factory=dict)
    index: str = "gml"
    technology: str = "global"
    rts: str = "crs"
    orientation: str = "input"
    direction: str = "(y, -b)"
    bad_disposability: str = "equality"
    sector: str = "economy"

    # ------------------------------------------------------------------------------------------ metadata
    @property
    def indicators(self) -> list[str]:
        return [*self.inputs, *self.good, *self.bad]

    def label(self, lang: str = "en") -> str:
        return t(f"productivity.recipe.{self.name}.label", lang)

    def note(self, lang: str = "en", res: pd.DataFrame | dict | None = None) -> str:
        """Definition and caveats (including the data gap that ends the window), for every output; with the
        result ``res`` of :meth:`compute` (or its manifest) also the number of units and the units left out."""
        text = t(f"productivity.recipe.{self.name}.note", lang, a=self.years[0], b=self.years[1])
        if res is not None:
            man = res if isinstance(res, dict) else res.attrs.get("manifest", {})
            names = self.unit_names(lang)
            dropped = ("、" if lang == "zh" else ", ").join(
                f"{names[u]}（{u}）" if lang == "zh" and u in names else f"{names[u]} ({u})" if u in names else u
                for u in man.get("units_dropped", [])
            )
            n = man.get("n", len(man.get("units_kept", [])))
            text += t("productivity.recipe.sample", lang, n=n, dropped=dropped or "—")
        return text

    def unit_names(self, lang: str = "en") -> dict[str, str]:
        """Unit code -> name in ``lang`` from the recipe's dataset (empty when it is not installed)."""
        from nqpf import datasets

        if self.dataset not in datasets.names():
            return {}
        u = datasets.load(self.dataset).units
        return dict(zip(u["unit"].astype(str), u["name_zh" if lang == "zh" else "name_en"], strict=True))

    def settings(self) -> dict[str, Any]:
        """Every setting of the recipe, JSON-ready (goes into manifests)."""
        return {
            "recipe": self.name,
            "dataset": self.dataset,
            "sector": self.sector,
            "inputs": list(self.inputs),
            "good_outputs": list(self.good),
            "bad_outputs": list(self.bad),
            "deflators": dict(self.deflators),
            "index": self.index,
            "technology": self.technology,
            "rts": self.rts,
            # radial Malmquist: input/output orientation; directional indices (GML, ML): the direction vector
            "orientation": self.orientation if self.index == "malmquist" else "directional",
            "direction": self.direction if self.index != "malmquist" else None,
            "bad_disposability": self.bad_disposability,
            "years": list(self.years),
        }

    # ------------------------------------------------------------------------------------------- panel
    def missing(self, present: set[str] | pd.Index | list[str]) -> list[str]:
        """Indicators of the recipe that ``present`` lacks."""
        have = set(present)
        return [c for c in self.indicators if c not in have]

    def panel(self, data: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[str]]:
        """Balanced wide panel ``unit, period, <indicators>`` for the window, and the dropped units.

        ``data`` is a long panel (``unit, period, indicator, value``; default: the recipe's embedded dataset).
        A unit is kept when every indicator is present and > 0 in every year of the window."""
        units_all: list[str] | None = None
        if data is None:
            from nqpf import datasets

            ds = datasets.load(self.dataset)
            data, units_all = ds.data, ds.units["unit"].astype(str).tolist()
        lacking = self.missing(data["indicator"].astype(str).unique())
        if lacking:
            raise DataError(
                f"recipe {self.name}: the data lack indicator(s) {lacking}; use the dataset {self.dataset!r}"
            )
        d = data.assign(unit=data["unit"].astype(str), indicator=data["indicator"].astype(str))
        d = d[d["indicator"].isin(self.indicators) & d["period"].between(*self.years)]
        wide = d.pivot_table(index=["unit", "period"], columns="indicator", values="value", aggfunc="first")
        wide = wide.reindex(columns=self.indicators).reset_index()
        wide["period"] = wide["period"].astype("int64")
        ok = wide[self.indicators].gt(0).all(axis=1)
        n_years = self.years[1] - self.years[0] + 1
        counts = wide[ok].groupby("unit")["period"].nunique()
        keep = sorted(counts[counts == n_years].index)
        units_all = units_all if units_all is not None else sorted(d["unit"].unique())
        dropped = sorted(set(units_all) - set(keep))
        if len(keep) < 2:
            raise DataError(
                f"recipe {self.name}: fewer than 2 units have every indicator present and positive in "
                f"{self.years[0]}-{self.years[1]}"
            )
        out = wide[wide["unit"].isin(keep) & ok].sort_values(["unit", "period"], ignore_index=True)
        return out, dropped

    # ----------------------------------------------------------------------------------------- compute
    def compute(self, data: pd.DataFrame | None = None) -> pd.DataFrame:
        """The index table of :func:`nqpf.productivity.malmquist.malmquist` under the recipe's settings;
        ``attrs["manifest"]`` gains the recipe settings and the dropped units."""
        from nqpf.productivity.malmquist import malmquist

        wide, dropped = self.panel(data)
        res = malmquist(
            wide,
            list(self.inputs),
            list(self.good),
            undesirable=list(self.bad) or None,
            id="unit",
            period="period",
            index=self.index,
            rts=self.rts,
            technology=self.technology,
            orientation=self.orientation,
            bad_disposability=self.bad_disposability,
        )
        man = dict(res.attrs.get("manifest", {}))
        man.update(recipe=self.settings(), units_kept=sorted(wide["unit"].unique()), units_dropped=dropped)
        res.attrs["manifest"] = man
        return res

    def summary(self, res: pd.DataFrame) -> pd.DataFrame:
        """Per unit: the cumulative index over the window and the geometric means of tfpch, effch, techch over
        the same pairs (:func:`~nqpf.productivity.malmquist.mean_changes`, so mean tfpch = mean effch × mean
        techch), ranked on the cumulative index as shown with 3 decimals (ties share the best rank). Rows with
        a non-optimal status are left out (none for GML)."""
        from nqpf.index.result import display_rank
        from nqpf.productivity.malmquist import mean_changes

        g = res[res["status"] == "optimal"]
        agg = mean_changes(g, "unit").set_index("unit")
        last = g.sort_values("period").groupby("unit").tail(1).set_index("unit")
        agg["cum_tfpch"] = last["cum_tfpch"]
        agg = agg.reset_index()
        agg.insert(0, "rank", display_rank(agg["cum_tfpch"], digits=SUMMARY_DIGITS).to_numpy())
        agg = agg.sort_values(["rank", "unit"], kind="mergesort", ignore_index=True)
        return agg[["rank", "unit", "cum_tfpch", "tfpch", "effch", "techch", "n_pairs"]]


_PROV_DEFL = {
    "gdp_real_rpi_2011prices": "gdp_nominal / chained provincial RPI (2011 = 100); no provincial GDP volume index",
    "capital_stock": "perpetual inventory at 2000 prices (FAI price index; RPI 2020-2022)",
}
_IND_DEFL = {
    "va_industry_real_rpi_2011prices": "va_industry / chained provincial RPI (2011 = 100); no provincial PPI",
    "industrial_firms_net_fixed_assets": "none (book value)",
}

RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            name="provincial_green_tfp",
            dataset="cn_provinces",
            inputs=("capital_stock", "employment", "energy_consumption"),
            good=("gdp_real_rpi_2011prices",),
            bad=("co2", "so2"),
            years=(2011, 2019),
            deflators=_PROV_DEFL,
        ),
        Recipe(
            name="provincial_green_tfp_urban_labour",
            dataset="cn_provinces",
            inputs=("capital_stock", "employment_urban_units", "energy_consumption"),
            good=("gdp_real_rpi_2011prices",),
            bad=("co2", "so2"),
            years=(2011, 2022),
            deflators=_PROV_DEFL,
        ),
        Recipe(
            name="industrial_green_tfp",
            dataset="cn_industrial_green",
            inputs=("industrial_firms_employment", "industrial_firms_net_fixed_assets", "energy_consumption"),
            good=("va_industry_real_rpi_2011prices",),
            bad=("industrial_so2", "co2_edgar"),
            years=(2011, 2022),
            deflators=_IND_DEFL,
            sector="industry",
        ),
        Recipe(
            name="industrial_green_tfp_nominal",
            dataset="cn_industrial_green",
            inputs=("industrial_firms_employment", "industrial_firms_net_fixed_assets", "energy_consumption"),
            good=("va_industry",),
            bad=("industrial_so2", "co2_edgar"),
            years=(2011, 2023),
            deflators={"va_industry": "none (current prices)", "industrial_firms_net_fixed_assets": "none (book value)"},
            sector="industry",
        ),
    )
}

PROVINCIAL_GREEN_TFP = RECIPES["provincial_green_tfp"]


def get(name: str) -> Recipe:
    """The recipe called ``name``; an unknown name raises :class:`~nqpf.errors.DataError` listing the names."""
    try:
        return RECIPES[name]
    except KeyError:
        raise DataError(f"unknown measure {name!r}; choose one of {', '.join(RECIPES)}") from None
