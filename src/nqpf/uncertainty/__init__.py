"""Monte Carlo uncertainty and variance-based sensitivity analysis of composite indices, with execution
backends (sequential, local processes, Dask distributed).

Main entry point: :func:`run_uncertainty` (see :mod:`nqpf.uncertainty.montecarlo`), which varies an
:class:`nqpf.index.IndexSpec`; its other settings: :class:`Sampling`, :class:`Perturbation`, :class:`Outputs`,
:class:`Execution` (:mod:`nqpf.uncertainty.settings`). Estimators:
:func:`sobol_indices`, :func:`bootstrap_sobol`, :func:`sensitivity_table`; designs: :func:`saltelli_design`;
backends: :func:`run_tasks`, :class:`Executor`. Names are imported lazily so that worker processes only load what they use.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "run_uncertainty": "nqpf.uncertainty.montecarlo",
    "evaluate_configs": "nqpf.uncertainty.montecarlo",
    "UncertaintyResult": "nqpf.uncertainty.montecarlo",
    "FACTORS": "nqpf.uncertainty.montecarlo",
    "DEFAULT_OPTIONS": "nqpf.uncertainty.montecarlo",
    "Sampling": "nqpf.uncertainty.settings",
    "Perturbation": "nqpf.uncertainty.settings",
    "Outputs": "nqpf.uncertainty.settings",
    "Execution": "nqpf.uncertainty.settings",
    "sobol_indices": "nqpf.uncertainty.estimators",
    "bootstrap_sobol": "nqpf.uncertainty.estimators",
    "sensitivity_table": "nqpf.uncertainty.estimators",
    "MIN_BASE_SAMPLES": "nqpf.uncertainty.estimators",
    "saltelli_design": "nqpf.uncertainty.sampling",
    "SaltelliDesign": "nqpf.uncertainty.sampling",
    "to_discrete": "nqpf.uncertainty.sampling",
    "run_tasks": "nqpf.uncertainty.backends",
    "Executor": "nqpf.uncertainty.backends",
    "task_seeds": "nqpf.uncertainty.backends",
    "BackendError": "nqpf.uncertainty.backends",
    "BACKENDS": "nqpf.uncertainty.backends",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'nqpf.uncertainty' has no attribute {name!r}")
