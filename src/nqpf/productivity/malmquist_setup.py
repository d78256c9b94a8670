"""Settings check, panel preparation and unit pairs of :func:`nqpf.productivity.malmquist.malmquist`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nqpf.data.parse import period_column
from nqpf.errors import DataError, MethodError
from nqpf.productivity.dea import _parse_direction, check_data

INDICES = ("malmquist", "ml", "gml", "luenberger")
TECHNOLOGIES = ("contemporaneous", "sequential", "window", "global")
BAD_DISPOSABILITY = ("equality", "inequality")


@dataclass(frozen=True)
class Options:
    """The checked, lower-cased settings of one :func:`malmquist` call."""

    index: str
    rts: str
    technology: str
    window: int
    orientation: str
    bad_disposability: str
    output_convention: str

    @property
    def kind(self) -> str:
        """'radial' (Malmquist: θ or 1/φ) or 'ddf' (ML, GML, Luenberger: β)."""
        return "radial" if self.index == "malmquist" else "ddf"

    @property
    def farrell(self) -> bool:
        """Report Farrell output efficiencies φ (R Benchmarking's ``malmq``) instead of distances 1/φ."""
        return self.output_convention == "farrell" and self.orientation == "output"


def _check_index(index: str, technology: str, has_bads: bool) -> None:
    """Refuse index/technology/bad-output combinations that define no index."""
    if index == "gml" and technology != "global":
        raise MethodError(
            "GML (Oh 2010) is defined on the global technology; use technology='global' or index='ml'"
        )
    if index == "ml" and technology == "global":
        raise MethodError("ML on the global technology is the GML index: use index='gml'")
    if index == "luenberger" and technology == "global":
        raise MethodError("the Luenberger indicator here uses contemporaneous/sequential/window technologies")
    if index == "malmquist" and has_bads:
        raise MethodError(
            "the radial Malmquist index has no undesirable outputs; use index='ml', 'gml' or 'luenberger'"
        )


def check_options(
    index: str,
    rts: str,
    technology: str | None,
    window: int,
    orientation: str,
    bad_disposability: str,
    output_convention: str,
    has_bads: bool,
) -> Options:
    """Validate the settings of :func:`malmquist`; raise :class:`MethodError` naming the setting and its values."""
    index, rts, orientation = index.lower(), rts.lower(), orientation.lower()
    if index not in INDICES:
        raise MethodError(f"unknown index {index!r}; use one of {INDICES}")
    if rts not in ("crs", "vrs"):
        raise MethodError(f"rts must be 'crs' or 'vrs', got {rts!r}")
    if technology is None:
        technology = "global" if index == "gml" else "contemporaneous"
    technology = technology.lower()
    if technology not in TECHNOLOGIES:
        raise MethodError(f"unknown technology {technology!r}; use one of {TECHNOLOGIES}")
    _check_index(index, technology, has_bads)
    if orientation not in ("input", "output"):
        raise MethodError("orientation must be 'input' or 'output' (Malmquist distances)")
    bad_disposability = str(bad_disposability).lower()
    if bad_disposability not in BAD_DISPOSABILITY:
        raise MethodError(
            f"bad_disposability must be one of {BAD_DISPOSABILITY} ('equality' = weakly disposable bad "
            f"outputs, 'inequality' = freely disposable), got {bad_disposability!r}"
        )
    if index == "malmquist" and bad_disposability != "equality":
        raise MethodError(
            "bad_disposability applies to the directional-distance indices (ml, gml, luenberger); "
            "the radial Malmquist index has no bad outputs"
        )
    if technology == "window" and window < 1:
        raise MethodError("window must be ≥ 1 period")
    output_convention = str(output_convention).lower()
    if output_convention not in ("distance", "farrell"):
        raise MethodError(f"output_convention must be 'distance' or 'farrell', got {output_convention!r}")
    if output_convention == "farrell" and index != "malmquist":
        raise MethodError(
            "output_convention='farrell' applies to the radial Malmquist index (index='malmquist')"
        )
    return Options(index, rts, technology, window, orientation, bad_disposability, output_convention)


@dataclass
class Panel:
    """The observations of a :func:`malmquist` call as arrays (row q = observation q of the data)."""

    ids: np.ndarray  # unit of each observation (str, object array)
    codes: np.ndarray  # position of the unit in ``units``
    units: np.ndarray  # sorted unit names
    periods: np.ndarray  # sorted distinct periods
    per_idx: np.ndarray  # position of each observation's period in ``periods``
    Zs: np.ndarray  # inputs, outputs, bad outputs divided by their column means (``scale``)
    G: np.ndarray | None  # direction of each observation (DDF indices), scaled like ``Zs``
    m: int
    s: int
    k: int
    warns: list[str]


def _periods(
    df: pd.DataFrame, id: str, period: str, ids: np.ndarray, context: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sorted periods, period positions, sorted units and unit codes; refuses repeated unit/period pairs."""
    # years written as text (2015年, "2015") are read as the data layer reads them; anything else is refused
    # here, naming the row, instead of failing after every frontier has been solved
    per = period_column(df[period], column=period, context=context, units=df[id]).to_numpy()
    periods = np.unique(per)
    per_idx = np.searchsorted(periods, per)
    codes, units = pd.factorize(ids, sort=True)  # units sorted as Python sorts text
    cell = codes * len(periods) + per_idx
    # a unit name (as text) repeats a period: decide on the data's own unit values, as pandas compares them
    if np.bincount(cell).max(initial=0) > 1:
        df = df.assign(**{period: per})
        dup = df.duplicated([id, period])
        if dup.any():
            raise DataError(
                f"unit/period pairs occur twice: {df.loc[dup, [id, period]].head(5).values.tolist()}"
            )
    if len(periods) < 2:
        raise MethodError("a productivity index needs at least two periods")
    return periods, per_idx, units, codes


def prepare_panel(
    data: pd.DataFrame,
    cols: tuple[list[str], list[str], list[str]],
    id: str,
    period: str,
    opts: Options,
    direction: str | Mapping[str, float] | None,
) -> Panel:
    """Check the data (:func:`check_data`, periods, one row per unit and period, enough units per period) and
    lay it out as arrays; ``cols`` = (inputs, outputs, bad outputs)."""
    inputs, outputs, bads = cols
    for c in (id, period):
        if c not in data.columns:
            raise DataError(f"column {c!r} not in the data; available: {list(data.columns)}")
    allc = inputs + outputs + bads
    df = data.reset_index(drop=True)
    pos = allc if opts.index == "malmquist" else []
    ctx = f"{opts.index} index"
    warns = check_data(df, allc, id, strictly_positive=pos, nonnegative=allc, context=ctx)
    ids = df[id].astype(str).to_numpy()
    periods, per_idx, units, codes = _periods(df, id, period, ids, ctx)
    m, s, k = len(inputs), len(outputs), len(bads)
    per_counts = np.bincount(per_idx, minlength=len(periods))
    for p, nper in zip(periods, per_counts.tolist(), strict=True):
        if nper < m + s + k:
            raise MethodError(
                f"period {p} has only {nper} units for {m + s + k} inputs+outputs; DEA cannot discriminate"
            )
    Z = df[allc].to_numpy(float)
    scale = Z.mean(axis=0)
    scale[scale == 0] = 1.0
    Zs = Z / scale
    G = None
    if opts.kind == "ddf":
        dkind, g = _parse_direction(direction, "output", m, s, k, allc, scale)
        G = Zs * g if dkind == "proportional" else np.broadcast_to(g, Zs.shape).copy()
    return Panel(ids, codes, units, periods, per_idx, Zs, G, m, s, k, warns)


def unit_pairs(pan: Panel) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict]]:
    """Observations (t, t+1) of every unit seen in two consecutive periods, by period then unit name.

    Returns (obs_t, obs_t1, t, missing pairs: unit, period_from, period, missing_in)."""
    periods, n_per = pan.periods, len(pan.periods)
    grid = np.full((len(pan.units), n_per), -1, dtype=np.int64)
    grid[pan.codes, pan.per_idx] = np.arange(len(pan.ids))
    seen = grid >= 0
    parts, missing = [], []
    for t in range(n_per - 1):
        both = np.flatnonzero(seen[:, t] & seen[:, t + 1])
        parts.append(np.column_stack([grid[both, t], grid[both, t + 1], np.full(len(both), t)]))
        for u in np.flatnonzero(seen[:, t] ^ seen[:, t + 1]).tolist():
            missing.append(
                {
                    "unit": pan.units[u],
                    "period_from": periods[t].item(),
                    "period": periods[t + 1].item(),
                    "missing_in": periods[t].item() if not seen[u, t] else periods[t + 1].item(),
                }
            )
    P = np.concatenate(parts).astype(np.int64)
    if not len(P):
        raise MethodError("no unit is observed in two consecutive periods; nothing to compare")
    return P[:, 0], P[:, 1], P[:, 2], missing


def tech_members(per_idx: np.ndarray, n_per: int, technology: str, window: int) -> dict[int, np.ndarray]:
    """Observation indices spanning the technology of each period s (key: s's position).

    Contemporaneous: period s; sequential: periods ≤ s; window: the ``window`` periods ending at s."""
    out = {}
    for s in range(n_per):
        if technology == "contemporaneous":
            sel = per_idx == s
        elif technology == "sequential":
            sel = per_idx <= s
        else:
            sel = (per_idx <= s) & (per_idx > s - window)
        out[s] = np.flatnonzero(sel)
    return out
