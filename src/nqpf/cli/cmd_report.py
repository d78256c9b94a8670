"""``nqpf report``: the national report or one region's profile and action guide (HTML or Excel)."""

from __future__ import annotations

from pathlib import Path

import typer

from nqpf.cli._io import refuse_overwriting_inputs
from nqpf.cli.main import app, console, lang
from nqpf.errors import DataError
from nqpf.i18n import t


@app.command("report")
def report_cmd(
    dataset: str = typer.Option(None, "--dataset", help="Built-in dataset name (e.g. cn_provinces)."),
    data: Path = typer.Option(None, "--data", help="Your data file (long or wide CSV/XLSX/Parquet)."),
    framework: str = typer.Option(..., "--framework", help="Built-in framework name or a framework YAML path."),
    unit: str = typer.Option(None, "--unit", help="Region code for a regional report; omit for the national report."),
    year: int = typer.Option(..., "--year", help="Report year."),
    fmt: str = typer.Option("html", "--format", help="html (self-contained, offline) or xlsx."),
    out: Path = typer.Option(..., "--out", help="Output file."),
    impute: str = typer.Option(None, "--impute", help="Gap filling for the index (as in nqpf index; default: the "
                               "framework's method, else linear-carry)."),
    periods: str = typer.Option(None, "--periods", help="Index periods, e.g. 2016-2022 (default: all)."),
    uncertainty: int = typer.Option(0, "--uncertainty", help="Monte Carlo base samples for rank intervals (0 = none)."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the uncertainty analysis."),
    geometry: Path = typer.Option(None, "--geometry", help="GeoJSON of the regions (properties.id = code)."),
    static: bool = typer.Option(False, "--static", help="Static SVG figures instead of interactive charts."),
) -> None:
    """Write a report: national (ranking with uncertainty, map, Dagum, convergence, TFP) or regional
    (profile, typology, action guide)."""
    from nqpf.data.parse import check_period_range
    from nqpf.report.build import build_report

    if (dataset is None) == (data is None):
        raise DataError(t("report.cli.one_source", lang()))
    check_period_range(periods, option="--periods")
    refuse_overwriting_inputs(out, {"--data": data, "--framework": framework, "--geometry": geometry})
    opts = {} if impute is None else {"impute": impute}
    if periods:
        opts["periods"] = periods
    with console.status(t("report.cli.building", lang())):
        build_report(dataset=dataset, data=str(data) if data else None, framework=framework, year=year, unit=unit,
                     lang=lang(), fmt=fmt, out=out, index_options=opts, uncertainty_samples=uncertainty, seed=seed,
                     geometry=geometry, static=static)
    console.print(t("report.cli.written", lang(), path=str(out)))
