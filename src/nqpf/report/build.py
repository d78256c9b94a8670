"""Assemble the national and regional reports (``build_report``) from a dataset, a framework and the
analysis layers. Every section that lacks what it needs says so (a :class:`Missing` block) instead of
vanishing or failing."""

from __future__ import annotations

import datetime as _dt
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf.errors import DataError, NQPFError
from nqpf.i18n import t
from nqpf.index.result import DISPLAY_DIGITS, display_rank
from nqpf.report import Chart, Facts, MapBlock, Missing, ReportDoc, Section, Table, Text

# Monte Carlo base samples of the rank intervals a report shows by default (Saltelli design: the index is rebuilt
# n(k + 2) times; 64 keeps a national or regional report of cn_provinces well under 10 s) and their seed
DEFAULT_UNCERTAINTY_SAMPLES = 64
DEFAULT_SEED = 0


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
        src = str(((long.attrs.get("nqpf") or {}).get("meta") or {}).get("file") or "DataFrame")
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
    pcol = "province_zh" if lang == "zh" else "province_en"
    if pcol in u and "province" in u and (u["province"].astype(str) == g).all():  # cities: their province's name
        return dict(zip(u["unit"].astype(str), u[pcol].astype(str), strict=True))
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
                 index_options: dict | None = None, uncertainty: Any = None,
                 uncertainty_samples: int | None = None,
                 geometry: str | Path | dict | None = None, static: bool = False, seed: int = DEFAULT_SEED,
                 province: str | None = None) -> ReportDoc:
    """Build the national report (``unit=None``) or the regional report of ``unit`` for ``year``; on a city
    dataset (units with a ``province`` column, e.g. ``cn_cities``) the report of the city ``unit`` or of the
    cities of ``province`` (a province code, name or spelling) — :mod:`nqpf.report.city`.

    ``dataset``: built-in dataset name, or ``data``: a file path / long DataFrame; ``framework``: built-in
    name, YAML path or Framework; ``index_options``: passed to :func:`nqpf.index.build_index` (default
    ``impute='linear-carry'``); ``uncertainty``: an ``UncertaintyResult`` or a table with unit, period,
    rank_p05, rank_p95 — else ``nqpf.uncertainty.run_uncertainty`` runs with ``uncertainty_samples`` base samples
    (default :data:`DEFAULT_UNCERTAINTY_SAMPLES`; 0 = no rank intervals) seeded by ``seed`` (both recorded in
    ``manifest['uncertainty']``); ``fmt``: 'html' or 'xlsx'; ``out``: file to write (atomically).
    Returns the :class:`ReportDoc`. Unknown unit or year → :class:`DataError` listing the valid ones.
    """
    if lang not in ("zh", "en"):
        raise DataError(f"lang must be 'zh' or 'en', got {lang!r}")
    if fmt not in ("html", "xlsx"):
        raise DataError(f"format must be 'html' or 'xlsx', got {fmt!r}")
    by_default = uncertainty is None and uncertainty_samples is None
    uncertainty_samples = _samples(uncertainty_samples, lang)
    from nqpf.index import build_index

    inp = _load_inputs(dataset, data)
    years = sorted(int(y) for y in inp.data["period"].unique())
    if int(year) not in years:
        raise DataError(f"year {year} is not in the data; valid years: {years}")
    from nqpf.report.city import (
        city_geometry_for,
        city_report,
        is_city_units,
        province_report,
        resolve_province,
    )

    cities = is_city_units(inp.units)
    if province is not None:
        if not cities:
            raise DataError(t("report.city.err.province_needs_cities", lang))
        if unit is not None:
            raise DataError(t("report.city.err.unit_and_province", lang))
        province = resolve_province(province, inp.units, lang=lang)
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
    unc_failed = None
    try:
        unc_table, unc_result = _uncertainty_inputs(uncertainty, inp, framework, opts, uncertainty_samples, seed, res,
                                                    lang=lang)
    except NQPFError as exc:  # the default intervals must not stop a report the settings' Monte Carlo can't vary
        if not by_default:
            raise
        unc_table, unc_result, unc_failed = None, None, str(exc)
    geo = _geometry(geometry)
    if cities and (unit is not None or province is not None):
        par = dict(zip(inp.units["unit"].astype(str), inp.units["province"].astype(str), strict=True))
        prov = province if province is not None else par.get(str(unit))
        if geo is None and prov is not None:
            geo = city_geometry_for(prov, int(year))
        doc = (province_report(res, inp, province, int(year), lang, unc_table) if province is not None
               else city_report(res, inp, str(unit), int(year), lang, unc_table))
    elif unit is None:
        if cities and geo is None:  # all cities of China, with the South China Sea Islands inset
            from nqpf.report import geo_city

            geo = geo_city.city_geometry(None, year=int(year)) if geo_city.province_files_available() else None
        doc = _national(res, inp, int(year), lang, unc_table, geo,
                        sens=uncertainty if hasattr(uncertainty, "sensitivity") else None, unc_result=unc_result)
        if cities:  # a city framework is not an NQPF index: the title says what the report covers
            doc.title = t("report.city.national_title", lang, year=int(year))
    else:
        doc = _regional(res, inp, str(unit), int(year), lang, unc_table, geo)
    unc_rec = _uncertainty_record(uncertainty, uncertainty_samples, seed, unc_table, opts)
    if unc_failed:
        unc_rec["failed"] = unc_failed
    doc.manifest = {"index": res.manifest, "index_options": opts, "warnings": [str(w.message) for w in caught],
                    "uncertainty": unc_rec, "built": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    if unc_rec.get("samples") and unc_rec.get("seed") is not None:  # the reader can reproduce the intervals
        for sec in doc.sections:
            if sec.id == "ranking":
                sec.blocks.append(Text(t("report.note.mc_design", lang, n=unc_rec["samples"], seed=unc_rec["seed"]),
                                       "note"))
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
    return _uncertainty_inputs(unc, inp, framework, opts, samples, seed, res)[0]


def _samples(samples: int | None, lang: str = "en") -> int:
    """The Monte Carlo base sample size: ``None`` → the default; 0 = none; otherwise at least the estimators'
    minimum (``MIN_BASE_SAMPLES``), else :class:`DataError` naming ``--uncertainty``."""
    if samples is None:
        return DEFAULT_UNCERTAINTY_SAMPLES
    from nqpf.uncertainty.montecarlo import MIN_BASE_SAMPLES

    n = int(samples)
    if n != 0 and n < MIN_BASE_SAMPLES:
        raise DataError(t("report.error.samples", lang, n=n, min=MIN_BASE_SAMPLES))
    return n


def _mc_supported(opts: dict) -> bool:
    """The Monte Carlo re-weights the leaves (weight_scope 'leaves'), not weights set within parents."""
    return opts.get("weight_scope", "leaves") in (None, "leaves")


def _uncertainty_record(unc, samples, seed, table, opts) -> dict:
    """What the report's rank intervals come from: ``{"samples", "seed"}`` of the run made here, or the given
    result; ``samples`` 0 when none was shown."""
    if unc is not None:
        design = (getattr(unc, "manifest", None) or {}).get("design") or {}
        return {"given": True, "samples": design.get("base_samples"), "seed": design.get("seed")}
    if table is None:
        return {"given": False, "samples": 0, "seed": None}
    return {"given": False, "samples": _samples(samples), "seed": int(seed)}


def _uncertainty_inputs(unc, inp, framework, opts, samples, seed, res, lang: str = "en"
                        ) -> tuple[pd.DataFrame | None, Any]:
    """(rank-interval table, the UncertaintyResult or None when only a table was given)."""
    samples = _samples(samples, lang)
    if unc is None and samples > 0 and not _mc_supported(opts):
        raise DataError(t("report.error.mc_weight_scope", lang))
    if unc is None and samples > 0:
        from nqpf.uncertainty.montecarlo import FACTORS, run_uncertainty

        kw = {k: v for k, v in opts.items() if k in ("impute", "treat", "normalize", "weights", "aggregate", "periods")}
        # the gap-filling method stays the report's own (alternatives may not fill every gap of the data)
        vary = [f for f in FACTORS if f != "impute"]
        unc = run_uncertainty(inp.data, framework, samples=int(samples), seed=seed, unit_sensitivity=False,
                              vary=vary, backend="sequential" if samples <= 256 else "auto", **kw)
    if unc is None:
        return None, None
    tab = getattr(unc, "rank_intervals", unc)
    if not isinstance(tab, pd.DataFrame) or not {"unit", "rank_p05", "rank_p95"} <= set(tab.columns):
        raise DataError("uncertainty must be an UncertaintyResult or a table with unit, rank_p05, rank_p95")
    return tab.assign(unit=tab["unit"].astype(str)), (None if unc is tab else unc)


# ---------------------------------------------------------------------------------------------------------
def _meta(res, inp, year, lang, unit_name: str | None = None) -> list[tuple[str, str]]:
    fw = res.framework
    s = res.manifest.get("settings", {})
    out = [(t("report.meta.data", lang), _source_label(inp.source, lang)),
           (t("report.meta.framework", lang), (fw.meta.get("title_zh") or fw.label(fw.root, "zh")) if lang == "zh"
            else f"{fw.name} — {fw.meta.get('title_en', '') or ''}".strip(" —")),
           (t("report.meta.year", lang), str(year)),
           (t("report.meta.units", lang), str(res.scores["unit"].nunique())),
           (t("report.meta.settings", lang), ("；" if lang == "zh" else "; ").join(
               f"{t('index.step.' + ('weights' if k == 'weight_scope' else k), lang)}"
               f"{'：' if lang == 'zh' else ': '}{_setting_label(k, v, lang)}"
               for k, v in s.items() if k in ("impute", "treat", "normalize", "weights", "weight_scope", "aggregate")))]
    if unit_name:
        out.insert(0, (t("report.meta.region", lang), unit_name))
    return out


def _source_label(source: str, lang: str) -> str:
    """The data source in the reader's words: a built-in dataset by its catalogue description, a file by name."""
    src = str(source)
    if src.startswith("dataset "):
        name = src[len("dataset "):]
        try:
            return t(f"report.dataset.{name}", lang)
        except KeyError:
            return t("report.dataset.other", lang, name=name)
    if src == "DataFrame":
        return t("report.dataset.frame", lang)
    return t("report.dataset.file", lang, name=Path(src).name)


def _setting_label(step: str, value, lang: str) -> str:
    """Catalogue label of a pipeline setting (chains such as 'linear-carry+group-mean' part by part); a value
    without a label (e.g. a per-level aggregation mapping) is shown as given in English and as 自定义 in Chinese."""
    key = {"weight_scope": "index.scope."}.get(step, f"index.{step}.")
    parts = str(value).split("+") if isinstance(value, str) else [value]
    out = []
    for p in parts:
        try:
            out.append(t(f"{key}{p}", lang))
        except KeyError:
            out.append("自定义" if lang == "zh" else str(p))
    return ("＋" if lang == "zh" else " + ").join(out)


def _dims(res) -> list[str]:
    return res.framework.children(res.framework.root)


def _ranking(res, inp, year, lang, unc) -> pd.DataFrame:
    names = _names(inp, lang)
    groups = _group_labels(inp, lang)
    ds = res.display_scores()  # ranks of the scores as shown (4 decimals): equal-looking scores share a rank
    sc = ds[ds["period"].astype(int) == year].assign(unit=lambda d: d["unit"].astype(str))
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


def _national(res, inp, year, lang, unc, geo, sens=None, unc_result=None) -> ReportDoc:
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
    s.blocks.extend(_nominal_outside_blocks(unc_result, rk, year, lang))
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
    ds = res.display_scores()
    sc = ds[ds["period"].astype(int) == year].assign(unit=lambda d: d["unit"].astype(str))
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
    doc.sections.append(_diagnostics_section(res, inp, year, lang, names))

    doc.sections.append(_dagum_section(res, inp, year, lang))
    doc.sections.append(_convergence_section(res, inp, year, lang))
    from nqpf.report.explain import explain_sections

    doc.sections.extend(explain_sections(res, inp, year, lang, names, _group_labels(inp, lang), uncertainty=sens))
    doc.sections.append(_typology_overview(inp, year, lang))
    doc.sections.append(_tfp_section(inp, year, lang, names))
    doc.sections.extend(_reader_sections(res, inp, lang, names))
    doc.sections.insert(0, _summary_national(res, inp, year, lang, unc, names))
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
    sl, cvl = L("report.col.sigma_log"), L("report.col.cv")
    s.blocks.append(Table(sg.rename(columns={"period": L("common.period"), "sigma_log": sl, "cv": cvl,
                                             "n": L("report.col.n_sigma")}), caption=L("report.caption.sigma"),
                          sheet="sigma"))
    s.blocks.append(Chart(_line_option(sg["period"].tolist(), {sl: sg["sigma_log"].tolist(), cvl: sg["cv"].tolist()},
                                       L("report.caption.sigma")), height=300))
    b = bt.iloc[0]
    s.blocks.append(Facts([
        (L("report.col.sigma_trend"), L("report.fmt.sigma_trend", slope=f"{tr.get('slope', float('nan')):+.4f}",
                                        p=f"{tr.get('p_value', float('nan')):.3f}")),
        ("β", L("report.fmt.beta", beta=f"{b['beta']:+.4f}", se=f"{b['se']:.4f}", p=f"{b['p_value']:.3f}",
                n=int(b["n"]), start=int(b["start"]), end=int(b["end"]))),
        (L("report.col.half_life"), "—" if not np.isfinite(b["half_life"]) else f"{b['half_life']:.1f}"),
    ], title=L("report.caption.beta")))
    s.blocks.append(Text(L("report.note.convergence"), "note"))
    return s


def _typology_overview(inp, year, lang) -> Section:
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    from nqpf.guide.sources import cite
    from nqpf.guide.typology import check_typology_data, classify_all, load_typology

    # the rules' sources by title and section in the reader's language, as in the regional report
    s = Section("typology", L("report.section.typology_all"),
                intro=L("report.intro.typology_plain", cite=_join([cite("seed 002 §5.1", lang),
                                                                   cite("seed 002 §4.3", lang)], lang)))
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
    lab0 = _ind_label(inp, lang)
    cut: list[str] = []

    def lab(c: str) -> str:  # zh: a catalogue name's English citation, e.g. "(Cao & Dai 2025)", is left to the en report
        name = lab0(c)
        plain = _LATIN_PAREN.sub("", name).strip() if lang == "zh" else name
        if plain != name and _CJK.search(plain):
            cut.append(c)
            return plain
        return name

    added = False
    for c in have:
        x = d[(d["indicator"] == c) & (d["period"] == year)][["unit", "value"]].dropna()
        if x.empty:
            continue
        x.insert(1, "name", x["unit"].map(lambda u: names.get(u, u)))
        x["rank"] = display_rank(x["value"], digits=DISPLAY_DIGITS).to_numpy()  # ties as printed (4 decimals)
        x = x.sort_values(["rank", "unit"], kind="mergesort")
        s.blocks.append(Table(x.rename(columns={"unit": L("report.col.unit"), "name": L("report.col.name"),
                                                "value": lab(c), "rank": L("report.col.rank")}).reset_index(drop=True),
                              caption=L("report.caption.tfp_indicator", name=lab(c), year=year), sheet=f"tfp_{c}"[:31],
                              highlight=unit, formats={lab(c): f"{{:.{DISPLAY_DIGITS}f}}"}))
        added = True
    # provincial green TFP, defined once in nqpf.productivity.recipes (the CLI, the dashboard and the docs use it)
    from nqpf.productivity.recipes import PROVINCIAL_GREEN_TFP as rec

    lacking = rec.missing(present)
    if lacking:
        s.blocks.append(Missing(rec.label(lang), lacking))
    else:
        try:
            g = rec.compute(d)
            e = rec.summary(g)
            e.insert(2, "name", e["unit"].map(lambda u: names.get(u, u)))
            cols = {"rank": L("report.col.rank"), "unit": L("report.col.unit"), "name": L("report.col.name"),
                    "cum_tfpch": L("report.prod.cum_gml", a=rec.years[0], b=rec.years[1]),
                    "tfpch": L("report.prod.gmean_gml"), "effch": L("report.prod.gmean_effch"),
                    "techch": L("report.prod.gmean_techch")}
            s.blocks.append(Table(e[list(cols)].rename(columns=cols), caption=rec.label(lang), sheet="gml",
                                  highlight=unit, formats={cols["cum_tfpch"]: "{:.3f}", cols["tfpch"]: "{:.4f}",
                                                           cols["effch"]: "{:.4f}", cols["techch"]: "{:.4f}"}))
            s.blocks.append(Text(rec.note(lang, g), "note"))
            added = True
        except NQPFError as exc:
            s.blocks.append(Missing(rec.label(lang), [], str(exc)))
    if not added and not have:
        s.blocks.append(Missing(L("report.section.tfp"), list(TFP_CANDIDATES)))
    s.blocks.append(Text(L("report.note.tfp"), "note"))
    if lang == "zh" and (cut or added):  # the methods' and measures' literature is cited in the English edition
        s.blocks.append(Text(L("report.note.tfp_cite_en"), "note"))
    return s


# ---------------------------------------------------------------------------------------------------------
def _regional(res, inp, unit, year, lang, unc, geo) -> ReportDoc:
    from nqpf.guide.action import action_guide
    from nqpf.guide.profile import build_profile
    from nqpf.guide.typology import check_typology_data, classify, load_typology

    fw = res.framework
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    names = _names(inp, lang)
    nl = _node_labeller(fw, inp, lang)

    prof = build_profile(res, unit, year, units=inp.units, data=inp.data, uncertainty=unc, lang=lang)
    _display_profile_ranks(prof, res, unit, year)
    series = {n: (fw.node(n).get("series") if isinstance(fw.node(n).get("series"), str) and fw.node(n).get("series")
                  else n) for n in fw.leaves}
    name = names.get(unit, unit)
    doc = ReportDoc(title=L("report.regional.title", name=name, year=year), lang=lang,
                    subtitle=L("report.subtitle", framework=fw.label(fw.root, lang)),
                    meta=_meta(res, inp, year, lang, unit_name=f"{name} ({unit})"))

    # --- typology and guide first: the summary draws on them
    typ = load_typology()
    miss = check_typology_data(inp.data, typ)
    placement = None if len(miss) == len(typ.indicators()) else classify(inp.data, unit, year, typ)
    guide, guide_error = None, None
    try:
        guide = action_guide(prof, placement, inp.data, catalogue=inp.catalogue, lang=lang,
                             directions_override={series[n]: fw.direction(n) for n in fw.leaves},
                             labels={i: nl(i) for i in set(inp.data["indicator"].astype(str))}, leaf_series=series)
    except NQPFError as exc:
        guide_error = str(exc)
    doc.sections.append(_summary_regional(res, unit, name, year, lang, unc, nl, prof=prof, guide=guide))
    doc.sections.append(_regional_ranking_section(res, inp, unit, year, lang, unc))

    # --- profile
    s = Section("profile", L("report.section.profile"), intro=L("report.intro.profile_plain"))
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
        "n_units": L("report.col.n_units"), "change": L("report.col.change"), "slope": L("report.col.slope"),
        "national_mean": L("report.col.national_mean"), "group_mean": L("report.col.group_mean"),
        "peer_mean": L("report.col.peer_mean"), "rank_p05": L("report.col.rank_p05"),
        "rank_p95": L("report.col.rank_p95")})
    s.blocks.append(Table(st, caption=L("report.caption.profile", name=name, year=year), sheet="profile",
                          formats={L("report.col.rank_p05"): "{:.0f}", L("report.col.rank_p95"): "{:.0f}",
                                   L("report.col.change"): "{:+.4f}", L("report.col.slope"): "{:+.4f}"}))
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
    tr = tr[tr["period"].astype(int) <= year]  # the report's year is the end of the trend
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

    # --- obstacles, the sources' diagnosed obstacles and coupling
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
    rel = getattr(prof, "relative_obstacles", None)
    if rel is not None and len(rel):
        ro = rel[(rel["level"] == "dimension") | (rel["rank"] <= 5)].copy()
        ro = ro[[c for c in ("node", "level", "obstacle", "deviation", "rank") if c in ro.columns]]
        ro["node"] = ro["node"].map(nl)
        ro["level"] = ro["level"].map(lambda v: L(f"report.level.{v}"))
        s.blocks.append(Table(ro.rename(columns={"node": L("report.col.indicator"), "level": L("report.col.level"),
                                                 "obstacle": L("report.col.obstacle"),
                                                 "deviation": L("report.col.deviation"),
                                                 "rank": L("report.col.rank")}),
                              caption=L("report.caption.obstacles_relative"), sheet="obstacles_relative",
                              formats={L("report.col.obstacle"): "{:.1%}"}))
    if guide is not None:
        s.blocks.extend(_diagnosis_blocks(guide, lang))
    for m in prof.missing:
        if m["section"] in ("obstacles", "coupling"):
            s.blocks.append(Missing(L(f"report.missing.{m['section']}"), m["needs"], m["reason"]))
    if prof.coupling:
        c = prof.coupling
        s.blocks.append(Facts([(L("report.col.systems"), " × ".join(nl(x) for x in c["systems"])),
                               (L("report.coupling.U"), _join([f"{u:.3f}" for u in c["U"]], lang)),
                               (L("report.coupling.C"), f"{c['C']:.3f}"), (L("report.coupling.T"), f"{c['T']:.3f}"),
                               (L("report.coupling.D"), f"{c['D']:.3f} ({c['grade']})"),
                               (L("report.coupling.D_mean"), f"{c['D_national_mean']:.3f}")],
                              title=L("report.caption.coupling")))
    doc.sections.append(s)

    # --- action guide (its summary, the ranked paths, paths not advised) and its other parts
    doc.sections.append(_action_section(guide, guide_error, lang, names, nl))
    if guide is not None:
        doc.sections.append(_strengths_cases_section(guide, lang, names))
        doc.sections.append(_targets_section(guide, lang))

    # --- TFP
    doc.sections.append(_tfp_section(inp, year, lang, names, unit=unit))

    # --- typology
    from nqpf.guide.sources import cite

    s = Section("typology", L("report.section.typology"),
                intro=L("report.intro.typology_plain", cite=_join([cite("seed 002 §5.1", lang),
                                                                   cite("seed 002 §4.3", lang)], lang)))
    if placement is None:
        s.blocks.append(Missing(L("report.section.typology"), [_ind_label(inp, lang)(m) for m in miss]))
    else:
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
        s.blocks.append(Table(pd.DataFrame(rows), caption=L("report.caption.typology_evidence"), sheet="typology_rules"))
        mt = placement.measures.assign(
            score=placement.measures["score"].map(lambda x: typ.scores[x]["label"][lang]),
            measure=placement.measures["measure"].map(lambda x: typ.measures[x]["label"][lang]))
        s.blocks.append(Table(mt.rename(columns={"score": L("report.col.score_name"), "measure": L("report.col.measure"),
                                                 "raw": L("report.col.value"), "percentile": L("report.col.percentile"),
                                                 "n_units": L("report.col.n_units")}),
                              caption=L("report.caption.typology_measures"), sheet="typology_measures"))
        if miss:
            s.blocks.append(Text(L("report.note.typology_missing",
                                   items=_join([_ind_label(inp, lang)(m) for m in miss], lang)), "warning"))
        s.blocks.append(Text(L("report.note.typology"), "note"))
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
    doc.sections.extend(_reader_sections(res, inp, lang, names))
    return doc


def _path_titles(lang: str) -> dict[str, str]:
    from nqpf.guide.knowledge import default_knowledge

    return {p.id: p.title[lang] for p in default_knowledge().paths}


def _regional_ranking_section(res, inp, unit, year, lang, unc, k: int = 3, names: dict | None = None,
                              rk: pd.DataFrame | None = None) -> Section:
    """The region among the ``k`` units ranked above and below it, with rank intervals when available."""
    L = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    s = Section("ranking", L("report.section.regional_ranking"), intro=L("report.intro.regional_ranking"))
    rk = _ranking(res, inp, year, lang, unc) if rk is None else rk
    if names is not None:
        rk = rk.assign(name=rk["unit"].map(lambda u: names.get(u, u)))
    pos = rk.index[rk["unit"] == unit]
    if not len(pos):
        return s
    i = int(pos[0])
    near = rk.iloc[max(0, i - k): i + k + 1]
    cols = {"name": L("report.col.name"), "score": L("report.col.score"), "rank": L("report.col.rank"),
            "rank_p05": L("report.col.rank_p05"), "rank_p95": L("report.col.rank_p95")}
    near = near[[c for c in cols if c in near.columns]]
    s.blocks.append(Table(near.rename(columns=cols).reset_index(drop=True),
                          caption=L("report.caption.regional_ranking", year=year, k=k), sheet="ranking",
                          highlight=rk.loc[i, "name"],
                          formats={cols["score"]: "{:.4f}", cols["rank_p05"]: "{:.0f}", cols["rank_p95"]: "{:.0f}"}))
    if unc is None or "rank_p05" not in rk or not rk["rank_p05"].notna().any():
        s.blocks.append(Missing(L("report.missing.uncertainty"), [L("report.needs.uncertainty")]))
    return s


def _diagnosis_blocks(guide, lang) -> list:
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    d = guide.diagnosis
    if d is None or not len(d):
        return []
    d = d[d["measurable"]]
    tab = pd.DataFrame({
        L("report.diag_src.col.obstacle"): d["label"].to_numpy(),
        L("report.diag_src.col.citation"): [c or "—" for c in d["citation"]],
        L("report.diag_src.col.share"): d["share"].astype(float).to_numpy(),
        L("report.diag_src.col.below"): d["n_below_peers"].astype(int).to_numpy(),
        L("report.diag_src.col.shown"): [L("report.yes") if x else L("report.no") for x in d["shown"]],
        L("report.diag_src.col.evidence"): [e or "—" for e in d["evidence"]]})
    return [Table(tab, caption=L("report.caption.diagnosis"), sheet="diagnosis",
                  formats={L("report.diag_src.col.share"): "{:.1%}"}),
            Text(L("report.diag_src.note"), "note")]


def _action_section(guide, guide_error, lang, names, nl) -> Section:
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("action", L("report.section.action"), intro=L("guide.not_causal"))
    if guide is None:
        s.blocks.append(Missing(L("report.section.action"), [], guide_error or ""))
        return s
    titles = _path_titles(lang)
    lines = guide.summary_lines(3, names=names)
    if lines:
        s.blocks.append(Text(L("report.caption.guide_summary"), "note"))
        s.blocks.extend(Text(x, "finding") for x in lines)
    if not guide.recommendations:
        s.blocks.append(Text(L("report.note.no_recommendation"), "note"))
    gt = guide.table()
    if len(gt):
        gt["triggers"] = [_join([nl(i) for i in r.triggers["indicator"]], lang) for r in guide.recommendations]
        if any(r.covered_by for r in guide.recommendations):  # why a higher score can sit lower in the order
            gt["covered_by"] = [_join([titles.get(p, p) for p in r.covered_by], lang) or "—"
                                for r in guide.recommendations]
        gt = gt.drop(columns=["path"])
        s.blocks.append(Table(gt.rename(columns={"rank": L("report.col.rank"), "title": L("report.col.path"),
                                                 "citation": L("report.col.citation"), "score": L("report.col.evidence_score"),
                                                 "evidence": L("report.col.evidence"), "type_factor": L("report.col.type_factor"),
                                                 "triggers": L("report.col.triggers"), "why": L("report.col.why"),
                                                 "covered_by": L("report.col.covered_by")}),
                              caption=L("report.caption.action"), sheet="action"))
        if "covered_by" in gt:
            s.blocks.append(Text(L("report.note.covered_order",
                                   pct=f"{float(guide.manifest.get('covered_factor', np.nan)):.0%}"), "note"))
    for k, r in enumerate(guide.recommendations[:6]):
        s.blocks.append(Text(f"{k + 1}. {r.title} — {r.citation}", "p"))
        s.blocks.append(Text(r.summary, "note"))
        s.blocks.append(Text(r.why, "p"))
        if r.covered_by:
            s.blocks.append(Text(L("report.note.covered_by", items=_join([titles.get(p, p) for p in r.covered_by],
                                                                         lang)), "note"))
        if r.cautions:
            s.blocks.append(Text(L("report.note.cautions", items=("；" if lang == "zh" else "; ").join(r.cautions)),
                                 "warning"))
        if not len(r.triggers):  # recommended on a documented fact alone: no indicator table to show
            continue
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
            pt = pt.drop(columns=[c for c in ("peer",) if c in pt.columns])
            s.blocks.append(Table(pt.rename(columns={
                "indicator": L("report.col.indicator"), "peer_name": L("report.col.peer"),
                "start_year": L("report.col.start_year"), "start_value": L("report.col.start_value"),
                "end_year": L("report.col.end_year"), "end_value": L("report.col.end_value"),
                "gain": L("report.col.gain"), "co_movers": L("report.col.co_movers")}),
                caption=L("report.caption.trajectories"), sheet=f"action_{k + 1}_peers"))
        else:
            s.blocks.append(Text(L("report.note.no_trajectory"), "note"))
    if guide.not_applicable:
        na = pd.DataFrame({
            L("report.na.col.path"): [n["title"] for n in guide.not_applicable],
            L("report.na.col.concept"): [n["concept_label"] for n in guide.not_applicable],
            L("report.na.col.percentile"): [float(n["percentile"]) for n in guide.not_applicable],
            L("report.na.col.max_pct"): [float(n["max_pct"]) for n in guide.not_applicable],
            L("report.na.col.reason"): [n["reason"] for n in guide.not_applicable],
            L("report.na.col.citation"): [n["citation"] for n in guide.not_applicable]})
        s.blocks.append(Table(na, caption=L("report.caption.not_advised"), sheet="not_advised",
                              formats={L("report.na.col.percentile"): "{:.2f}", L("report.na.col.max_pct"): "{:.2f}"}))
    if guide.not_assessable:
        s.blocks.append(Missing(L("report.caption.not_assessable"), [
            f"{titles.get(a['path_id'], a['path_id'])}{'：' if lang == 'zh' else ': '}"
            f"{_join([_concept_label(c, lang) for c in a['concepts_without_indicators']], lang)}"
            for a in guide.not_assessable]))
    if guide.not_triggered:
        s.blocks.append(Text(L("report.note.not_triggered",
                               items=_join([titles.get(p, p) for p in guide.not_triggered], lang)), "note"))
    return s


def _strengths_cases_section(guide, lang, names) -> Section:
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("strengths_cases", L("report.section.strengths_cases"), intro=L("report.intro.strengths_cases"))
    st = guide.strengths
    if st is not None and len(st):
        s.blocks.append(Table(pd.DataFrame({
            L("report.col.indicator"): st["label"].to_numpy(), L("report.col.normalised"): st["value"].to_numpy(),
            L("report.col.peer_mean"): st["peer_mean"].to_numpy(), L("report.col.gap"): st["gap"].to_numpy()}),
            caption=L("report.caption.strengths_build"), sheet="build_on",
            formats={L("report.col.gap"): "{:+.4f}"}))
    else:
        s.blocks.append(Text(L("report.strengths_build.none"), "note"))
    cs = guide.cases
    if cs is not None and len(cs):
        def regions(u: str) -> str:
            return _join([names.get(x.strip(), x.strip()) for x in str(u).split(",") if x.strip()], lang)

        s.blocks.append(Table(pd.DataFrame({
            L("report.case.col.title"): cs["title"].to_numpy(),
            L("report.case.col.relation"): [L(f"report.case.relation.{r}") for r in cs["relation"]],
            L("report.case.col.industry"): cs["industry"].to_numpy(),
            L("report.case.col.regions"): [regions(u) for u in cs["units"]],
            L("report.case.col.mechanism"): cs["mechanism"].to_numpy(),
            L("report.case.col.citation"): cs["citation"].to_numpy()}),
            caption=L("report.caption.cases"), sheet="cases"))
    else:
        s.blocks.append(Text(L("report.case.none"), "note"))
    if guide.facts:
        s.blocks.append(Facts([(f["label"], f["citation"]) for f in guide.facts], title=L("report.caption.facts")))
    else:
        s.blocks.append(Text(L("report.facts.none"), "note"))
    return s


def _targets_section(guide, lang) -> Section:
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("targets", L("report.section.targets"), intro=L("report.intro.targets"))
    tg = guide.targets
    if tg is None or not len(tg):
        s.blocks.append(Text(L("report.target.none"), "note"))
        return s
    src = [L("report.target.source.data") if c == "data" else c for c in tg["current_source"]]
    tab = pd.DataFrame({
        L("report.target.col.label"): tg["label"].to_numpy(),
        L("report.target.col.level"): [L("report.target.level." + ("national" if v == "national" else "region"))
                                       for v in tg["level"]],
        L("report.target.col.uom"): [u or "—" for u in tg["unit_of_measure"]],
        L("report.target.col.current"): tg["current"].astype(float).to_numpy(),
        L("report.target.col.current_year"): tg["current_year"].to_numpy(),
        L("report.target.col.current_source"): src,
        L("report.target.col.target"): tg["target"].astype(float).to_numpy(),
        L("report.target.col.target_year"): tg["target_year"].to_numpy(),
        L("report.target.col.distance"): tg["distance"].astype(float).to_numpy(),
        L("report.target.col.pace"): tg["pace_linear"].astype(float).to_numpy(),
        L("report.target.col.met"): [L("report.yes") if m else L("report.no") for m in tg["met"]],
        L("report.target.col.citation"): tg["citation"].to_numpy()})
    s.blocks.append(Table(tab, caption=L("report.caption.targets"), sheet="targets",
                          formats={L("report.target.col.current"): "{:.1f}", L("report.target.col.target"): "{:.1f}",
                                   L("report.target.col.distance"): "{:.1f}", L("report.target.col.pace"): "{:.2f}"}))
    return s


# ---------------------------------------------------------------------------------------------------------
# executive summary, diagnostics, nominal ranks outside their intervals
def _root_panel(res, upto: int) -> pd.DataFrame:
    """unit, period, score, rank of the composite index for the periods up to ``upto``."""
    ds = res.display_scores()
    sc = ds[ds["node"] == res.framework.root]
    sc = sc.assign(unit=sc["unit"].astype(str), period=sc["period"].astype(int))
    return sc[sc["period"] <= upto][["unit", "period", "score", "rank"]].reset_index(drop=True)


def _join(items, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


def _rk(v: float) -> str:
    """A rank quantile: whole numbers without decimals, interpolated ones with one."""
    v = float(v)
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}"


def _interval_of(unc, unit: str, year: int) -> tuple[float, float] | None:
    if unc is None:
        return None
    u = unc[unc["unit"] == unit]
    if "period" in u:
        u = u[u["period"].astype(int) == year]
    if not len(u) or not (np.isfinite(u["rank_p05"].iloc[0]) and np.isfinite(u["rank_p95"].iloc[0])):
        return None
    return float(u["rank_p05"].iloc[0]), float(u["rank_p95"].iloc[0])


def _cv(x: pd.Series) -> float:
    """Coefficient of variation (population standard deviation / mean)."""
    x = x.dropna().astype(float)
    m = float(x.mean())
    return float(x.std(ddof=0) / m) if len(x) and m != 0 else float("nan")


def national_findings(res, inp, year: int, lang: str, unc=None, names: dict | None = None) -> list[str]:
    """The key findings of the national report's executive summary, each one sentence computed from ``res``:
    leaders, laggards (with their rank interval, or the range of their ranks over the panel), the largest
    risers since the first period, the disparity trend (coefficient of variation first vs report year, its
    main Dagum source) and the binding obstacle."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    names = names if names is not None else _names(inp, lang)
    nm = lambda u: names.get(u, u)  # noqa: E731
    fw = res.framework
    panel = _root_panel(res, year)
    cur = panel[panel["period"] == year].sort_values(["rank", "unit"], kind="mergesort")
    years = sorted(panel["period"].unique())
    y0 = int(years[0])
    out: list[str] = []
    if not len(cur):
        return out

    def stab(u: str) -> str:
        iv = _interval_of(unc, u, year)
        if iv is not None:
            if _rk(iv[0]) == _rk(iv[1]):
                return L("report.summary.stab_fixed", lo=_rk(iv[0]))
            return L("report.summary.stab_interval", lo=_rk(iv[0]), hi=_rk(iv[1]))
        if len(years) > 1:
            r = panel[panel["unit"] == u]["rank"]
            return L("report.summary.stab_panel", start=y0, end=year, best=int(r.min()), worst=int(r.max()))
        return L("report.summary.stab_single")

    k = min(3, len(cur))
    top, bottom = cur.head(k), cur.tail(k).iloc[::-1]
    lead, last = top.iloc[0], bottom.iloc[0]
    out.append(L("report.summary.leaders", year=year, top_n=k, names=_join(map(nm, top["unit"]), lang),
                 leader=nm(lead["unit"]), score=f"{lead['score']:.4f}", stab=stab(lead["unit"])))
    if len(cur) > k:
        out.append(L("report.summary.laggards", top_n=k, names=_join(map(nm, bottom["unit"]), lang),
                     last=nm(last["unit"]), score=f"{last['score']:.4f}", stab=stab(last["unit"])))
    if len(years) > 1:
        both = panel[panel["period"] == y0].merge(cur, on="unit", suffixes=("0", "1")).set_index("unit")
        both = both.assign(gain=both["rank0"] - both["rank1"], dscore=both["score1"] - both["score0"])
        both = both.sort_index()
        sr = both.sort_values("dscore", ascending=False, kind="mergesort").iloc[0]
        rr = both.sort_values(["gain", "dscore"], ascending=False, kind="mergesort").iloc[0]
        if rr["gain"] > 0:
            out.append(L("report.summary.risers", start=y0, end=year, name=nm(rr.name), r0=int(rr["rank0"]),
                         r1=int(rr["rank1"]), sname=nm(sr.name), ds=f"{sr['dscore']:+.4f}"))
        else:
            out.append(L("report.summary.risers_none", start=y0, end=year, sname=nm(sr.name),
                         ds=f"{sr['dscore']:+.4f}"))
        cv0, cv1 = _cv(panel[panel["period"] == y0]["score"]), _cv(cur["score"])
        if np.isfinite(cv0) and np.isfinite(cv1):
            trend = "up" if cv1 > cv0 * (1 + 1e-6) else ("down" if cv1 < cv0 * (1 - 1e-6) else "flat")
            src = _disparity_source(res, inp, year, lang)
            out.append(L(f"report.summary.disparity_{trend}", start=y0, end=year, cv0=f"{cv0:.3f}",
                         cv1=f"{cv1:.3f}", source=src))
    try:
        from nqpf.analysis import obstacle_degree

        obs = obstacle_degree(res.normalized, res.weights)
        ob = obs[obs["period"].astype(int) == year]
        ind = ob[ob["level"] == "indicator"].groupby("node")["obstacle"].mean().sort_values(ascending=False,
                                                                                             kind="mergesort")
        dim = ob[ob["level"] == "dimension"].groupby("node")["obstacle"].mean().sort_values(ascending=False,
                                                                                            kind="mergesort")
        if len(ind) and len(dim):
            out.append(L("report.summary.obstacle", year=year, ind=fw.label(ind.index[0], lang),
                         iv=f"{ind.iloc[0]:.1%}", dim=fw.label(dim.index[0], lang), dv=f"{dim.iloc[0]:.1%}"))
    except (ImportError, NQPFError, KeyError):
        pass
    return out


def _disparity_source(res, inp, year: int, lang: str) -> str:
    """The largest Dagum component of the year's Gini (a clause for the disparity finding), or ''."""
    groups = _group_labels(inp, "en")
    if not groups:
        return ""
    try:
        from nqpf.analysis.inequality import dagum

        sc = _root_panel(res, year)
        sc = sc[sc["period"] == year].assign(group=lambda d: d["unit"].map(groups)).dropna(subset=["group"])
        dg = dagum(sc, "score", "group", period="period", unit="unit")
    except (ImportError, NQPFError):
        return ""
    v = dg.set_index("component")["value"]
    shares = {c: float(v.get(f"share:{c}", np.nan)) for c in ("Gw", "Gnb", "Gt")}
    shares = {c: x for c, x in shares.items() if np.isfinite(x)}
    if not shares or not np.isfinite(float(v.get("G", np.nan))):
        return ""
    c = max(shares, key=shares.get)
    return t("report.summary.disparity_source", lang, year=year, g=f"{float(v['G']):.3f}",
             component=t(f"report.summary.component.{c}", lang), share=f"{shares[c]:.1%}")


def _summary_national(res, inp, year, lang, unc, names) -> Section:
    s = Section("summary", t("report.section.summary", lang), intro=t("report.intro.summary", lang))
    for f in national_findings(res, inp, year, lang, unc, names):
        s.blocks.append(Text(f, "finding"))
    return s


def regional_findings(res, unit: str, name: str, year: int, lang: str, unc=None, label=None, *, prof=None,
                      guide=None) -> list[str]:
    """The regional summary (3–5 findings): the unit's rank (and interval), its strongest and weakest dimension,
    its change on the previous period, its binding obstacle relative to its peers' frontier (the profile's
    ``relative_obstacles``, with the source obstacle it maps to in the guide's diagnosis) and the guide's top
    path."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    fw = res.framework
    label = label or (lambda n: fw.label(n, lang))
    panel = _root_panel(res, year)
    cur = panel[panel["period"] == year]
    me = cur[cur["unit"] == unit]
    out: list[str] = []
    if not len(me):
        return out
    r = me.iloc[0]
    iv = _interval_of(unc, unit, year)
    interval = "" if iv is None else L("report.summary.region_interval", lo=_rk(iv[0]), hi=_rk(iv[1]))
    out.append(L("report.summary.region_rank", year=year, name=name, score=f"{r['score']:.4f}", n=len(cur),
                 rank=int(r["rank"]), interval=interval))
    ds = res.display_scores()
    sc = ds.assign(unit=ds["unit"].astype(str), period=ds["period"].astype(int))
    d = sc[(sc["unit"] == unit) & (sc["period"] == year) & sc["node"].isin(_dims(res))]
    if len(d) >= 2:
        d = d.sort_values(["rank", "score"], ascending=[True, False], kind="mergesort")
        best, worst = d.iloc[0], d.iloc[-1]
        out.append(L("report.summary.region_dims", best=label(best["node"]), rb=int(best["rank"]),
                     worst=label(worst["node"]), rw=int(worst["rank"])))
    prev = [y for y in sorted(panel["period"].unique()) if y < year]
    if prev:
        p = panel[(panel["unit"] == unit) & (panel["period"] == prev[-1])]
        if len(p):
            p = p.iloc[0]
            out.append(L("report.summary.region_change", prev=int(prev[-1]), ds=f"{r['score'] - p['score']:+.4f}",
                         r0=int(p["rank"]), r1=int(r["rank"])))
    ob = getattr(prof, "relative_obstacles", None) if prof is not None else None
    if ob is None and prof is not None:
        ob = prof.obstacles
    if ob is not None and len(ob):
        oi = ob[(ob["level"] == "indicator") & (ob["obstacle"] > 0)].sort_values(["obstacle", "node"],
                                                                                 ascending=[False, True],
                                                                                 kind="mergesort")
        if len(oi):
            top = oi.iloc[0]
            src = ""
            d = getattr(guide, "diagnosis", None)
            if d is not None and len(d):
                shown = d[d["shown"] & (d["id"] != "unmapped")]
                if len(shown):
                    src = L("report.summary.region_obstacle_src", label=shown["label"].iloc[0],
                            share=f"{float(shown['share'].iloc[0]):.1%}")
            out.append(L("report.summary.region_obstacle", name=name, ind=label(str(top["node"])),
                         ov=f"{float(top['obstacle']):.1%}", src=src))
    if guide is not None and guide.recommendations:
        r1 = guide.recommendations[0]
        cites = [c for c in re.split(r"；|; ", r1.citation) if c]
        more = t("report.summary.more_sources", lang) if len(cites) > 1 else ""
        out.append(L("report.summary.region_path", title=r1.title, citation=(cites[0] if cites else "") + more))
    return out[:5]


def _display_profile_ranks(prof, res, unit: str, year: int) -> None:
    """Ranks of the regional profile as shown (issue 13 item 5): node ranks from ``res.display_scores()`` and
    indicator ranks on the normalised values at 4 decimals (:func:`display_rank`), in place."""
    ds = res.display_scores()
    cur = ds[(ds["unit"].astype(str) == unit) & (ds["period"].astype(int) == year)].set_index("node")["rank"]
    prof.scores["rank"] = prof.scores["node"].map(cur).astype("Int64").to_numpy()
    nz = res.normalized
    nz = nz[nz["period"].astype(int) == year]
    r = display_rank(nz["value"], by=nz["indicator"].to_numpy())
    mine = pd.Series(r.to_numpy(), index=nz["indicator"].to_numpy())[(nz["unit"].astype(str) == unit).to_numpy()]
    for tab in (prof.indicators, prof.strengths, prof.weaknesses):
        if tab is not None and len(tab) and "rank" in tab:
            tab["rank"] = tab["indicator"].map(mine).astype("Int64").to_numpy()


def _summary_regional(res, unit, name, year, lang, unc, label, prof=None, guide=None) -> Section:
    s = Section("summary", t("report.section.summary", lang), intro=t("report.intro.summary_regional", lang))
    for f in regional_findings(res, unit, name, year, lang, unc, label, prof=prof, guide=guide):
        s.blocks.append(Text(f, "finding"))
    return s


DIAG_CHECKS = ("weight_concentration", "single_driver", "outlier", "small_denominator", "rank_jump",
               "long_imputation")


def _node_labeller(fw, inp, lang):
    """Label of a framework node, or of a dataset indicator when the id is not a node."""
    lab = _ind_label(inp, lang)

    def nl(n: str) -> str:
        try:
            return fw.label(n, lang) if n in fw.ids else lab(n)
        except NQPFError:
            return lab(n)

    return nl


def _diagnostics_section(res, inp, year, lang, names) -> Section:
    """Effective-weight concentration and the diagnostic flags of the report year (``res.diagnostics``)."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    fw = res.framework
    nl = _node_labeller(fw, inp, lang)

    s = Section("diagnostics", L("report.section.diagnostics"), intro=L("report.intro.diagnostics"))
    try:
        dg = res.diagnostics
    except NQPFError as exc:
        s.blocks.append(Missing(L("report.section.diagnostics"), [], str(exc)))
        return s
    cc = dg.concentration
    pair = lambda a, b: L("report.diag.pair", label=a, value=b)  # noqa: E731
    s.blocks.append(Facts([
        (L("report.diag.max_leaf"), pair(nl(cc["max_leaf"]), f"{cc['max_weight']:.1%}")),
        (L("report.diag.top3"), pair(_join([nl(x) for x in cc["top3"]], lang), f"{cc['top3_weight']:.1%}")),
        (L("report.diag.herfindahl"), f"{cc['herfindahl']:.3f}"),
        (L("report.diag.effective_number"), f"{cc['effective_number']:.1f}"),
    ], title=L("report.diag.concentration")))
    s.blocks.append(Text(L("report.diag.conc_flagged" if cc["flagged"] else "report.diag.conc_ok",
                           leaf=nl(cc["max_leaf"]), w=f"{cc['max_weight']:.1%}",
                           lim=f"{cc['limits']['max_leaf']:.1%}", top3=f"{cc['top3_weight']:.1%}",
                           lim3=f"{cc['limits']['max_top3']:.1%}"),
                         "warning" if cc["flagged"] else "note"))
    fl = dg.flags
    per = pd.to_numeric(fl["period"], errors="coerce")
    fl = fl[(per == year) | per.isna()]
    if not len(fl):
        s.blocks.append(Text(L("report.diag.no_flags", year=year), "note"))
        return s
    counts = fl["check"].value_counts()
    parts = _join([L("report.diag.count_part", check=L(f"report.diag.check.{c}"), n=int(counts[c]))
                   for c in DIAG_CHECKS if counts.get(c, 0)], lang)
    s.blocks.append(Text(L("report.diag.flag_count", year=year, n=len(fl), parts=parts), "p"))
    order = {c: i for i, c in enumerate(DIAG_CHECKS)}
    fl = fl.assign(_o=fl["check"].map(order)).sort_values(["_o", "unit", "indicator"], kind="mergesort")
    tab = pd.DataFrame({
        L("report.diag.col.check"): [L(f"report.diag.check.{c}") if c in order else str(c) for c in fl["check"]],
        L("report.col.region"): [names.get(str(u), str(u)) if str(u) else "—" for u in fl["unit"]],
        L("report.col.indicator"): [nl(str(i)) if isinstance(i, str) and i else "—" for i in fl["indicator"]],
        L("report.col.value"): fl["value"].astype(float).to_numpy(),
    })
    raw = _outlier_raw(res, fl)
    if raw is not None:  # outliers are found on treated values (e.g. winsorised): show the raw value beside
        tab[L("report.diag.col.raw")] = raw
    if lang != "zh":  # the detail text is English: the Chinese report shows the translated columns only
        tab[L("report.diag.col.detail")] = fl["detail"].astype(str).to_numpy()
    s.blocks.append(Table(tab.reset_index(drop=True), caption=L("report.diag.caption_flags", year=year),
                          sheet="diagnostics"))
    s.blocks.append(Text(L("report.diag.note_value"), "note"))
    return s


def _outlier_raw(res, fl: pd.DataFrame) -> np.ndarray | None:
    """Raw (pre-treatment) values of the outlier rows of ``fl``, NaN elsewhere; None without outlier rows."""
    from nqpf.index.diagnostics import outlier_raw_values

    is_out = (fl["check"] == "outlier").to_numpy()
    RAW = outlier_raw_values(res)
    if RAW is None or not is_out.any():
        return None
    row = {(str(u), int(p)): i for i, (u, p) in enumerate(zip(res.units, res.periods, strict=True))}
    col = {leaf: j for j, leaf in enumerate(res.framework.leaves)}
    out = np.full(len(fl), np.nan)
    for k, (c, u, p, ind) in enumerate(zip(fl["check"], fl["unit"], fl["period"], fl["indicator"], strict=True)):
        if c == "outlier" and ind in col and (str(u), int(p)) in row:
            out[k] = RAW[row[(str(u), int(p))], col[ind]]
    return out


# --- indicator system, methods, data sources, limitations (issue 13 item 2) -----------------------------
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_DERIVED = re.compile(r"^\s*Derived by nqpf from [^.]*\.\s*Sources:\s*", re.IGNORECASE)


_LATIN_PAREN = re.compile(r"\s*[（(][^（）()]*[A-Za-z][^（）()]*[)）]")  # a parenthesis with Latin letters


_UOM_ZH = {"ratio": "比值", "index": "指数", "share": "比重", "km2": "平方千米", "Mt": "百万吨"}


def _zh_ok(text: str) -> bool:
    """A catalogue string the Chinese report may show as it is: Chinese, without English fragments."""
    return bool(_CJK.search(text)) and not _ASCII_LETTER.search(text)


def _catalogue_row(inp, fw, leaf: str) -> dict:
    """The dataset-catalogue row of a leaf (by its id, else by the first series it reads), or {}."""
    cat = inp.catalogue
    if cat is None or "indicator" not in cat:
        return {}
    ids = cat["indicator"].astype(str)
    for key in [leaf, *fw.series_of(leaf)]:
        hit = cat[ids == key]
        if len(hit):
            return {k: v for k, v in hit.iloc[0].items() if isinstance(v, str) and v.strip()}
    return {}


def source_citations(source: str) -> list[str]:
    """The distinct citations of a catalogue ``source`` string ('Derived by nqpf from …. Sources: A | B')."""
    body = _DERIVED.sub("", str(source or ""))
    out: list[str] = []
    for part in body.split(" | "):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


def _leaf_sources(res, inp) -> tuple[dict[str, list[str]], list[str], set[str]]:
    """(leaf -> its citations, the distinct citations in order of first use, leaves derived by nqpf)."""
    fw = res.framework
    per: dict[str, list[str]] = {}
    order: list[str] = []
    derived: set[str] = set()
    for leaf in fw.leaves:
        src = _catalogue_row(inp, fw, leaf).get("source", "")
        if _DERIVED.match(src):
            derived.add(leaf)
        per[leaf] = source_citations(src)
        order.extend(c for c in per[leaf] if c not in order)
    return per, order, derived


def _indicators_section(res, inp, lang) -> Section:
    """The indicator system: one row per leaf with dimension, direction, unit, source and effective weight."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    fw = res.framework
    s = Section("indicators", L("report.section.indicators"), intro=L("report.intro.indicators"))
    dims = set(_dims(res))
    ew = res.weights.assign(node=res.weights["node"].astype(str)).set_index("node")["effective_weight"]
    per, order, _ = _leaf_sources(res, inp)
    num = {c: i + 1 for i, c in enumerate(order)}
    rows = []
    for leaf in fw.leaves:
        dim = next((a for a in [leaf, *fw.ancestors(leaf)] if a in dims), None)
        row = _catalogue_row(inp, fw, leaf)
        src = row.get("source", "")
        cites = per[leaf]
        if not cites:
            shown = L("report.ind.source_none")
        elif lang == "zh" and not _zh_ok(src):
            shown = L("report.ind.source_see", nums="、".join(str(num[c]) for c in cites))
        else:
            shown = src
        uom = row.get("unit_of_measure") or fw.node(leaf).get("unit") or "—"
        if lang == "zh":  # unit names spelled in English in a catalogue (ratio, km²) in Chinese
            uom = _UOM_ZH.get(str(uom), str(uom)).replace("km²", "平方千米")
        rows.append({
            L("report.ind.col.dimension"): fw.label(dim, lang) if dim else "—",
            L("report.col.indicator"): fw.label(leaf, lang),
            L("report.ind.col.direction"): L("report.ind.direction." + ("neg" if fw.direction(leaf) < 0 else "pos")),
            L("report.ind.col.uom"): str(uom),
            L("report.ind.col.source"): shown,
            L("report.ind.col.weight"): float(ew.get(leaf, np.nan)),
        })
    s.blocks.append(Table(pd.DataFrame(rows), caption=L("report.caption.indicators"), sheet="indicators",
                          formats={L("report.ind.col.weight"): "{:.1%}"}))
    return s


def _methods_section(res, lang) -> Section:
    """One plain sentence per pipeline step from ``manifest['settings']`` and where each setting came from."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    s = Section("methods", L("report.section.methods"), intro=L("report.intro.methods"))
    st = res.manifest.get("settings", {})
    src = res.manifest.get("settings_source", {}) or {}

    def origin(step: str) -> str:
        o = str(src.get(step, "unknown"))
        return L(f"report.methods.origin.{o if o in ('framework', 'argument', 'default') else 'unknown'}")

    for step in ("impute", "treat", "normalize", "weights", "aggregate"):
        if step not in st:
            continue
        kw = {"method": _setting_label(step, st[step], lang), "origin": origin(step)}
        if step == "weights":
            kw["scope"] = _setting_label("weight_scope", st.get("weight_scope", "leaves"), lang)
        s.blocks.append(Text(L(f"report.methods.{step}", **kw), "p"))
    per = sorted(int(p) for p in res.scores["period"].unique())
    if per:
        s.blocks.append(Text(L("report.methods.periods", start=per[0], end=per[-1]), "note"))
    return s


def _sources_section(res, inp, lang) -> Section:
    """The distinct data sources of the leaves, each with the indicators it supplies."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    fw = res.framework
    s = Section("sources", L("report.section.sources"), intro=L("report.intro.sources"))
    per, order, derived = _leaf_sources(res, inp)
    if not order:
        s.blocks.append(Text(L("report.src.none"), "note"))
        return s
    sep = "、" if lang == "zh" else "; "
    show = (lambda c: c if _zh_ok(c) else "—") if lang == "zh" else (lambda c: c)
    tab = pd.DataFrame({
        L("report.src.col.no"): list(range(1, len(order) + 1)),
        L("report.src.col.citation"): [show(c) for c in order],
        L("report.src.col.indicators"): [sep.join(fw.label(x, lang) for x in fw.leaves if c in per[x])
                                         for c in order],
    })
    if lang == "zh" and not any(_zh_ok(c) for c in order):
        tab = tab.drop(columns=[L("report.src.col.citation")])
    s.blocks.append(Table(tab, caption=L("report.caption.sources"), sheet="sources"))
    if lang == "zh":
        if not all(_zh_ok(c) for c in order):
            s.blocks.append(Text(L("report.src.see_en"), "note"))
    else:
        s.blocks.append(Text(L("report.src.see_en"), "note"))
    if derived:
        s.blocks.append(Text(L("report.src.derived", n=len(derived)), "note"))
    return s


def late_series(res, inp) -> list[tuple[str, list[tuple[str, int | None]]]]:
    """Leaves whose series start after the first index period in some units: [(leaf, [(unit, first year)])],
    first year None when the unit has no observation in the index periods. A leaf's start in a unit is the
    first period in the index range where all the series it reads are observed."""
    fw = res.framework
    per = sorted(int(p) for p in res.scores["period"].unique())
    if not per:
        return []
    units = sorted(set(res.scores["unit"].astype(str)))
    d = inp.data.assign(unit=inp.data["unit"].astype(str), period=inp.data["period"].astype(int))
    d = d[d["period"].between(per[0], per[-1]) & d["unit"].isin(units)].dropna(subset=["value"])
    out = []
    for leaf in fw.leaves:
        series = fw.series_of(leaf)
        x = d[d["indicator"].isin(series)]
        if not len(x):
            continue
        full = x.groupby(["unit", "period"])["indicator"].nunique()
        full = full[full >= len(set(series))].reset_index()
        first = full.groupby("unit")["period"].min()
        late = [(u, int(first[u]) if u in first.index else None) for u in units
                if u not in first.index or int(first[u]) > per[0]]
        if late:
            out.append((leaf, late))
    return out


def _limits_section(res, inp, lang, names) -> Section:
    """Limitations computed from the result: imputed cells, diagnostic counts, late series, fixed caveats."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    fw = res.framework
    nl = _node_labeller(fw, inp, lang)
    s = Section("limits", L("report.section.limits"), intro=L("report.intro.limits"))
    log = res.imputation_log
    n_imp = len(log) if log is not None else 0
    if n_imp:
        cnt = log["indicator"].astype(str).value_counts()
        order = [x for x in fw.leaves if x in cnt.index] + sorted(x for x in cnt.index if x not in fw.leaves)
        items = _join([L("report.limits.imputed_item", ind=nl(x), n=int(cnt[x])) for x in order], lang)
        s.blocks.append(Text(L("report.limits.imputed", n=n_imp, items=items), "p"))
    else:
        s.blocks.append(Text(L("report.limits.imputed_none"), "p"))
    try:
        counts = res.diagnostics.counts()
    except NQPFError:
        counts = {}
    total = sum(int(v) for v in counts.values())
    if total:
        parts = _join([L("report.diag.count_part", check=L(f"report.diag.check.{c}"), n=int(counts[c]))
                       for c in DIAG_CHECKS if counts.get(c, 0)], lang)
        s.blocks.append(Text(L("report.limits.diag", n=total, parts=parts), "p"))
    else:
        s.blocks.append(Text(L("report.limits.diag_none"), "p"))
    per = sorted(int(p) for p in res.scores["period"].unique())
    late = late_series(res, inp)
    if late:
        items = _join([L("report.limits.late_item", ind=nl(leaf), units=_join(
            [L("report.limits.late_unit", name=names.get(u, u), start=y) if y is not None
             else L("report.limits.late_unit_none", name=names.get(u, u)) for u, y in us], lang))
            for leaf, us in late], lang)
        s.blocks.append(Text(L("report.limits.late", start=per[0], items=items), "p"))
    elif per:
        s.blocks.append(Text(L("report.limits.late_none", start=per[0]), "p"))
    norm = res.manifest.get("settings", {}).get("normalize", "minmax-global")
    if norm == "minmax-global":
        s.blocks.append(Text(L("report.limits.relative"), "note"))
    else:
        s.blocks.append(Text(L("report.limits.relative_other", method=_setting_label("normalize", norm, lang)),
                             "note"))
    s.blocks.append(Text(L("report.limits.vintage"), "note"))
    return s


def _reader_sections(res, inp, lang, names) -> list[Section]:
    """The indicator system, methods, data sources and limitations of the national report."""
    return [_indicators_section(res, inp, lang), _methods_section(res, lang), _sources_section(res, inp, lang),
            _limits_section(res, inp, lang, names)]


def nominal_outside(unc_result, rk: pd.DataFrame, year: int) -> dict | None:
    """``{count, of, cases}`` of nominal ranks outside their 5–95 % interval: from the uncertainty result's
    manifest (``nominal_outside``), else computed from the ranking table of the year (rank vs rank_p05/p95)."""
    man = getattr(unc_result, "manifest", None)
    if isinstance(man, dict) and isinstance(man.get("nominal_outside"), dict):
        no = man["nominal_outside"]
        return {"count": int(no.get("count", 0)), "of": int(no.get("of", 0)), "cases": list(no.get("cases", []))}
    if {"rank_p05", "rank_p95"} <= set(rk.columns) and rk["rank_p05"].notna().any():
        x = rk.dropna(subset=["rank_p05", "rank_p95"])
        bad = x[(x["rank"] < x["rank_p05"]) | (x["rank"] > x["rank_p95"])]
        return {"count": len(bad), "of": len(x),
                "cases": [{"unit": str(r.unit), "period": year, "rank_nominal": int(r.rank),
                           "rank_p05": float(r.rank_p05), "rank_p95": float(r.rank_p95),
                           "nominal_percentile": float("nan")} for r in bad.itertuples()]}
    return None


def _nominal_outside_blocks(unc_result, rk, year, lang) -> list:
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    no = nominal_outside(unc_result, rk, year)
    if not no or no["count"] <= 0:
        return []
    names = dict(zip(rk["unit"].astype(str), rk["name"].astype(str), strict=True))
    cases = [c for c in no["cases"] if int(c.get("period", year)) == year]
    out: list = []
    if cases:
        items = _join([L("report.unc.case", name=names.get(str(c["unit"]), str(c["unit"])),
                         rank=int(c["rank_nominal"]), lo=_rk(c["rank_p05"]), hi=_rk(c["rank_p95"]))
                       for c in cases], lang)
        out.append(Text(L("report.unc.outside_year", year=year, n=len(cases), items=items, count=no["count"],
                          of=no["of"]), "warning"))
    else:
        out.append(Text(L("report.unc.outside_other", year=year, count=no["count"], of=no["of"]), "warning"))
    out.append(Text(L("report.unc.outside_why"), "note"))
    if cases:
        tab = pd.DataFrame({
            L("report.col.name"): [names.get(str(c["unit"]), str(c["unit"])) for c in cases],
            L("report.unc.col.nominal"): [int(c["rank_nominal"]) for c in cases],
            L("report.col.rank_p05"): [float(c["rank_p05"]) for c in cases],
            L("report.col.rank_p95"): [float(c["rank_p95"]) for c in cases],
            L("report.unc.col.percentile"): [float(c.get("nominal_percentile", np.nan)) for c in cases]})
        out.append(Table(tab, caption=L("report.unc.caption", year=year), sheet="nominal_outside",
                         formats={L("report.col.rank_p05"): "{:.1f}", L("report.col.rank_p95"): "{:.1f}",
                                  L("report.unc.col.percentile"): "{:.1%}"}))
    return out


def _concept_label(c: str, lang: str) -> str:
    from nqpf.guide.knowledge import default_knowledge

    kb = default_knowledge()
    return kb.concept_label(c, lang) if c in kb.concepts else c


__all__ = ["build_report", "national_findings", "nominal_outside", "regional_findings"]
