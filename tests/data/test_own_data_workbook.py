"""A yearbook-style workbook built from the shipped raw data (test input, not data shipped with nqpf).

Source: ../shared/data/raw/tec_expenditure_nbs/nbs_sti_fiscal_2011_2024_long.csv (NBS 分省年度数据, see its
PROVENANCE.md). The sheet looks like a table typed from a statistical yearbook:

* a title line and a two-row header with merged cells (group over leaf: 科技投入 over two budget series;
  专利申请受理量(件) and 专利申请授权量(件) each over 合计 / 发明, so that two leaves are called 合计 and two 发明);
* full province names (北京市, 内蒙古自治区 …) and, per year, a 全国 row and an 东部地区 row first. Their values
  are the sums of the 31 provinces (resp. the NBS East provinces) — derived here, *not* NBS figures — and
  "—" wherever one province is missing (nqpf must exclude these rows anyway);
* "—" for the real gaps of the source (technology-market turnover of Tibet, 2011–2016);
* a notes footer.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import openpyxl

RAW = Path(__file__).resolve().parents[3] / "shared" / "data" / "raw" / "tec_expenditure_nbs"
RAW_CSV = RAW / "nbs_sti_fiscal_2011_2024_long.csv"

# columns C.. of the sheet: (upper header, leaf header, source variable)
COLUMNS = (
    ("科技投入", "地方财政科学技术支出(亿元)", "general_budget_exp_science_tech"),
    ("科技投入", "地方一般公共预算支出(亿元)", "general_budget_expenditure"),
    ("专利申请受理量(件)", "合计", "patent_applications_total"),
    ("专利申请受理量(件)", "发明", "invention_patent_applications"),
    ("专利申请授权量(件)", "合计", "patent_grants_total"),
    ("专利申请授权量(件)", "发明", "invention_patent_grants"),
    ("技术市场成交额(亿元)", None, "tech_market_turnover"),
    ("地区生产总值(亿元)", None, "gdp_nominal"),
)
#: ids nqpf gives the columns (leaf header without unit of measure; parent_leaf where leaves collide)
IDS = (
    "地方财政科学技术支出", "地方一般公共预算支出", "专利申请受理量_合计", "专利申请受理量_发明",
    "专利申请授权量_合计", "专利申请授权量_发明", "技术市场成交额", "地区生产总值",
)  # fmt: skip
EAST = ("110000", "120000", "130000", "310000", "320000", "330000", "350000", "370000", "440000", "460000")


def raw_values() -> dict[tuple[str, int, str], float]:
    """(GB/T 2260 code, year, variable) → value of the raw NBS file."""
    out: dict[tuple[str, int, str], float] = {}
    with open(RAW_CSV, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            out[(r["province_code"], int(r["year"]), r["variable"])] = float(r["value"])
    return out


def build_yearbook(path: Path, years: range = range(2012, 2024)) -> Path:
    """Write the yearbook workbook to ``path`` (see the module docstring); returns ``path``."""
    from nqpf.data.units import PROVINCES

    vals = raw_values()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "科技统计"
    ws["A1"] = f"表 3-5 各地区科技投入与产出（{years[0]}—{years[-1]}年）"
    ws["A3"], ws["B3"] = "地区", "年份"
    ws.merge_cells("A3:A4")
    ws.merge_cells("B3:B4")
    col = 3
    while col - 3 < len(COLUMNS):
        upper, leaf, _ = COLUMNS[col - 3]
        ws.cell(3, col, upper)
        if leaf is None:
            ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
            col += 1
            continue
        span = sum(1 for u, lf, _ in COLUMNS if u == upper and lf is not None)
        if span > 1:
            ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + span - 1)
        for k in range(span):
            ws.cell(4, col + k, COLUMNS[col - 3 + k][1])
        col += span

    def cell(v: float) -> float | str:
        return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else v

    def total(codes, y, var) -> float | None:
        xs = [vals.get((c, y, var)) for c in codes]
        return None if any(x is None for x in xs) else round(sum(xs), 1)

    r = 5
    all_codes = [p.code for p in PROVINCES]
    for y in years:
        for name, codes in (("全国", all_codes), ("东部地区", EAST)):
            ws.cell(r, 1, name)
            ws.cell(r, 2, y)
            for j, (_, _, var) in enumerate(COLUMNS):
                ws.cell(r, 3 + j, cell(total(codes, y, var)))
            r += 1
        for p in PROVINCES:
            ws.cell(r, 1, p.name_zh_full)
            ws.cell(r, 2, y)
            for j, (_, _, var) in enumerate(COLUMNS):
                ws.cell(r, 3 + j, cell(vals.get((p.code, y, var))))
            r += 1
    ws.cell(r + 1, 1, "注：全国、东部地区为各省合计；“—”表示数据缺失。")
    ws.cell(r + 2, 1, "数据来源：国家统计局分省年度数据。")
    wb.save(path)
    return path
