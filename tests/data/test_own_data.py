"""The own-data path (issue 14, items 1–6): multi-row header ids and labels, one unit rule with aggregate rows
excluded, names for codes, gaps in CLI terms, --lang anywhere, init-framework, messages in CLI terms.

The reference values are the raw NBS file ../shared/data/raw/tec_expenditure_nbs/nbs_sti_fiscal_2011_2024_long.csv
(read with :mod:`csv`, independently of nqpf's readers)."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.cli.main import app, cli_terms, hoist_lang, register_commands
from nqpf.data import units as U
from nqpf.errors import DataError, FrameworkError
from nqpf.framework import load_framework
from nqpf.framework.formula import closest_names, evaluate_formula, formula_names, rewrite_formula

from .test_own_data_workbook import COLUMNS, IDS, RAW_CSV, build_yearbook, raw_values

register_commands()
runner = CliRunner()
needs_raw = pytest.mark.skipif(not RAW_CSV.exists(), reason="../shared/data/raw not available")


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return build_yearbook(tmp_path_factory.mktemp("own") / "科技统计.xlsx")


@pytest.fixture(scope="module")
def ud(book):
    from nqpf.cli.cmd_data import read_user_data

    return read_user_data(book, lang_="en")


# ------------------------------------------------------------------------------------------ 1. header ids
@needs_raw
def test_two_row_header_ids_labels_and_values(ud):
    assert ud.columns == list(IDS)  # leaf header; parent_leaf slug where two leaves are both 合计 / 发明
    assert ud.labels["地方财政科学技术支出"] == "科技投入 | 地方财政科学技术支出(亿元)"
    assert ud.labels["专利申请受理量_合计"] == "专利申请受理量(件) | 合计"
    assert ud.uoms["专利申请授权量_发明"] == ["件"] and ud.uoms["地区生产总值"] == ["亿元"]
    # every value equals the raw file's; "—" cells are gaps exactly where the raw file has no row
    raw = raw_values()
    var_of = dict(zip(IDS, (c[2] for c in COLUMNS), strict=True))
    got = ud.data.set_index(["unit", "period", "indicator"])["value"]
    n_gap = 0
    for (unit, year, ind), v in got.items():
        ref = raw.get((unit, int(year), var_of[ind]))
        if ref is None:
            assert math.isnan(v)
            n_gap += 1
        else:
            assert v == ref
    assert len(got) == 31 * 12 * 8 and n_gap == 5  # Tibet's technology-market turnover 2012–2016


def test_formula_quoted_labels_and_ids():
    cols = {"地方财政科学技术支出": np.array([199.94]), "地区生产总值": np.array([19568.3]), "a b": np.array([2.0])}
    f = "'地方财政科学技术支出' / 地区生产总值 * 100"
    assert formula_names(f) == ["地方财政科学技术支出", "地区生产总值"]
    assert evaluate_formula(f, cols)[0] == pytest.approx(199.94 / 19568.3 * 100, rel=1e-15)
    assert evaluate_formula('"a b" * 2', cols)[0] == 4.0
    labels = {"地方财政科学技术支出": "科技投入 | 地方财政科学技术支出(亿元)"}
    from nqpf.framework.formula import label_aliases

    al = label_aliases(labels)
    for spelt in ("科技投入 | 地方财政科学技术支出(亿元)", "科技投入|地方财政科学技术支出", "科技投入 | 地方财政科学技术支出"):
        assert rewrite_formula(f'"{spelt}" / 地区生产总值', cols, al) == "地方财政科学技术支出 / 地区生产总值"
    assert rewrite_formula('"a b" + 1', cols, al) == '"a b" + 1'  # already the id: kept as written
    with pytest.raises(FrameworkError, match="not allowed"):
        formula_names("b'x' + 1")


def test_closest_names_first():
    have = ["地区生产总值", "专利申请授权量_合计", "专利申请授权量_发明", "技术市场成交额", "gdp"]
    assert closest_names("专利授权量_合计", have)[:2] == ["专利申请授权量_合计", "专利申请授权量_发明"]
    assert set(closest_names("x", have)) == set(have)


@needs_raw
def test_bound_framework_reads_labels_and_reports_missing_ids(ud):
    """A formula written with the quoted full header equals the one written with ids, and both equal the raw
    numbers; a misspelt series lists the data's ids, closest first."""
    from nqpf.cli.cmd_data import bind_labels

    spec = {"name": "t", "nodes": [
        {"id": "index"},
        {"id": "a", "parent": "index", "direction": 1,
         "formula": '"科技投入 | 地方财政科学技术支出(亿元)" / "科技投入 | 地方一般公共预算支出(亿元)" * 100'},
        {"id": "b", "parent": "index", "direction": 1, "formula": "地方财政科学技术支出 / 地方一般公共预算支出 * 100"},
        {"id": "c", "parent": "index", "direction": 1, "series": "专利申请授权量(件) | 发明"},
    ]}  # fmt: skip
    fw = bind_labels(load_framework(spec), ud)
    fw.validate(ud.data)
    wide = ud.data.pivot_table(index=["unit", "period"], columns="indicator", values="value", dropna=False)
    leaves = fw.leaf_values(wide)
    raw = raw_values()
    x = leaves.loc[("110000", 2012)]
    assert x["a"] == x["b"] == pytest.approx(
        raw[("110000", 2012, "general_budget_exp_science_tech")] / raw[("110000", 2012, "general_budget_expenditure")]
        * 100, rel=1e-14)  # fmt: skip
    assert x["c"] == raw[("110000", 2012, "invention_patent_grants")]
    bad = load_framework({"name": "t", "nodes": [{"id": "index"}, {"id": "x", "parent": "index", "direction": 1,
                                                                   "formula": "专利授权量_发明 / 地区生产总值"}]})
    with pytest.raises(FrameworkError) as ei:
        bind_labels(bad, ud).validate(ud.data)
    msg = str(ei.value)
    listed = msg.split("the data have ")[1]
    assert listed.index("专利申请授权量_发明") < listed.index("地区生产总值") < listed.index("技术市场成交额")


# ------------------------------------------------------------------------------------------ 2. one unit rule
@needs_raw
def test_aggregates_excluded_and_reported(ud, book):
    assert set(ud.data["unit"]) == set(U.MAINLAND_CODES) and ud.scheme == "province"
    assert {k: len(v) for k, v in ud.excluded.items()} == {"全国": 12, "东部地区": 12}
    from nqpf.cli.cmd_data import read_user_data

    kept = read_user_data(book, units="none", lang_="en")  # names kept as text; totals still excluded
    assert set(kept.data["unit"]) == {p.name_zh_full for p in U.PROVINCES}
    assert set(kept.excluded) == {"全国", "东部地区"}


def test_aggregate_names_never_provinces():
    for name in ("全国", "东部地区", "中部地区", "西部地区", "东北地区", "东部地区合计", "长江经济带", "Total", "East"):
        assert U.is_aggregate(name), name
    for p in U.PROVINCES + U.SPECIAL_REGIONS:
        for n in (p.code, p.name_zh, p.name_zh_full, p.name_en, *p.aliases):
            assert not U.is_aggregate(n), n


def test_detect_scheme():
    assert U.detect_scheme(["北京市", "天津市", "全国", "东部地区", "Hebei", "310000"]) == "province"
    assert U.detect_scheme(["北京市", "天津市", "河北省", "山西省", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏x"]) == (
        "province")  # one misspelling in ten stays a province table, so that it is reported  # fmt: skip
    assert U.detect_scheme(["USA", "CHN", "DEU", "Total"]) == "none"
    assert U.detect_scheme(["石家庄市", "唐山市", "秦皇岛市", "北京市"]) == "none"  # prefecture cities
    assert U.detect_scheme([]) == "none"


def test_validate_index_report_share_the_rule(tmp_path):
    """A city table: validate (auto) passes without --units none and index excludes the 全国 row."""
    p = tmp_path / "cities.csv"
    rows = ["城市,年份,x,y"]
    vals = {"石家庄市": (1, 4), "唐山市": (2, 3), "秦皇岛市": (3, 9), "邯郸市": (5, 1)}
    for y in (2020, 2021):
        rows.append(f"全国,{y},100,100")
        rows += [f"{c},{y},{a + y - 2020},{b}" for c, (a, b) in vals.items()]
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    r = runner.invoke(app, ["validate", str(p)])
    assert r.exit_code == 0 and "not provinces" in r.output and "全国 (2 rows)" in r.output.replace("\n", " ")
    fw = tmp_path / "f.yaml"
    fw.write_text("name: f\nnodes:\n  - {id: index}\n  - {id: x, parent: index, direction: 1}\n"
                  "  - {id: y, parent: index, direction: -1}\n", encoding="utf-8")  # fmt: skip
    r = runner.invoke(app, ["index", "--data", str(p), "--framework", str(fw), "--weights", "equal", "--out",
                            str(tmp_path / "o")])  # fmt: skip
    assert r.exit_code == 0, r.output
    sc = pd.read_csv(tmp_path / "o" / "scores.csv")
    assert set(sc["unit"]) == set(vals) and "name" not in sc.columns
    # equal weights, min–max over both years: x of 邯郸 2021 = (6-1)/(6-1) = 1, y (−1) = (9-1)/(9-1) = 1 → 1
    top = sc[(sc["node"] == "index") & (sc["period"] == 2021)].set_index("unit")["score"]
    assert top["邯郸市"] == pytest.approx(1.0) and top["秦皇岛市"] == pytest.approx((3 / 5 + 0) / 2)


# ------------------------------------------------------------------------------------------ 3. names, not codes
@pytest.mark.parametrize("name", ["湖北", "湖北省", "Hubei", "HUBEI", "420000", "CN-HB", "４２００００"])
def test_resolve_unit_spellings(name):
    assert U.resolve_unit(name, U.MAINLAND_CODES) == "420000"


def test_resolve_unit_errors_list_close_units():
    with pytest.raises(U.UnknownUnitError) as ei:
        U.resolve_unit("Hubel", U.MAINLAND_CODES, lang="zh")
    assert "420000 湖北" in str(ei.value) and ei.value.suggestions[0] == "420000 湖北"
    with pytest.raises(U.UnknownUnitError) as ei:
        U.resolve_unit("湖兆", U.MAINLAND_CODES, lang="zh")
    assert set(ei.value.suggestions[:2]) == {"420000 湖北", "430000 湖南"}  # equally close
    with pytest.raises(U.UnknownUnitError, match="not in the data"):
        U.resolve_unit("Hubei", ["110000", "120000"])
    assert U.resolve_unit("唐山市", ["石家庄市", "唐山市"]) == "唐山市"
    assert U.unit_name("540000", "zh") == "西藏" and U.unit_name("540000", "en") == "Tibet"


# ------------------------------------------------------------------------------------------ 4. gaps in CLI terms
@needs_raw
def test_gap_error_offers_flags(book, tmp_path):
    fw = tmp_path / "g.yaml"
    fw.write_text("name: g\nnodes:\n  - {id: index}\n  - {id: 技术市场成交额, parent: index, direction: 1}\n"
                  "  - {id: 地区生产总值, parent: index, direction: 1}\n", encoding="utf-8")  # fmt: skip
    for L, where in (("en", "540000 Tibet"), ("zh", "540000 西藏")):
        r = runner.invoke(app, ["index", "--data", str(book), "--framework", str(fw), "--out", str(tmp_path / L),
                                "--lang", L])  # fmt: skip
        msg = str(r.exception)
        assert isinstance(r.exception, DataError) and where in msg
        assert "--impute linear-carry" in msg and "--drop-incomplete-units" in msg
        assert not re.search(r"impute=|drop_incomplete_units|True\b", msg)
    r = runner.invoke(app, ["index", "--data", str(book), "--framework", str(fw), "--drop-incomplete-units",
                            "--out", str(tmp_path / "drop"), "--lang", "zh"])  # fmt: skip
    out = r.output.replace("\n", "")
    assert r.exit_code == 0 and "1 个地区因插补后仍有缺失而被剔除" in out and "540000 西藏" in out, r.output
    assert "drop_incomplete_units" not in out and "impute=" not in out and "result.diagnostics" not in out
    r = runner.invoke(app, ["index", "--data", str(book), "--framework", str(fw), "--impute", "linear-carry+group-mean",
                            "--out", str(tmp_path / "ok")])  # fmt: skip
    assert r.exit_code == 0, r.output
    import json

    man = json.loads((tmp_path / "ok" / "manifest.json").read_text(encoding="utf-8"))
    assert man["cli"]["impute"] == "linear-carry+group-mean"
    assert man["settings"]["impute"] == "linear-carry+group-mean"
    # the default is the same rule in index and report (framework's method, else linear-carry)
    from nqpf.cli.cmd_index import DEFAULT_IMPUTE, cli_impute

    assert cli_impute(None, load_framework(str(fw))) == (DEFAULT_IMPUTE, "linear-carry")
    assert cli_impute(None, load_framework("nqpf-core")) == (None, "linear-carry")
    assert cli_impute("mean", load_framework("nqpf-core")) == ("mean", "mean")


# ------------------------------------------------------------------------------------------ 5. --lang, init-framework
def test_hoist_lang():
    assert hoist_lang(["report", "--year", "2022", "--lang", "zh", "--out", "r.html"]) == [
        "--lang", "zh", "report", "--year", "2022", "--out", "r.html"]  # fmt: skip
    assert hoist_lang(["validate", "x.csv", "--lang=en"]) == ["--lang", "en", "validate", "x.csv"]
    assert hoist_lang(["analyze", "--", "--lang", "zh"]) == ["analyze", "--", "--lang", "zh"]


def test_lang_after_subcommand_and_chinese_help():
    r = runner.invoke(app, ["report", "--help", "--lang", "zh"])
    assert r.exit_code == 0 and "生成报告" in r.output and "地区报告的地区" in r.output, r.output
    r = runner.invoke(app, ["--lang", "en", "report", "--help"])
    assert "Write a report" in r.output and "生成报告" not in r.output
    r = runner.invoke(app, ["index", "--help"], env={"NQPF_LANG": "zh"})
    assert "计算综合指数" in r.output and "缺失值插补" in r.output
    r = runner.invoke(app, ["framework", "check", "--help", "--lang", "zh"])  # a nested command
    assert "检查指标体系" in r.output and "选项" in r.output
    r = runner.invoke(app, ["--help"], env={"NQPF_LANG": "en"})
    assert "Build a composite index" in r.output and "计算综合指数" not in r.output


@needs_raw
def test_init_framework(book, tmp_path):
    out = tmp_path / "start.yaml"
    r = runner.invoke(app, ["init-framework", str(book), "--out", str(out), "--lang", "zh"])
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    fw = load_framework(str(out))
    assert sorted(fw.leaves) == sorted(IDS) and text.count("# REVIEW") == len(IDS)
    assert fw.parent("专利申请受理量_合计") == fw.parent("专利申请受理量_发明") != fw.parent("地区生产总值")
    before = out.read_bytes()
    r = runner.invoke(app, ["init-framework", str(book), "--out", str(out)])
    assert isinstance(r.exception, DataError) and "--force" in str(r.exception) and out.read_bytes() == before
    r = runner.invoke(app, ["init-framework", str(book), "--out", str(out), "--force", "--name", "x"])
    assert r.exit_code == 0 and load_framework(str(out)).name == "x"


def test_guess_direction():
    from nqpf.cli.cmd_data import guess_direction

    for neg in ("单位GDP能耗", "二氧化碳排放量", "工业废水排放", "城镇登记失业率", "CO2 emissions", "energy_intensity"):
        assert guess_direction(neg) == -1, neg
    for pos in ("发明专利授权量", "R&D经费内部支出", "数字经济核心产业增加值", "broadband_ports"):
        assert guess_direction(pos) == 1, pos


# ------------------------------------------------------------------------------------------ 6. CLI terms
def test_cli_terms():
    assert cli_terms("choose impute='linear' or drop_incomplete_units=True") == (
        "choose --impute linear or --drop-incomplete-units")
    assert cli_terms("pass period_col=... or layout='long'") == "pass --period-col ... or --layout long"
    assert cli_terms("or pass encoding='...'") == "or pass --encoding ..."
    assert cli_terms("read with units='none' (CLI: --units none) if not") == "read with --units none if not"
    assert cli_terms("nothing here (a=b)") == "nothing here (a=b)"


def test_file_not_found_not_dataset(tmp_path):
    r = runner.invoke(app, ["index", "--data", str(tmp_path / "nosuch.csv"), "--framework", "nqpf-core", "--out",
                            str(tmp_path / "o")])  # fmt: skip
    assert isinstance(r.exception, DataError)
    assert "file not found" in str(r.exception) and "build_datasets" not in str(r.exception)
    r = runner.invoke(app, ["--lang", "zh", "validate", str(tmp_path / "nosuch.xlsx")])
    assert "找不到文件" in str(r.exception)


def test_reader_errors_name_flags(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("地区,指标A\n北京,1\n天津,2\n", encoding="utf-8")
    r = runner.invoke(app, ["index", "--data", str(p), "--framework", "nqpf-core", "--out", str(tmp_path / "o")])
    msg = str(r.exception)
    assert isinstance(r.exception, DataError) and "--period-col" in msg and "period_col=" not in msg


def test_python_warnings_are_one_line_in_the_language(tmp_path):
    """A library warning during a command is printed as ``警告: <message>``, without file and source line."""
    rng = np.random.default_rng(0)
    rows = ["unit,period,k,l,y"]
    for i in range(40):
        k, l_ = rng.uniform(1, 3, 2)
        rows.append(f"U{i},2020,{k:.3f},{l_:.3f},{k + l_ + rng.normal(0, 0.3):.3f}")
    p = tmp_path / "f.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    r = runner.invoke(app, ["sfa", "--data", str(p), "--id", "unit", "--period", "period", "--output", "y",
                            "--inputs", "k,l", "--out", str(tmp_path / "s.csv"), "--lang", "zh"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "警告: sfa:" in r.output and "UserWarning" not in r.output and ".py:" not in r.output


def test_from_run_needs_a_run_folder(tmp_path):
    r = runner.invoke(app, ["report", "--from-run", str(tmp_path), "--out", str(tmp_path / "r.html")])
    assert isinstance(r.exception, DataError) and "manifest.json" in str(r.exception)
    (tmp_path / "manifest.json").write_text('{"settings": {}}', encoding="utf-8")  # written by an older nqpf
    r = runner.invoke(app, ["report", "--from-run", str(tmp_path), "--out", str(tmp_path / "r.html"), "--lang", "zh"])
    assert isinstance(r.exception, DataError) and "重新运行 nqpf index" in str(r.exception)
    r = runner.invoke(app, ["report", "--from-run", str(tmp_path), "--dataset", "cn_provinces", "--out",
                            str(tmp_path / "r.html")])  # fmt: skip
    assert isinstance(r.exception, DataError) and "not both" in str(r.exception)
    assert not (tmp_path / "r.html").exists()


def test_bind_to_data_python_api(book):
    """Python users get the same label binding from the DataFrame nqpf.read returns (labels in attrs)."""
    import warnings

    import nqpf
    from nqpf.framework.formula import bind_to_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = nqpf.read(book)
    spec = {"name": "t", "nodes": [{"id": "index"}, {"id": "a", "parent": "index", "direction": 1,
                                                     "formula": '"专利申请授权量(件) | 发明" / 地区生产总值'},
                                   {"id": "b", "parent": "index", "direction": 1, "formula": "地区生产总值*2"}]}
    fw = bind_to_data(spec, df)
    assert fw.node("a")["formula"] == "专利申请授权量_发明 / 地区生产总值"
    assert fw.node("b")["formula"] == "地区生产总值*2"  # nothing renamed: text kept as written
    assert bind_to_data(load_framework({"name": "u", "nodes": spec["nodes"][:1] + spec["nodes"][2:]}), df).hash == (
        load_framework({"name": "u", "nodes": spec["nodes"][:1] + spec["nodes"][2:]}).hash)


def test_report_from_run_reuses_every_setting(tmp_path, monkeypatch):
    p = tmp_path / "cities.csv"
    p.write_text("城市,年份,x,y\n" + "".join(f"{c},{y},{k + y - 2019},{9 - k}\n" for y in (2020, 2021, 2022)
                                           for k, c in enumerate(("石家庄市", "唐山市", "秦皇岛市", "邯郸市"))),
                 encoding="utf-8")  # fmt: skip
    fw = tmp_path / "f.yaml"
    fw.write_text("name: f\nnodes:\n  - {id: index}\n  - {id: x, parent: index, direction: 1}\n"
                  "  - {id: y, parent: index, direction: -1}\n", encoding="utf-8")  # fmt: skip
    r = runner.invoke(app, ["index", "--data", str(p), "--framework", str(fw), "--weights", "equal", "--normalize",
                            "zscore", "--periods", "2020-2021", "--out", str(tmp_path / "run")])  # fmt: skip
    assert r.exit_code == 0, r.output
    seen = {}

    def fake(**kw):
        seen.update(kw)

    import nqpf.report.build

    monkeypatch.setattr(nqpf.report.build, "build_report", fake)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # the run's paths are absolute
    r = runner.invoke(app, ["report", "--from-run", str(tmp_path / "run"), "--unit", "唐山", "--out", "r.html"])
    assert r.exit_code == 0, r.output
    assert seen["year"] == 2021 and seen["unit"] == "唐山市" and seen["dataset"] is None
    res = seen["result"]  # the CLI builds the index once and the report consumes it (issue 18.6)
    spec = res.spec
    assert (spec.impute, spec.weights, spec.normalize) == ("linear-carry", "equal", "zscore")
    assert sorted(res.scores["period"].unique()) == [2020, 2021]
    assert sorted(seen["data"]["unit"].unique()) == sorted(("石家庄市", "唐山市", "秦皇岛市", "邯郸市"))
    assert res.framework.name == "f" and "framework" not in seen and "index_options" not in seen
    r = runner.invoke(app, ["report", "--from-run", str(tmp_path / "run"), "--units", "none", "--year", "2020",
                            "--out", "r.html"])  # a flag given here overrides the run's
    assert r.exit_code == 0, r.output
    assert seen["year"] == 2020 and seen["result"].spec.weights == "equal"


def test_resolve_unit_names_without_admin_suffix():
    assert U.resolve_unit("延边", ["延边朝鲜族自治州", "长春市"]) == "延边朝鲜族自治州"
    assert U.resolve_unit("海淀", ["海淀区", "朝阳区"]) == "海淀区"
    with pytest.raises(U.UnknownUnitError) as ei:  # 唐山市 or 唐山县: ambiguous, both offered
        U.resolve_unit("唐山", ["唐山市", "唐山县", "石家庄市"])
    assert set(ei.value.suggestions[:2]) == {"唐山市", "唐山县"}


def test_own_data_commands_have_chinese_help():
    """Every option of the own-data path (validate, init-framework, index, report) and of dea, tfp, analyze and
    compare (with their subcommands) has a Chinese help text, and ``--lang zh`` shows it."""
    import typer

    from nqpf.i18n import catalogue

    cat = catalogue()
    root = typer.main.get_command(app)

    def options(cmd, full):
        yield from ((f"{full}.{p.name}", p) for p in cmd.params)
        for sub, c in (getattr(cmd, "commands", None) or {}).items():
            yield from options(c, f"{full}.{sub}")

    names = ("validate", "init-framework", "index", "report", "dea", "tfp", "analyze", "compare")
    missing = [k for name in names for k, _ in options(root.commands[name], name) if f"cli.opt.{k}" not in cat]
    assert not missing
    for args, key in ((["dea"], "dea.inputs"), (["tfp", "firm"], "tfp.firm.method"),
                      (["analyze", "theil"], "analyze.theil.measure"), (["compare"], "compare.top")):
        r = runner.invoke(app, ["--lang", "zh", *args, "--help"], env={"COLUMNS": "300"})
        assert r.exit_code == 0 and cat[f"cli.opt.{key}"]["zh"][:8] in r.output, (args, r.output)
    assert all(f"cli.help.{name}" in cat for name in root.commands)
    for key in (k for k in cat if k.startswith(("cli.opt.", "cli.help."))):
        assert re.search(r"[\u4e00-\u9fff]", cat[key]["zh"]), key


def test_usage_errors_in_chinese():
    r = runner.invoke(app, ["index", "--lang", "zh"])
    assert r.exit_code == 2 and "缺少选项 '--data'" in r.output, r.output
    r = runner.invoke(app, ["index", "--data", "x", "--framework", "y", "--out", "z", "--bogus", "--lang", "zh"])
    assert r.exit_code == 2 and "没有这个选项：--bogus" in r.output
    r = runner.invoke(app, ["index"])
    assert "Missing option '--data'" in r.output


def test_unknown_data_name(tmp_path):
    r = runner.invoke(app, ["index", "--data", "nosuch", "--framework", "nqpf-core", "--out", str(tmp_path / "o")])
    assert "file not found" in str(r.exception) and "build_datasets" not in str(r.exception)
    r = runner.invoke(app, ["report", "--dataset", "nosuch", "--framework", "nqpf-core", "--out", str(tmp_path / "r"),
                            "--lang", "zh"])  # fmt: skip
    assert "没有名为“nosuch”的内置数据集" in str(r.exception) and "build_datasets" not in str(r.exception)
