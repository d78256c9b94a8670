"""Assemble the national and regional reports (``build_report``) from a dataset, a framework and the
analysis layers. Every section that lacks what it needs says so (a :class:`Missing` block) instead of
vanishing or failing."""

from __future__ import annotations

import datetime as _dt
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf.errors import DataError, NQPFError
from nqpf.i18n import t
from nqpf.report import Chart, Facts, MapBlock, Missing, ReportDoc, Section, Table, Text

DEA_INPUTS = ("capital_stock", "employment", "energy_consumption")
DEA_OUTPUT = "gdp_nominal"


@dataclass
class Inputs:
    data: pd.DataFrame
    units: pd.DataFrame | None
    catalogue: pd.DataFrame | None
    source: str


def _load_inputs(dataset: str | None, data: Any) -> Inputs:
    if (dataset is None) == (data is None):
        raise DataError("give exactly one of dataset (a built-in name) or data (a file path or long DataFrame)")
    if dataset is not None:
        import nqpf.datasets as D

        try:
            ds = D.load(dataset)
        except KeyError as exc:
            raise DataError(f"unknown dataset {dataset!r}; built-in datasets: {D.names()}") from exc
        return Inputs(ds.data, ds.units, ds.indicators, f"dataset {dataset}")
    if isinstance(data, pd.DataFrame):
        long = data
        src = "DataFrame"
    else:
        p = Path(data)
        if not p.exists():
            raise DataError(f"data file {p} does not exist")
        try:
            from nqpf.data.io import read

            long = read(p)
        except ImportError:
            long = pd.read_csv(p, dtype={"unit": str})
        src = str(p)
    if hasattr(long, "data"):
        long = long.data
    if not {"unit", "period", "indicator", "value"} <= set(long.columns):
        from nqpf.data.panel import to_long

        long = to_long(long)
    units, catalogue = None, None
    try:  # province codes: borrow names and groups (and the catalogue for known ids) from cn_provinces
        import nqpf.datasets as D

        ref = D.load("cn_provinces")
        if set(long["unit"].astype(str)) <= set(ref.units["unit"].astype(str)):
            units = ref.units
            catalogue = ref.indicators
    except (ImportError, KeyError, NQPFError):
        pass
    return Inputs(long, units, catalogue, src)


def _names(inp: Inputs, lang: str) -> dict[str, str]:
    if inp.units is None:
        return {}
    col = "name_zh" if lang == "zh" else "name_en"
    if col not in inp.units:
        return {}
    return dict(zip(inp.units["unit"].astype(str), inp.units[col].astype(str), strict=True))


def _group_labels(inp: Inputs, lang: str) -> dict[str, str]:
    """unit -> group label in ``lang`` (units.group; Chinese from group_zh or region4_zh when they match)."""
    u = inp.units
    if u is None or "group" not in u:
        return {}
    g = u["group"].astype(str)
    if lang == "zh":
        if "group_zh" in u:
            g = u["group_zh"].astype(str)
        elif "region4_zh" in u and "region4" in u and (u["region4"].astype(str) == u["group"].astype(str)).all():
            g = u["region4_zh"].astype(str)
    return dict(zip(u["unit"].astype(str), g, strict=True))


def _ind_label(inp: Inputs, lang: str):
    lab: dict[str, str] = {}
    if inp.catalogue is not None:
        col = "name_zh" if lang == "zh" else "name_en"
        if col in inp.catalogue:
            lab = dict(zip(inp.catalogue["indicator"].astype(str), inp.catalogue[col].astype(str), strict=True))

    def f(i: str) -> str:
        return lab.get(i, i)

    return f


def build_report(*, dataset: str | None = None, data: Any = None, framework: Any, year: int,
                 unit: str | None = None, lang: str = "en", fmt: str = "html", out: str | Path | None = None,
                 index_options: dict | None = None, uncertainty: Any = None, uncertainty_samples: int = 0,
                 geometry: str | Path | dict | None = None, static: bool = False, seed: int = 0) -> ReportDoc:
    """Build the national report (``unit=None``) or the regional report of ``unit`` for ``year``.

    ``dataset``: built-in dataset name, or ``data``: a file path / long DataFrame; ``framework``: built-in
    name, YAML path or Framework; ``index_options``: passed to :func:`nqpf.index.build_index` (default
    ``impute='linear-carry'``); ``uncertainty``: an ``UncertaintyResult`` or a table with unit, period,
    rank_p05, rank_p95 — or ``uncertainty_samples`` > 0 to run ``nqpf.uncertainty.run_uncertainty`` with that
    base sample size (seeded by ``seed``); ``fmt``: 'html' or 'xlsx'; ``out``: file to write (atomically).
    Returns the :class:`ReportDoc`. Unknown unit or year → :class:`DataError` listing the valid ones.
    """
    if lang not in ("zh", "en"):
        raise DataError(f"lang must be 'zh' or 'en', got {lang!r}")
    if fmt not in ("html", "xlsx"):
        raise DataError(f"format must be 'html' or 'xlsx', got {fmt!r}")
    from nqpf.index import build_index

    inp = _load_inputs(dataset, data)
    years = sorted(int(y) for y in inp.data["period"].unique())
    if int(year) not in years:
        raise DataError(f"year {year} is not in the data; valid years: {years}")
    if unit is not None:
        valid = sorted(set(inp.data["unit"].astype(str)))
        if str(unit) not in valid:
            raise DataError(f"unit {unit!r} is not in the data; valid units: {valid}")
    from nqpf.framework import load_framework
    from nqpf.index.pipeline import framework_method

    # the framework's declared method applies; without one, gaps are filled linearly (reports must not stop)
    opts = {} if "impute" in framework_method(load_framework(framework)) else {"impute": "linear-carry"}
    opts.update(index_options or {})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = build_index(inp.data, framework, **opts)
    index_years = sorted(int(p) for p in res.scores["period"].unique())
    if int(year) not in index_years:
        raise DataError(f"year {year} is not in the index result (framework indicators cover {index_years}); "
                        f"choose one of those years")
    unc_table = _uncertainty_table(uncertainty, inp, framework, opts, uncertainty_samples, seed, res)
    geo = _geometry(geometry)
    if unit is None:
        doc = _national(res, inp, int(year), lang, unc_table, geo,
                        sens=uncertainty if hasattr(uncertainty, "sensitivity") else None)
    else:
        doc = _regional(res, inp, str(unit), int(year), lang, unc_table, geo)
    doc.manifest = {"index": res.manifest, "index_options": opts, "warnings": [str(w.message) for w in caught],
                    "built": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    if out is not None:
        if fmt == "html":
            from nqpf.report.html import write_html

            write_html(doc, out, static=static, geometry=geo)
        else:
            from nqpf.report.excel import write_excel

            write_excel(doc, out)
    return doc


def _geometry(geometry):
    if geometry is None or isinstance(geometry, dict):
        return geometry
    from nqpf.report.figures import load_geometry

    return load_geometry(geometry)


def _uncertainty_table(unc, inp, framework, opts, samples, seed, res) -> pd.DataFrame | None:
    if unc is None and samples and samples > 0:
        from nqpf.uncertainty.montecarlo import FACTORS, run_uncertainty

        kw = {k: v for k, v in opts.items() if k in ("impute", "treat", "normalize", "weights", "aggregate", "periods")}
        # the gap-filling method stays the report's own (alternatives may not fill every gap of the data)
        vary = [f for f in FACTORS if f != "impute"]
        unc = run_uncertainty(inp.data, framework, samples=int(samples), seed=seed, unit_sensitivity=False,
                              vary=vary, backend="sequential" if samples < 64 else "auto", **kw)
    if unc is None:
        return None
    tab = getattr(unc, "rank_intervals", unc)
    if not isinstance(tab, pd.DataFrame) or not {"unit", "rank_p05", "rank_p95"} <= set(tab.columns):
        raise DataError("uncertainty must be an UncertaintyResult or a table with unit, rank_p05, rank_p95")
    return tab.assign(unit=tab["unit"].astype(str))


# ---------------------------------------------------------------------------------------------------------
def _meta(res, inp, year, lang, unit_name: str | None = None) -> list[tuple[str, str]]:
    fw = res.framework
    s = res.manifest.get("settings", {})
    out = [(t("report.meta.data", lang), inp.source),
           (t("report.meta.framework", lang), f"{fw.name} — {fw.meta.get('title_' + lang, '') or ''}".strip(" —")),
           (t("report.meta.year", lang), str(year)),
           (t("report.meta.units", lang), str(res.scores["unit"].nunique())),
           (t("report.meta.settings", lang), ", ".join(f"{k}={v}" for k, v in s.items()
                                                       if k in ("impute", "treat", "normalize", "weights",
                                                                "weight_scope", "aggregate")))]
    if unit_name:
        out.insert(0, (t("report.meta.region", lang), unit_name))
    return out


def _dims(res) -> list[str]:
    return res.framework.children(res.framework.root)


def _ranking(res, inp, year, lang, unc) -> pd.DataFrame:
    names = _names(inp, lang)
    groups = _group_labels(inp, lang)
    sc = res.scores[res.scores["period"].astype(int) == year].assign(unit=lambda d: d["unit"].astype(str))
    root = res.framework.root
    r = sc[sc["node"] == root][["unit", "score", "rank"]].copy()
    r.insert(1, "name", r["unit"].map(lambda u: names.get(u, u)))
    r.insert(2, "group", r["unit"].map(lambda u: groups.get(u, "")))
    if unc is not None:
        u = unc[unc["period"].astype(int) == year] if "period" in unc else unc
        r = r.merge(u[["unit", "rank_p05", "rank_p95"]], on="unit", how="left")
    return r.sort_values("rank", kind="mergesort").reset_index(drop=True)


def _bar_option(labels, values, title, lo=None, hi=None, highlight=None) -> dict:
    data = [{"value": None if not np.isfinite(v) else round(float(v), 4),
             "itemStyle": {"color": "#c0392b" if highlight is not None and lab == highlight else "#2c7fb8"}}
            for lab, v in zip(labels, values, strict=True)]
    return {"animation": False, "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
            "tooltip": {"trigger": "axis"}, "grid": {"left": 90, "right": 30, "top": 40, "bottom": 30},
            "xAxis": {"type": "value"}, "yAxis": {"type": "category", "data": list(labels)[::-1]},
            "series": [{"type": "bar", "data": data[::-1]}]}


def _interval_option(labels, nominal, lo, hi, title) -> dict:
    """Rank intervals as floating bars (transparent base + interval) with the nominal rank as points."""
    base = [None if not np.isfinite(a) else float(a) for a in lo]
    span = [None if not (np.isfinite(a) and np.isfinite(b)) else float(b - a) for a, b in zip(lo, hi, strict=True)]
    return {"animation": False, "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
            "tooltip": {"trigger": "axis"}, "grid": {"left": 90, "right": 30, "top": 40, "bottom": 30},
            "xAxis": {"type": "value", "inverse": False, "min": 1},
            "yAxis": {"type": "category", "data": list(labels)[::-1]},
            "series": [{"type": "bar", "stack": "r", "data": base[::-1], "itemStyle": {"color": "transparent"}},
                       {"type": "bar", "stack": "r", "data": span[::-1], "itemStyle": {"color": "#9ecae1"}},
                       {"type": "scatter", "data": [float(v) for v in nominal][::-1], "symbolSize": 7,
                        "itemStyle": {"color": "#08519c"}}]}


def _line_option(x, series: dict[str, list], title: str, ytitle: str = "") -> dict:
    return {"animation": False, "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
            "tooltip": {"trigger": "axis"}, "legend": {"top": 24, "type": "scroll"},
            "grid": {"left": 60, "right": 30, "top": 64, "bottom": 30},
            "xAxis": {"type": "category", "data": [str(v) for v in x]}, "yAxis": {"type": "value", "name": ytitle},
            "series": [{"type": "line", "name": k, "data": [None if v is None or not np.isfinite(v) else round(float(v), 4)
                                                             for v in vals]} for k, vals in series.items()]}


def _national(res, inp, year, lang, unc, geo, sens=None) -> ReportDoc:
    fw = res.framework
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    doc = ReportDoc(title=L("report.national.title", year=year), lang=lang,
                    subtitle=L("report.subtitle", framework=fw.label(fw.root, lang)), meta=_meta(res, inp, year, lang))
    rk = _ranking(res, inp, year, lang, unc)
    cols = {"unit": L("report.col.unit"), "name": L("report.col.name"), "group": L("report.col.group"),
            "score": L("report.col.score"), "rank": L("report.col.rank"), "rank_p05": L("report.col.rank_p05"),
            "rank_p95": L("report.col.rank_p95")}
    s = Section("ranking", L("report.section.ranking"), intro=L("report.intro.ranking"))
    s.blocks.append(Table(rk.rename(columns=cols), caption=L("report.caption.ranking", year=year), sheet="ranking",
                          formats={cols["score"]: "{:.4f}", cols["rank_p05"]: "{:.0f}", cols["rank_p95"]: "{:.0f}"}))
    s.blocks.append(Chart(_bar_option(rk["name"].tolist(), rk["score"].tolist(), L("report.caption.ranking", year=year)),
                          height=max(360, 18 * len(rk) + 80)))
    if unc is not None and rk["rank_p05"].notna().any():
        s.blocks.append(Chart(_interval_option(rk["name"].tolist(), rk["rank"].tolist(), rk["rank_p05"].tolist(),
                                               rk["rank_p95"].tolist(), L("report.caption.rank_interval")),
                              height=max(360, 18 * len(rk) + 80), caption=L("report.caption.rank_interval_note")))
    else:
        s.blocks.append(Missing(L("report.missing.uncertainty"), [L("report.needs.uncertainty")]))
    doc.sections.append(s)

    s = Section("map", L("report.section.map"))
    vals = rk.set_index("unit")["score"]
    if geo is None:
        from nqpf import assets

        if assets.china_map() is None:
            s.blocks.append(Missing(L("report.map"), [L("report.map_geometry")], L("report.map_howto")))
    if not s.blocks:
        s.blocks.append(MapBlock(vals, title=L("report.caption.map", year=year), legend=L("report.col.score")))
    doc.sections.append(s)

    # dimensions: multi-level header (dimension / score, rank)
    sc = res.scores[res.scores["period"].astype(int) == year].assign(unit=lambda d: d["unit"].astype(str))
    dims = _dims(res)
    names = _names(inp, lang)
    w = sc[sc["node"].isin(dims)].pivot(index="unit", columns="node", values=["score", "rank"])
    tab = pd.DataFrame({(L("report.col.region"), ""): [names.get(u, u) for u in w.index]}, index=w.index)
    for d in dims:
        tab[(fw.label(d, lang), L("report.col.score"))] = w[("score", d)]
        tab[(fw.label(d, lang), L("report.col.rank"))] = w[("rank", d)].astype(int)
    tab = tab.loc[rk["unit"]]
    tab.columns = pd.MultiIndex.from_tuples(tab.columns)
    s = Section("dimensions", L("report.section.dimensions"), intro=L("report.intro.dimensions"))
    s.blocks.append(Table(tab.reset_index(drop=True), caption=L("report.caption.dimensions", year=year),
                          sheet="dimensions"))
    doc.sections.append(s)

    doc.sections.append(_dagum_section(res, inp, year, lang))
    doc.sections.append(_convergence_section(res, inp, year, lang))
    from nqpf.report.explain import explain_sections

    doc.sections.extend(explain_sections(res, inp, year, lang, names, _group_labels(inp, lang), uncertainty=sens))
    doc.sections.append(_typology_overview(inp, year, lang))
    doc.sections.append(_tfp_section(inp, year, lang, names))
    return doc


def _dagum_section(res, inp, year, lang) -> Section:
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("dagum", L("report.section.dagum"), intro=L("report.intro.dagum"))
    if inp.units is None or "group" not in inp.units:
        s.blocks.append(Missing(L("report.section.dagum"), [L("report.needs.groups")]))
        return s
    try:
        from nqpf.analysis.inequality import dagum
    except ImportError:
        s.blocks.append(Missing(L("report.section.dagum"), ["nqpf.analysis.inequality"]))
        return s
    root = res.framework.root
    sc = res.scores[res.scores["node"] == root].assign(unit=lambda d: d["unit"].astype(str))
    g = _group_labels(inp, lang)
    sc = sc.assign(group=sc["unit"].map(g)).dropna(subset=["group"])
    try:
        dg = dagum(sc, "score", "group", period="period", unit="unit")
    except NQPFError as exc:
        s.blocks.append(Missing(L("report.section.dagum"), [], str(exc)))
        return s
    comp = ["G", "Gw", "Gnb", "Gt", "share:Gw", "share:Gnb", "share:Gt"]
    piv = dg[dg["component"].isin(comp)].pivot(index="period", columns="component", values="value")[comp]
    piv = piv.reset_index()
    lab = {"period": L("common.period"), "G": L("report.col.gini"), "Gw": L("report.col.gw"),
           "Gnb": L("report.col.gnb"), "Gt": L("report.col.gt"), "share:Gw": L("report.col.share_gw"),
           "share:Gnb": L("report.col.share_gnb"), "share:Gt": L("report.col.share_gt")}
    s.blocks.append(Table(piv.rename(columns=lab), caption=L("report.caption.dagum"), sheet="dagum",
                          formats={v: "{:.4f}" for k, v in lab.items() if k != "period"},
                          highlight=year))
    s.blocks.append(Chart(_line_option(piv["period"].tolist(), {lab[c]: piv[c].tolist() for c in ("G", "Gw", "Gnb", "Gt")},
                                       L("report.caption.dagum")), height=340))
    within = dg[(dg["period"] == year) & dg["component"].str.startswith(("within:", "between:"))]
    if len(within):
        wt = within.assign(component=within["component"].str.replace("within:", L("report.col.within") + ": ")
                           .str.replace("between:", L("report.col.between") + ": "))[["component", "value"]]
        s.blocks.append(Table(wt.rename(columns={"component": L("report.col.component"), "value": L("report.col.gini")}),
                              caption=L("report.caption.dagum_groups", year=year), sheet="dagum_groups"))
    return s


def _convergence_section(res, inp, year, lang) -> Section:
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("convergence", L("report.section.convergence"), intro=L("report.intro.convergence"))
    try:
        from nqpf.analysis.convergence import beta_cross_section, sigma
    except ImportError:
        s.blocks.append(Missing(L("report.section.convergence"), ["nqpf.analysis.convergence"]))
        return s
    root = res.framework.root
    sc = res.scores[(res.scores["node"] == root) & (res.scores["period"].astype(int) <= year)]
    sc = sc.assign(unit=sc["unit"].astype(str))
    if sc["period"].nunique() < 3:
        s.blocks.append(Missing(L("report.section.convergence"), [L("report.needs.three_periods")]))
        return s
    try:
        sg = sigma(sc, "score")
        bt = beta_cross_section(sc, "score")
    except NQPFError as exc:
        s.blocks.append(Missing(L("report.section.convergence"), [], str(exc)))
        return s
    tr = sg.attrs.get("trend", {})
    s.blocks.append(Table(sg.rename(columns={"period": L("common.period"), "sigma_log": "σ (ln)", "cv": "CV",
                                             "n": "n"}), caption=L("report.caption.sigma"), sheet="sigma"))
    s.blocks.append(Chart(_line_option(sg["period"].tolist(), {"σ (ln)": sg["sigma_log"].tolist(), "CV": sg["cv"].tolist()},
                                       L("report.caption.sigma")), height=300))
    b = bt.iloc[0]
    s.blocks.append(Facts([
        (L("report.col.sigma_trend"), f"{tr.get('slope', float('nan')):+.4f} (p = {tr.get('p_value', float('nan')):.3f})"),
        ("β", f"{b['beta']:+.4f} (se {b['se']:.4f}, p = {b['p_value']:.3f}, n = {int(b['n'])}, "
              f"{int(b['start'])}–{int(b['end'])})"),
        (L("report.col.half_life"), "—" if not np.isfinite(b["half_life"]) else f"{b['half_life']:.1f}"),
    ], title=L("report.caption.beta")))
    s.blocks.append(Text(L("report.note.convergence"), "note"))
    return s


def _typology_overview(inp, year, lang) -> Section:
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    from nqpf.guide.typology import check_typology_data, classify_all, load_typology

    s = Section("typology", L("report.section.typology_all"), intro=L("report.intro.typology"))
    typ = load_typology()
    miss = check_typology_data(inp.data, typ)
    if len(miss) == len(typ.indicators()):
        s.blocks.append(Missing(L("report.section.typology_all"), miss))
        return s
    if miss:
        s.blocks.append(Text(L("report.note.typology_missing", items=", ".join(miss)), "warning"))
    ca = classify_all(inp.data, year, typ)
    names = _names(inp, lang)
    out = pd.DataFrame({
        L("report.col.unit"): ca["unit"], L("report.col.name"): ca["unit"].map(lambda u: names.get(u, u)),
        L("report.col.type_dr"): ca["digital_real"].map(lambda x: typ.type_label(x, lang)),
        L("report.col.type_de"): ca["data_economy"].map(
            lambda x: "、".join(typ.type_label(v, lang) for v in x.split(",") if v) if lang == "zh"
            else ", ".join(typ.type_label(v, lang) for v in x.split(",") if v)),
        typ.scores["digital_industrialisation"]["label"][lang]: ca["digital_industrialisation"],
        typ.scores["industrial_digitalisation"]["label"][lang]: ca["industrial_digitalisation"],
    })
    s.blocks.append(Table(out, caption=L("report.caption.typology", year=year), sheet="typology"))
    return s


def _tfp_section(inp, year, lang, names, unit: str | None = None) -> Section:
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("tfp", L("report.section.tfp"), intro=L("report.intro.tfp"))
    d = inp.data.assign(unit=inp.data["unit"].astype(str))
    from nqpf.guide.profile import TFP_CANDIDATES

    present = set(d["indicator"].unique())
    have = [c for c in TFP_CANDIDATES if c in present]
    lab = _ind_label(inp, lang)
    added = False
    for c in have:
        x = d[(d["indicator"] == c) & (d["period"] == year)][["unit", "value"]].dropna()
        if x.empty:
            continue
        x = x.sort_values("value", ascending=False)
        x.insert(1, "name", x["unit"].map(lambda u: names.get(u, u)))
        x["rank"] = x["value"].rank(ascending=False, method="min").astype(int)
        s.blocks.append(Table(x.rename(columns={"unit": L("report.col.unit"), "name": L("report.col.name"),
                                                "value": lab(c), "rank": L("report.col.rank")}).reset_index(drop=True),
                              caption=L("report.caption.tfp_indicator", name=lab(c), year=year), sheet=f"tfp_{c}"[:31],
                              highlight=unit))
        added = True
    # DEA efficiency for the year, when inputs and output exist
    need = [*DEA_INPUTS, DEA_OUTPUT]
    lacking = [c for c in need if c not in present]
    if lacking:
        s.blocks.append(Missing(L("report.caption.dea"), lacking))
    else:
        w = d[(d["period"] == year) & d["indicator"].isin(need)].pivot(index="unit", columns="indicator",
                                                                          values="value").dropna()
        if len(w) < 5:
            yr = d[(d["period"] == year) & d["indicator"].isin(need)].dropna(subset=["value"])
            short = [c for c in need if yr[yr["indicator"] == c]["unit"].nunique() < 5]
            s.blocks.append(Missing(L("report.caption.dea"), [f"{lab(c)} ({year})" for c in short] or need,
                                    L("report.needs.five_units")))
        else:
            try:
                from nqpf.productivity.dea import dea

                e = dea(w.reset_index(), list(DEA_INPUTS), [DEA_OUTPUT], id="unit", model="ccr", orientation="input",
                        slacks=False)
                e = e[["unit", "efficiency"]].sort_values("efficiency", ascending=False)
                e.insert(1, "name", e["unit"].astype(str).map(lambda u: names.get(u, u)))
                s.blocks.append(Table(e.rename(columns={"unit": L("report.col.unit"), "name": L("report.col.name"),
                                                        "efficiency": L("report.col.efficiency")}).reset_index(drop=True),
                                      caption=L("report.caption.dea_table", year=year,
                                                inputs=", ".join(lab(c) for c in DEA_INPUTS), output=lab(DEA_OUTPUT)),
                                      sheet="dea", highlight=unit, formats={L("report.col.efficiency"): "{:.4f}"}))
                added = True
            except ImportError:
                s.blocks.append(Missing(L("report.caption.dea"), ["nqpf.productivity.dea"]))
            except NQPFError as exc:
                s.blocks.append(Missing(L("report.caption.dea"), [], str(exc)))
    if not added and not have:
        s.blocks.append(Missing(L("report.section.tfp"), list(TFP_CANDIDATES)))
    s.blocks.append(Text(L("report.note.tfp"), "note"))
    return s


# ---------------------------------------------------------------------------------------------------------
def _regional(res, inp, unit, year, lang, unc, geo) -> ReportDoc:
    from nqpf.guide.action import action_guide
    from nqpf.guide.profile import build_profile
    from nqpf.guide.typology import check_typology_data, classify, load_typology

    fw = res.framework
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    names = _names(inp, lang)
    lab = _ind_label(inp, lang)

    def nl(n: str) -> str:
        try:
            return fw.label(n, lang) if n in fw.ids else lab(n)
        except NQPFError:
            return lab(n)

    prof = build_profile(res, unit, year, units=inp.units, data=inp.data, uncertainty=unc, lang=lang)
    series = {n: (fw.node(n).get("series") if isinstance(fw.node(n).get("series"), str) and fw.node(n).get("series")
                  else n) for n in fw.leaves}
    name = names.get(unit, unit)
    doc = ReportDoc(title=L("report.regional.title", name=name, year=year), lang=lang,
                    subtitle=L("report.subtitle", framework=fw.label(fw.root, lang)),
                    meta=_meta(res, inp, year, lang, unit_name=f"{name} ({unit})"))

    # --- profile
    s = Section("profile", L("report.section.profile"), intro=L("report.intro.profile"))
    r0 = prof.scores.iloc[0]
    facts = [(L("report.col.score"), f"{r0['score']:.4f}"),
             (L("report.col.rank"), f"{int(r0['rank'])} / {int(r0['n_units'])}"
              + ("" if not np.isfinite(r0["rank_p05"]) else f"  [{r0['rank_p05']:.0f}–{r0['rank_p95']:.0f}]")),
             (L("report.col.national_mean"), f"{r0['national_mean']:.4f}"),
             (L("report.col.group_mean") + (f" ({_group_labels(inp, lang).get(unit, prof.group)})" if prof.group else ""),
              "—" if not np.isfinite(r0["group_mean"]) else f"{r0['group_mean']:.4f}"),
             (L("report.col.peer_mean"), f"{r0['peer_mean']:.4f}"),
             (L("report.col.change"), "—" if not np.isfinite(r0["change"]) else f"{r0['change']:+.4f}"),
             (L("report.col.slope"), "—" if not np.isfinite(r0["slope"]) else f"{r0['slope']:+.4f}")]
    s.blocks.append(Facts(facts))
    st = prof.scores.copy()
    st["node"] = st["node"].map(nl)
    st = st.drop(columns=["level"]).rename(columns={
        "node": L("report.col.dimension"), "score": L("report.col.score"), "rank": L("report.col.rank"),
        "n_units": "n", "change": L("report.col.change"), "slope": L("report.col.slope"),
        "national_mean": L("report.col.national_mean"), "group_mean": L("report.col.group_mean"),
        "peer_mean": L("report.col.peer_mean"), "rank_p05": L("report.col.rank_p05"),
        "rank_p95": L("report.col.rank_p95")})
    s.blocks.append(Table(st, caption=L("report.caption.profile", name=name, year=year), sheet="profile"))
    dims = prof.scores[prof.scores["level"] == 1]
    if len(dims) >= 3:
        ind_max = [{"name": nl(n), "max": 1} for n in dims["node"]]
        s.blocks.append(Chart({"animation": False, "legend": {"bottom": 0},
                               "title": {"text": L("report.caption.radar"), "left": "center", "textStyle": {"fontSize": 14}},
                               "tooltip": {}, "radar": {"indicator": ind_max, "radius": "62%"},
                               "series": [{"type": "radar", "data": [
                                   {"name": name, "value": [round(float(v), 4) for v in dims["score"]]},
                                   {"name": L("report.col.national_mean"), "value": [round(float(v), 4) for v in dims["national_mean"]]},
                                   {"name": L("report.col.peer_mean"), "value": [round(float(v), 4) for v in dims["peer_mean"]]}]}]},
                              height=420))
    tr = prof.trend
    piv = tr.pivot(index="period", columns="node", values="score")
    s.blocks.append(Chart(_line_option(piv.index.tolist(), {nl(c): piv[c].tolist() for c in piv.columns},
                                       L("report.caption.trend", name=name)), height=340))
    doc.sections.append(s)

    # --- peers, strengths, weaknesses
    s = Section("peers", L("report.section.peers"), intro=L("report.intro.peers"))
    gl = _group_labels(inp, lang)
    pe = prof.peers.assign(group=prof.peers["unit"].map(lambda u: gl.get(u, ""))).rename(columns={"unit": L("report.col.unit"), "name": L("report.col.name"),
                                    "group": L("report.col.group"), "distance": L("report.col.distance")})
    s.blocks.append(Table(pe, caption=L("report.caption.peers"), sheet="peers"))
    for key, df in (("strengths", prof.strengths), ("weaknesses", prof.weaknesses)):
        x = df.assign(indicator=df["indicator"].map(nl), dimension=df["dimension"].map(nl)).rename(columns={
            "indicator": L("report.col.indicator"), "dimension": L("report.col.dimension"),
            "value": L("report.col.normalised"), "national_mean": L("report.col.national_mean"),
            "peer_mean": L("report.col.peer_mean"), "gap_peers": L("report.col.gap"), "rank": L("report.col.rank")})
        s.blocks.append(Table(x, caption=L(f"report.caption.{key}"), sheet=key))
    doc.sections.append(s)

    # --- obstacles and coupling
    s = Section("obstacles", L("report.section.obstacles"), intro=L("report.intro.obstacles"))
    if prof.obstacles is not None:
        ob = prof.obstacles.copy()
        ob = ob[(ob["level"] == "dimension") | (ob["rank"] <= 5)]
        ob["node"] = ob["node"].map(nl)
        ob["level"] = ob["level"].map(lambda v: L(f"report.level.{v}"))
        s.blocks.append(Table(ob.rename(columns={"node": L("report.col.indicator"), "level": L("report.col.level"),
                                                 "obstacle": L("report.col.obstacle"), "deviation": L("report.col.deviation"),
                                                 "rank": L("report.col.rank")}),
                              caption=L("report.caption.obstacles"), sheet="obstacles",
                              formats={L("report.col.obstacle"): "{:.1%}"}))
    for m in prof.missing:
        if m["section"] in ("obstacles", "coupling"):
            s.blocks.append(Missing(L(f"report.missing.{m['section']}"), m["needs"], m["reason"]))
    if prof.coupling:
        c = prof.coupling
        s.blocks.append(Facts([(L("report.col.systems"), " × ".join(nl(x) for x in c["systems"])),
                               ("U", ", ".join(f"{u:.3f}" for u in c["U"])), ("C", f"{c['C']:.3f}"),
                               ("T", f"{c['T']:.3f}"), ("D", f"{c['D']:.3f} ({c['grade']})"),
                               (L("report.col.national_mean") + " D", f"{c['D_national_mean']:.3f}")],
                              title=L("report.caption.coupling")))
    doc.sections.append(s)

    # --- TFP
    doc.sections.append(_tfp_section(inp, year, lang, names, unit=unit))

    # --- typology
    typ = load_typology()
    s = Section("typology", L("report.section.typology"), intro=L("report.intro.typology"))
    miss = check_typology_data(inp.data, typ)
    placement = None
    if len(miss) == len(typ.indicators()):
        s.blocks.append(Missing(L("report.section.typology"), miss))
    else:
        placement = classify(inp.data, unit, year, typ)
        de = [typ.type_label(x, lang) for x in placement.data_economy]
        s.blocks.append(Facts([(L("report.col.type_dr"), typ.type_label(placement.digital_real, lang)),
                               (L("report.col.type_de"), ("、" if lang == "zh" else ", ").join(de) if de else L("report.none"))]))
        rows = []
        for e in placement.evidence:
            for c in e["conditions"]:
                right = c["right"] if not isinstance(c["right"], str) else typ.scores[c["right"]]["label"][lang]
                rows.append({L("report.col.type"): typ.type_label(e["type"], lang),
                             L("report.col.rule"): f"{typ.scores[c['left']]['label'][lang]} {c['op']} {right}"
                             + (f" + {c['offset']:.2f}" if c["offset"] else ""),
                             L("report.col.value"): c["left_value"], L("report.col.threshold"): c["threshold"],
                             L("report.col.holds"): L("report.yes") if c["holds"] else L("report.no")})
            if e["kind"] == "digital_real" and e["holds"]:
                pass
        s.blocks.append(Table(pd.DataFrame(rows), caption=L("report.caption.typology_evidence"), sheet="typology_rules"))
        mt = placement.measures.assign(
            score=placement.measures["score"].map(lambda x: typ.scores[x]["label"][lang]),
            measure=placement.measures["measure"].map(lambda x: typ.measures[x]["label"][lang]))
        s.blocks.append(Table(mt.rename(columns={"score": L("report.col.score_name"), "measure": L("report.col.measure"),
                                                 "raw": L("report.col.value"), "percentile": L("report.col.percentile"),
                                                 "n_units": "n"}),
                              caption=L("report.caption.typology_measures"), sheet="typology_measures"))
        if miss:
            s.blocks.append(Text(L("report.note.typology_missing", items=", ".join(miss)), "warning"))
        s.blocks.append(Text(L("report.note.typology"), "note"))
    doc.sections.append(s)

    # --- action guide
    s = Section("action", L("report.section.action"), intro=L("guide.not_causal"))
    try:
        guide = action_guide(prof, placement, inp.data, catalogue=inp.catalogue, lang=lang,
                             directions_override={series[n]: fw.direction(n) for n in fw.leaves},
                             labels={i: nl(i) for i in set(inp.data["indicator"].astype(str))}, leaf_series=series)
    except NQPFError as exc:
        s.blocks.append(Missing(L("report.section.action"), [], str(exc)))
        doc.sections.append(s)
        return doc
    if not guide.recommendations:
        s.blocks.append(Text(L("report.note.no_recommendation"), "note"))
    gt = guide.table()
    if len(gt):
        gt["triggers"] = [", ".join(nl(i) for i in r.triggers["indicator"]) for r in guide.recommendations]
        s.blocks.append(Table(gt.rename(columns={"rank": L("report.col.rank"), "path": "id", "title": L("report.col.path"),
                                                 "citation": L("report.col.citation"), "score": L("report.col.evidence_score"),
                                                 "evidence": L("report.col.evidence"), "type_factor": L("report.col.type_factor"),
                                                 "triggers": L("report.col.triggers"), "why": L("report.col.why")}),
                              caption=L("report.caption.action"), sheet="action"))
    for k, r in enumerate(guide.recommendations[:6]):
        s.blocks.append(Text(f"{k + 1}. {r.title} — {r.citation}", "p"))
        s.blocks.append(Text(r.summary, "note"))
        s.blocks.append(Text(r.why, "p"))
        trg = r.triggers.assign(indicator=r.triggers["indicator"].map(nl),
                                concept=r.triggers["concept"].map(lambda c: _concept_label(c, lang)),
                                reason=r.triggers["reason"].map(lambda x: L(f"report.reason.{x.replace('+', '_')}")))
        s.blocks.append(Table(trg.rename(columns={"indicator": L("report.col.indicator"), "concept": L("report.col.concept"),
                                                  "value": L("report.col.normalised"), "peer_mean": L("report.col.peer_mean"),
                                                  "gap": L("report.col.gap"), "obstacle": L("report.col.obstacle"),
                                                  "reason": L("report.col.reason")}),
                              caption=L("report.caption.triggers"), sheet=f"action_{k + 1}_triggers",
                              formats={L("report.col.obstacle"): "{:.1%}"}))
        if len(r.peer_trajectories):
            pt = r.peer_trajectories.assign(indicator=r.peer_trajectories["indicator"].map(nl),
                                            peer_name=r.peer_trajectories["peer"].map(lambda u: names.get(u, u)))
            s.blocks.append(Table(pt.drop(columns=["peer"]).rename(columns={
                "indicator": L("report.col.indicator"), "peer_name": L("report.col.peer"),
                "start_year": L("report.col.start_year"), "start_value": L("report.col.start_value"),
                "end_year": L("report.col.end_year"), "end_value": L("report.col.end_value"),
                "gain": L("report.col.gain"), "co_movers": L("report.col.co_movers")}),
                caption=L("report.caption.trajectories"), sheet=f"action_{k + 1}_peers"))
        else:
            s.blocks.append(Text(L("report.note.no_trajectory"), "note"))
    if guide.not_assessable:
        s.blocks.append(Missing(L("report.caption.not_assessable"),
                                [f"{a['path_id']}: {', '.join(_concept_label(c, lang) for c in a['concepts_without_indicators'])}"
                                 for a in guide.not_assessable]))
    if guide.not_triggered:
        s.blocks.append(Text(L("report.note.not_triggered", items=", ".join(guide.not_triggered)), "note"))
    doc.sections.append(s)

    # --- map with the region
    s = Section("map", L("report.section.map"))
    sc = res.scores[(res.scores["period"].astype(int) == year) & (res.scores["node"] == fw.root)]
    from nqpf import assets

    if geo is None and assets.china_map() is None:
        s.blocks.append(Missing(L("report.map"), [L("report.map_geometry")], L("report.map_howto")))
    else:
        s.blocks.append(MapBlock(sc.assign(unit=sc["unit"].astype(str)).set_index("unit")["score"],
                                 title=L("report.caption.map", year=year), legend=L("report.col.score"), highlight=unit))
    doc.sections.append(s)
    return doc


def _concept_label(c: str, lang: str) -> str:
    from nqpf.guide.knowledge import default_knowledge

    kb = default_knowledge()
    return kb.concept_label(c, lang) if c in kb.concepts else c


__all__ = ["build_report"]
