"""Analysis sections of the reports: the Dagum decomposition by group, σ- and β-convergence, the typology of
all units, and total factor productivity (the dataset's measures and the provincial green TFP recipe)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf.errors import NQPFError
from nqpf.i18n import t
from nqpf.index.result import DISPLAY_DIGITS, display_rank
from nqpf.report import Chart, Facts, Missing, Section, Table, Text
from nqpf.report.charts import _line_option
from nqpf.report.common import _CJK, _LATIN_PAREN, _group_labels, _ind_label, _join


def _dagum_section(res, inp, year, lang) -> Section:
    """Dagum Gini decomposition by group over time, G = Gw + Gnb + Gt (Dagum 1997), and the groups' parts in ``year``."""
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
    """σ-convergence (dispersion of log scores over time, its trend) and cross-sectional β-convergence with its half-
    life."""
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
        ("β", L("report.fmt.beta", beta=f"{b['beta']:+.4f}", se=f"{b['std_error']:.4f}", p=f"{b['p_value']:.3f}",
                n=int(b["n"]), start=int(b["start"]), end=int(b["end"]))),
        (L("report.col.half_life"), "—" if not np.isfinite(b["half_life"]) else f"{b['half_life']:.1f}"),
    ], title=L("report.caption.beta")))
    s.blocks.append(Text(L("report.note.convergence"), "note"))
    return s


def _typology_section(title_key: str, lang: str) -> Section:
    """The empty typology section, its rules' sources cited by title and section in the reader's language."""
    from nqpf.guide.sources import cite

    return Section("typology", t(title_key, lang),
                   intro=t("report.intro.typology_plain", lang, cite=_join([cite("seed 002 §5.1", lang),
                                                                            cite("seed 002 §4.3", lang)], lang)))


def _typology_overview(inp, year, lang, names: dict[str, str]) -> Section:
    """The digital–real and data-economy types of every unit in ``year`` (:func:`nqpf.guide.typology.classify_all`)."""
    L = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    from nqpf.guide.typology import check_typology_data, classify_all, load_typology

    s = _typology_section("report.section.typology_all", lang)
    typ = load_typology()
    miss = check_typology_data(inp.data, typ)
    if len(miss) == len(typ.indicators()):
        s.blocks.append(Missing(L("report.section.typology_all"), miss))
        return s
    if miss:
        s.blocks.append(Text(L("report.note.typology_missing", items=", ".join(miss)), "warning"))
    ca = classify_all(inp.data, year, typ)
    out = pd.DataFrame({
        L("report.col.unit"): ca["unit"], L("report.col.name"): ca["unit"].map(lambda u: names.get(u, u)),
        L("report.col.type_dr"): ca["digital_real"].map(lambda x: typ.type_label(x, lang)),
        L("report.col.type_de"): ca["data_economy"].map(
            lambda x: _join([typ.type_label(v, lang) for v in x.split(",") if v], lang)),
        typ.scores["digital_industrialisation"]["label"][lang]: ca["digital_industrialisation"],
        typ.scores["industrial_digitalisation"]["label"][lang]: ca["industrial_digitalisation"],
    })
    s.blocks.append(Table(out, caption=L("report.caption.typology", year=year), sheet="typology"))
    return s


def _tfp_section(inp, year, lang, names, unit: str | None = None) -> Section:
    """The dataset's TFP measures ranked in ``year`` and the provincial green TFP recipe
    (:mod:`nqpf.productivity.recipes`), or what they need."""
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
