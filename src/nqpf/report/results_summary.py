"""Paper-ready summary tables of every result kind (:func:`summary`; :mod:`nqpf.report.results` is the
public entry point). One builder per kind; each returns the table with ``attrs`` caption, notes and formats."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nqpf._protocol import result_kind
from nqpf.errors import DataError
from nqpf.i18n import t
from nqpf.index.result import DISPLAY_DIGITS, display_rank, province_names


def _L(lang: str):
    if lang not in ("zh", "en"):
        raise DataError(f"lang must be 'zh' or 'en', got {lang!r}")
    return lambda k, **kw: t(k, lang, **kw)


def _names(units, lang: str, unit_names: dict | None) -> dict[str, str]:
    """unit → name (GB/T 2260 province names when every unit is a province code; else none)."""
    if unit_names is not None:
        return {str(k): str(v) for k, v in unit_names.items()}
    return province_names(units, lang)


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
            rows.append((str(x.term), f"{x.estimate:.4f}{_stars(x.p_value)}", f"({x.std_error:.4f})"))
        n = int(r["n_obs"])
    else:
        rows.append(("β", f"{r['beta']:.4f}{_stars(r['p_value'])}", f"({r['std_error']:.4f})"))
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
