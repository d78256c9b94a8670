"""City reports on ``cn_cities`` with ``city-structure-green`` (issue 17 item 5): a city's rank within its province
and nationally, the within/between-province decomposition of the cities' disparities with the province's
contribution, the province's city map, and the parts city data cannot measure stated in plain words. The numbers
shown are recomputed here independently (pandas ranks on the displayed scores; Theil T from its definition,
Shorrocks' identity total = within + between)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_summary_diagnostics import ASCII_WORD, sections_text
from typer.testing import CliRunner

from nqpf.i18n import catalogue
from nqpf.index import build_index
from nqpf.report import MapBlock, Missing, Table
from nqpf.report.build import build_report
from nqpf.report.city import resolve_city, resolve_province
from nqpf.report.html import render_html

FW = "city-structure-green"
YEAR = 2015
CITY, PROVINCE = "320100", "320000"  # Nanjing, Jiangsu


def _msg(key, lang):
    return catalogue()[key][lang]


@pytest.fixture(scope="module")
def cities():
    import nqpf.datasets as D

    return D.load("cn_cities")  # shipped: a missing dataset fails the test (issue 18.7)


@pytest.fixture(scope="module")
def res(cities, quiet):
    return build_index(cities.data, FW)


@pytest.fixture(scope="module")
def docs(cities, quiet):
    out = {}
    for lang in ("zh", "en"):
        for kind, kw in (("city", {"unit": CITY}), ("province", {"province": "江苏"})):
            doc = build_report(dataset="cn_cities", framework=FW, year=YEAR, lang=lang, **kw)
            out[kind, lang] = (doc, sections_text(render_html(doc, geometry=_geo())))
    return out


def _geo():
    from nqpf.report import geo_city

    if not geo_city.province_files_available():
        return None
    return geo_city.city_geometry(PROVINCE, year=YEAR)


def _section(doc, sid):
    return next(s for s in doc.sections if s.id == sid)


def _shown(res, year=YEAR):
    """Index scores as displayed (4 decimals) with the province of each city."""
    sc = res.scores[(res.scores["node"] == res.framework.root) & (res.scores["period"] == year)].copy()
    sc["unit"] = sc["unit"].astype(str)
    sc["shown"] = sc["score"].round(4)
    return sc


def _gini(y: np.ndarray) -> float:
    """Gini from its definition: Σ_i Σ_j |y_i − y_j| / (2 n² μ)."""
    return float(np.abs(y[:, None] - y[None, :]).sum() / (2 * len(y) ** 2 * y.mean()))


def _theil_t(y: np.ndarray) -> float:
    r = y / y.mean()
    return float(np.mean(r * np.log(r)))


def test_city_rank_within_province_and_nationally(docs, res, cities):
    sc = _shown(res)
    par = dict(zip(cities.units["unit"].astype(str), cities.units["province"].astype(str), strict=True))
    sc["province"] = sc["unit"].map(par)
    nat = sc["shown"].rank(ascending=False, method="min")
    js = sc[sc["province"] == PROVINCE]
    inprov = js["shown"].rank(ascending=False, method="min")
    me = sc["unit"] == CITY
    rn, rp = int(nat[me].iloc[0]), int(inprov[js["unit"] == CITY].iloc[0])
    for lang in ("zh", "en"):
        doc, text = docs["city", lang]
        s = text["summary"]
        assert f"{sc.loc[me, 'score'].iloc[0]:.4f}" in s
        if lang == "zh":
            assert f"在江苏的 {len(js)} 个城市中排第 {rp} 位，在全国 {len(sc)} 个城市中排第 {rn} 位" in s
        else:
            assert f"rank {rp} of the {len(js)} cities of Jiangsu, rank {rn} of {len(sc)} nationally" in s
        tab = next(b for b in _section(doc, "ranking").blocks if isinstance(b, Table)).df
        names = dict(zip(cities.units["unit"].astype(str), cities.units[f"name_{lang}"], strict=True))
        order = js.assign(r=inprov).sort_values(["r", "unit"], kind="mergesort")
        assert tab[_msg("report.col.name", lang)].tolist() == [names[u] for u in order["unit"]]
        assert tab[_msg("report.city.col.rank_p", lang)].tolist() == order["r"].astype(int).tolist()
        assert tab[_msg("report.city.col.rank_n", lang)].tolist() == nat[order.index].astype(int).tolist()


def test_within_between_decomposition_recomputed(docs, res, cities):
    sc = _shown(res)
    par = dict(zip(cities.units["unit"].astype(str), cities.units["province"].astype(str), strict=True))
    y = sc["score"].to_numpy(float)
    g = sc["unit"].map(par).to_numpy()
    total = _theil_t(y)
    within, contrib = 0.0, {}
    for p in np.unique(g):
        yj = y[g == p]
        sj = yj.sum() / y.sum()
        contrib[p] = sj * (_theil_t(yj) if len(yj) > 1 else 0.0)
        within += contrib[p]
    between = float(sum((y[g == p].sum() / y.sum()) * np.log(y[g == p].mean() / y.mean()) for p in np.unique(g)))
    assert abs(within + between - total) < 1e-12  # Shorrocks (1980): T is additively decomposable
    tp = _theil_t(y[g == PROVINCE])
    for kind in ("city", "province"):
        for lang in ("zh", "en"):
            doc, text = docs[kind, lang]
            s = text["summary"]
            assert f"{total:.4f}" in s and f"{within / total:.1%}" in s and f"{between / total:.1%}" in s
            assert f"{tp:.4f}" in s and f"{contrib[PROVINCE] / within:.1%}" in s
            wb = next(b.df for b in _section(doc, "inequality").blocks if getattr(b, "sheet", "") == "within_between")
            row = wb[wb[_msg("common.period", lang)] == YEAR].iloc[0]
            assert row[_msg("report.city.col.total", lang)] == pytest.approx(total, abs=1e-12)
            assert row[_msg("report.city.col.within", lang)] == pytest.approx(within, abs=1e-12)
            assert row[_msg("report.city.col.between", lang)] == pytest.approx(between, abs=1e-12)
            assert row[_msg("report.city.col.gini", lang)] == pytest.approx(_gini(y), abs=1e-12)


def test_province_report_summary(docs, res, cities):
    sc = _shown(res)
    par = dict(zip(cities.units["unit"].astype(str), cities.units["province"].astype(str), strict=True))
    js = sc[sc["unit"].map(par) == PROVINCE].sort_values(["shown", "unit"], ascending=[False, True])
    names = dict(zip(cities.units["unit"].astype(str), cities.units["name_zh"], strict=True))
    doc, text = docs["province", "zh"]
    s = text["summary"]
    assert f"{names[js['unit'].iloc[0]]}得分最高（{js['score'].iloc[0]:.4f}" in s
    assert f"{names[js['unit'].iloc[-1]]}最低（{js['score'].iloc[-1]:.4f}" in s
    assert f"江苏城市平均得分 {js['score'].mean():.4f}，全国城市平均 {sc['score'].mean():.4f}" in s
    n_units = int(((cities.units["province"].astype(str) == PROVINCE) & (cities.units["level"] != "province")).sum())
    assert f"江苏的 {n_units} 个地级单位中有 {len(js)} 个" in s
    findings = [b for b in doc.sections[0].blocks if getattr(b, "kind", "") == "finding"]
    assert 3 <= len(findings) <= 5


def test_map_is_the_province_with_the_city_highlighted(docs, res, cities):
    par = dict(zip(cities.units["unit"].astype(str), cities.units["province"].astype(str), strict=True))
    sc = _shown(res)
    want = set(sc.loc[sc["unit"].map(par) == PROVINCE, "unit"])
    for kind in ("city", "province"):
        doc, _ = docs[kind, "en"]
        blocks = _section(doc, "map").blocks
        if any(isinstance(b, Missing) for b in blocks):
            pytest.skip("prefecture-city boundaries are not installed")
        mb = next(b for b in blocks if isinstance(b, MapBlock))
        assert set(mb.values.index.astype(str)) == want
        assert mb.highlight == (CITY if kind == "city" else None)
    geo = _geo()
    html = render_html(docs["city", "en"][0], geometry=geo)
    assert all(f["properties"]["province"] == PROVINCE for f in geo["features"])
    assert '"320100"' in html or "320100" in html


def test_build_report_uses_the_city_geometry(cities, quiet, tmp_path):
    from nqpf.report import geo_city

    if not geo_city.province_files_available():
        pytest.skip("prefecture-city boundaries are not installed")
    out = tmp_path / "nj.html"
    build_report(dataset="cn_cities", framework=FW, year=YEAR, unit=CITY, lang="zh", out=out)
    html = out.read_text(encoding="utf-8")
    ids = {f["properties"]["id"] for f in geo_city.city_geometry(PROVINCE, year=YEAR)["features"]}
    assert all(f'"{i}"' in html for i in ids)
    assert '"130100"' not in html  # a city of another province (Shijiazhuang) is not drawn


def test_gaps_say_what_data_is_missing(docs):
    for lang in ("zh", "en"):
        doc, text = docs["city", lang]
        miss = [b for b in _section(doc, "gaps").blocks if isinstance(b, Missing)]
        whats = [m.what for m in miss]
        for k in ("innovation", "digital", "human", "tfp", "guide"):
            assert _msg(f"report.city.gap.{k}", lang) in whats
        assert all(m.needs and m.reason for m in miss)
        ids = [s.id for s in doc.sections]
        assert "action" not in ids and "tfp" not in ids and "typology" not in ids


def test_reader_sections_present(docs, res):
    for kind in ("city", "province"):
        doc, _ = docs[kind, "en"]
        ids = [s.id for s in doc.sections]
        assert ids[0] == "summary" and ids[-4:] == ["indicators", "methods", "sources", "limits"]
        ind = next(b.df for b in _section(doc, "indicators").blocks if isinstance(b, Table))
        assert len(ind) == len(res.framework.leaves)


def test_zh_city_reports_have_no_english_fragments(docs, res, cities):
    fw = res.framework
    labels = sorted({fw.label(n, "zh") for n in fw.ids} | set(cities.indicators["name_zh"].astype(str)),
                    key=len, reverse=True)
    for kind in ("city", "province"):
        _, text = docs[kind, "zh"]
        for sid, body in text.items():
            if sid == "map":  # the caption names the boundary data's source (ECharts)
                continue
            body = body.replace(fw.meta.get("title_zh") or "\0", "")
            for lab in labels:
                body = body.replace(lab, "")
            for ok in ("GDP", "R&D"):
                body = body.replace(ok, "")
            assert not ASCII_WORD.findall(body), (kind, sid, sorted(set(ASCII_WORD.findall(body)))[:10])


def test_city_names_resolve(cities):
    for s in ("南京", "南京市", "Nanjing", "320100"):
        assert resolve_city(s, cities.units) == CITY
    for s in ("江苏", "江苏省", "Jiangsu", "320000"):
        assert resolve_province(s, cities.units) == PROVINCE
    from nqpf.errors import DataError

    with pytest.raises(DataError, match="--unit"):
        resolve_city("不存在的城市", cities.units)
    with pytest.raises(DataError, match="--province"):
        resolve_province("不存在", cities.units)


def test_dropped_city_is_explained(cities, res, quiet):
    from nqpf.errors import DataError

    dropped = [str(u) for u in res.manifest["dropped_units"]]
    assert dropped
    with pytest.raises(DataError, match="incomplete"):
        build_report(dataset="cn_cities", framework=FW, year=YEAR, unit=dropped[0], lang="en")


def test_province_flag_needs_a_city_dataset(cn, quiet):
    from nqpf.errors import DataError

    with pytest.raises(DataError, match="--province"):
        build_report(dataset="cn_provinces", framework="nqpf-core", year=2021, province="江苏", lang="en")


def test_cli_city_and_province_reports(tmp_path, quiet):
    from nqpf.cli import main

    main.register_commands()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = CliRunner().invoke(main.app, ["--lang", "zh", "report", "--data", "cn_cities", "--framework", FW,
                                          "--unit", "南京", "--out", str(tmp_path / "nj.html")])
        assert r.exit_code == 0, r.output
        r2 = CliRunner().invoke(main.app, ["report", "--dataset", "cn_cities", "--framework", FW, "--province",
                                           "Jiangsu", "--format", "xlsx", "--out", str(tmp_path / "js.xlsx")])
        assert r2.exit_code == 0, r2.output
        r3 = CliRunner().invoke(main.app, ["report", "--dataset", "cn_cities", "--framework", FW, "--province",
                                           "Atlantis", "--out", str(tmp_path / "x.html")])
    text = (tmp_path / "nj.html").read_text(encoding="utf-8")
    assert "南京市 2015 年城市报告" in text and "省内排名" in text
    from openpyxl import load_workbook

    assert "ranking" in load_workbook(tmp_path / "js.xlsx").sheetnames
    assert r3.exit_code != 0 and "--province" in r3.output + str(r3.exception)


def test_national_city_report_maps_all_cities_with_the_inset(cities, res, quiet):
    from nqpf.report import geo as G
    from nqpf.report import geo_city

    doc = build_report(dataset="cn_cities", framework=FW, year=YEAR, lang="zh")
    assert doc.title == _msg("report.city.national_title", "zh").format(year=YEAR)
    mb = next(b for b in _section(doc, "map").blocks if isinstance(b, MapBlock))
    assert set(mb.values.index.astype(str)) == set(_shown(res)["unit"])
    if not geo_city.province_files_available():
        pytest.skip("prefecture-city boundaries are not installed")
    gj = geo_city.city_geometry(None, year=YEAR)
    assert sum(G.is_inset(f) for f in gj["features"]) == 1  # 南海诸岛 on the national map


def test_aggregation_check_reports_city_sums_against_the_province(docs, cities, cn):
    d = cities.data[(cities.data["indicator"] == "gdp_nominal") & (cities.data["period"] == YEAR)].dropna(subset=["value"])
    par = dict(zip(cities.units["unit"].astype(str), cities.units["province"].astype(str), strict=True))
    js = d[d["unit"].astype(str).map(par) == PROVINCE]
    p = cn.data[(cn.data["indicator"] == "gdp_nominal") & (cn.data["period"] == YEAR)
                & (cn.data["unit"].astype(str) == PROVINCE)]["value"].iloc[0]
    doc, _ = docs["province", "en"]
    tab = next(b.df for b in _section(doc, "aggregation").blocks if isinstance(b, Table))
    row = tab[tab[_msg("common.period", "en")] == YEAR].iloc[0]
    assert row[_msg("report.city.agg.col.n", "en")] == len(js)
    assert row[_msg("report.city.agg.col.sum", "en")] == pytest.approx(js["value"].sum(), rel=1e-12)
    assert row[_msg("report.city.agg.col.total", "en")] == pytest.approx(p, rel=1e-12)
    assert row[_msg("report.city.agg.col.ratio", "en")] == pytest.approx(js["value"].sum() / p, rel=1e-12)
