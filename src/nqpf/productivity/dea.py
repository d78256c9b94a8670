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
from nqpf.productivity._lp_dea import (  # noqa: F401 - _parse_direction: imported from here by malmquist_setup
    _ddf,
    _parse_direction,
    _Problem,
    _radial,
    _sbm,
)

MODELS = ("ccr", "bcc", "sbm", "ddf")
ORIENTATIONS = ("input", "output", "none")
RTS = ("crs", "vrs", "nirs", "ndrs")

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


def _scaled(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(column means, Z divided by them): every LP is solved on mean-scaled data (a zero mean stays 1)."""
    scale = Z.mean(axis=0)
    scale[scale == 0] = 1.0
    return scale, Z / scale


def _radial_stage1_many(blocks: list[np.ndarray], m: int, s: int, model: str, orientation: str, rts: str,
                        super_eff: bool, mode: str) -> list[_lp.Solved | None]:
    """The first-stage LPs of the radial model of every frontier (period) of a :func:`dea` call in one
    lock-step run (:func:`nqpf.productivity._lp.solve_many`, issue 19: 13 provincial years cost about what
    one did); None for a frontier the batched path does not take (it is solved on its own as before)."""
    out: list[_lp.Solved | None] = [None] * len(blocks)
    if model not in ("ccr", "bcc") or super_eff or mode not in ("auto", "full") or len(blocks) < 2:
        return out
    fam = _lp.radial_family(m, s, rts, orientation)
    jobs, where = [], []
    for i, Z in enumerate(blocks):
        Zs = _scaled(Z)[1]
        T = _lp.tech_matrix(fam, Zs)
        if T.shape[1] <= 300 and _lp._batchable(fam, T, Zs, None):
            jobs.append((T, Zs))
            where.append(i)
    if len(jobs) > 1:
        for i, res in zip(where, _lp.solve_many(fam, jobs, mode="full"), strict=True):
            out[i] = res
    return out


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
    stage1: _lp.Solved | None = None,
) -> dict[str, object]:
    """Core of :func:`dea` on a numeric matrix ``Z`` = [X | Y^g | Y^b] (n × (m+s+k)), already validated
    (``stage1``: the first-stage LPs of a radial model, already solved by :func:`_radial_stage1_many`).

    Returns a dict of arrays: efficiency, phi/beta, status, reason, slacks (n × (m+s+k), data units),
    lam_idx/lam_val (lists).
    """
    scale, Zs = _scaled(Z)
    seeds = _lp.default_seeds(Zs, m, s, k)
    pb = _Problem(Zs, scale, m, s, k, rts, orientation, super_eff, mode, n_jobs, progress, seeds)
    if model in ("ccr", "bcc"):
        sol = _radial(pb, slacks, stage1)
    elif model == "sbm":
        sol = _sbm(pb)
    elif model == "ddf":
        sol = _ddf(pb, direction, names or [], ddf_efficiency)
    else:
        raise MethodError(f"unknown DEA model {model!r}; use one of {MODELS}")
    reason = np.array([""] * pb.n, dtype=object)
    for j in np.flatnonzero(sol.status != "optimal"):
        reason[j] = REASON_SUPER if super_eff else (
            f"LP {sol.status[j]} (check the unit's data: zero outputs/inputs make some models undefined)"
        )  # fmt: skip
    return {**sol.out, "status": sol.status, "reason": reason, "slack": sol.slack,
            "lam_idx": sol.lam_idx, "lam_val": sol.lam_val}  # fmt: skip


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


def _settings(
    model: str,
    orientation: str,
    rts: str | None,
    ddf_efficiency: str,
    inputs: list[str],
    outputs: list[str],
    bads: list[str],
) -> tuple[str, str, str]:
    """Validated ``(model, orientation, rts)`` (lower case; rts defaults: bcc ⇒ vrs, otherwise crs); refuses
    an empty input or output list and a column used twice."""
    model, orientation = model.lower(), orientation.lower()
    if model not in MODELS:
        raise MethodError(f"unknown DEA model {model!r}; use one of {MODELS}")
    if orientation not in ORIENTATIONS:
        raise MethodError(f"unknown orientation {orientation!r}; use one of {ORIENTATIONS}")
    rts = ("vrs" if model == "bcc" else "crs") if rts is None else rts.lower()
    if rts not in RTS:
        raise MethodError(f"unknown returns to scale {rts!r}; use one of {RTS}")
    if model == "ccr" and rts == "vrs":
        raise MethodError("model 'ccr' is the constant-returns model; use model='bcc' for VRS")
    if model == "bcc" and rts != "vrs":
        raise MethodError(
            "model 'bcc' is the variable-returns model; use model='ccr' (crs) or rts='nirs' with ccr"
        )
    if ddf_efficiency not in ("output", "rho"):
        raise MethodError(
            f"ddf_efficiency must be 'output' (1/(1+β)) or 'rho' (deaR), got {ddf_efficiency!r}"
        )
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
    return model, orientation, rts


def _groups(df: pd.DataFrame, period: str | None) -> list[tuple[object, np.ndarray]]:
    """``(period value, row positions)`` of every frontier, periods sorted, rows in their order, rows without
    a period left out (as ``groupby``); one group ``(None, all rows)`` without ``period``. Positions, not
    sub-frames: slicing a frame per period cost ≈ 1.5 ms of the 5 ms of a 31-unit frontier (issue 19)."""
    if period is None:
        return [(None, np.arange(len(df)))]
    if period not in df.columns:
        raise DataError(f"period column {period!r} not in the data; available: {list(df.columns)}")
    codes, uniques = pd.factorize(df[period], sort=True)
    order = np.argsort(codes, kind="stable")
    cuts = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return [(uniques[i], order[cuts[i] : cuts[i + 1]]) for i in range(len(uniques)) if cuts[i + 1] > cuts[i]]


def _blocks(df: pd.DataFrame, period: str | None, id_col: str, cols: list[str], m: int, s: int, k: int,
            model: str) -> list[tuple[object, np.ndarray, np.ndarray]]:
    """``(period, unit ids, data block)`` of every frontier, each checked by :func:`_check_group`. Blocks are
    always column-major: the layout decides the order of the column sums of the scaling, so results must not
    depend on how the frame was built or its rows were selected."""
    ids_all = df[id_col].astype(str).to_numpy()
    Z_all = df[cols].to_numpy(float)
    out = []
    for per, rows in _groups(df, period):
        out.append((per, ids_all[rows], np.asfortranarray(Z_all[rows])))
        _check_group(out[-1][1], out[-1][2], per, m, s, k, model)
    return out


def _check_group(ids: np.ndarray, Z: np.ndarray, per: object, m: int, s: int, k: int, model: str) -> None:
    """Refuse a frontier with repeated unit ids, fewer units than variables, or a unit with all inputs
    (or all good outputs) zero (except SBM, whose data are strictly positive)."""
    where = f" in period {per}" if per is not None else ""
    if len(set(ids)) != len(ids):
        dup = pd.Series(ids)[pd.Series(ids).duplicated()].unique().tolist()
        raise DataError(f"unit id(s) {dup[:10]} occur more than once{where}; ids must be unique")
    if len(ids) < m + s + k:
        raise MethodError(
            f"only {len(ids)} units{where} for {m + s + k} inputs+outputs; DEA cannot discriminate — "
            "use more units or fewer variables (rule of thumb n ≥ 3(m+s))"
        )
    if model != "sbm":
        for label, block in (("input", Z[:, :m]), ("output", Z[:, m : m + s])):
            zero = block.sum(1) <= 0
            if zero.any():
                raise DataError(f"unit(s) {ids[zero].tolist()[:10]} have all {label}s zero; drop them")


def _peer_lists(res: dict) -> list[tuple[list, list]]:
    """λ indices and values of every unit as Python lists (formatting NumPy scalars one by one is slow)."""
    return [
        (np.asarray(li).tolist(), np.asarray(lv).tolist())
        for li, lv in zip(res["lam_idx"], res["lam_val"], strict=False)
    ]


def _unit_columns(
    res: dict, peers: list[tuple[list, list]], ids: np.ndarray, per: object, cols: list[str], slack_cols: bool
) -> dict[str, object]:
    """The output columns of one frontier: unit, [period], efficiency, [phi | beta], status, reason,
    [slack_<col>…], peers ("unit:λ;…", largest λ first, 6 significant digits; ``peers`` = λ indices and
    values of every unit as Python lists)."""
    out: dict[str, object] = {"unit": ids}
    if per is not None:
        out["period"] = [per] * len(ids)
    out["efficiency"] = res["efficiency"]
    for extra in ("phi", "beta"):
        if extra in res:
            out[extra] = res[extra]
    out["status"] = res["status"]
    out["reason"] = res["reason"]
    if slack_cols:
        for c, col in enumerate(cols):
            out[f"slack_{col}"] = res["slack"][:, c]
    out["peers"] = [
        ";".join(f"{ids[i]}:{v:.6g}" for i, v in sorted(zip(li, lv, strict=False), key=lambda t: -t[1]))
        for li, lv in peers
    ]
    return out


def _frame(parts: list[dict[str, object]]) -> pd.DataFrame:
    """One DataFrame from the column dicts of every frontier (built once: per-frontier frames and a concat
    cost ~0.2 ms each)."""
    cols: dict[str, object] = {}
    for c in parts[0]:
        vals = [p[c] for p in parts]
        cols[c] = [v for part in vals for v in part] if isinstance(vals[0], list) else np.concatenate(vals)
    return pd.DataFrame(cols)


def _manifest(result: pd.DataFrame, model: str, orientation: str, rts: str, super_eff: bool, inputs: list[str],
              outputs: list[str], bads: list[str], period: str | None, direction, ddf_efficiency: str, mode: str,
              warns: list[str]) -> dict[str, object]:  # fmt: skip
    """``attrs["manifest"]`` of a :func:`dea` result: the settings, warnings and infeasible units."""
    return {
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
        "ddf_efficiency": ("1/(1+beta)" if ddf_efficiency == "output" else "deaR rho")
        if model == "ddf"
        else None,
        "mode": mode,
        "scaling": "each column divided by its mean before solving",
        "solver": "HiGHS (highspy)",
        "warnings": warns,
        "infeasible_units": result.loc[result.status != "optimal", "unit"].tolist(),
    }


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

    Examples
    --------
    Coelli (1996), *A Guide to DEAP Version 2.1*, example EG1 (5 firms, 1 output, 2 inputs, CRS
    input-oriented): EG1.OUT prints te = 0.500, 1.000, 0.833, 0.714, 1.000, an input-2 slack of 0.5 for
    firm 1 and the peers 2 (firm 1), 5 and 2 with weights 0.286 and 0.214 (firm 4).

    >>> import pandas as pd
    >>> eg1 = pd.DataFrame({"firm": list("12345"), "y": [1, 2, 3, 1, 2], "x1": [2, 2, 6, 3, 6],
    ...                     "x2": [5, 4, 6, 2, 2]})
    >>> r = dea(eg1, ["x1", "x2"], ["y"], id="firm", model="ccr", orientation="input")
    >>> r["efficiency"].round(3).tolist(), round(float(r["slack_x2"].iloc[0]), 3), r["peers"].iloc[3]
    ([0.5, 1.0, 0.833, 0.714, 1.0], 0.5, '5:0.285714;2:0.214286')
    """
    inputs, outputs, bads = _as_list(inputs), _as_list(outputs), _as_list(undesirable)
    model, orientation, rts = _settings(model, orientation, rts, ddf_efficiency, inputs, outputs, bads)
    cols = inputs + outputs + bads
    df = data.reset_index(drop=True) if id is not None else data.reset_index()
    id_col = id if id is not None else df.columns[0]
    if id_col not in df.columns:
        raise DataError(f"id column {id_col!r} not in the data; available: {list(df.columns)}")
    pos = cols if model == "sbm" else []
    warns = check_data(df, cols, id_col, strictly_positive=pos, nonnegative=cols, context=f"DEA ({model})")
    m, s, k = len(inputs), len(outputs), len(bads)
    blocks = _blocks(df, period, id_col, cols, m, s, k, model)
    parts, lam_rows = [], []
    stage1 = _radial_stage1_many([b[2] for b in blocks], m, s, model, orientation, rts, super_eff, mode)
    for (per, ids, Z), st1 in zip(blocks, stage1, strict=True):
        res = dea_arrays(
            Z, m, s, k, model=model, orientation=orientation, rts=rts, super_eff=super_eff, slacks=slacks,
            direction=direction, names=cols, mode=mode, n_jobs=n_jobs, progress=progress,
            ddf_efficiency=ddf_efficiency, stage1=st1,
        )  # fmt: skip
        peers = _peer_lists(res)
        parts.append(_unit_columns(res, peers, ids, per, cols, slacks or model in ("sbm", "ddf")))
        lam_rows += [
            (ids[j], per, ids[i], v) for j, (li, lv) in enumerate(peers) for i, v in zip(li, lv, strict=False)
        ]
    result = _frame(parts)
    result.attrs["peer_weights"] = PeerWeights(lam_rows, period is not None)
    for w in warns:
        warnings.warn(w, stacklevel=2)
    settings = (model, orientation, rts, super_eff, inputs, outputs, bads, period, direction, ddf_efficiency, mode)
    result.attrs["manifest"] = _manifest(result, *settings, warns)
    return result
