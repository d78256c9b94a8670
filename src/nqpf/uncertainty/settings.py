"""Settings of an uncertainty analysis besides the index itself (which is an :class:`nqpf.index.IndexSpec`).

Four small frozen groups, each validated when made (a bad value raises :class:`~nqpf.errors.MethodError`
naming the setting and its allowed range):

* :class:`Sampling` — what varies and how often: base sample size, factors, their options, exclusion mode;
* :class:`Perturbation` — the weight perturbation factor (uniform ±x or Dirichlet);
* :class:`Outputs` — top-k, bootstrap, per-unit indices, whether every run's scores are kept;
* :class:`Execution` — backend, workers, Dask scheduler, batch size and time-outs.

:func:`split_keywords` maps the keyword form of :func:`nqpf.uncertainty.run_uncertainty` (``perturb=``,
``perturb_amount=`` …) onto these groups; what is left are the index's own settings (steps, periods, options).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nqpf.errors import MethodError
from nqpf.uncertainty.backends import START_TIMEOUT
from nqpf.uncertainty.estimators import MIN_BASE_SAMPLES

FACTORS = ("impute", "treat", "normalize", "weights", "perturb", "aggregate", "exclude")
#: Default alternatives of each step factor (the nominal setting is always added as the first option).
DEFAULT_OPTIONS: dict[str, tuple[str, ...]] = {
    "impute": ("linear-carry", "linear-carry+group-mean"),
    "treat": ("none", "winsorize", "skewkurt"),
    "normalize": ("minmax-global", "rank"),
    "weights": ("entropy", "critic", "equal"),
    "aggregate": ("arithmetic", "geometric", "topsis"),
}
AGGREGATIONS = ("arithmetic", "geometric", "topsis", "grey")


@dataclass(frozen=True)
class Sampling:
    """The Saltelli design: ``samples`` = base sample size n (``n (k + 2)`` runs for k varied factors, at least
    :data:`~nqpf.uncertainty.estimators.MIN_BASE_SAMPLES`); ``vary``: factors (:data:`FACTORS`); ``options``:
    factor → option list (default :data:`DEFAULT_OPTIONS`); ``exclude``: what the ``exclude`` factor drops
    (one indicator, one dimension, or either)."""

    samples: int = 256
    vary: tuple[str, ...] | list[str] = FACTORS
    options: Mapping[str, Any] | None = None
    exclude: str = "indicator"

    def __post_init__(self) -> None:
        if not isinstance(self.samples, int | np.integer) or self.samples < MIN_BASE_SAMPLES:
            raise MethodError(f"too few samples: --samples {self.samples}; the Saltelli/Jansen estimators need at "
                              f"least {MIN_BASE_SAMPLES} base samples (the model then runs n(k+2) times); use e.g. 256")


@dataclass(frozen=True)
class Perturbation:
    """Weight perturbation (the ``perturb`` factor): one of ``bank`` pre-drawn perturbations (seeded).
    ``mode='uniform'``: ``w_l (1 + x (2v_l − 1))``, v ~ U(0, 1), x = ``amount`` (±25 %); ``'dirichlet'``:
    ``w' ~ Dirichlet(c w)`` with c = ``dirichlet_concentration``; then renormalised."""

    mode: str = "uniform"
    amount: float = 0.25
    dirichlet_concentration: float = 50.0
    bank: int = 256

    def __post_init__(self) -> None:
        if self.mode not in ("uniform", "dirichlet"):
            raise MethodError(f"perturb must be 'uniform' or 'dirichlet', got {self.mode!r}")
        if not 0 < self.amount < 1:
            raise MethodError(f"perturb_amount must be in (0, 1) (a ±fraction of each weight), got {self.amount}")
        if not self.dirichlet_concentration > 0:
            raise MethodError(f"dirichlet_concentration must be > 0, got {self.dirichlet_concentration}")
        if self.bank < 2:
            raise MethodError(f"perturb_bank must be at least 2, got {self.bank}")


@dataclass(frozen=True)
class Outputs:
    """What is reported: ``top_k`` (probability of a top-/bottom-k rank), ``n_boot`` and ``level`` (percentile
    bootstrap of the Sobol' indices), ``unit_sensitivity`` (indices of every unit-period's rank), ``keep_runs``
    (False: reductions only; True: every run's scores and ranks in memory; a folder: memory-mapped files)."""

    top_k: int = 5
    n_boot: int = 1000
    level: float = 0.95
    unit_sensitivity: bool = True
    keep_runs: bool | str | os.PathLike = False

    @property
    def keep(self) -> bool:
        """True when every run's scores and ranks are kept (in memory or in files)."""
        return self.keep_runs is not False and self.keep_runs is not None


@dataclass(frozen=True)
class Execution:
    """Where the runs are evaluated (:mod:`nqpf.uncertainty.backends`): ``backend`` (auto, sequential,
    processes, dask), ``workers``, ``scheduler`` (a Dask address; implies dask), ``batch_size`` (runs per
    batch; None = about :data:`~nqpf.uncertainty.montecarlo.BATCH_CELLS` cells), ``connect_timeout`` (s, Dask),
    ``dask_processes`` (LocalCluster workers as processes), ``worker_start_timeout`` (s, processes),
    ``blocks``: where the normalised blocks are built — ``client`` (this process), ``workers`` (one task per
    imputation and treatment, when the workers run in processes of their own) or ``auto`` (the workers with a
    scheduler address, else this process: on 2 local cores building them on the workers cost more than it
    saved, see ``docs/uncertainty.md``)."""

    backend: str = "auto"
    workers: int | None = None
    scheduler: str | None = None
    batch_size: int | None = None
    connect_timeout: float = 5.0
    dask_processes: bool = True
    worker_start_timeout: float = START_TIMEOUT
    blocks: str = "auto"

    def __post_init__(self) -> None:
        if self.blocks not in ("auto", "client", "workers"):
            raise MethodError(f"blocks must be 'auto', 'client' or 'workers', got {self.blocks!r}")
        if self.batch_size is not None and self.batch_size < 1:
            raise MethodError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.scheduler is not None and self.backend not in ("auto", "dask"):
            raise MethodError(f"--scheduler is used by the dask backend only, not backend={self.backend!r}")


#: Keyword of :func:`~nqpf.uncertainty.run_uncertainty` → (settings group, field).
KEYWORDS: dict[str, tuple[type, str]] = {
    **{f.name: (Sampling, f.name) for f in dataclasses.fields(Sampling)},
    "perturb": (Perturbation, "mode"), "perturb_amount": (Perturbation, "amount"),
    "dirichlet_concentration": (Perturbation, "dirichlet_concentration"), "perturb_bank": (Perturbation, "bank"),
    **{f.name: (Outputs, f.name) for f in dataclasses.fields(Outputs)},
    **{f.name: (Execution, f.name) for f in dataclasses.fields(Execution)},
}


def split_keywords(given: dict[str, Any], keywords: dict[str, Any]) -> tuple[dict[type, Any], dict[str, Any]]:
    """The four settings groups (``given``: group class → instance or None, then updated by the matching
    ``keywords``) and the keywords left over (the index's steps, periods and options)."""
    changes: dict[type, dict[str, Any]] = {cls: {} for cls in given}
    rest = {}
    for k, v in keywords.items():
        if k in KEYWORDS:
            cls, name = KEYWORDS[k]
            changes[cls][name] = v
        else:
            rest[k] = v
    groups = {cls: dataclasses.replace(obj if obj is not None else cls(), **changes[cls])
              for cls, obj in given.items()}
    return groups, rest
