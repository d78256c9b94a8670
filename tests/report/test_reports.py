"""National and regional reports on the real cn_provinces data: HTML valid and rendered, workbook sheets,
no untranslated keys in zh or en, sections that lack data say so, CLI errors list valid values."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from _report_helpers import FIXTURE_FRAMEWORK, check_html, screenshot
from openpyxl import load_workbook

from nqpf.errors import DataError
from nqpf.i18n import catalogue
from nqpf.report import Missing
from nqpf.report.build import build_report
from nqpf.report.html import render_html

OPTS = {"impute": "group-mean", "periods": "2016-2021"}
KEY_RE = re.compile(r"\b(report|guide|common|analysis|index)\.[a-z_]+(\.[a-z_0-9]+)*\b")


@pytest.fixture(scope="module")
def national(cn, quiet):
    return build_report(dataset="cn_provinces", framework=str(FIXTURE_FRAMEWORK), year=2021, lang="zh",
                        index_options=OPTS)


@pytest.fixture(scope="module")
def regional_en(cn, quiet):
    return build_report(dataset="cn_provinces", framework=str(FIXTURE_FRAMEWORK), year=2021, unit="340000",
                        lang="en", index_options=OPTS)


def _no_untranslated(html: str, lang: str):
    c = check_html(html)
    text = "".join(c.text)
    hits = [m.group(0) for m in KEY_RE.finditer(text) if m.group(0) in catalogue()]
    assert not hits, f"untranslated keys in the {lang} report: {hits[:5]}"
    other = "en" if lang == "zh" else "zh"
    for key in ("report.section.ranking", "report.section.profile", "report.section.action", "report.col.score",
                "report.section.dagum", "report.section.convergence", "report.section.tfp"):
        lab = catalogue()[key][other]
        assert lab not in text or lab == catalogue()[key][lang], f"{other} label {lab!r} in the {lang} report"
    return c, text


def test_national_report_sections(national, tmp_path):
    ids = [s.id for s in national.sections]
    assert ids == ["summary", "ranking", "map", "dimensions", "diagnostics", "dagum", "convergence", "theil",
                   "density", "spatial", "markov", "coupling", "obstacles", "forecast", "typology", "tfp",
                   "indicators", "methods", "sources", "limits"]
    html = render_html(national)
    c, text = _no_untranslated(html, "zh")
    assert "排名与不确定性" in text and "区域差异" in text and "收敛分析" in text
    # without an uncertainty analysis the ranking section says so instead of hiding the intervals
    assert any(isinstance(b, Missing) for b in national.sections[ids.index("ranking")].blocks)
    p = tmp_path / "national.html"
    p.write_text(html, encoding="utf-8")
    img = screenshot(p, tmp_path / "national.png", height=2400)
    assert img.std() > 20


def test_regional_report_sections_and_render(regional_en, tmp_path):
    ids = [s.id for s in regional_en.sections]
    assert ids == ["summary", "profile", "peers", "obstacles", "tfp", "typology", "action", "map"]
    html = render_html(regional_en)
    c, text = _no_untranslated(html, "en")
    assert "Anhui" in text and "seed 00" in text and "does not show a causal effect" in text
    p = tmp_path / "regional.html"
    p.write_text(html, encoding="utf-8")
    img = screenshot(p, tmp_path / "regional.png", height=2400)
    assert img.std() > 20


def test_regional_zh_workbook(cn, quiet, tmp_path):
    out = tmp_path / "anhui.xlsx"
    doc = build_report(dataset="cn_provinces", framework=str(FIXTURE_FRAMEWORK), year=2021, unit="340000",
                       lang="zh", fmt="xlsx", out=out, index_options=OPTS)
    _no_untranslated(render_html(doc, static=True), "zh")
    wb = load_workbook(out)
    for sheet in ("about", "profile", "peers", "strengths", "weaknesses", "obstacles", "typology_rules",
                  "typology_measures", "action"):
        assert sheet in wb.sheetnames, sheet
    ws = wb["profile"]
    assert ws.freeze_panes is not None
    assert ws["A1"].value.startswith("安徽")


def test_national_workbook_multilevel_headers(national, tmp_path):
    from nqpf.report.excel import write_excel

    out = write_excel(national, tmp_path / "nat.xlsx")
    wb = load_workbook(out)
    assert {"ranking", "dimensions", "dagum", "sigma", "typology"} <= set(wb.sheetnames)
    ws = wb["dimensions"]
    assert ws.merged_cells.ranges, "dimension headers (name over score/rank) must be merged cells"
    assert ws.freeze_panes == "B5"          # title row, blank row, two header rows
    assert ws["B4"].value == "得分" and ws["C4"].value == "排名"


def test_missing_indicators_are_reported_not_fatal(cn, quiet):
    keep = {"students_higher_edu_per_10k", "rd_personnel_per_10k", "broadband_ports_per_100", "software_revenue_gdp",
            "ecommerce_sales_gdp", "industrial_structure_upgrading", "gdp_per_capita", "tech_market_turnover_gdp",
            "energy_intensity", "co2_intensity"}
    data = cn.data[cn.data["indicator"].isin(keep)]
    doc = build_report(data=data, framework=str(FIXTURE_FRAMEWORK), year=2021, lang="en", index_options=OPTS)
    miss = {s.id: [b for b in s.blocks if isinstance(b, Missing)] for s in doc.sections}
    # the DEA view needs capital, employment and energy -> says which are missing
    assert any("capital_stock" in m.needs for m in miss["tfp"])
    # the typology still runs on the measures present and says what it lacks
    html = render_html(doc)
    assert "lacks some indicators the typology uses" in html


def test_unknown_unit_and_year(cn, quiet):
    with pytest.raises(DataError, match=r"valid units: \['110000'"):
        build_report(dataset="cn_provinces", framework=str(FIXTURE_FRAMEWORK), year=2021, unit="99", lang="en")
    with pytest.raises(DataError, match=r"valid years: \[2011"):
        build_report(dataset="cn_provinces", framework=str(FIXTURE_FRAMEWORK), year=1999, lang="en")


def test_cli_error_lists_valid_years(tmp_path):
    exe = Path(sys.executable).with_name("nqpf")
    if not exe.exists():
        pytest.skip("nqpf console script not installed in this environment")
    r = subprocess.run([str(exe), "--lang", "en", "report", "--dataset", "cn_provinces", "--framework",
                        str(FIXTURE_FRAMEWORK), "--year", "1999", "--out", str(tmp_path / "x.html")],
                       capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "400"})
    assert r.returncode == 2
    assert "valid years" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.html").exists()
