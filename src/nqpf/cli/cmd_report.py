"""``nqpf report``: the national report or one region's profile and action guide (HTML or Excel)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from nqpf.cli._io import refuse_overwriting_inputs
from nqpf.cli.cmd_data import (
    HEADER_ROWS_HELP,
    INDICATOR_COL_HELP,
    SPECIAL_HELP,
    UNITS_HELP,
    VALUE_COL_HELP,
    bind_labels,
    check_series,
    print_notices,
    read_user_data,
)
from nqpf.cli.main import app, console, lang
from nqpf.errors import DataError
from nqpf.i18n import t


def _run_record(folder: Path) -> dict:
    """The ``cli`` record of an ``nqpf index`` run folder (its manifest.json)."""
    m = folder / "manifest.json" if folder.is_dir() else folder
    if not m.is_file():
        raise DataError(t("cli.report.no_run", lang(), path=str(folder)))
    try:
        man = json.loads(m.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise DataError(t("cli.report.no_run", lang(), path=str(folder))) from None
    rec = man.get("cli")
    if not isinstance(rec, dict) or not rec.get("data") or not rec.get("framework"):
        raise DataError(t("cli.report.old_run", lang(), path=str(m)))
    return rec


@app.command("report")
def report_cmd(
    dataset: str = typer.Option(None, "--dataset", help="Built-in dataset name (e.g. cn_provinces)."),
    data: Path = typer.Option(None, "--data", help="Your data file (long or wide CSV/XLSX/DTA/Parquet)."),
    from_run: Path = typer.Option(None, "--from-run", help="Folder of an nqpf index run: its data, framework, gap "
                                  "filling, periods and reading options are reused (flags given here override)."),
    framework: str = typer.Option(None, "--framework", help="Built-in framework name or a framework YAML path."),
    unit: str = typer.Option(None, "--unit", help="Region for a regional report, by name or code (湖北, 湖北省, Hubei, "
                             "420000); on a city dataset a city (南京, 南京市, Nanjing, 320100); omit for the national "
                             "report."),
    province: str = typer.Option(None, "--province", help="On a city dataset (cn_cities): report on the cities of "
                                 "one province, by name or code (江苏, Jiangsu, 320000)."),
    year: int = typer.Option(None, "--year", help="Report year (default: the latest year of the index)."),
    fmt: str = typer.Option("html", "--format", help="html (self-contained, offline) or xlsx."),
    out: Path = typer.Option(..., "--out", help="Output file."),
    impute: str = typer.Option(None, "--impute", help="Gap filling, as in nqpf index (default: the framework's "
                               "method, else linear-carry)."),
    periods: str = typer.Option(None, "--periods", help="Index periods, e.g. 2016-2022 (default: all)."),
    units: str = typer.Option("auto", "--units", help="Reading --data: " + UNITS_HELP),
    sheet: str = typer.Option(None, "--sheet", help="Reading an Excel file: sheet name or 0-based number."),
    encoding: str = typer.Option(None, "--encoding", help="Reading a CSV: text encoding (default: detect)."),
    unit_col: str = typer.Option(None, "--unit-col", help="Reading --data: name of the unit (province) column."),
    period_col: str = typer.Option(None, "--period-col", help="Reading --data: name of the period (year) column."),
    special_regions: str = typer.Option(None, "--special-regions", help="Reading a file: " + SPECIAL_HELP),
    indicator_col: str = typer.Option(None, "--indicator-col", help=INDICATOR_COL_HELP),
    value_col: str = typer.Option(None, "--value-col", help=VALUE_COL_HELP),
    header_rows: int = typer.Option(None, "--header-rows", help=HEADER_ROWS_HELP),
    # None = nqpf.report.build.DEFAULT_UNCERTAINTY_SAMPLES (not imported: the CLI starts lazily); seed: DEFAULT_SEED
    uncertainty: int = typer.Option(None, "--uncertainty", help="Monte Carlo base samples for the rank intervals "
                                    "(default 64; at least 16; 0 = no rank intervals)."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the uncertainty analysis (recorded in the report's "
                             "manifest)."),
    geometry: Path = typer.Option(None, "--geometry", help="GeoJSON of the regions (properties.id = code)."),
    static: bool = typer.Option(False, "--static", help="Static SVG figures instead of interactive charts."),
) -> None:
    """Write a report: national (ranking with uncertainty, map, Dagum, convergence, TFP) or regional
    (profile, typology, action guide)."""
    import warnings

    import pandas as pd

    from nqpf.cli.cmd_index import DATA_SUFFIXES, cli_impute, gap_error
    from nqpf.data.parse import check_period_range
    from nqpf.data.units import resolve_unit
    from nqpf.framework import load_framework
    from nqpf.report.build import build_report

    L = lang()
    read_kw = {"sheet": sheet, "encoding": encoding, "unit_col": unit_col, "period_col": period_col,
               "special_regions": special_regions, "indicator_col": indicator_col, "value_col": value_col,
               "header_rows": header_rows}
    if from_run is not None:
        if dataset is not None or data is not None:
            raise DataError(t("cli.report.run_and_data", L))
        rec = _run_record(from_run)
        run_opts = dict(rec.get("index_options") or {})  # the run's methods (--weights, --normalize …)
        if year is None and rec.get("last_period") is not None:
            year = int(rec["last_period"])
        framework = framework or rec["framework"]
        impute = impute or rec.get("impute")
        periods = periods or rec.get("periods")
        saved = dict(rec.get("read") or {})
        saved_units = saved.pop("units", None)
        units = saved_units or units if units == "auto" else units
        for k, v in saved.items():
            read_kw[k] = read_kw.get(k) or v
        src = str(rec["data"])
        if Path(src).is_file() or Path(src).suffix.lower() in DATA_SUFFIXES:
            data = Path(src)
        else:
            dataset = src
    if data is not None and dataset is None and not data.is_file() and not data.suffix:
        import nqpf.datasets as ds

        if str(data) in ds.names():  # --data cn_cities, as in nqpf index
            dataset, data = str(data), None
    if (dataset is None) == (data is None):
        raise DataError(t("report.cli.one_source", L))
    if framework is None:
        raise DataError(t("cli.report.no_framework", L))
    check_period_range(periods, option="--periods")
    refuse_overwriting_inputs(out, {"--data": data, "--framework": framework, "--geometry": geometry})
    fw = load_framework(framework)
    impute_arg, impute_used = cli_impute(impute, fw)
    ud = None
    if data is not None:
        ud = read_user_data(data, units=units, **read_kw)
        print_notices(ud, L)
        fw = bind_labels(fw, ud)
        available = ud.data["unit"]
    else:
        import nqpf.datasets as ds

        try:
            available = ds.load(dataset).data["unit"]
        except (KeyError, DataError):
            raise DataError(t("cli.report.unknown_dataset", L, name=dataset, names=", ".join(ds.names()))) from None
    check_series(fw, ud.data if ud is not None else dataset, L)
    from nqpf.report.city import is_city_units, resolve_city

    city_units = None
    if dataset is not None:
        import nqpf.datasets as ds

        city_units = ds.load(dataset).units
    if unit is not None and is_city_units(city_units):
        unit = resolve_city(unit, city_units, pd.unique(available.astype(str)), lang=L)
    elif unit is not None:
        unit = resolve_unit(unit, pd.unique(available.astype(str)), lang=L)
    opts: dict = {"impute": impute_arg} if impute_arg is not None else {}
    if from_run is not None:
        from nqpf.cli.cmd_index import _parse_aggregate

        if isinstance(run_opts.get("aggregate"), str):
            run_opts["aggregate"] = _parse_aggregate(run_opts["aggregate"])
        opts.update(run_opts)
    if periods:
        opts["periods"] = periods
    if ud is not None and ud.groups and "group-mean" in impute_used:
        opts["groups"] = ud.groups
    if year is None:
        from nqpf.index import build_index

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                probe = build_index(ud.data if ud is not None else dataset, fw, **opts)
            except DataError as exc:
                raise gap_error(exc, impute_used) from None
        year = int(probe.scores["period"].max())
    with console.status(t("cli.building_report", L)), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report's warnings are in its manifest; nothing raw on the terminal
        try:
            build_report(dataset=dataset, data=ud.data if ud is not None else None, framework=fw, year=year,
                         unit=unit, lang=L, fmt=fmt, out=out, index_options=opts, uncertainty_samples=uncertainty,
                         seed=seed, geometry=geometry, static=static, province=province)  # fmt: skip
        except DataError as exc:
            raise gap_error(exc, impute_used) from None
    console.print(t("report.cli.written", L, path=str(out)))
