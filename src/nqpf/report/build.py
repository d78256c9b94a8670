"""Assemble the national and regional reports (``build_report``) from an index result — given, or built here
from a dataset, a framework and the index options — and the analysis layers. Every section that lacks what it
needs says so (a :class:`Missing` block) instead of vanishing or failing.

The sections live by family: :mod:`~nqpf.report.sections_ranking` (ranking, map, dimensions, diagnostics),
:mod:`~nqpf.report.sections_analysis` (Dagum, convergence, typology, TFP), :mod:`~nqpf.report.explain`,
:mod:`~nqpf.report.sections_reader` (indicator system, methods, sources, limitations),
:mod:`~nqpf.report.sections_guide` and :mod:`~nqpf.report.regional` (the regional report),
:mod:`~nqpf.report.city` (city reports), :mod:`~nqpf.report.summary` (executive summaries) and
:mod:`~nqpf.report.intervals` (rank intervals); the names other modules import from here stay importable.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import pandas as pd

from nqpf import _util
from nqpf.errors import DataError, MethodError, NQPFError
from nqpf.i18n import t
from nqpf.report import ReportDoc, Text
from nqpf.report.common import Inputs, _group_labels, _load_inputs, _meta, _names, _setting_label  # noqa: F401
from nqpf.report.intervals import (  # noqa: F401 - DEFAULT_* and nominal_outside are imported from here
    DEFAULT_SEED,
    DEFAULT_UNCERTAINTY_SAMPLES,
    _samples,
    _uncertainty_inputs,
    _uncertainty_record,
    nominal_outside,
)
from nqpf.report.regional import _regional
from nqpf.report.sections_analysis import (
    _convergence_section,
    _dagum_section,
    _tfp_section,
    _typology_overview,
)
from nqpf.report.sections_ranking import (
    _diagnostics_section,
    _dimensions_section,
    _map_section,
    _ranking,
    _ranking_section,
)
from nqpf.report.sections_reader import _leaf_sources, _reader_sections, late_series, source_citations  # noqa: F401
from nqpf.report.summary import (  # noqa: F401 - the findings and _display_profile_ranks are imported from here
    _display_profile_ranks,
    _summary_national,
    national_findings,
    regional_findings,
)


def build_report(*, dataset: str | None = None, data: Any = None, framework: Any = None, year: int,
                 unit: str | None = None, lang: str = "en", fmt: str = "html", out: str | Path | None = None,
                 index_options: dict | None = None, uncertainty: Any = None,
                 uncertainty_samples: int | None = None,
                 geometry: str | Path | dict | None = None, static: bool = False, seed: int = DEFAULT_SEED,
                 province: str | None = None, result: Any = None) -> ReportDoc:
    """Build the national report (``unit=None``) or the regional report of ``unit`` for ``year``; on a city
    dataset (units with a ``province`` column, e.g. ``cn_cities``) the report of the city ``unit`` or of the
    cities of ``province`` (a province code, name or spelling) — :mod:`nqpf.report.city`.

    ``result``: an :class:`~nqpf.index.result.IndexResult` to report on (not rebuilt; its data are those of
    ``dataset``/``data`` when given, else of ``result.spec``) or an :class:`~nqpf.index.spec.IndexSpec` to build;
    without one, ``dataset`` (a built-in name) or ``data`` (a file path / long DataFrame), ``framework`` (built-in
    name, YAML path or Framework) and ``index_options`` (passed to :func:`nqpf.index.build_index`; default
    ``impute='linear-carry'`` unless the framework declares its own) define the index. ``uncertainty``: an
    ``UncertaintyResult`` or a table with unit, period, rank_p05, rank_p95 — else
    ``nqpf.uncertainty.run_uncertainty`` runs with ``uncertainty_samples`` base samples (default
    :data:`DEFAULT_UNCERTAINTY_SAMPLES`; 0 = no rank intervals) seeded by ``seed`` (both recorded in
    ``manifest['uncertainty']``); ``fmt``: 'html' or 'xlsx'; ``out``: file to write (atomically).
    Returns the :class:`ReportDoc`. Unknown unit or year → :class:`DataError` listing the valid ones.
    """
    if lang not in ("zh", "en"):
        raise DataError(f"lang must be 'zh' or 'en', got {lang!r}")
    if fmt not in ("html", "xlsx"):
        raise DataError(f"format must be 'html' or 'xlsx', got {fmt!r}")
    by_default = uncertainty is None and uncertainty_samples is None
    uncertainty_samples = _samples(uncertainty_samples, lang)
    inp = _inputs(dataset, data, result)
    year = int(year)
    cities, province = _check_scope(inp, year, unit, province, lang)
    res, framework, opts, notes = _index(inp, framework, index_options, result)
    index_years = sorted(int(p) for p in res.scores["period"].unique())
    if year not in index_years:
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
    doc, geo = _document(res, inp, year, lang, unit, province, cities, unc_table, unc_result, uncertainty,
                         _geometry(geometry))
    unc_rec = _uncertainty_record(uncertainty, uncertainty_samples, seed, unc_table, opts)
    if unc_failed:
        unc_rec["failed"] = unc_failed
    doc.manifest = {"index": res.manifest, "index_options": opts, "warnings": notes, "uncertainty": unc_rec,
                    "built": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    if unc_rec.get("samples") and unc_rec.get("seed") is not None:  # the reader can reproduce the intervals
        for sec in doc.sections:
            if sec.id == "ranking":
                sec.blocks.append(Text(t("report.note.mc_design", lang, n=unc_rec["samples"], seed=unc_rec["seed"]),
                                       "note"))
    if out is not None:
        _write(doc, fmt, out, static, geo)
    return doc


def _inputs(dataset: str | None, data: Any, result: Any) -> Inputs:
    """The report's inputs: ``dataset``/``data`` when given, else those the ``result``'s spec refers to."""
    if result is None or dataset is not None or data is not None:
        return _load_inputs(dataset, data)
    from nqpf.index import IndexResult

    try:
        spec = result.spec if isinstance(result, IndexResult) else result
    except MethodError as exc:
        raise DataError(f"result: {exc}; give its data as dataset= or data=") from None
    if spec.data_kind == "dataset":
        return _load_inputs(spec.data, None)
    if spec.source is not None:  # an attached DataFrame (or unnamed Dataset)
        src = spec.source
        return _load_inputs(None, src if isinstance(src, pd.DataFrame) else src.data)
    if spec.data_kind == "file":
        return _load_inputs(None, spec.data)
    raise DataError("result: its spec refers to a DataFrame that is not attached; give it as data= (or use "
                    "spec.with_data(df))")


def check_year(data: pd.DataFrame, year: int) -> None:
    """:class:`DataError` listing the valid years when ``year`` is not a period of the long table ``data``."""
    years = sorted(int(y) for y in data["period"].unique())
    if int(year) not in years:
        raise DataError(f"year {year} is not in the data; valid years: {years}")


def _check_scope(inp: Inputs, year: int, unit: str | None, province: str | None, lang: str
                 ) -> tuple[bool, str | None]:
    """(the units are cities, the province code of ``province``); unknown year, unit or province, or a province
    on non-city data → :class:`DataError`."""
    check_year(inp.data, year)
    from nqpf.report.city import is_city_units, resolve_province

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
    return cities, province


def _index(inp: Inputs, framework: Any, index_options: dict | None, result: Any) -> tuple[Any, Any, dict, list[str]]:
    """(index result, its framework, the options the Monte Carlo varies around, the build's warnings): ``result``
    as given (its spec's options, its manifest's warnings), built from an IndexSpec, or built from ``inp.data``."""
    from nqpf.index import IndexResult, IndexSpec, build_index

    if isinstance(result, IndexResult | IndexSpec) and (framework is not None or index_options is not None):
        raise DataError("result: the index is defined by the result; do not give framework or index_options too")
    if isinstance(result, IndexResult):
        return result, result.framework, result.spec.build_kwargs(), list(result.manifest.get("warnings") or [])
    if result is not None and not isinstance(result, IndexSpec):
        raise DataError(f"result: got {type(result).__name__}; give an IndexResult or an IndexSpec")
    if result is None and framework is None:
        raise DataError("framework: give a built-in name, a YAML path or a Framework (or result=)")
    if result is None:
        from nqpf.framework import load_framework
        from nqpf.index.pipeline import framework_method

        # the framework's declared method applies; without one, gaps are filled linearly (reports must not stop)
        opts = {} if "impute" in framework_method(load_framework(framework)) else {"impute": "linear-carry"}
        opts.update(index_options or {})
    else:
        opts = result.build_kwargs()
    with _util.quiet_notes() as caught:  # context-local: a dashboard download in a thread keeps its own notes
        res = build_index(result) if result is not None else build_index(inp.data, framework, **opts)
    return res, (res.framework if result is not None else framework), opts, list(caught)


def _document(res, inp, year, lang, unit, province, cities, unc_table, unc_result, uncertainty, geo):
    """(the ReportDoc of the scope — city, cities of a province, national or regional —, the map geometry)."""
    if cities and (unit is not None or province is not None):
        from nqpf.report.city import city_geometry_for, city_report, province_report

        par = dict(zip(inp.units["unit"].astype(str), inp.units["province"].astype(str), strict=True))
        prov = province if province is not None else par.get(str(unit))
        if geo is None and prov is not None:
            geo = city_geometry_for(prov, year)
        doc = (province_report(res, inp, province, year, lang, unc_table) if province is not None
               else city_report(res, inp, str(unit), year, lang, unc_table))
        return doc, geo
    if unit is not None:
        return _regional(res, inp, str(unit), year, lang, unc_table, geo), geo
    if cities and geo is None:  # all cities of China, with the South China Sea Islands inset
        from nqpf.report import geo_city

        geo = geo_city.city_geometry(None, year=year) if geo_city.province_files_available() else None
    doc = _national(res, inp, year, lang, unc_table, geo,
                    sens=uncertainty if hasattr(uncertainty, "sensitivity") else None, unc_result=unc_result)
    if cities:  # a city framework is not an NQPF index: the title says what the report covers
        doc.title = t("report.city.national_title", lang, year=year)
    return doc, geo


def _write(doc: ReportDoc, fmt: str, out: str | Path, static: bool, geo) -> None:
    """Write ``doc`` to ``out`` atomically: self-contained HTML (with the map geometry) or a workbook."""
    if fmt == "html":
        from nqpf.report.html import write_html

        write_html(doc, out, static=static, geometry=geo)
    else:
        from nqpf.report.excel import write_excel

        write_excel(doc, out)


def _geometry(geometry):
    """The map geometry: a GeoJSON mapping as given, a file read by :func:`load_geometry`, or None."""
    if geometry is None or isinstance(geometry, dict):
        return geometry
    from nqpf.report.figures import load_geometry

    return load_geometry(geometry)


def _national(res, inp, year, lang, unc, geo, sens=None, unc_result=None) -> ReportDoc:
    """The national report: summary, ranking, map, dimensions, diagnostics, Dagum, convergence, the explaining
    sections, typology, TFP and the reader's sections."""
    from nqpf.report.explain import explain_sections

    fw = res.framework
    names = _names(inp, lang, res)
    doc = ReportDoc(title=t("report.national.title", lang, year=year), lang=lang,
                    subtitle=t("report.subtitle", lang, framework=fw.label(fw.root, lang)),
                    meta=_meta(res, inp, year, lang))
    rk = _ranking(res, inp, year, lang, unc)
    doc.sections = [
        _ranking_section(rk, year, lang, unc, unc_result), _map_section(rk.set_index("unit")["score"], year, lang, geo),
        _dimensions_section(res, rk, year, lang, names), _diagnostics_section(res, inp, year, lang, names),
        _dagum_section(res, inp, year, lang), _convergence_section(res, inp, year, lang),
        *explain_sections(res, inp, year, lang, names, _group_labels(inp, lang), uncertainty=sens),
        _typology_overview(inp, year, lang, names), _tfp_section(inp, year, lang, names),
        *_reader_sections(res, inp, lang, names)]
    doc.sections.insert(0, _summary_national(res, inp, year, lang, unc, names))
    return doc


__all__ = ["build_report", "national_findings", "nominal_outside", "regional_findings"]
