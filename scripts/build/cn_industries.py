"""Builder of the ``cn_industries`` dataset: CIP 4.0 (2023) China KLEMS growth accounts by industry, 1987-2017.

Interface (fixed): ``build(raw_dir) -> dict`` with keys ``data``, ``indicators``, ``units``, ``sources``, ``title``,
``notes``. Raw folder: ``cip4_china_klems`` (one CSV per worksheet, title rows and headers kept verbatim).

Units: ``CIP01`` … ``CIP37`` (CIP industry code, zero-padded to two digits) and ``TOTAL`` (total economy, as
given in the workbook). Growth rates in sheet 4 are log differences (checked in the build: g(K-stock) equals
Δln of the K-stock index to 1e-12); a growth value for year *t* refers to *t−1 → t*.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

FOLDER = "cip4_china_klems"
CITATION = (
    "Wu, Harry X. et al., China Industrial Productivity (CIP) Database 4.0 (2023), RIETI (Research Institute of "
    "Economy, Trade and Industry, Tokyo); third-party copy from repository 12June/MBTC-KLEMS-CIP4.0, commit c01a6248"
)

# id: (file stem, block (1 = first table, 2 = second stacked table), name_zh, name_en, unit, direction, definition)
SHEET4: dict[str, tuple[str, int, str, str, str, int, str]] = {
    "go_nominal": (
        "4_Nominal_GO",
        1,
        "名义总产出",
        "Nominal gross output",
        "million current yuan",
        1,
        "Gross output at current prices (sheet 4.1.1 Nominal GO).",
    ),
    "w_go": (
        "4_Nominal_GO",
        2,
        "总产出两期平均行业权重",
        "Two-period average industry weight in gross output",
        "share",
        0,
        "Industry share in total gross output, averaged over t-1 and t (sheet 4.1.1, second table).",
    ),
    "ii_nominal": (
        "4_Nominal_II",
        1,
        "名义中间投入",
        "Nominal intermediate inputs",
        "million current yuan",
        0,
        "Intermediate inputs at current prices (sheet 4.1.2 Nominal II).",
    ),
    "w_ii": (
        "4_Nominal_II",
        2,
        "中间投入两期平均行业权重",
        "Two-period average industry weight in intermediate inputs",
        "share",
        0,
        "Industry share in total intermediate inputs, averaged over t-1 and t (sheet 4.1.2, second table).",
    ),
    "va_nominal": (
        "4_Nominal_VA",
        1,
        "名义增加值",
        "Nominal value added",
        "million current yuan",
        1,
        "Value added at current prices (sheet 4.1.3 Nominal VA).",
    ),
    "w_va": (
        "4_Nominal_VA",
        2,
        "增加值两期平均行业权重",
        "Two-period average industry weight in value added",
        "share",
        0,
        "Industry share in total value added, averaged over t-1 and t (sheet 4.1.3, second table).",
    ),
    "g_go": (
        "4_g_GO",
        1,
        "实际总产出增长率",
        "Growth rate of real gross output",
        "log difference",
        1,
        "Sheet 4.1.4 g(GO).",
    ),
    "g_ii": (
        "4_g_II",
        1,
        "实际中间投入增长率",
        "Growth rate of real intermediate inputs",
        "log difference",
        0,
        "Sheet 4.1.5 g(II).",
    ),
    "g_va": (
        "4_g_VA",
        1,
        "实际增加值增长率",
        "Growth rate of real value added",
        "log difference",
        1,
        "Sheet 4.1.6 g(VA).",
    ),
    "kc": (
        "4_KC",
        1,
        "名义资本报酬",
        "Nominal capital compensation",
        "million current yuan",
        0,
        "Sheet 4.2.1 KC.",
    ),
    "k_input_index": (
        "4_g_K_input",
        1,
        "资本投入指数",
        "Capital input (Divisia index)",
        "index, 2000=1",
        1,
        "Sheet 4.2.2 g(K-input), first table.",
    ),
    "g_k_input": (
        "4_g_K_input",
        2,
        "资本投入增长率",
        "Growth rate of capital input",
        "log difference",
        0,
        "Sheet 4.2.2, second table.",
    ),
    "k_stock_index": (
        "4_g_K_stock",
        1,
        "实际净资本存量指数",
        "Real net capital stock index",
        "index, 2000=1",
        1,
        "Sheet 4.2.3 g(K-stock), first table.",
    ),
    "g_k_stock": (
        "4_g_K_stock",
        2,
        "实际净资本存量增长率",
        "Growth rate of real net capital stock",
        "log difference",
        0,
        "Sheet 4.2.3, second table.",
    ),
    "k_quality_index": (
        "4_g_K_quality",
        1,
        "资本质量指数",
        "Capital quality index",
        "index, 2000=1",
        1,
        "Sheet 4.2.4 g(K-quality).",
    ),
    "lc": (
        "4_LC",
        1,
        "名义劳动报酬",
        "Nominal labour compensation",
        "million current yuan",
        0,
        "Sheet 4.3.1 LC.",
    ),
    "l_input_index": (
        "4_g_L_input",
        1,
        "劳动投入指数",
        "Labour input (Divisia index)",
        "index, 2000=1",
        1,
        "Sheet 4.3.2 g(L-input), first table.",
    ),
    "g_l_input": (
        "4_g_L_input",
        2,
        "劳动投入增长率",
        "Growth rate of labour input",
        "log difference",
        0,
        "Sheet 4.3.2, second table.",
    ),
    "hours_index": (
        "4_g_Hours",
        1,
        "工作小时指数",
        "Hours worked index",
        "index, 2000=1",
        0,
        "Sheet 4.3.3 g(Hours), first table.",
    ),
    "g_hours": (
        "4_g_Hours",
        2,
        "工作小时增长率",
        "Growth rate of hours worked",
        "log difference",
        0,
        "Sheet 4.3.3, second table.",
    ),
    "l_quality_index": (
        "4_g_L_quality",
        1,
        "劳动质量指数",
        "Labour quality index",
        "index, 2000=1",
        1,
        "Sheet 4.3.4 g(L-quality).",
    ),
    "cg_ii": (
        "4_Cg_II",
        1,
        "中间投入对总产出增长的贡献",
        "Contribution of intermediate inputs to gross output growth",
        "log points",
        0,
        "Sheet 4.4.1 Cg(II): nominal-share-weighted growth of intermediate inputs.",
    ),
    "cg_k_stock": (
        "4_Cg_K_stock",
        1,
        "资本存量对总产出增长的贡献",
        "Contribution of real net capital stock to gross output growth",
        "log points",
        0,
        "Sheet 4.4.2.",
    ),
    "cg_k_quality": (
        "4_Cg_K_quality",
        1,
        "资本质量对总产出增长的贡献",
        "Contribution of capital quality to gross output growth",
        "log points",
        0,
        "Sheet 4.4.3.",
    ),
    "cg_hours": (
        "4_Cg_Hours",
        1,
        "工作小时对总产出增长的贡献",
        "Contribution of hours worked to gross output growth",
        "log points",
        0,
        "Sheet 4.4.4.",
    ),
    "cg_l_quality": (
        "4_Cg_L_quality",
        1,
        "劳动质量对总产出增长的贡献",
        "Contribution of labour quality to gross output growth",
        "log points",
        0,
        "Sheet 4.4.5.",
    ),
    "tfp_go": (
        "4_TFP_GO_basis",
        1,
        "全要素生产率增长率（总产出口径）",
        "TFP growth, gross-output basis",
        "log points",
        1,
        "Sheet 4.4.6 TFP(GO basis): g(GO) minus the contributions of II, K-stock, K-quality, hours and L-quality.",
    ),
    "cv_k_stock": (
        "4_Cv_K_stock",
        1,
        "资本存量对增加值增长的贡献",
        "Contribution of real net capital stock to value-added growth",
        "log points",
        0,
        "Sheet 4.5.1.",
    ),
    "cv_k_quality": (
        "4_Cv_K_quality",
        1,
        "资本质量对增加值增长的贡献",
        "Contribution of capital quality to value-added growth",
        "log points",
        0,
        "Sheet 4.5.2.",
    ),
    "cv_hours": (
        "4_Cv_hours",
        1,
        "工作小时对增加值增长的贡献",
        "Contribution of hours worked to value-added growth",
        "log points",
        0,
        "Sheet 4.5.3.",
    ),
    "cv_l_quality": (
        "4_Cv_L_quality",
        1,
        "劳动质量对增加值增长的贡献",
        "Contribution of labour quality to value-added growth",
        "log points",
        0,
        "Sheet 4.5.4.",
    ),
    "tfp_va": (
        "4_TFP_VA_basis",
        1,
        "全要素生产率增长率（增加值口径）",
        "TFP growth, value-added basis",
        "log points",
        1,
        "Sheet 4.5.5 TFP(VA basis): g(VA) minus the contributions of K-stock, K-quality, hours and L-quality "
        "(identical to sheet 4.6.4 TFP(LP), which is therefore not repeated).",
    ),
    "g_lp": (
        "4_g_LP",
        1,
        "劳动生产率增长率",
        "Growth rate of labour productivity (real VA per hour)",
        "log difference",
        1,
        "Sheet 4.6.1 g(LP).",
    ),
    "cl_kl": (
        "4_Cl_KL",
        1,
        "资本深化对劳动生产率增长的贡献",
        "Contribution of capital input per hour (capital deepening)",
        "log points",
        0,
        "Sheet 4.6.2 Cl(KL). Sheet 4.6.3 Cl(L-quality) is identical to cv_l_quality and not repeated.",
    ),
}
# Sheets 1-3 (no Total row in the workbook).
OTHER: dict[str, tuple[str, str, str, str, int, str]] = {
    "ppi": (
        "1.6_Sheet1",
        "生产者价格指数（上年=100）",
        "Producer price index (previous year = 100)",
        "index, previous year=100",
        0,
        "Sheet 1.6.",
    ),
    "investment": ("2.1_Sheet1", "投资", "Investment", "million current yuan", 0, "Sheet 2.1."),
    "capital_stock": (
        "2.2_Sheet1",
        "资本存量（2000年价）",
        "Capital stock",
        "million 2000 yuan",
        0,
        "Sheet 2.2.",
    ),
    "employment": ("3.1_Sheet1", "就业人数", "Numbers employed", "thousand persons", 0, "Sheet 3.1."),
    "hours": ("3.2_Sheet1", "工作小时", "Hours worked", "million hours", 0, "Sheet 3.2."),
}

ICT_PRODUCING = {"CIP21": "core", "CIP30": "core", "CIP22": "partial"}


def _num(cell: str) -> float:
    cell = cell.strip()
    return float(cell) if cell else np.nan


def _parse_sheet4(path: Path, block: int) -> pd.DataFrame:
    rows = list(csv.reader(path.open(encoding="utf-8")))
    header = rows[2]
    if header[0] != "CIP code" or header[2] != "1987":
        raise ValueError(f"{path.name}: unexpected header {header[:4]}")
    years = [int(y) for y in header[2:]]
    blocks: list[list[list[str]]] = [[]]
    for r in rows[3:]:
        if not any(c.strip() for c in r):
            blocks.append([])
            continue
        if r[1].strip() == "" and r[0].strip() and not r[0].strip().isdigit():
            continue  # title row of a stacked table
        blocks[-1].append(r)
    blocks = [b for b in blocks if b]
    table = blocks[block - 1]
    if len(table) != 38 or table[0][1].strip() != "Total":
        raise ValueError(
            f"{path.name} block {block}: expected Total + 37 industries, found {len(table)} rows"
        )
    recs = []
    for r in table:
        code = "TOTAL" if r[1].strip() == "Total" else f"CIP{int(r[0]):02d}"
        for y, c in zip(years, r[2:], strict=False):
            recs.append((code, y, _num(c)))
    return pd.DataFrame(recs, columns=["unit", "period", "value"])


def _parse_other(path: Path) -> pd.DataFrame:
    rows = list(csv.reader(path.open(encoding="utf-8")))
    header = rows[2]
    first = next(i for i, h in enumerate(header) if h.strip() == "1987")
    years = [int(h) for h in header[first:] if h.strip()]
    recs = []
    for r in rows[3:]:
        if not r or not r[0].strip().isdigit():
            continue
        code = f"CIP{int(r[0]):02d}"
        for y, c in zip(years, r[first : first + len(years)], strict=True):
            recs.append((code, y, _num(c)))
    out = pd.DataFrame(recs, columns=["unit", "period", "value"])
    if out["unit"].nunique() != 37:
        raise ValueError(f"{path.name}: expected 37 industries, found {out['unit'].nunique()}")
    return out


def build(raw_dir: Path) -> dict:
    """Build ``cn_industries`` from ``raw_dir / cip4_china_klems``."""
    folder = Path(raw_dir) / FOLDER
    frames, cat, sources = [], [], {}
    for ind, (stem, block, zh, en, uom, direction, definition) in SHEET4.items():
        fname = f"CIP4.0_2023_{stem}.csv"
        d = _parse_sheet4(folder / fname, block).assign(indicator=ind)
        frames.append(d)
        cat.append(
            {
                "indicator": ind,
                "name_zh": zh,
                "name_en": en,
                "unit_of_measure": uom,
                "direction_hint": direction,
                "definition": definition
                + (
                    " Value for year t refers to the change t-1 -> t."
                    if uom in ("log difference", "log points")
                    else ""
                ),
                "formula": "",
                "source": f"{CITATION}; file {fname}",
                "caveats": "Third-party copy, not checked against the RIETI originals; CIP ends in 2017.",
                "gdp_vintage": "CIP 4.0 (2023) national accounts reconstruction",
            }
        )
        sources[fname] = CITATION
    for ind, (stem, zh, en, uom, direction, definition) in OTHER.items():
        fname = f"CIP4.0_2023_{stem}.csv"
        frames.append(_parse_other(folder / fname).assign(indicator=ind))
        cat.append(
            {
                "indicator": ind,
                "name_zh": zh,
                "name_en": en,
                "unit_of_measure": uom,
                "direction_hint": direction,
                "definition": definition + " No total-economy row in this sheet.",
                "formula": "",
                "source": f"{CITATION}; file {fname}",
                "caveats": "Third-party copy, not checked against the RIETI originals; CIP ends in 2017.",
                "gdp_vintage": "",
            }
        )
        sources[fname] = CITATION
    data = pd.concat(frames, ignore_index=True)[["unit", "period", "indicator", "value"]]
    data["period"] = data["period"].astype("int64")
    data["value"] = data["value"].astype("float64")
    # Self-checks on the workbook's conventions (fail the build if they do not hold).
    w = data.pivot_table(index=["unit", "period"], columns="indicator", values="value")
    dk = np.log(w["k_stock_index"]).groupby(level=0).diff()
    gap = (dk - w["g_k_stock"]).abs().max()
    if not gap < 1e-9:
        raise ValueError(
            f"cn_industries: g_k_stock is not the log difference of k_stock_index (max gap {gap})"
        )
    tot = w.xs("TOTAL", level=0)
    va_sum = w.drop(index="TOTAL", level=0)["va_nominal"].groupby(level=1).sum()
    if not np.allclose(va_sum, tot["va_nominal"], rtol=1e-9):
        raise ValueError("cn_industries: industry value added does not sum to the total")
    cat.append(
        {
            "indicator": "domar_weight",
            "name_zh": "Domar权重（两期平均）",
            "name_en": "Domar weight (two-period average)",
            "unit_of_measure": "ratio",
            "direction_hint": 0,
            "definition": "Industry gross output over aggregate value added, averaged over t-1 and t (Domar 1961; Hulten 1978).",
            "formula": "0.5*(go_nominal[j,t]/va_nominal[TOTAL,t] + go_nominal[j,t-1]/va_nominal[TOTAL,t-1])",
            "source": f"Derived from {CITATION}",
            "caveats": "Sum over industries exceeds 1 (intermediate flows).",
            "gdp_vintage": "CIP 4.0 (2023)",
        }
    )
    go = w["go_nominal"].drop(index="TOTAL", level=0)
    ratio = go / tot["va_nominal"].reindex(go.index.get_level_values(1)).values
    dw = (ratio + ratio.groupby(level=0).shift(1)) / 2
    dom = dw.rename("value").reset_index().assign(indicator="domar_weight")
    data = pd.concat([data, dom[["unit", "period", "indicator", "value"]]], ignore_index=True)
    data = data.sort_values(["unit", "period", "indicator"], kind="mergesort").reset_index(drop=True)

    conc = pd.read_csv(folder / "CIP4.0_2023_5_Sheet1.csv")
    units = pd.DataFrame(
        {
            "unit": [f"CIP{int(c):02d}" for c in conc["CIP Code"]],
            "name_zh": conc["CIP Sector Description"].str.strip(),
            "name_en": conc["CIP Sector Description"].str.strip(),
            "group": [
                "ICT-producing"
                if f"CIP{int(c):02d}" in ("CIP21", "CIP30")
                else ("ICT-producing (partial)" if int(c) == 22 else "other")
                for c in conc["CIP Code"]
            ],
            "acronym": conc["Sector Acronym"].str.strip(),
            "eu_klems": conc["EU-KLEMS"].astype(str).str.strip(),
            "cn_national_accounts": conc["China National Accounts Code"].astype(str).str.strip(),
            "csic_2011": conc["CSIC/2011"].astype(str).str.strip(),
        }
    )
    units = pd.concat(
        [
            pd.DataFrame(
                [
                    {
                        "unit": "TOTAL",
                        "name_zh": "全部行业（总体经济）",
                        "name_en": "Total economy",
                        "group": "total",
                        "acronym": "TOT",
                        "eu_klems": "TOT",
                        "cn_national_accounts": "",
                        "csic_2011": "",
                    }
                ]
            ),
            units,
        ],
        ignore_index=True,
    )
    sources["CIP4.0_2023_5_Sheet1.csv"] = CITATION + " (industry concordance)"
    notes = (
        "CIP 4.0 (2023) China growth accounts (sheet 4) plus PPI, investment, capital stock, employment and hours "
        "(sheets 1.6, 2.1, 2.2, 3.1, 3.2), 37 CIP industries and the total economy, 1987-2017. Unit codes CIP01..CIP37 "
        "(zero-padded) and TOTAL. Growth rates and contributions are log differences as published (checked). "
        "ICT-producing industries: CIP21 (electronic and telecommunication equipment) and CIP30 (information and "
        "computer services); CIP22 (instruments and office equipment) partly. CIP has no ICT/non-ICT capital split. "
        "Industry name_zh repeats the English description (the workbook gives no Chinese names). Not included: "
        "sheet 1.1 input-output tables, sheets 1.2/1.3/1.4 (same concepts as the sheet-4 nominal series), sheets "
        "2.3/3.3 (input indices repeated in sheet 4), the duplicate sheets TFP(LP) and Cl(L-quality). "
        "Derived: domar_weight (formula in the catalogue). Ends in 2017; no figures for later years."
    )
    return {
        "data": data,
        "indicators": pd.DataFrame(cat),
        "units": units,
        "sources": [{"path": f"{FOLDER}/{k}", "citation": v} for k, v in sources.items()],
        "title": "China industries: CIP 4.0 (China KLEMS) growth accounts, 37 industries, 1987-2017",
        "notes": notes,
    }
