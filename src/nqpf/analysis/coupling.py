"""Coupling coordination degree of 2…n subsystems.

Variants of the coupling degree C (U_i ∈ [0, 1] are subsystem scores):

* ``standard``: C = n·(Π U_i)^{1/n} / Σ U_i — the geometric over the arithmetic mean, in [0, 1] by the
  AM–GM inequality, C = 1 iff all U_i are equal. (Many papers use (Π U_i / (Σ U_i/n)^n)^{1/n} variants
  or forget the factor n; their range is not [0, 1].)
* ``adjusted`` (王淑佳, 孔伟, 任亮, 等. 国内耦合协调度模型的误区及修正. 自然资源学报, 2021, 36(3)):
  C = sqrt([1 − mean_{i<j} |U_i − U_j|] · [Π_i (U_i / max_k U_k)]^{1/(n−1)}), which spreads C away
  from 1.

T = Σ α_i U_i (α_i = 1/n by default, must sum to 1) and D = sqrt(C·T). Grades: ten intervals of width 0.1
on D, level 1 = [0, 0.1) 极度失调 … level 10 = [0.9, 1] 优质协调 (labels via ``nqpf.i18n``).
Conventions: all U_i = 0 → C = 0 (documented; nothing to couple), hence D = 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf.analysis._common import manifest, require_columns, unit_period_keys
from nqpf.data.panel import check_unique
from nqpf.errors import MethodError, ValidationError
from nqpf.i18n import t

__all__ = ["coupling_degree", "coupling", "coupling_from_index", "grade_level", "grade_label"]

VARIANTS = ("standard", "adjusted")


def coupling_degree(U: np.ndarray, variant: str = "standard") -> np.ndarray:
    """C for each row of ``U`` (shape (m, n), n ≥ 2 subsystems, values in [0, 1])."""
    U = np.atleast_2d(np.asarray(U, dtype="float64"))
    n = U.shape[1]
    if n < 2:
        raise MethodError("coupling: needs at least two subsystems")
    if variant == "standard":
        s = U.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            geo = np.exp(np.log(U).mean(axis=1))  # = 0 when any U_i = 0
            C = np.where(s > 0, n * geo / s, 0.0)
    elif variant == "adjusted":
        i, j = np.triu_indices(n, k=1)
        spread = np.abs(U[:, i] - U[:, j]).mean(axis=1)
        mx = U.max(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(mx[:, None] > 0, U / mx[:, None], 0.0)
            prod = np.exp(np.log(ratio).sum(axis=1) / (n - 1))
        C = np.sqrt(np.clip((1 - spread) * prod, 0.0, 1.0))
    else:
        raise MethodError(f"coupling: variant must be one of {VARIANTS}, got {variant!r}")
    return np.clip(C, 0.0, 1.0)


def grade_level(D) -> np.ndarray:
    """Ten-level grade 1…10 of D: level k covers [(k−1)/10, k/10), level 10 includes D = 1."""
    D = np.asarray(D, dtype="float64")
    return np.clip(np.floor(D * 10 + 1e-12).astype(int) + 1, 1, 10)


def grade_label(level: int, lang: str = "en") -> str:
    return t(f"analysis.coupling.grade.{int(level)}", lang)


def coupling(
    df: pd.DataFrame,
    systems: list[str],
    weights: list[float] | None = None,
    variant: str = "standard",
    *,
    id_cols: list[str] | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """Coupling coordination per row: returns ``id_cols + [C, T, D, grade_level, grade]``.

    ``systems`` are the columns holding U_i (each in [0, 1]); ``id_cols`` default to every other column.
    Out-of-range or missing U raise :class:`ValidationError` listing the offending rows. A repeated
    ``id_cols`` combination (without ``id_cols``: a repeated ``unit`` and ``period``/``year`` … pair) raises
    :class:`~nqpf.errors.DataError` (:func:`nqpf.data.panel.check_unique`).
    """
    if len(systems) < 2:
        raise MethodError(f"coupling: give at least two subsystem columns, got {systems}")
    if len(set(systems)) != len(systems):
        raise MethodError(f"coupling: subsystem columns repeat: {systems}")
    require_columns(df, list(systems) + list(id_cols or []), what="coupling input")
    ids = list(id_cols) if id_cols is not None else [c for c in df.columns if c not in systems]
    if id_cols is None:  # one row per unit (and period-like column, if any)
        keys = unit_period_keys(df, guess_period=True)
    else:  # one row per combination of the id columns (e.g. unit and period)
        keys = (list(id_cols), None) if id_cols else None
    if keys:
        check_unique(df, keys[0], name="coupling input", labels=keys[1])
    U = df[systems].apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
    bad = np.isnan(U) | (U < 0) | (U > 1)
    if bad.any():
        problems = []
        for r, c in zip(*np.nonzero(bad), strict=True):
            rid = "/".join(str(df.iloc[r][k]) for k in ids) if ids else f"row {r}"
            problems.append(f"{rid}: {systems[c]} = {df.iloc[r][systems[c]]!r}")
        raise ValidationError(
            f"coupling: {int(bad.sum())} subsystem score(s) missing or outside [0, 1] (first: {problems[0]}); "
            "rescale the scores to [0, 1] (e.g. min–max) before coupling",
            problems=problems[:50],
        )
    n = len(systems)
    if weights is None:
        alpha = np.full(n, 1.0 / n)
    else:
        alpha = np.asarray(weights, dtype="float64")
        if alpha.shape != (n,) or (alpha < 0).any() or not np.isclose(alpha.sum(), 1.0):
            raise MethodError(
                f"coupling: weights {list(weights)} must be {n} non-negative numbers summing to 1"
            )
    C = coupling_degree(U, variant)
    T = U @ alpha
    D = np.sqrt(C * T)
    out = df[ids].copy().reset_index(drop=True)
    out["C"], out["T"], out["D"] = C, T, D
    lv = grade_level(D)
    out["grade_level"] = lv
    out["grade"] = [grade_label(k, lang) for k in lv]
    out.attrs["manifest"] = manifest(
        "coupling", systems=list(systems), weights=alpha.tolist(), variant=variant
    )
    return out


def _pick(nodes: list[str], word: str) -> str:
    hits = [n for n in nodes if word in n.lower()]
    if len(hits) != 1:
        raise MethodError(
            f"coupling_from_index: expected exactly one non-leaf node whose id contains {word!r}, found "
            f"{hits or 'none'}; pass systems=[...] explicitly (non-leaf nodes: {nodes})"
        )
    return hits[0]


def coupling_from_index(
    res,
    systems: list[str] | None = None,
    weights: list[float] | None = None,
    variant: str = "standard",
    *,
    rescale: str | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """Coupling of node scores of an index result (``res.scores``: unit, period, node, score).

    Default systems: the single non-leaf node whose id contains ``digital`` and the one containing
    ``real`` (digital economy vs real economy, 数实融合). ``rescale="minmax"`` maps each node's score to
    [0, 1] over all units and periods first (pooled); otherwise scores must already be in [0, 1].
    Returns ``unit, period, <systems…>, C, T, D, grade_level, grade``.
    """
    scores = res.scores
    if systems is None:
        leaves = set(getattr(res, "normalized", pd.DataFrame(columns=["indicator"]))["indicator"].unique())
        nodes = sorted(set(scores["node"].astype(str)) - leaves)
        systems = [_pick(nodes, "digital"), _pick(nodes, "real")]
    missing = [s for s in systems if s not in set(scores["node"])]
    if missing:
        raise MethodError(f"coupling_from_index: node(s) {missing} not in the index result")
    wide = scores[scores["node"].isin(systems)].pivot(
        index=["unit", "period"], columns="node", values="score"
    )
    wide = wide[list(systems)].reset_index()
    wide.columns.name = None
    if rescale == "minmax":
        for s in systems:
            lo, hi = wide[s].min(), wide[s].max()
            if hi <= lo:
                raise MethodError(f"coupling_from_index: node {s!r} is constant; cannot min–max rescale")
            wide[s] = (wide[s] - lo) / (hi - lo)
    elif rescale is not None:
        raise MethodError(f"coupling_from_index: rescale must be None or 'minmax', got {rescale!r}")
    return coupling(wide, list(systems), weights, variant, id_cols=["unit", "period", *systems], lang=lang)
