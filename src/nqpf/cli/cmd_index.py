"""``nqpf index``, ``nqpf frameworks`` and ``nqpf framework check``: the composite-index engine on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from nqpf.cli._io import FORMAT, RAW_TEXT, folder_format, refuse_overwriting_inputs
from nqpf.cli.cmd_data import (
    HEADER_ROWS_HELP,
    INDICATOR_COL_HELP,
    SPECIAL_HELP,
    UNITS_HELP,
    VALUE_COL_HELP,
    bind_labels,
    check_series,
    print_notices,
)
from nqpf.cli.main import app, console, lang
from nqpf.errors import DataError
from nqpf.i18n import t

DATA_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".dta", ".parquet", ".pq")
#: gap filling of ``nqpf index`` and ``nqpf report`` when neither --impute nor the framework says: linear
#: interpolation inside a unit's series, then the nearest value carried over at most 2 years at the ends
#: (every filled cell is listed in the manifest's imputation log)
DEFAULT_IMPUTE = "linear-carry"


def read_table(path: Path, units: str = "auto", **kw):
    """Read a data file (long or wide) the way every command does (:func:`nqpf.cli.cmd_data.read_user_data`):
    the long panel without aggregate rows."""
    from nqpf.cli.cmd_data import read_user_data

    return read_user_data(path, units=units, **kw).data


def _units_mode(units: str | None, framework) -> str:
    """``--units`` as given; unset → auto (the one rule of :func:`nqpf.data.units.detect_scheme`)."""
    return units or "auto"


def cli_impute(impute: str | None, fw) -> tuple[str | None, str]:
    """The gap filling of the command line (same in index and report): --impute, else the framework's declared
    method, else :data:`DEFAULT_IMPUTE`. Returns (value to pass to build_index, the resolved method)."""
    from nqpf.index.pipeline import framework_method

    if impute is not None:
        return impute, impute
    declared = framework_method(fw).get("impute")
    if declared is not None:
        return None, str(declared)
    return DEFAULT_IMPUTE, DEFAULT_IMPUTE


def _data_arg(data: str, units: str = "auto", **kw):
    """(data for build_index, label, UserData or None): a file read by the one reading rule, else a dataset
    name. A name that looks like a file (a path or a data-file suffix) but does not exist → file not found."""
    from nqpf.cli.cmd_data import read_user_data

    p = Path(data)
    if p.is_file():
        ud = read_user_data(p, units=units, **kw)
        return ud.data, str(p), ud
    if p.suffix.lower() in DATA_SUFFIXES or "/" in data or "\\" in data or p.exists():
        raise DataError(t("data.cli.no_file", lang(), path=data))
    import nqpf.datasets as ds

    if data not in ds.names():
        raise DataError(t("cli.unknown_data", lang(), name=data, names=", ".join(ds.names())))
    return data, data, None  # a dataset name, resolved by build_index


def run_record(data: str, framework: str, ud, impute: str, periods: str | None, read_kw: dict) -> dict:
    """What ``nqpf report --from-run`` needs to rebuild this run without repeating flags: the data (absolute
    path of a file, or the dataset name), the framework (absolute path or built-in name), how the file was
    read (unit scheme, sheet, encoding, columns), the gap filling and the periods; plus the excluded rows."""
    def _abs(x: str) -> str:
        p = Path(x)
        return str(p.resolve()) if p.exists() else x

    rec = {"data": _abs(data), "framework": _abs(framework), "impute": impute, "periods": periods,
           "read": {k: v for k, v in read_kw.items() if v is not None}}  # fmt: skip
    if ud is not None:
        rec["read"]["units"] = ud.scheme
        rec["excluded_rows"] = ud.excluded
        rec["indicator_labels"] = ud.labels
    return rec


def _resolve_unit_arg(name: str, src) -> str:
    """A unit named on the command line (湖北 / 湖北省 / Hubei / 420000) as the id used by the data ``src``
    (a long DataFrame or a dataset name)."""
    import pandas as pd

    from nqpf.data.units import resolve_unit

    if isinstance(src, str):
        import nqpf.datasets as ds

        if src not in ds.names():
            return name
        src = ds.load(src).data
    return resolve_unit(name, pd.unique(src["unit"].astype(str)), lang=lang())


def with_unit_names(df, L: str):
    """``df`` with a ``name`` column (the unit's name in ``L``) after ``unit`` when the units are province codes;
    unchanged otherwise (a city or firm id is its own name)."""
    from nqpf.data.units import unit_name

    if "unit" not in df.columns or "name" in df.columns:
        return df
    codes = df["unit"].astype(str)
    names = codes.map(lambda u: unit_name(u, L))
    if not (names != codes).any():
        return df
    out = df.copy()
    out.insert(int(list(df.columns).index("unit")) + 1, "name", names.where(names != codes, ""))
    return out


def index_warning(w: str, res, L: str) -> str:
    """A warning of the index run in the chosen language and in CLI terms: weight concentration and dropped
    units from the manifest's structured fields; any other warning in CLI terms (flags, not keywords)."""
    from nqpf.cli.main import cli_terms

    man = res.manifest
    sep = t("data.cli.list_sep", L)
    conc = man.get("weight_concentration") or {}
    if w.startswith("weight concentration:") and conc.get("max_leaf"):
        import ast
        import re

        lab = res.framework.label
        m = re.search(r"\): (\[.*\]); see ", w)
        try:
            top3 = conc.get("top3") or (ast.literal_eval(m.group(1)) if m else [])
        except (ValueError, SyntaxError):
            top3 = []
        return t("cli.warn.concentration", L, leaf=lab(conc["max_leaf"], L), share=f"{conc['max_weight']:.1%}",
                 limit=f"{conc['limits']['max_leaf']:.1%}", top3=sep.join(lab(str(x), L) for x in top3),
                 top3_share=f"{conc['top3_weight']:.1%}", top3_limit=f"{conc['limits']['max_top3']:.1%}")  # fmt: skip
    if "dropped because gaps remain" in w and man.get("dropped_units"):
        units = [unit_label(u, L) for u in man["dropped_units"]]
        return t("cli.warn.dropped", L, n=len(units), units=sep.join(units[:20]) + (" …" if len(units) > 20 else ""))
    return cli_terms(w)


def unit_label(unit: object, L: str) -> str:
    """``110000 北京`` (code and name in the language) for a province code, else the unit id itself."""
    from nqpf.data.units import unit_label as _label

    return _label(unit, L)


def gap_error(exc: DataError, resolved: str) -> DataError:
    """The index's "missing values remain" error in command-line terms (flags, in the chosen language)."""
    import re

    m = re.match(r"missing values remain after impute=.*?: (.*?); (choose|chain) ", str(exc), re.S)
    if not m:
        return exc
    L = lang()
    items = []
    for ind, n, us in re.findall(r"'([^']+)': (\d+) cell\(s\)(?:, e\.g\. unit\(s\) \[([^\]]*)\])?", m.group(1)):
        units = [unit_label(u.strip().strip("'\""), L) for u in us.split(",") if u.strip()]
        items.append(t("cli.gap_item", L, indicator=ind, n=n, units=t("data.cli.list_sep", L).join(units) or "-"))
    gaps = t("data.cli.list_sep", L).join(items) if items else m.group(1)
    return DataError(t("cli.gaps", L, impute=resolved, gaps=gaps))


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
        help="Gap filling: none (stop at a gap) | linear | carry | linear-carry | group-mean | mean, or a chain "
        "such as linear-carry+group-mean (default: the framework's method, else linear-carry; the same in nqpf "
        "report; every filled cell is logged in manifest.json)",
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
    units: str = typer.Option("auto", "--units", help="Reading a file: " + UNITS_HELP),
    sheet: str = typer.Option(None, "--sheet", help="Reading an Excel file: sheet name or 0-based number"),
    encoding: str = typer.Option(None, "--encoding", help="Reading a CSV: text encoding (default: detect)"),
    unit_col: str = typer.Option(None, "--unit-col", help="Reading a file: name of the unit (province) column"),
    period_col: str = typer.Option(None, "--period-col", help="Reading a file: name of the period (year) column"),
    special_regions: str = typer.Option(None, "--special-regions", help="Reading a file: " + SPECIAL_HELP),
    indicator_col: str = typer.Option(None, "--indicator-col", help=INDICATOR_COL_HELP),
    value_col: str = typer.Option(None, "--value-col", help=VALUE_COL_HELP),
    header_rows: int = typer.Option(None, "--header-rows", help=HEADER_ROWS_HELP),
    out: Path = typer.Option(..., "--out", help="Output folder: scores.csv, weights.csv, manifest.json"),
    excel: bool = typer.Option(False, "--excel", help="Also write index.xlsx"),
    top: int = typer.Option(5, help="Rows of the ranking printed"),
    raw_text: bool = RAW_TEXT,
    fmt: str = FORMAT,
) -> None:
    """Build a composite index and write scores, weights, the manifest and the diagnostics."""
    ext = folder_format(fmt)  # scores/weights/diagnostics as .csv, .xlsx, .dta, .parquet or .tex
    refuse_overwriting_inputs(
        out,
        {"--data": data, "--framework": framework},
        written=[out / f for f in (f"scores{ext}", f"weights{ext}", "manifest.json", f"diagnostics{ext}",
                                   "index.xlsx")],  # fmt: skip
    )
    from rich.table import Table

    from nqpf._util import write_json_atomic
    from nqpf.framework import load_framework
    from nqpf.index import build_index

    fw = load_framework(framework)
    read_kw = {"sheet": sheet, "encoding": encoding, "unit_col": unit_col, "period_col": period_col,
               "special_regions": special_regions, "indicator_col": indicator_col, "value_col": value_col,
               "header_rows": header_rows}
    src, label, ud = _data_arg(data, _units_mode(units, fw), **read_kw)
    impute_arg, impute_used = cli_impute(impute, fw)
    opts: dict = {}
    if ud is not None:
        print_notices(ud, lang())
        fw = bind_labels(fw, ud)
        if ud.groups and "group-mean" in impute_used:
            opts["groups"] = ud.groups
    check_series(fw, src, lang())
    if base_year is not None:
        opts["base_year"] = base_year
    if ref_unit is not None:
        opts["ref_unit"] = _resolve_unit_arg(ref_unit, src)
    if entropy_shift is not None:
        opts["entropy_shift"] = entropy_shift
    if minmax_eps is not None:
        opts["minmax_eps"] = minmax_eps
    if ahp_force:
        opts["ahp_force"] = True
    if drop_incomplete_units:
        opts["drop_incomplete_units"] = True
    import warnings

    with console.status(t("cli.building_index", lang())), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warnings are printed below from the manifest
        try:
            res = build_index(src, fw, impute=impute_arg, treat=treat, normalize=normalize, weights=weights,
                              weight_scope=weight_scope, periods=periods,
                              aggregate=None if aggregate is None else _parse_aggregate(aggregate), **opts)  # fmt: skip
        except DataError as exc:
            raise gap_error(exc, impute_used) from None
    res.manifest["data"] = label
    res.manifest["cli"] = run_record(data, framework, ud, impute_used, periods, read_kw)
    res.manifest["cli"]["impute_source"] = (
        "--impute" if impute is not None else ("framework" if impute_arg is None else "command-line default")
    )
    steps = {"normalize": normalize, "weights": weights, "weight_scope": weight_scope, "treat": treat,
             "aggregate": aggregate}  # fmt: skip
    res.manifest["cli"]["last_period"] = int(res.scores["period"].max())
    res.manifest["cli"]["index_options"] = {
        **{k: v for k, v in steps.items() if v is not None},
        **{k: v for k, v in opts.items() if k != "groups"},
    }
    from nqpf._util import staged_dir
    from nqpf.data.tables import write_table

    with staged_dir(out) as stage:  # all or nothing: the set is written beside --out, then renamed into it
        scores = res.scores[["unit", "period", "node", "score", "rank"]]
        scores = with_unit_names(scores, lang())  # province codes get their name in the chosen language
        write_table(scores, stage / f"scores{ext}", raw_text=raw_text, manifest=res.manifest)
        weights = res.weights[["node", "parent", "weight", "effective_weight"]]
        write_table(weights, stage / f"weights{ext}", raw_text=raw_text, manifest=res.manifest)
        diag = res.diagnostics
        write_table(with_unit_names(diag.flags, lang()), stage / f"diagnostics{ext}", raw_text=raw_text,
                    manifest=res.manifest)
        write_json_atomic(stage / "manifest.json", res.manifest)
        if excel:
            res.to_excel(stage / "index.xlsx", lang=lang(), raw_text=raw_text)
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
        table.add_row(str(r.rank), unit_label(r.unit, lang()), f"{r.score:.4f}", *[f"{row[d]:.4f}" for d in dims])
    console.print(table)
    for w in res.manifest["warnings"]:
        console.print(f"[yellow]{t('common.warning', lang())}:[/yellow] ", end="", highlight=False)
        console.print(index_warning(str(w), res, lang()), highlight=False, markup=False)
    counts = diag.counts()
    console.print(
        t("index.cli.diagnostics", lang())
        + ": "
        + ", ".join(f"{t('index.diag.' + k, lang())} {n}" for k, n in counts.items()),
        highlight=False,
    )
    written_names = f"scores{ext}, weights{ext}, manifest.json, diagnostics{ext}"
    console.print(f"{t('index.cli.written', lang())}: {out}/{written_names}")


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
    out: Path = typer.Option(
        None, "--out", help="write the per-period table here; the format follows the extension: .csv, .xlsx, "
        ".dta, .parquet or .tex"
    ),
    top: int = typer.Option(5, help="largest disagreements printed (latest common period)"),
    raw_text: bool = RAW_TEXT,
) -> None:
    """Rank agreement of two scores per period (Spearman, Kendall, Pearson) and the largest disagreements."""
    from nqpf.cli._io import check_table_out

    check_table_out(out)  # a wrong extension fails before any work
    refuse_overwriting_inputs(out, {"A": a if Path(a).exists() else None, "B": b if Path(b).exists() else None})
    from rich.table import Table

    from nqpf.data.tables import write_table
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
def framework_check(
    path: str = typer.Argument(..., help="Framework YAML path or built-in name"),
    data: str = typer.Option(
        None, "--data", help="Data file or dataset name to check the indicators against"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the problems as JSON"),
    units: str = typer.Option("auto", "--units", help="Reading a file: auto | province | none (see nqpf index)"),
) -> None:
    """Validate a framework: structure (parents, cycles, ids, directions, formulas) and, with --data, series."""
    from nqpf.framework import load_framework

    fw = load_framework(path)
    available = None
    if data is not None:
        src, _, ud = _data_arg(data, _units_mode(units, fw))
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
