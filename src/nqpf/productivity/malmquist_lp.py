"""Distance functions of :func:`nqpf.productivity.malmquist.malmquist`: the LPs, batched per technology.

``E_s(d)``: radial efficiency (θ, or 1/φ for output orientation) of observation d against technology s;
``D_s(d)``: directional distance β (direction g, bad outputs weakly or freely disposable). Each technology's
LPs are solved by one :func:`nqpf.productivity._lp.solve_points` call where it is small (≤ 300 members).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nqpf.productivity import _lp
from nqpf.productivity.malmquist_setup import Options, Panel

SMALL_TECH = 300  # technologies up to this size solve all their points in one call with the full LP


class Distances:
    """Evaluate distance functions of chosen observations against chosen technologies."""

    def __init__(
        self, pan: Panel, opts: Options, mode: str, n_jobs: int | None, progress: Callable[[int], None] | None
    ):
        self.Zs, self.G, self.m, self.s, self.k = pan.Zs, pan.G, pan.m, pan.s, pan.k
        self.kind, self.rts, self.orientation = opts.kind, opts.rts, opts.orientation
        self.weak = opts.bad_disposability == "equality"
        self.mode, self.n_jobs, self.progress = mode, n_jobs, progress
        self.lp_count = 0

    def _family(self, rts: str):
        if self.kind == "radial":
            return _lp.radial_family(self.m, self.s, rts, self.orientation)
        return _lp.ddf_family(self.m, self.s, self.k, rts, weak=self.weak)

    def _points(self, pts: np.ndarray) -> np.ndarray:
        return self.Zs[pts] if self.kind == "radial" else np.hstack([self.Zs[pts], self.G[pts]])

    def _values(self, res) -> tuple[np.ndarray, np.ndarray]:
        if self.kind == "radial":
            val = res.obj if self.orientation == "input" else 1.0 / (-res.obj)
        else:
            val = -res.obj
        status = np.asarray(res.status, dtype=object)
        return np.where(status == "optimal", val, np.nan), status

    def eval_many(self, reqs: list[tuple[np.ndarray, np.ndarray]], rts: str | None = None
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
        """:meth:`eval` of several (reference set, observations) pairs; the small technologies' LPs are
        solved together (:func:`nqpf.productivity._lp.solve_many`), the others one by one."""
        rts = rts or self.rts
        small = [i for i, (ref, _) in enumerate(reqs) if len(ref) <= SMALL_TECH and self.mode in ("full", "auto")]
        out: list = [None] * len(reqs)
        if small:
            fam = self._family(rts)
            jobs = [(_lp.tech_matrix(fam, self.Zs[reqs[i][0]]), self._points(reqs[i][1])) for i in small]
            solved = _lp.solve_many(fam, jobs, mode="full", n_jobs=self.n_jobs, parallel_min=2000)
            for i, res in zip(small, solved, strict=True):
                out[i] = self._values(res)
                self.lp_count += len(reqs[i][1])
                if self.progress:
                    self.progress(len(reqs[i][1]))
        for i, (ref, pts) in enumerate(reqs):
            if out[i] is None:
                out[i] = self.eval(ref, pts, rts)
        return out

    def eval(self, ref: np.ndarray, pts: np.ndarray, rts: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Distances of observations ``pts`` against the technology spanned by observations ``ref``.

        radial: efficiency θ (input) or 1/φ (output); ddf: β. NaN where the LP has no optimum; returns
        (values, LP statuses as an object array)."""
        rts = rts or self.rts
        m, s, k = self.m, self.s, self.k
        Zr = self.Zs[ref]
        # seeds only matter for column generation (the full LP starts with every column)
        full = self.mode == "full" or (self.mode == "auto" and len(ref) <= SMALL_TECH)
        seeds = None if full else _lp.default_seeds(Zr, m, s, k)
        fam, P = self._family(rts), self._points(pts)
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
        return self._values(res)


def tech_distances(
    dist: Distances,
    techs: dict[int, np.ndarray],
    per_idx: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
    cross: bool,
) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]:
    """Every distance against technology s: ``("same", s)`` D_s(s) of the period-s observations and, with
    ``cross``, ``("t_t1", t)`` D_t(t+1) and ``("t1_t", t)`` D_{t+1}(t) of the pairs (t, t+1), as
    (values, statuses). A small technology solves all its points in one call (one batched LP family)."""
    o_t, o_t1, tt = pairs
    requests: dict[int, list[tuple[str, int, np.ndarray]]] = {
        sp: [("same", sp, np.flatnonzero(per_idx == sp))] for sp in techs
    }
    if cross:
        for t in range(len(techs) - 1):
            sel = np.flatnonzero(tt == t)
            if sel.size:
                requests[t].append(("t_t1", t, o_t1[sel]))
                requests[t + 1].append(("t1_t", t, o_t[sel]))
    answers: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
    groups = []  # (reference set, requests solved together)
    for sp, reqs in requests.items():
        ref = techs[sp]
        groups += [(ref, reqs)] if len(ref) <= SMALL_TECH else [(ref, [r]) for r in reqs]
    solved = dist.eval_many([(ref, np.concatenate([r[2] for r in grp])) for ref, grp in groups])
    for (_, grp), (v, st) in zip(groups, solved, strict=True):
        off = 0
        for tag, key, pts in grp:
            answers[(tag, key)] = v[off : off + len(pts)], st[off : off + len(pts)]
            off += len(pts)
    return answers


def same_period(
    answers: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]], per_idx: np.ndarray, n_tech: int
) -> tuple[np.ndarray, np.ndarray]:
    """D_t(t) of every observation against its own period's technology, and the LP statuses."""
    same = np.full(len(per_idx), np.nan)
    same_st = np.full(len(per_idx), "optimal", dtype=object)
    for sp in range(n_tech):
        pts = np.flatnonzero(per_idx == sp)
        same[pts], same_st[pts] = answers[("same", sp)]
    return same, same_st


def cross_period(
    answers: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]], tt: np.ndarray, n_per: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """D_t(t+1) and D_{t+1}(t) of every pair, with their LP statuses."""
    d_t_t1, d_t1_t = np.full(len(tt), np.nan), np.full(len(tt), np.nan)
    st_t_t1 = np.full(len(tt), "optimal", dtype=object)
    st_t1_t = np.full(len(tt), "optimal", dtype=object)
    for t in range(n_per - 1):
        sel = np.flatnonzero(tt == t)
        if sel.size:
            d_t_t1[sel], st_t_t1[sel] = answers[("t_t1", t)]
            d_t1_t[sel], st_t1_t[sel] = answers[("t1_t", t)]
    return d_t_t1, st_t_t1, d_t1_t, st_t1_t


def vrs_same(dist: Distances, techs: dict[int, np.ndarray], per_idx: np.ndarray) -> np.ndarray:
    """V_s(s): VRS efficiency of the period-s observations against technology s (for pech and sech)."""
    vv = np.full(len(per_idx), np.nan)
    reqs = [(ref, np.flatnonzero(per_idx == sp)) for sp, ref in techs.items()]
    for (_, pts), (v, _) in zip(reqs, dist.eval_many(reqs, rts="vrs"), strict=True):
        vv[pts] = v
    return vv
