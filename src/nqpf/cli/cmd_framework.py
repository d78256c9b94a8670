"""``nqpf compare``, ``nqpf frameworks`` and ``nqpf framework check``: two scores side by side, the built-in
frameworks, and a framework YAML checked against data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from nqpf.cli._io import RAW_TEXT, refuse_overwriting_inputs
from nqpf.cli._options import LIMITS, check_size, grouped
from nqpf.cli.cmd_data import bind_labels
from nqpf.cli.cmd_index import _data_arg, _units_mode, unit_label
from nqpf.cli.main import app, console, lang
from nqpf.i18n import t


def _score_table(arg: str, what: str, series: str | None, limits: Any = None):
    """A compare side: a scores.csv written by nqpf index, any unit/period/score table, or dataset:indicator;
    a file is pre-scanned under ``limits`` first."""
    import nqpf.datasets as ds
    from nqpf.errors import DataError

    if ":" in arg and arg.split(":", 1)[0] in ds.names() and not Path(arg).exists():
        name, ind = arg.split(":", 1)
        return (ds.load(name), ind)
    p = Path(arg)
    if not p.exists():
        raise DataError(
            f"compare: {what} {arg!r} is neither a file nor dataset:indicator (e.g. cn_provinces:nqpf_score_127ww)"
        )
    import pandas as pd

    check_size(p, limits)
    try:
        if p.suffix.lower() in (".xlsx", ".xls"):
            df = pd.read_excel(p, dtype={"unit": str})
        elif p.suffix.lower() == ".dta":
            df = pd.read_stata(p)
        elif p.suffix.lower() == ".parquet":
            df = pd.read_parquet(p)
        else:
            df = pd.read_csv(p, dtype={"unit": str}, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"compare: cannot read {what} {arg!r}: {exc}") from None
    if series:
        if series not in df.columns:
            raise DataError(f"compare: {what} has no column {series!r}; columns are {list(df.columns)}")
        df = df.rename(columns={series: "score"})
    return df


@app.command("compare")
@grouped
def compare_cmd(
    a: str = typer.Argument(..., help="scores.csv of nqpf index, a table unit,period,score, or dataset:indicator"),
    b: str = typer.Argument(..., help="the same for the other side, e.g. cn_provinces:nqpf_score_127ww"),
    a_column: str = typer.Option(None, "--a-column", help="column of A holding the score (default score/value)"),
    b_column: str = typer.Option(None, "--b-column", help="column of B holding the score (default score/value)"),
    out: Path = typer.Option(
        None, "--out", help="write the per-period table here; the format follows the extension: .csv, .xlsx, "
        ".dta, .parquet or .tex"
    ),
    top: int = typer.Option(5, help="largest disagreements printed (latest common period)"),
    raw_text: bool = RAW_TEXT,
    limits: Any = LIMITS,
) -> None:
    """Rank agreement of two scores per period (Spearman, Kendall, Pearson) and the largest disagreements."""
    from nqpf.cli._io import check_table_out

    check_table_out(out)  # a wrong extension fails before any work
    refuse_overwriting_inputs(out, {"A": a if Path(a).exists() else None, "B": b if Path(b).exists() else None})
    from rich.table import Table

    from nqpf.data.tables import write_table
    from nqpf.index.compare import compare_scores

    c = compare_scores(_score_table(a, "A", a_column, limits), _score_table(b, "B", b_column, limits), names=(a, b))
    table = Table(title=t("index.cli.compare", lang()))
    for col in ("period", "n", "spearman", "kendall", "pearson"):
        table.add_column(t(f"index.compare.{col}", lang()), justify="right")
    for r in c.by_period.itertuples():
        table.add_row(str(r.period), str(r.n), f"{r.spearman:.3f}", f"{r.kendall:.3f}", f"{r.pearson:.3f}")
    console.print(table)
    last = int(c.by_period["period"].max())
    dis = Table(title=t("index.cli.disagreements", lang(), period=last))
    for col in ("unit", "rank_a", "rank_b"):
        dis.add_column(t(f"index.compare.{col}", lang()))
    for r in c.disagreements(top, last).itertuples():
        dis.add_row(unit_label(r.unit, lang()), f"{r.rank_a:g}", f"{r.rank_b:g}")
    console.print(dis)
    if any(c.unmatched.values()):
        console.print(t("index.cli.unmatched", lang(), a=c.unmatched["a"], b=c.unmatched["b"]), highlight=False)
    if out is not None:
        from nqpf.cli.cmd_productivity import stata_labels

        labels = stata_labels(c.by_period, out, ("index.compare.",))  # .dta: Spearman, Kendall … as labels
        write_table(c.by_period, out, raw_text=raw_text, option="--out", labels=labels)
        console.print(f"{t('index.cli.written', lang())}: {out}")


@app.command("frameworks")
def frameworks_cmd() -> None:
    """List the built-in frameworks."""
    from rich.table import Table

    from nqpf.framework import list_frameworks

    df = list_frameworks()
    table = Table(title=t("index.cli.frameworks", lang()))
    for c in ("name", "title_zh" if lang() == "zh" else "title_en", "dataset", "nodes", "indicators", "citation"):
        table.add_column(c)
    for r in df.itertuples():
        table.add_row(
            r.name,
            str(r.title_zh if lang() == "zh" else r.title_en),
            str(r.dataset or ""),
            str(r.nodes),
            str(r.indicators),
            str(r.citation or ""),
        )
    console.print(table)


framework_app = typer.Typer(help="Framework tools (check a YAML against data).", no_args_is_help=True)
app.add_typer(framework_app, name="framework")


@framework_app.command("check")
@grouped
def framework_check(
    path: str = typer.Argument(..., help="Framework YAML path or built-in name"),
    data: str = typer.Option(
        None, "--data", help="Data file or dataset name to check the indicators against"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the problems as JSON"),
    units: str = typer.Option("auto", "--units", help="Reading a file: auto | province | none (see nqpf index)"),
    limits: Any = LIMITS,
) -> None:
    """Validate a framework: structure (parents, cycles, ids, directions, formulas) and, with --data, series."""
    from nqpf.framework import load_framework

    fw = load_framework(path)
    available = None
    if data is not None:
        src, _, ud = _data_arg(data, _units_mode(units, fw), limits=limits)
        if ud is not None:
            fw = bind_labels(fw, ud)
        if isinstance(src, str):
            import nqpf.datasets as ds

            src = ds.load(src)
        available = src
    probs = fw.problems(available)
    if as_json:
        console.print_json(json.dumps([p.__dict__ for p in probs], ensure_ascii=False, default=str))
    if probs:
        fw.validate(available)  # raises FrameworkError listing all problems (exit 2)
    console.print(t("index.cli.check_ok", lang(), name=fw.name, nodes=len(fw.nodes), leaves=len(fw.leaves)))
