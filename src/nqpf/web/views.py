"""JSON views of the dashboard built from the library's layers (index, uncertainty, guide, productivity, report).

Every function takes the :class:`~nqpf.web.service.Dashboard` (store + caches) and plain parameters and returns
JSON-ready dicts; no computation is duplicated here — the numbers come from :mod:`nqpf.index`,
:mod:`nqpf.uncertainty`, :mod:`nqpf.guide`, :mod:`nqpf.productivity` and :mod:`nqpf.report`.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from fastapi import HTTPException

from nqpf.errors import DataError, NQPFError
from nqpf.i18n import t

if TYPE_CHECKING:
    from nqpf.web.service import Dashboard

WORLD_COUNTRIES = ["CHN", "USA", "DEU", "JPN"]
# profile sections that can be missing for lack of data (nqpf.guide.profile), each with a catalogue title and note
MISSING_SECTIONS = ("uncertainty", "obstacles", "coupling", "productivity")
UNCERTAINTY_SAMPLES = 16  # Saltelli base sample (the minimum the estimators accept): a quick 5-95 % band


def _num(v: Any) -> Any:
    """JSON-safe scalar: NaN/inf -> None, numpy -> python."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _num(v) for k, v in rec.items()} for rec in df.to_dict(orient="records")]


def _columns(spec: list[tuple[str, str, int | None]]) -> list[dict[str, Any]]:
    out = []
    for key, label, d in spec:
        c: dict[str, Any] = {"key": key, "label": label}
        if d is not None:
            c["d"] = d
        out.append(c)
    return out


# ------------------------------------------------------------------------------------------------ ranking
def _root(run: dict[str, Any]) -> str:
    for n in run["nodes"]:
        if n["parent"] in (None, ""):
            return str(n["id"])
    raise DataError(f"run {run['id']} has no root node")


def rank_intervals(dash: Dashboard, run_id: str) -> pd.DataFrame | None:
    """5–95 % rank band of the run's root index from :func:`nqpf.uncertainty.run_uncertainty` (cached per run).

    The run's own settings are the nominal ones; every factor but gap filling varies. ``None`` when the run's
    settings are outside what the Monte Carlo supports (weight_scope 'parent')."""
    def compute() -> pd.DataFrame | None:
        from nqpf.uncertainty import FACTORS, run_uncertainty

        run = dash.run(run_id)
        s = run["settings"]
        if s.get("weight_scope", "leaves") != "leaves":
            return None
        data, fw, _, _ = dash.inputs(run)
        kw = {k: s[k] for k in ("impute", "treat", "normalize", "weights", "aggregate") if s.get(k)}
        kw.update(s.get("options") or {})
        unc = run_uncertainty(data, fw, samples=UNCERTAINTY_SAMPLES, seed=0, unit_sensitivity=False,
                              vary=[f for f in FACTORS if f != "impute"], backend="sequential",
                              periods=s.get("periods"), **kw)
        tab = unc.rank_intervals
        return tab.assign(unit=tab["unit"].astype(str), period=tab["period"].astype(int))

    return dash.cached(("intervals", run_id), compute)


def _shown_rank(scores: pd.Series) -> np.ndarray:
    """Display ranks (:func:`nqpf.index.result.display_rank`: scores equal as printed, 4 decimals, share
    the best rank — 1, 2, 2, 4), as floats with NaN for a missing score."""
    from nqpf.index.result import display_rank

    return display_rank(scores.to_numpy()).astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def ranking(dash: Dashboard, run_id: str, period: int, node: str | None, base: str | None,
            intervals: bool, lang: str = "en") -> dict[str, Any]:
    """Units of one run ranked on ``node`` (default: the root) in ``period`` by display rank (ties on the
    printed score, as every table; :func:`_shown_rank`); optional 5–95 % rank interval (root only) and rank
    shift against the ``base`` run (shift = rank − base rank, both display ranks; negative = moved up)."""
    run = dash.run(run_id)
    root = _root(run)
    node = node or root
    s = run["scores"]
    if node not in set(s["node"]):
        raise HTTPException(404, f"node {node!r} is not in run {run_id}; nodes: {', '.join(dict.fromkeys(s['node']))}")
    periods = sorted(int(p) for p in s["period"].unique())
    if int(period) not in periods:
        raise DataError(f"period {period} is not in run {run_id}; periods: {periods}")
    cur = s[(s["node"] == node) & (s["period"] == int(period))].copy()
    cur["unit"] = cur["unit"].astype(str)
    cur["rank"] = _shown_rank(cur["score"])
    names = dash.unit_names(run)
    cur["name_zh"] = cur["unit"].map(lambda u: names.get(u, {}).get("name_zh") or u)
    cur["name_en"] = cur["unit"].map(lambda u: names.get(u, {}).get("name_en") or u)
    out: dict[str, Any] = {"period": int(period), "node": node}
    if intervals:
        if node != root:
            out["intervals_note"] = t("web.intervals.root_only", lang)
        else:
            tab = rank_intervals(dash, run_id)
            if tab is None:
                out["intervals_note"] = t("web.intervals.needs_leaves", lang)
            else:
                iv = tab[tab["period"] == int(period)][["unit", "rank_p05", "rank_p95"]]
                cur = cur.merge(iv, on="unit", how="left")
    if base:
        brun = dash.run(base)
        bnode = _root(brun) if node == root else node  # overall index against overall index
        b = brun["scores"]
        b = b[(b["node"] == bnode) & (b["period"] == int(period))]
        if b.empty:
            raise DataError(f"base run {base} has no scores for node {node!r} in {period}")
        br = dict(zip(b["unit"].astype(str), _shown_rank(b["score"]), strict=True))
        cur["base_rank"] = cur["unit"].map(br)
        cur["shift"] = cur["rank"] - cur["base_rank"]
    cur = cur.sort_values(["rank", "unit"])
    keep = ["unit", "name_zh", "name_en", "score", "rank"] + [c for c in ("rank_p05", "rank_p95", "base_rank", "shift")
                                                              if c in cur]
    rows = _rows(cur[keep])
    for r in rows:
        for k in ("rank", "base_rank", "shift", "rank_p05", "rank_p95"):
            if isinstance(r.get(k), float):
                r[k] = int(round(r[k]))
    out["rows"] = rows
    return out


# ------------------------------------------------------------------------------------------------ region
def region(dash: Dashboard, run_id: str, unit: str, period: int, lang: str) -> dict[str, Any]:
    """Profile, peers, strengths/weaknesses, obstacles, typology and action guide of ``unit`` (cached)."""
    return dash.cached(("region", run_id, str(unit), int(period), lang),
                       lambda: _region(dash, run_id, str(unit), int(period), lang))


def _group_names(dash: Dashboard, units: pd.DataFrame | None, lang: str) -> dict[str, str]:
    """Display names of the ``group`` values of a unit table: Chinese region names (``region4_zh``) and, for
    cities (whose group is their province's code), the province's name in ``lang``."""
    out: dict[str, str] = {}
    if units is None:
        return out
    if lang == "zh" and {"region4", "region4_zh"} <= set(units.columns):
        out.update(zip(units["region4"].astype(str), units["region4_zh"].astype(str), strict=False))
    if "group" in units.columns:
        prov = dash.dataset("cn_provinces")["units"]
        names = dict(zip(prov["unit"].astype(str), prov["name_zh" if lang == "zh" else "name_en"].astype(str),
                         strict=True))
        out.update({g: names[g] for g in units["group"].dropna().astype(str) if g in names})
    return out


def _profile_sections(prof: Any, groups: dict[str, str], nl: Any, L: Any) -> list[dict[str, Any]]:  # noqa: N803
    """The profile's tables: scores, peers, strengths, weaknesses, main obstacles, and what cannot be shown."""
    sc = prof.scores.assign(node=prof.scores["node"].map(nl))
    sections = [{"key": "scores", "title": L("web.region.scores"), "columns": _columns([
        ("node", L("report.col.dimension"), None), ("score", L("report.col.score"), 4), ("rank", L("report.col.rank"), 0),
        ("rank_p05", L("report.col.rank_p05"), 0), ("rank_p95", L("report.col.rank_p95"), 0),
        ("national_mean", L("report.col.national_mean"), 4), ("group_mean", L("report.col.group_mean"), 4),
        ("peer_mean", L("report.col.peer_mean"), 4), ("change", L("report.col.change"), 4)]), "rows": _rows(sc)}]
    peers = prof.peers.assign(group=prof.peers["group"].map(lambda g: groups.get(str(g), g)))
    sections.append({"key": "peers", "title": L("web.region.peers"), "columns": _columns([
        ("name", L("report.col.name"), None), ("group", L("report.col.group"), None),
        ("distance", L("report.col.distance"), 3)]), "rows": _rows(peers)})
    for key, df in (("strengths", prof.strengths), ("weaknesses", prof.weaknesses)):
        x = df.assign(indicator=df["indicator"].map(nl), dimension=df["dimension"].map(nl))
        sections.append({"key": key, "title": L(f"web.region.{key}"), "columns": _columns([
            ("indicator", L("report.col.indicator"), None), ("dimension", L("report.col.dimension"), None),
            ("value", L("report.col.normalised"), 3), ("national_mean", L("report.col.national_mean"), 3),
            ("peer_mean", L("report.col.peer_mean"), 3), ("rank", L("report.col.rank"), 0)]), "rows": _rows(x)})
    if prof.obstacles is not None:
        ob = prof.obstacles[prof.obstacles["level"] != "dimension"].sort_values("rank").head(5)
        sections.append({"key": "obstacles", "title": L("web.region.obstacles"), "note": L("report.intro.obstacles"),
                         "columns": _columns([("node", L("report.col.indicator"), None),
                                              ("obstacle", L("report.col.obstacle"), 3),
                                              ("rank", L("report.col.rank"), 0)]),
                         "rows": _rows(ob.assign(node=ob["node"].map(nl)))})
    for sec in dict.fromkeys(str(m.get("section")) for m in prof.missing):  # what the data cannot show, and why
        known = sec in MISSING_SECTIONS
        sections.append({"key": f"missing_{sec}",
                         "title": L(f"web.region.missing.{sec}") if known else L("web.region.missing.other"),
                         "note": L(f"web.region.missing_note.{sec}") if known else L("web.region.missing_note.other")})
    return sections


def _type_section(data: pd.DataFrame, unit: str, period: int, nl: Any, L: Any,  # noqa: N803
                  lang: str) -> tuple[Any, dict[str, Any]]:
    """(placement or None, section): the unit's type (:mod:`nqpf.guide.typology`), or which data it lacks."""
    from nqpf.guide.typology import check_typology_data, classify, load_typology

    typ = load_typology()
    miss = check_typology_data(data, typ)
    if len(miss) == len(typ.indicators()):
        return None, {"key": "type", "title": L("web.region.type"),
                      "note": L("web.region.type_missing", items=("、" if lang == "zh" else ", ").join(
                          sorted(nl(i) for i in miss)))}
    placement = classify(data, unit, period, typ)
    de = [typ.type_label(x, lang) for x in placement.data_economy]
    rows = [{"what": L("report.col.type_dr"), "value": typ.type_label(placement.digital_real, lang)},
            {"what": L("report.col.type_de"), "value": ", ".join(de) if de else L("report.none")}]
    sec = {"key": "type", "title": L("web.region.type"),
           "columns": _columns([("what", L("report.col.type"), None), ("value", L("report.col.value"), None)]),
           "rows": rows, "note": L("report.note.typology")}
    if miss:
        sec["note"] += " " + L("report.note.typology_missing", items=", ".join(sorted(miss)))
    return placement, sec


def _guide_section(prof: Any, placement: Any, data: pd.DataFrame, catalogue: Any, fw: Any, nl: Any,
                   L: Any, lang: str) -> dict[str, Any]:  # noqa: N803
    """The action guide (:func:`nqpf.guide.action.action_guide`) with the framework's directions and labels."""
    from nqpf.guide.action import action_guide

    series = {n: (fw.node(n).get("series") or n) for n in fw.leaves}
    sec: dict[str, Any] = {"key": "guide", "title": L("web.region.guide"), "note": L("guide.not_causal")}
    try:
        guide = action_guide(prof, placement, data, catalogue=catalogue, lang=lang,
                             directions_override={series[n]: fw.direction(n) for n in fw.leaves},
                             labels={i: nl(i) for i in set(data["indicator"].astype(str))}, leaf_series=series)
        sec["items"] = [{"title": f"{k + 1}. {r.title} — {r.citation}", "text": r.summary, "why": r.why}
                        for k, r in enumerate(guide.recommendations[:6])]
        if not guide.recommendations:
            sec["note"] += " " + L("report.note.no_recommendation")
    except NQPFError as exc:
        sec["note"] += f" — {exc}"
    return sec


def _region_charts(prof: Any, nl: Any, L: Any) -> dict[str, Any]:  # noqa: N803
    """The report's two region charts: dimension scores against the national mean (radar) and the history."""
    dims = prof.scores[prof.scores["level"] != 0] if "level" in prof.scores else prof.scores.iloc[1:]
    radar = [{"node": str(r["node"]), "label": nl(str(r["node"])), "score": _num(r["score"]),
              "national_mean": _num(r.get("national_mean"))} for r in dims.to_dict(orient="records")]
    order = {n: i for i, n in enumerate(prof.scores["node"].astype(str))}  # root first, then the dimensions
    tr = prof.trend.assign(_o=prof.trend["node"].astype(str).map(order)).sort_values(["_o", "period"])
    trend = [{"node": str(r["node"]), "label": nl(str(r["node"])), "period": int(r["period"]), "score": _num(r["score"])}
             for r in tr.to_dict(orient="records")]
    return {"radar": radar, "trend": trend, "radar_title": L("web.region.radar"), "trend_title": L("web.region.trend"),
            "unit_label": L("web.region.this_unit"), "mean_label": L("report.col.national_mean")}


def _region(dash: Dashboard, run_id: str, unit: str, period: int, lang: str) -> dict[str, Any]:
    """The region page: :func:`nqpf.guide.profile.build_profile` of ``unit`` with the run's cached rank
    intervals, its type, the action guide and the two charts; labels in ``lang``."""
    from nqpf.guide.profile import build_profile

    run = dash.run(run_id)
    data, _, units, catalogue = dash.inputs(run)
    res = dash.result(run_id)
    fw = res.framework
    if unit not in set(res.scores["unit"].astype(str)):
        raise HTTPException(404, f"unit {unit!r} is not in run {run_id}")
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731, N806
    col = "name_zh" if lang == "zh" else "name_en"
    ind_names: dict[str, str] = {}
    # the run's indicators, else the provincial catalogue (the typology's indicators are provincial series)
    for cat in (dash.dataset("cn_provinces")["catalogue"], catalogue):
        if cat is not None:
            ind_names.update(zip(cat["indicator"].astype(str), cat[col].astype(str), strict=True))

    def nl(n: str) -> str:
        return fw.label(n, lang) if n in fw.ids else ind_names.get(n, n)

    unc = rank_intervals(dash, run_id) if run["settings"].get("weight_scope") == "leaves" else None
    prof = build_profile(res, unit, period, units=units, data=data, uncertainty=unc, lang=lang)
    groups = _group_names(dash, units, lang)
    sections = _profile_sections(prof, groups, nl, L)
    placement, type_sec = _type_section(data, unit, period, nl, L, lang)
    sections += [type_sec, _guide_section(prof, placement, data, catalogue, fw, nl, L, lang)]
    return {"unit": unit, "name": prof.name, "period": period, "group": groups.get(str(prof.group), prof.group),
            "sections": sections, "charts": _region_charts(prof, nl, L)}


# ------------------------------------------------------------------------------------------------ productivity
def world_tfp(dash: Dashboard, lang: str) -> dict[str, Any]:
    """TFP growth by growth accounting on PWT inputs (Törnqvist, as PWT's rtfpna) and PWT ctfp levels."""
    def compute() -> dict[str, Any]:
        from nqpf import datasets
        from nqpf.productivity.growth import compare_with_pwt

        w = datasets.load("world").data
        w = w[w["unit"].astype(str).isin(WORLD_COUNTRIES)]  # the four countries only (the table has ~180)
        w = w.assign(unit=w["unit"].astype(str), indicator=w["indicator"].astype(str))
        by_year, summary = compare_with_pwt(w, WORLD_COUNTRIES)
        g = by_year.dropna(subset=["tfp_growth"])[["unit", "period", "tfp_growth"]].rename(columns={"tfp_growth": "value"})
        lv = w[(w["indicator"] == "ctfp") & w["unit"].isin(WORLD_COUNTRIES)].dropna(subset=["value"])
        return {"growth": _rows(g.assign(period=g["period"].astype(int))),
                "levels": _rows(lv[["unit", "period", "value"]].assign(period=lv["period"].astype(int))),
                "check": _rows(summary)}

    out = dict(dash.cached(("world_tfp",), compute))
    out["growth_title"] = t("web.prod.growth_title", lang)
    out["levels_title"] = t("web.prod.levels_title", lang)
    return out


def province_efficiency(dash: Dashboard, lang: str) -> dict[str, Any]:
    """Provincial green TFP (recipe ``provincial_green_tfp``: Global Malmquist–Luenberger, Oh 2010), cached.
    The recipe is defined once in :mod:`nqpf.productivity.recipes` (issue 15 item 7)."""
    from nqpf.productivity.recipes import PROVINCIAL_GREEN_TFP as recipe

    years = recipe.years

    def compute() -> dict[str, Any]:
        from nqpf import datasets

        ds = datasets.load(recipe.dataset)
        g = recipe.compute()  # the one definition (CLI `nqpf tfp provinces`, report, docs use it too)
        keep, dropped = g.attrs["manifest"]["units_kept"], g.attrs["manifest"]["units_dropped"]
        agg = recipe.summary(g)  # geometric means over the same pairs, ranks as shown (3 decimals)
        names = ds.units.assign(unit=ds.units["unit"].astype(str)).set_index("unit")
        agg["name_zh"] = agg["unit"].map(names["name_zh"])
        agg["name_en"] = agg["unit"].map(names["name_en"])
        return {"rows": _rows(agg), "dropped": dropped, "n": len(keep), "pairs": int(agg["n_pairs"].max())}

    res = dash.cached(("province_efficiency",), compute)
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    name = "name_zh" if lang == "zh" else "name_en"
    rows = [dict(r, name=r[name]) for r in res["rows"]]
    return {
        "columns": _columns([("rank", L("report.col.rank"), 0), ("name", L("report.col.name"), None),
                             ("cum_tfpch", L("web.prod.cum_gml", a=years[0], b=years[1]), 3),
                             ("tfpch", L("report.prod.gmean_gml"), 4), ("effch", L("report.prod.gmean_effch"), 4),
                             ("techch", L("report.prod.gmean_techch"), 4)]),
        "rows": rows,
        "note": recipe.note(lang, {"n": res["n"], "units_dropped": res["dropped"]}) + " "
        + L("report.prod.gmean_note", pairs=res.get("pairs", years[1] - years[0])),
    }


# ------------------------------------------------------------------------------------------------ report
def report_bytes(dash: Dashboard, run_id: str, kind: str, period: int | None, lang: str) -> tuple[bytes, str]:
    """The national report of a run (HTML or Excel) through :func:`nqpf.report.build_report`, with the run's
    settings; written in a fresh temporary folder under the data directory and removed after reading."""
    from nqpf.report import build_report

    run = dash.run(run_id)
    data = dash.inputs(run)[0]
    src_kind, _, ident = run["source"].partition(":")
    if src_kind == "upload":  # the report names the uploaded file (nqpf.report reads attrs["nqpf"]["meta"]["file"])
        fname = dash.store.upload_filename(ident)
        if fname:
            data = data.copy()
            data.attrs["nqpf"] = {"meta": {"file": fname}}
    periods = sorted(int(p) for p in run["scores"]["period"].unique())
    year = int(period) if period is not None else periods[-1]
    if year not in periods:
        raise DataError(f"period {year} is not in run {run_id}; periods: {periods}")
    fmt = "xlsx" if kind.endswith("xlsx") else "html"
    tmp_root = dash.data_dir / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=tmp_root))
    try:
        out = work / f"report.{fmt}"
        # the page's cached rank intervals, so the downloaded report shows the same bands (none when the page's
        # Monte Carlo is unsupported or refuses the data: the report then says the intervals are missing)
        try:
            iv = rank_intervals(dash, run_id)
        except NQPFError:
            iv = None
        # the run's own index (cached by the service), not a rebuild from its settings (issue 18.6)
        # a shipped dataset by name, so the report has its unit table (names, parent provinces: a city run
        # gives the city-level report, not codes as names) — issue 17
        src = {"dataset": ident} if src_kind == "dataset" else {"data": data}
        build_report(result=dash.result(run_id), **src, year=year, lang=lang, fmt=fmt, out=out,
                     uncertainty=iv, uncertainty_samples=None if iv is not None else 0)
        body = out.read_bytes()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    media = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
             else "text/html; charset=utf-8")
    return body, media
