"""The rank intervals a report shows: the default Monte Carlo (sample size, seed, what it varies), what the
manifest records of it, and the nominal ranks that fall outside their 5–95 % interval."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nqpf.errors import DataError
from nqpf.i18n import t
from nqpf.report import Table, Text
from nqpf.report.common import _join, _rk

# Monte Carlo base samples of the rank intervals a report shows by default (Saltelli design: the index is rebuilt
# n(k + 2) times; 64 keeps a national or regional report of cn_provinces well under 10 s) and their seed
DEFAULT_UNCERTAINTY_SAMPLES = 64
DEFAULT_SEED = 0


def _samples(samples: int | None, lang: str = "en") -> int:
    """The Monte Carlo base sample size: ``None`` → the default; 0 = none; otherwise at least the estimators'
    minimum (``MIN_BASE_SAMPLES``), else :class:`DataError` naming ``--uncertainty``."""
    if samples is None:
        return DEFAULT_UNCERTAINTY_SAMPLES
    from nqpf.uncertainty import MIN_BASE_SAMPLES

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
        from nqpf.uncertainty import FACTORS, run_uncertainty

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
    """The warning, explanation and table of the nominal ranks outside their interval, or []."""
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
