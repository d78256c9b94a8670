"""``nqpf tfp growth|world|digital|firm`` and ``nqpf sfa``: growth accounting, SFA and firm-level TFP."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from nqpf.cli._io import (
    FORMAT,
    RAW_TEXT,
    TABLE_OUT_HELP,
    check_table_out,
    folder_format,
    keep_key_names,
    match_key_types,
    refuse_overwriting_inputs,
    sidecar_table,
)
from nqpf.cli._options import LIMITS, check_size, grouped
from nqpf.cli.cmd_productivity import stata_labels
from nqpf.cli.main import app, console, lang
from nqpf.errors import DataError, MethodError
from nqpf.i18n import t

if TYPE_CHECKING:  # pandas loads inside the commands, so that ``--help`` starts fast
    import pandas as pd


def write_json_atomic(path: Path, obj: object) -> Path:
    """:func:`nqpf._util.write_json_atomic`, imported on first use (``nqpf._util`` loads pandas)."""
    from nqpf._util import write_json_atomic as write

    return write(path, obj)


tfp_app = typer.Typer(
    help="Total factor productivity: growth accounting, PWT comparison, ICT contribution, firm TFP.",
    no_args_is_help=True,
)
app.add_typer(tfp_app, name="tfp")

FOCUS = "CHN,USA,DEU,JPN"


def _split(v: str | None) -> list[str]:
    return [c.strip() for c in v.split(",") if c.strip()] if v else []


def _read(path: Path, limits: Any = None) -> pd.DataFrame:
    """The table at ``path`` (CSV/XLSX/DTA/Parquet; names nqpf mapped for Stata come back), pre-scanned under
    ``limits`` first (:func:`nqpf.cli._options.check_size`)."""
    from nqpf.data.tables import read_table

    check_size(path, limits)
    return read_table(path)


def _dataset(name: str) -> pd.DataFrame:
    from nqpf import datasets

    if name not in datasets.names():
        raise DataError(
            f"embedded dataset {name!r} is not installed; build it with "
            f"`python scripts/build_datasets.py --only {name}` (needs ../shared/data/raw)"
        )
    return datasets.load(name).data


def _sidecar(out: Path, suffix: str) -> Path:
    return out.with_name(f"{out.stem}_{suffix}")


def _sidecars(out: Path) -> list[Path]:
    """The parameter table (same format as ``out``) and manifest written beside ``out`` (firm TFP, SFA)."""
    return [sidecar_table(out, "params"), _sidecar(out, "manifest.json")]


def _write(df: pd.DataFrame, path: Path, raw_text: bool, manifest: dict | None = None) -> Path:
    """One table, its format by ``path``'s extension (:func:`nqpf.data.tables.write_table`); a .dta gets the
    catalogue's column labels as variable labels (:func:`nqpf.cli.cmd_productivity.stata_labels`)."""
    from nqpf.data.tables import write_table

    labels = stata_labels(df, path)
    return write_table(df, path, raw_text=raw_text, manifest=manifest, option="--out", labels=labels)


def _show(df: pd.DataFrame, title: str, digits: int = 4) -> None:
    tab = Table(title=title, show_lines=False)
    for c in df.columns:
        tab.add_column(str(c))
    for row in df.itertuples(index=False):
        tab.add_row(*[f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row])
    console.print(tab)


@tfp_app.command(
    "growth", help="Growth accounting (Solow residual / Törnqvist) on a panel file or the world dataset."
)
@grouped
def growth_cmd(
    data: str = typer.Option(
        ..., "--data", help="Data file (CSV/XLSX/DTA/Parquet, wide or long) or 'world'."
    ),
    out: Path = typer.Option(
        ..., "--out", help="Output table (--id, --period, contributions, tfp_growth, tfp_index). " + TABLE_OUT_HELP
    ),
    output: str = typer.Option(..., "--output", help="Output column (e.g. rgdpna)."),
    capital: str = typer.Option(..., "--capital", help="Capital column (e.g. rkna)."),
    labour: str = typer.Option(..., "--labour", help="Labour column (persons, e.g. emp)."),
    id_col: str = typer.Option("unit", "--id", help="Unit column."),
    period: str = typer.Option("period", "--period", help="Period (year) column."),
    hc: str = typer.Option(None, "--hc", help="Human-capital index column (e.g. hc)."),
    hours: str = typer.Option(None, "--hours", help="Average hours column (e.g. avh)."),
    share_col: str = typer.Option(None, "--share-col", help="Labour-share column (e.g. labsh)."),
    labour_share: float = typer.Option(None, "--labour-share", help="Constant labour share in (0, 1)."),
    method: str = typer.Option("tornqvist", "--method", help="tornqvist | solow"),
    countries: str = typer.Option(None, "--countries", help="Keep only these units (comma separated)."),
    raw_text: bool = RAW_TEXT,
    limits: Any = LIMITS,
) -> None:
    from nqpf.productivity.growth import growth_accounting

    check_table_out(out)
    if data != "world":
        refuse_overwriting_inputs(out, {"--data": data}, written=[_sidecar(out, "manifest.json")])
    if data == "world":
        df, id_col, period = _dataset("world"), "unit", "period"
    else:
        df = _read(Path(data), limits)
    keep = _split(countries)
    if keep:
        df = df[df[id_col if id_col in df.columns else "unit"].astype(str).isin(keep)]
        if df.empty:
            raise DataError(f"--countries {countries}: none of these units is in the data")
    res = growth_accounting(df, output=output, capital=capital, labour=labour, hc=hc, hours=hours, share=share_col,
                            labour_share=labour_share, method=method, unit=id_col, period=period)  # fmt: skip
    table = match_key_types(keep_key_names(res.table, {"unit": id_col, "period": period}), df, {id_col: id_col})
    _write(table, out, raw_text, res.manifest)
    write_json_atomic(_sidecar(out, "manifest.json"), res.manifest)
    console.print(t("tfp.cli.written", lang(), path=str(out), rows=len(res.table)))


@tfp_app.command(
    "world", help="TFP growth of CHN/USA/DEU/JPN vs PWT rtfpna, and ctfp levels (USA = 1), from `world`."
)
def world_cmd(
    out: Path = typer.Option(..., "--out", help="Output folder."),
    countries: str = typer.Option(FOCUS, "--countries", help="ISO-3 codes, comma separated."),
    fmt: str = FORMAT,
    raw_text: bool = RAW_TEXT,
) -> None:
    from nqpf.productivity.growth import compare_with_pwt, ctfp_levels

    ext = folder_format(fmt)
    codes = _split(countries)
    if "CHN" not in codes:
        codes = ["CHN", *codes]
    world = _dataset("world")
    by_year, summary = compare_with_pwt(world, codes)
    lv = ctfp_levels(world, codes, (2002, 2019))
    lv17 = ctfp_levels(world, codes, (2002, 2017))
    out.mkdir(parents=True, exist_ok=True)
    _write(by_year, out / f"tfp_growth_vs_pwt{ext}", raw_text)
    _write(summary, out / f"tfp_growth_summary{ext}", raw_text)
    _write(lv, out / f"ctfp_2002_2019{ext}", raw_text)
    _write(lv17, out / f"ctfp_2002_2017{ext}", raw_text)
    write_json_atomic(
        out / "manifest.json",
        {
            "countries": codes,
            "inputs": "rgdpna, rkna, emp*avh*hc, labsh (Törnqvist), as PWT's rtfpna",
            "theory_check": "seed 003 §4.1: CHN ctfp 0.36 (2002) -> 0.44 (2023); PWT 10.01 ends 2019",
        },
    )
    _show(summary, t("tfp.world.summary", lang()), digits=6)
    _show(lv, t("tfp.world.levels", lang()))
    console.print(t("tfp.world.caveat", lang()))
    console.print(t("tfp.cli.written_dir", lang(), path=str(out)))


@tfp_app.command(
    "digital",
    help="Domar-weighted contribution of ICT-producing industries (CIP 21, 30 [+22]) to TFP growth.",
)
def digital_cmd(
    out: Path = typer.Option(
        ..., "--out", help="Output table (by year); <stem>_periods.<ext> beside it. " + TABLE_OUT_HELP
    ),
    include_22: bool = typer.Option(
        False, "--include-22", help="Count CIP22 (instruments, office equipment) as ICT."
    ),
    raw_text: bool = RAW_TEXT,
) -> None:
    from nqpf.productivity.klems import ICT_CORE, ict_share

    check_table_out(out)
    ict = (*ICT_CORE, "CIP22") if include_22 else ICT_CORE
    by_year, by_period = ict_share(_dataset("cn_industries"), ict=ict)
    _write(by_year, out, raw_text)
    _write(by_period, sidecar_table(out, "periods"), raw_text)
    write_json_atomic(
        _sidecar(out, "manifest.json"),
        {
            "ict_industries": list(ict),
            "source": "CIP 4.0 (2023), 1987-2017",
            "theory_check": "seed 003 §4.1: digital economy 33.2 % of TFP growth in 2012 (CAICT; different concept)",
        },
    )
    _show(by_period, t("tfp.digital.periods", lang()), digits=4)
    console.print(t("tfp.digital.caveat", lang()))
    console.print(t("tfp.cli.written", lang(), path=str(out), rows=len(by_year)))


@tfp_app.command("firm", help="Firm-level TFP: OLS, FE, Olley-Pakes, Levinsohn-Petrin, Ackerberg-Caves-Frazer.")
@grouped
def firm_cmd(
    data: Path = typer.Option(..., "--data", help="Firm panel file (wide: one row per firm-year)."),
    out: Path = typer.Option(
        ..., "--out", help="Output table (--id, --period, ln_tfp); <stem>_params.<ext> beside it. " + TABLE_OUT_HELP
    ),
    id_col: str = typer.Option(..., "--id", help="Firm id column."),
    period: str = typer.Option(..., "--period", help="Year column."),
    output: str = typer.Option(..., "--output", help="Value added (levels; logs are taken)."),
    capital: str = typer.Option(..., "--capital", help="Capital (levels)."),
    labour: str = typer.Option(..., "--labour", help="Labour (levels)."),
    method: str = typer.Option("acf", "--method", help="ols | fe | op | lp | acf"),
    proxy: str = typer.Option(None, "--proxy", help="Investment (op) or intermediate inputs (lp, acf)."),
    bootstrap: int = typer.Option(0, "--bootstrap", help="Bootstrap replications (firm clusters)."),
    seed: int = typer.Option(None, "--seed", help="Seed for the bootstrap."),
    raw_text: bool = RAW_TEXT,
    limits: Any = LIMITS,
) -> None:
    from nqpf.productivity.firm_tfp import firm_tfp

    check_table_out(out)
    refuse_overwriting_inputs(out, {"--data": data}, written=_sidecars(out))
    src = _read(data, limits)
    res = firm_tfp(src, output=output, capital=capital, labour=labour, unit=id_col, period=period, method=method,
                   proxy=proxy, bootstrap=bootstrap, seed=seed)  # fmt: skip
    tab = match_key_types(keep_key_names(res.tfp, {"unit": id_col, "period": period}), src, {id_col: id_col})
    _write(tab, out, raw_text, res.manifest)
    _write(res.params, sidecar_table(out, "params"), raw_text, res.manifest)
    write_json_atomic(_sidecar(out, "manifest.json"), res.manifest)
    _show(res.params, t("tfp.firm.params", lang()))
    console.print(t("tfp.cli.written", lang(), path=str(out), rows=len(res.tfp)))


@app.command(
    "sfa", help="Stochastic frontier (Cobb-Douglas/translog; half/truncated normal; pooled, BC92, BC95)."
)
@grouped
def sfa_cmd(
    data: Path = typer.Option(..., "--data", help="Data file (wide: one row per unit-period)."),
    out: Path = typer.Option(
        ..., "--out", help="Output table (--id, --period, efficiency); <stem>_params.<ext> + manifest beside it. "
        + TABLE_OUT_HELP
    ),
    output: str = typer.Option(..., "--output", help="Output column (levels; logs are taken)."),
    inputs: str = typer.Option(..., "--inputs", help="Input columns, comma separated."),
    id_col: str = typer.Option(None, "--id", help="Unit column (needed for bc92/bc95)."),
    period: str = typer.Option(None, "--period", help="Period column (needed for bc92/bc95)."),
    form: str = typer.Option("cd", "--form", help="cd | translog"),
    dist: str = typer.Option("half-normal", "--dist", help="half-normal | truncated-normal"),
    model: str = typer.Option("pooled", "--model", help="pooled | bc92 | bc95"),
    z: str = typer.Option(None, "--z", help="Inefficiency determinants for bc95, comma separated."),
    cost: bool = typer.Option(False, "--cost", help="Cost frontier (u raises cost)."),
    eta: bool = typer.Option(
        True, "--eta/--no-eta", help="bc92: time-varying inefficiency (η); --no-eta = time-invariant."
    ),
    raw_text: bool = RAW_TEXT,
    limits: Any = LIMITS,
) -> None:
    from nqpf.productivity.sfa import sfa

    check_table_out(out)
    refuse_overwriting_inputs(out, {"--data": data}, written=_sidecars(out))
    xs = _split(inputs)
    if not xs:
        raise MethodError("--inputs: give at least one input column")
    src = _read(data, limits)
    res = sfa(src, output=output, inputs=xs, unit=id_col, period=period, form=form, dist=dist, model=model,
              z=_split(z) or None, cost=cost, eta=eta)
    eff = res.efficiencies.rename(columns={"efficiency_bc": "efficiency"})
    cols = ["unit", "period", "efficiency", "efficiency_jlms", "u_jlms", "residual"]
    tab = keep_key_names(eff[cols], {"unit": id_col, "period": period})
    _write(match_key_types(tab, src, {id_col: id_col}) if id_col else tab, out, raw_text, res.manifest)
    _write(res.params, sidecar_table(out, "params"), raw_text, res.manifest)
    write_json_atomic(_sidecar(out, "manifest.json"), res.manifest)
    _show(res.summary_table(), t("tfp.sfa.summary", lang()))
    console.print(t("tfp.cli.written", lang(), path=str(out), rows=len(eff)))


# ------------------------------------------------------------------------ named measures (productivity/recipes.py)
@tfp_app.command(
    "provinces",
    help="Provincial green TFP (GML) as defined once in nqpf.productivity.recipes; --measure picks the variant.",
)
def provinces_cmd(
    out: Path = typer.Option(
        ...,
        "--out",
        help="Output table (unit, period, tfpch, effch, techch, cumulative); <stem>_summary.<ext> + manifest "
        "beside it. " + TABLE_OUT_HELP,
    ),
    measure: str = typer.Option(
        "provincial_green_tfp",
        "--measure",
        help="provincial_green_tfp (2011-2019) | provincial_green_tfp_urban_labour (2011-2022) | "
        "industrial_green_tfp (2011-2022) | industrial_green_tfp_nominal (2011-2023)",
    ),
    raw_text: bool = RAW_TEXT,
) -> None:
    from nqpf.productivity import recipes

    check_table_out(out)
    rec = recipes.get(measure)
    _dataset(rec.dataset)
    res = rec.compute()
    summ = rec.summary(res)
    man = res.attrs["manifest"]
    cols = ["unit", "period_from", "period", "tfpch", "effch", "techch", "cum_tfpch", "cum_effch", "cum_techch",
            "status", "reason"]
    table = res[[c for c in cols if c in res.columns]]
    _write(table, out, raw_text, man)
    _write(summ, sidecar_table(out, "summary"), raw_text, man)
    note = rec.note(lang(), res)
    write_json_atomic(_sidecar(out, "manifest.json"), {**man, "label": rec.label(lang()), "note": note})
    names = rec.unit_names(lang())
    _show(summ.head(10).assign(unit=summ["unit"].map(lambda u: names.get(u, u))), rec.label(lang()))
    console.print(note)
    console.print(t("tfp.cli.written", lang(), path=str(out), rows=len(res)))
