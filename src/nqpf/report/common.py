"""What every report section shares: the report's inputs (data, units, catalogue, source), the names and labels
of units, groups, indicators and settings, the settings card, and small formatting helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf.errors import DataError, NQPFError
from nqpf.i18n import t

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


_ASCII_LETTER = re.compile(r"[A-Za-z]")


_LATIN_PAREN = re.compile(r"\s*[（(][^（）()]*[A-Za-z][^（）()]*[)）]")  # a parenthesis with Latin letters


@dataclass
class Inputs:
    data: pd.DataFrame
    units: pd.DataFrame | None
    catalogue: pd.DataFrame | None
    source: str


def _load_inputs(dataset: str | None, data: Any) -> Inputs:
    """The inputs of a report from a built-in ``dataset`` name or ``data`` (file path or long/wide DataFrame); province
    codes borrow names, groups and the catalogue from ``cn_provinces``."""
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


def _names(inp: Inputs, lang: str, res=None) -> dict[str, str]:
    """unit → name in ``lang`` from the units table of the inputs, {} without one (ids are shown as they are);
    with the index result at hand through :meth:`nqpf.index.result.IndexResult.unit_names`."""
    if inp.units is None:
        return {}
    col = "name_zh" if lang == "zh" else "name_en"
    if col not in inp.units:
        return {}
    if res is not None:
        return res.unit_names(lang, inp.units)
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
    """A function: dataset indicator id → its catalogue name in ``lang`` (the id when unknown)."""
    lab: dict[str, str] = {}
    if inp.catalogue is not None:
        col = "name_zh" if lang == "zh" else "name_en"
        if col in inp.catalogue:
            lab = dict(zip(inp.catalogue["indicator"].astype(str), inp.catalogue[col].astype(str), strict=True))

    def f(i: str) -> str:
        return lab.get(i, i)

    return f


def _node_labeller(fw, inp, lang):
    """Label of a framework node, or of a dataset indicator when the id is not a node."""
    lab = _ind_label(inp, lang)

    def nl(n: str) -> str:
        try:
            return fw.label(n, lang) if n in fw.ids else lab(n)
        except NQPFError:
            return lab(n)

    return nl


def _dims(res) -> list[str]:
    """The dimensions: the children of the framework's root."""
    return res.framework.children(res.framework.root)


def _join(items, lang: str) -> str:
    """Items joined as the language lists them (、 in Chinese, comma in English)."""
    return ("、" if lang == "zh" else ", ").join(items)


def _rk(v: float) -> str:
    """A rank quantile: whole numbers without decimals, interpolated ones with one."""
    v = float(v)
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}"


def _interval_of(unc, unit: str, year: int) -> tuple[float, float] | None:
    """The 5–95 % rank interval of ``unit`` in ``year`` from a rank-interval table, or None."""
    if unc is None:
        return None
    u = unc[unc["unit"] == unit]
    if "period" in u:
        u = u[u["period"].astype(int) == year]
    if not len(u) or not (np.isfinite(u["rank_p05"].iloc[0]) and np.isfinite(u["rank_p95"].iloc[0])):
        return None
    return float(u["rank_p05"].iloc[0]), float(u["rank_p95"].iloc[0])


def _root_panel(res, upto: int) -> pd.DataFrame:
    """unit, period, score, rank of the composite index for the periods up to ``upto``."""
    ds = res.display_scores()
    sc = ds[ds["node"] == res.framework.root]
    sc = sc.assign(unit=sc["unit"].astype(str), period=sc["period"].astype(int))
    return sc[sc["period"] <= upto][["unit", "period", "score", "rank"]].reset_index(drop=True)


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


def _setting_name(step: str, lang: str) -> str:
    """The label of a pipeline setting on the settings card: its step's name; the weight scope its own."""
    return t("report.meta.weight_scope" if step == "weight_scope" else f"index.step.{step}", lang)


def _meta(res, inp, year, lang, unit_name: str | None = None) -> list[tuple[str, str]]:
    """The settings card: (region,) data, framework, year, number of units, the index settings in words."""
    fw = res.framework
    s = res.manifest.get("settings", {})
    out = [(t("report.meta.data", lang), _source_label(inp.source, lang)),
           (t("report.meta.framework", lang), (fw.meta.get("title_zh") or fw.label(fw.root, "zh")) if lang == "zh"
            else f"{fw.name} — {fw.meta.get('title_en', '') or ''}".strip(" —")),
           (t("report.meta.year", lang), str(year)),
           (t("report.meta.units", lang), str(res.scores["unit"].nunique())),
           (t("report.meta.settings", lang), ("；" if lang == "zh" else "; ").join(
               f"{_setting_name(k, lang)}{'：' if lang == 'zh' else ': '}{_setting_label(k, v, lang)}"
               for k, v in s.items() if k in ("impute", "treat", "normalize", "weights", "weight_scope", "aggregate")))]
    if unit_name:
        out.insert(0, (t("report.meta.region", lang), unit_name))
    return out


def _path_titles(lang: str) -> dict[str, str]:
    """path id → the title of the action-guide path in ``lang``."""
    from nqpf.guide.knowledge import default_knowledge

    return {p.id: p.title[lang] for p in default_knowledge().paths}


def _concept_label(c: str, lang: str) -> str:
    """A knowledge-base concept's label in ``lang`` (the id when unknown)."""
    from nqpf.guide.knowledge import default_knowledge

    kb = default_knowledge()
    return kb.concept_label(c, lang) if c in kb.concepts else c
