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
    # issue 13 item 4: rank intervals by default (a seeded Monte Carlo, recorded in the manifest)
    ranking = national.sections[ids.index("ranking")]
    assert not any(isinstance(b, Missing) for b in ranking.blocks)
    assert any(getattr(b, "caption", None) == catalogue()["report.caption.rank_interval_note"]["zh"]
               for b in ranking.blocks)
    assert national.manifest["uncertainty"]["samples"] > 0 and national.manifest["uncertainty"]["seed"] == 0
    p = tmp_path / "national.html"
    p.write_text(html, encoding="utf-8")
    img = screenshot(p, tmp_path / "national.png", height=2400)
    assert img.std() > 20


def test_regional_report_sections_and_render(regional_en, tmp_path):
    ids = [s.id for s in regional_en.sections]
    assert ids == ["summary", "ranking", "profile", "peers", "obstacles", "action", "strengths_cases", "targets", "tfp",
                   "typology", "map", "indicators", "methods", "sources", "limits"]  # issue 13 item 2, issue 16
    html = render_html(regional_en)
    c, text = _no_untranslated(html, "en")
    assert "Anhui" in text and "seed 00" not in text and "does not show a causal effect" in text
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


def test_national_zh_tfp_section_and_map_caption_have_no_english(national, cn):
    """Issue 13 item 3: the TFP section (method, inputs, CO2 source), the map caption and the typology overview
    (its sources by title, not typology.yaml / seed ids) and the Dagum section are Chinese; the
    dataset catalogue's own Chinese indicator names are the only labels shown as they are (English citations
    in them are left to the English edition)."""
    from test_summary_diagnostics import ASCII_WORD, sections_text

    text = sections_text(render_html(national))
    labels = sorted(set(cn.indicators["name_zh"].astype(str)), key=len, reverse=True)
    for sid in ("tfp", "map", "meta", "typology", "dagum"):
        body = text[sid]
        for lab in labels:
            body = body.replace(lab, "")
        assert not ASCII_WORD.findall(body), (sid, sorted(set(ASCII_WORD.findall(body))))
    assert "马姆奎斯特–伦伯格指数" in text["tfp"] and "中国碳核算数据库" in text["tfp"]
    assert "英文版" in text["tfp"] and "英文版" in text["map"]  # the citations are in the English edition
    assert "南海诸岛" in text["map"] and "示意图" in text["map"]


def test_cli_report_default_samples_is_the_librarys():
    import inspect

    import typer

    from nqpf.cli.main import app, register_commands
    from nqpf.report.build import DEFAULT_SEED, DEFAULT_UNCERTAINTY_SAMPLES

    register_commands()
    cmd = typer.main.get_command(app).commands["report"]
    opts = {p.name: p for p in cmd.params}
    assert opts["uncertainty"].default is None and opts["seed"].default == DEFAULT_SEED  # None: the library's
    from typer.testing import CliRunner

    for lang, said in (("zh", f"默认 {DEFAULT_UNCERTAINTY_SAMPLES}；"), ("en", f"default {DEFAULT_UNCERTAINTY_SAMPLES};")):
        r = CliRunner().invoke(app, ["--lang", lang, "report", "--help"], env={"COLUMNS": "400"})
        assert r.exit_code == 0 and said in r.output, r.output  # the help states the library's default
    sig = inspect.signature(build_report)
    assert sig.parameters["seed"].default == DEFAULT_SEED
    assert sig.parameters["uncertainty_samples"].default is None  # None = DEFAULT_UNCERTAINTY_SAMPLES


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


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_city_report_errors_in_the_readers_language(lang):
    """The city-report errors (unknown city or province, --province on a province dataset, both flags) come from
    the catalogue in the language of the run and name the flag and the valid choices."""
    import nqpf.datasets as ds
    from nqpf.report.city import resolve_city, resolve_province

    cat = catalogue()
    units = ds.load("cn_cities").units
    assert resolve_city("南京市", units, lang=lang) == "320100" == resolve_city("Nanjing", units, lang=lang)
    with pytest.raises(DataError) as e:
        resolve_city("Atlantis", units, lang=lang)
    between = cat["report.city.err.unknown_city"][lang].split("{name}")[1].split("{closest}")[0]
    assert str(e.value).startswith("--unit Atlantis") and between in str(e.value)
    with pytest.raises(DataError) as e:
        resolve_province("Atlantis", units, lang=lang)
    jiangsu = units.loc[units["province"].astype(str) == "320000", f"province_{lang}"].iloc[0]
    assert str(e.value).startswith("--province Atlantis") and jiangsu in str(e.value)
    with pytest.raises(DataError) as e:
        build_report(dataset="cn_provinces", framework=str(FIXTURE_FRAMEWORK), year=2021, lang=lang, province="江苏")
    assert str(e.value) == cat["report.city.err.province_needs_cities"][lang]
    with pytest.raises(DataError) as e:
        build_report(dataset="cn_cities", framework="city-structure-green", year=2015, lang=lang, province="江苏",
                     unit="320100")
    assert str(e.value) == cat["report.city.err.unit_and_province"][lang]
    if lang == "zh":  # no English sentence around the names
        assert "is not" not in str(e.value) and "give" not in str(e.value)
