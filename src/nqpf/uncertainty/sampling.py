"""Quasi-random sampling designs for variance-based sensitivity analysis.

The design is the A / B / AB_i scheme of Saltelli et al. (2010, *Comput. Phys. Commun.* 181, 259–270,
Table 2): two independent ``n × k`` matrices A and B drawn from one scrambled Sobol' sequence of dimension
2k (columns 1..k → A, k+1..2k → B), and for every factor i the matrix AB_i, equal to A except that its
column i comes from B. Evaluating the model on A, B and the k matrices AB_i costs ``n (k + 2)`` runs and
gives first- and total-order indices of every factor (:mod:`nqpf.uncertainty.estimators`).

Points live in the unit hypercube ``[0, 1)^k``. A discrete factor with m options maps a coordinate u to the
option ``floor(u m)`` (:func:`to_discrete`), so every option has probability 1/m.

Rows of the stacked design are ordered ``[A; B; AB_1; …; AB_k]`` (each block n rows), and
:meth:`SaltelliDesign.split` undoes that stacking on model outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from nqpf.errors import MethodError

__all__ = ["SaltelliDesign", "saltelli_design", "to_discrete"]


@dataclass(frozen=True)
class SaltelliDesign:
    """The matrices A and B (each ``n × k``, in ``[0, 1)``) of a Saltelli design."""

    A: np.ndarray
    B: np.ndarray
    seed: int | None = None
    scramble: bool = True

    @property
    def n(self) -> int:
        """Base sample size (rows of A)."""
        return int(self.A.shape[0])

    @property
    def k(self) -> int:
        """Number of factors."""
        return int(self.A.shape[1])

    @property
    def n_runs(self) -> int:
        """Model evaluations the design needs: ``n (k + 2)``."""
        return self.n * (self.k + 2)

    def AB(self, i: int) -> np.ndarray:  # noqa: N802 (the literature's name)
        """A with column ``i`` taken from B."""
        out = self.A.copy()
        out[:, i] = self.B[:, i]
        return out

    def matrix(self) -> np.ndarray:
        """All ``n (k + 2)`` points stacked as ``[A; B; AB_1; …; AB_k]`` (shape ``n(k+2) × k``)."""
        return np.concatenate([self.A, self.B, *[self.AB(i) for i in range(self.k)]], axis=0)

    def split(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Split outputs of :meth:`matrix` rows into ``(yA, yB, yAB)``.

        ``y`` has shape ``(n(k+2), ...)``; returns ``yA``, ``yB`` of shape ``(n, ...)`` and ``yAB`` of shape
        ``(k, n, ...)``.
        """
        y = np.asarray(y)
        if y.shape[0] != self.n_runs:
            raise MethodError(
                f"model output has {y.shape[0]} rows but the design has n(k+2) = {self.n}×({self.k}+2) = "
                f"{self.n_runs} runs; evaluate the model on every row of design.matrix()"
            )
        n = self.n
        yA, yB = y[:n], y[n : 2 * n]
        yAB = y[2 * n :].reshape((self.k, n) + y.shape[1:])
        return yA, yB, yAB


def saltelli_design(n: int, k: int, seed: int | None, *, scramble: bool = True) -> SaltelliDesign:
    """Draw a Saltelli A/B design with ``n`` base samples for ``k`` factors.

    Uses ``scipy.stats.qmc.Sobol(d=2k, scramble=scramble, seed=seed)``; the same seed gives the same
    design. ``n`` a power of two keeps the Sobol' sequence balanced (other sizes work, with slightly
    worse uniformity).
    """
    if k < 1:
        raise MethodError("a sensitivity design needs at least one factor that varies (k ≥ 1)")
    if n < 2:
        raise MethodError(f"a sensitivity design needs at least 2 base samples, got n = {n}")
    if seed is not None and (not isinstance(seed, int | np.integer) or seed < 0):
        raise MethodError(f"seed must be a non-negative integer, got {seed!r}")
    sob = qmc.Sobol(d=2 * k, scramble=scramble, seed=None if seed is None else np.random.default_rng(seed))
    # the first n points of the next power-of-two block are the points random(n) draws, without scipy's
    # balance warning for n not a power of 2 (and without a process-global warnings filter)
    pts = sob.random_base2(int(np.ceil(np.log2(n))))[:n]
    # Sobol' points are in [0, 1); guard against a 1.0 from rounding all the same
    pts = np.minimum(pts, np.nextafter(1.0, 0.0))
    return SaltelliDesign(A=np.ascontiguousarray(pts[:, :k]), B=np.ascontiguousarray(pts[:, k:]), seed=seed,
                          scramble=scramble)


def to_discrete(u: np.ndarray, m: int) -> np.ndarray:
    """Map coordinates ``u ∈ [0, 1)`` to option indices ``floor(u m) ∈ {0, …, m−1}`` (equal probability)."""
    if m < 1:
        raise MethodError(f"a discrete factor needs at least one option, got {m}")
    idx = np.floor(np.asarray(u, dtype=float) * m).astype(np.int64)
    return np.clip(idx, 0, m - 1)
