"""``nqpf report``: the national report or one region's profile and action guide (HTML or Excel)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from nqpf.cli._io import refuse_overwriting_inputs
from nqpf.cli._options import LIMITS, READING, Reading, grouped
from nqpf.cli.cmd_data import bind_labels, check_series, print_notices, read_user_data
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


@dataclass
class _Request:
    """What ``nqpf report`` reports on, from its flags and, with ``--from-run``, an index run's record: the
    source (``dataset`` or the file ``data``), ``framework``, gap filling, periods, year, the reading options
    (``units``, ``read_kw``) and the run's index options (``run_opts``)."""

    dataset: str | None
    data: Path | None
    framework: str | None
    impute: str | None
    periods: str | None
    year: int | None
    units: str
    read_kw: dict
    run_opts: dict | None = None


@app.command("report")
@grouped
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
    reading: Reading = READING,
    # None = nqpf.report.build.DEFAULT_UNCERTAINTY_SAMPLES (not imported: the CLI starts lazily); seed: DEFAULT_SEED
    uncertainty: int = typer.Option(None, "--uncertainty", help="Monte Carlo base samples for the rank intervals "
                                    "(default 64; at least 16; 0 = no rank intervals)."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the uncertainty analysis (recorded in the report's "
                             "manifest)."),
    geometry: Path = typer.Option(None, "--geometry", help="GeoJSON of the regions (properties.id = code)."),
    static: bool = typer.Option(False, "--static", help="Static SVG figures instead of interactive charts."),
    limits: Any = LIMITS,
) -> None:
    """Write a report: national (ranking with uncertainty, map, Dagum, convergence, TFP) or regional
    (profile, typology, action guide)."""
    import warnings

    from nqpf.cli.cmd_index import cli_impute, gap_error
    from nqpf.framework import load_framework
    from nqpf.report.build import build_report

    L = lang()
    req = _Request(dataset, data, framework, impute, periods, year, reading.units, dict(reading.kw))
    if from_run is not None:
        _from_run(req, from_run)
    _check_request(req, out, geometry)
    fw = load_framework(req.framework)
    impute_arg, impute_used = cli_impute(req.impute, fw)
    fw, ud, available = _report_data(req, fw, limits, L)
    unit = _report_unit(unit, req.dataset, available, L)
    opts = _report_options(req, impute_arg, impute_used, ud)
    source = ud.data if ud is not None else req.dataset
    if req.year is not None:  # an unknown year is named before the index is built
        _check_year(source, req.year)
    res = _build(source, fw, opts, impute_used)  # built once: the report consumes it (issue 18.6)
    year = req.year if req.year is not None else int(res.scores["period"].max())
    with console.status(t("cli.building_report", L)), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report's warnings are in its manifest; nothing raw on the terminal
        try:
            build_report(result=res, dataset=req.dataset, data=ud.data if ud is not None else None, year=year,
                         unit=unit, lang=L, fmt=fmt, out=out, uncertainty_samples=uncertainty, seed=seed,
                         geometry=geometry, static=static, province=province)  # fmt: skip
        except DataError as exc:
            raise gap_error(exc, impute_used) from None
    console.print(t("report.cli.written", L, path=str(out)))


def _from_run(req: _Request, folder: Path) -> None:
    """Fill ``req`` from the record of the ``nqpf index`` run in ``folder``: flags given on this command line
    win; the run's data, framework, gap filling, periods, last year, reading and index options fill the rest."""
    from nqpf.cli.cmd_index import DATA_SUFFIXES

    if req.dataset is not None or req.data is not None:
        raise DataError(t("cli.report.run_and_data", lang()))
    rec = _run_record(folder)
    req.run_opts = dict(rec.get("index_options") or {})  # the run's methods (--weights, --normalize …)
    if req.year is None and rec.get("last_period") is not None:
        req.year = int(rec["last_period"])
    req.framework = req.framework or rec["framework"]
    req.impute = req.impute or rec.get("impute")
    req.periods = req.periods or rec.get("periods")
    saved = dict(rec.get("read") or {})
    saved_units = saved.pop("units", None)
    req.units = saved_units or req.units if req.units == "auto" else req.units
    for k, v in saved.items():
        req.read_kw[k] = req.read_kw.get(k) or v
    src = str(rec["data"])
    if Path(src).is_file() or Path(src).suffix.lower() in DATA_SUFFIXES:
        req.data = Path(src)
    else:
        req.dataset = src


def _check_request(req: _Request, out: Path, geometry: Path | None) -> None:
    """Before any work: ``--data <dataset name>`` taken as ``--dataset``; exactly one source and a framework;
    valid ``--periods``; an ``--out`` that is none of the inputs."""
    from nqpf.data.parse import check_period_range

    if req.data is not None and req.dataset is None and not req.data.is_file() and not req.data.suffix:
        import nqpf.datasets as ds

        if str(req.data) in ds.names():  # --data cn_cities, as in nqpf index
            req.dataset, req.data = str(req.data), None
    if (req.dataset is None) == (req.data is None):
        raise DataError(t("report.cli.one_source", lang()))
    if req.framework is None:
        raise DataError(t("cli.report.no_framework", lang()))
    check_period_range(req.periods, option="--periods")
    refuse_overwriting_inputs(out, {"--data": req.data, "--framework": req.framework, "--geometry": geometry})


def _report_data(req: _Request, fw, limits: Any, L: str):
    """Read: (framework bound to the file's labels, the file as read or None, the unit column of the data);
    the framework's series checked against the data."""
    ud = None
    if req.data is not None:
        ud = read_user_data(req.data, units=req.units, limits=limits, **req.read_kw)
        print_notices(ud, L)
        fw = bind_labels(fw, ud)
        available = ud.data["unit"]
    else:
        import nqpf.datasets as ds

        try:
            available = ds.load(req.dataset).data["unit"]
        except (KeyError, DataError):
            raise DataError(t("cli.report.unknown_dataset", L, name=req.dataset,
                              names=", ".join(ds.names()))) from None  # fmt: skip
    check_series(fw, ud.data if ud is not None else req.dataset, L)
    return fw, ud, available


def _report_unit(unit: str | None, dataset: str | None, available, L: str) -> str | None:
    """``--unit`` as the id used by the data: a city of a city dataset, else a province (name or code)."""
    if unit is None:
        return None
    import pandas as pd

    from nqpf.data.units import resolve_unit
    from nqpf.report.city import is_city_units, resolve_city

    ids = pd.unique(available.astype(str))
    if dataset is not None:
        import nqpf.datasets as ds

        city_units = ds.load(dataset).units
        if is_city_units(city_units):
            return resolve_city(unit, city_units, ids, lang=L)
    return resolve_unit(unit, ids, lang=L)


def _report_options(req: _Request, impute_arg: str | None, impute_used: str, ud) -> dict:
    """The index options of the report: gap filling, the run's methods (``--from-run``), periods and, for
    ``group-mean`` on provinces, their regions."""
    opts: dict = {"impute": impute_arg} if impute_arg is not None else {}
    if req.run_opts is not None:
        from nqpf.cli.cmd_index import _parse_aggregate

        run_opts = dict(req.run_opts)
        if isinstance(run_opts.get("aggregate"), str):
            run_opts["aggregate"] = _parse_aggregate(run_opts["aggregate"])
        opts.update(run_opts)
    if req.periods:
        opts["periods"] = req.periods
    if ud is not None and ud.groups and "group-mean" in impute_used:
        opts["groups"] = ud.groups
    return opts


def _check_year(source, year: int) -> None:
    import nqpf.datasets as ds
    from nqpf.report.build import check_year

    check_year(ds.load(source).data if isinstance(source, str) else source, year)


def _build(source, fw, opts: dict, impute_used: str):
    """The index the report is about (its latest period is the default ``--year``); a gap error names the
    ``--impute`` choices."""
    import warnings

    from nqpf.cli.cmd_index import gap_error
    from nqpf.index import build_index

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return build_index(source, fw, **opts)
        except DataError as exc:
            raise gap_error(exc, impute_used) from None
