"""Builder of the ``world`` dataset: Penn World Table 10.01 + WDI (datahub mirror) + OWID, ISO-3, 1990 onward.

Interface (fixed, called by ``scripts/build_datasets.py``): ``build(raw_dir) -> dict`` with keys ``data``
(long panel), ``indicators`` (catalogue), ``units``, ``sources``, ``title``, ``notes``.

Rules applied here:
- PWT 10.01 (``pwt1001/pwt1001.csv``): every numeric variable, PWT names kept (``rgdpna``, ``rkna``, ``ctfp`` …);
  the flag variables ``i_*`` stay numeric codes, their labels are in the catalogue definition.
- WDI: one indicator per folder of ``wdi_datahub``; id = WDI code lower-case with dots → underscores.
  World Bank aggregates (regions, income groups, lending groups, demographic-dividend groups) are dropped;
  the list is :data:`WDI_AGGREGATES` and is repeated in the notes.
- OWID: four grapher extracts; ids prefixed ``owid_``; OWID's own region codes (``OWID_*``) and rows without
  a code are dropped.
- PWT 11.0 (``pwt110_rounded``) is NOT used: its PROVENANCE says the values were rounded to Excel display
  precision (ctfp of China stored as 0), so nothing numeric can be taken from it.
- Years 1990 onward; gaps stay gaps (no filling).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

FIRST_YEAR = 1990

# World Bank aggregate codes found in the WDI mirror (regions, income/lending groups, demographic groups).
WDI_AGGREGATES: dict[str, str] = {
    "AFE": "Africa Eastern and Southern",
    "AFW": "Africa Western and Central",
    "ARB": "Arab World",
    "CEB": "Central Europe and the Baltics",
    "CSS": "Caribbean small states",
    "EAP": "East Asia & Pacific (excluding high income)",
    "EAR": "Early-demographic dividend",
    "EAS": "East Asia & Pacific",
    "ECA": "Europe & Central Asia (excluding high income)",
    "ECS": "Europe & Central Asia",
    "EMU": "Euro area",
    "EUU": "European Union",
    "FCS": "Fragile and conflict affected situations",
    "HIC": "High income",
    "HPC": "Heavily indebted poor countries (HIPC)",
    "IBD": "IBRD only",
    "IBT": "IDA & IBRD total",
    "IDA": "IDA total",
    "IDB": "IDA blend",
    "IDX": "IDA only",
    "LAC": "Latin America & Caribbean (excluding high income)",
    "LCN": "Latin America & Caribbean",
    "LDC": "Least developed countries: UN classification",
    "LIC": "Low income",
    "LMC": "Lower middle income",
    "LMY": "Low & middle income",
    "LTE": "Late-demographic dividend",
    "MEA": "Middle East & North Africa",
    "MIC": "Middle income",
    "MNA": "Middle East & North Africa (excluding high income)",
    "NAC": "North America",
    "OED": "OECD members",
    "OSS": "Other small states",
    "PRE": "Pre-demographic dividend",
    "PSS": "Pacific island small states",
    "PST": "Post-demographic dividend",
    "SAS": "South Asia",
    "SSA": "Sub-Saharan Africa (excluding high income)",
    "SSF": "Sub-Saharan Africa",
    "SST": "Small states",
    "TEA": "East Asia & Pacific (IDA & IBRD countries)",
    "TEC": "Europe & Central Asia (IDA & IBRD countries)",
    "TLA": "Latin America & the Caribbean (IDA & IBRD countries)",
    "TMN": "Middle East & North Africa (IDA & IBRD countries)",
    "TSA": "South Asia (IDA & IBRD)",
    "TSS": "Sub-Saharan Africa (IDA & IBRD countries)",
    "UMC": "Upper middle income",
    "WLD": "World",
}

# Codes kept although they are not ISO 3166-1 alpha-3 (World Bank conventions).
NON_ISO_KEPT = {"XKX": "Kosovo (World Bank code, not ISO 3166)", "CHI": "Channel Islands (World Bank code)"}

# Standard Chinese short names (PRC usage) of major economies; every other unit gets name_zh = name_en.
NAME_ZH: dict[str, str] = {
    "CHN": "中国",
    "USA": "美国",
    "DEU": "德国",
    "JPN": "日本",
    "GBR": "英国",
    "FRA": "法国",
    "ITA": "意大利",
    "CAN": "加拿大",
    "KOR": "韩国",
    "IND": "印度",
    "RUS": "俄罗斯",
    "BRA": "巴西",
    "AUS": "澳大利亚",
    "ESP": "西班牙",
    "MEX": "墨西哥",
    "IDN": "印度尼西亚",
    "NLD": "荷兰",
    "SAU": "沙特阿拉伯",
    "TUR": "土耳其",
    "CHE": "瑞士",
    "SWE": "瑞典",
    "POL": "波兰",
    "BEL": "比利时",
    "ARG": "阿根廷",
    "NOR": "挪威",
    "AUT": "奥地利",
    "ZAF": "南非",
    "SGP": "新加坡",
    "ISR": "以色列",
    "IRL": "爱尔兰",
    "DNK": "丹麦",
    "FIN": "芬兰",
    "THA": "泰国",
    "MYS": "马来西亚",
    "VNM": "越南",
    "PHL": "菲律宾",
    "EGY": "埃及",
    "NGA": "尼日利亚",
    "PAK": "巴基斯坦",
    "BGD": "孟加拉国",
    "NZL": "新西兰",
    "PRT": "葡萄牙",
    "GRC": "希腊",
    "CZE": "捷克",
    "HUN": "匈牙利",
    "CHL": "智利",
    "COL": "哥伦比亚",
    "PER": "秘鲁",
    "IRN": "伊朗",
    "ARE": "阿联酋",
    "UKR": "乌克兰",
    "KAZ": "哈萨克斯坦",
    "HKG": "中国香港",
    "MAC": "中国澳门",
    "TWN": "中国台湾",
}

FOCUS = {"CHN": "focus", "USA": "benchmark", "DEU": "benchmark", "JPN": "benchmark"}

PWT_CITATION = (
    "Feenstra, R. C., R. Inklaar and M. P. Timmer (2015), 'The Next Generation of the Penn World Table', "
    "American Economic Review 105(10), 3150-3182; Penn World Table 10.01, Groningen Growth and Development "
    "Centre (2023), www.ggdc.net/pwt, CC BY 4.0"
)
WDI_CITATION = (
    "World Bank, World Development Indicators, retrieved via datasets/world-development-indicators (datahub), "
    "snapshot 2026-07-01 (commit 4ebec5a2); CC BY 4.0"
)
OWID_CITATION = "Our World in Data (ourworldindata.org), grapher extract; CC BY 4.0"

PWT_UNITS = {
    "rgdpe": "million 2017 US$ (chained PPP)",
    "rgdpo": "million 2017 US$ (chained PPP)",
    "pop": "million persons",
    "emp": "million persons",
    "avh": "hours per person engaged per year",
    "hc": "index",
    "ccon": "million 2017 US$",
    "cda": "million 2017 US$",
    "cgdpe": "million 2017 US$ (current PPP)",
    "cgdpo": "million 2017 US$ (current PPP)",
    "cn": "million 2017 US$ (current PPP)",
    "ck": "USA=1",
    "ctfp": "USA=1",
    "cwtfp": "USA=1",
    "rgdpna": "million 2017 US$ (constant national prices)",
    "rconna": "million 2017 US$",
    "rdana": "million 2017 US$",
    "rnna": "million 2017 US$ (constant national prices)",
    "rkna": "index, 2017=1",
    "rtfpna": "index, 2017=1",
    "rwtfpna": "index, 2017=1",
    "labsh": "share (0-1)",
    "irr": "rate",
    "delta": "rate",
    "xr": "national currency per US$",
    "i_cig": "code",
    "i_xm": "code",
    "i_xr": "code",
    "i_outlier": "code",
    "i_irr": "code",
    "cor_exp": "correlation",
    "statcap": "score",
    "pl_con": "price level, USA GDPo 2017=1",
    "pl_da": "price level, USA GDPo 2017=1",
    "pl_gdpo": "price level, USA GDPo 2017=1",
    "pl_c": "price level, USA GDPo 2017=1",
    "pl_i": "price level, USA GDPo 2017=1",
    "pl_g": "price level, USA GDPo 2017=1",
    "pl_x": "price level, USA GDPo 2017=1",
    "pl_m": "price level, USA GDPo 2017=1",
    "pl_n": "price level, USA 2017=1",
    "pl_k": "price level, USA=1",
    "csh_c": "share of CGDPo",
    "csh_i": "share of CGDPo",
    "csh_g": "share of CGDPo",
    "csh_x": "share of CGDPo",
    "csh_m": "share of CGDPo",
    "csh_r": "share of CGDPo",
}
PWT_DIRECTION = {  # direction hint for index building: +1 more is better for development, 0 neutral
    "rgdpe": 1,
    "rgdpo": 1,
    "rgdpna": 1,
    "cgdpe": 1,
    "cgdpo": 1,
    "hc": 1,
    "ctfp": 1,
    "cwtfp": 1,
    "rtfpna": 1,
    "rwtfpna": 1,
    "ck": 1,
    "cn": 1,
    "rnna": 1,
    "rkna": 1,
    "ccon": 1,
    "rconna": 1,
    "cda": 1,
    "rdana": 1,
    "statcap": 1,
}

WDI_UNITS = {
    "bm_gsr_royl_cd": "current US$",
    "bx_gsr_royl_cd": "current US$",
    "eg_egy_prim_pp_kd": "MJ per 2021 PPP $",
    "eg_elc_rnew_zs": "%",
    "eg_fec_rnew_zs": "%",
    "eg_gdp_puse_ko_pp_kd": "2021 PPP $ per kg oil eq.",
    "eg_use_pcap_kg_oe": "kg oil eq. per person",
    "en_atm_co2e_kt": "kt",
    "en_atm_co2e_pc": "t per person",
    "gb_xpd_rsdv_gd_zs": "% of GDP",
    "ip_jrn_artc_sc": "articles",
    "ip_pat_nres": "applications",
    "ip_pat_resd": "applications",
    "it_cel_sets_p2": "per 100 people",
    "it_net_bbnd_p2": "per 100 people",
    "it_net_secr_p6": "per million people",
    "ne_gdi_totl_zs": "% of GDP",
    "nv_ind_totl_zs": "% of GDP",
    "nv_mnf_tech_zs_un": "% of manufacturing VA",
    "ny_gdp_mktp_cd": "current US$",
    "ny_gdp_pcap_pp_cd": "current international $",
    "se_ter_enrr": "% gross",
    "se_xpd_totl_gd_zs": "% of GDP",
    "sl_gdp_pcap_em_kd": "constant 2021 PPP $",
    "sl_tlf_totl_in": "persons",
    "sp_pop_scie_rd_p6": "per million people",
    "sp_pop_tech_rd_p6": "per million people",
    "sp_pop_totl": "persons",
    "tx_mnf_tech_zs_un": "% of manufactured exports",
    "tx_val_tech_cd": "current US$",
    "tx_val_tech_mf_zs": "% of manufactured exports",
}
WDI_DIRECTION = {
    "eg_egy_prim_pp_kd": -1,
    "en_atm_co2e_kt": -1,
    "en_atm_co2e_pc": -1,
    "bm_gsr_royl_cd": 0,
    "sp_pop_totl": 0,
    "sl_tlf_totl_in": 0,
    "ne_gdi_totl_zs": 0,
    "nv_ind_totl_zs": 0,
    "eg_use_pcap_kg_oe": 0,
}
WDI_CAVEATS = {
    "en_atm_co2e_kt": "Stale CDIAC-based series discontinued by the World Bank; data end 2014. Use owid_co2_per_capita for later years.",
    "en_atm_co2e_pc": "Stale CDIAC-based series discontinued by the World Bank; data end 2014. Use owid_co2_per_capita for later years.",
    "ip_pat_resd": "Ends 2021 in this copy.",
    "ip_pat_nres": "Ends 2021 in this copy.",
    "eg_fec_rnew_zs": "Ends 2021 for CHN/USA/DEU/JPN.",
    "eg_elc_rnew_zs": "Ends 2021.",
    "nv_mnf_tech_zs_un": "Ends 2022.",
    "tx_mnf_tech_zs_un": "Ends 2022.",
    "tx_val_tech_cd": "Starts 2007 (current WDI product basis).",
    "tx_val_tech_mf_zs": "Starts 2007 (current WDI product basis).",
    "sl_gdp_pcap_em_kd": "Constant 2021 PPP $ (datapackage title), not 2011.",
    "sp_pop_tech_rd_p6": "No data for CHN or USA.",
}

OWID_FILES = {
    "co-emissions-per-capita.csv": (
        "owid_co2_per_capita",
        "人均二氧化碳排放量（化石燃料与工业）",
        "Annual CO2 emissions per capita (fossil + industry)",
        "t CO2 per person",
        -1,
        "Global Carbon Budget (Global Carbon Project), processed by OWID",
        "Territorial fossil + industry CO2, no land use.",
    ),
    "co2-intensity.csv": (
        "owid_co2_per_gdp",
        "单位GDP二氧化碳排放量",
        "CO2 emissions per unit of GDP",
        "kg CO2 per international-$ (PPP)",
        -1,
        "Global Carbon Budget + OWID GDP series",
        "OWID's own PPP GDP (base year not stated in the file); do not mix with WDI GDP.",
    ),
    "manufacturing-value-added-to-gdp.csv": (
        "owid_nv_ind_manf_zs",
        "制造业增加值占GDP比重",
        "Manufacturing, value added (% of GDP) = WDI NV.IND.MANF.ZS",
        "% of GDP",
        0,
        "World Bank WDI via OWID",
        "China starts 2004 in this file.",
    ),
    "share-of-individuals-using-the-internet.csv": (
        "owid_it_net_user_zs",
        "互联网用户占人口比重",
        "Individuals using the Internet (% of population) = WDI SI.INT.ENTR.ZS",
        "% of population",
        1,
        "ITU via World Bank WDI, via OWID",
        "Copy re-saved by a third party (values carry at most 4 decimals); not checked against the World Bank.",
    ),
}


def _pwt(raw: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    folder = raw / "pwt1001"
    df = pd.read_csv(folder / "pwt1001.csv")
    legend = pd.read_csv(folder / "pwt1001_legend.csv")
    flags = pd.read_csv(folder / "pwt1001_flag_codes.csv")
    names = df[["countrycode", "country"]].drop_duplicates()
    df = df[df["year"] >= FIRST_YEAR]
    value_cols = [c for c in df.columns if c not in ("countrycode", "country", "currency_unit", "year")]
    long = df.melt(
        id_vars=["countrycode", "year"], value_vars=value_cols, var_name="indicator", value_name="value"
    )
    long = long.rename(columns={"countrycode": "unit", "year": "period"})
    rows = []
    legend_map = dict(zip(legend["variable"], legend["definition"], strict=True))
    for var in value_cols:
        definition = legend_map[var]
        caveats = ""
        if var.startswith("i_"):
            labels = flags[flags["variable"] == var]
            definition += " Codes: " + "; ".join(
                f"{int(c)} = {lab}" for c, lab in zip(labels["code"], labels["label"], strict=True)
            )
            caveats = "Flag variable kept as its numeric code; not a quantity."
        if var in ("ctfp", "cwtfp", "ck"):
            caveats = "Cross-country level relative to the USA in the same year (current PPPs); for growth over time use rtfpna."
        if var == "rtfpna":
            caveats = (
                "Index over time within a country (2017 = 1); not comparable across countries in levels."
            )
        rows.append(
            {
                "indicator": var,
                "name_zh": definition,
                "name_en": definition,
                "unit_of_measure": PWT_UNITS.get(var, ""),
                "direction_hint": PWT_DIRECTION.get(var, 0),
                "definition": definition,
                "formula": "",
                "source": PWT_CITATION + f"; variable {var}",
                "caveats": (caveats + " PWT 10.01 ends in 2019.").strip(),
                "gdp_vintage": "PWT 10.01 (ICP 2017)",
            }
        )
    return long, pd.DataFrame(rows), names.rename(columns={"countrycode": "unit", "country": "name_en"})


def _wdi(raw: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[dict]]:
    folder = raw / "wdi_datahub"
    frames, rows, names, sources = [], [], [], []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        code = sub.name
        ind = code.replace(".", "_")
        meta = json.loads((sub / "datapackage.json").read_text(encoding="utf-8"))
        d = pd.read_csv(sub / "data.csv")
        names.append(d[["Country Code", "Country Name"]])
        d = d[~d["Country Code"].isin(WDI_AGGREGATES) & (d["Year"] >= FIRST_YEAR)]
        frames.append(
            pd.DataFrame(
                {"unit": d["Country Code"], "period": d["Year"], "indicator": ind, "value": d["Value"]}
            )
        )
        title = meta.get("title", code)
        rows.append(
            {
                "indicator": ind,
                "name_zh": title,
                "name_en": title,
                "unit_of_measure": WDI_UNITS.get(ind, ""),
                "direction_hint": WDI_DIRECTION.get(ind, 1),
                "definition": (meta.get("readme") or title).strip(),
                "formula": "",
                "source": WDI_CITATION + f"; series {code.upper()}",
                "caveats": WDI_CAVEATS.get(
                    ind, "Values as served by the WDI API at the refresh date; WDI revises back data."
                ),
                "gdp_vintage": "WDI 2026-07 refresh" if "gdp" in ind or ind.endswith("_gd_zs") else "",
            }
        )
        sources.append(
            {"path": f"wdi_datahub/{code}/data.csv", "citation": WDI_CITATION + f"; series {code.upper()}"}
        )
    nm = (
        pd.concat(names)
        .drop_duplicates("Country Code")
        .rename(columns={"Country Code": "unit", "Country Name": "name_en"})
    )
    return pd.concat(frames, ignore_index=True), pd.DataFrame(rows), nm, sources


def _owid(raw: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[dict]]:
    folder = raw / "owid_grapher"
    frames, rows, names, sources = [], [], [], []
    for fname, (ind, zh, en, uom, direction, src, cav) in OWID_FILES.items():
        d = pd.read_csv(folder / fname)
        value_col = d.columns[3]
        d = d[d["Code"].notna() & ~d["Code"].astype(str).str.startswith("OWID_") & (d["Year"] >= FIRST_YEAR)]
        names.append(d[["Code", "Entity"]])
        frames.append(
            pd.DataFrame({"unit": d["Code"], "period": d["Year"], "indicator": ind, "value": d[value_col]})
        )
        cit = f"{OWID_CITATION}, based on {src}; file {fname}"
        rows.append(
            {
                "indicator": ind,
                "name_zh": zh,
                "name_en": en,
                "unit_of_measure": uom,
                "direction_hint": direction,
                "definition": f"{en} (OWID column '{value_col}').",
                "formula": "",
                "source": cit,
                "caveats": cav + " Third-party copy of an OWID download; OWID vintage not recorded.",
                "gdp_vintage": "OWID GDP (PPP)" if ind == "owid_co2_per_gdp" else "",
            }
        )
        sources.append({"path": f"owid_grapher/{fname}", "citation": cit})
    nm = pd.concat(names).drop_duplicates("Code").rename(columns={"Code": "unit", "Entity": "name_en"})
    return pd.concat(frames, ignore_index=True), pd.DataFrame(rows), nm, sources


def build(raw_dir: Path) -> dict:
    """Build the ``world`` dataset from ``raw_dir`` (the shared raw-data folder)."""
    raw = Path(raw_dir)
    pwt, pwt_cat, pwt_names = _pwt(raw)
    wdi, wdi_cat, wdi_names, wdi_src = _wdi(raw)
    owid, owid_cat, owid_names, owid_src = _owid(raw)
    data = pd.concat([pwt, wdi, owid], ignore_index=True)
    data["unit"] = data["unit"].astype(str)
    data["period"] = data["period"].astype("int64")
    data["indicator"] = data["indicator"].astype(str)
    data["value"] = pd.to_numeric(data["value"], errors="raise").astype("float64")
    # Drop all-missing (unit, indicator) series rows only where the whole series is absent? No: keep PWT's
    # explicit gaps; they are the published table's own missing cells.
    dup = data.duplicated(["unit", "period", "indicator"], keep=False)
    if dup.any():
        raise ValueError(f"world: duplicate keys {data[dup].head()}")
    data = data.sort_values(["unit", "period", "indicator"], kind="mergesort").reset_index(drop=True)

    # Units: PWT names first (they are the primary source), then WDI, then OWID.
    names = pd.concat([pwt_names, wdi_names, owid_names]).drop_duplicates("unit")
    names = names[names["unit"].isin(set(data["unit"]))]
    pwt_units = set(pwt_names["unit"])
    units = (
        pd.DataFrame(
            {
                "unit": names["unit"].astype(str),
                "name_zh": [NAME_ZH.get(u, n) for u, n in zip(names["unit"], names["name_en"], strict=True)],
                "name_en": names["name_en"].astype(str),
                "group": [FOCUS.get(u, "other") for u in names["unit"]],
                "in_pwt": [u in pwt_units for u in names["unit"]],
                "iso3166": [u not in NON_ISO_KEPT for u in names["unit"]],
                "name_zh_is_english": [u not in NAME_ZH for u in names["unit"]],
            }
        )
        .sort_values("unit")
        .reset_index(drop=True)
    )

    indicators = pd.concat([pwt_cat, wdi_cat, owid_cat], ignore_index=True)
    indicators["direction_hint"] = indicators["direction_hint"].astype("int64")
    assert set(indicators["indicator"]) == set(data["indicator"]), "catalogue/data mismatch"
    assert np.all(units["unit"].str.fullmatch(r"[A-Z]{3}"))

    sources = [
        {"path": "pwt1001/pwt1001.csv", "citation": PWT_CITATION},
        {"path": "pwt1001/pwt1001_legend.csv", "citation": PWT_CITATION + " (variable labels)"},
        {"path": "pwt1001/pwt1001_flag_codes.csv", "citation": PWT_CITATION + " (flag value labels)"},
        *wdi_src,
        *owid_src,
    ]
    dropped = ", ".join(f"{k} ({v})" for k, v in WDI_AGGREGATES.items())
    notes = (
        f"Penn World Table 10.01 (all {len(pwt_cat)} numeric variables, PWT names kept; flags i_* as numeric codes), "
        f"{len(wdi_cat)} WDI series (ids: WDI code lower-case, dots -> underscores) and {len(owid_cat)} OWID series "
        f"(ids prefixed owid_), {FIRST_YEAR} onward; unit = ISO-3 code. "
        f"Dropped WDI aggregates: {dropped}. Dropped OWID region codes (OWID_*, e.g. OWID_WRL, OWID_CIS, OWID_KOS) and "
        "rows without a code. Kept non-ISO World Bank codes XKX (Kosovo) and CHI (Channel Islands), flagged iso3166=False. "
        "name_zh: a standard Chinese name for the major economies listed in the builder; for every other country "
        "name_zh repeats the English name (flag name_zh_is_english) — no Chinese names were invented. "
        "Indicator name_zh for PWT/WDI series repeats the English label (no official Chinese label in the sources). "
        "PWT 10.01 ends in 2019. PWT 11.0 (pwt110_rounded) is deliberately NOT included: its only available copy "
        "is rounded to Excel display precision (e.g. ctfp, rtfpna, hc, labsh destroyed), see its PROVENANCE.md. "
        "WDI CO2 (en_atm_co2e_*) ends 2014; use owid_co2_per_capita for later years. Gaps are not filled."
    )
    return {
        "data": data,
        "indicators": indicators,
        "units": units,
        "sources": sources,
        "title": "World: Penn World Table 10.01 + WDI + OWID, countries 1990-",
        "notes": notes,
    }
