"""``nqpf datasets``, ``nqpf validate`` and ``nqpf init-framework``: the data layer on the command line, and
:func:`read_user_data`, the one way every command reads a user's file (one unit rule, aggregates excluded)."""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from nqpf.cli._io import refuse_overwriting_inputs
from nqpf.cli._options import (  # noqa: F401  (the help texts are imported from here by other modules)
    HEADER_ROWS_HELP,
    INDICATOR_COL_HELP,
    LIMITS,
    SPECIAL_HELP,
    UNITS_HELP,
    VALUE_COL_HELP,
    grouped,
)
from nqpf.cli.main import app, cli_terms, console, lang
from nqpf.errors import DataError, FrameworkError, Problem, ValidationError
from nqpf.i18n import t

UNITS_OPTION = typer.Option("auto", "--units", help=UNITS_HELP)


@dataclass
class UserData:
    """A user's file as the commands use it: the long panel without aggregate rows, the unit scheme found,
    the indicator labels of a multi-row header (id → full header), units of measure, excluded rows."""

    data: Any
    scheme: str
    file: str
    labels: dict[str, str] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    uoms: dict[str, list[str]] = field(default_factory=dict)
    excluded: dict[str, list[int]] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def groups(self) -> dict[str, str] | None:
        """NBS four regions of province codes (for ``--impute group-mean``); None for other units."""
        if self.scheme != "province":
            return None
        from nqpf.data.units import province

        return {u: province(u).region4 for u in self.data["unit"].astype(str).unique()}


def check_units_option(units: str) -> str:
    if units not in ("auto", "province", "none"):
        raise DataError(t("data.cli.bad_units", lang(), value=units))
    return units


def read_user_data(
    path: str | Path,
    *,
    units: str = "auto",
    sheet: str | None = None,
    encoding: str | None = None,
    unit_col: str | None = None,
    period_col: str | None = None,
    indicator: str | None = None,
    layout: str = "auto",
    special_regions: str | None = None,
    indicator_col: str | None = None,
    value_col: str | None = None,
    header_rows: int | None = None,
    lang_: str | None = None,
    limits: Any = None,
) -> UserData:
    """Read a data file for a command: ``units`` auto/province/none (auto: :func:`nqpf.data.units.detect_scheme`
    on the unit column), aggregate rows (全国, 东部地区 …) excluded and listed in ``excluded``; errors raise
    :class:`ValidationError` in CLI terms (flags, ``nqpf validate``), warnings are returned, never printed.
    ``limits``: the pre-scan limits (:class:`nqpf.data.prescan.Limits`; None = defaults or ``NQPF_MAX_*``)."""
    from nqpf.data.io import load
    from nqpf.data.units import detect_scheme, is_aggregate

    L = lang_ or lang()
    p = Path(path)
    if not p.is_file():
        raise DataError(t("data.cli.no_file", L, path=str(p)))
    check_units_option(units)
    kw = dict(sheet=sheet, encoding=encoding, unit_col=unit_col, period_col=period_col, indicator=indicator,
              layout=layout, lang=L, special_regions=special_regions or "keep", indicator_col=indicator_col,
              value_col=value_col, header_rows=header_rows, limits=limits)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # everything is in the problems, printed by the command
        res = load(p, units="province" if units == "auto" else units, **kw)
        scheme = units
        if units == "auto":
            raw = res.cells["unit_raw"] if res.cells is not None and len(res.cells) else []
            scheme = detect_scheme(raw)
            if scheme == "none":
                res = load(p, units="none", **kw)
    data = res.data
    excluded = _aggregate_rows(res.problems)
    if scheme == "none" and len(data):
        agg = data["unit"].map(is_aggregate).astype(bool)
        if agg.any() and res.cells is not None:
            c = res.cells
            for name, rows in c[c["unit_raw"].map(is_aggregate).astype(bool)].groupby("unit_raw")["row"]:
                excluded[str(name)] = sorted({int(r) for r in rows})
            data = data[~agg.to_numpy()].reset_index(drop=True)
    errs = res.errors
    if errs:
        raise ValidationError(t("data.cli.read_failed", L, file=p.name, n=len(errs), path=str(p)), errs[:20])
    if data is None or not len(data):
        raise DataError(t("data.cli.no_values", L, file=p.name))
    data.attrs["nqpf"] = {"meta": {"file": p.name, "units": scheme}}  # reports name the file, not the folder
    return UserData(
        data=data, scheme=scheme, file=str(p), labels=dict(res.meta.get("indicator_labels") or {}),
        uoms=dict(res.meta.get("units_of_measure") or {}), excluded=excluded,
        columns=[str(i) for i in (res.cells["indicator"].unique() if res.cells is not None else [])
                 if str(i) in set(data["indicator"].astype(str))],
        warnings=[w for w in res.warnings if w.code != "unit_aggregate"],
    )  # fmt: skip


def _aggregate_rows(problems: list[Problem]) -> dict[str, list[int]]:
    """Rows of the national/regional total units (problems ``unit_aggregate``): unit → file rows."""
    excluded: dict[str, list[int]] = {}
    for pr in problems:
        if pr.code == "unit_aggregate" and pr.unit:
            excluded.setdefault(str(pr.unit), []).append(int(pr.row or 0))
    return excluded


def _print_excluded(excluded: dict[str, list], L: str) -> None:
    """One line naming the excluded total units and how many rows each had."""
    if excluded:
        parts = [t("data.cli.excluded_item", L, name=k, n=len(v)) for k, v in excluded.items()]
        console.print(Text(t("data.cli.excluded", L, rows=t("data.cli.list_sep", L).join(parts)), style="yellow"))


def print_notices(ud: UserData, L: str, *, limit: int = 8) -> None:
    """The reading notices of a command: unit scheme, excluded aggregate rows, warnings grouped by kind."""
    console.print(Text(t(f"data.cli.scheme_{ud.scheme}", L), style="dim"))
    _print_excluded(ud.excluded, L)
    if ud.warnings:
        for w in ud.warnings[:limit]:
            console.print(Text(f"{t('common.warning', L)}: {_where(w, L)}: {cli_terms(w.message)}", style="yellow"))
        if len(ud.warnings) > limit:
            console.print(Text(t("data.cli.more_warnings", L, n=len(ud.warnings) - limit, file=Path(ud.file).name)))


def check_series(fw: Any, data: Any, L: str) -> None:
    """Refuse a framework whose series are not in ``data`` (a long panel, Dataset or dataset name) with one
    message in ``L``: the missing series, each with the data's ids closest first (difflib); other structural
    problems are raised by :meth:`Framework.validate` as they are."""
    from nqpf.framework.core import _series_available
    from nqpf.framework.formula import closest_names

    if isinstance(data, str):
        import nqpf.datasets as ds

        if data not in ds.names():
            return
        data = ds.load(data)
    probs = [p for p in fw.problems(data) if p.severity == "error"]
    missing = [p for p in probs if p.code == "missing_series"]
    if not probs:
        return
    if len(missing) < len(probs):
        fw.validate(data)
    have = _series_available(data)
    sep = t("data.cli.list_sep", L)
    lines = []
    for p in missing:
        s = str(p.extra.get("series"))
        near = closest_names(s, have, 5)
        lines.append(t("cli.missing_series_item", L, indicator=p.indicator, series=s, near=sep.join(near)))
    exc = FrameworkError(t("cli.missing_series", L, name=fw.name, n=len(missing), items="; ".join(lines),
                           have=sep.join(sorted(have)[:40]) + (" …" if len(have) > 40 else "")))  # fmt: skip
    raise exc


def bind_labels(fw: Any, ud: UserData) -> Any:
    """The framework with every series named by a column label of the user's file replaced by the column's
    id (:func:`nqpf.framework.formula.bind_to_data`)."""
    from nqpf.framework.formula import bind_to_data

    return bind_to_data(fw, ud.data, ud.labels)


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
@grouped
def validate_cmd(
    path: Path = typer.Argument(..., help="Data file: .csv (UTF-8/GBK), .xlsx, .dta or .parquet."),
    sheet: str | None = typer.Option(
        None, "--sheet", help="Excel sheet name or 0-based number (default: first)."
    ),
    layout: str = typer.Option("auto", "--layout", help="auto | long | wide."),
    units: str = UNITS_OPTION,
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
    special_regions: str = typer.Option("keep", "--special-regions", help=SPECIAL_HELP),
    indicator_col: str | None = typer.Option(None, "--indicator-col", help=INDICATOR_COL_HELP),
    value_col: str | None = typer.Option(None, "--value-col", help=VALUE_COL_HELP),
    header_rows: int | None = typer.Option(None, "--header-rows", help=HEADER_ROWS_HELP),
    limits: Any = LIMITS,
) -> None:
    from nqpf._util import write_json_atomic

    L = lang()
    if not path.is_file():
        raise DataError(t("data.cli.no_file", L, path=str(path)))
    check_units_option(units)
    refuse_overwriting_inputs(json_out, {"PATH": path, "--catalogue": catalogue}, option="--json")
    kw = dict(layout=layout, sheet=sheet, encoding=encoding, unit_col=unit_col, period_col=period_col,
              indicator=indicator, special_regions=special_regions, indicator_col=indicator_col, value_col=value_col,
              header_rows=header_rows, limits=limits)  # fmt: skip
    if units == "auto":
        units = detect_file_scheme(path, **kw)
    rep = _validate(path, catalogue, units, L, kw)
    console.print(Text(t(f"data.cli.scheme_{units}", L), style="dim"))
    _print_excluded(_validation_excluded(rep, units), L)
    _print_problems(rep.problems, show_all, L)
    _print_coverage(rep.coverage, L)
    _print_summary(rep, path, L)
    if json_out is not None:
        write_json_atomic(json_out, rep.to_dict())
        console.print(Text(t("data.cli.json_written", L, path=str(json_out))))
    if rep.errors:
        console.print(Text(t("data.cli.failed", L), style="bold red"))
        raise typer.Exit(code=1)
    console.print(Text(t("data.cli.ok", L), style="green"))


def _validate(path: Path, catalogue: Path | None, units: str, L: str, kw: dict):
    """:func:`nqpf.data.validate.validate` of ``path`` with the reading options ``kw``; its warnings are in
    the report, none printed."""
    from nqpf.data.validate import validate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return validate(path, catalogue=catalogue, units=units, lang=L, **kw)


def _validation_excluded(rep, units: str) -> dict[str, list]:
    """The total units (全国 …) of a validation: their file rows, or, without a unit scheme, their periods."""
    excluded: dict[str, list] = dict(_aggregate_rows(rep.problems))
    if units == "none" and rep.data is not None and len(rep.data):
        from nqpf.data.units import is_aggregate

        for u in rep.data["unit"].astype(str).unique():
            if is_aggregate(u):
                excluded[u] = sorted(set(rep.data.loc[rep.data["unit"].astype(str) == u, "period"]))
    return excluded


def _print_problems(problems: list[Problem], show_all: bool, L: str) -> None:
    """The problems, errors first then by row (the first 200 unless ``show_all``); total rows left out."""
    shown = [p for p in problems if p.code != "unit_aggregate"]
    probs = sorted(shown, key=lambda p: (p.severity != "error", p.row if p.row is not None else 10**9))
    limit = len(probs) if show_all else 200
    if not probs:
        return
    table = Table(title=t("data.cli.problems", L), show_lines=True)
    table.add_column(t("data.cli.severity", L), no_wrap=True)
    table.add_column(t("data.cli.message", L), overflow="fold")
    for p in probs[:limit]:
        style = "bold red" if p.severity == "error" else "yellow"
        left = Text(t(f"data.cli.{p.severity}", L), style=style)
        left.append("\n" + p.code, style="dim")
        right = Text(_where(p, L), style="bold")
        right.append("\n" + cli_terms(p.message))
        table.add_row(left, right)
    console.print(table)
    if len(probs) > limit:
        console.print(Text(t("data.cli.more", L, n=len(probs) - limit)))


def _print_coverage(cov, L: str) -> None:
    """Share of values present per indicator (rows, at most 60) and period (the last 16 columns)."""
    if cov is None or cov.empty:
        return
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


def _print_summary(rep, path: Path, L: str) -> None:
    """One line: the file, errors, warnings, values, indicators, units and the period range."""
    data = rep.data
    if data is not None and len(data):
        periods = f"{int(data['period'].min())}–{int(data['period'].max())}"
        n, k, u = int(data["value"].notna().sum()), data["indicator"].nunique(), data["unit"].nunique()
    else:
        periods, n, k, u = "-", 0, 0, 0
    console.print(Text(t("data.cli.summary", L, file=path.name, errors=len(rep.errors), warnings=len(rep.warnings),
                         n=n, k=k, u=u, periods=periods)))  # fmt: skip


def detect_file_scheme(path: Path, **kw: Any) -> str:
    """``province`` or ``none`` for a file, by :func:`nqpf.data.units.detect_scheme` on its unit column."""
    from nqpf.data.io import load
    from nqpf.data.units import detect_scheme

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = load(path, units="province", **kw)
    except DataError:
        return "province"  # unreadable: the validation reports why
    raw = res.cells["unit_raw"] if res.cells is not None and len(res.cells) else []
    return detect_scheme(raw)


def _where(p, L: str) -> str:
    """Localised location: file, row, column, unit, indicator (only those known)."""
    from nqpf.data.units import unit_label

    parts = []
    for key in ("file", "row", "column", "unit", "indicator"):
        v = getattr(p, key)
        if v is not None and v != "":
            parts.append(f"{t(f'data.where.{key}', L)} {unit_label(v, L) if key == 'unit' else v}")
    return ", ".join(parts) or "-"


def _pct(v: float) -> Text:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return Text("-")
    style = "green" if v >= 0.95 else ("yellow" if v >= 0.5 else "red")
    return Text(f"{100 * v:.0f}%", style=style)


# ------------------------------------------------------------------------------------------------ init-framework
# Names that usually mean "less is better" (costs, pollution, accidents, inequality); everything else is
# guessed +1. A guess only: every direction in the starter YAML is marked for review.
_NEGATIVE = re.compile(
    r"能耗|能源消费|耗能|耗电|耗水|排放|污染|二氧化碳|二氧化硫|碳强度|废水|废气|固废|粉尘|烟尘|氮氧化物|化学需氧量|氨氮|"
    r"PM2\.?5|PM10|失业|事故|死亡|贫困|不良|赤字|债务|负债|逆差|差距|基尼|泰尔|成本|亏损|价格指数|通胀|拥堵|"
    r"emission|pollut|co2|so2|nox|energy.?consum|energy.?intens|unemploy|accident|death|poverty|cost|loss|"
    r"debt|deficit|gini|theil|inequal",
    re.I,
)
_ID_LIKE = re.compile(r"(代码|编码|编号|序号|code|^id$|_id$|^no\.?$|^name|名称$|简称$)", re.I)


def guess_direction(name: str) -> int:
    """+1 (more is better) or −1 (less is better: energy use, emissions, pollution, unemployment, costs …)
    guessed from an indicator's name or label; a guess to review, not a rule."""
    return -1 if _NEGATIVE.search(str(name)) else 1


def _yaml_str(s: str) -> str:
    """A YAML double-quoted scalar."""
    return json.dumps(str(s), ensure_ascii=False)  # JSON strings are YAML double-quoted scalars


def starter_framework(ud: UserData, name: str, L: str) -> str:
    """YAML text of a starter framework for the indicators of ``ud``: one dimension per upper header of a
    multi-row header (others under one dimension), one leaf per column (id = the column id), directions
    guessed from the names (:func:`guess_direction`) and marked ``# REVIEW``."""
    inds = [i for i in (ud.columns or ud.data["indicator"].astype(str).unique()) if not _ID_LIKE.search(str(i))]
    groups: dict[str, list[str]] = {}
    for i in inds:
        lab = ud.labels.get(i, "")
        upper = lab.split("|")[0].strip() if "|" in lab else ""
        from nqpf.data.io import column_slug

        groups.setdefault(column_slug([upper]) if upper else "", []).append(i)
    other = t("data.init.other_dim", L)
    lines = [
        f"# {t('data.init.head1', L, file=Path(ud.file).name)}",
        f"# {t('data.init.head2', L)}",
        f"# {t('data.init.head3', L)}",
        f"name: {_yaml_str(name)}",
        f"title_zh: {_yaml_str(name + ' 综合指数')}",
        f"title_en: {_yaml_str(name + ' composite index')}",
        "nodes:",
        f"  - {{id: index, label_zh: {_yaml_str('综合指数')}, label_en: {_yaml_str('Composite index')}}}",
    ]
    used = set(inds) | {"index"}
    for g, members in groups.items():
        parent = "index"
        if len(groups) > 1 or g:
            gid = g or other
            while gid in used:
                gid += "_"
            used.add(gid)
            lines.append(f"  - {{id: {_yaml_str(gid)}, parent: index, label_zh: {_yaml_str(g or '其他指标')}, "
                         f"label_en: {_yaml_str(g or 'Other indicators')}}}")  # fmt: skip
            parent = gid
        for i in members:
            d = guess_direction(i + " " + ud.labels.get(i, ""))
            uom = ", ".join(ud.uoms.get(i, []))
            lines.append(f"  - id: {_yaml_str(i)}")
            lines.append(f"    parent: {_yaml_str(parent)}")
            lines.append(f"    label_zh: {_yaml_str(i)}")
            lines.append(f"    label_en: {_yaml_str(i)}")
            if ud.labels.get(i):
                lines.append(f"    # {t('data.init.header', L)}: {ud.labels[i]}")
            lines.append(f"    direction: {d}  # REVIEW: {t('data.init.guess_pos' if d > 0 else 'data.init.guess_neg', L)}")
            if uom:
                lines.append(f"    unit: {_yaml_str(uom)}")
    return "\n".join(lines) + "\n"


@app.command("init-framework", help="Write a starter framework YAML from a data file's columns (directions "
             "guessed from the names and marked REVIEW); refuses to overwrite without --force.")  # fmt: skip
@grouped
def init_framework_cmd(
    path: Path = typer.Argument(..., help="Data file: .csv (UTF-8/GBK), .xlsx, .dta or .parquet."),
    out: Path = typer.Option(None, "--out", help="YAML file to write (default: <data file name>.yaml)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --out file."),
    name: str = typer.Option(None, "--name", help="Framework name (default: the data file's name)."),
    sheet: str | None = typer.Option(None, "--sheet", help="Excel sheet name or 0-based number (default: first)."),
    units: str = UNITS_OPTION,
    encoding: str | None = typer.Option(None, "--encoding", help="Text encoding of a CSV (default: detect)."),
    unit_col: str | None = typer.Option(None, "--unit-col", help="Name of the unit (province) column."),
    period_col: str | None = typer.Option(None, "--period-col", help="Name of the period (year) column."),
    limits: Any = LIMITS,
) -> None:
    from nqpf._util import atomic_path
    from nqpf.framework import load_framework

    L = lang()
    out = out or path.with_suffix(".yaml")
    refuse_overwriting_inputs(out, {"PATH": path})
    if out.exists() and not force:
        raise DataError(t("data.init.exists", L, path=str(out)))
    ud = read_user_data(path, units=units, sheet=sheet, encoding=encoding, unit_col=unit_col,
                        period_col=period_col, limits=limits)  # fmt: skip
    print_notices(ud, L)
    text = starter_framework(ud, name or path.stem, L)
    fw = load_framework(__import__("yaml").safe_load(text))
    fw.validate(ud.data)  # the starter must load and fit the data it was made from
    with atomic_path(out) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    n_neg = sum(1 for leaf in fw.leaves if fw.direction(leaf) < 0)
    console.print(Text(t("data.init.written", L, path=str(out), n=len(fw.leaves), neg=n_neg)))
