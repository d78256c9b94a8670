"""``nqpf dea`` and ``nqpf malmquist``: DEA efficiency and panel productivity indices on a data file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from nqpf._util import write_csv_atomic, write_json_atomic
from nqpf.cli._io import RAW_TEXT, refuse_overwriting_inputs
from nqpf.cli.main import app, console, lang
from nqpf.errors import DataError
from nqpf.i18n import t


def read_frame(path: Path, id_col: str | None = None, period_col: str | None = None) -> pd.DataFrame:
    """Read a wide table (one row per unit, or per unit-period) from CSV, XLSX, DTA or Parquet.

    Read with pandas (CSV: UTF-8, else GB18030), not :func:`nqpf.read`: productivity data are wide tables with
    arbitrary unit ids and periods (DEAP-style 1, 2, 3 …), which the panel reader rejects as non-years.
    The ``id_col`` column is read as text.
    """
    if not path.exists():
        raise DataError(f"{path}: file not found")
    suf = path.suffix.lower()
    dtype = {id_col: str} if id_col else None  # keep ids such as "0101" intact
    if suf in (".csv", ".txt"):
        try:
            return pd.read_csv(path, dtype=dtype)
        except UnicodeDecodeError:
            return pd.read_csv(path, dtype=dtype, encoding="gb18030")
    if suf in (".xlsx", ".xls"):
        return pd.read_excel(path, dtype=dtype)
    if suf == ".dta":
        return pd.read_stata(path)
    if suf == ".parquet":
        return pd.read_parquet(path)
    raise DataError(f"{path}: unsupported file type {suf!r}; use .csv, .xlsx, .dta or .parquet")


def _split(v: str | None) -> list[str]:
    return [c.strip() for c in v.split(",") if c.strip()] if v else []


def _manifest_path(out: Path) -> Path:
    return out.with_suffix(out.suffix + ".manifest.json")


def _progress(total: int, label: str):
    prog = Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=total < 2000,
    )
    task = prog.add_task(label, total=total)
    return prog, (lambda k: prog.advance(task, k))


@app.command("dea", help="Data envelopment analysis (CCR/BCC, SBM, super-efficiency, DDF) — CSV out.")
def dea_cmd(
    data: Path = typer.Option(
        ..., "--data", help="Input table (.csv/.xlsx/.dta/.parquet), one row per unit."
    ),
    id: str = typer.Option(..., "--id", help="Column with the unit identifier."),
    inputs: str = typer.Option(..., "--inputs", help="Comma-separated input columns."),
    outputs: str = typer.Option(..., "--outputs", help="Comma-separated (good) output columns."),
    undesirable: str = typer.Option(None, "--undesirable", help="Comma-separated bad outputs (sbm, ddf)."),
    model: str = typer.Option("ccr", "--model", help="ccr | bcc | sbm | ddf"),
    orientation: str = typer.Option("input", "--orientation", help="input | output | none (none: sbm/ddf)"),
    rts: str = typer.Option(None, "--rts", help="crs | vrs | nirs (default: ccr crs, bcc vrs, sbm/ddf crs)"),
    super_eff: bool = typer.Option(
        False, "--super", help="Super-efficiency (Andersen–Petersen / super-SBM)."
    ),
    period: str = typer.Option(None, "--period", help="Period column: one frontier per period."),
    out: Path = typer.Option(..., "--out", help="Output CSV path (written atomically)."),
    no_slacks: bool = typer.Option(
        False, "--no-slacks", help="Skip the second-stage slack LP (radial models)."
    ),
    jobs: int = typer.Option(None, "--jobs", help="Worker processes (default: all cores)."),
    raw_text: bool = RAW_TEXT,
) -> None:
    from nqpf.productivity.dea import dea

    refuse_overwriting_inputs(out, {"--data": data}, written=[_manifest_path(out)])
    df = read_frame(data, id, period)
    prog, cb = _progress(len(df), t("productivity.progress.dea", lang()))
    with prog:
        res = dea(
            df,
            _split(inputs),
            _split(outputs),
            undesirable=_split(undesirable),
            id=id,
            model=model,
            orientation=orientation,
            rts=rts,
            super_eff=super_eff,
            period=period,
            slacks=not no_slacks,
            n_jobs=jobs,
            progress=cb,
        )
    write_csv_atomic(out, res, raw_text=raw_text)
    write_json_atomic(_manifest_path(out), res.attrs["manifest"])
    ok = res["status"] == "optimal"
    eff = res.loc[ok, "efficiency"]
    console.print(
        t(
            "productivity.summary.mean_eff",
            lang(),
            value=float(eff.mean()),
            n_eff=int((eff >= 1 - 1e-9).sum()),
            n=len(res),
        )
    )
    if (~ok).any():
        console.print(t("productivity.summary.infeasible", lang(), n=int((~ok).sum())))
    console.print(t("productivity.done", lang(), rows=len(res), path=str(out)))


@app.command("malmquist", help="Malmquist / ML / GML / Luenberger productivity indices on a panel — CSV out.")
def malmquist_cmd(
    data: Path = typer.Option(
        ..., "--data", help="Panel table (.csv/.xlsx/.dta/.parquet), one row per unit-period."
    ),
    id: str = typer.Option(..., "--id", help="Column with the unit identifier."),
    period: str = typer.Option(..., "--period", help="Column with the period (year)."),
    inputs: str = typer.Option(..., "--inputs", help="Comma-separated input columns."),
    outputs: str = typer.Option(..., "--outputs", help="Comma-separated (good) output columns."),
    undesirable: str = typer.Option(
        None, "--undesirable", help="Comma-separated bad outputs (ml, gml, luenberger)."
    ),
    index: str = typer.Option("malmquist", "--index", help="malmquist | ml | gml | luenberger"),
    rts: str = typer.Option("crs", "--rts", help="crs | vrs"),
    technology: str = typer.Option(
        None, "--technology", help="contemporaneous | sequential | window | global (default: global for gml)"
    ),
    window: int = typer.Option(3, "--window", help="Window length for --technology window."),
    orientation: str = typer.Option(
        "input", "--orientation", help="input | output (radial Malmquist distances)"
    ),
    bad_disposability: str = typer.Option(
        "equality",
        "--bad-disposability",
        help="Bad outputs (ml, gml, luenberger): equality = weak disposability (default) | inequality = free",
    ),
    out: Path = typer.Option(..., "--out", help="Output CSV path (written atomically)."),
    jobs: int = typer.Option(None, "--jobs", help="Worker processes (default: all cores)."),
    raw_text: bool = RAW_TEXT,
) -> None:
    from nqpf.productivity.malmquist import malmquist

    refuse_overwriting_inputs(out, {"--data": data}, written=[_manifest_path(out)])
    df = read_frame(data, id, period)
    prog, cb = _progress(len(df) * 4, t("productivity.progress.malmquist", lang()))
    with prog:
        res = malmquist(
            df,
            _split(inputs),
            _split(outputs),
            id=id,
            period=period,
            undesirable=_split(undesirable),
            index=index,
            rts=rts,
            technology=technology,
            window=window,
            orientation=orientation,
            n_jobs=jobs,
            progress=cb,
            **({} if index == "malmquist" else {"bad_disposability": bad_disposability}),
        )
    write_csv_atomic(out, res, raw_text=raw_text)
    write_json_atomic(_manifest_path(out), res.attrs["manifest"])
    v = res["tfpch"].dropna()
    if index == "luenberger":
        console.print(t("productivity.summary.mean_tfp_add", lang(), value=float(v.mean()), rows=len(v)))
    else:
        console.print(
            t("productivity.summary.mean_tfp", lang(), value=float(np.exp(np.log(v).mean())), rows=len(v))
        )
    miss = res.attrs["manifest"]["missing_pairs"]
    if miss:
        console.print(t("productivity.summary.missing_pairs", lang(), n=len(miss)))
    bad = int((res["status"] != "optimal").sum())
    if bad:
        console.print(t("productivity.summary.infeasible", lang(), n=bad))
    console.print(t("productivity.done", lang(), rows=len(res), path=str(out)))
