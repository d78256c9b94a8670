"""``nqpf datasets`` and ``nqpf validate``: the data layer on the command line."""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from nqpf.cli._io import refuse_overwriting_inputs
from nqpf.cli.main import app, console, lang
from nqpf.errors import DataError
from nqpf.i18n import t


@app.command("datasets", help="List the embedded real datasets (name, units, periods, indicators, coverage).")
def datasets_cmd() -> None:
    try:
        import nqpf.datasets as ds
    except ModuleNotFoundError as exc:
        raise DataError(t("data.cli.datasets.missing", lang())) from exc
    tab = ds.list()
    L = lang()
    table = Table(title=t("data.cli.datasets.title", L))
    for key, just in (
        ("name", "left"),
        ("units", "right"),
        ("periods", "left"),
        ("indicators", "right"),
        ("coverage", "right"),
    ):
        table.add_column(t(f"data.cli.datasets.{key}", L), justify=just)
    for _, r in tab.iterrows():
        table.add_row(
            Text(str(r["name"])),
            str(r["units"]),
            str(r["periods"]),
            str(r["indicators"]),
            f"{float(r['coverage']):.1f} %",
        )
    console.print(table)


@app.command("validate", help="Check a data file (CSV/XLSX/DTA/Parquet): every problem with file, row, column, "
             "unit and indicator; exit 1 on errors.")  # fmt: skip
def validate_cmd(
    path: Path = typer.Argument(..., help="Data file: .csv (UTF-8/GBK), .xlsx, .dta or .parquet."),
    sheet: str | None = typer.Option(
        None, "--sheet", help="Excel sheet name or 0-based number (default: first)."
    ),
    layout: str = typer.Option("auto", "--layout", help="auto | long | wide."),
    units: str = typer.Option("province", "--units", help="province (names → GB/T 2260 codes) | none."),
    catalogue: Path | None = typer.Option(
        None, "--catalogue", help="Indicator catalogue (.csv or .yaml) for range/unit checks."
    ),
    json_out: Path | None = typer.Option(
        None, "--json", help="Also write the full report as JSON to this file."
    ),
    encoding: str | None = typer.Option(None, "--encoding", help="Text encoding of a CSV (default: detect)."),
    unit_col: str | None = typer.Option(None, "--unit-col", help="Name of the unit (province) column."),
    period_col: str | None = typer.Option(None, "--period-col", help="Name of the period (year) column."),
    indicator: str | None = typer.Option(
        None, "--indicator", help="Indicator name for a single-indicator by-year table."
    ),
    show_all: bool = typer.Option(False, "--all", help="Show every problem (default: first 200)."),
) -> None:
    from nqpf._util import write_json_atomic
    from nqpf.data.validate import validate

    L = lang()
    if not path.exists():
        raise DataError(f"file {path} does not exist; check the path")
    refuse_overwriting_inputs(json_out, {"PATH": path, "--catalogue": catalogue}, option="--json")
    rep = validate(
        path, catalogue=catalogue, units=units, lang=L, layout=layout, sheet=sheet, encoding=encoding,
        unit_col=unit_col, period_col=period_col, indicator=indicator,
    )  # fmt: skip
    probs = sorted(rep.problems, key=lambda p: (p.severity != "error", p.row if p.row is not None else 10**9))
    limit = len(probs) if show_all else 200
    if probs:
        table = Table(title=t("data.cli.problems", L), show_lines=True)
        table.add_column(t("data.cli.severity", L), no_wrap=True)
        table.add_column(t("data.cli.message", L), overflow="fold")
        for p in probs[:limit]:
            style = "bold red" if p.severity == "error" else "yellow"
            left = Text(t(f"data.cli.{p.severity}", L), style=style)
            left.append("\n" + p.code, style="dim")
            right = Text(_where(p, L), style="bold")
            right.append("\n" + p.message)
            table.add_row(left, right)
        console.print(table)
        if len(probs) > limit:
            console.print(Text(t("data.cli.more", L, n=len(probs) - limit)))
    cov = rep.coverage
    if cov is not None and not cov.empty:
        ctab = Table(title=t("data.cli.coverage", L))
        ctab.add_column(t("common.indicator", L), overflow="fold")
        cols = list(cov.columns)
        if len(cols) > 16:
            cols = cols[-16:]
        for c in cols:
            ctab.add_column(str(c), justify="right")
        for ind, row in cov.head(60).iterrows():
            ctab.add_row(Text(str(ind)), *(_pct(row[c]) for c in cols))
        console.print(ctab)
    data = rep.data
    if data is not None and len(data):
        periods = f"{int(data['period'].min())}–{int(data['period'].max())}"
        n, k, u = int(data["value"].notna().sum()), data["indicator"].nunique(), data["unit"].nunique()
    else:
        periods, n, k, u = "-", 0, 0, 0
    console.print(
        Text(
            t(
                "data.cli.summary",
                L,
                file=path.name,
                errors=len(rep.errors),
                warnings=len(rep.warnings),
                n=n,
                k=k,
                u=u,
                periods=periods,
            )  # fmt: skip
        )
    )
    if json_out is not None:
        write_json_atomic(json_out, rep.to_dict())
        console.print(Text(t("data.cli.json_written", L, path=str(json_out))))
    if rep.errors:
        console.print(Text(t("data.cli.failed", L), style="bold red"))
        raise typer.Exit(code=1)
    console.print(Text(t("data.cli.ok", L), style="green"))


def _where(p, L: str) -> str:
    """Localised location: file, row, column, unit, indicator (only those known)."""
    parts = []
    for key in ("file", "row", "column", "unit", "indicator"):
        v = getattr(p, key)
        if v is not None and v != "":
            parts.append(f"{t(f'data.where.{key}', L)} {v}")
    return ", ".join(parts) or "-"


def _pct(v: float) -> Text:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return Text("-")
    style = "green" if v >= 0.95 else ("yellow" if v >= 0.5 else "red")
    return Text(f"{100 * v:.0f}%", style=style)
