"""``nqpf analyze …``: inequality, distribution dynamics, convergence, spatial statistics, coupling
coordination, obstacle degree and forecasts on a table (CSV/XLSX/DTA/Parquet) — each writes one tidy table
whose format follows ``--out``'s extension (.csv, .xlsx, .dta, .parquet, .tex; :mod:`nqpf.data.tables`).

Input tables: any flat table whose columns you name (``--value``, ``--group``, ``--unit``, ``--period``).
A long panel (``unit, period, indicator, value``) also works: ``--value`` then names an indicator.
``--groups FILE`` adds a group column from a separate table keyed by ``unit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from nqpf.cli._analysis_io import (  # noqa: F401  (LONG and read_frame: still importable from here)
    LONG,
    _numeric_period,
    _period_names,
    _weights,
    load_input,
    read_frame,
    require_unique_rows,
)
from nqpf.cli._io import RAW_TEXT, TABLE_OUT_HELP, check_table_out, refuse_overwriting_inputs
from nqpf.cli._options import LIMITS, OptionGroup, grouped
from nqpf.cli.main import app, console, lang
from nqpf.errors import MethodError
from nqpf.i18n import t

if TYPE_CHECKING:  # pandas and the analysis layer load inside the commands, so that ``--help`` starts fast
    import pandas as pd

analyze = typer.Typer(
    help="Inequality, convergence, spatial, coupling, obstacle and forecast analyses.", no_args_is_help=True
)
app.add_typer(analyze, name="analyze")

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


DATA = typer.Option(..., "--data", exists=False, help="Input table (.csv/.xlsx/.parquet).")
OUT = typer.Option(..., "--out", help=TABLE_OUT_HELP)


#: the options after the variables of ``analyze dagum`` and ``analyze theil``: unit column, group table, output
#: and the pre-scan limits
INEQUALITY_TAIL = OptionGroup(
    {"unit": (str | None, typer.Option(None, "--unit")), "groups": (Path | None, typer.Option(None, "--groups")),
     "out": (Path, OUT), "raw_text": (bool, RAW_TEXT), **LIMITS.options},
    lambda unit, groups, out, raw_text, **lim: {"unit": unit, "groups": groups, "out": out, "raw_text": raw_text,
                                                "limits": LIMITS.build(**lim)},
)  # fmt: skip


def _inequality(name: str, data: Path, value: str, group: str | None, period: str | None, weight: str | None,
                tail: dict, **kw: Any) -> None:  # fmt: skip
    """``nqpf.analysis.inequality.<name>`` (dagum, theil) of ``value`` by ``group`` and period, on the table
    (one row per unit and period, groups merged from ``--groups``) written to ``--out``."""
    out, unit, groups = tail["out"], tail["unit"], tail["groups"]
    _guard(out, data, {"--groups": groups})
    from nqpf.analysis import inequality

    df = load_input(data, value, groups=groups, unit=unit or "unit", period=period, unique=True,
                    limits=tail["limits"])  # fmt: skip
    _write(out, getattr(inequality, name)(df, value, group, period, weight, unit=unit, **kw), tail["raw_text"])


@analyze.command("dagum")
@grouped
def dagum_cmd(
    data: Path = DATA,
    value: str = typer.Option(..., "--value"),
    group: str = typer.Option(..., "--group"),
    period: str | None = typer.Option(None, "--period"),
    weight: str | None = typer.Option(None, "--weight"),
    tail: dict = INEQUALITY_TAIL,
) -> None:
    """Dagum (1997) Gini decomposition → period, component, value."""
    _inequality("dagum", data, value, group, period, weight, tail)


@analyze.command("theil")
@grouped
def theil_cmd(
    data: Path = DATA,
    value: str = typer.Option(..., "--value"),
    group: str | None = typer.Option(None, "--group"),
    period: str | None = typer.Option(None, "--period"),
    weight: str | None = typer.Option(None, "--weight"),
    measure: str = typer.Option("T", "--measure", help="T (GE(1)) or L (mean log deviation)"),
    tail: dict = INEQUALITY_TAIL,
) -> None:
    """Theil T or L with between/within decomposition → period, measure, component, value."""
    _inequality("theil", data, value, group, period, weight, tail, measure=measure)


@analyze.command("coupling")
@grouped
def coupling_cmd(
    data: Path = DATA,
    systems: str = typer.Option(..., "--systems", help="Comma-separated subsystem columns"),
    weights: str | None = typer.Option(None, "--weights", help="Comma-separated α_i summing to 1"),
    variant: str = typer.Option("standard", "--variant", help="standard | adjusted"),
    ids: str | None = typer.Option(None, "--id", help="Comma-separated id columns (default: all others)"),
    out: Path = OUT,
    raw_text: bool = RAW_TEXT,
    limits: Any = LIMITS,
) -> None:
    """Coupling coordination → id columns, C, T, D, grade_level, grade."""
    _guard(out, data)
    from nqpf.analysis.coupling import coupling

    df = read_frame(data, limits)
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
@grouped
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
    limits: Any = LIMITS,
) -> None:
    """σ-, β- (cross-section or panel) or club convergence → one table."""
    _guard(out, data, {"--spatial-lag": spatial_lag})
    from nqpf.analysis import convergence as cv

    if se_dof is not None:
        if test != "beta-panel":
            raise MethodError(f"--se-dof applies to --test beta-panel (clustered s.e.), not --test {test}")
        if se_dof.lower() not in cv.SE_DOF:
            raise MethodError(f"--se-dof {se_dof!r}: use one of {' | '.join(cv.SE_DOF)}")

    df = load_input(data, value, unit=unit, period=period, limits=limits)
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


UNIT = typer.Option("unit", "--unit")
PERIOD = typer.Option("period", "--period")
WSPEC = typer.Option(
    "contiguity",
    "--weights",
    help="contiguity | contiguity-island | distance | economic:<col> | geojson:<path>:<field>",
)


@dataclass(frozen=True)
class Panel:
    """The input of a panel analysis (``--data``, ``--value``, ``--unit``, ``--period``) and, for the spatial
    statistics, the weights spec, the permutations and the seed of their inference."""

    data: Path
    value: str
    unit: str
    period: str
    weights: str = "contiguity"
    permutations: int = 999
    seed: int = 12345

    def load(self, limits: Any) -> pd.DataFrame:
        """The table (a long panel widened to ``value``), pre-scanned under ``limits``."""
        return load_input(self.data, self.value, unit=self.unit, period=self.period, limits=limits)

    def w(self, df: pd.DataFrame, spec: str | None = None):
        """Spatial weights ``spec`` (default ``--weights``) over the units of ``df``."""
        return _weights(spec or self.weights, sorted(df[self.unit].astype(str).unique()), df, self.unit)


#: ``--data``, ``--value``, ``--unit``, ``--period`` of the panel analyses
PANEL = OptionGroup(
    {"data": (Path, DATA), "value": (str, typer.Option(..., "--value")), "unit": (str, UNIT),
     "period": (str, PERIOD)},
    Panel,
)  # fmt: skip
#: the panel options and ``--weights``, ``--permutations``, ``--seed`` of ``analyze moran`` and ``analyze lisa``
SPATIAL = OptionGroup(
    {**PANEL.options, "weights": (str, WSPEC), "permutations": (int, typer.Option(999, "--permutations")),
     "seed": (int, typer.Option(12345, "--seed"))},
    Panel,
)  # fmt: skip


def _spatial(name: str, p: Panel, out: Path, raw_text: bool, limits: Any, **kw: Any) -> None:
    """``nqpf.analysis.spatial.<name>`` (moran, geary, lisa, hotspots) per period on the panel ``p`` with its
    weights, written to ``out``."""
    _guard(out, p.data, {"--weights": p.weights})
    from nqpf.analysis import spatial

    df = p.load(limits)
    res = getattr(spatial, name)(df, p.value, p.w(df), p.unit, p.period, permutations=p.permutations, seed=p.seed,
                                 **kw)  # fmt: skip
    _write(out, res, raw_text)


@analyze.command("moran")
@grouped
def moran_cmd(
    inputs: Panel = SPATIAL,
    geary: bool = typer.Option(False, "--geary", help="Geary's C instead"),
    out: Path = OUT,
    raw_text: bool = RAW_TEXT,
    limits: Any = LIMITS,
) -> None:
    """Global Moran's I (or Geary's C) per period with permutation inference."""
    _spatial("geary" if geary else "moran", inputs, out, raw_text, limits)


@analyze.command("lisa")
@grouped
def lisa_cmd(
    inputs: Panel = SPATIAL,
    alpha: float = typer.Option(0.05, "--alpha"),
    hotspots: bool = typer.Option(False, "--hotspots", help="Getis–Ord G* hot/cold spots instead"),
    out: Path = OUT,
    raw_text: bool = RAW_TEXT,
    limits: Any = LIMITS,
) -> None:
    """Local Moran clusters (HH/LL/HL/LH) or Getis–Ord G* hot spots per unit and period."""
    _spatial("hotspots" if hotspots else "lisa", inputs, out, raw_text, limits, alpha=alpha)


@analyze.command("markov")
@grouped
def markov_cmd(
    panel: Panel = PANEL,
    k: int = typer.Option(4, "--k"),
    spatial_w: str | None = typer.Option(None, "--spatial", help="weights spec"),
    relative: bool = typer.Option(False, "--relative"),
    out: Path = OUT,
    raw_text: bool = RAW_TEXT,
    limits: Any = LIMITS,
) -> None:
    """Markov (or spatial Markov) transition matrices and steady states on pooled quantile classes."""
    _guard(out, panel.data, {"--spatial": spatial_w})
    from nqpf.analysis.markov import markov, spatial_markov

    p, df = panel, panel.load(limits)
    if spatial_w:
        res = spatial_markov(df, p.value, p.w(df, spatial_w), p.unit, p.period, k=k, relative=relative)
    else:
        res = markov(df, p.value, p.unit, p.period, k=k, relative=relative)
    _write(out, res, raw_text)


@analyze.command("kde")
@grouped
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
    limits: Any = LIMITS,
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
    df = load_input(data, value, period=period, limits=limits)
    _write(out, kde_over_time(df, value, period, bw=rule, grid_size=grid), raw_text)


@analyze.command("obstacle")
@grouped
def obstacle_cmd(
    data: Path = DATA,
    weights: Path = typer.Option(..., "--weights", help="weights table: node, parent, effective_weight"),
    level: int = typer.Option(1, "--level"),
    top_k: int | None = typer.Option(None, "--top-k"),
    out: Path = OUT,
    raw_text: bool = RAW_TEXT,
    limits: Any = LIMITS,
) -> None:
    """Obstacle degree from normalised values (long) and effective weights → unit, period, level, node, …"""
    _guard(out, data, {"--weights": weights})
    import pandas as pd

    from nqpf.analysis.obstacle import obstacle_degree, top_obstacles

    norm = _numeric_period(read_frame(data, limits), "period")
    wt = read_frame(weights, limits)
    wt["effective_weight"] = pd.to_numeric(wt.get("effective_weight"), errors="coerce")
    res = obstacle_degree(norm, wt, level=level)
    _write(out, top_obstacles(res, top_k) if top_k else res, raw_text)


@analyze.command("forecast")
@grouped
def forecast_cmd(
    panel: Panel = PANEL,
    steps: int = typer.Option(3, "--steps"),
    holdout: int = typer.Option(2, "--holdout"),
    out: Path = OUT,
    raw_text: bool = RAW_TEXT,
    limits: Any = LIMITS,
) -> None:
    """GM(1,1) with C/P grade beside a Holt baseline, per unit → unit, period, kind, actual, gm11, holt, …"""
    _guard(out, panel.data)
    from nqpf.analysis.forecast import forecast_panel

    p = panel
    _write(out, forecast_panel(p.load(limits), p.value, p.unit, p.period, steps=steps, holdout=holdout), raw_text)
