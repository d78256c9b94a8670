"""Builder of the ``cn_industrial_green`` dataset: inputs and outputs of **industrial** green TFP by province, 2011-2023.

Interface (fixed): ``build(raw_dir) -> dict`` with keys ``data``, ``indicators``, ``units``, ``sources``, ``title``,
``notes``. Raw folders: ``yumanlou_green_panel`` (industrial enterprises above designated size: average
employment, net fixed assets; industrial value added; total energy consumption; industrial SO2; EDGAR CO2),
``chen_capitalstock_pim`` (provincial retail price index, the only provincial price index in the raw data) and
``province_reference`` (codes, names, regions).

Values are verbatim except the documented unit conversion (EDGAR CO2 t -> Mt) and two derived series with their
formula (the chained RPI and RPI-deflated industrial value added). Gaps stay gaps: Tibet has no industrial
series (only CO2); the RPI ends in 2022, so the deflated value added ends in 2022.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

YEARS = list(range(2011, 2024))
SRC = {
    "green": "yumanlou_green_panel/green_energy_panel_long.csv",
    "chen": "chen_capitalstock_pim/capital_inputs_raw_long.csv",
    "ref": "province_reference/province_reference.csv",
}
CITE = {
    "green": (
        "Yumanlou/carbon_emission_finance (commit 410ab822), compiled from the China Statistical / Energy / "
        "Environmental Statistical Yearbooks; CO2 from EDGAR 2024 GHG sub-national totals"
    ),
    "chen": "Wind / NBS provincial statistics as collected in R package CHNCapitalStock (common2016/CapitalStock)",
    "ref": "GB/T 2260 administrative division codes; NBS four-region grouping",
}
BREAK_2016 = (
    "Definition break in 2016 (second national pollution-source census revision; e.g. Guangdong 64.9 -> 24.8 万吨)."
)

# id: (raw variable, scale, name_zh, name_en, unit, direction, definition, caveats)
RAW: dict[str, tuple[str, float, str, str, str, int, str, str]] = {
    "industrial_firms_employment": (
        "industrial_firms_avg_employment",
        1.0,
        "规模以上工业企业平均用工人数",
        "Industrial enterprises above designated size: average employment",
        "万人",
        0,
        "Average number of employed persons of industrial enterprises above designated size (规模以上工业企业).",
        "Coverage threshold of 'above designated size' rose in 2011 (main business income >= 20 million yuan); "
        "industrial enterprises only.",
    ),
    "industrial_firms_net_fixed_assets": (
        "industrial_firms_net_fixed_assets",
        1.0,
        "规模以上工业企业固定资产净值",
        "Industrial enterprises above designated size: net fixed assets",
        "亿元",
        0,
        "Net value of fixed assets (book value, current prices) of industrial enterprises above designated size.",
        "Book value at historical cost, not a constant-price capital stock (no provincial price index for "
        "industrial assets in the raw data).",
    ),
    "energy_consumption": (
        "energy_consumption_total",
        1.0,
        "能源消费总量",
        "Total energy consumption",
        "万吨标准煤",
        0,
        "Total provincial energy consumption (all sectors, China Energy Statistical Yearbook).",
        "Whole-province energy, not industrial energy (the raw data hold no industrial energy use by province); "
        "equals the EPS series of nqp_spatial_127ww 2011-2019 within 0.02 %.",
    ),
    "va_industry": (
        "va_industry",
        1.0,
        "工业增加值",
        "Industrial value added",
        "亿元",
        1,
        "Industrial value added at current prices.",
        "Current prices.",
    ),
    "industrial_so2": (
        "industrial_so2",
        1.0,
        "工业二氧化硫排放量",
        "Industrial SO2 emissions",
        "万吨",
        -1,
        "Sulphur dioxide emitted by industry.",
        BREAK_2016,
    ),
    "co2_edgar": (
        "co2_edgar_v2024",
        1e-6,
        "二氧化碳排放量(EDGAR)",
        "CO2 emissions (EDGAR 2024)",
        "Mt",
        -1,
        "EDGAR 2024 GHG sub-national CO2 total of the province (source in t, divided by 10^6).",
        "All sectors, not industry only; EDGAR estimate, levels differ from CEADs.",
    ),
}


def _cat(ind, name_zh, name_en, unit, direction, definition, formula, source, caveats) -> dict:
    return dict(
        indicator=ind,
        name_zh=name_zh,
        name_en=name_en,
        unit_of_measure=unit,
        direction_hint=direction,
        definition=definition,
        formula=formula,
        source=source,
        caveats=caveats,
        gdp_vintage="",
    )


def build(raw_dir: Path) -> dict:
    raw_dir = Path(raw_dir)
    ref = pd.read_csv(raw_dir / SRC["ref"], dtype={"province_code": str})
    units = pd.DataFrame(
        {
            "unit": ref["province_code"],
            "name_zh": ref["province"],
            "name_en": ref["province_en"],
            "group": ref["region4_nbs"],
            "region4": ref["region4_nbs"],
            "region4_zh": ref["region4_nbs_zh"],
        }
    ).sort_values("unit", ignore_index=True)
    codes = units["unit"].tolist()
    index = pd.MultiIndex.from_product([codes, YEARS], names=["unit", "period"])

    g = pd.read_csv(raw_dir / SRC["green"], dtype={"province_code": str})
    g = g[g["year"].isin(YEARS)]
    wide = pd.DataFrame(index=index)
    rows = []
    for ind, (var, scale, zh, en, unit, direction, definition, caveats) in RAW.items():
        s = g[g["variable"] == var]
        if s.duplicated(["province_code", "year"]).any():
            raise ValueError(f"{SRC['green']}: duplicate province-years for {var}")
        ser = s.set_index(["province_code", "year"])["value"].astype("float64") * scale
        ser.index = ser.index.set_names(["unit", "period"])
        wide[ind] = ser.reindex(index)
        rows.append(_cat(ind, zh, en, unit, direction, definition, "" if scale == 1.0 else f"{var} * {scale!r}",
                         CITE["green"], caveats))

    c = pd.read_csv(raw_dir / SRC["chen"], dtype={"province_code": str})
    r = c[(c["variable"] == "rpi_prev_year_eq100") & c["year"].isin(YEARS)]
    rpi = r.set_index(["province_code", "year"])["value"].astype("float64")
    rpi.index = rpi.index.set_names(["unit", "period"])
    wide["rpi_prev_year_eq100"] = rpi.reindex(index)
    rows.append(_cat("rpi_prev_year_eq100", "商品零售价格指数(上年=100)", "Retail price index (previous year = 100)",
                     "上年=100", 0, "Provincial retail price index.", "", CITE["chen"], "Ends 2022."))
    p = wide["rpi_prev_year_eq100"].unstack("unit")
    chain = pd.DataFrame(np.nan, index=p.index, columns=p.columns)
    chain.loc[YEARS[0]] = 100.0
    for y in YEARS[1:]:
        chain.loc[y] = chain.loc[y - 1] * p.loc[y] / 100.0
    wide["rpi_chain_2011eq100"] = chain.stack(future_stack=True).swaplevel().reindex(index)
    rows.append(_cat("rpi_chain_2011eq100", "商品零售价格指数(2011=100,链式)", "Retail price index, chained (2011 = 100)",
                     "2011=100", 0, "P_2011 = 100, P_t = P_{t-1} * rpi_prev_year_eq100_t / 100 within each province.",
                     "chain(rpi_prev_year_eq100, base=2011)", CITE["chen"], "Ends 2022."))
    wide["va_industry_real_rpi_2011prices"] = wide["va_industry"] / wide["rpi_chain_2011eq100"] * 100.0
    rows.append(_cat(
        "va_industry_real_rpi_2011prices", "工业增加值(以零售价格指数平减, 2011年价)",
        "Industrial value added deflated by RPI (2011 prices)", "亿元(2011年价)", 1,
        "Industrial value added at current prices deflated by the provincial chained retail price index (2011 = 100).",
        "va_industry / rpi_chain_2011eq100 * 100", f"{CITE['green']}; {CITE['chen']}",
        "NOT an official real industrial value added: the raw data hold no provincial industrial producer price "
        "index, so the RPI is a proxy deflator; ends 2022 with the RPI.",
    ))
    data = wide.stack(future_stack=True).rename("value").reset_index()
    data = data.rename(columns={"level_2": "indicator"})
    data["period"] = data["period"].astype("int64")
    data = data.sort_values(["unit", "period", "indicator"], ignore_index=True)
    return dict(
        data=data,
        indicators=pd.DataFrame(rows),
        units=units,
        sources=[dict(path=SRC[k], citation=CITE[k]) for k in SRC],
        title="China's provinces: industrial green TFP inputs and outputs (industrial enterprises above designated "
        "size), 2011-2023",
        notes=(
            "INDUSTRIAL sector, not the whole economy: labour = average employment and capital = net fixed assets of "
            "industrial enterprises above designated size; good output = industrial value added; bad outputs = "
            "industrial SO2 and EDGAR CO2 (all sectors); energy = total provincial energy consumption (no industrial "
            "energy by province in the raw data). 30 provinces (Tibet has no industrial series). The RPI-deflated "
            "value added ends in 2022 (no provincial price index for 2023 in the raw data); nominal value added runs "
            "to 2023. Used by the recipes industrial_green_tfp and industrial_green_tfp_nominal "
            "(nqpf.productivity.recipes)."
        ),
    )
