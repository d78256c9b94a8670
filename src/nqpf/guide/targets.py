"""Distance to the numeric targets the sources state (``targets.yaml``) and to a framework's ``target`` fields.

For a target T in year Y and a current value x in year t (the latest observation of the series in the data
when it has one, else the baseline the source gives): distance d = T − x, years left n = Y − t, required annual
pace (linear) d / n per year, and (compound) (T / x)^(1/n) − 1. A target already met has d ≤ 0 and pace 0. A
national target is shown at national level only; a provincial one only for its province.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from nqpf.errors import FrameworkError
from nqpf.guide.sources import cite, parse

COLUMNS = ["id", "label", "level", "unit_of_measure", "current", "current_year", "current_source", "target",
           "target_year", "distance", "years_left", "pace_linear", "pace_compound", "met", "citation"]


@lru_cache(maxsize=1)
def source_targets() -> list[dict]:
    """The targets of ``targets.yaml``, validated (citations well formed, years and values numeric)."""
    raw = yaml.safe_load(resources.files("nqpf.guide").joinpath("targets.yaml").read_text(encoding="utf-8")) or {}
    out = list(raw.get("targets") or [])
    for t in out:
        for part in ("baseline", "target"):
            p = t.get(part) or {}
            if not isinstance(p.get("value"), int | float) or not isinstance(p.get("year"), int):
                raise FrameworkError(f"targets.yaml: target {t.get('id')!r} needs {part}.value and {part}.year")
            parse(p["citation"])
    return out


def _cite_or_text(c, lang: str) -> str:
    try:
        return cite(str(c), lang)
    except ValueError:
        return str(c or "")


def pace(current: float, current_year: int, target: float, target_year: int) -> dict:
    """Distance, years left and required annual pace (linear and compound) from ``current`` to ``target``."""
    d = float(target) - float(current)
    n = int(target_year) - int(current_year)
    met = d <= 0
    if n <= 0:
        lin = comp = np.nan if not met else 0.0
    else:
        lin = 0.0 if met else d / n
        comp = 0.0 if met else ((float(target) / float(current)) ** (1.0 / n) - 1.0 if current > 0 else np.nan)
    return {"distance": d, "years_left": n, "pace_linear": lin, "pace_compound": comp, "met": bool(met)}


def target_distances(*, unit: str | None = None, data: pd.DataFrame | None = None, lang: str = "en",
                     framework=None, year: int | None = None) -> pd.DataFrame:
    """Targets that concern ``unit`` (national ones always; provincial ones for their province), with the
    distance and the required annual pace; plus the framework's leaf ``target`` fields (with an optional
    ``target_year``) measured on ``data`` for ``unit`` in ``year``."""
    rows = []
    have = None
    if data is not None:
        have = data.assign(unit=data["unit"].astype(str), period=data["period"].astype(int))
    for t in source_targets():
        lvl = str(t["level"])
        if lvl != "national" and lvl != str(unit):
            continue
        cur, cy, src = float(t["baseline"]["value"]), int(t["baseline"]["year"]), cite(t["baseline"]["citation"], lang)
        ind = t.get("indicator")
        if have is not None and ind and lvl != "national":
            s = have[(have["indicator"] == ind) & (have["unit"] == lvl)].dropna(subset=["value"])
            if len(s):
                last = s.sort_values("period").iloc[-1]
                cur, cy, src = float(last["value"]), int(last["period"]), "data"
        p = pace(cur, cy, t["target"]["value"], t["target"]["year"])
        rows.append({"id": t["id"], "label": t["label"][lang], "level": lvl, "unit_of_measure": t.get("unit", ""),
                     "current": cur, "current_year": cy, "current_source": src, "target": float(t["target"]["value"]),
                     "target_year": int(t["target"]["year"]), **p, "citation": cite(t["target"]["citation"], lang)})
    if framework is not None and have is not None and unit is not None and year is not None:
        for leaf in framework.leaves:
            node = framework.node(leaf)
            tv = node.get("target")
            if tv is None or (isinstance(tv, float) and np.isnan(tv)):
                continue
            ser = node.get("series") if isinstance(node.get("series"), str) and node.get("series") else leaf
            s = have[(have["indicator"] == ser) & (have["unit"] == str(unit)) & (have["period"] == int(year))]["value"]
            if not len(s) or not np.isfinite(s.iloc[0]):
                continue
            ty = node.get("target_year")
            p = pace(float(s.iloc[0]), int(year), float(tv), int(ty)) if ty else {
                "distance": float(tv) - float(s.iloc[0]), "years_left": np.nan, "pace_linear": np.nan,
                "pace_compound": np.nan, "met": float(tv) <= float(s.iloc[0])}
            rows.append({"id": leaf, "label": framework.label(leaf, lang), "level": str(unit),
                         "unit_of_measure": node.get("unit") or "", "current": float(s.iloc[0]), "current_year": int(year),
                         "current_source": "data", "target": float(tv), "target_year": int(ty) if ty else np.nan,
                         **p, "citation": _cite_or_text(node.get("theory"), lang)})
    return pd.DataFrame(rows, columns=COLUMNS)
