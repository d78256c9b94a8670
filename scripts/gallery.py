"""Regenerate docs/gallery.md and docs/gallery/*.png: every standard figure of nqpf's result objects, drawn
from the data shipped with the package (cn_provinces), through the same ``plot()`` methods users call.

    .venv/bin/python scripts/gallery.py            # writes docs/gallery.md and docs/gallery/
    .venv/bin/python scripts/gallery.py --check    # fails when a figure kind of PLOTS has no gallery entry

Images are downscaled to at most 900 px wide and stored as palette PNGs (small in the repository). Every
computation is deterministic (the uncertainty run is seeded).
"""

from __future__ import annotations

import argparse
import io
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "gallery"
PAGE = ROOT / "docs" / "gallery.md"
MAX_WIDTH = 900
YEAR = 2023


def _small_png(raw: bytes, path: Path) -> None:
    """Downscale to MAX_WIDTH and save as an optimised 256-colour PNG (atomically)."""
    from PIL import Image

    from nqpf._util import atomic_path

    im = Image.open(io.BytesIO(raw)).convert("RGB")
    if im.width > MAX_WIDTH:
        im = im.resize((MAX_WIDTH, round(im.height * MAX_WIDTH / im.width)), Image.LANCZOS)
    im = im.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    with atomic_path(path) as tmp:
        im.save(tmp, format="PNG", optimize=True)


def entries() -> list[dict]:
    """(kind, figure, title, code, bytes) of every gallery figure."""
    import nqpf.datasets as D
    from nqpf.analysis import dagum, kde_over_time, sigma
    from nqpf.index import build_index
    from nqpf.productivity import dea
    from nqpf.productivity.recipes import PROVINCIAL_GREEN_TFP
    from nqpf.productivity.sfa import sfa
    from nqpf.report.figures import cjk_font
    from nqpf.uncertainty.montecarlo import FACTORS, run_uncertainty

    ds = D.load("cn_provinces")
    res = build_index(ds, "nqpf-core")
    unc = run_uncertainty(ds.data, "nqpf-core", samples=16, seed=1, unit_sensitivity=False, backend="sequential",
                          vary=[f for f in FACTORS if f != "impute"])
    sc = res.index_scores()
    groups = dict(zip(ds.units["unit"].astype(str), ds.units["group"].astype(str), strict=True))
    dg = dagum(sc.assign(group=sc["unit"].astype(str).map(groups)), "score", "group", period="period", unit="unit")
    kd = kde_over_time(sc, "score")
    sg = sigma(sc, "score")
    need = ["capital_stock", "employment", "energy_consumption", "gdp_nominal"]
    d = ds.data[(ds.data["period"] == 2019) & ds.data["indicator"].isin(need)]
    w = d.pivot(index="unit", columns="indicator", values="value").dropna().reset_index()
    eff = dea(w, need[:3], [need[3]], id="unit", model="ccr", orientation="input")
    gml = PROVINCIAL_GREEN_TFP.compute()
    sfa_in = ["capital_stock", "employment"]
    p = ds.data[ds.data["indicator"].isin([*sfa_in, "gdp_real_rpi_2011prices"]) & ds.data["period"].between(2011, 2019)]
    pw = p.pivot_table(index=["unit", "period"], columns="indicator", values="value").dropna().reset_index()
    sf = sfa(pw, output="gdp_real_rpi_2011prices", inputs=sfa_in, unit="unit", period="period")

    E = [
        ("index", "ranking", "Index ranking with 5–95 % rank intervals",
         f"res.plot('ranking', period={YEAR}, uncertainty=unc)",
         lambda: res.plot("ranking", period=YEAR, uncertainty=unc, fmt="png")),
        ("index", "ranking", "Index ranking (scores)", f"res.plot('ranking', period={YEAR})",
         lambda: res.plot("ranking", period=YEAR, fmt="png")),
        ("index", "trend", "Index trends of the three first and last provinces", "res.plot('trend')",
         lambda: res.plot("trend", fmt="png")),
        ("index", "radar", "Dimension profile of Anhui against the mean of all provinces",
         f"res.plot('radar', unit='340000', period={YEAR})",
         lambda: res.plot("radar", unit="340000", period=YEAR, fmt="png")),
        ("index", "map", "China map of the index (with the South China Sea Islands inset)",
         f"res.plot('map', period={YEAR})", lambda: res.plot("map", period=YEAR, fmt="png")),
        ("uncertainty", "intervals", "Rank intervals of the uncertainty analysis (16 base samples, seed 1)",
         f"unc.plot(period={YEAR})", lambda: unc.plot(period=YEAR, fmt="png")),
        ("dea", "ranking", "DEA efficiency, 2019 (CCR, input-oriented)", "eff.nqpf.plot()",
         lambda: eff.nqpf.plot(fmt="png")),
        ("malmquist", "trend", "Cumulative green TFP (global Malmquist–Luenberger), first and last three",
         "gml.nqpf.plot('trend')", lambda: gml.nqpf.plot("trend", fmt="png")),
        ("malmquist", "ranking", "Mean annual green TFP change (geometric means)", "gml.nqpf.plot('ranking')",
         lambda: gml.nqpf.plot("ranking", fmt="png")),
        ("sfa", "ranking", "SFA mean technical efficiency, 2011–2019 (Cobb–Douglas, half-normal)", "sf.plot()",
         lambda: sf.plot(fmt="png")),
        ("sigma", "trend", "σ-convergence of the index", "sigma(sc, 'score').nqpf.plot()",
         lambda: sg.nqpf.plot(fmt="png")),
        ("dagum", "contributions", "Dagum decomposition: contributions to the Gini (groups of units.group)",
         "dg.nqpf.plot('contributions')", lambda: dg.nqpf.plot("contributions", fmt="png")),
        ("dagum", "trend", "Dagum decomposition: Gini and its components", "dg.nqpf.plot('trend')",
         lambda: dg.nqpf.plot("trend", fmt="png")),
        ("kde", "density", "Kernel densities of the index over time", "kde_over_time(sc, 'score').nqpf.plot()",
         lambda: kd.nqpf.plot(fmt="png")),
    ]
    if cjk_font() is not None:  # the Chinese map and ranking need a CJK font (fonts-noto-cjk)
        E += [("index", "map", "中文地图（含南海诸岛）", f"res.plot('map', period={YEAR}, lang='zh')",
               lambda: res.plot("map", period=YEAR, lang="zh", fmt="png")),
              ("index", "radar", "中文维度画像（安徽）", "res.plot('radar', unit='340000', lang='zh')",
               lambda: res.plot("radar", unit="340000", lang="zh", fmt="png"))]
    return [{"kind": k, "figure": f, "title": t, "code": c, "draw": fn} for k, f, t, c, fn in E]


SETUP = """```python
import nqpf.datasets as D
from nqpf.index import build_index
from nqpf.analysis import dagum, kde_over_time, sigma
from nqpf.productivity import dea
from nqpf.productivity.recipes import PROVINCIAL_GREEN_TFP
from nqpf.productivity.sfa import sfa
from nqpf.uncertainty.montecarlo import run_uncertainty

ds = D.load("cn_provinces")
res = build_index(ds, "nqpf-core")
unc = run_uncertainty(ds.data, "nqpf-core", samples=16, seed=1, unit_sensitivity=False,
                      vary=["treat", "normalize", "weights", "perturb", "aggregate", "exclude"])
sc = res.index_scores()
dg = dagum(sc.assign(group=...units.group...), "score", "group", period="period", unit="unit")
eff = dea(<2019 cross-section>, ["capital_stock", "employment", "energy_consumption"], ["gdp_nominal"], id="unit")
gml = PROVINCIAL_GREEN_TFP.compute()
sf = sfa(<2011–2019 panel>, output="gdp_real_rpi_2011prices", inputs=["capital_stock", "employment"],
         unit="unit", period="period")
```
(exact code: `scripts/gallery.py`)"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check that every figure kind has an entry")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    from nqpf.report.results import PLOTS

    es = entries()
    have = {(e["kind"], e["figure"]) for e in es}
    missing = [(k, f) for k, fs in PLOTS.items() for f in fs if (k, f) not in have]
    if missing:
        print(f"gallery lacks figure kinds: {missing}", file=sys.stderr)
        return 1
    if args.check:
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    lines = ["# Gallery", "",
             "Every standard figure of nqpf's result objects, drawn from the shipped `cn_provinces` data by the",
             "same `plot()` methods you call (see the README, *Result objects*). Regenerate with",
             "`.venv/bin/python scripts/gallery.py`; images are downscaled palette PNGs.", "", SETUP, ""]
    for i, e in enumerate(es, 1):
        name = f"{i:02d}_{e['kind']}_{e['figure']}.png"
        _small_png(e["draw"](), OUT / name)
        lines += [f"## {i}. {e['title']}", "", f"`{e['code']}` — kind `{e['kind']}`, figure `{e['figure']}`", "",
                  f"![{e['title']}](gallery/{name})", ""]
    keep = {f"{i:02d}_{e['kind']}_{e['figure']}.png" for i, e in enumerate(es, 1)}
    for old in OUT.glob("*.png"):
        if old.name not in keep:
            old.unlink()
    from nqpf._util import write_text_atomic

    write_text_atomic(PAGE, "\n".join(lines))
    print(f"wrote {PAGE} and {len(es)} figures in {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
