"""``nqpf dea`` and ``nqpf malmquist``: DEA efficiency and panel productivity indices on a data file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from nqpf.cli._io import (
    RAW_TEXT,
    TABLE_OUT_HELP,
    check_table_out,
    keep_key_names,
    match_key_types,
    refuse_overwriting_inputs,
    sidecar_table,
)
from nqpf.cli._options import LIMITS, check_size, grouped
from nqpf.cli.main import app, console, lang
from nqpf.errors import MethodError
from nqpf.i18n import t

if TYPE_CHECKING:  # pandas and numpy are imported inside the commands, so that ``--help`` starts fast
    import pandas as pd


def write_json_atomic(path: Path, obj: object) -> Path:
    """:func:`nqpf._util.write_json_atomic`, imported on first use (``nqpf._util`` loads pandas)."""
    from nqpf._util import write_json_atomic as write

    return write(path, obj)


#: Catalogue prefixes whose ``<prefix><column>`` labels become Stata variable labels (:func:`stata_labels`).
COLUMN_LABELS = ("productivity.col.", "tfp.col.")


def read_frame(
    path: Path, id_col: str | None = None, period_col: str | None = None, limits: Any = None
) -> pd.DataFrame:
    """Read a wide table (one row per unit, or per unit-period) from CSV, XLSX, DTA or Parquet.

    Read with pandas (CSV: UTF-8, else GB18030), not :func:`nqpf.read`: productivity data are wide tables with
    arbitrary unit ids and periods (DEAP-style 1, 2, 3 …), which the panel reader rejects as non-years.
    The ``id_col`` column is read as text. The file is pre-scanned under ``limits`` first (:func:`check_size`).
    """
    from nqpf.data.tables import read_table  # restores names nqpf mapped for Stata

    check_size(path, limits)
    suf = path.suffix.lower()
    # keep text ids such as "0101" intact; ids stored as numbers in .dta/.parquet keep their type
    dtype = {id_col: str} if id_col and suf in (".csv", ".txt", ".xlsx", ".xls") else None
    return read_table(path, dtype=dtype)


def stata_labels(
    df: pd.DataFrame, out: Path, prefixes: tuple[str, ...] = COLUMN_LABELS, language: str | None = None
) -> dict[str, str]:
    """Stata variable labels for the columns of ``df`` that have a catalogue label (``<prefix><column>``, the
    first prefix that has one; in ``language``, default ``--lang``), when ``out`` is a ``.dta``; nothing for other
    formats (their headers are the names). A label that only repeats the column name is left out."""
    if Path(out).suffix.lower() != ".dta":
        return {}
    from nqpf.i18n import catalogue

    cat, L, labels = catalogue(), language or lang(), {}
    for c in map(str, df.columns):
        key = next((p + c for p in prefixes if p + c in cat), None)
        if key and cat[key][L] != c:
            labels[c] = cat[key][L]
    return labels


def _choice(value: str, flag: str, allowed: tuple[str, ...], *, applies: bool = True, misuse: str = "") -> str:
    """``value`` lower-cased if it is one of ``allowed``; :class:`MethodError` naming ``flag`` otherwise, or with
    the message ``misuse`` when the value is not the default (the first of ``allowed``) and does not ``applies``
    to the rest of the command line."""
    v = str(value).lower()
    if v not in allowed:
        raise MethodError(f"{flag} {value!r}: use one of {' | '.join(allowed)}")
    if v != allowed[0] and not applies:
        raise MethodError(misuse)
    return v


def _split(v: str | None) -> list[str]:
    return [c.strip() for c in v.split(",") if c.strip()] if v else []


def _manifest_path(out: Path) -> Path:
    return out.with_suffix(out.suffix + ".manifest.json")


def _with_progress(fn, total: int, label: str, *args: Any, **kw: Any):
    """``fn(*args, progress=<callback>, **kw)`` under a progress bar of ``total`` steps titled ``label``
    (shown for 2000 steps or more)."""
    prog, cb = _progress(total, label)
    with prog:
        return fn(*args, progress=cb, **kw)


def _write_with_manifest(table: pd.DataFrame, out: Path, man: dict, raw_text: bool) -> None:
    """The result table at ``out`` (a .dta gets the catalogue's column labels) and its manifest beside it."""
    from nqpf.data.tables import write_table

    write_table(table, out, raw_text=raw_text, manifest=man, option="--out", labels=stata_labels(table, out))
    write_json_atomic(_manifest_path(out), man)


def _progress(total: int, label: str):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

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


@app.command(
    "dea",
    help="Data envelopment analysis (CCR/BCC, SBM, super-efficiency, DDF). Writes the scores table (format by "
    "--out's extension) and <stem>_peers.<ext>: one row per unit and peer with λ at full precision.",
)
@grouped
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
    out: Path = typer.Option(..., "--out", help=TABLE_OUT_HELP),
    no_slacks: bool = typer.Option(
        False, "--no-slacks", help="Skip the second-stage slack LP (radial models)."
    ),
    jobs: int = typer.Option(None, "--jobs", help="Worker processes (default: all cores)."),
    ddf_efficiency: str = typer.Option(
        "output",
        "--ddf-efficiency",
        help="--model ddf: efficiency column from β*: output = 1/(1+β*) (default) | rho = deaR's "
        "(1 − β*·mean g_x/x)/(1 + β*·mean g_y/y); rho needs no --undesirable.",
    ),
    raw_text: bool = RAW_TEXT,
    limits: Any = LIMITS,
) -> None:
    ddf_efficiency = _choice(
        ddf_efficiency, "--ddf-efficiency", ("output", "rho"), applies=model.lower() == "ddf" and not _split(undesirable),
        misuse="--ddf-efficiency rho (deaR's model_dir efficiency) applies to --model ddf without --undesirable; "
        "drop --ddf-efficiency or use --model ddf",
    )  # fmt: skip
    check_table_out(out)
    peers_out = sidecar_table(out, "peers")
    refuse_overwriting_inputs(out, {"--data": data}, written=[_manifest_path(out), peers_out])
    df = read_frame(data, id, period, limits)
    from nqpf.productivity.dea import dea

    res = _with_progress(dea, len(df), t("productivity.progress.dea", lang()), df, _split(inputs), _split(outputs),
                         undesirable=_split(undesirable), id=id, model=model, orientation=orientation, rts=rts,
                         super_eff=super_eff, period=period, slacks=not no_slacks, n_jobs=jobs,
                         ddf_efficiency=ddf_efficiency)  # fmt: skip
    keys = {"unit": id, "period": period}  # outputs keep the user's column names (they merge onto the input)
    _write_with_manifest(match_key_types(keep_key_names(res, keys), df, {id: id}), out, res.attrs["manifest"],
                         raw_text)  # fmt: skip
    from nqpf.data.tables import write_table

    peers = match_key_types(keep_key_names(res.attrs["peer_weights"].frame(), keys), df, {id: id, "peer": id})
    write_table(peers, peers_out, raw_text=raw_text, manifest=res.attrs["manifest"], option="--out")
    ok = res["status"] == "optimal"
    eff = res.loc[ok, "efficiency"]
    console.print(t("productivity.summary.mean_eff", lang(), value=float(eff.mean()),
                    n_eff=int((eff >= 1 - 1e-9).sum()), n=len(res)))  # fmt: skip
    if (~ok).any():
        console.print(t("productivity.summary.infeasible", lang(), n=int((~ok).sum())))
    console.print(t("productivity.done", lang(), rows=len(res), path=str(out)))


@app.command(
    "malmquist",
    help="Malmquist / ML / GML / Luenberger productivity indices on a panel (format by --out's extension).",
)
@grouped
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
    out: Path = typer.Option(..., "--out", help=TABLE_OUT_HELP),
    jobs: int = typer.Option(None, "--jobs", help="Worker processes (default: all cores)."),
    output_convention: str = typer.Option(
        "distance",
        "--output-convention",
        help="--index malmquist --orientation output: distance = Shephard distances, > 1 = growth (DEAP, deaR; "
        "default) | farrell = Farrell efficiencies as R Benchmarking's malmq, every index reciprocal (< 1 = growth)",
    ),
    raw_text: bool = RAW_TEXT,
    limits: Any = LIMITS,
) -> None:
    output_convention = _choice(
        output_convention, "--output-convention", ("distance", "farrell"), applies=index.lower() == "malmquist",
        misuse=f"--output-convention farrell applies to --index malmquist (radial distances), not --index {index}",
    )  # fmt: skip
    check_table_out(out)
    refuse_overwriting_inputs(out, {"--data": data}, written=[_manifest_path(out)])
    df = read_frame(data, id, period, limits)
    from nqpf.productivity.malmquist import malmquist

    bad = {} if index == "malmquist" else {"bad_disposability": bad_disposability}
    res = _with_progress(malmquist, len(df) * 4, t("productivity.progress.malmquist", lang()), df, _split(inputs),
                         _split(outputs), id=id, period=period, undesirable=_split(undesirable), index=index,
                         rts=rts, technology=technology, window=window, orientation=orientation, n_jobs=jobs,
                         output_convention=output_convention, **bad)  # fmt: skip
    keys = {"unit": id, "period": period, "period_from": f"{period}_from"}  # the user's names, as in --data
    table = match_key_types(keep_key_names(res, keys, {"period_from": "--period"}), df, {id: id})
    _write_with_manifest(table, out, res.attrs["manifest"], raw_text)
    _print_malmquist(res, index, out)


def _print_malmquist(res: pd.DataFrame, index: str, out: Path) -> None:
    """Mean TFP change (geometric; arithmetic for the additive Luenberger index), pairs without data,
    infeasible programmes, and what was written."""
    v = res["tfpch"].dropna()
    if index == "luenberger":
        console.print(t("productivity.summary.mean_tfp_add", lang(), value=float(v.mean()), rows=len(v)))
    else:
        import numpy as np

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
