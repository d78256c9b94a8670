"""``nqpf index``, ``nqpf frameworks`` and ``nqpf framework check``: the composite-index engine on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from nqpf.cli._io import RAW_TEXT, refuse_overwriting_inputs
from nqpf.cli.main import app, console, lang
from nqpf.errors import DataError
from nqpf.i18n import t


def read_table(path: Path, units: str = "none"):
    """Read a data file (long or wide). Uses ``nqpf.read`` when available (``units``: province | none), else
    pandas by suffix."""
    import pandas as pd

    try:
        from nqpf.data.io import read
    except ImportError:
        read = None
    if read is not None:
        return read(path, units=units)
    console.print(f"[dim]{t('index.cli.reader_fallback', lang())}[/dim]")
    suf = path.suffix.lower()
    if suf in (".csv", ".txt"):
        return pd.read_csv(path, dtype={"unit": str})
    if suf in (".xlsx", ".xls"):
        return pd.read_excel(path, dtype={"unit": str})
    if suf == ".parquet":
        return pd.read_parquet(path)
    raise DataError(f"{path}: unsupported file type {suf!r}; use .csv, .xlsx or .parquet")


def _units_mode(units: str | None, framework) -> str:
    if units:
        return units
    return "province" if framework.meta.get("dataset") == "cn_provinces" else "none"


def _data_arg(data: str, units: str = "none"):
    p = Path(data)
    if p.exists():
        return read_table(p, units), str(p)
    return data, data  # a dataset name, resolved by build_index


def _parse_aggregate(spec: str):
    """'arithmetic' or per level/node: '1=topsis,0=arithmetic' → {1: 'topsis', 0: 'arithmetic'}."""
    if "=" not in spec:
        return spec
    out: dict = {}
    for part in spec.split(","):
        k, v = (s.strip() for s in part.split("=", 1))
        out[int(k) if k.lstrip("-").isdigit() else k] = v
    return out


@app.command("index")
def index_cmd(
    data: str = typer.Option(
        ...,
        "--data",
        help="Data file (long: unit,period,indicator,value or wide: "
        "unit,period,<indicators>) or a dataset name such as cn_provinces.",
    ),
    framework: str = typer.Option(..., "--framework", help="Built-in framework name or a YAML path."),
    normalize: str = typer.Option(
        None,
        help="minmax-global | minmax-period | zscore | ratio | rank | vector "
        "(default: the framework's method, else minmax-global)",
    ),
    weights: str = typer.Option(
        None,
        help="entropy | critic | cv | pca | equal | fixed | ahp, subjective+objective such as ahp+entropy, "
        "or two objective methods such as entropy+critic (default: the framework's method, else entropy)",
    ),
    weight_scope: str = typer.Option(
        None, "--weight-scope", help="leaves (all indicators jointly) | parent (default leaves)"
    ),
    aggregate: str = typer.Option(
        None,
        help="arithmetic | geometric | topsis | grey, or per level '1=topsis,0=arithmetic' (default arithmetic)",
    ),
    impute: str = typer.Option(
        None,
        help="none | linear | carry | linear-carry | group-mean | mean, or a chain such as "
        "linear-carry+group-mean (default: the framework's method, else none)",
    ),
    drop_incomplete_units: bool = typer.Option(
        False,
        "--drop-incomplete-units",
        help="Drop (and list) units with gaps left after imputation instead of stopping",
    ),
    treat: str = typer.Option(None, help="none | winsorize | skewkurt | log (default none)"),
    periods: str = typer.Option(
        None,
        help="Years, e.g. 2012-2022 or 2015,2020 or all (default: the framework's "
        "declared periods, else all)",
    ),
    base_year: int = typer.Option(None, "--base-year", help="Base year for --normalize ratio"),
    ref_unit: str = typer.Option(None, "--ref-unit", help="Reference unit for --normalize ratio"),
    entropy_shift: float = typer.Option(
        None, "--entropy-shift", help="Shift added before entropy weighting (default: the framework's, else 0)"
    ),
    minmax_eps: float = typer.Option(
        None, "--minmax-eps", help="Constant added to the min-max denominator (default: the framework's, else 0)"
    ),
    ahp_force: bool = typer.Option(False, "--ahp-force", help="Accept AHP matrices with CR > 0.1"),
    units: str = typer.Option(
        None,
        "--units",
        help="Reading a file: province (names → GB/T 2260 codes) or none "
        "(keep ids); default province for frameworks on cn_provinces, else none",
    ),
    out: Path = typer.Option(..., "--out", help="Output folder: scores.csv, weights.csv, manifest.json"),
    excel: bool = typer.Option(False, "--excel", help="Also write index.xlsx"),
    top: int = typer.Option(5, help="Rows of the ranking printed"),
    raw_text: bool = RAW_TEXT,
) -> None:
    """Build a composite index and write scores, weights, the manifest and the diagnostics."""
    refuse_overwriting_inputs(
        out,
        {"--data": data, "--framework": framework},
        written=[out / f for f in ("scores.csv", "weights.csv", "manifest.json", "diagnostics.csv", "index.xlsx")],
    )
    from rich.table import Table

    from nqpf._util import write_csv_atomic, write_json_atomic
    from nqpf.framework import load_framework
    from nqpf.index import build_index

    fw = load_framework(framework)
    src, label = _data_arg(data, _units_mode(units, fw))
    opts: dict = {}
    if base_year is not None:
        opts["base_year"] = base_year
    if ref_unit is not None:
        opts["ref_unit"] = ref_unit
    if entropy_shift is not None:
        opts["entropy_shift"] = entropy_shift
    if minmax_eps is not None:
        opts["minmax_eps"] = minmax_eps
    if ahp_force:
        opts["ahp_force"] = True
    if drop_incomplete_units:
        opts["drop_incomplete_units"] = True
    import warnings

    with console.status("building index …"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warnings are printed below from the manifest
        res = build_index(
            src,
            fw,
            impute=impute,
            treat=treat,
            normalize=normalize,
            weights=weights,
            weight_scope=weight_scope,
            aggregate=None if aggregate is None else _parse_aggregate(aggregate),
            periods=periods,
            **opts,
        )
    res.manifest["data"] = label
    out.mkdir(parents=True, exist_ok=True)
    write_csv_atomic(out / "scores.csv", res.scores[["unit", "period", "node", "score", "rank"]], raw_text=raw_text)
    write_csv_atomic(
        out / "weights.csv", res.weights[["node", "parent", "weight", "effective_weight"]], raw_text=raw_text
    )
    write_json_atomic(out / "manifest.json", res.manifest)
    diag = res.diagnostics
    write_csv_atomic(out / "diagnostics.csv", diag.flags, raw_text=raw_text)
    if excel:
        res.to_excel(out / "index.xlsx", lang=lang(), raw_text=raw_text)
    idx = res.index_scores()
    last = int(idx["period"].max())
    head = idx[idx["period"] == last].sort_values("rank").head(top)
    dims = res.framework.children(res.framework.root)
    st = res.score_table()
    table = Table(title=t("index.cli.top", lang(), n=top, period=last))
    table.add_column(t("common.rank", lang()), justify="right")
    table.add_column(t("common.unit", lang()))
    table.add_column(t("common.score", lang()), justify="right")
    for d in dims:
        table.add_column(res.framework.label(d, lang()), justify="right")
    for r in head.itertuples():
        row = st.loc[(r.unit, last)]
        table.add_row(str(r.rank), str(r.unit), f"{r.score:.4f}", *[f"{row[d]:.4f}" for d in dims])
    console.print(table)
    for w in res.manifest["warnings"]:
        console.print(f"[yellow]{t('common.warning', lang())}:[/yellow] {w}", highlight=False)
    counts = diag.counts()
    console.print(
        t("index.cli.diagnostics", lang())
        + ": "
        + ", ".join(f"{t('index.diag.' + k, lang())} {n}" for k, n in counts.items()),
        highlight=False,
    )
    console.print(f"{t('index.cli.written', lang())}: {out}/scores.csv, weights.csv, manifest.json, diagnostics.csv")


def _score_table(arg: str, what: str, series: str | None):
    """A compare side: a scores.csv written by nqpf index, any unit/period/score table, or dataset:indicator."""
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
def compare_cmd(
    a: str = typer.Argument(..., help="scores.csv of nqpf index, a table unit,period,score, or dataset:indicator"),
    b: str = typer.Argument(..., help="the same for the other side, e.g. cn_provinces:nqpf_score_127ww"),
    a_column: str = typer.Option(None, "--a-column", help="column of A holding the score (default score/value)"),
    b_column: str = typer.Option(None, "--b-column", help="column of B holding the score (default score/value)"),
    out: Path = typer.Option(None, "--out", help="write the per-period table (CSV) here"),
    top: int = typer.Option(5, help="largest disagreements printed (latest common period)"),
) -> None:
    """Rank agreement of two scores per period (Spearman, Kendall, Pearson) and the largest disagreements."""
    refuse_overwriting_inputs(out, {"A": a if Path(a).exists() else None, "B": b if Path(b).exists() else None})
    from rich.table import Table

    from nqpf._util import write_csv_atomic
    from nqpf.index.compare import compare_scores

    c = compare_scores(_score_table(a, "A", a_column), _score_table(b, "B", b_column), names=(a, b))
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
        dis.add_row(str(r.unit), f"{r.rank_a:g}", f"{r.rank_b:g}")
    console.print(dis)
    if any(c.unmatched.values()):
        console.print(t("index.cli.unmatched", lang(), a=c.unmatched["a"], b=c.unmatched["b"]), highlight=False)
    if out is not None:
        write_csv_atomic(out, c.by_period)
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
def framework_check(
    path: str = typer.Argument(..., help="Framework YAML path or built-in name"),
    data: str = typer.Option(
        None, "--data", help="Data file or dataset name to check the indicators against"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the problems as JSON"),
    units: str = typer.Option(None, "--units", help="Reading a file: province or none (see nqpf index)"),
) -> None:
    """Validate a framework: structure (parents, cycles, ids, directions, formulas) and, with --data, series."""
    from nqpf.framework import load_framework

    fw = load_framework(path)
    available = None
    if data is not None:
        src, _ = _data_arg(data, _units_mode(units, fw))
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
