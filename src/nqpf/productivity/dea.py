"""Data envelopment analysis: CCR/BCC radial, SBM (Tone 2001/2004), super-efficiency, DDF.

Conventions (issue 4 §7):

* Radial input orientation (Charnes, Cooper & Rhodes 1978; Banker, Charnes & Cooper 1984):
  ``θ* = min θ  s.t.  Xλ ≤ θx_o, Yλ ≥ y_o, λ ≥ 0`` (+ ``Σλ = 1`` VRS, ``Σλ ≤ 1`` NIRS); ``efficiency = θ*``.
* Radial output orientation: ``φ* = max φ  s.t.  Xλ ≤ x_o, Yλ ≥ φy_o``; ``efficiency = 1/φ*``, ``phi = φ*``.
* Slacks: second stage maximising the sum of slacks (in mean-scaled units) with θ*/φ* fixed; reported
  in the data's own units. Peers: the units with λ_j > 0 of that stage (``peers`` = "unit:λ;…").
* SBM (Tone 2001; with undesirable outputs Tone 2004, bad outputs strongly disposable, Y^bλ ≤ b_o):
  ``ρ = [1 − (1/m)Σ s⁻_i/x_io] / [1 + (1/(s₁+s₂))(Σ s^g_r/y^g_ro + Σ s^b_q/y^b_qo)]`` (non-oriented);
  input orientation keeps the numerator, output orientation ``1/ρ`` = the denominator.
* Super-efficiency: Andersen & Petersen (1993) radial (unit o removed from its own reference set) and
  Tone (2002) super-SBM (with bad outputs the denominator is 1 − (1/(s₁+s₂))(Σ s^g/y^g + Σ s^b/y^b));
  only efficient units are re-evaluated (an inefficient unit lies inside the others' technology, so its
  score is unchanged). Infeasible LPs are reported in ``status``/``reason`` with efficiency NaN.
* DDF (Chambers, Chung & Färe 1996; Chung, Färe & Grosskopf 1997): ``β* = max β  s.t.
  Xλ ≤ x_o − βg_x, Y^gλ ≥ y_o + βg_y, Y^bλ = b_o − βg_b`` (bad outputs weakly disposable);
  ``efficiency = 1/(1+β*)``.

Every column is divided by its mean before solving (all models above are units-invariant or the direction
is scaled alike). Solving uses :mod:`nqpf.productivity._lp` (HiGHS, one model updated per unit, exact
column generation for large n, processes for many units).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

import nqpf.index.result  # noqa: F401 - registers the DataFrame.nqpf accessor (summary, to_latex, plot)
from nqpf.errors import DataError, MethodError
from nqpf.productivity import _lp

MODELS = ("ccr", "bcc", "sbm", "ddf")
ORIENTATIONS = ("input", "output", "none")
RTS = ("crs", "vrs", "nirs", "ndrs")
EFF_TOL = 1e-9

REASON_SUPER = (
    "super-efficiency LP infeasible: the unit lies outside the technology spanned by the other units "
    "(known for VRS super-efficiency, Seiford & Zhu 1999); no finite score exists"
)


def _as_list(v: str | Sequence[str] | None) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [c.strip() for c in v.split(",") if c.strip()]
    return list(v)


def check_data(
    df: pd.DataFrame,
    cols: Sequence[str],
    id_col: str | None,
    *,
    strictly_positive: Sequence[str] = (),
    nonnegative: Sequence[str] = (),
    context: str = "DEA",
) -> list[str]:
    """Validate numeric DEA columns; raise :class:`DataError` naming units and columns. Returns warnings."""
    missing_cols = [c for c in cols if c not in df.columns]
    if missing_cols:
        raise DataError(f"{context}: column(s) {missing_cols} not in the data; available: {list(df.columns)}")
    ids = df[id_col].astype(str) if id_col else pd.Series(df.index.astype(str), index=df.index)

    def _units(mask: pd.Series) -> str:
        u = ids[mask].tolist()
        return ", ".join(u[:10]) + (f" … ({len(u)} units)" if len(u) > 10 else "")

    def _fast_ok(c: str) -> bool:
        """Plain float/int column passing every check below (checked on the array; no pandas round trips)."""
        col = df[c]
        dt = col.dtype
        if not isinstance(dt, np.dtype) or dt.kind not in "fi":
            return False
        v = col.to_numpy()
        if v.dtype.kind == "f" and not np.isfinite(v).all():
            return False
        if c in strictly_positive and (v <= 0).any():
            return False
        return not (c in nonnegative and (v < 0).any())

    for c in cols:
        if _fast_ok(c):  # the checks below would all pass
            continue
        vals = pd.to_numeric(df[c], errors="coerce")
        bad = vals.isna() & df[c].notna()
        if bad.any():
            raise DataError(
                f"{context}: column {c!r} has non-numeric values for unit(s) {_units(bad)}; fix or drop them"
            )
        if vals.isna().any():
            raise DataError(
                f"{context}: column {c!r} is missing for unit(s) {_units(vals.isna())}; DEA needs complete data — "
                "impute or drop those units first"
            )
        if not np.isfinite(vals).all():
            raise DataError(
                f"{context}: column {c!r} has infinite values for unit(s) {_units(~np.isfinite(vals))}"
            )
        if c in strictly_positive and (vals <= 0).any():
            raise DataError(
                f"{context}: column {c!r} must be strictly positive for this model but is ≤ 0 for unit(s) "
                f"{_units(vals <= 0)}; drop these units or use a radial (ccr/bcc) or ddf model"
            )
        if c in nonnegative and (vals < 0).any():
            raise DataError(
                f"{context}: column {c!r} is negative for unit(s) {_units(vals < 0)}; DEA needs values ≥ 0"
            )
    warns = []
    for c in cols:
        col = df[c]
        if isinstance(col.dtype, np.dtype) and col.dtype.kind in "fi" and len(df) > 1:
            v = col.to_numpy()  # finite here (checked above)
            if float(v.max() - v.min()) > 1e-12 * max(1.0, abs(float(v.max()))):
                continue
        vals = pd.to_numeric(df[c])
        if len(vals) > 1 and float(vals.max() - vals.min()) <= 1e-12 * max(1.0, abs(float(vals.max()))):
            warns.append(
                f"{context}: column {c!r} is constant ({vals.iloc[0]!r}); it cannot discriminate between units"
            )
    return warns


def _parse_direction(
    direction, model_orientation: str, m: int, s: int, k: int, names: list[str], scale: np.ndarray
) -> tuple[str, np.ndarray | None]:
    """Return ('proportional', mask of m+s+k flags) or ('fixed', scaled vector)."""
    if direction is None or direction == "proportional":
        flags = np.zeros(m + s + k)
        if model_orientation in ("input", "none"):
            flags[:m] = 1.0
        if model_orientation in ("output", "none"):
            flags[m:] = 1.0
        return "proportional", flags
    if isinstance(direction, Mapping):
        unknown = [c for c in direction if c not in names]
        if unknown:
            raise MethodError(f"DDF direction names {unknown} are not among the model's variables {names}")
        g = np.array([float(direction.get(c, 0.0)) for c in names])
        if np.any(g < 0) or not np.any(g > 0):
            raise MethodError(
                "DDF direction must be ≥ 0 in every variable and > 0 in at least one "
                "(a bad output's entry is the amount it is reduced)"
            )
        return "fixed", g / scale
    raise MethodError(
        f"DDF direction must be None, 'proportional' or a mapping column→value, got {direction!r}"
    )


def _polish_lambdas(A: np.ndarray, lam: np.ndarray, target: np.ndarray, m: int, vrs: bool) -> np.ndarray:
    """λ of the slack stage corrected onto its binding constraints (a λ set to 0 is dropped by the caller).

    The LP meets ``A λ = target`` on the rows without slack (and Σλ = 1 under VRS) only to HiGHS' feasibility
    tolerance (~1e-8); the smallest correction δ with ``A_b (λ + δ) = target_b`` (least squares, min-norm) makes
    them exact, so that the peers reproduce the projection θ*x_o − s⁻, y_o + s⁺ to rounding. ``m``: the first
    m rows are inputs (slack target − Aλ), the others outputs (slack Aλ − target); a row binds when its slack
    is < 1e-7 (below that the slack is reported as 0). A λ driven to ≤ 0 is set to 0 and the rest re-solved,
    and a row whose slack the correction makes negative joins the binding rows (each at most 3 times). The
    result is kept only if it stays feasible (no slack < −1e-12), every |δ| < 1e-4 and the binding residual
    does not grow; otherwise the LP's λ are returned."""
    sign = np.r_[np.ones(m), -np.ones(A.shape[0] - m)]  # slack = sign * (target - Aλ)
    slack0 = sign * (target - A @ lam)
    bind = slack0 < 1e-7
    if vrs:
        A, target, sign = np.vstack([A, np.ones(lam.size)]), np.r_[target, 1.0], np.r_[sign, 1.0]
        bind = np.r_[bind, True]
    if not bind.any():
        return lam
    before = np.abs(target - A @ lam)[bind].max()
    for _ in range(3):  # a row whose small slack the correction turns negative binds too: add it, re-solve
        new, act = lam.copy(), np.ones(lam.size, bool)
        for _ in range(3):
            d = np.linalg.lstsq(A[bind][:, act], (target - A @ new)[bind], rcond=None)[0]
            new[act] += d
            if (new[act] > 0).all():
                break
            new[new <= 0] = 0.0
            act = new > 0
            if not act.any():
                return lam
        viol = ~bind & (sign * (target - A @ new) < -1e-12)
        if not viol.any():
            break
        bind = bind | viol
    slack = sign * (target - A @ new)
    if (
        (new[act] > 0).all()
        and np.abs(new - lam).max() < 1e-4
        and (slack[:-1] if vrs else slack).min() > -1e-12
        and np.abs(target - A @ new)[bind].max() <= max(before, 1e-15)
    ):
        return new
    return lam


def dea_arrays(
    Z: np.ndarray,
    m: int,
    s: int,
    k: int,
    *,
    model: str,
    orientation: str,
    rts: str,
    super_eff: bool = False,
    slacks: bool = True,
    direction=None,
    names: list[str] | None = None,
    mode: str = "auto",
    n_jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    ddf_efficiency: str = "output",
) -> dict[str, object]:
    """Core of :func:`dea` on a numeric matrix ``Z`` = [X | Y^g | Y^b] (n × (m+s+k)), already validated.

    Returns a dict of arrays: efficiency, phi/beta, status, reason, slacks (n × (m+s+k), data units),
    lam_idx/lam_val (lists).
    """
    n = Z.shape[0]
    scale = Z.mean(axis=0)
    scale[scale == 0] = 1.0
    Zs = Z / scale
    seeds = _lp.default_seeds(Zs, m, s, k)
    status = np.array(["optimal"] * n, dtype=object)
    reason = np.array([""] * n, dtype=object)
    out: dict[str, object] = {}
    slack = np.full((n, m + s + k), np.nan)
    lam_idx: list[np.ndarray] = [np.zeros(0, int)] * n
    lam_val: list[np.ndarray] = [np.zeros(0)] * n
    kw = dict(mode=mode, seeds=seeds, n_jobs=n_jobs, progress=progress)

    if model in ("ccr", "bcc"):
        fam = _lp.radial_family(m, s, rts, orientation)
        T = _lp.tech_matrix(fam, Zs)
        res = _lp.solve_points(fam, T, Zs, **kw)
        val = res.obj if orientation == "input" else -res.obj
        excl = np.full(n, -1)
        if super_eff:
            eff0 = val if orientation == "input" else 1.0 / val
            redo = np.flatnonzero(eff0 >= 1.0 - EFF_TOL)
            if redo.size:
                r2 = _lp.solve_points(fam, T, Zs[redo], redo, mode=mode, seeds=seeds, n_jobs=n_jobs)
                v2 = r2.obj if orientation == "input" else -r2.obj
                val[redo] = v2
                for q, j in enumerate(redo):
                    res.status[j] = r2.status[q]
                    res.lam_idx[j], res.lam_val[j] = r2.lam_idx[q], r2.lam_val[q]
                excl[redo] = redo
        status[:] = res.status
        ok = status == "optimal"
        val = np.where(ok, val, np.nan)
        if orientation == "input":
            out["efficiency"] = val
        else:
            out["phi"] = val
            out["efficiency"] = 1.0 / val
        lam_idx, lam_val = list(res.lam_idx), list(res.lam_val)
        if slacks:
            sf = _lp.slack_family(m, s, rts)
            cost = Zs[:, :m].sum(1) - Zs[:, m : m + s].sum(1)
            P = Zs[:, : m + s].copy()
            if orientation == "input":
                P[:, :m] *= (val * (1 + 1e-9))[:, None]
            else:
                P[:, m:] *= (val * (1 - 1e-9))[:, None]
            idx = np.flatnonzero(ok)
            if not super_eff and mode in ("auto", "full") and idx.size and _lp._batchable(fam, T, Zs, None):
                # small CRS/VRS: both stages by the lock-step simplex (exact θ*x / φ*y bounds, vertex λ: no
                # polishing needed); the points it cannot certify go on to HiGHS below (issue 19)
                ok2, li2, lv2 = _lp.batch_slack(
                    fam,
                    T,
                    Zs[idx, : m + s],
                    val[idx],
                    cost,
                    [lam_idx[j] for j in idx],
                    [lam_val[j] for j in idx],
                )
                for q in np.flatnonzero(ok2):
                    j, li, lv = idx[q], li2[q], lv2[q]
                    lam_idx[j], lam_val[j] = li, lv
                    exact = Zs[j, : m + s].copy()
                    exact[:m] *= val[j] if orientation == "input" else 1.0
                    exact[m:] *= 1.0 if orientation == "input" else val[j]
                    sl = lv @ Zs[li, : m + s] - exact
                    sl[:m] *= -1.0
                    sl[np.abs(sl) < 1e-7] = 0.0
                    slack[j, : m + s] = np.maximum(sl, 0.0) * scale[: m + s]
                idx = idx[~ok2]
            # units with the same stage-1 peers share the stage-2 basis: solve them consecutively (hot start)
            peer_key = np.array([",".join(map(str, sorted(lam_idx[j]))) for j in idx])
            idx = idx[np.argsort(peer_key, kind="stable")]
            r3 = _lp.solve_points(
                sf, T, P[idx], excl[idx], lam_cost=cost, mode=mode, seeds=seeds, n_jobs=n_jobs
            )
            for q, j in enumerate(idx):
                if r3.status[q] != "optimal":
                    continue
                li, lv = r3.lam_idx[q], r3.lam_val[q]
                keep = lv > 1e-8
                li, lv = li[keep], lv[keep]
                exact = Zs[j, : m + s].copy()  # radial target with the exact θ*/φ*
                if orientation == "input":
                    exact[:m] *= val[j]
                else:
                    exact[m:] *= val[j]
                if li.size:
                    lv = _polish_lambdas(Zs[li, : m + s].T, lv, exact, m, rts == "vrs")
                    li, lv = li[lv > 0], lv[lv > 0]
                lam_idx[j], lam_val[j] = li, lv
                proj = lv @ Zs[li, : m + s] if li.size else np.zeros(m + s)
                sl = np.empty(m + s)
                sl[:m] = exact[:m] - proj[:m]
                sl[m:] = proj[m:] - exact[m:]
                sl[np.abs(sl) < 1e-7] = 0.0
                slack[j, : m + s] = np.maximum(sl, 0.0) * scale[: m + s]
    elif model == "sbm":
        fam = _lp.sbm_family(m, s, k, rts, orientation, super_eff=False)
        T = _lp.tech_matrix(fam, Zs)
        res = _lp.solve_points(fam, T, Zs, **kw)
        t = res.extra[:, 0]
        S = res.extra[:, 1:] / t[:, None]
        if orientation == "output":
            rho = 1.0 / (1.0 - res.obj)
        else:
            rho = res.obj.copy()
        status[:] = res.status
        lam_idx = list(res.lam_idx)
        lam_val = [lv / t[j] for j, lv in enumerate(res.lam_val)]
        slack = S * scale
        slack[np.abs(S) < 1e-9] = 0.0
        if super_eff:
            sfam = _lp.sbm_family(m, s, k, rts, orientation, super_eff=True)
            Ts = _lp.tech_matrix(sfam, Zs)
            redo = np.flatnonzero(rho >= 1.0 - EFF_TOL)
            if redo.size:
                r2 = _lp.solve_points(sfam, Ts, Zs[redo], redo, mode=mode, seeds=seeds, n_jobs=n_jobs)
                for q, j in enumerate(redo):
                    status[j] = r2.status[q]
                    if r2.status[q] != "optimal":
                        rho[j] = np.nan
                        slack[j] = np.nan
                        lam_idx[j], lam_val[j] = np.zeros(0, int), np.zeros(0)
                        continue
                    tt = r2.extra[q, 0]
                    rho[j] = r2.obj[q] if orientation != "output" else 1.0 / (1.0 - r2.obj[q])
                    Sq = r2.extra[q, 1:] / tt
                    Sq[np.abs(Sq) < 1e-9] = 0.0
                    slack[j] = Sq * scale  # super-SBM slacks: input increase, output decrease, bad increase
                    lam_idx[j], lam_val[j] = r2.lam_idx[q], r2.lam_val[q] / tt
        out["efficiency"] = np.where(status == "optimal", rho, np.nan)
    elif model == "ddf":
        fam = _lp.ddf_family(m, s, k, rts, weak=True)
        T = _lp.tech_matrix(fam, Zs)
        kind, g = _parse_direction(direction, orientation, m, s, k, names or [], scale)
        G = Zs * g if kind == "proportional" else np.broadcast_to(g, Zs.shape)
        P = np.hstack([Zs, G])
        res = _lp.solve_points(fam, T, P, **kw)
        beta = -res.obj
        if super_eff:
            redo = np.flatnonzero(np.abs(beta) <= 1e-9)
            if redo.size:
                r2 = _lp.solve_points(fam, T, P[redo], redo, mode=mode, seeds=seeds, n_jobs=n_jobs)
                for q, j in enumerate(redo):
                    res.status[j] = r2.status[q]
                    beta[j] = -r2.obj[q]
                    res.lam_idx[j], res.lam_val[j] = r2.lam_idx[q], r2.lam_val[q]
        status[:] = res.status
        ok = status == "optimal"
        beta = np.where(ok, beta, np.nan)
        out["beta"] = beta + 0.0  # no negative zero
        if ddf_efficiency == "rho":  # deaR model_dir: (1 − β·mean g_x/x_o) / (1 + β·mean g_y/y_o)
            gx = (G[:, :m] / Zs[:, :m]).mean(axis=1)
            gy = (G[:, m : m + s] / Zs[:, m : m + s]).mean(axis=1)
            out["efficiency"] = (1.0 - beta * gx) / (1.0 + beta * gy)
        else:
            out["efficiency"] = 1.0 / (1.0 + beta)
        lam_idx, lam_val = list(res.lam_idx), list(res.lam_val)
        for j in np.flatnonzero(ok):
            li, lv = lam_idx[j], lam_val[j]
            proj = lv @ Zs[li] if li.size else np.zeros(m + s + k)
            tgt = Zs[j] + beta[j] * G[j] * np.r_[-np.ones(m), np.ones(s), -np.ones(k)]
            sl = np.r_[tgt[:m] - proj[:m], proj[m : m + s] - tgt[m : m + s], tgt[m + s :] - proj[m + s :]]
            sl[np.abs(sl) < 1e-9] = 0.0
            slack[j] = sl * scale
    else:
        raise MethodError(f"unknown DEA model {model!r}; use one of {MODELS}")

    for j in np.flatnonzero(status != "optimal"):
        if super_eff:
            reason[j] = REASON_SUPER
        else:
            reason[j] = (
                f"LP {status[j]} (check the unit's data: zero outputs/inputs make some models undefined)"
            )
    out.update(status=status, reason=reason, slack=slack, lam_idx=lam_idx, lam_val=lam_val)
    return out


class PeerWeights(list):
    """The λ_j > 0 of every unit at full precision (``attrs["peer_weights"]`` of :func:`dea`), as rows
    ``[unit, period, peer, λ]`` (a plain list, so attrs stay JSON-serialisable, e.g. for ``to_parquet``);
    :meth:`frame` gives the tidy table ``unit, [period], peer, lambda``. pandas' copies of ``attrs`` share it."""

    def __init__(self, rows: list, with_period: bool):
        super().__init__([[u, p.item() if hasattr(p, "item") else p, q, float(v)] for u, p, q, v in rows])
        self.with_period = with_period

    def __deepcopy__(self, memo: dict) -> PeerWeights:
        return self

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(list(self), columns=["unit", "period", "peer", "lambda"])
        df["lambda"] = df["lambda"].astype("float64")
        return df if self.with_period else df.drop(columns="period")


def dea(
    data: pd.DataFrame,
    inputs: str | Sequence[str],
    outputs: str | Sequence[str],
    *,
    undesirable: str | Sequence[str] | None = None,
    id: str | None = None,
    model: str = "ccr",
    orientation: str = "input",
    rts: str | None = None,
    super_eff: bool = False,
    direction: str | Mapping[str, float] | None = None,
    period: str | None = None,
    slacks: bool = True,
    mode: str = "auto",
    n_jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    ddf_efficiency: str = "output",
) -> pd.DataFrame:
    """DEA efficiency of every unit (one frontier per ``period`` value if given).

    Parameters: ``model`` ccr|bcc|sbm|ddf; ``orientation`` input|output|none (none only for sbm/ddf);
    ``rts`` crs|vrs|nirs|ndrs (ccr ⇒ crs, bcc ⇒ vrs by default; sbm/ddf default crs); ``super_eff``
    Andersen–Petersen / super-SBM / super-DDF; ``direction`` for ddf ('proportional' per orientation, or
    {column: value}); ``mode`` auto|full|cg (see :mod:`nqpf.productivity._lp`). ``ddf_efficiency`` (ddf):
    ``"output"`` (default) efficiency = 1/(1+β*); ``"rho"`` = (1 − β*·mean_i g_xi/x_io)/(1 + β*·mean_r g_yr/y_ro) as
    deaR's ``model_dir``/``efficiencies`` — (1−β*)/(1+β*) for the proportional direction with orientation
    'none', 1/(1+β*) for output orientation; bad outputs do not enter ρ, so it is refused with them.

    Returns a DataFrame: ``unit, [period], efficiency, [phi | beta], status, reason, slack_<col>…, peers``;
    ``.attrs["manifest"]`` holds the settings and warnings, ``.attrs["peer_weights"].frame()`` the λ table.
    """
    inputs, outputs, bads = _as_list(inputs), _as_list(outputs), _as_list(undesirable)
    model = model.lower()
    orientation = orientation.lower()
    if model not in MODELS:
        raise MethodError(f"unknown DEA model {model!r}; use one of {MODELS}")
    if orientation not in ORIENTATIONS:
        raise MethodError(f"unknown orientation {orientation!r}; use one of {ORIENTATIONS}")
    if rts is None:
        rts = "vrs" if model == "bcc" else "crs"
    rts = rts.lower()
    if rts not in RTS:
        raise MethodError(f"unknown returns to scale {rts!r}; use one of {RTS}")
    if model == "ccr" and rts == "vrs":
        raise MethodError("model 'ccr' is the constant-returns model; use model='bcc' for VRS")
    if model == "bcc" and rts != "vrs":
        raise MethodError(
            "model 'bcc' is the variable-returns model; use model='ccr' (crs) or rts='nirs' with ccr"
        )
    if ddf_efficiency not in ("output", "rho"):
        raise MethodError(f"ddf_efficiency must be 'output' (1/(1+β)) or 'rho' (deaR), got {ddf_efficiency!r}")
    if ddf_efficiency == "rho" and (model != "ddf" or bads):
        raise MethodError(
            "ddf_efficiency='rho' (deaR's model_dir efficiency) applies to model='ddf' without undesirable outputs"
        )
    if model in ("ccr", "bcc"):
        if orientation == "none":
            raise MethodError("radial models (ccr/bcc) need orientation 'input' or 'output'")
        if bads:
            raise MethodError(
                "radial models do not take undesirable outputs; use model='sbm' (Tone 2004) or 'ddf'"
            )
    if not inputs or not outputs:
        raise MethodError("DEA needs at least one input and one (good) output")
    cols = inputs + outputs + bads
    if len(set(cols)) != len(cols):
        raise MethodError(f"a column is used twice among inputs/outputs/undesirable: {cols}")
    df = data.reset_index(drop=True) if id is not None else data.reset_index()
    id_col = id if id is not None else df.columns[0]
    if id_col not in df.columns:
        raise DataError(f"id column {id_col!r} not in the data; available: {list(df.columns)}")
    pos = cols if model == "sbm" else []
    warns = check_data(df, cols, id_col, strictly_positive=pos, nonnegative=cols, context=f"DEA ({model})")
    if period is not None and period not in df.columns:
        raise DataError(f"period column {period!r} not in the data; available: {list(df.columns)}")
    groups = [(None, df)] if period is None else list(df.groupby(period, sort=True))
    frames = []
    lam_rows: list[tuple] = []
    for per, g in groups:
        ids = g[id_col].astype(str)
        dup = ids[ids.duplicated()].unique().tolist()
        if dup:
            where = f" in period {per}" if per is not None else ""
            raise DataError(f"unit id(s) {dup[:10]} occur more than once{where}; ids must be unique")
        n, m, s, k = len(g), len(inputs), len(outputs), len(bads)
        if n < m + s + k:
            where = f" in period {per}" if per is not None else ""
            raise MethodError(
                f"only {n} units{where} for {m + s + k} inputs+outputs; DEA cannot discriminate — "
                "use more units or fewer variables (rule of thumb n ≥ 3(m+s))"
            )
        Z = g[cols].to_numpy(float)
        if model != "sbm":
            for label, block in (("input", Z[:, :m]), ("output", Z[:, m : m + s])):
                zero = block.sum(1) <= 0
                if zero.any():
                    raise DataError(f"unit(s) {ids[zero].tolist()[:10]} have all {label}s zero; drop them")
        res = dea_arrays(
            Z,
            m,
            s,
            k,
            model=model,
            orientation=orientation,
            rts=rts,
            super_eff=super_eff,
            slacks=slacks,
            direction=direction,
            names=cols,
            mode=mode,
            n_jobs=n_jobs,
            progress=progress,
            ddf_efficiency=ddf_efficiency,
        )
        # columns collected first and the frame built once (inserting them one by one costs ~0.1 ms each)
        idarr = ids.to_numpy()
        cols_out: dict[str, object] = {"unit": idarr}
        if per is not None:
            cols_out["period"] = per
        cols_out["efficiency"] = res["efficiency"]
        for extra in ("phi", "beta"):
            if extra in res:
                cols_out[extra] = res[extra]
        cols_out["status"] = res["status"]
        cols_out["reason"] = res["reason"]
        if slacks or model in ("sbm", "ddf"):
            for c, col in enumerate(cols):
                cols_out[f"slack_{col}"] = res["slack"][:, c]
        cols_out["peers"] = [
            ";".join(f"{idarr[i]}:{v:.6g}" for i, v in sorted(zip(li, lv, strict=False), key=lambda t: -t[1]))
            for li, lv in zip(res["lam_idx"], res["lam_val"], strict=False)
        ]
        frames.append(pd.DataFrame(cols_out))
        lam_rows += [(idarr[j], per, idarr[i], float(v)) for j, (li, lv) in enumerate(zip(res["lam_idx"],
                     res["lam_val"], strict=False)) for i, v in zip(li, lv, strict=False)]  # fmt: skip
    result = pd.concat(frames, ignore_index=True)
    result.attrs["peer_weights"] = PeerWeights(lam_rows, period is not None)
    for w in warns:
        warnings.warn(w, stacklevel=2)
    result.attrs["manifest"] = {
        "method": "dea",
        "model": model,
        "orientation": orientation,
        "rts": rts,
        "super_eff": super_eff,
        "inputs": inputs,
        "outputs": outputs,
        "undesirable": bads,
        "period": period,
        "direction": direction if not isinstance(direction, Mapping) else dict(direction),
        "ddf_efficiency": ("1/(1+beta)" if ddf_efficiency == "output" else "deaR rho") if model == "ddf" else None,
        "mode": mode,
        "scaling": "each column divided by its mean before solving",
        "solver": "HiGHS (highspy)",
        "warnings": warns,
        "infeasible_units": result.loc[result.status != "optimal", "unit"].tolist(),
    }
    return result
