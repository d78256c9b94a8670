"""The executive summaries: the national report's key findings (leaders, laggards, risers, disparity, the
binding obstacle) and the regional report's (rank, dimensions, change, obstacle, top path), each one sentence
computed from the index result (issue 13 item 2)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from nqpf.errors import NQPFError
from nqpf.i18n import t
from nqpf.index.result import display_rank
from nqpf.report import Section, Text
from nqpf.report.common import _dims, _group_labels, _interval_of, _join, _names, _rk, _root_panel


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
    names = names if names is not None else _names(inp, lang, res)
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
    """The national executive summary: one finding per block (:func:`national_findings`)."""
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
    """The regional executive summary: one finding per block (:func:`regional_findings`)."""
    s = Section("summary", t("report.section.summary", lang), intro=t("report.intro.summary_regional", lang))
    for f in regional_findings(res, unit, name, year, lang, unc, label, prof=prof, guide=guide):
        s.blocks.append(Text(f, "finding"))
    return s
