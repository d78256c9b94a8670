"""``nqpf index``, ``nqpf frameworks`` and ``nqpf framework check``: the composite-index engine on the command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from nqpf.cli._io import FORMAT, RAW_TEXT, folder_format, refuse_overwriting_inputs
from nqpf.cli._options import LIMITS, READING, Reading, grouped
from nqpf.cli.cmd_data import bind_labels, check_series, print_notices
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


def _data_arg(data: str, units: str = "auto", limits: Any = None, **kw):
    """(data for build_index, label, UserData or None): a file read by the one reading rule (pre-scanned under
    ``limits``), else a dataset name. A name that looks like a file (a path or a data-file suffix) but does not
    exist → file not found."""
    from nqpf.cli.cmd_data import read_user_data

    p = Path(data)
    if p.is_file():
        ud = read_user_data(p, units=units, limits=limits, **kw)
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
@grouped
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
        help="Gap filling: none | refuse (both stop at a gap) | linear | carry | linear-carry | group-mean | mean, or a chain "
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
    reading: Reading = READING,
    out: Path = typer.Option(..., "--out", help="Output folder: scores.csv, weights.csv, manifest.json"),
    excel: bool = typer.Option(False, "--excel", help="Also write index.xlsx"),
    top: int = typer.Option(5, help="Rows of the ranking printed"),
    raw_text: bool = RAW_TEXT,
    fmt: str = FORMAT,
    limits: Any = LIMITS,
) -> None:
    """Build a composite index and write scores, weights, the manifest and the diagnostics."""
    ext = folder_format(fmt)  # scores/weights/diagnostics as .csv, .xlsx, .dta, .parquet or .tex
    refuse_overwriting_inputs(out, {"--data": data, "--framework": framework},
                              written=[out / f for f in _index_files(ext)])  # fmt: skip
    steps = {"normalize": normalize, "weights": weights, "weight_scope": weight_scope, "treat": treat,
             "aggregate": aggregate}  # fmt: skip
    numbers = {"base_year": base_year, "ref_unit": ref_unit, "entropy_shift": entropy_shift,
               "minmax_eps": minmax_eps, "ahp_force": ahp_force or None,
               "drop_incomplete_units": drop_incomplete_units or None}  # fmt: skip
    run = _index_inputs(data, framework, impute, reading, limits, numbers)
    res = _build(run, steps, periods)
    res.manifest["data"] = run.label
    res.manifest["cli"] = _cli_record(run, data, framework, impute, periods, steps, res)
    _write_index(res, out, ext, excel, raw_text)
    _print_index(res, top)
    written_names = ", ".join(_index_files(ext)[:4])
    console.print(f"{t('index.cli.written', lang())}: {out}/{written_names}")


def _index_files(ext: str) -> list[str]:
    """The files ``nqpf index`` writes into ``--out`` (``index.xlsx`` only with ``--excel``)."""
    return [f"scores{ext}", f"weights{ext}", "manifest.json", f"diagnostics{ext}", "index.xlsx"]


@dataclass
class IndexRun:
    """What ``nqpf index`` builds from: the framework (labels bound to the file's), the data for
    :func:`nqpf.index.build_index` (a long panel or a dataset name) and its ``label``, the file as read
    (``ud``, None for a dataset), the reading options, the gap filling (``impute_arg`` passed on, ``impute_used``
    the resolved method) and the index options (``opts``)."""

    fw: Any
    src: Any
    label: str
    ud: Any
    read_kw: dict
    impute_arg: str | None
    impute_used: str
    opts: dict


def _index_inputs(data: str, framework: str, impute: str | None, reading: Reading, limits: Any,
                  numbers: dict) -> IndexRun:  # fmt: skip
    """Read: the framework, the data (a file by the one reading rule, under ``limits``, or a dataset name),
    the gap filling and the index options of the flags in ``numbers`` (None = not given)."""
    from nqpf.framework import load_framework

    fw = load_framework(framework)
    src, label, ud = _data_arg(data, _units_mode(reading.units, fw), limits=limits, **reading.kw)
    impute_arg, impute_used = cli_impute(impute, fw)
    opts = {k: v for k, v in numbers.items() if v is not None}
    if ud is not None:
        print_notices(ud, lang())
        fw = bind_labels(fw, ud)
        if ud.groups and "group-mean" in impute_used:
            opts["groups"] = ud.groups
    check_series(fw, src, lang())
    if "ref_unit" in opts:
        opts["ref_unit"] = _resolve_unit_arg(opts["ref_unit"], src)
    return IndexRun(fw, src, label, ud, dict(reading.kw), impute_arg, impute_used, opts)


def _build(run: IndexRun, steps: dict, periods: str | None):
    """Compute: :func:`nqpf.index.build_index` of ``run``; the gap error in command-line terms."""
    import warnings

    from nqpf.index import build_index

    agg = steps["aggregate"]
    with console.status(t("cli.building_index", lang())), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warnings are printed from the manifest
        try:
            return build_index(run.src, run.fw, impute=run.impute_arg, treat=steps["treat"],
                               normalize=steps["normalize"], weights=steps["weights"],
                               weight_scope=steps["weight_scope"], periods=periods,
                               aggregate=None if agg is None else _parse_aggregate(agg), **run.opts)  # fmt: skip
        except DataError as exc:
            raise gap_error(exc, run.impute_used) from None


def _cli_record(run: IndexRun, data: str, framework: str, impute: str | None, periods: str | None,
                steps: dict, res) -> dict:  # fmt: skip
    """The manifest's ``cli`` record (:func:`run_record`), with where the gap filling came from, the last
    period and the index options given, for ``nqpf report --from-run``."""
    rec = run_record(data, framework, run.ud, run.impute_used, periods, run.read_kw)
    rec["impute_source"] = (
        "--impute" if impute is not None else ("framework" if run.impute_arg is None else "command-line default")
    )
    rec["last_period"] = int(res.scores["period"].max())
    rec["index_options"] = {
        **{k: v for k, v in steps.items() if v is not None},
        **{k: v for k, v in run.opts.items() if k != "groups"},
    }
    return rec


def _write_index(res, out: Path, ext: str, excel: bool, raw_text: bool) -> None:
    """Write: scores, weights, diagnostics (``ext``), manifest.json and, with ``excel``, index.xlsx — all or
    nothing (staged beside ``out``, then renamed into it)."""
    from nqpf._util import staged_dir, write_json_atomic
    from nqpf.data.tables import write_table

    with staged_dir(out) as stage:
        scores = res.scores[["unit", "period", "node", "score", "rank"]]
        scores = with_unit_names(scores, lang())  # province codes get their name in the chosen language
        write_table(scores, stage / f"scores{ext}", raw_text=raw_text, manifest=res.manifest)
        weights = res.weights[["node", "parent", "weight", "effective_weight"]]
        write_table(weights, stage / f"weights{ext}", raw_text=raw_text, manifest=res.manifest)
        write_table(with_unit_names(res.diagnostics.flags, lang()), stage / f"diagnostics{ext}",
                    raw_text=raw_text, manifest=res.manifest)  # fmt: skip
        write_json_atomic(stage / "manifest.json", res.manifest)
        if excel:
            res.to_excel(stage / "index.xlsx", lang=lang(), raw_text=raw_text)


def _print_index(res, top: int) -> None:
    """Print: the ``top`` units of the last period with their dimension scores, the warnings, the diagnostics."""
    from rich.table import Table

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
    counts = res.diagnostics.counts()
    console.print(
        t("index.cli.diagnostics", lang())
        + ": "
        + ", ".join(f"{t('index.diag.' + k, lang())} {n}" for k, n in counts.items()),
        highlight=False,
    )


#: commands that moved to :mod:`nqpf.cli.cmd_framework` (still importable from here)
_MOVED = ("compare_cmd", "frameworks_cmd", "framework_app", "framework_check")


def __getattr__(name: str):
    """The commands of :data:`_MOVED`, from :mod:`nqpf.cli.cmd_framework` (module size, issue 18)."""
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module("nqpf.cli.cmd_framework"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
