"""Build the ``cn_cities`` dataset: China's prefecture-level cities (and the four municipalities), 2000–2023.

Sources (``../shared/data/raw``; read each ``PROVENANCE.md``): ``gp_city_panels`` (GDP and three sectors, GDP
index, FDI, loans/deposits, resident population, land area, CEADs city CO2) and ``wiebe_prefecture_ceic``
(CEIC GDP, registered population, budget revenue, SO2, PM2.5).

Units are GB/T 2260 codes. Where the compiler used a superseded code for the *same territory* (地区 → 市
conversions, 儋州's county-level code) the rows are re-coded to the current code (:data:`RECODE`); abolished
or merged units (巢湖 2011, 莱芜 2019) keep their own code and end in the year before the change; the cities
that absorbed their territory carry a territorial break (:data:`TERRITORY_BREAKS`).

Every series carries machine-readable break flags in the catalogue column ``breaks`` (``"YEAR:kind"`` entries
separated by ``;`` — the value in YEAR is not comparable with YEAR−1 — or ``"all:kind"``: no two years are
comparable). Derived series inherit the breaks of their inputs. ``nqpf.analysis.levels.growth`` reads them and
refuses a growth rate across any break (also across a unit's territorial break, units column
``territory_breaks``). Gaps stay gaps; only the documented unit conversions are applied.
"""

from __future__ import annotations

import ast
import operator
import re
from pathlib import Path

import numpy as np
import pandas as pd

YEARS = list(range(2000, 2024))

SRC = {
    "sect": "gp_city_panels/city_gdp_sectors_2000_2023_long.csv",
    "gidx": "gp_city_panels/city_gdp_index_2000_2023_long.csv",
    "fdi": "gp_city_panels/city_fdi_1996_2023_long.csv",
    "fin": "gp_city_panels/city_loans_deposits_2003_2023_long.csv",
    "pop": "gp_city_panels/city_population_resident_landarea_1998_2024_long.csv",
    "co2": "gp_city_panels/ceads_city_co2_1997_2019_long.csv",
    "ceic": "wiebe_prefecture_ceic/prefecture_ceic_so2_pm25_long.csv",
    "ref": "province_reference/province_reference.csv",
}

_GP = (
    "secondary compilation (Taobao shop 行行文库) of 中国城市统计年鉴, provincial statistical yearbooks and city "
    "statistical bulletins, via repository biechouwo-coder/G-P (commit 620eba99; no licence)"
)
CITE = {
    "sect": "各省市统计年鉴、国民经济和社会发展统计公报 — " + _GP,
    "gidx": "中国城市统计年鉴 / provincial yearbooks (地区生产总值指数) — " + _GP,
    "fdi": "city statistical bureaus (实际使用外商直接投资; bureau named per row) — " + _GP,
    "fin": "中国城市统计年鉴 (年末金融机构各项贷款/存款余额) — " + _GP,
    "pop": "中国城市统计年鉴, provincial yearbooks, statistical bulletins (常住人口; 行政区域土地面积) — "
    + _GP,
    "co2": "CEADs city CO2 inventories (ceads.net/data/city; Shan et al. 2017 J. Clean. Prod.; Shan et al. 2018 "
    "Sci. Adv. 4:eaaq0390; Shan et al. 2019 Sci. Data 6:190027; Shan et al. 2022 Sci. Bull., "
    "doi:10.1016/j.scib.2022.08.024 — as cited in the workbook's NOTE sheet), redistributed in biechouwo-coder/G-P",
    "ceic": "CEIC China Premium Database, prefecture tables (republishing 中国城市统计年鉴 / local bulletins), "
    "via the replication package of M. Wiebe, 'Does meritocratic promotion explain China's growth?' "
    "(repository maswiebe/meritocratic_promotion, commit bc82d115; no licence)",
    "ref": "GB/T 2260 province codes; NBS four-region division (国家统计局《东西中部和东北地区划分方法》, 2011)",
}

# ---- administrative changes -------------------------------------------------------------------------------
# superseded code (same territory) -> current GB/T 2260 code
RECODE = {
    "542400": "540600",  # 那曲地区 -> 那曲市
    "652200": "650500",  # 哈密地区 -> 哈密市
    "652100": "650400",  # 吐鲁番地区/市 (compiler kept the prefecture-era code) -> 吐鲁番市
    "469003": "460400",  # 儋州市 (county-level code) -> 地级儋州市
}
# code -> (zh, en) description of the change
ADMIN_CHANGES = {
    "341400": (
        "2011年撤销地级巢湖市，辖区分别划归合肥市、芜湖市、马鞍山市；本数据止于2010年。",
        "Prefecture-level Chaohu abolished in 2011; its territory went to Hefei, Wuhu and Ma'anshan. Data end 2010.",
    ),
    "371200": (
        "2019年撤销地级莱芜市，所辖区域划归济南市；本数据止于2018年。",
        "Prefecture-level Laiwu abolished in 2019 and merged into Jinan. Data end 2018.",
    ),
    "340100": (
        "2011年并入原巢湖市部分辖区（领土断点2011）。",
        "Received part of abolished Chaohu in 2011 (territorial break 2011).",
    ),
    "340200": (
        "2011年并入原巢湖市部分辖区（领土断点2011）。",
        "Received part of abolished Chaohu in 2011 (territorial break 2011).",
    ),
    "340500": (
        "2011年并入原巢湖市部分辖区（领土断点2011）。",
        "Received part of abolished Chaohu in 2011 (territorial break 2011).",
    ),
    "370100": ("2019年并入原莱芜市（领土断点2019）。", "Absorbed Laiwu in 2019 (territorial break 2019)."),
    "540600": (
        "2017年撤销那曲地区设立地级那曲市（辖区不变）；原代码542400的数据已并入本代码。",
        "Narqu prefecture (地区, code 542400) converted to a prefecture-level city in 2017, same territory; "
        "rows under 542400 re-coded here.",
    ),
    "650500": (
        "2016年撤销哈密地区设立地级哈密市（辖区不变）；原代码652200的数据已并入本代码。",
        "Hami prefecture (地区, code 652200) converted to a prefecture-level city in 2016, same territory; "
        "rows under 652200 re-coded here.",
    ),
    "650400": (
        "2015年撤销吐鲁番地区设立地级吐鲁番市（辖区不变）；原代码652100的数据已并入本代码。",
        "Turpan prefecture (地区, code 652100) converted to a prefecture-level city in 2015, same territory; "
        "rows under 652100 re-coded here.",
    ),
    "460400": (
        "2015年儋州市升格为地级市（辖区不变）；原县级代码469003的数据已并入本代码。",
        "Danzhou raised from county-level (code 469003) to a prefecture-level city in 2015, same territory; "
        "rows under 469003 re-coded here.",
    ),
    "460300": ("2012年设立地级三沙市。", "Prefecture-level Sansha established in 2012."),
    "640500": ("2004年设立地级中卫市。", "Prefecture-level Zhongwei established in 2004."),
}
ABOLISHED = {"341400": 2011, "371200": 2019}  # first year in which the unit no longer exists
TERRITORY_BREAKS = {"340100": [2011], "340200": [2011], "340500": [2011], "370100": [2019]}
NAME_EN_EXTRA = {"460400": "Danzhou", "654100": "Ili", "460300": "Sansha"}  # units without a pinyin in CEIC

LEVEL_EN = {"直辖市": "municipality", "副省级市": "sub-provincial city", "地级市": "prefecture-level unit"}

# ---- vintages and breaks ----------------------------------------------------------------------------------
V_GP = (
    "mixed: 2000-2018 later revisions (depth varies by city; e.g. Beijing 2018 = 33,106.0 post-census revision, "
    "Tianjin 2018 = 18,809.64 first-published), 2019-2022 first-published (= NBS first release for the four "
    "municipalities), 2023 unverified"
)
B_GP = "2019:vintage;2023:vintage"
V_CEIC = "mixed: CEIC 'latest available when extracted' (2019 first-published; earlier years later revisions)"
B_CEIC = "all:vintage"

WAN_TO_YI = 1e-4


def R(
    id_,
    src,
    var,
    name_zh,
    name_en,
    unit,
    direction,
    definition,
    *,
    scale=1.0,
    caveats="",
    vintage="",
    breaks="",
):
    """Declare one raw series read from ``SRC[src]`` (variable ``var``), multiplied by ``scale``."""
    return dict(
        id=id_, src=src, var=var, name_zh=name_zh, name_en=name_en, unit=unit, direction=direction,
        definition=definition, scale=scale, caveats=caveats, vintage=vintage, breaks=breaks,
    )  # fmt: skip


def D(id_, formula, name_zh, name_en, unit, direction, definition, *, caveats="", vintage=""):
    """Declare one derived series; ``formula`` is evaluated over indicator ids of the same unit-year."""
    return dict(
        id=id_, formula=formula, name_zh=name_zh, name_en=name_en, unit=unit, direction=direction,
        definition=definition, caveats=caveats, vintage=vintage,
    )  # fmt: skip


SECTOR_CAVEAT = (
    "va_primary + va_secondary + va_tertiary equals gdp_nominal within 0.5 % for 98.6 % of city-years; a few "
    "city-years are off by > 5 % (e.g. 韶关 2011-2014, 珠海 2012-2014), kept as published."
)
RAW: list[dict] = [
    R("gdp_nominal", "sect", "gdp_nominal", "地区生产总值", "Gross regional product (GDP)", "亿元", 0,
      "GDP at current prices of the whole city (全市), yearbook value.", vintage=V_GP, breaks=B_GP,
      caveats="City sums differ from provincial totals by a few per cent (see nqpf.analysis.levels."
      "aggregation_check)."),
    R("va_primary", "sect", "va_primary", "第一产业增加值", "Value added, primary sector", "亿元", 0,
      "Primary-sector value added at current prices.", vintage=V_GP, breaks=B_GP, caveats=SECTOR_CAVEAT),
    R("va_secondary", "sect", "va_secondary", "第二产业增加值", "Value added, secondary sector", "亿元", 0,
      "Secondary-sector value added at current prices.", vintage=V_GP, breaks=B_GP, caveats=SECTOR_CAVEAT),
    R("va_tertiary", "sect", "va_tertiary", "第三产业增加值", "Value added, tertiary sector", "亿元", 0,
      "Tertiary-sector value added at current prices.", vintage=V_GP, breaks=B_GP, caveats=SECTOR_CAVEAT),
    R("gdp_index_prev_year_eq100", "gidx", "gdp_index_prev_year_eq100", "地区生产总值指数(上年=100)",
      "GDP volume index (previous year = 100)", "上年=100", 1,
      "Real GDP growth index at comparable prices as published by the statistical bureau (within one vintage "
      "per year, so it can be used for growth where the nominal series has vintage breaks)."),
    R("fdi_actually_used", "fdi", "fdi_actually_used", "实际使用外商直接投资", "FDI actually used", "百万美元", 1,
      "Foreign direct investment actually used (实际使用外资), US$ million, as reported by the city bureau.",
      caveats="Definitions differ between city bureaus and years (some include non-FDI foreign capital); "
      "2021-2023 coverage thin (26 cities in 2023); values stored as single-precision floats in the source "
      "(0.140000000596046 = 0.14). 哈密 rows (name with zero-width characters) joined to 650500."),
    R("loans_outstanding", "fin", "loans_outstanding", "年末金融机构各项贷款余额", "Loans outstanding, year end",
      "亿元", 0, "Loans of financial institutions outstanding at year end (source 万元 / 10^4).",
      scale=WAN_TO_YI, caveats="Source file name says 236 values missing."),
    R("deposits_outstanding", "fin", "deposits_outstanding", "年末金融机构各项存款余额",
      "Deposits outstanding, year end", "亿元", 0,
      "Deposits in financial institutions outstanding at year end (source 万元 / 10^4).", scale=WAN_TO_YI),
    R("population_resident", "pop", "population_resident", "常住人口", "Resident population", "万人", 0,
      "Resident (常住) population; raw column only (the compiler's interpolated column was not used).",
      caveats="1,087 raw cells empty in the source and empty here."),
    R("land_area_km2", "pop", "land_area_km2", "行政区域土地面积", "Land area of the administrative region",
      "km²", 0, "Land area of the whole city (中国城市统计年鉴).",
      caveats="The compiler filled missing areas with the 2019 area; territorial changes (巢湖 2011, 莱芜 2019) "
      "may therefore not show in the area series."),
    R("co2_ceads", "co2", "co2_emissions_ceads", "二氧化碳排放(CEADs城市清单)", "CO2 emissions (CEADs city inventory)",
      "Mt", -1, "CEADs city-level CO2 inventory, 290 cities 1997-2019 (unbalanced).",
      caveats="City inventory scope differs from CEADs provincial apparent emissions (Beijing 2015 92.8 vs "
      "83.4 Mt): never add city values to compare with provincial CO2. Joined to codes by the "
      "'province+city' name given in the source."),
    R("gdp_nominal_ceic", "ceic", "gdp_nominal", "地区生产总值(CEIC)", "GDP, CEIC extract", "亿元", 0,
      "City GDP at current prices from CEIC; a second, independently extracted vintage.", vintage=V_CEIC,
      breaks=B_CEIC, caveats="Identical to gdp_nominal within 0.1 % for 71-87 % of city-years; 2019 only "
      "~11 cities. Levels only: the year-to-year vintage is undocumented, so no growth rate."),
    R("population_registered", "ceic", "population_year_end_ceic", "年末户籍人口(CEIC)",
      "Registered population, year end (CEIC)", "万人", 0,
      "Year-end population, registered (户籍) concept for most cities (Shenzhen 2015 = 355).",
      caveats="Not resident population; 2018 coverage thin (235 cities)."),
    R("budget_revenue", "ceic", "local_general_budget_revenue", "地方一般公共预算收入", "Local general budget revenue",
      "亿元", 0, "Local general public budget revenue (source 万元 / 10^4).", scale=WAN_TO_YI),
    R("so2_emissions", "ceic", "so2_emissions_ceic", "二氧化硫排放量", "SO2 emissions", "万吨", -1,
      "SO2 emissions (source 千吨 / 10 = 万吨).", scale=0.1, breaks="2016:definition",
      caveats="Industrial SO2 to 2015 (= provincial industrial SO2 for the municipalities); from 2016 total "
      "SO2 (scope change of the yearbook): never compare across 2015/2016. 2018 coverage thin."),
    R("pm25_mean", "ceic", "pm25_mean", "PM2.5年均浓度(卫星反演)", "PM2.5 annual mean concentration (satellite)",
      "μg/m³", -1, "Prefecture mean of a gridded satellite PM2.5 product, 1998-2016.",
      caveats="Source product not named in the repository (likely van Donkelaar et al./ACAG; unverified). The "
      "four municipalities are given as district sub-units (1101, 1102, ...) and are missing here."),
]  # fmt: skip

DERIVED: list[dict] = [
    D("gdp_per_capita", "gdp_nominal / population_resident * 10000", "人均地区生产总值", "GDP per capita", "元/人", 1,
      "GDP over resident population.", vintage=V_GP),
    D("va_primary_share", "va_primary / gdp_nominal * 100", "第一产业增加值占GDP比重", "Primary sector share of GDP",
      "%", -1, "Primary value added over GDP.", vintage=V_GP, caveats=SECTOR_CAVEAT),
    D("va_secondary_share", "va_secondary / gdp_nominal * 100", "第二产业增加值占GDP比重",
      "Secondary sector share of GDP", "%", 0, "Secondary value added over GDP.", vintage=V_GP,
      caveats=SECTOR_CAVEAT),
    D("va_tertiary_share", "va_tertiary / gdp_nominal * 100", "第三产业增加值占GDP比重", "Tertiary sector share of GDP",
      "%", 1, "Tertiary value added over GDP.", vintage=V_GP, caveats=SECTOR_CAVEAT),
    D("tertiary_secondary_ratio", "va_tertiary / va_secondary", "产业结构高级化(第三产业/第二产业)",
      "Structural upgrading: tertiary / secondary value added", "ratio", 1,
      "Ratio of tertiary to secondary value added (干春晖、郑若谷、余典范 2011, 经济研究 2011(5) 'TS').",
      vintage=V_GP),
    D("gdp_real_growth", "gdp_index_prev_year_eq100 - 100", "地区生产总值实际增长率", "Real GDP growth", "%", 1,
      "Real growth from the published volume index (previous year = 100)."),
    D("fdi_per_capita", "fdi_actually_used / population_resident * 100", "人均实际使用外商直接投资", "FDI per capita",
      "美元/人", 1, "FDI actually used (US$) over resident population. FDI/GDP is not computed: no yuan/dollar "
      "exchange-rate series is in the raw data."),
    D("loans_to_gdp", "loans_outstanding / gdp_nominal * 100", "贷款余额占GDP比重", "Loans outstanding / GDP", "%", 1,
      "Year-end loans over GDP (both gdp_nominal of the sector file, not the finance file's own GDP).",
      vintage=V_GP),
    D("deposits_to_gdp", "deposits_outstanding / gdp_nominal * 100", "存款余额占GDP比重", "Deposits outstanding / GDP",
      "%", 1, "Year-end deposits over GDP.", vintage=V_GP),
    D("financial_depth", "(loans_outstanding + deposits_outstanding) / gdp_nominal * 100", "金融深度(存贷款余额/GDP)",
      "Financial depth: (loans + deposits) / GDP", "%", 1, "Loans plus deposits over GDP.", vintage=V_GP),
    D("loan_deposit_ratio", "loans_outstanding / deposits_outstanding * 100", "存贷比", "Loan-to-deposit ratio", "%",
      0, "Loans over deposits (financial intermediation efficiency; no normative direction)."),
    D("co2_per_gdp", "co2_ceads / gdp_nominal * 100", "单位GDP二氧化碳排放", "CO2 per unit of GDP", "吨/万元", -1,
      "CEADs CO2 (Mt × 10^6 t) over GDP (亿元 × 10^4 万元).", vintage=V_GP),
    D("co2_per_capita", "co2_ceads / population_resident * 100", "人均二氧化碳排放", "CO2 per capita", "吨/人", -1,
      "CEADs CO2 (Mt) over resident population (万人)."),
    D("so2_per_gdp", "so2_emissions / gdp_nominal * 1000", "单位GDP二氧化硫排放", "SO2 per unit of GDP", "千克/万元",
      -1, "SO2 (万吨 × 10^7 kg) over GDP (亿元 × 10^4 万元).", vintage=V_GP,
      caveats="SO2 definition break 2016 (industrial -> total)."),
    D("population_density", "population_resident / land_area_km2 * 10000", "人口密度(常住)", "Population density",
      "人/km²", 0, "Resident population over land area."),
    D("gdp_per_km2", "gdp_nominal / land_area_km2 * 10000", "地均地区生产总值", "GDP per km² of land", "万元/km²", 1,
      "GDP over land area (economic density).", vintage=V_GP),
    D("budget_revenue_to_gdp", "budget_revenue / gdp_nominal_ceic * 100", "一般公共预算收入占GDP比重",
      "Budget revenue / GDP (CEIC)", "%", 0, "Local general budget revenue over the CEIC GDP of the same "
      "extraction (both CEIC).", vintage=V_CEIC),
]  # fmt: skip

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def evaluate(formula: str, wide: pd.DataFrame) -> pd.Series:
    """Evaluate ``formula`` (+ - * /, numbers, parentheses, indicator ids) column-wise; x/0 gives NaN."""

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            a, b = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Div):
                b = b.where(b != 0) if isinstance(b, pd.Series) else (np.nan if b == 0 else b)
            return _BINOPS[type(node.op)](a, b)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in wide.columns:
                raise KeyError(f"formula {formula!r} names unknown indicator {node.id!r}")
            return wide[node.id]
        raise ValueError(f"unsupported expression in formula {formula!r}")

    return ev(ast.parse(formula, mode="eval")).astype("float64")


SIG_DIGITS = 8


def round_sig(s: pd.Series, digits: int = SIG_DIGITS) -> pd.Series:
    """Round to ``digits`` significant digits (derived ratios only; sources carry at most 6-7 digits), so the
    embedded file stays small; the build stays deterministic and the CSV round trip exact."""
    vals = [float(f"{v:.{digits}g}") if np.isfinite(v) else np.nan for v in s.to_numpy()]
    return pd.Series(vals, index=s.index, dtype="float64")


def formula_inputs(formula: str) -> list[str]:
    return sorted({n.id for n in ast.walk(ast.parse(formula, mode="eval")) if isinstance(n, ast.Name)})


def merge_breaks(*specs: str) -> str:
    """Union of break specs ``"YEAR:kind;..."`` (``all:kind`` dominates), deterministic order."""
    items: set[tuple[str, str]] = set()
    for s in specs:
        for part in filter(None, (p.strip() for p in s.split(";"))):
            y, k = part.split(":")
            items.add((y, k))
    if any(y == "all" for y, _ in items):
        return ";".join(f"all:{k}" for k in sorted({k for y, k in items if y == "all"}))
    return ";".join(f"{y}:{k}" for y, k in sorted(items, key=lambda t: (int(t[0]), t[1])))


_ZW = re.compile("[\u200b\u200c\u200d\ufeff]")


def _prov_short(full: str) -> str:
    for suf in ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"):
        if full.endswith(suf):
            return full[: -len(suf)]
    return full


def _co2_codes(co2: pd.DataFrame, units: pd.DataFrame, log: list[str]) -> pd.Series:
    """Map CEADs names ('北京', '安徽安庆', '内蒙古锡林郭勒') to unit codes via province short name + name prefix."""
    out = {}
    by_prov: dict[str, list[tuple[str, str]]] = {}
    for r in units.itertuples():
        by_prov.setdefault(r.province_short, []).append((r.unit, r.name_zh))
    for name in sorted(co2["city_as_given"].unique()):
        cands = []
        for ps, lst in by_prov.items():
            if not name.startswith(ps):
                continue
            rest = name[len(ps) :]
            for stem in dict.fromkeys(
                [rest, re.sub("(州|地区)$", "", rest)]
            ):  # '恩施州' -> 恩施土家族苗族自治州
                for code, nz in lst:
                    if (stem == "" and code.endswith("0000")) or (stem and nz.startswith(stem)):
                        cands.append(code)
                if cands:
                    break
        cands = sorted(set(cands))
        if len(cands) == 1:
            out[name] = cands[0]
        else:
            log.append(f"co2_ceads: name {name!r} matched {len(cands)} units {cands}; rows dropped.")
    return pd.Series(out, dtype=str)


def build(raw_dir: Path) -> dict:
    raw_dir = Path(raw_dir)
    log: list[str] = []
    read = {
        k: pd.read_csv(raw_dir / p, dtype={"city_code6": str, "province_code": str}) for k, p in SRC.items()
    }

    # ---- units ------------------------------------------------------------------------------------------
    named = pd.concat(  # names as of the latest year in any gp file; city type from the sector file
        [read[k][["city_code6", "city", "year"]].assign(src=k) for k in ("sect", "gidx", "fin", "pop")]
    )
    named["city_code6"] = named["city_code6"].replace(RECODE)
    named = named.sort_values(["city_code6", "year", "src"], kind="mergesort")
    last = named.groupby("city_code6").tail(1).set_index("city_code6")
    ctype = read["sect"].assign(city_code6=read["sect"]["city_code6"].replace(RECODE))
    ctype = ctype.sort_values("year", kind="mergesort").groupby("city_code6")["city_type"].last()
    ref = read["ref"].set_index("province_code")
    ceic = read["ceic"].copy()
    ceic["city_code6"] = ceic["city_code6"].replace(RECODE)
    pinyin = ceic.dropna(subset=["prefecture_pinyin"]).drop_duplicates("city_code6").set_index("city_code6")
    rows = []
    for code, r in last.sort_index().iterrows():
        prov = code[:2] + "0000"
        if prov not in ref.index:
            raise ValueError(f"cn_cities: unit {code} has no province {prov} in province_reference")
        en = pinyin["prefecture_pinyin"].get(code, NAME_EN_EXTRA.get(code, ""))
        if not isinstance(en, str) or not en:
            raise ValueError(
                f"cn_cities: no English name for unit {code} ({r['city']}); add it to NAME_EN_EXTRA"
            )
        ch = ADMIN_CHANGES.get(code, ("", ""))
        rows.append(
            dict(
                unit=code,
                name_zh=r["city"],
                name_en=en,
                group=prov,
                province=prov,
                province_zh=ref.loc[prov, "province"],
                province_en=ref.loc[prov, "province_en"],
                province_short=_prov_short(ref.loc[prov, "province_full"]),
                region4=ref.loc[prov, "region4_nbs"],
                level=LEVEL_EN[ctype.get(code, "地级市")],
                level_zh=ctype.get(code, "地级市"),
                former_codes=",".join(sorted(k for k, v in RECODE.items() if v == code)),
                abolished_from=str(ABOLISHED.get(code, "")),
                territory_breaks=",".join(map(str, TERRITORY_BREAKS.get(code, []))),
                admin_change_zh=ch[0],
                admin_change_en=ch[1],
            )
        )
    units_df = pd.DataFrame(rows)
    # province-level units in the CEIC file by district code, or county-level units: not prefectures
    codes = set(units_df["unit"])

    # ---- raw series ---------------------------------------------------------------------------------------
    fdi = read["fdi"].copy()
    fdi["city_as_given"] = fdi["city_as_given"].map(lambda s: _ZW.sub("", s))
    fdi.loc[fdi["city_code6"].isna() & (fdi["city_as_given"] == "哈密"), "city_code6"] = "650500"
    read["fdi"] = fdi[fdi["city_code6"].notna()]
    co2 = read["co2"].copy()
    cmap = _co2_codes(co2, units_df, log)
    co2["city_code6"] = co2["city_as_given"].map(cmap)
    read["co2"] = co2[co2["city_code6"].notna()]
    read["ceic"] = ceic

    index = pd.MultiIndex.from_product([sorted(codes), YEARS], names=["unit", "period"])
    cols: dict[str, pd.Series] = {}
    cat_rows = []
    breaks: dict[str, str] = {}
    cites: dict[str, str] = {}
    for spec in RAW:
        d = read[spec["src"]]
        d = d[(d["variable"] == spec["var"]) & d["year"].isin(YEARS) & d["value"].notna()].copy()
        d["city_code6"] = d["city_code6"].replace(RECODE)
        dropped = sorted(set(d["city_code6"]) - codes)
        if dropped:
            log.append(
                f"{spec['id']}: {int((~d['city_code6'].isin(codes)).sum())} rows of non-prefecture codes dropped ({', '.join(dropped)})."
            )
            d = d[d["city_code6"].isin(codes)]
        dup = d.duplicated(["city_code6", "year"], keep=False)
        if dup.any():
            bad = d[dup].sort_values(["city_code6", "year"])
            same = bad.groupby(["city_code6", "year"])["value"].nunique().eq(1).all()
            if not same:
                raise ValueError(
                    f"cn_cities: {spec['id']}: conflicting values after re-coding: {bad.head(6).to_dict('records')}"
                )
            d = d.drop_duplicates(["city_code6", "year"])
        for code, y_end in ABOLISHED.items():
            late = (d["city_code6"] == code) & (d["year"] >= y_end)
            if late.any():
                log.append(
                    f"{spec['id']}: {int(late.sum())} row(s) of abolished unit {code} from {y_end} dropped."
                )
                d = d[~late]
        s = d.set_index(["city_code6", "year"])["value"].astype("float64") * spec["scale"]
        s.index = s.index.set_names(["unit", "period"])
        cols[spec["id"]] = s.reindex(index)
        breaks[spec["id"]] = spec["breaks"]
        cites[spec["id"]] = CITE[spec["src"]]
        cat_rows.append(
            dict(
                indicator=spec["id"], name_zh=spec["name_zh"], name_en=spec["name_en"],
                unit_of_measure=spec["unit"], direction_hint=spec["direction"], definition=spec["definition"],
                formula="", source=CITE[spec["src"]], caveats=spec["caveats"], gdp_vintage=spec["vintage"],
                breaks=spec["breaks"],
            )
        )  # fmt: skip
    wide = pd.DataFrame(cols, index=index)
    for spec in DERIVED:
        ins = formula_inputs(spec["formula"])
        wide[spec["id"]] = round_sig(evaluate(spec["formula"], wide))
        br = merge_breaks(*(breaks[i] for i in ins))
        breaks[spec["id"]] = br
        src = " | ".join(dict.fromkeys(cites[i] for i in ins))
        cites[spec["id"]] = src
        cat_rows.append(
            dict(
                indicator=spec["id"], name_zh=spec["name_zh"], name_en=spec["name_en"],
                unit_of_measure=spec["unit"], direction_hint=spec["direction"], definition=spec["definition"],
                formula=spec["formula"], source="Derived by nqpf from " + ", ".join(ins) + ". Sources: " + src,
                caveats=spec["caveats"], gdp_vintage=spec["vintage"], breaks=br,
            )
        )  # fmt: skip
    cat = pd.DataFrame(cat_rows)
    for i, row in cat.iterrows():  # coverage note computed from the data
        s = wide[row["indicator"]]
        have = s.dropna()
        yrs = have.index.get_level_values("period")
        note = (
            f"Data: {have.index.get_level_values('unit').nunique()} units, {int(yrs.min())}-{int(yrs.max())}, "
            f"{len(have)} unit-years."
        )
        if row["breaks"]:
            note += f" Breaks (no growth rate across them): {row['breaks']}."
        cat.at[i, "caveats"] = (row["caveats"] + " " + note).strip()
    long = wide.stack(future_stack=True).rename("value").reset_index()
    long.columns = ["unit", "period", "indicator", "value"]
    long = long[long["value"].notna()].reset_index(drop=True)  # sparse: the embedded file stays small
    long["period"] = long["period"].astype("int64")
    used = set(long["unit"])
    units_df = units_df[units_df["unit"].isin(used)].drop(columns=["province_short"]).reset_index(drop=True)
    sources = [dict(path=SRC[k], citation=CITE[k]) for k in sorted(SRC)]
    notes = (
        f"{len(units_df)} units: {int((units_df['level'] != 'municipality').sum())} prefecture-level units and "
        f"{int((units_df['level'] == 'municipality').sum())} municipalities (GB/T 2260 codes; parent province in "
        "column 'group'), 2000-2023. Money in 亿元 at current prices, people in 万人, CO2 in Mt, SO2 in 万吨. "
        "Stored sparse: only non-missing unit-years are rows; derived series rounded to 8 significant digits. GDP vintages are mixed (catalogue column "
        "gdp_vintage); the catalogue column 'breaks' lists the years whose value is not comparable with the "
        "previous year ('YEAR:kind', or 'all:kind' = levels only), derived series inherit the breaks of their "
        "inputs, and the units column 'territory_breaks' gives territorial breaks (巢湖 2011, 莱芜 2019): "
        "nqpf.analysis.levels.growth refuses growth across any of them. Superseded codes of the same territory "
        "re-coded (" + ", ".join(f"{k}->{v}" for k, v in sorted(RECODE.items())) + "). Missing at city level "
        "(not substituted): patents, R&D and S&T expenditure, internet/broadband users, telecom revenue, "
        "students, employment by sector, FDI/GDP (no exchange rate), SO2 after 2018. Not used: the finance file's "
        "own GDP (a third vintage) and the GDP-index file's nominal GDP (a copy of gdp_nominal); the compiler's "
        "interpolated population. Administrative changes documented in the units table (admin_change_zh/en): "
        "巢湖 abolished 2011, 莱芜 merged into 济南 2019, 三沙 established 2012, 中卫 2004, 儋州 prefecture-level "
        "2015, 吐鲁番 2015 / 哈密 2016 / 那曲 2017 地区 -> 市 (same territory). " + " ".join(log)
    )
    return dict(
        data=long,
        indicators=cat,
        units=units_df,
        sources=sources,
        title="China's prefecture-level cities, 2000-2023: GDP and structure, FDI, finance, population, CO2, SO2, PM2.5",
        notes=notes,
    )
