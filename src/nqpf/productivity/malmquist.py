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

from nqpf.data.parse import period_column
from nqpf.errors import DataError, MethodError
from nqpf.productivity import _lp
from nqpf.productivity.dea import _as_list, _parse_direction, check_data

INDICES = ("malmquist", "ml", "gml", "luenberger")
TECHNOLOGIES = ("contemporaneous", "sequential", "window", "global")
BAD_DISPOSABILITY = ("equality", "inequality")
_BAD_TEXT = {
    "equality": "weakly disposable (equality): Y^b λ = b − β g_b",
    "inequality": "freely disposable (inequality): Y^b λ ≤ b − β g_b",
}


def _tech_members(per_idx: np.ndarray, n_per: int, technology: str, window: int) -> dict[object, np.ndarray]:
    """Observation indices spanning each technology (keys: period position, or 'G')."""
    if technology == "global":
        return {"G": np.arange(len(per_idx))}
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


class _Distances:
    """Evaluate distance functions of chosen observations against chosen technologies (cached)."""

    def __init__(
        self,
        Zs: np.ndarray,
        m: int,
        s: int,
        k: int,
        kind: str,
        rts: str,
        orientation: str,
        G: np.ndarray | None,
        mode: str,
        n_jobs: int | None,
        progress=None,
        weak: bool = True,
    ):
        self.Zs, self.m, self.s, self.k = Zs, m, s, k
        self.kind, self.rts, self.orientation, self.G = kind, rts, orientation, G
        self.mode, self.n_jobs, self.progress = mode, n_jobs, progress
        self.weak = weak
        self.lp_count = 0

    def eval(self, ref: np.ndarray, pts: np.ndarray, rts: str | None = None) -> tuple[np.ndarray, list[str]]:
        """Distances of observations ``pts`` against the technology spanned by observations ``ref``.

        radial: efficiency θ (input) or 1/φ (output); ddf: β."""
        rts = rts or self.rts
        m, s, k = self.m, self.s, self.k
        Zr = self.Zs[ref]
        # seeds only matter for column generation (the full LP starts with every column)
        full = self.mode == "full" or (self.mode == "auto" and len(ref) <= 300)
        seeds = None if full else _lp.default_seeds(Zr, m, s, k)
        if self.kind == "radial":
            fam = _lp.radial_family(m, s, rts, self.orientation)
            P = self.Zs[pts]
        else:
            fam = _lp.ddf_family(m, s, k, rts, weak=self.weak)
            P = np.hstack([self.Zs[pts], self.G[pts]])
        T = _lp.tech_matrix(fam, Zr)
        res = _lp.solve_points(
            fam,
            T,
            P,
            mode=self.mode,
            seeds=seeds,
            n_jobs=self.n_jobs,
            parallel_min=2000,
            progress=self.progress,
        )
        self.lp_count += len(pts)
        if self.kind == "radial":
            val = res.obj if self.orientation == "input" else 1.0 / (-res.obj)
        else:
            val = -res.obj
        ok = np.array([st == "optimal" for st in res.status])
        return np.where(ok, val, np.nan), list(res.status)


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
    inputs, outputs, bads = _as_list(inputs), _as_list(outputs), _as_list(undesirable)
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
    if index == "gml" and technology != "global":
        raise MethodError(
            "GML (Oh 2010) is defined on the global technology; use technology='global' or index='ml'"
        )
    if index == "ml" and technology == "global":
        raise MethodError("ML on the global technology is the GML index: use index='gml'")
    if index == "luenberger" and technology == "global":
        raise MethodError("the Luenberger indicator here uses contemporaneous/sequential/window technologies")
    if index == "malmquist" and bads:
        raise MethodError(
            "the radial Malmquist index has no undesirable outputs; use index='ml', 'gml' or 'luenberger'"
        )
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
        raise MethodError("output_convention='farrell' applies to the radial Malmquist index (index='malmquist')")
    farrell = output_convention == "farrell" and orientation == "output"
    for c in (id, period):
        if c not in data.columns:
            raise DataError(f"column {c!r} not in the data; available: {list(data.columns)}")
    cols = inputs + outputs + bads
    df = data.reset_index(drop=True)
    pos = cols if index == "malmquist" else []
    warns = check_data(df, cols, id, strictly_positive=pos, nonnegative=cols, context=f"{index} index")
    # years written as text (2015年, "2015") are read as the data layer reads them; anything else is refused
    # here, naming the row, instead of failing after every frontier has been solved
    df[period] = period_column(df[period], column=period, context=f"{index} index", units=df[id])
    ids = df[id].astype(str).to_numpy()
    dup = df.duplicated([id, period])
    if dup.any():
        raise DataError(f"unit/period pairs occur twice: {df.loc[dup, [id, period]].head(5).values.tolist()}")
    periods = np.sort(df[period].unique())
    if len(periods) < 2:
        raise MethodError("a productivity index needs at least two periods")
    per_pos = {p: i for i, p in enumerate(periods)}
    per_idx = df[period].map(per_pos).to_numpy()
    m, s, k = len(inputs), len(outputs), len(bads)
    per_counts = np.bincount(per_idx, minlength=len(periods))
    for p, nper in zip(periods, per_counts.tolist(), strict=True):
        if nper < m + s + k:
            raise MethodError(
                f"period {p} has only {nper} units for {m + s + k} inputs+outputs; DEA cannot discriminate"
            )
    Z = df[cols].to_numpy(float)
    scale = Z.mean(axis=0)
    scale[scale == 0] = 1.0
    Zs = Z / scale
    kind = "radial" if index == "malmquist" else "ddf"
    G = None
    if kind == "ddf":
        dkind, g = _parse_direction(direction, "output", m, s, k, cols, scale)
        G = Zs * g if dkind == "proportional" else np.broadcast_to(g, Zs.shape).copy()
    dist = _Distances(
        Zs, m, s, k, kind, rts, orientation, G, mode, n_jobs, progress, weak=bad_disposability == "equality"
    )

    # observation lookup and pairs
    obs = {(ids[i], per_idx[i]): i for i in range(len(df))}
    pairs = []  # (obs_t, obs_t1, t)
    missing = []
    for t in range(len(periods) - 1):
        at = set(ids[per_idx == t])
        at1 = set(ids[per_idx == t + 1])
        for u in sorted(at & at1):
            pairs.append((obs[(u, t)], obs[(u, t + 1)], t))
        for u in sorted(at ^ at1):
            missing.append(
                {
                    "unit": u,
                    "period_from": periods[t].item(),
                    "period": periods[t + 1].item(),
                    "missing_in": periods[t].item() if u not in at else periods[t + 1].item(),
                }
            )
    if not pairs:
        raise MethodError("no unit is observed in two consecutive periods; nothing to compare")
    P = np.array(pairs, dtype=np.int64)
    o_t, o_t1, tt = P[:, 0], P[:, 1], P[:, 2]

    techs = _tech_members(
        per_idx, len(periods), "contemporaneous" if technology == "global" else technology, window
    )

    # every distance against technology s: D_s(s) (same period) and, unless global, D_s(s+1) / D_s(s−1)
    # (cross period); small technologies solve all their points in one call (one batched LP family)
    requests: dict[int, list[tuple[str, int, np.ndarray]]] = {
        sp: [("same", sp, np.flatnonzero(per_idx == sp))] for sp in techs
    }
    if technology != "global":
        for t in range(len(periods) - 1):
            sel = np.flatnonzero(tt == t)
            if sel.size:
                requests[t].append(("t_t1", t, o_t1[sel]))
                requests[t + 1].append(("t1_t", t, o_t[sel]))
    answers: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
    for sp, reqs in requests.items():
        ref = techs[sp]
        groups = [reqs] if len(ref) <= 300 else [[r] for r in reqs]
        for grp in groups:
            allp = np.concatenate([r[2] for r in grp])
            v, st = dist.eval(ref, allp)
            st = np.asarray(st, dtype=object)
            off = 0
            for tag, key, pts in grp:
                answers[(tag, key)] = v[off : off + len(pts)], st[off : off + len(pts)]
                off += len(pts)

    # same-period distances D_t(t) for every observation (against its own period's technology)
    same = np.full(len(df), np.nan)
    same_st = np.array(["optimal"] * len(df), dtype=object)
    for sp in techs:
        pts = np.flatnonzero(per_idx == sp)
        same[pts], same_st[pts] = answers[("same", sp)]
    cols_out: dict[str, np.ndarray] = {}
    status = np.array(["optimal"] * len(P), dtype=object)
    reason = np.array([""] * len(P), dtype=object)
    infeasible: list[dict] = []  # one entry per (pair, LP) that has no optimum

    def _flag(vals: np.ndarray, st: Sequence[str] | np.ndarray | None, what: str) -> None:
        for q in np.flatnonzero(np.isnan(vals)):
            lp_st = str(st[q]) if st is not None and str(st[q]) != "optimal" else "infeasible"
            if status[q] == "optimal":
                status[q] = lp_st
            why = "unit outside that technology" if lp_st == "infeasible" else f"solver status {lp_st}"
            reason[q] = (reason[q] + "; " if reason[q] else "") + f"{what} LP {lp_st} ({why})"
            infeasible.append(
                {
                    "unit": str(ids[o_t[q]]),
                    "period_from": periods[tt[q]].item(),
                    "period": periods[tt[q] + 1].item(),
                    "lp": what,
                    "status": lp_st,
                }
            )

    d_tt, d_t1t1 = same[o_t], same[o_t1]
    _flag(d_tt, same_st[o_t], "same-period D_t(t)")
    _flag(d_t1t1, same_st[o_t1], "same-period D_{t+1}(t+1)")
    if technology != "global":
        d_t_t1 = np.full(len(P), np.nan)
        d_t1_t = np.full(len(P), np.nan)
        st_t_t1 = np.array(["optimal"] * len(P), dtype=object)
        st_t1_t = np.array(["optimal"] * len(P), dtype=object)
        for t in range(len(periods) - 1):
            sel = np.flatnonzero(tt == t)
            if sel.size == 0:
                continue
            d_t_t1[sel], st_t_t1[sel] = answers[("t_t1", t)]
            d_t1_t[sel], st_t1_t[sel] = answers[("t1_t", t)]
        _flag(d_t_t1, st_t_t1, "cross-period D_t(t+1)")
        _flag(d_t1_t, st_t1_t, "cross-period D_{t+1}(t)")
        if index == "malmquist":
            effch = d_t1t1 / d_tt
            techch = np.sqrt((d_t_t1 / d_t1t1) * (d_tt / d_t1_t))
            tfpch = effch * techch
        elif index == "ml":
            effch = (1 + d_tt) / (1 + d_t1t1)
            tfpch = np.sqrt((1 + d_tt) / (1 + d_t_t1) * (1 + d_t1_t) / (1 + d_t1t1))
            techch = tfpch / effch
        else:  # luenberger
            effch = d_tt - d_t1t1
            tfpch = 0.5 * ((d_t1_t - d_t1t1) + (d_tt - d_t_t1))
            techch = tfpch - effch
        cols_out.update({"d_t_t": d_tt, "d_t_t1": d_t_t1, "d_t1_t": d_t1_t, "d_t1_t1": d_t1t1})
    else:
        glob = _tech_members(per_idx, len(periods), "global", window)["G"]
        dg, dg_st = dist.eval(glob, np.arange(len(df)))
        dg_st = np.asarray(dg_st, dtype=object)
        dg_t, dg_t1 = dg[o_t], dg[o_t1]
        _flag(dg_t, dg_st[o_t], "global D^G(t)")
        _flag(dg_t1, dg_st[o_t1], "global D^G(t+1)")
        if index == "malmquist":
            tfpch = dg_t1 / dg_t
            effch = d_t1t1 / d_tt
        else:  # gml (ml on the global technology is the same construction)
            tfpch = (1 + dg_t) / (1 + dg_t1)
            effch = (1 + d_tt) / (1 + d_t1t1)
        techch = tfpch / effch
        cols_out.update({"d_t_t": d_tt, "d_t1_t1": d_t1t1, "d_g_t": dg_t, "d_g_t1": dg_t1})

    # the output columns are collected in order and the frame is built once at the end
    out: dict[str, np.ndarray] = {
        "unit": ids[o_t],
        "period_from": periods[tt],
        "period": periods[tt + 1],
        "tfpch": tfpch,
        "effch": effch,
        "techch": techch,
    }
    if index == "malmquist" and rts == "crs":
        # V_s(s) against the *same* technology as the CRS E_s(s) of effch (sequential / window /
        # contemporaneous; contemporaneous for global, whose effch is contemporaneous), so that
        # sech = effch / pech compares CRS and VRS frontiers of one reference set (deaR: effv vs eff)
        vv = np.full(len(df), np.nan)
        for sp, ref in techs.items():
            pts = np.flatnonzero(per_idx == sp)
            vv[pts], _ = dist.eval(ref, pts, rts="vrs")
        pech = vv[o_t1] / vv[o_t]
        out["pech"] = pech
        out["sech"] = effch / pech
        _flag(pech, None, "VRS same-period")
    if farrell:  # R Benchmarking's malmq: Farrell output efficiencies φ in place of the distances 1/φ
        for c in ("tfpch", "effch", "techch", "pech", "sech"):
            if c in out:
                out[c] = 1.0 / out[c]
        for c in ("d_t_t", "d_t_t1", "d_t1_t", "d_t1_t1", "d_g_t", "d_g_t1"):
            if c in cols_out:
                cols_out[c] = 1.0 / cols_out[c]
    additive = index == "luenberger"
    # cumulative indices per unit, restarting after a missing pair (plain arrays: no per-cell pandas access)
    units = out["unit"]
    n_out = len(units)
    tt_list = tt.tolist()
    gap = [False] * n_out
    last: dict[str, int] = {}
    for q, u in enumerate(units.tolist()):
        if u in last and last[u] != tt_list[q] - 1:
            gap[q] = True
        last[u] = tt_list[q]
    order = np.lexsort((tt, units)).tolist()
    start = 0.0 if additive else 1.0
    for c in ("tfpch", "effch", "techch"):
        cum = np.full(n_out, np.nan)
        vals = out[c]
        acc: dict[str, float] = {}
        for q in order:
            u = units[q]
            v = vals[q]
            prev = start if (u not in acc or gap[q]) else acc[u]
            if gap[q] and c == "tfpch":
                reason[q] = (
                    reason[q] + "; " if reason[q] else ""
                ) + "cumulative index restarts after a missing pair"
            acc[u] = prev + v if additive else prev * v
            cum[q] = acc[u]
            if c == "tfpch" and np.isnan(cum[q]) and np.isfinite(v):
                # an earlier infeasible pair of this unit breaks the chain: say so instead of a bare NaN
                reason[q] = (
                    reason[q] + "; " if reason[q] else ""
                ) + "cumulative indices NaN: an earlier pair of this unit is infeasible"
        out[f"cum_{c}"] = cum
    for name, v in cols_out.items():
        out[name] = v
    out["status"] = status
    out["reason"] = reason
    out = pd.DataFrame(out).sort_values(["unit", "period"], kind="stable").reset_index(drop=True)
    if missing:
        warns.append(
            f"unbalanced panel: {len(missing)} unit-pair(s) without data in both periods were skipped"
        )
    n_bad = int((status != "optimal").sum())
    if n_bad:
        lps = sorted({e["lp"] for e in infeasible})
        hint = ""
        if kind == "ddf" and technology != "global":
            hint = (
                " Consider index='gml' (global Malmquist–Luenberger, Oh 2010: the global technology contains"
                " every observation, so its LPs are always feasible)"
                + (
                    " or bad_disposability='inequality' (freely disposable bad outputs; a different technology)"
                    if k and bad_disposability == "equality"
                    else ""
                )
                + "."
            )
        elif kind == "radial" and technology != "global":
            hint = " Consider technology='global' (Pastor & Lovell 2005), whose LPs are always feasible."
        warns.append(
            f"{index}: {n_bad} of {len(P)} unit-pair(s) ({100 * n_bad / len(P):.0f} %) have an LP without"
            f" optimum ({', '.join(lps)}); their indices are NaN with status/reason set and they are listed in"
            f" attrs['manifest']['infeasible_pairs'].{hint}"
        )
    for w in warns:
        warnings.warn(w, stacklevel=2)
    out.attrs["manifest"] = {
        "method": "malmquist",
        "index": index,
        "rts": rts,
        "technology": technology,
        "window": window if technology == "window" else None,
        "orientation": orientation,
        "output_convention": output_convention if index == "malmquist" else None,
        "direction": "(0, y, b) proportional: y + βy, b − βb"
        if kind == "ddf" and direction is None
        else direction,
        "bad_outputs": _BAD_TEXT[bad_disposability] if kind == "ddf" and k else None,
        "bad_disposability": bad_disposability if kind == "ddf" else None,
        "inputs": inputs,
        "outputs": outputs,
        "undesirable": bads,
        "periods": [p.item() for p in periods],
        "missing_pairs": missing,
        "infeasible_pairs": infeasible,
        "n_infeasible_pairs": n_bad,
        "warnings": warns,
        "n_lp": dist.lp_count,
        "solver": "HiGHS (highspy)",
        "identity": "tfpch = effch + techch" if additive else "tfpch = effch × techch",
    }
    return out


def mean_changes(result: pd.DataFrame, by: str | Sequence[str] = "unit", *, index: str | None = None) -> pd.DataFrame:
    """Average annual change per ``by`` group of a :func:`malmquist` result, over the same pairs for the index
    and its components, so that the table adds up.

    Ratio indices (Malmquist, ML, GML): geometric means, ``ḡ(x) = exp(mean ln x)``; since ``tfpch = effch ×
    techch`` pair by pair, ``ḡ(tfpch) = ḡ(effch) × ḡ(techch)`` exactly (arithmetic means of ratios do not
    multiply). Luenberger (additive): arithmetic means, ``mean L = mean effch + mean techch``. A pair enters
    only when every component present (tfpch, effch, techch, and pech, sech) is finite (and positive for the
    ratio indices); ``n_pairs`` counts the pairs used. ``index``: default ``result.attrs['manifest']['index']``.
    """
    keys = [by] if isinstance(by, str) else list(by)
    comp = [c for c in ("tfpch", "effch", "techch", "pech", "sech") if c in result.columns]
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
