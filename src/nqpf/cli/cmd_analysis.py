"""``nqpf analyze …``: inequality, distribution dynamics, convergence, spatial statistics, coupling
coordination, obstacle degree and forecasts on a table (CSV/XLSX/DTA/Parquet) — each writes one tidy table
whose format follows ``--out``'s extension (.csv, .xlsx, .dta, .parquet, .tex; :mod:`nqpf.data.tables`).

Input tables: any flat table whose columns you name (``--value``, ``--group``, ``--unit``, ``--period``).
A long panel (``unit, period, indicator, value``) also works: ``--value`` then names an indicator.
``--groups FILE`` adds a group column from a separate table keyed by ``unit``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from nqpf.cli._io import RAW_TEXT, TABLE_OUT_HELP, check_table_out, refuse_overwriting_inputs
from nqpf.cli.main import app, console, lang
from nqpf.errors import DataError, MethodError
from nqpf.i18n import t

if TYPE_CHECKING:  # pandas and the analysis layer load inside the commands, so that ``--help`` starts fast
    import pandas as pd

analyze = typer.Typer(
    help="Inequality, convergence, spatial, coupling, obstacle and forecast analyses.", no_args_is_help=True
)
app.add_typer(analyze, name="analyze")

LONG = ["unit", "period", "indicator", "value"]


def read_frame(path: Path) -> pd.DataFrame:
    """Read a flat table; text columns stay text (codes keep leading zeros), numbers are converted later."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "no such file", str(path))
    suf = path.suffix.lower()
    if suf in (".csv", ".txt", ".tsv"):
        try:
            from nqpf.data.io import decode_bytes

            text, _ = decode_bytes(path.read_bytes(), source=str(path))
        except ImportError:
            text = path.read_text(encoding="utf-8-sig")
        import io

        sep = "\t" if suf == ".tsv" else ","
        return pd.read_csv(io.StringIO(text), dtype=str, sep=sep, keep_default_na=True)
    if suf in (".xlsx", ".xls"):
        return pd.read_excel(path, dtype=str)
    if suf == ".parquet":
        return pd.read_parquet(path)
    if suf == ".dta":
        from nqpf.data.tables import read_stata

        return read_stata(path)  # names nqpf mapped for Stata come back as they were
    raise DataError(f"{path}: unsupported file type {suf!r}; use .csv, .xlsx, .dta or .parquet")


def _numeric_period(df: pd.DataFrame, period: str | None) -> pd.DataFrame:
    import pandas as pd

    if period and period in df.columns:
        p = pd.to_numeric(df[period], errors="coerce")
        if p.notna().all():
            df = df.assign(**{period: p.astype("int64") if (p == p.round()).all() else p})
    return df


def load_input(
    path: Path,
    value: str | None = None,
    *,
    groups: Path | None = None,
    unit: str = "unit",
    period: str | None = "period",
    unique: bool = False,
) -> pd.DataFrame:
    """The input table; a long panel is widened when ``value`` names an indicator; ``groups`` merged on unit.

    ``unique``: refuse repeated (unit, period) rows — unit alone for a table without period column —
    naming the unit, period and file rows (:func:`require_unique_rows`)."""
    df = read_frame(path)
    if value and value not in df.columns and all(c in df.columns for c in LONG):
        inds = sorted(df["indicator"].astype(str).unique())
        if value not in inds:
            raise DataError(f"{path}: no column or indicator {value!r}; indicators: {inds[:20]}")
        df = (
            df[df["indicator"].astype(str) == value]
            .rename(columns={"value": value})
            .drop(columns="indicator")
        )
    df = _numeric_period(df, period)
    if unique:
        require_unique_rows(df, path, unit, period)
    if groups is not None:
        g = read_frame(groups)
        if unit not in g.columns:
            raise DataError(f"{groups}: needs a column {unit!r} to join the groups on")
        missing = sorted(set(df[unit].astype(str)) - set(g[unit].astype(str)))
        if missing:
            raise DataError(f"{groups}: no group for unit(s) {missing[:20]}; add them to the groups file")
        df = df.merge(g, on=unit, how="left", suffixes=("", "_grp"))
    return df


def _period_names() -> tuple[str, ...]:
    """Period-like column names: the library's rule (nqpf.analysis._common.unit_period_keys)."""
    from nqpf.analysis._common import PERIOD_LIKE

    return PERIOD_LIKE


def require_unique_rows(
    df: pd.DataFrame,
    path: Path,
    unit: str | None = None,
    period: str | None = None,
    *,
    keys: list[str] | None = None,
) -> None:
    """One row per unit and period, like the index: a repeated pair would count a unit twice.

    Without ``period`` the table must be a cross-section (one row per unit) unless it has a period-like
    column (period, year, 年份 …), i.e. a deliberately pooled panel; no unit column → nothing to check.
    ``keys`` checks those columns instead. Raises :class:`DataError` naming the values and file rows."""
    import pandas as pd

    from nqpf.data.panel import check_unique

    labels = None
    if keys is None:
        if unit is None or unit not in df.columns:
            return
        if period is None and any(c in df.columns for c in _period_names()):
            return
        keys = [unit] + ([period] if period else [])
        labels = ["unit", "period"][: len(keys)]
    if not keys:
        return
    offset = 1 if Path(path).suffix.lower() == ".parquet" else 2  # spreadsheet row: the header is row 1
    per = next((k for k in keys if k == period or k in _period_names()), None)
    check_unique(
        _numeric_period(df, per),
        keys,
        name=str(path),
        labels=labels,
        rows=pd.Series(df.index + offset, index=df.index),
    )


def _write(out: Path, res: pd.DataFrame, raw_text: bool = False) -> None:
    from nqpf.data.tables import write_table

    write_table(res, out, raw_text=raw_text, option="--out")
    console.print(t("analysis.cli.written", lang(), path=str(out), rows=len(res)))


def _guard(out: Path, data: Path, inputs: dict[str, Path | str | None] | None = None) -> None:
    """Refuse an ``--out`` that is the ``--data`` file or another input (``--groups``, a weights table, the
    GeoJSON of a ``geojson:<path>:<field>`` weights spec), before reading anything."""
    check_table_out(out)
    named: dict[str, Path | str | None] = {"--data": data}
    for opt, v in (inputs or {}).items():
        if isinstance(v, str) and v.startswith("geojson:"):
            v = v.split(":", 2)[1]
        elif isinstance(v, str):
            continue  # a weights spec such as contiguity or economic:<column>, not a file
        named[opt] = v
    refuse_overwriting_inputs(out, named)


def _weights(spec: str, units: list[str], data: pd.DataFrame | None = None, unit: str = "unit"):
    """``contiguity`` | ``contiguity-island`` | ``distance`` | ``economic:<column>`` | ``geojson:<path>:<id field>``."""
    from nqpf.analysis import spatial

    if spec == "contiguity":
        return spatial.contiguity_weights(units)
    if spec == "contiguity-island":
        return spatial.contiguity_weights(units, hainan=None)
    if spec == "distance":
        return spatial.distance_weights(units)
    if spec.startswith("economic:"):
        return spatial.economic_weights(data, spec.split(":", 1)[1], unit)
    if spec.startswith("geojson:"):
        _, p, field = spec.split(":", 2)
        w = spatial.weights_from_geojson(p, field)
        keep = [u for u in w.id_order if u in set(units)]
        unknown = sorted(set(units) - set(map(str, w.id_order)))
        if unknown:
            raise DataError(f"{p}: unit(s) {unknown} have no polygon (property {field!r})")
        from libpysal.weights import w_subset

        ws = w_subset(w, keep)
        ws.transform = "r"
        return ws
    raise MethodError(
        f"--weights: unknown spec {spec!r}; use contiguity, contiguity-island, distance, "
        "economic:<column> or geojson:<path>:<id field>"
    )


DATA = typer.Option(..., "--data", exists=False, help="Input table (.csv/.xlsx/.parquet).")
OUT = typer.Option(..., "--out", help=TABLE_OUT_HELP)


@analyze.command("dagum")
def dagum_cmd(
    data: Path = DATA,
    value: str = typer.Option(..., "--value"),
    group: str = typer.Option(..., "--group"),
    period: str | None = typer.Option(None, "--period"),
    weight: str | None = typer.Option(None, "--weight"),
    unit: str | None = typer.Option(None, "--unit"),
    groups: Path | None = typer.Option(None, "--groups"),
    out: Path = OUT,
    raw_text: bool = RAW_TEXT,
) -> None:
    """Dagum (1997) Gini decomposition → period, component, value."""
    _guard(out, data, {"--groups": groups})
    from nqpf.analysis.inequality import dagum

    df = load_input(data, value, groups=groups, unit=unit or "unit", period=period, unique=True)
    _write(out, dagum(df, value, group, period, weight, unit=unit), raw_text)


@analyze.command("theil")
def theil_cmd(
    data: Path = DATA,
    value: str = typer.Option(..., "--value"),
    group: str | None = typer.Option(None, "--group"),
    period: str | None = typer.Option(None, "--period"),
    weight: str | None = typer.Option(None, "--weight"),
    measure: str = typer.Option("T", "--measure", help="T (GE(1)) or L (mean log deviation)"),
    unit: str | None = typer.Option(None, "--unit"),
    groups: Path | None = typer.Option(None, "--groups"),
    out: Path = OUT,
    raw_text: bool = RAW_TEXT,
) -> None:
    """Theil T or L with between/within decomposition → period, measure, component, value."""
    _guard(out, data, {"--groups": groups})
    from nqpf.analysis.inequality import theil

    df = load_input(data, value, groups=groups, unit=unit or "unit", period=period, unique=True)
    _write(out, theil(df, value, group, period, weight, measure=measure, unit=unit), raw_text)


@analyze.command("coupling")
def coupling_cmd(
    data: Path = DATA,
    systems: str = typer.Option(..., "--systems", help="Comma-separated subsystem columns"),
    weights: str | None = typer.Option(None, "--weights", help="Comma-separated α_i summing to 1"),
    variant: str = typer.Option("standard", "--variant", help="standard | adjusted"),
    ids: str | None = typer.Option(None, "--id", help="Comma-separated id columns (default: all others)"),
    out: Path = OUT,
    raw_text: bool = RAW_TEXT,
) -> None:
    """Coupling coordination → id columns, C, T, D, grade_level, grade."""
    _guard(out, data)
    from nqpf.analysis.coupling import coupling

    df = read_frame(data)
    sys_ = [s.strip() for s in systems.split(",") if s.strip()]
    try:
        alpha = [float(x) for x in weights.split(",")] if weights else None
    except ValueError:
        raise MethodError(f"--weights: {weights!r} is not a comma-separated list of numbers") from None
    id_cols = [s.strip() for s in ids.split(",")] if ids else None
    if id_cols:  # one row per id combination (e.g. unit and period)
        require_unique_rows(df, data, keys=[c for c in id_cols if c in df.columns])
    else:
        require_unique_rows(df, data, "unit", next((c for c in _period_names() if c in df.columns), None))
    _write(out, coupling(df, sys_, alpha, variant, id_cols=id_cols, lang=lang()), raw_text)


@analyze.command("convergence")
def convergence_cmd(
    data: Path = DATA,
    value: str = typer.Option(..., "--value"),
    unit: str = typer.Option("unit", "--unit"),
    period: str = typer.Option("period", "--period"),
    test: str = typer.Option("sigma", "--test", help="sigma | beta | beta-panel | beta-sar | clubs"),
    kind: str = typer.Option("conditional", "--kind", help="beta-panel: absolute | conditional"),
    time_effects: bool = typer.Option(False, "--time-effects"),
    spatial_lag: str | None = typer.Option(
        None, "--spatial-lag", help="weights spec: W ln y(t−1) term (beta-panel) or W for beta-sar"
    ),
    log: bool = typer.Option(True, "--log/--levels", help="clubs: logs (default) or levels"),
    se_dof: str | None = typer.Option(
        None,
        "--se-dof",
        help="beta-panel: small-sample factor of the unit-clustered s.e.: statsmodels (default) | stata "
        "(xtreg, fe vce(cluster); p from t(G−1)) | linearmodels (PanelOLS clustered)",
    ),
    out: Path = OUT,
    raw_text: bool = RAW_TEXT,
) -> None:
    """σ-, β- (cross-section or panel) or club convergence → one table."""
    _guard(out, data, {"--spatial-lag": spatial_lag})
    from nqpf.analysis import convergence as cv

    if se_dof is not None:
        if test != "beta-panel":
            raise MethodError(f"--se-dof applies to --test beta-panel (clustered s.e.), not --test {test}")
        if se_dof.lower() not in cv.SE_DOF:
            raise MethodError(f"--se-dof {se_dof!r}: use one of {' | '.join(cv.SE_DOF)}")

    df = load_input(data, value, unit=unit, period=period)
    if test == "sigma":
        res = cv.sigma(df, value, unit, period)
    elif test == "beta":
        res = cv.beta_cross_section(df, value, unit, period)
    elif test == "beta-panel":
        w = _weights(spatial_lag, sorted(df[unit].astype(str).unique()), df, unit) if spatial_lag else None
        res = cv.beta_panel(
            df, value, unit, period, kind=kind, time_effects=time_effects, w=w, spatial_lag=w is not None,
            se_dof=(se_dof or "statsmodels").lower(),
        )  # fmt: skip
    elif test == "beta-sar":
        w = _weights(spatial_lag or "contiguity", sorted(df[unit].astype(str).unique()), df, unit)
        res = cv.beta_panel_sar(df, value, w, unit, period)
    elif test == "clubs":
        res = cv.clubs(df, value, unit, period, log=log)
    else:
        raise MethodError(f"--test: use sigma, beta, beta-panel, beta-sar or clubs (got {test!r})")
    _write(out, res, raw_text)


def _spatial_common(data, value, unit, period, weights):
    df = load_input(data, value, unit=unit, period=period)
    units = sorted(df[unit].astype(str).unique())
    return df, _weights(weights, units, df, unit)


UNIT = typer.Option("unit", "--unit")
PERIOD = typer.Option("period", "--period")
WSPEC = typer.Option(
    "contiguity",
    "--weights",
    help="contiguity | contiguity-island | distance | economic:<col> | geojson:<path>:<field>",
)


@analyze.command("moran")
def moran_cmd(
    data: Path = DATA,
    value: str = typer.Option(..., "--value"),
    unit: str = UNIT,
    period: str = PERIOD,
    weights: str = WSPEC,
    permutations: int = typer.Option(999, "--permutations"),
    seed: int = typer.Option(12345, "--seed"),
    geary: bool = typer.Option(False, "--geary", help="Geary's C instead"),
    out: Path = OUT,
    raw_text: bool = RAW_TEXT,
) -> None:
    """Global Moran's I (or Geary's C) per period with permutation inference."""
    _guard(out, data, {"--weights": weights})
    from nqpf.analysis import spatial

    df, w = _spatial_common(data, value, unit, period, weights)
    f = spatial.geary if geary else spatial.moran
    _write(out, f(df, value, w, unit, period, permutations=permutations, seed=seed), raw_text)


@analyze.command("lisa")
def lisa_cmd(
    data: Path = DATA,
    value: str = typer.Option(..., "--value"),
    unit: str = UNIT,
    period: str = PERIOD,
    weights: str = WSPEC,
    permutations: int = typer.Option(999, "--permutations"),
    seed: int = typer.Option(12345, "--seed"),
    alpha: float = typer.Option(0.05, "--alpha"),
    hotspots: bool = typer.Option(False, "--hotspots", help="Getis–Ord G* hot/cold spots instead"),
    out: Path = OUT,
    raw_text: bool = RAW_TEXT,
) -> None:
    """Local Moran clusters (HH/LL/HL/LH) or Getis–Ord G* hot spots per unit and period."""
    _guard(out, data, {"--weights": weights})
    from nqpf.analysis import spatial

    df, w = _spatial_common(data, value, unit, period, weights)
    f = spatial.hotspots if hotspots else spatial.lisa
    _write(out, f(df, value, w, unit, period, permutations=permutations, seed=seed, alpha=alpha), raw_text)


@analyze.command("markov")
def markov_cmd(
    data: Path = DATA,
    value: str = typer.Option(..., "--value"),
    unit: str = UNIT,
    period: str = PERIOD,
    k: int = typer.Option(4, "--k"),
    spatial_w: str | None = typer.Option(None, "--spatial", help="weights spec"),
    relative: bool = typer.Option(False, "--relative"),
    out: Path = OUT,
    raw_text: bool = RAW_TEXT,
) -> None:
    """Markov (or spatial Markov) transition matrices and steady states on pooled quantile classes."""
    _guard(out, data, {"--spatial": spatial_w})
    from nqpf.analysis.markov import markov, spatial_markov

    df = load_input(data, value, unit=unit, period=period)
    if spatial_w:
        w = _weights(spatial_w, sorted(df[unit].astype(str).unique()), df, unit)
        res = spatial_markov(df, value, w, unit, period, k=k, relative=relative)
    else:
        res = markov(df, value, unit, period, k=k, relative=relative)
    _write(out, res, raw_text)


@analyze.command("kde")
def kde_cmd(
    data: Path = DATA,
    value: str = typer.Option(..., "--value"),
    period: str | None = typer.Option("period", "--period"),
    bw: str = typer.Option(
        "silverman",
        "--bw",
        help="silverman = 0.9·min(σ, IQR/1.34)·n^(−1/5) (Silverman 1986, R bw.nrd0) | silverman-1.349 (IQR/1.349, "
        "statsmodels bw_silverman) | scott = 1.06·σ·n^(−1/5) | a positive number",
    ),
    grid: int = typer.Option(200, "--grid"),
    out: Path = OUT,
    raw_text: bool = RAW_TEXT,
) -> None:
    """Gaussian kernel density per period on a common grid → period, x, density, bandwidth, n."""
    _guard(out, data)
    from nqpf.analysis.density import SILVERMAN_IQR, kde_over_time

    rules = (*SILVERMAN_IQR, "scott")
    try:
        rule: str | float = float(bw)
    except ValueError:
        rule = bw.lower()
        if rule not in rules:
            raise MethodError(f"--bw {bw!r}: use one of {' | '.join(rules)} or a positive number") from None
    else:
        if not 0 < rule < float("inf"):
            raise MethodError(f"--bw {bw}: a fixed bandwidth must be a positive, finite number")
    df = load_input(data, value, period=period)
    _write(out, kde_over_time(df, value, period, bw=rule, grid_size=grid), raw_text)


@analyze.command("obstacle")
def obstacle_cmd(
    data: Path = DATA,
    weights: Path = typer.Option(..., "--weights", help="weights table: node, parent, effective_weight"),
    level: int = typer.Option(1, "--level"),
    top_k: int | None = typer.Option(None, "--top-k"),
    out: Path = OUT,
    raw_text: bool = RAW_TEXT,
) -> None:
    """Obstacle degree from normalised values (long) and effective weights → unit, period, level, node, …"""
    _guard(out, data, {"--weights": weights})
    import pandas as pd

    from nqpf.analysis.obstacle import obstacle_degree, top_obstacles

    norm = _numeric_period(read_frame(data), "period")
    wt = read_frame(weights)
    wt["effective_weight"] = pd.to_numeric(wt.get("effective_weight"), errors="coerce")
    res = obstacle_degree(norm, wt, level=level)
    _write(out, top_obstacles(res, top_k) if top_k else res, raw_text)


@analyze.command("forecast")
def forecast_cmd(
    data: Path = DATA,
    value: str = typer.Option(..., "--value"),
    unit: str = UNIT,
    period: str = PERIOD,
    steps: int = typer.Option(3, "--steps"),
    holdout: int = typer.Option(2, "--holdout"),
    out: Path = OUT,
    raw_text: bool = RAW_TEXT,
) -> None:
    """GM(1,1) with C/P grade beside a Holt baseline, per unit → unit, period, kind, actual, gm11, holt, …"""
    _guard(out, data)
    from nqpf.analysis.forecast import forecast_panel

    df = load_input(data, value, unit=unit, period=period)
    _write(out, forecast_panel(df, value, unit, period, steps=steps, holdout=holdout), raw_text)
