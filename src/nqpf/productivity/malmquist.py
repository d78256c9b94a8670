"""Productivity indices over panels: Malmquist, Malmquist–Luenberger, Global ML, Luenberger.

Notation: ``E_s(d)`` is the efficiency (Farrell input efficiency θ by default, or 1/φ for output
orientation) of period-``d`` data against period-``s`` technology; ``D_s(d)`` the directional distance β
(direction (y, −b) by default, bad outputs weakly disposable ``Y^b λ = b − βg_b`` by default, or freely
disposable ``Y^b λ ≤ b − βg_b`` with ``bad_disposability="inequality"``) of period-``d`` data against
technology ``s``.
A row describes the pair (t, t+1) for one unit; its ``period`` is t+1 (the later year).

* Malmquist (Färe, Grosskopf, Norris & Zhang 1994; distances as in Coelli's DEAP 2.1):
  ``effch = E_{t+1}(t+1)/E_t(t)``, ``techch = sqrt(E_t(t+1)/E_{t+1}(t+1) · E_t(t)/E_{t+1}(t))``,
  ``tfpch = effch·techch``; with CRS ``pech = V_{t+1}(t+1)/V_t(t)`` and ``sech = effch/pech =
  [E_{t+1}(t+1)/V_{t+1}(t+1)] / [E_t(t)/V_t(t)]``, where ``V_s(s)`` is the VRS efficiency against the
  *same* technology ``s`` as ``E_s(s)`` (sequential: all observations up to s; window; contemporaneous for
  the global technology, whose effch is contemporaneous) — deaR's ``malmquist_index`` (Coll-Serrano,
  Bolós & Benítez), type2 "fgnz": ``pech = effv[t+1]/effv[t]``, ``sech = (effv[t]/eff[t]) /
  (effv[t+1]/eff[t+1])``. (For the global technology deaR's rts="vrs" sech is instead Grifell-Tatjé &
  Lovell's; the sech here is the FGNZ one above.) With ``rts="vrs"`` every distance is a VRS one:
  effch is deaR's pech and techch the VRS FGNZ technical change (deaR type2 "bias", tc_vrs=TRUE).
* Malmquist–Luenberger (Chung, Färe & Grosskopf 1997):
  ``ML = sqrt[(1+D_t(t))/(1+D_t(t+1)) · (1+D_{t+1}(t))/(1+D_{t+1}(t+1))]``,
  ``effch = (1+D_t(t))/(1+D_{t+1}(t+1))``, ``techch = ML/effch``.
* Global ML (Oh 2010): ``tfpch = (1+D^G(t))/(1+D^G(t+1))``, ``effch = (1+D_t(t))/(1+D_{t+1}(t+1))``
  (contemporaneous), ``techch = tfpch/effch``. Global Malmquist (Pastor & Lovell 2005) likewise with
  ``tfpch = E^G(t+1)/E^G(t)``.
* Luenberger indicator (Chambers, Färe & Grosskopf 1996), additive:
  ``L = ½[(D_{t+1}(t) − D_{t+1}(t+1)) + (D_t(t) − D_t(t+1))]``, ``effch = D_t(t) − D_{t+1}(t+1)``,
  ``techch = L − effch``; here ``tfpch = effch + techch`` (1 + … are not used).

Technologies: contemporaneous (period-s observations), sequential (all observations up to s), window
(the ``window`` periods ending at s), global (all observations; Malmquist/GML ``tfpch`` only — efficiency
change stays contemporaneous). Unbalanced panels: a unit observed in t but not t+1 (or vice versa) gets
no row for that pair; the pair is listed in ``attrs["manifest"]["missing_pairs"]`` and the cumulative
indices restart after it. Cross-period LPs can be infeasible (VRS, DDF): such rows keep NaN indices with
``status`` and ``reason``, are listed in ``attrs["manifest"]["infeasible_pairs"]`` and counted in a warning
that points to GML.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from nqpf.errors import DataError
from nqpf.productivity.dea import _as_list
from nqpf.productivity.malmquist_lp import Distances as _Distances  # the name tests patch
from nqpf.productivity.malmquist_lp import cross_period, same_period, tech_distances, vrs_same
from nqpf.productivity.malmquist_setup import (
    BAD_DISPOSABILITY,
    INDICES,
    TECHNOLOGIES,
    Options,
    Panel,
    check_options,
    prepare_panel,
    tech_members,
    unit_pairs,
)

__all__ = ["BAD_DISPOSABILITY", "INDICES", "TECHNOLOGIES", "malmquist", "mean_changes"]

_BAD_TEXT = {
    "equality": "weakly disposable (equality): Y^b λ = b − β g_b",
    "inequality": "freely disposable (inequality): Y^b λ ≤ b − β g_b",
}
_COMPONENTS = ("tfpch", "effch", "techch", "pech", "sech")  # the index and its components


def _add_reason(reason: np.ndarray, q: int, text: str) -> None:
    """Append ``text`` to the reason of row ``q`` ("; "-separated)."""
    reason[q] = (reason[q] + "; " if reason[q] else "") + text


class _Flags:
    """Status, reason and the infeasible-pair list of the rows (one row per unit pair)."""

    def __init__(self, pan: Panel, o_t: np.ndarray, tt: np.ndarray):
        self.pan, self.o_t, self.tt = pan, o_t, tt
        self.status = np.full(len(tt), "optimal", dtype=object)
        self.reason = np.full(len(tt), "", dtype=object)
        self.infeasible: list[dict] = []  # one entry per (pair, LP) that has no optimum

    def flag(self, vals: np.ndarray, st: np.ndarray | None, what: str) -> None:
        """Mark the rows where ``vals`` is NaN: LP ``what`` had status ``st`` (None: infeasible)."""
        periods = self.pan.periods
        for q in np.flatnonzero(np.isnan(vals)):
            lp_st = str(st[q]) if st is not None and str(st[q]) != "optimal" else "infeasible"
            if self.status[q] == "optimal":
                self.status[q] = lp_st
            why = "unit outside that technology" if lp_st == "infeasible" else f"solver status {lp_st}"
            _add_reason(self.reason, q, f"{what} LP {lp_st} ({why})")
            self.infeasible.append(
                {
                    "unit": str(self.pan.ids[self.o_t[q]]),
                    "period_from": periods[self.tt[q]].item(),
                    "period": periods[self.tt[q] + 1].item(),
                    "lp": what,
                    "status": lp_st,
                }
            )


def _pair_indices(
    index: str, d_tt: np.ndarray, d_t_t1: np.ndarray, d_t1_t: np.ndarray, d_t1t1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tfpch, effch, techch) from the four distances of a pair (Malmquist, ML or Luenberger; module docstring)."""
    if index == "malmquist":
        effch = d_t1t1 / d_tt
        techch = np.sqrt((d_t_t1 / d_t1t1) * (d_tt / d_t1_t))
        return effch * techch, effch, techch
    if index == "ml":
        effch = (1 + d_tt) / (1 + d_t1t1)
        tfpch = np.sqrt((1 + d_tt) / (1 + d_t_t1) * (1 + d_t1_t) / (1 + d_t1t1))
        return tfpch, effch, tfpch / effch
    effch = d_tt - d_t1t1  # luenberger
    tfpch = 0.5 * ((d_t1_t - d_t1t1) + (d_tt - d_t_t1))
    return tfpch, effch, tfpch - effch


def _indices(
    dist: _Distances,
    pan: Panel,
    opts: Options,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
    flags: _Flags,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Solve every LP and form the indices: ({tfpch, effch, techch[, pech, sech]}, {distance columns})."""
    o_t, o_t1, tt = pairs
    n_per, per_idx, index = len(pan.periods), pan.per_idx, opts.index
    cross = opts.technology != "global"
    techs = tech_members(per_idx, n_per, opts.technology if cross else "contemporaneous", opts.window)
    answers = tech_distances(dist, techs, per_idx, pairs, cross)
    same, same_st = same_period(answers, per_idx, n_per)
    d_tt, d_t1t1 = same[o_t], same[o_t1]
    flags.flag(d_tt, same_st[o_t], "same-period D_t(t)")
    flags.flag(d_t1t1, same_st[o_t1], "same-period D_{t+1}(t+1)")
    if cross:
        d_t_t1, st_t_t1, d_t1_t, st_t1_t = cross_period(answers, tt, n_per)
        flags.flag(d_t_t1, st_t_t1, "cross-period D_t(t+1)")
        flags.flag(d_t1_t, st_t1_t, "cross-period D_{t+1}(t)")
        tfpch, effch, techch = _pair_indices(index, d_tt, d_t_t1, d_t1_t, d_t1t1)
        dcols = {"d_t_t": d_tt, "d_t_t1": d_t_t1, "d_t1_t": d_t1_t, "d_t1_t1": d_t1t1}
    else:
        everyone = np.arange(len(per_idx))  # the global technology: all observations
        dg, dg_st = dist.eval(everyone, everyone)
        dg_t, dg_t1 = dg[o_t], dg[o_t1]
        flags.flag(dg_t, dg_st[o_t], "global D^G(t)")
        flags.flag(dg_t1, dg_st[o_t1], "global D^G(t+1)")
        if index == "malmquist":
            tfpch, effch = dg_t1 / dg_t, d_t1t1 / d_tt
        else:  # gml (ml on the global technology is the same construction)
            tfpch, effch = (1 + dg_t) / (1 + dg_t1), (1 + d_tt) / (1 + d_t1t1)
        techch = tfpch / effch
        dcols = {"d_t_t": d_tt, "d_t1_t1": d_t1t1, "d_g_t": dg_t, "d_g_t1": dg_t1}
    out = {"tfpch": tfpch, "effch": effch, "techch": techch}
    if index == "malmquist" and opts.rts == "crs":
        # V_s(s) against the *same* technology as the CRS E_s(s) of effch (sequential / window /
        # contemporaneous; contemporaneous for global, whose effch is contemporaneous), so that
        # sech = effch / pech compares CRS and VRS frontiers of one reference set (deaR: effv vs eff)
        vv = vrs_same(dist, techs, per_idx)
        pech = vv[o_t1] / vv[o_t]
        out["pech"] = pech
        out["sech"] = effch / pech
        flags.flag(pech, None, "VRS same-period")
    if opts.farrell:  # R Benchmarking's malmq: Farrell output efficiencies φ in place of the distances 1/φ
        out = {c: 1.0 / v for c, v in out.items()}
        dcols = {c: 1.0 / v for c, v in dcols.items()}
    return out, dcols


def _chains(codes: np.ndarray, tt: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows sorted by unit then period (``order``), each sorted row's position in its chain of consecutive
    pairs (0 = the unit's first pair, or the first after a missing pair) and, per sorted row, whether a
    chain restarts there after a missing pair."""
    order = np.lexsort((tt, codes))
    c_o, t_o = codes[order], tt[order]
    new_unit = np.r_[True, c_o[1:] != c_o[:-1]]
    gap = ~new_unit & np.r_[False, t_o[1:] != t_o[:-1] + 1]
    first = np.flatnonzero(new_unit | gap)
    pos = np.arange(len(order)) - np.repeat(first, np.diff(np.r_[first, len(order)]))
    return order, pos, gap


def _cumulate(vals: np.ndarray, order: np.ndarray, pos: np.ndarray, additive: bool) -> np.ndarray:
    """Cumulative index along each chain, in row order: c_1 = s ∘ v_1, c_j = c_{j−1} ∘ v_j (∘ = ×, s = 1;
    Luenberger: ∘ = +, s = 0), restarting after a missing pair; NaN carries on to the chain's end."""
    op = np.add if additive else np.multiply
    v_o = vals[order]
    c_o = np.empty(len(order))
    at = np.flatnonzero(pos == 0)
    c_o[at] = op(0.0 if additive else 1.0, v_o[at])
    for j in range(1, int(pos.max(initial=0)) + 1):
        at = np.flatnonzero(pos == j)
        c_o[at] = op(c_o[at - 1], v_o[at])
    cum = np.empty(len(order))
    cum[order] = c_o
    return cum


def _cumulative(
    out: dict[str, np.ndarray], codes: np.ndarray, tt: np.ndarray, reason: np.ndarray, additive: bool
) -> np.ndarray:
    """Add ``cum_tfpch``, ``cum_effch``, ``cum_techch`` to ``out`` and their reasons; returns the row order
    by unit and period."""
    order, pos, gap = _chains(codes, tt)
    for c in ("tfpch", "effch", "techch"):
        out[f"cum_{c}"] = _cumulate(out[c], order, pos, additive)
    broken = np.isnan(out["cum_tfpch"]) & np.isfinite(out["tfpch"])
    restart = np.zeros(len(tt), bool)
    restart[order[gap]] = True
    for q in np.flatnonzero(restart | broken).tolist():
        if restart[q]:
            _add_reason(reason, q, "cumulative index restarts after a missing pair")
        # an earlier infeasible pair of this unit breaks the chain: say so instead of a bare NaN
        if broken[q]:
            _add_reason(reason, q, "cumulative indices NaN: an earlier pair of this unit is infeasible")
    return order


def _infeasible_warning(opts: Options, k: int, n_bad: int, n_pairs: int, lps: list[str]) -> str:
    """The warning for pairs whose LPs have no optimum, with the way out (GML, free disposability)."""
    hint = ""
    if opts.kind == "ddf" and opts.technology != "global":
        hint = (
            " Consider index='gml' (global Malmquist–Luenberger, Oh 2010: the global technology contains"
            " every observation, so its LPs are always feasible)"
            + (
                " or bad_disposability='inequality' (freely disposable bad outputs; a different technology)"
                if k and opts.bad_disposability == "equality"
                else ""
            )
            + "."
        )
    elif opts.kind == "radial" and opts.technology != "global":
        hint = " Consider technology='global' (Pastor & Lovell 2005), whose LPs are always feasible."
    return (
        f"{opts.index}: {n_bad} of {n_pairs} unit-pair(s) ({100 * n_bad / n_pairs:.0f} %) have an LP without"
        f" optimum ({', '.join(lps)}); their indices are NaN with status/reason set and they are listed in"
        f" attrs['manifest']['infeasible_pairs'].{hint}"
    )


def _warnings(opts: Options, pan: Panel, missing: list[dict], flags: _Flags) -> tuple[list[str], int]:
    """The data warnings, then those on skipped (unbalanced) and infeasible pairs; and the number of rows
    without optimum."""
    warns = pan.warns
    if missing:
        warns.append(
            f"unbalanced panel: {len(missing)} unit-pair(s) without data in both periods were skipped"
        )
    n_bad = int((flags.status != "optimal").sum())
    if n_bad:
        lps = sorted({e["lp"] for e in flags.infeasible})
        warns.append(_infeasible_warning(opts, pan.k, n_bad, len(flags.status), lps))
    return warns, n_bad


def _manifest(
    opts: Options,
    pan: Panel,
    names: tuple[list[str], list[str], list[str]],
    direction: str | Mapping[str, float] | None,
    extra: dict,
) -> dict:
    """``attrs["manifest"]`` of a :func:`malmquist` result; ``extra``: missing/infeasible pairs, counts,
    warnings."""
    ddf = opts.kind == "ddf"
    return {
        "method": "malmquist",
        "index": opts.index,
        "rts": opts.rts,
        "technology": opts.technology,
        "window": opts.window if opts.technology == "window" else None,
        "orientation": opts.orientation,
        "output_convention": opts.output_convention if opts.index == "malmquist" else None,
        "direction": "(0, y, b) proportional: y + βy, b − βb" if ddf and direction is None else direction,
        "bad_outputs": _BAD_TEXT[opts.bad_disposability] if ddf and pan.k else None,
        "bad_disposability": opts.bad_disposability if ddf else None,
        "inputs": names[0],
        "outputs": names[1],
        "undesirable": names[2],
        "periods": [p.item() for p in pan.periods],
        **extra,
        "solver": "HiGHS (highspy)",
        "identity": "tfpch = effch + techch" if opts.index == "luenberger" else "tfpch = effch × techch",
    }


def malmquist(
    data: pd.DataFrame,
    inputs: str | Sequence[str],
    outputs: str | Sequence[str],
    *,
    id: str,
    period: str,
    undesirable: str | Sequence[str] | None = None,
    index: str = "malmquist",
    rts: str = "crs",
    technology: str | None = None,
    window: int = 3,
    orientation: str = "input",
    direction: str | Mapping[str, float] | None = None,
    bad_disposability: str = "equality",
    output_convention: str = "distance",
    mode: str = "auto",
    n_jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Productivity index for each unit and pair of consecutive periods (see module docstring).

    Returns a DataFrame ``unit, period_from, period, tfpch, effch, techch, [pech, sech], cum_tfpch,
    cum_effch, cum_techch, <distance columns>, status, reason``; ``attrs["manifest"]`` holds settings,
    missing pairs, infeasible pairs and warnings.

    ``bad_disposability`` (DDF indices ml, gml, luenberger): ``"equality"`` (default) makes bad outputs
    weakly disposable, ``Y^b λ = b − β g_b`` (Färe et al. 1989; Chung, Färe & Grosskopf 1997) — cross-period
    LPs are then often infeasible; ``"inequality"`` writes ``Y^b λ ≤ b − β g_b``, i.e. bad outputs freely
    disposable (treated like inputs), as e.g. DataEnvelopmentAnalysis.jl's ``deaenv``/``malmluen`` do. The
    inequality form changes the technology (more bads are always feasible), so its indices are not the
    weak-disposability ML. Rows whose LPs are infeasible keep NaN indices with ``status``/``reason``; they are
    also listed in ``attrs["manifest"]["infeasible_pairs"]`` (unit, period_from, period, lp, status) and a
    warning suggests ``index="gml"`` (the global technology contains every observation: always feasible).

    ``output_convention`` (radial Malmquist, output orientation): ``"distance"`` (default) builds the indices
    from Shephard output distances ``E = 1/φ`` (DEAP, deaR, R productivity: > 1 = growth in both
    orientations); ``"farrell"`` from Farrell output efficiencies ``φ ≥ 1`` as R Benchmarking's ``malmq``
    does — every index, component and distance column is then the reciprocal (< 1 = growth). Input
    orientation is the same under both (Farrell input efficiency θ = Shephard's 1/D_i is used by all).
    """
    names = (_as_list(inputs), _as_list(outputs), _as_list(undesirable))
    opts = check_options(
        index, rts, technology, window, orientation, bad_disposability, output_convention, bool(names[2])
    )
    pan = prepare_panel(data, names, id, period, opts, direction)
    o_t, o_t1, tt, missing = unit_pairs(pan)
    dist = _Distances(pan, opts, mode, n_jobs, progress)
    flags = _Flags(pan, o_t, tt)
    idx, dcols = _indices(dist, pan, opts, (o_t, o_t1, tt), flags)
    # the output columns are collected in order and the frame is built once at the end
    out = {"unit": pan.ids[o_t], "period_from": pan.periods[tt], "period": pan.periods[tt + 1], **idx}
    order = _cumulative(out, pan.codes[o_t], tt, flags.reason, opts.index == "luenberger")
    out.update(dcols)
    out["status"], out["reason"] = flags.status, flags.reason
    res = pd.DataFrame({c: v[order] for c, v in out.items()})
    warns, n_bad = _warnings(opts, pan, missing, flags)
    for w in warns:
        warnings.warn(w, stacklevel=2)
    res.attrs["manifest"] = _manifest(
        opts,
        pan,
        names,
        direction,
        {
            "missing_pairs": missing,
            "infeasible_pairs": flags.infeasible,
            "n_infeasible_pairs": n_bad,
            "warnings": warns,
            "n_lp": dist.lp_count,
        },
    )
    return res


def mean_changes(
    result: pd.DataFrame, by: str | Sequence[str] = "unit", *, index: str | None = None
) -> pd.DataFrame:
    """Average annual change per ``by`` group of a :func:`malmquist` result, over the same pairs for the index
    and its components, so that the table adds up.

    Ratio indices (Malmquist, ML, GML): geometric means, ``ḡ(x) = exp(mean ln x)``; since ``tfpch = effch ×
    techch`` pair by pair, ``ḡ(tfpch) = ḡ(effch) × ḡ(techch)`` exactly (arithmetic means of ratios do not
    multiply). Luenberger (additive): arithmetic means, ``mean L = mean effch + mean techch``. A pair enters
    only when every component present (tfpch, effch, techch, and pech, sech) is finite (and positive for the
    ratio indices); ``n_pairs`` counts the pairs used. ``index``: default ``result.attrs['manifest']['index']``.
    """
    keys = [by] if isinstance(by, str) else list(by)
    comp = [c for c in _COMPONENTS if c in result.columns]
    miss = [c for c in [*keys, "tfpch", "effch", "techch"] if c not in result.columns]
    if miss:
        raise DataError(f"mean_changes needs a malmquist() result; column(s) {miss} are missing")
    if index is None:
        index = (result.attrs.get("manifest") or {}).get("index", "malmquist")
    if index not in INDICES:
        raise DataError(f"index must be one of {INDICES}, got {index!r}")
    additive = index == "luenberger"
    X = result[comp].to_numpy(dtype=float)
    ok = np.isfinite(X).all(axis=1) & (additive or (X > 0).all(axis=1))
    d = result.loc[ok, keys].reset_index(drop=True)
    V = X[ok] if additive else np.log(X[ok])
    d = pd.concat([d, pd.DataFrame(V, columns=comp)], axis=1)
    g = d.groupby(keys, sort=True)
    out = g[comp].mean()
    if not additive:
        out = np.exp(out)
    out["n_pairs"] = g.size()
    out = out.reset_index()
    out.attrs["mean"] = "arithmetic" if additive else "geometric"
    return out
