"""Issue 13 item 7: number formats of the report workbook's rank columns, and index.xlsx as a reader's
workbook (unit names, headers in the language, formats per column, frozen panes, README, weights and
contributions sheets)."""

from __future__ import annotations

import warnings

import pandas as pd
from openpyxl import load_workbook
from typer.testing import CliRunner

from nqpf.i18n import t
from nqpf.report import ReportDoc, Section, Table
from nqpf.report.excel import excel_format, write_excel


def test_python_formats_map_to_excel_formats():
    assert excel_format("{:.4f}") == "0.0000" and excel_format("{:.0f}") == "0"
    assert excel_format("{:.1%}") == "0.0%" and excel_format("{:,.0f}") == "#,##0"
    assert excel_format("{:+.3f}") == "+0.000;-0.000;0.000" and excel_format("{}") is None


def test_rank_quantile_columns_are_not_percentages(tmp_path):
    for lang in ("zh", "en"):
        p05, p95, sh = t("report.col.rank_p05", lang), t("report.col.rank_p95", lang), t("report.col.share_gw", lang)
        assert "%" in p05  # the header that made the old heuristic pick 0.0 % (rank 11 shown as 1100.0 %)
        df = pd.DataFrame({"n": ["a", "b"], p05: [11.0, 3.5], p95: [12.0, 4.0], "x": [0.5, 0.25], sh: [0.4, 0.6]})
        doc = ReportDoc(title="t", lang=lang, sections=[Section("ranking", "r", blocks=[
            Table(df, sheet="given", formats={p05: "{:.1f}", p95: "{:.0f}", "x": "{:.1%}"}),
            Table(df, sheet="heuristic")])])
        wb = load_workbook(write_excel(doc, tmp_path / f"r_{lang}.xlsx"))
        g, h = wb["given"], wb["heuristic"]
        # title row, blank row, header row 3, data from row 4
        assert [g.cell(4, j).number_format for j in (2, 3, 4)] == ["0.0", "0", "0.0%"]
        assert g.cell(4, 2).value == 11.0
        assert h.cell(4, 2).number_format == "0.0"   # fractional quantiles: one decimal, no %
        assert h.cell(4, 3).number_format == "0"     # whole ranks
        assert h.cell(4, 5).number_format == "0.0%"  # a real share keeps its percentage


def _index_xlsx(tmp_path, lang: str):
    from nqpf.cli import main

    main.register_commands()
    out = tmp_path / f"idx_{lang}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = CliRunner().invoke(main.app, ["--lang", lang, "index", "--data", "cn_provinces", "--framework",
                                          "nqpf-core", "--excel", "--out", str(out)])
    assert r.exit_code == 0, r.output
    return load_workbook(out / "index.xlsx"), pd.read_csv(out / "scores.csv", dtype={"unit": str})


def test_index_workbook_zh(tmp_path, cn):
    wb, scores = _index_xlsx(tmp_path, "zh")
    assert wb.sheetnames[0] == "README"
    assert {"scores", "ranks", "weights", "contributions", "normalized", "nodes", "manifest"} <= set(wb.sheetnames)
    ws = wb["scores"]
    head = [c.value for c in ws[1]]
    assert head[:4] == ["代码", "名称", "年份", "新质生产力指数"]
    assert ws.freeze_panes == "D2"
    names = dict(zip(cn.units["unit"].astype(str), cn.units["name_zh"], strict=True))
    for row in ws.iter_rows(min_row=2, max_row=40, values_only=True):
        assert names[row[0]] == row[1]  # the unit's name next to its code
    assert ws.cell(2, 4).number_format == "0.0000" and ws.cell(2, 3).number_format == "0"
    assert ws.column_dimensions["B"].width >= 8
    # the scores are the CLI's scores.csv values (root node) at full precision
    root = scores[scores["node"] == "index"].set_index(["unit", "period"])["score"]
    for row in ws.iter_rows(min_row=2, max_row=30, values_only=True):
        assert abs(row[3] - root[(row[0], row[2])]) < 1e-12
    rk = wb["ranks"]
    assert rk.freeze_panes == "D2" and rk.cell(2, 4).number_format == "0"
    w = wb["weights"]
    assert [c.value for c in w[1]][:6] == ["节点代码", "指标", "上级节点", "方向", "组内权重", "有效权重"]
    assert w.cell(2, 5).number_format == "0.0%" and w.cell(2, 6).number_format == "0.0%"
    assert {w.cell(r, 4).value for r in range(2, w.max_row + 1)} <= {"正向", "逆向", None}
    c = wb["contributions"]
    assert c.freeze_panes == "D2" and c.cell(2, 7).number_format == "0.0%" and c.cell(2, 6).number_format == "0.0000"
    readme = [str(v) for row in wb["README"].iter_rows(values_only=True) for v in row if v is not None]
    text = "\n".join(readme)
    assert "新质生产力指数" in text and "标准化" in text and "数据来源" in text and "排名规则" in text
    assert "minmax-global" not in text and "linear-carry" not in text  # settings in words, not raw ids


def test_index_workbook_en_headers(tmp_path):
    wb, _ = _index_xlsx(tmp_path, "en")
    head = [c.value for c in wb["scores"][1]]
    assert head[:3] == ["Code", "Name", "Year"]
    assert wb["scores"].cell(2, 2).value == "Beijing"
    assert [c.value for c in wb["weights"][1]][4:6] == ["Weight within parent", "Effective weight"]


def test_national_report_workbook_rank_interval_formats(cn, quiet, tmp_path):
    """The national report's ranking sheet with a real (small, seeded) uncertainty run: the 5 %/95 % rank
    columns hold ranks (1 … 31) formatted as numbers, not as percentages."""
    from nqpf.report import build_report

    out = tmp_path / "nat.xlsx"
    build_report(dataset="cn_provinces", framework="nqpf-core", year=2023, lang="zh", fmt="xlsx", out=out,
                 uncertainty_samples=16, seed=1)
    ws = load_workbook(out)["ranking"]
    head = [c.value for c in ws[3]]
    for key in ("report.col.rank_p05", "report.col.rank_p95"):
        j = head.index(t(key, "zh")) + 1
        vals = [ws.cell(r, j).value for r in range(4, ws.max_row + 1)]
        assert all(1 <= v <= 31 for v in vals if v is not None) and any(v is not None for v in vals)
        assert {ws.cell(r, j).number_format for r in range(4, ws.max_row + 1)} == {"0"}
    j = head.index(t("report.col.score", "zh")) + 1
    assert ws.cell(4, j).number_format == "0.0000"
