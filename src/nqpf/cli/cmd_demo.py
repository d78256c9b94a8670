"""``nqpf demo``: the main job — the NQPF index of China's provinces 2012–2023 on the embedded real data.

Steps: index (nqpf-core, pooled min–max, pooled entropy, leaves scope, arithmetic) → ranking printed →
uncertainty and sensitivity → explanation (Dagum by the NBS four regions, Theil, σ/β convergence, Moran,
LISA, Markov, coupling of the digital and real-economy dimensions, obstacles, GM(1,1) forecasts) →
national report and one province's profile (HTML + Excel) — all into ``--out``.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from nqpf.cli._io import FORMAT, folder_format
from nqpf.cli.main import app, console, lang
from nqpf.i18n import t

if TYPE_CHECKING:  # pandas loads inside the commands, so that ``--help`` starts fast
    import pandas as pd


def write_json_atomic(path: Path, obj: object) -> Path:
    """:func:`nqpf._util.write_json_atomic`, imported on first use (``nqpf._util`` loads pandas)."""
    from nqpf._util import write_json_atomic as write

    return write(path, obj)


DATASET = "cn_provinces"
FRAMEWORK = "nqpf-core"


def _name(units: pd.DataFrame, code: str, language: str) -> str:
    row = units.loc[units["unit"] == code]
    if row.empty:
        return code
    return str(row.iloc[0]["name_zh" if language == "zh" else "name_en"])


def _print_ranking(res, units: pd.DataFrame, year: int, language: str, k: int, intervals=None) -> None:
    """Leaders and laggards with dimension scores and, when given, the 5–95 % rank interval of the Monte Carlo."""
    fw = res.framework
    iv = None
    if intervals is not None:
        sel = intervals[intervals["period"] == year].set_index("unit")
        iv = {str(u): (r.rank_p05, r.rank_p95) for u, r in sel.iterrows()}
    dims = fw.children(fw.root)
    wide = res.score_table().xs(year, level="period")
    ranks = res.scores[(res.scores["period"] == year) & (res.scores["node"] == fw.root)].set_index("unit")["rank"]
    order = ranks.sort_values().index.tolist()
    table = Table(title=t("demo.table_title", language, year=year), show_lines=False)
    table.add_column(t("common.rank", language), justify="right")
    table.add_column(t("common.unit", language))
    if iv is not None:
        table.add_column(t("demo.rank_interval", language), justify="right")
    table.add_column(fw.label(fw.root, language), justify="right")
    for d in dims:
        table.add_column(fw.label(d, language), justify="right")

    def add(unit: str) -> None:
        row = wide.loc[unit]
        extra = []
        if iv is not None:
            lo, hi = iv.get(str(unit), (float("nan"), float("nan")))
            extra = [f"{lo:.0f}–{hi:.0f}"]
        table.add_row(str(int(ranks[unit])), _name(units, unit, language), *extra, f"{row[fw.root]:.3f}",
                      *[f"{row[d]:.3f}" for d in dims])

    for u in order[:k]:
        add(u)
    table.add_row("…", "", *([""] if iv is not None else []), "", *["" for _ in dims])
    for u in order[-k:]:
        add(u)
    console.print(table)


def _table(df: pd.DataFrame, path: Path, language: str | None = None) -> Path:
    """One table, its format by ``path``'s extension (:func:`nqpf.data.tables.write_table`); a .dta gets the
    catalogue's column labels (index.col.*, report.col.*) in ``language`` as variable labels."""
    from nqpf.cli.cmd_productivity import stata_labels
    from nqpf.data.tables import write_table

    labels = stata_labels(df, path, ("index.col.", "report.col."), language) if language else None
    return write_table(df, path, option="--format", labels=labels)


def index_tables(res, out: Path, ext: str = ".csv", language: str = "en") -> dict[str, Path]:
    """``scores``, ``weights`` and ``diagnostics`` of the index as ``<name><ext>`` in ``out``."""
    return {
        "scores": _table(res.scores[["unit", "period", "node", "score", "rank"]], out / f"scores{ext}", language),
        "weights": _table(
            res.weights[["node", "parent", "weight", "effective_weight"]], out / f"weights{ext}", language
        ),
        "diagnostics": _table(res.diagnostics.flags, out / f"diagnostics{ext}"),
    }


def run_demo(
    out: Path, language: str, samples: int, unit: str, seed: int, quiet: bool = False, ext: str = ".csv"
) -> dict[str, Path]:
    """Run the main job and return the paths written; ``ext`` is the format of the tables (.csv … .tex)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from nqpf import datasets
    from nqpf.index import build_index
    from nqpf.report.build import build_report
    from nqpf.uncertainty import run_uncertainty

    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    ds = datasets.load(DATASET)
    steps = ["index", "uncertainty", "explain", "report_national", "report_region"]
    t0 = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console,
                  disable=quiet, transient=True) as prog:
        task = prog.add_task(t("demo.step.index", language), total=len(steps))

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = build_index(ds, FRAMEWORK)  # the framework's span and declared method
        year = int(res.scores["period"].max())
        written.update(index_tables(res, out, ext, language))
        written["manifest"] = write_json_atomic(out / "manifest.json", res.manifest)
        res.to_excel(out / "index.xlsx", lang=language)
        written["workbook"] = out / "index.xlsx"
        prog.update(task, advance=1, description=t("demo.step.uncertainty", language))

        with warnings.catch_warnings(record=True) as notes:
            warnings.simplefilter("always")
            unc = run_uncertainty(ds, FRAMEWORK, samples=samples, seed=seed)
        for n in dict.fromkeys(str(w.message) for w in notes):
            console.print(f"[dim]note: {n}[/dim]", highlight=False)
        if ext == ".csv":
            unc.write(out / "uncertainty", force=True)
        else:  # the tables of UncertaintyResult.write in the format of --format (as nqpf uncertainty does)
            from nqpf.cli.cmd_uncertainty import _write_tables

            _write_tables(unc, out / "uncertainty", ext, raw_text=False)
        written["rank_intervals"] = out / "uncertainty" / f"rank_intervals{ext}"
        written["sensitivity"] = out / "uncertainty" / f"sensitivity{ext}"
        prog.update(task, advance=1, description=t("demo.step.explain", language))

        written.update(_explain(res, ds, out / "analysis", ext))
        prog.update(task, advance=1, description=t("demo.step.report", language))

        nat = out / f"report_national_{language}.html"
        build_report(dataset=DATASET, framework=FRAMEWORK, year=year, lang=language, fmt="html", out=nat,
                     uncertainty=unc)
        build_report(dataset=DATASET, framework=FRAMEWORK, year=year, lang=language, fmt="xlsx",
                     out=out / f"report_national_{language}.xlsx", uncertainty=unc)
        written["report_national"] = nat
        prog.update(task, advance=1)

        reg = out / f"report_{unit}_{language}.html"
        build_report(dataset=DATASET, framework=FRAMEWORK, year=year, unit=unit, lang=language, fmt="html",
                     out=reg, uncertainty=unc)
        written["report_region"] = reg
        prog.update(task, advance=1)

    if not quiet:
        _print_ranking(res, ds.units, year, language, k=5, intervals=unc.rank_intervals)
        console.print(t("demo.elapsed", language, seconds=f"{time.perf_counter() - t0:.1f}"))
        for key in ("scores", "weights", "manifest", "rank_intervals", "report_national", "report_region"):
            console.print(f"  {key}: {written[key]}")
    return written


def _explain(res, ds, folder: Path, ext: str = ".csv") -> dict[str, Path]:
    """Every explanation method on the real index; one table each (``<name><ext>``)."""
    from nqpf import analysis

    folder.mkdir(parents=True, exist_ok=True)
    idx = res.index_scores().merge(ds.units[["unit", "region4"]], on="unit", how="left")
    paths: dict[str, Path] = {}

    def save(name: str, df: pd.DataFrame) -> None:
        paths[f"analysis_{name}"] = _table(df, folder / f"{name}{ext}")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        save("dagum_region4", analysis.dagum(idx, "score", "region4", period="period"))
        save("theil_region4", analysis.theil(idx, "score", "region4", period="period"))
        save("sigma", analysis.sigma(idx, "score"))
        save("beta_absolute", analysis.beta_panel(idx, "score", kind="absolute"))
        w = analysis.contiguity_weights(sorted(idx["unit"].unique()))
        save("moran", analysis.moran(idx, "score", w))
        save("lisa", analysis.lisa(idx, "score", w))
        save("markov", analysis.markov(idx, "score"))
        save("coupling_digital_real", analysis.coupling_from_index(res))
        obs = analysis.obstacle_degree(res.normalized, res.weights)
        save("obstacles_top3", analysis.top_obstacles(obs, k=3))
        save("forecast", analysis.forecast_panel(idx, "score", steps=3))
    return paths


@app.command("demo")
def demo(
    out: Path = typer.Option(Path("out/demo"), "--out", help="Folder for the demo's outputs."),
    samples: int = typer.Option(4096, help="Base sample size n of the uncertainty analysis (n·(k+2) index runs; "
                                "n ≥ 4096 keeps the first-order indices stable)."),
    unit: str = typer.Option("340000", help="Province whose profile report is written (name or code: 安徽, Anhui, 340000)."),
    seed: int = typer.Option(20241, help="Random seed (uncertainty analysis)."),
    fmt: str = FORMAT,
) -> None:
    """Run the main job on the embedded real data: index, uncertainty, explanations, reports."""
    from nqpf.data.units import MAINLAND_CODES, resolve_unit

    ext = folder_format(fmt)  # before any work: a wrong --format fails at once
    code = resolve_unit(unit, MAINLAND_CODES, lang=lang())  # 安徽 / Anhui / 340000
    run_demo(out, lang(), samples, code, seed, ext=ext)
