"""``nqpf uncertainty``: Monte Carlo uncertainty and Sobol' sensitivity of the index ranking."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import typer

from nqpf.cli._io import FORMAT, RAW_TEXT, folder_format, refuse_overwriting_inputs
from nqpf.cli._options import LIMITS, grouped
from nqpf.cli.main import app, console, lang
from nqpf.errors import MethodError
from nqpf.i18n import t


def _list(spec: str | None) -> list[str] | None:
    if spec is None:
        return None
    return [s.strip() for s in spec.split(",") if s.strip()]


def _write_tables(res, out: Path, ext: str, raw_text: bool) -> None:
    """The tables of :meth:`UncertaintyResult.write` in another format (``--format``), then the manifest."""
    from nqpf._util import write_json_atomic
    from nqpf.data.tables import write_table
    from nqpf.uncertainty.montecarlo import RANK_COLUMNS, SENS_COLUMNS

    tables = {"rank_intervals": res.rank_intervals[RANK_COLUMNS], "sensitivity": res.sensitivity[SENS_COLUMNS],
              "rank_probabilities": res.rank_probabilities, "leave_one_out": res.leave_one_out,
              "unit_sensitivity": res.unit_sensitivity}  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        if df is not None:
            write_table(df, out / f"{name}{ext}", raw_text=raw_text, manifest=res.manifest)
    write_json_atomic(out / "manifest.json", res.manifest)


@app.command("uncertainty")
@grouped
def uncertainty_cmd(
    data: str = typer.Option(..., "--data", help="Data file (long or wide) or a dataset name such as cn_provinces."),
    framework: str = typer.Option(..., "--framework", help="Built-in framework name or a YAML path."),
    samples: int = typer.Option(256, "--samples", help="Base sample size n of the Saltelli design (the index is "
                                "computed n(k+2) times for k varied factors; minimum 16)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed → identical files)."),
    vary: str = typer.Option("impute,treat,normalize,weights,perturb,aggregate,exclude", "--vary",
                             help="Factors to vary: impute,treat,normalize,weights,perturb,aggregate,exclude"),
    backend: str = typer.Option("auto", "--backend", help="auto | sequential | processes | dask"),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 "
                                  "(implies --backend dask; without it dask starts a LocalCluster)"),
    workers: int = typer.Option(None, "--workers", help="Worker processes (default: number of cores)"),
    out: Path = typer.Option(..., "--out", help="Output folder: rank_intervals.csv, sensitivity.csv, manifest.json …"),
    impute: str = typer.Option(None, help="Nominal imputation (as in nqpf index; default: the framework's method)"),
    treat: str = typer.Option(None, help="Nominal outlier treatment (default: the framework's method, else none)"),
    normalize: str = typer.Option(None, help="Nominal normalisation (default: the framework's, else minmax-global)"),
    weights: str = typer.Option(None, help="Nominal weighting (default: the framework's method, else entropy)"),
    aggregate: str = typer.Option(None, help="Nominal aggregation (default: the framework's, else arithmetic)"),
    periods: str = typer.Option(None, help="Years, e.g. 2012-2022"),
    impute_options: str = typer.Option(None, "--impute-options", help="Alternatives, e.g. linear-carry,group-mean"),
    treat_options: str = typer.Option(None, "--treat-options", help="Alternatives, e.g. none,winsorize,skewkurt"),
    normalize_options: str = typer.Option(None, "--normalize-options", help="Alternatives, e.g. minmax-global,rank"),
    weights_options: str = typer.Option(None, "--weights-options", help="Alternatives, e.g. entropy,critic,equal"),
    aggregate_options: str = typer.Option(None, "--aggregate-options", help="Alternatives, e.g. arithmetic,geometric"),
    perturb: str = typer.Option("uniform", "--perturb", help="Weight perturbation: uniform (±amount) | dirichlet"),
    perturb_amount: float = typer.Option(0.25, "--perturb-amount", help="± fraction for uniform perturbation"),
    concentration: float = typer.Option(50.0, "--concentration", help="Dirichlet concentration c (w' ~ Dir(c·w))"),
    exclude: str = typer.Option("indicator", "--exclude", help="What 'exclude' drops: indicator | dimension | both"),
    top_k: int = typer.Option(5, "--top-k", help="k for the top-k / bottom-k probabilities"),
    bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for the confidence intervals"),
    units: str = typer.Option(None, "--units", help="Reading a file: auto (default) | province | none"),
    fmt: str = FORMAT,
    raw_text: bool = RAW_TEXT,
    limits: Any = LIMITS,
) -> None:
    """Rank intervals and sensitivity indices of the index over the pipeline's choices."""
    from nqpf.data.parse import check_period_range
    from nqpf.framework import load_framework
    from nqpf.uncertainty.montecarlo import OUTPUT_FILES

    check_period_range(periods, option="--periods")
    ext = folder_format(fmt)
    written = [out / (f if f.endswith(".json") else f.removesuffix(".csv") + ext) for f in OUTPUT_FILES]
    refuse_overwriting_inputs(out, {"--data": data, "--framework": framework}, written=written)
    if scheduler is not None:  # fail fast on a wrong address, before reading data
        from nqpf.uncertainty.backends import check_scheduler

        check_scheduler(scheduler)
    fw = load_framework(framework)
    src = data
    if Path(data).exists():
        from nqpf.cli.cmd_index import read_table

        src = read_table(Path(data), units or "auto", limits=limits)  # the one unit rule of every command
    options = {k: _list(v) for k, v in (("impute", impute_options), ("treat", treat_options),
                                          ("normalize", normalize_options), ("weights", weights_options),
                                          ("aggregate", aggregate_options)) if v is not None}
    vary_list = _list(vary) or []
    if not vary_list:
        raise MethodError("--vary is empty; name at least one of impute,treat,normalize,weights,perturb,aggregate,exclude")
    res = _run(src, fw, samples=samples, seed=seed, vary=vary_list, options=options, impute=impute, treat=treat,
               normalize=normalize, weights=weights, aggregate=aggregate, periods=periods, perturb=perturb,
               perturb_amount=perturb_amount, dirichlet_concentration=concentration, exclude=exclude, top_k=top_k,
               n_boot=bootstrap, backend=backend, workers=workers, scheduler=scheduler)  # fmt: skip
    res.manifest["data"] = str(data)
    if ext == ".csv":
        res.write(out, raw_text=raw_text, force=True)  # the command rewrites its own output folder
    else:
        _write_tables(res, out, ext, raw_text)
    _print_uncertainty(res, out)


def _run(src, fw, **kw: Any):
    """:func:`nqpf.uncertainty.montecarlo.run_uncertainty` with a progress bar; its notes are kept in the
    manifest (printed afterwards), not shown as warnings."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from nqpf.uncertainty.montecarlo import run_uncertainty

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        task = bar.add_task(t("uncertainty.cli.progress", lang()), total=None)

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return run_uncertainty(src, fw, progress=on_progress, **kw)


def _print_uncertainty(res, out: Path) -> None:
    """The notes, the first- and total-order Sobol' indices with their intervals, and what was written."""
    from rich.table import Table

    for note in res.manifest["notes"]:
        console.print(f"[yellow]{t('uncertainty.cli.note', lang())}:[/yellow] {note}", markup=True, highlight=False)
    table = Table(title=t("uncertainty.cli.sensitivity_title", lang()))
    table.add_column(t("uncertainty.factor", lang()))
    table.add_column(t("uncertainty.first_order", lang()), justify="right")
    table.add_column(t("uncertainty.total_order", lang()), justify="right")
    for r in res.sensitivity.itertuples():
        table.add_row(str(r.factor), f"{r.first_order:.3f} [{r.first_order_ci_low:.3f}, {r.first_order_ci_high:.3f}]",
                      f"{r.total_order:.3f} [{r.total_order_ci_low:.3f}, {r.total_order_ci_high:.3f}]")
    console.print(table)
    d = res.manifest["design"]
    console.print(t("uncertainty.cli.done", lang(), runs=d["runs"], factors=len(d["factors"]), out=str(out)))
