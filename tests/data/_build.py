"""Builders of test input files (yearbook-style CSV / Excel) in a temporary folder.

The numbers in these fixtures are test inputs, not data shipped with nqpf. Where real figures are used they
are NBS 分省年度数据 regional GDP (亿元, current revised vintage) as exported in
../shared/data/raw/renjiyi_nbs_exports/original/nbs_export_0.csv.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

# NBS revised regional GDP, 亿元 (nbs_export_0.csv): province → {year: value}
GDP = {
    "北京市": {2020: 38503.6, 2021: 44350.7, 2022: 45222.4},
    "天津市": {2020: 14230.8, 2021: 16093.2, 2022: 16588.5},
    "河北省": {2020: 36821.5, 2021: 41205.4, 2022: 43198.3},
    "内蒙古自治区": {2020: 17623.4, 2021: 21584.8, 2022: 23795.7},
}
CODES = {"北京市": "110000", "天津市": "120000", "河北省": "130000", "内蒙古自治区": "150000"}


def nbs_csv_text(indicator_line: str = "指标：地区生产总值(亿元)", rows: dict | None = None) -> str:
    """A native NBS export: three title lines, header 地区,2022年,..., data rows, notes footer."""
    rows = GDP if rows is None else rows
    years = [2022, 2021, 2020]
    lines = [
        "数据库：分省年度数据",
        indicator_line,
        "时间：最近3年",
        "地区," + ",".join(f"{y}年" for y in years),
    ]
    for name, vals in rows.items():
        lines.append(name + "," + ",".join("" if vals.get(y) is None else str(vals[y]) for y in years))
    lines += [
        "注：按照我国国民经济核算数据修订制度，对地区生产总值历史数据进行了系统修订。",
        "数据来源：国家统计局",
    ]
    return "\r\n".join(lines) + "\r\n"


def write_nbs_csv(path: Path, encoding: str = "gbk", **kw) -> Path:
    path.write_bytes(nbs_csv_text(**kw).encode(encoding))
    return path


def multiheader_xlsx(path: Path, *, body: list[list] | None = None, extra_header: list | None = None) -> Path:
    """EPS/yearbook-style sheet: title, 数据库 line, two header rows with merged cells, notes footer.

    Layout (Excel rows): 1 title; 2 数据库：…; 3 地区 | 地区生产总值(亿元) ×3 | 年末常住人口(万人) ×3 (merged);
    4 (merged 地区) | 2020年 2021年 2022年 | 2020年 2021年 2022年; 5.. data; then 注：… and 数据来源：….
    """
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "分省数据"
    ws["A1"] = "表 2-1 各地区主要经济指标"
    ws["A2"] = "数据库：分省年度数据"
    ws["A3"] = "地区"
    ws.merge_cells("A3:A4")
    ws["B3"] = "地区生产总值(亿元)"
    ws.merge_cells("B3:D3")
    ws["E3"] = "年末常住人口（万人）"
    ws.merge_cells("E3:G3")
    for j, y in enumerate(["2020年", "2021年", "2022年"] * 2):
        ws.cell(4, 2 + j, y)
    if extra_header:
        for j, v in enumerate(extra_header):
            ws.cell(4, 8 + j, v)
    if body is None:
        body = [
            [name, *(GDP[name][y] for y in (2020, 2021, 2022)), 100.0 + k, 101.0 + k, 102.0 + k]
            for k, name in enumerate(GDP)
        ]
    r = 5
    for rec in body:
        for j, v in enumerate(rec):
            ws.cell(r, 1 + j, v)
        r += 1
    ws.cell(r, 1, "注：1. 本表地区生产总值按当年价格计算。")
    ws.cell(r + 1, 1, "　　2. 常住人口为年末数。")
    ws.cell(r + 2, 1, "数据来源：国家统计局")
    wb.save(path)
    return path
