"""``nqpf index``, ``nqpf frameworks`` and ``nqpf framework check``: the composite-index engine on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import typer

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
        "minmax-global", help="minmax-global | minmax-period | zscore | ratio | rank | vector"
    ),
    weights: str = typer.Option(
        "entropy",
        help="entropy | critic | cv | pca | equal | fixed | ahp, or subjective+objective such as ahp+entropy",
    ),
    weight_scope: str = typer.Option(
        "leaves", "--weight-scope", help="leaves (all indicators jointly) | parent"
    ),
    aggregate: str = typer.Option(
        "arithmetic", help="arithmetic | geometric | topsis | grey, or per level '1=topsis,0=arithmetic'"
    ),
    impute: str = typer.Option(
        "none",
        help="none | linear | carry | linear-carry | group-mean, or a chain such as linear-carry+group-mean",
    ),
    drop_incomplete_units: bool = typer.Option(
        False,
        "--drop-incomplete-units",
        help="Drop (and list) units with gaps left after imputation instead of stopping",
    ),
    treat: str = typer.Option("none", help="none | winsorize | skewkurt | log"),
    periods: str = typer.Option(
        None,
        help="Years, e.g. 2012-2022 or 2015,2020 or all (default: the framework's "
        "declared periods, else all)",
    ),
    base_year: int = typer.Option(None, "--base-year", help="Base year for --normalize ratio"),
    ref_unit: str = typer.Option(None, "--ref-unit", help="Reference unit for --normalize ratio"),
    entropy_shift: float = typer.Option(
        0.0, "--entropy-shift", help="Shift added before entropy weighting (0 = off)"
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
) -> None:
    """Build a composite index and write scores, weights and the manifest."""
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
    if entropy_shift:
        opts["entropy_shift"] = entropy_shift
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
            aggregate=_parse_aggregate(aggregate),
            periods=periods,
            **opts,
        )
    res.manifest["data"] = label
    out.mkdir(parents=True, exist_ok=True)
    write_csv_atomic(out / "scores.csv", res.scores[["unit", "period", "node", "score", "rank"]])
    write_csv_atomic(out / "weights.csv", res.weights[["node", "parent", "weight", "effective_weight"]])
    write_json_atomic(out / "manifest.json", res.manifest)
    if excel:
        res.to_excel(out / "index.xlsx", lang=lang())
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
    console.print(f"{t('index.cli.written', lang())}: {out}/scores.csv, weights.csv, manifest.json")


@app.command("frameworks")
def frameworks_cmd() -> None:
    """List the built-in frameworks."""
    from rich.table import Table

    from nqpf.framework import list_frameworks

    df = list_frameworks()
    table = Table(title=t("index.cli.frameworks", lang()))
    for c in ("name", "title_zh" if lang() == "zh" else "title_en", "dataset", "nodes", "indicators"):
        table.add_column(c)
    for r in df.itertuples():
        table.add_row(
            r.name,
            str(r.title_zh if lang() == "zh" else r.title_en),
            str(r.dataset or ""),
            str(r.nodes),
            str(r.indicators),
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
