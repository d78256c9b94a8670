"""Paper-ready tables, LaTeX, Excel and the standard figures of every result object.

The result classes reach these through methods — ``IndexResult.summary/to_latex/plot``, ``SFAResult.…``,
``UncertaintyResult.…`` — and the tidy DataFrames returned by ``dea``, ``malmquist``, ``sigma``,
``beta_cross_section``, ``beta_panel``, ``dagum``, ``kde_over_time`` through the ``DataFrame.nqpf``
accessor (registered by :mod:`nqpf.index.result`); each method imports this module when called, so the
lower layers never import the report layer at import time.

``result_kind`` tells what a result is (by its class, or by the columns of a tidy table); ``summary`` gives
the table a paper shows, ``latex`` a booktabs table with notes, ``excel`` a workbook (table + notes sheet),
``plot`` the standard figure(s) of that kind (:data:`PLOTS`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf.errors import DataError, MethodError
from nqpf.i18n import t
from nqpf.index.result import DISPLAY_DIGITS, display_rank

# the standard figures of each kind; the first is the default of ``plot``
PLOTS: dict[str, tuple[str, ...]] = {
    "index": ("ranking", "trend", "radar", "map"),
    "uncertainty": ("intervals",),
    "dea": ("ranking",),
    "malmquist": ("trend", "ranking"),
    "sfa": ("ranking",),
    "sigma": ("trend",),
    "dagum": ("contributions", "trend"),
    "kde": ("density",),
}


def result_kind(obj: Any) -> str:
    """'index', 'uncertainty', 'sfa', or for a tidy table 'dea', 'malmquist', 'sigma', 'beta', 'dagum',
    'kde', 'rank_intervals'; anything else is 'table'."""
    name = type(obj).__name__
    if name == "IndexResult":
        return "index"
    if name == "UncertaintyResult":
        return "uncertainty"
    if name == "SFAResult":
        return "sfa"
    if not isinstance(obj, pd.DataFrame):
        raise DataError(f"not a result nqpf can summarise: {name}")
    cols = set(obj.columns)
    if {"tfpch", "effch", "techch"} <= cols:
        return "malmquist"
    if {"efficiency", "peers"} <= cols:
        return "dea"
    if {"sigma_log", "cv"} <= cols:
        return "sigma"
    if {"beta", "half_life"} <= cols:
        return "beta"
    if {"period", "component", "value"} <= cols and (obj["component"] == "G").any():
        return "dagum"
    if {"x", "density", "bandwidth"} <= cols:
        return "kde"
    if {"unit", "rank_nominal", "rank_p05", "rank_p95"} <= cols:
        return "rank_intervals"
    return "table"


def _L(lang: str):
    if lang not in ("zh", "en"):
        raise DataError(f"lang must be 'zh' or 'en', got {lang!r}")
    return lambda k, **kw: t(k, lang, **kw)


def _names(units, lang: str, unit_names: dict | None) -> dict[str, str]:
    """unit → name (GB/T 2260 province names when every unit is a province code; else none)."""
    if unit_names is not None:
        return {str(k): str(v) for k, v in unit_names.items()}
    from nqpf.data.units import province
    from nqpf.errors import NQPFError

    out = {}
    for u in {str(u) for u in units}:
        try:
            p = province(u)
        except (KeyError, ValueError, NQPFError):
            return {}
        out[u] = p.name_zh if lang == "zh" else p.name_en
    return out


def _opt(L, group: str, value) -> str:
    """Catalogue label of a method option (report.res.<group>.<value>), '—' when unset, else the value."""
    if value is None:
        return "—"
    try:
        return L(f"report.res.{group}.{value}")
    except KeyError:
        return str(value)


def _stars(p: float) -> str:
    return "" if not np.isfinite(p) else "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


# ------------------------------------------------------------------------------------------------ summary
def summary(obj: Any, *, lang: str = "en", **kw) -> pd.DataFrame:
    """The paper-ready table of ``obj`` (headers in ``lang``); ``table.attrs['notes']`` holds its notes and
    ``attrs['formats']`` the Python format of each numeric column. Keywords by kind: index — ``period``
    (default latest), ``top``, ``uncertainty`` (an UncertaintyResult or rank-interval table), ``unit_names``;
    uncertainty / rank_intervals — ``period``; dea, malmquist — ``unit_names``."""
    kind = result_kind(obj)
    fn = {"index": _index_summary, "uncertainty": _intervals_summary, "rank_intervals": _intervals_summary,
          "dea": _dea_summary, "malmquist": _malmquist_summary, "sfa": _sfa_summary, "sigma": _sigma_summary,
          "beta": _beta_summary, "dagum": _dagum_summary, "kde": _kde_summary}.get(kind)
    if fn is None:
        out = obj.copy()
        out.attrs = {"notes": [], "formats": {}, "caption": ""}
        return out
    return fn(obj, _L(lang), lang, **kw)


def _finish(df: pd.DataFrame, caption: str, notes: list[str], formats: dict[str, str]) -> pd.DataFrame:
    df = df.reset_index(drop=True)
    df.attrs = {"caption": caption, "notes": [n for n in notes if n], "formats": formats}
    return df


def _index_summary(res, L, lang, *, period: int | None = None, top: int | None = None, uncertainty=None,
                   unit_names: dict | None = None) -> pd.DataFrame:
    fw = res.framework
    per = int(res.years.max()) if period is None else int(period)
    if per not in set(int(y) for y in res.years):
        raise DataError(f"period {per} is not in the result; periods: {[int(y) for y in res.years]}")
    ds = res.display_scores()
    cur = ds[ds["period"] == per]
    root = cur[cur["node"] == fw.root].set_index("unit")
    names = _names(root.index, lang, unit_names)
    dims = fw.children(fw.root)
    c_rank, c_code, c_name, c_score = L("report.col.rank"), L("report.col.unit"), L("report.col.name"), L(
        "report.col.score")
    tab = pd.DataFrame({c_rank: root["rank"].to_numpy(), c_code: root.index.astype(str)})
    if names:
        tab[c_name] = [names.get(str(u), str(u)) for u in root.index]
    tab[c_score] = root["score"].to_numpy(dtype=float)
    fmts = {c_score: "{:.4f}"}
    for d in dims:
        s = cur[cur["node"] == d].set_index("unit")["score"]
        col = fw.label(d, lang)
        tab[col] = s.reindex(root.index).to_numpy(dtype=float)
        fmts[col] = "{:.4f}"
    notes = [L("report.res.note_index", framework=fw.label(fw.root, lang), year=per), L("report.xlsx.rank_rule")]
    if uncertainty is not None:
        iv = getattr(uncertainty, "rank_intervals", uncertainty)
        iv = iv[iv["period"].astype(int) == per] if "period" in iv else iv
        iv = iv.assign(unit=iv["unit"].astype(str)).set_index("unit")
        p05, p95 = L("report.col.rank_p05"), L("report.col.rank_p95")
        tab.insert(tab.columns.get_loc(c_score) + 1, p05, iv["rank_p05"].reindex(tab[c_code]).to_numpy(float))
        tab.insert(tab.columns.get_loc(p05) + 1, p95, iv["rank_p95"].reindex(tab[c_code]).to_numpy(float))
        fmts[p05] = fmts[p95] = "{:.1f}"
        notes.append(L("report.res.note_intervals"))
    tab = tab.sort_values([c_rank, c_code], kind="mergesort")
    if top is not None:
        tab = tab.head(int(top))
    return _finish(tab, L("report.caption.ranking", year=per), notes, fmts)


def _intervals_summary(obj, L, lang, *, period: int | None = None, unit_names: dict | None = None) -> pd.DataFrame:
    iv = getattr(obj, "rank_intervals", obj)
    if "period" in iv:
        per = int(iv["period"].max()) if period is None else int(period)
        iv = iv[iv["period"].astype(int) == per]
        if not len(iv):
            raise DataError(f"period {per} is not in the rank intervals")
    else:
        per = None
    iv = iv.assign(unit=iv["unit"].astype(str)).sort_values(["rank_nominal", "unit"], kind="mergesort")
    names = _names(iv["unit"], lang, unit_names)
    cols = {"unit": L("report.col.unit"), "rank_nominal": L("report.unc.col.nominal"),
            "rank_median": L("report.res.rank_median"), "rank_p05": L("report.col.rank_p05"),
            "rank_p95": L("report.col.rank_p95")}
    tab = iv[[c for c in cols if c in iv]].rename(columns=cols)
    if names:
        tab.insert(1, L("report.col.name"), [names.get(u, u) for u in iv["unit"]])
    man = getattr(obj, "manifest", {}) or {}
    runs = (man.get("design") or {}).get("runs")  # UncertaintyResult.manifest['design']['runs']
    notes = [L("report.res.note_unc", runs=runs) if runs else L("report.res.note_unc_table")]
    fmts = {cols[c]: "{:.1f}" for c in ("rank_median", "rank_p05", "rank_p95")}
    cap = L("report.caption.rank_interval") if per is None else L("report.res.caption_intervals", year=per)
    return _finish(tab, cap, notes, fmts)


def _dea_summary(df, L, lang, *, unit_names: dict | None = None) -> pd.DataFrame:
    d = df.assign(unit=df["unit"].astype(str))
    man = df.attrs.get("manifest", {}) or {}
    c_code, c_eff, c_rank = L("report.col.unit"), L("report.col.efficiency"), L("report.col.rank")
    by = d["period"].to_numpy() if "period" in d else None
    tab = pd.DataFrame({c_code: d["unit"]})
    if "period" in d:
        tab[L("common.period")] = d["period"].to_numpy()
    names = _names(d["unit"], lang, unit_names)
    if names:
        tab.insert(1, L("report.col.name"), [names.get(u, u) for u in d["unit"]])
    tab[c_eff] = d["efficiency"].to_numpy(dtype=float)
    tab[c_rank] = display_rank(d["efficiency"], by=by).to_numpy()
    keys = ([L("common.period")] if "period" in d else []) + [c_rank, c_code]
    tab = tab.sort_values(keys, kind="mergesort")
    eff = d["efficiency"].astype(float)
    settings = L("report.res.dea_settings", model=str(man.get("model", "—")).upper(),
                 orientation=_opt(L, "orient", man.get("orientation")), rts=_opt(L, "rts", man.get("rts")))
    notes = [L("report.res.note_dea", n=int(eff.notna().sum()), mean=f"{eff.mean():.4f}",
               frontier=int((eff.round(DISPLAY_DIGITS) >= 1).sum()), settings=settings),
             L("report.res.note_ties")]
    return _finish(tab, L("report.caption.dea"), notes, {c_eff: "{:.4f}"})


def _malmquist_summary(df, L, lang, *, unit_names: dict | None = None) -> pd.DataFrame:
    from nqpf.productivity.malmquist import mean_changes

    man = df.attrs.get("manifest", {}) or {}
    index = man.get("index", "malmquist")
    m = mean_changes(df, "unit", index=index)
    one = df.assign(_all="all")
    allm = mean_changes(one, "_all", index=index)
    comp = [c for c in ("tfpch", "effch", "techch", "pech", "sech") if c in m]
    heads = {c: L(f"report.res.{c}") for c in comp}
    c_code, c_n = L("report.col.unit"), L("report.res.n_pairs")
    m = m.assign(unit=m["unit"].astype(str))
    names = _names(m["unit"], lang, unit_names)
    tab = pd.DataFrame({c_code: m["unit"]})
    if names:
        tab[L("report.col.name")] = [names.get(u, u) for u in m["unit"]]
    for c in comp:
        tab[heads[c]] = m[c].to_numpy(float)
    tab[c_n] = m["n_pairs"].to_numpy()
    total = {c_code: L("report.res.all_units"), c_n: int(allm["n_pairs"].iloc[0]),
             **{heads[c]: float(allm[c].iloc[0]) for c in comp}}
    if names:
        total[L("report.col.name")] = ""
    tab = pd.concat([tab, pd.DataFrame([total])], ignore_index=True)
    kind = "arithmetic" if index == "luenberger" else "geometric"
    notes = [L(f"report.res.note_mean_{kind}"),
             L("report.res.note_malmquist", index=_opt(L, "index", index), technology=_opt(L, "tech",
               man.get("technology")), rts=_opt(L, "rts", man.get("rts")))]
    return _finish(tab, L("report.res.caption_malmquist"), notes, {h: "{:.4f}" for h in heads.values()})


def _sfa_summary(res, L, lang) -> pd.DataFrame:
    tab = res.summary_table()
    tab = tab.rename(columns={"term": L("report.res.term"), "estimate": L("report.res.estimate"),
                              "std_error": L("report.res.se")})
    man = res.manifest or {}
    notes = [L("report.res.note_sfa", model=man.get("model", "—"), form=man.get("form", "—"),
               dist=man.get("distribution", man.get("dist", "—"))), L("report.res.note_stars")]
    return _finish(tab, L("report.res.caption_sfa"), notes, {})


def _sigma_summary(df, L, lang) -> pd.DataFrame:
    tab = df.rename(columns={"period": L("common.period"), "sigma_log": "σ (ln)", "cv": "CV", "n": "n"})
    tr = df.attrs.get("trend", {})
    notes = [L("report.res.note_sigma", slope=f"{tr.get('slope', float('nan')):+.4f}",
               p=f"{tr.get('p_value', float('nan')):.3f}")]
    return _finish(tab, L("report.caption.sigma"), notes, {"σ (ln)": "{:.4f}", "CV": "{:.4f}"})


def _beta_summary(df, L, lang) -> pd.DataFrame:
    r = df.iloc[0]
    rows = []
    if "term" in df:  # panel: one row per regressor
        for x in df.itertuples():
            rows.append((str(x.term), f"{x.coef:.4f}{_stars(x.p_value)}", f"({x.se:.4f})"))
        n = int(r["n_obs"])
    else:
        rows.append(("β", f"{r['beta']:.4f}{_stars(r['p_value'])}", f"({r['se']:.4f})"))
        n = int(r["n"])
    hl = float(r["half_life"])
    r2 = next((float(r[c]) for c in ("r2", "r2_within") if c in df), float("nan"))
    rows += [("R²", f"{r2:.4f}", ""), (L("report.res.speed"), f"{float(r['speed']):.4f}", ""),
             (L("report.col.half_life"), "—" if not np.isfinite(hl) else f"{hl:.1f}", ""), ("N", str(n), "")]
    tab = pd.DataFrame(rows, columns=[L("report.res.term"), L("report.res.estimate"), L("report.res.se")])
    return _finish(tab, L("report.caption.beta"), [L("report.res.note_beta"), L("report.res.note_stars")], {})


def _dagum_summary(df, L, lang) -> pd.DataFrame:
    comp = ["G", "Gw", "Gnb", "Gt", "share:Gw", "share:Gnb", "share:Gt"]
    piv = df[df["component"].isin(comp)].pivot(index="period", columns="component", values="value")
    piv = piv[[c for c in comp if c in piv.columns]].reset_index()
    lab = {"period": L("common.period"), "G": L("report.col.gini"), "Gw": L("report.col.gw"),
           "Gnb": L("report.col.gnb"), "Gt": L("report.col.gt"), "share:Gw": L("report.col.share_gw"),
           "share:Gnb": L("report.col.share_gnb"), "share:Gt": L("report.col.share_gt")}
    tab = piv.rename(columns=lab)
    tab.columns.name = None
    fmts = {lab[c]: ("{:.1%}" if c.startswith("share:") else "{:.4f}") for c in comp if c in piv.columns}
    return _finish(tab, L("report.caption.dagum"), [L("report.res.note_dagum")], fmts)


def _kde_summary(df, L, lang) -> pd.DataFrame:
    rows = []
    for per, g in df.groupby("period", sort=True):
        i = int(np.argmax(g["density"].to_numpy()))
        rows.append({L("common.period"): per, "n": int(g["n"].iloc[0]),
                     L("report.res.bandwidth"): float(g["bandwidth"].iloc[0]),
                     L("report.res.mode"): float(g["x"].iloc[i])})
    fm = {L("report.res.bandwidth"): "{:.4f}", L("report.res.mode"): "{:.4f}"}
    rule = (df.attrs.get("manifest", {}) or {}).get("settings", {}).get("bandwidth_rule", "—")
    return _finish(pd.DataFrame(rows), L("report.res.caption_kde"), [L("report.res.note_kde", rule=rule)], fm)


# ------------------------------------------------------------------------------------------ LaTeX / Excel
def latex(obj: Any, path: str | Path | None = None, *, lang: str = "en", caption: str | None = None,
          label: str = "", notes: list[str] | None = None, digits: int = 4, **kw) -> str:
    """Booktabs LaTeX of :func:`summary` (its formats and notes; ``notes`` are added after them; floats without
    a format get ``digits`` decimals); written atomically to ``path`` when given. Returns the LaTeX text."""
    from nqpf.report.tables import to_latex, write_text_atomic

    tab = summary(obj, lang=lang, **kw)
    tex = to_latex(tab, caption=tab.attrs.get("caption", "") if caption is None else caption, label=label, digits=digits,
                   formats=tab.attrs.get("formats", {}), notes=[*tab.attrs.get("notes", []), *(notes or [])],
                   notes_title=t("report.res.notes", lang))
    if path is not None:
        write_text_atomic(path, tex)
    return tex


def excel(obj: Any, path: str | Path, *, lang: str = "en", **kw) -> Path:
    """A workbook of :func:`summary`: the table (number formats from the table's formats, frozen header) and
    its caption and notes above it; written atomically."""
    from nqpf.report import ReportDoc, Section, Table, Text
    from nqpf.report.excel import write_excel

    tab = summary(obj, lang=lang, **kw)
    cap = tab.attrs.get("caption", "")
    sec = Section("summary", cap or "summary", blocks=[Text(n) for n in tab.attrs.get("notes", [])])
    doc = ReportDoc(title=cap or result_kind(obj), lang=lang, sections=[sec])
    doc.sections.append(Section("table", cap, blocks=[Table(tab, caption=cap, sheet=result_kind(obj)[:31],
                                                            formats=tab.attrs.get("formats", {}))]))
    return write_excel(doc, path)


# ---------------------------------------------------------------------------------------------- figures
def plot(obj: Any, kind: str | None = None, *, lang: str = "en", path: str | Path | None = None,
         fmt: str | None = None, **kw):
    """The standard figure ``kind`` of ``obj`` (:data:`PLOTS`; default the first of its kind) via
    :mod:`nqpf.report.figures`: PNG/SVG at ``path`` (format from the suffix), or the bytes of ``fmt`` (SVG by
    default) when ``path`` is None. Keywords by figure: ranking — ``period``, ``uncertainty``, ``top``;
    trend — ``units`` (default: the three first and last); radar — ``unit`` (required), ``period``; map —
    ``period``; density — ``periods``."""
    rk = result_kind(obj)
    if rk == "rank_intervals":
        rk = "uncertainty"
    kinds = PLOTS.get(rk)
    if not kinds:
        raise MethodError(f"no standard figure for a {rk} result; figures exist for {sorted(PLOTS)}")
    kind = kinds[0] if kind is None else kind
    if kind not in kinds:
        raise DataError(f"plot kind {kind!r} does not exist for a {rk} result; choose one of {list(kinds)}")
    L = _L(lang)
    return _PLOTTERS[(rk, kind)](obj, L, lang, path=path, fmt=fmt, **kw)


def _save_args(path, fmt):
    return {"path": path, "fmt": fmt}


def _index_ranking(res, L, lang, *, path=None, fmt=None, period=None, uncertainty=None, top=None,
                   unit_names=None):
    from nqpf.report import figures as F

    tab = _index_summary(res, L, lang, period=period, uncertainty=uncertainty, unit_names=unit_names, top=top)
    name = L("report.col.name") if L("report.col.name") in tab else L("report.col.unit")
    lo, hi, sc = L("report.col.rank_p05"), L("report.col.rank_p95"), L("report.col.score")
    if lo in tab:  # rank intervals on the rank axis (1 at the top)
        return F.rank_intervals(tab, label=name, rank=L("report.col.rank"), lo=lo, hi=hi,
                                title=tab.attrs["caption"], xlabel=L("report.col.rank"), lang=lang,
                                **_save_args(path, fmt))
    return F.bar_ranking(tab, label=name, value=sc, title=tab.attrs["caption"], xlabel=sc, lang=lang,
                         **_save_args(path, fmt))


def _default_units(panel: pd.DataFrame, value: str, k: int = 3) -> list[str]:
    last = panel[panel["period"] == panel["period"].max()].sort_values(value, ascending=False, kind="mergesort")
    u = last["unit"].astype(str).tolist()
    return u[:k] + [x for x in u[-k:] if x not in u[:k]]


def _index_trend(res, L, lang, *, path=None, fmt=None, units=None, unit_names=None):
    from nqpf.report import figures as F

    sc = res.index_scores().assign(unit=lambda d: d["unit"].astype(str))
    units = [str(u) for u in units] if units is not None else _default_units(sc, "score")
    bad = sorted(set(units) - set(sc["unit"]))
    if bad:
        raise DataError(f"unit(s) {bad} are not in the result")
    names = _names(sc["unit"], lang, unit_names)
    d = sc[sc["unit"].isin(units)].assign(series=lambda x: x["unit"].map(lambda u: names.get(u, u)))
    d = d.sort_values(["unit", "period"])
    fw = res.framework
    return F.line_trend(d, x="period", y="score", series="series", title=fw.label(fw.root, lang),
                        ylabel=L("report.col.score"), lang=lang, **_save_args(path, fmt))


def _index_radar(res, L, lang, *, path=None, fmt=None, unit=None, period=None, unit_names=None):
    from nqpf.report import figures as F

    if unit is None:
        raise DataError("a radar figure needs unit=… (the unit to profile against the mean of all units)")
    fw = res.framework
    per = int(res.years.max()) if period is None else int(period)
    st = res.score_table()
    if (str(unit), per) not in st.index:
        raise DataError(f"unit {unit!r} in period {per} is not in the result")
    dims = fw.children(fw.root)
    cur = st.xs(per, level="period")
    names = _names(cur.index, lang, unit_names)
    prof = pd.DataFrame({"axis": [fw.label(d, lang) for d in dims],
                         names.get(str(unit), str(unit)): cur.loc[str(unit), dims].to_numpy(float),
                         L("report.col.national_mean"): cur[dims].mean().to_numpy(float)})
    return F.radar(prof, axis="axis", series=list(prof.columns[1:]), title=L("report.res.radar_title", year=per),
                   lang=lang, **_save_args(path, fmt))


def _index_map(res, L, lang, *, path=None, fmt=None, period=None):
    from nqpf.report import figures as F

    per = int(res.years.max()) if period is None else int(period)
    sc = res.index_scores()
    v = sc[sc["period"] == per].assign(unit=lambda d: d["unit"].astype(str)).set_index("unit")["score"]
    return F.china_map(v, title=L("report.caption.map", year=per), legend=L("report.col.score"), lang=lang,
                       **_save_args(path, fmt))


def _unc_intervals(obj, L, lang, *, path=None, fmt=None, period=None, unit_names=None):
    from nqpf.report import figures as F

    tab = _intervals_summary(obj, L, lang, period=period, unit_names=unit_names)
    name = L("report.col.name") if L("report.col.name") in tab else L("report.col.unit")
    return F.rank_intervals(tab, label=name, rank=L("report.unc.col.nominal"), lo=L("report.col.rank_p05"),
                            hi=L("report.col.rank_p95"), title=tab.attrs["caption"], xlabel=L("report.col.rank"),
                            lang=lang, **_save_args(path, fmt))


def _dea_ranking(df, L, lang, *, path=None, fmt=None, period=None, unit_names=None):
    from nqpf.report import figures as F

    d = df
    if "period" in df:
        per = df["period"].max() if period is None else period
        d = df[df["period"] == per]
    tab = _dea_summary(d, L, lang, unit_names=unit_names)
    name = L("report.col.name") if L("report.col.name") in tab else L("report.col.unit")
    return F.bar_ranking(tab, label=name, value=L("report.col.efficiency"), title=tab.attrs["caption"],
                         xlabel=L("report.col.efficiency"), lang=lang, **_save_args(path, fmt))


def _malm_trend(df, L, lang, *, path=None, fmt=None, units=None, unit_names=None):
    from nqpf.report import figures as F

    d = df.assign(unit=df["unit"].astype(str)).dropna(subset=["cum_tfpch"])
    units = [str(u) for u in units] if units is not None else _default_units(d, "cum_tfpch")
    names = _names(d["unit"], lang, unit_names)
    d = d[d["unit"].isin(units)].assign(series=lambda x: x["unit"].map(lambda u: names.get(u, u)))
    return F.line_trend(d.sort_values(["unit", "period"]), x="period", y="cum_tfpch", series="series",
                        title=L("report.res.caption_cum"), ylabel=L("report.res.cum_tfpch"), lang=lang,
                        **_save_args(path, fmt))


def _malm_ranking(df, L, lang, *, path=None, fmt=None, unit_names=None):
    from nqpf.report import figures as F

    tab = _malmquist_summary(df, L, lang, unit_names=unit_names).iloc[:-1]  # without the all-units row
    name = L("report.col.name") if L("report.col.name") in tab else L("report.col.unit")
    return F.bar_ranking(tab, label=name, value=L("report.res.tfpch"), title=tab.attrs["caption"],
                         xlabel=L("report.res.tfpch"), lang=lang, **_save_args(path, fmt))


def _sfa_ranking(res, L, lang, *, path=None, fmt=None, unit_names=None):
    from nqpf.report import figures as F

    e = res.efficiencies.assign(unit=res.efficiencies["unit"].astype(str)).groupby("unit")["efficiency_bc"].mean()
    names = _names(e.index, lang, unit_names)
    tab = pd.DataFrame({"name": [names.get(u, u) for u in e.index], "eff": e.to_numpy(float)})
    return F.bar_ranking(tab, label="name", value="eff", title=L("report.res.caption_sfa_eff"),
                         xlabel=L("report.col.efficiency"), lang=lang, **_save_args(path, fmt))


def _sigma_trend(df, L, lang, *, path=None, fmt=None):
    from nqpf.report import figures as F

    long = pd.concat([pd.DataFrame({"period": df["period"], "v": df["sigma_log"], "s": "σ (ln)"}),
                      pd.DataFrame({"period": df["period"], "v": df["cv"], "s": "CV"})], ignore_index=True)
    return F.line_trend(long, x="period", y="v", series="s", title=L("report.caption.sigma"), lang=lang,
                        **_save_args(path, fmt))


def _dagum_lines(df, L, lang, comps, title, ylabel, path, fmt):
    from nqpf.report import figures as F

    lab = {"G": L("report.col.gini"), "Gw": L("report.col.gw"), "Gnb": L("report.col.gnb"),
           "Gt": L("report.col.gt"), "share:Gw": L("report.col.share_gw"),
           "share:Gnb": L("report.col.share_gnb"), "share:Gt": L("report.col.share_gt")}
    d = df[df["component"].isin(comps)].assign(series=lambda x: x["component"].map(lab))
    d = d.assign(_o=d["component"].map({c: i for i, c in enumerate(comps)})).sort_values(["_o", "period"])
    return F.line_trend(d, x="period", y="value", series="series", title=title, ylabel=ylabel, lang=lang,
                        **_save_args(path, fmt))


def _dagum_contrib(df, L, lang, *, path=None, fmt=None):
    return _dagum_lines(df, L, lang, ["share:Gw", "share:Gnb", "share:Gt"], L("report.res.caption_dagum_share"),
                        L("report.res.share"), path, fmt)


def _dagum_trend(df, L, lang, *, path=None, fmt=None):
    return _dagum_lines(df, L, lang, ["G", "Gw", "Gnb", "Gt"], L("report.caption.dagum"), L("report.col.gini"),
                        path, fmt)


def _kde_density(df, L, lang, *, path=None, fmt=None, periods=None):
    from nqpf.report import figures as F

    pers = sorted(df["period"].unique())
    if periods is None:  # at most five periods, evenly spread and always the first and the last
        k = min(5, len(pers))
        periods = [pers[int(round(i))] for i in np.linspace(0, len(pers) - 1, k)]
    d = df[df["period"].isin(periods)].assign(series=lambda x: x["period"].astype(str))
    return F.line_trend(d, x="x", y="density", series="series", title=L("report.res.caption_kde"),
                        ylabel=L("report.res.density"), lang=lang, marker=None, **_save_args(path, fmt))


_PLOTTERS = {("index", "ranking"): _index_ranking, ("index", "trend"): _index_trend,
             ("index", "radar"): _index_radar, ("index", "map"): _index_map,
             ("uncertainty", "intervals"): _unc_intervals, ("dea", "ranking"): _dea_ranking,
             ("malmquist", "trend"): _malm_trend, ("malmquist", "ranking"): _malm_ranking,
             ("sfa", "ranking"): _sfa_ranking, ("sigma", "trend"): _sigma_trend,
             ("dagum", "contributions"): _dagum_contrib, ("dagum", "trend"): _dagum_trend,
             ("kde", "density"): _kde_density}
