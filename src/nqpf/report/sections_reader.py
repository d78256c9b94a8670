"""The reader's sections of every report (issue 13 item 2): the indicator system with each indicator's
direction, unit, source and effective weight, the methods in plain words, the data sources with their
citations, and the limitations computed from the result."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from nqpf.errors import NQPFError
from nqpf.i18n import t
from nqpf.report import Section, Table, Text
from nqpf.report.common import _ASCII_LETTER, _CJK, _dims, _join, _node_labeller, _setting_label
from nqpf.report.sections_ranking import DIAG_CHECKS

_DERIVED = re.compile(r"^\s*Derived by nqpf from [^.]*\.\s*Sources:\s*", re.IGNORECASE)


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
